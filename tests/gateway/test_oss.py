"""The OSS gateway: Alibaba's own SDKs against it (alibabacloud-oss-v2 with V4 signatures, oss2 with
V1), partwise's signing vectors through its verifier, and its error answers over HTTP.

Run with the gateway up and its PARTWISE_LOCAL_OSS_* exported (scripts/gateways.sh start DIR):
    cd tests/gateway && /work/main/.tools/venv/bin/python -m unittest test_oss"""

import base64
import datetime
import hashlib
import json
import time
import unittest
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

import alibabacloud_oss_v2 as oss

# scripts/gateway/, on the path through support:
import gateway
import oss2
import urllib3
from alibabacloud_oss_v2.crc import Crc64
from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext
from dialects import oss as oss_gateway
from keys import Key
from support import service, temporary_keys, vectors

MIB = 1024 * 1024
HTTP = urllib3.PoolManager(retries=False)


def case_time(case):
    return datetime.datetime.fromisoformat(case["time"].replace("Z", "+00:00")).timestamp()


class CaseKeys:
    """A keyring holding one vector case's key (and token), valid at the case's time."""

    def __init__(self, case):
        c = case["credentials"]
        expires_at = case_time(case) + 3600 if c["session_token"] else None
        self.key = Key(c["access_key_id"], c["secret_access_key"], c["session_token"], expires_at)

    def lookup(self, access_key_id):
        return self.key if access_key_id == self.key.access_key_id else None


def case_request(case, damage_signature=False):
    """The request partwise sends for a vector case, as the gateway parses it."""
    r = case["request"]
    endpoint_host = urlsplit(r["endpoint"]).netloc
    virtual = r["addressing"] == "virtual"
    host = f"{r['bucket']}.{endpoint_host}" if virtual else endpoint_host
    path = "/" + quote(r["key"]) if virtual else f"/{r['bucket']}" + (f"/{quote(r['key'])}" if r["key"] else "")
    headers = {name.lower(): value for name, value in r["headers"]}
    query = list(map(tuple, r["query"]))
    if case["auth"] == "header":
        headers.update({name.lower(): value for name, value in case["expect"]["headers"].items()})
    else:
        query += list(case["expect"]["query"].items())
    if damage_signature:
        headers, query = damaged(headers, query)
    headers["host"] = host
    raw_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    return gateway.Request(r["method"], host, path, raw_query, query, headers, b"", r["bucket"], r["key"], virtual)


def flip(text):
    """`text` with its last character changed (staying a hex digit / base64 character)."""
    return text[:-1] + ("1" if text[-1] != "1" else "2")


def damaged(headers, query):
    if "authorization" in headers:
        value = headers["authorization"]
        if value.startswith("OSS "):
            head, sig = value.rsplit(":", 1)
            headers["authorization"] = f"{head}:{flip(sig.rstrip('='))}" + "=" * (len(sig) - len(sig.rstrip("=")))
        else:
            headers["authorization"] = flip(value)
        return headers, query
    names = ("x-oss-signature", "Signature")
    out = []
    for k, v in query:
        if k in names:
            bare = v.rstrip("=")
            v = flip(bare) + v[len(bare) :]
        out.append((k, v))
    return headers, out


class Vectors(unittest.TestCase):
    """Every oss-v4 and oss-v1 vector is accepted by the gateway's SDK-based verifier, and refused
    with SignatureDoesNotMatch when one character of its signature differs."""

    def run_cases(self, scheme):
        dialect = oss_gateway.Dialect()
        cases = vectors(scheme)
        self.assertTrue(cases)
        for case in cases:
            with self.subTest(case["id"]):
                now = case_time(case)
                dialect.authenticate(case_request(case), CaseKeys(case), now)
                with self.assertRaises(gateway.ServiceError) as refused:
                    dialect.authenticate(case_request(case, damage_signature=True), CaseKeys(case), now)
                self.assertEqual(refused.exception.code, "SignatureDoesNotMatch")

    def test_oss_v4_vectors(self):
        self.run_cases("oss-v4")

    def test_oss_v1_vectors(self):
        self.run_cases("oss-v1")


class Live(unittest.TestCase):
    """Base for the tests against the running gateway."""

    @classmethod
    def setUpClass(cls):
        cls.s = service("oss")
        cls.endpoint, cls.bucket = cls.s["endpoint"], cls.s["bucket"]

    def new_key(self, name):
        return f"test-oss/{uuid.uuid4().hex[:8]}/{name}"

    def send(
        self,
        method,
        key="",
        query=(),
        headers=None,
        body=b"",
        ak=None,
        secret=None,
        token=None,
        scheme="v4",
        signed_at=None,
        host=None,
    ):
        """A request signed by the SDK's signer as partwise signs it (header auth, x-oss-date)."""
        request = self.sdk_request(method, key, query, headers, virtual=bool(host))
        if scheme == "v1":
            signed_at = signed_at or datetime.datetime.now(datetime.UTC)
            request.headers["x-oss-date"] = signed_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
            if token:
                request.headers["x-oss-security-token"] = token
        context = self.context(request, key, ak, secret, token if scheme == "v4" else None, signed_at)
        (SignerV1() if scheme == "v1" else SignerV4()).sign(context)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "date"}
        if host:
            headers["Host"] = host
        return HTTP.request(method, request.url, body=body or None, headers=headers)

    def sdk_request(self, method, key, query, headers, virtual=False):
        qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" if v else k for k, v in query)
        path = f"/{quote(key)}" if virtual else f"/{self.bucket}/{quote(key)}"
        url = self.endpoint + path + (f"?{qs}" if qs else "")
        return HttpRequest(method, url, dict(headers or {}))

    def context(self, request, key, ak, secret, token, signed_at):
        credentials = Credentials(ak or self.s["access_key"], secret or self.s["secret_key"], token)
        return SigningContext(
            product="oss",
            region="cn-hangzhou",
            bucket=self.bucket,
            key=key or None,
            request=request,
            signing_time=signed_at,
            credentials=credentials,
        )

    def assertServiceError(self, answer, status, code):
        self.assertEqual(answer.status, status, answer.data)
        root = ET.fromstring(answer.data)
        self.assertEqual(root.tag, "Error", "OSS error documents have no namespace")
        self.assertEqual(root.findtext("Code"), code)
        self.assertEqual(root.findtext("RequestId"), answer.headers["x-oss-request-id"])
        self.assertTrue(root.findtext("HostId"))
        return root

    def initiate(self, key):
        answer = self.send("POST", key, [("uploads", "")])
        self.assertEqual(answer.status, 200, answer.data)
        return ET.fromstring(answer.data).findtext("UploadId")

    def post_json(self, route, body):
        body = {"accessKeyId": self.s["access_key"], "secretAccessKey": self.s["secret_key"], **body}
        answer = HTTP.request("POST", self.endpoint + route, body=json.dumps(body).encode())
        self.assertEqual(answer.status, 200, answer.data)
        return json.loads(answer.data)


def parts_of(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


class VendorSdks(Live):
    """A multipart upload with each of Alibaba's Python SDKs, read back byte for byte."""

    data = (hashlib.sha256(b"partwise").digest() * (MIB // 32 * 11))[: 10 * MIB + 12345]

    def v2_client(self, keys, signature_version="v4"):
        config = oss.config.load_default()
        config.credentials_provider = oss.credentials.StaticCredentialsProvider(*keys)
        config.region, config.endpoint, config.use_path_style = "cn-hangzhou", self.endpoint, True
        config.signature_version = signature_version
        return oss.Client(config)

    def upload_with_v2_sdk(self, keys):
        client, key = self.v2_client(keys), self.new_key("v2 sdk file.bin")
        upload_id = client.initiate_multipart_upload(
            oss.InitiateMultipartUploadRequest(bucket=self.bucket, key=key, content_type="application/octet-stream")
        ).upload_id
        parts = []
        for number, chunk in enumerate(parts_of(self.data, 5 * MIB), 1):
            answer = client.upload_part(
                oss.UploadPartRequest(bucket=self.bucket, key=key, upload_id=upload_id, part_number=number, body=chunk)
            )
            self.assertEqual(answer.etag, f'"{hashlib.md5(chunk).hexdigest().upper()}"')
            parts.append(oss.UploadPart(part_number=number, etag=answer.etag))
        pages = client.list_parts_paginator().iter_page(
            oss.ListPartsRequest(bucket=self.bucket, key=key, upload_id=upload_id)
        )
        self.assertEqual(
            [(p.part_number, p.etag, p.size) for page in pages for p in page.parts],
            [(p.part_number, p.etag, len(c)) for p, c in zip(parts, parts_of(self.data, 5 * MIB), strict=True)],
        )
        pages = client.list_multipart_uploads_paginator().iter_page(
            oss.ListMultipartUploadsRequest(bucket=self.bucket, prefix=key)
        )
        self.assertEqual([(u.key, u.upload_id) for page in pages for u in page.uploads], [(key, upload_id)])
        completed = client.complete_multipart_upload(
            oss.CompleteMultipartUploadRequest(
                bucket=self.bucket,
                key=key,
                upload_id=upload_id,
                complete_multipart_upload=oss.CompleteMultipartUpload(parts=parts),
            )
        )
        # The object's CRC-64/ECMA (the SDK itself checks each part's against its own).
        crc = Crc64(0)
        crc.update(self.data)
        self.assertEqual(completed.hash_crc64, str(crc.sum64()))
        self.assertEqual(client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=key)).body.read(), self.data)

    def test_object_options_read_back_with_the_sdk(self):
        client, key = self.v2_client((self.s["access_key"], self.s["secret_key"])), self.new_key("options.txt")
        client.put_object(
            oss.PutObjectRequest(
                bucket=self.bucket,
                key=key,
                body=b"x",
                storage_class="IA",
                acl="private",
                tagging="a=b&c=d",
                cache_control="no-cache",
                content_disposition="inline",
                metadata={"title": "%E4%BD%A0"},
            )
        )
        head = client.head_object(oss.HeadObjectRequest(bucket=self.bucket, key=key))
        self.assertEqual(
            (head.storage_class, head.tagging_count, head.cache_control, head.content_disposition, head.metadata),
            ("IA", 2, "no-cache", "inline", {"title": "%E4%BD%A0"}),
        )

    def test_v2_sdk_v4_long_term_key(self):
        self.upload_with_v2_sdk((self.s["access_key"], self.s["secret_key"]))

    def test_v2_sdk_v4_temporary_key(self):
        t = temporary_keys("oss")
        self.upload_with_v2_sdk((t["accessKeyId"], t["secretAccessKey"], t["sessionToken"]))

    def test_v2_sdk_v1_temporary_key(self):
        """SignerV1 of this SDK sends its token in an unsigned `security-token` header."""
        t = temporary_keys("oss")
        client = self.v2_client((t["accessKeyId"], t["secretAccessKey"], t["sessionToken"]), "v1")
        key = self.new_key("v2 sdk v1.txt")
        client.put_object(oss.PutObjectRequest(bucket=self.bucket, key=key, body=b"signed with V1"))
        self.assertEqual(
            client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=key)).body.read(), b"signed with V1"
        )

    def test_oss2_v1_temporary_key(self):
        t = temporary_keys("oss")
        auth = oss2.StsAuth(t["accessKeyId"], t["secretAccessKey"], t["sessionToken"])
        bucket = oss2.Bucket(auth, self.endpoint, self.bucket)
        key = self.new_key("oss2 file.bin")
        upload_id = bucket.init_multipart_upload(key).upload_id
        parts = [
            oss2.models.PartInfo(n, bucket.upload_part(key, upload_id, n, chunk).etag)
            for n, chunk in enumerate(parts_of(self.data, 5 * MIB), 1)
        ]
        self.assertEqual([p.part_number for p in oss2.PartIterator(bucket, key, upload_id)], [1, 2, 3])
        self.assertEqual([u.upload_id for u in oss2.MultipartUploadIterator(bucket, prefix=key)], [upload_id])
        bucket.complete_multipart_upload(key, upload_id, parts)
        self.assertEqual(bucket.get_object(key).read(), self.data)


class Errors(Live):
    """The gateway's refusals, in OSS's error document with its request id."""

    def test_wrong_secret(self):
        root = self.assertServiceError(
            self.send("GET", "", [("uploads", "")], secret="not-the-secret"), 403, "SignatureDoesNotMatch"
        )
        self.assertTrue(root.findtext("StringToSign").startswith("OSS4-HMAC-SHA256\n"))
        v1 = self.send("GET", "", [("uploads", "")], secret="not-the-secret", scheme="v1")
        self.assertServiceError(v1, 403, "SignatureDoesNotMatch")

    def test_unknown_key(self):
        self.assertServiceError(self.send("GET", "", [("uploads", "")], ak="no-such-key"), 403, "InvalidAccessKeyId")

    def test_temporary_key_needs_its_token(self):
        t = temporary_keys("oss")
        ak, secret = t["accessKeyId"], t["secretAccessKey"]
        for scheme in ("v4", "v1"):
            with self.subTest(scheme):
                self.assertServiceError(
                    self.send("GET", "", [("uploads", "")], ak=ak, secret=secret, scheme=scheme),
                    403,
                    "InvalidAccessKeyId",
                )
                wrong = self.send("GET", "", [("uploads", "")], ak=ak, secret=secret, token="wrong", scheme=scheme)
                self.assertServiceError(wrong, 403, "InvalidSecurityToken")
                right = self.send(
                    "GET", "", [("uploads", "")], ak=ak, secret=secret, token=t["sessionToken"], scheme=scheme
                )
                self.assertEqual(right.status, 200, right.data)

    def test_expired_token(self):
        t = self.post_json("/_sts", {"durationSeconds": 1})
        time.sleep(1.2)
        answer = self.send(
            "GET", "", [("uploads", "")], ak=t["accessKeyId"], secret=t["secretAccessKey"], token=t["sessionToken"]
        )
        self.assertEqual(self.assertServiceError(answer, 403, "SecurityTokenExpired").findtext("EC"), "0002-00000007")

    def test_request_time_too_skewed(self):
        late = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
        for scheme in ("v4", "v1"):
            with self.subTest(scheme):
                answer = self.send("GET", "", [("uploads", "")], signed_at=late, scheme=scheme)
                self.assertServiceError(answer, 403, "RequestTimeTooSkewed")

    def test_expired_presigned_url(self):
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        for signer in (SignerV4(), SignerV1()):
            with self.subTest(type(signer).__name__):
                request = self.sdk_request("GET", "", [("uploads", "")], {})
                context = self.context(request, "", None, None, None, past)
                context.auth_method_query, context.expiration_time = True, past + datetime.timedelta(seconds=60)
                signer.sign(context)
                root = self.assertServiceError(HTTP.request("GET", request.url), 403, "AccessDenied")
                self.assertEqual(root.findtext("Message"), "Request has expired.")

    def test_content_md5(self):
        key = self.new_key("md5")
        upload_id = self.initiate(key)
        part = [("partNumber", "1"), ("uploadId", upload_id)]
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        self.assertServiceError(self.send("PUT", key, part, {"content-md5": wrong}, b"data"), 400, "BadDigest")
        self.assertServiceError(self.send("PUT", key, part, {"content-md5": "not-md5"}, b"data"), 400, "InvalidDigest")
        self.send("DELETE", key, [("uploadId", upload_id)])

    def test_part_below_100_kb_is_too_small(self):
        key = self.new_key("small")
        upload_id = self.initiate(key)
        etags = []
        for number, size in ((1, 100 * 1024 - 1), (2, 10)):
            answer = self.send("PUT", key, [("partNumber", str(number)), ("uploadId", upload_id)], body=b"x" * size)
            etags.append(answer.headers["etag"])
        xml = (
            "<CompleteMultipartUpload>"
            + "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1))
            + "</CompleteMultipartUpload>"
        )
        answer = self.send("POST", key, [("uploadId", upload_id)], {"content-type": "application/xml"}, xml.encode())
        self.assertServiceError(answer, 400, "EntityTooSmall")
        self.send("DELETE", key, [("uploadId", upload_id)])


class Protocol(Live):
    """Pagination, presigned URLs from the development backend's route, and both addressing styles."""

    def test_list_parts_one_per_page(self):
        key = self.new_key("pages")
        upload_id = self.initiate(key)
        for number in (1, 2, 3):
            self.send("PUT", key, [("partNumber", str(number)), ("uploadId", upload_id)], body=b"part %d" % number)
        seen, marker = [], "0"
        while True:
            page = [("max-parts", "1"), ("part-number-marker", marker), ("uploadId", upload_id)]
            answer = self.send("GET", key, page)
            root = ET.fromstring(answer.data)
            self.assertEqual(root.tag, "ListPartsResult")
            seen += [p.findtext("PartNumber") for p in root.findall("Part")]
            self.assertRegex(root.find("Part/ETag").text, r'^"[0-9A-F]{32}"$')
            if root.findtext("IsTruncated") != "true":
                break
            marker = root.findtext("NextPartNumberMarker")
        self.assertEqual(seen, ["1", "2", "3"])
        self.send("DELETE", key, [("uploadId", upload_id)])

    def test_list_uploads_one_per_page(self):
        prefix = self.new_key("")
        made = [(f"{prefix}{name}", self.initiate(f"{prefix}{name}")) for name in ("a", "b", "c")]
        seen, key_marker, id_marker = [], "", ""
        while True:
            answer = self.send(
                "GET",
                "",
                [
                    ("key-marker", key_marker),
                    ("max-uploads", "1"),
                    ("prefix", prefix),
                    ("upload-id-marker", id_marker),
                    ("uploads", ""),
                ],
            )
            root = ET.fromstring(answer.data)
            seen += [(u.findtext("Key"), u.findtext("UploadId")) for u in root.findall("Upload")]
            if root.findtext("IsTruncated") != "true":
                break
            key_marker, id_marker = root.findtext("NextKeyMarker"), root.findtext("NextUploadIdMarker")
        self.assertEqual(seen, made)
        for key, upload_id in made:
            self.send("DELETE", key, [("uploadId", upload_id)])

    def test_presigned_part_urls(self):
        key = self.new_key("presigned part")
        upload_id = self.initiate(key)
        body = b"presigned bytes"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        for number, scheme in ((1, "oss-v4"), (2, "oss-v1"), (3, None)):
            with self.subTest(scheme):
                spec = {
                    "operation": "uploadPart",
                    "method": "PUT",
                    "bucket": self.bucket,
                    "key": key,
                    "uploadId": upload_id,
                    "partNumber": number,
                    "query": {"partNumber": str(number), "uploadId": upload_id},
                    "headers": {"content-md5": md5},
                }
                signed = self.post_json("/_presign", {"request": spec, "expiresIn": 60, "scheme": scheme})
                self.assertTrue(signed["url"].startswith(f"{self.endpoint}/{self.bucket}/"))
                answer = HTTP.request("PUT", signed["url"], body=body, headers=signed["headers"])
                self.assertEqual(answer.status, 200, answer.data)
                self.assertEqual(answer.headers["etag"], f'"{hashlib.md5(body).hexdigest().upper()}"')
        self.send("DELETE", key, [("uploadId", upload_id)])

    def test_presigning_an_unknown_scheme_is_refused(self):
        spec = {
            "operation": "putObject",
            "method": "PUT",
            "bucket": self.bucket,
            "key": "k",
            "query": {},
            "headers": {},
        }
        body = {"accessKeyId": self.s["access_key"], "secretAccessKey": self.s["secret_key"], "request": spec}
        answer = HTTP.request("POST", self.endpoint + "/_presign", body=json.dumps({**body, "scheme": "ks3-v2"}))
        self.assertEqual(answer.status, 400, answer.data)
        self.assertIn("oss-v4 or oss-v1", json.loads(answer.data)["error"])

    def test_virtual_hosted_addressing(self):
        key = self.new_key("virtual")
        port = urlsplit(self.endpoint).port
        answer = self.send("PUT", key, body=b"virtual", host=f"{self.bucket}.localhost:{port}")
        self.assertEqual(answer.status, 200, answer.data)
        self.assertEqual(self.send("GET", key).data, b"virtual")


if __name__ == "__main__":
    unittest.main()
