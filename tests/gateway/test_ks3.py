"""The KS3 gateway: ks3sdk's own client against it, the ks3-v4 / ks3-v2 signing vectors through its
verifier, and its error answers over HTTP. Needs the gateway running (scripts/gateways.sh start
DIR, its exports in the environment)."""

import base64
import hashlib
import http.client
import io
import json
import os
import secrets
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import formatdate
from urllib.parse import quote, urlsplit

import support
from dialects import ks3 as dialect  # support puts scripts/gateway on the path
from gateway import Request, ServiceError
from keys import Key
from ks3.utils import Crc64

MIB = 1024 * 1024
FIXTURE = support.ROOT / "tests" / "fixtures" / "ks3" / "list-multipart-uploads.xml"


def local(tag):
    return tag.rsplit("}", 1)[-1]


def text(root, name):
    return next((c.text or "" for c in root if local(c.tag) == name), None)


# --- the vectors -------------------------------------------------------------------------------


def vector_request(case, signature_change=None):
    """The gateway's Request for a vector case, carrying what the signer produced; with
    `signature_change`, one character of the signature is replaced."""
    r = case["request"]
    host = urlsplit(r["endpoint"]).netloc
    if r["addressing"] == "virtual":
        host, path = f"{r['bucket']}.{host}", "/" + quote(r["key"], safe="/~")
    else:
        path = f"/{r['bucket']}" + (f"/{quote(r['key'], safe='/~')}" if r["key"] else "")
    headers = {k.lower(): v for k, v in r["headers"]}
    headers.update({k.lower(): v for k, v in case["expect"]["headers"].items()})
    headers["host"] = host
    query = [tuple(q) for q in r["query"]] + list(case["expect"]["query"].items())
    if signature_change:
        headers, query = signature_change(headers, query)
    return Request(
        r["method"], host, path, "", query, headers, b"", r["bucket"], r["key"], r["addressing"] == "virtual"
    )


def altered(signature):
    """`signature` with one character changed (not its padding)."""
    i = len(signature) // 2
    return signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1 :]


def change_signature(headers, query):
    authorization = headers.get("authorization")
    if authorization:
        head, separator, signature = authorization.rpartition("Signature=" if "KSS4" in authorization else ":")
        return {**headers, "authorization": head + separator + altered(signature)}, query
    return headers, [(k, altered(v) if k in ("Signature", "X-Kss-Signature") else v) for k, v in query]


class CaseKeys:
    """A keyring holding a vector case's key (temporary, unexpired, when the case has a token)."""

    def __init__(self, case):
        c = case["credentials"]
        token = c["session_token"]
        self.key = Key(c["access_key_id"], c["secret_access_key"], token, 4e9 if token else None)

    def lookup(self, access_key_id):
        return self.key if access_key_id == self.key.access_key_id else None


class Vectors(unittest.TestCase):
    """Every ks3-v4 / ks3-v2 case partwise passes is accepted by the gateway's verifier, and
    refused once its signature is changed."""

    def check_scheme(self, scheme):
        cases = support.vectors(scheme)
        self.assertTrue(cases)
        for case in cases:
            with self.subTest(case["id"]):
                now = datetime.fromisoformat(case["time"].replace("Z", "+00:00")).timestamp()
                dialect.Dialect().authenticate(vector_request(case), CaseKeys(case), now)
                with self.assertRaises(ServiceError) as refused:
                    dialect.Dialect().authenticate(vector_request(case, change_signature), CaseKeys(case), now)
                self.assertEqual((refused.exception.status, refused.exception.code), (403, "SignatureDoesNotMatch"))

    def test_ks3_v4(self):
        self.check_scheme("ks3-v4")

    def test_ks3_v2(self):
        self.check_scheme("ks3-v2")


# --- over HTTP ---------------------------------------------------------------------------------


def gateway_address():
    s = support.service("ks3")
    address = urlsplit(s["endpoint"])
    return s, address.hostname, address.port


def send(method, path, headers=None, body=b""):
    """(status, lower-case headers, body) of one request to the gateway; `headers` may name the Host."""
    _, hostname, port = gateway_address()
    connection = http.client.HTTPConnection(hostname, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def send_url(method, url, headers=None, body=b""):
    parts = urlsplit(url)
    return send(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers, body)


def v2_signed(key, method, bucket, object_key, query=(), headers=None, token=None, when=None):
    """Browser-style KS3 V2 headers (x-kss-date, no Date) signed by ks3sdk's canonical_string / encode."""
    signed = {"x-kss-date": formatdate(when or time.time(), usegmt=True), **(headers or {})}
    if token:
        signed["x-kss-security-token"] = token
    string_to_sign = dialect.sdk_auth.canonical_string(method, bucket, object_key, dict(query), signed)
    signed["authorization"] = f"KSS {key.access_key_id}:{dialect.sdk_auth.encode(key.secret, string_to_sign)}"
    return signed


def v4_signed(key, method, host, path, query=(), headers=None):
    """Browser-style KSS4 headers (x-kss-date, UNSIGNED-PAYLOAD, the token) signed by the gateway's
    botocore-based signer; the vectors pin that signer to partwise's."""
    timestamp = datetime.now(UTC).strftime(dialect.V4_TIME)
    signed = {"host": host, "x-kss-date": timestamp, "x-kss-content-sha256": "UNSIGNED-PAYLOAD", **(headers or {})}
    if key.token:
        signed["x-kss-security-token"] = key.token
    request = dialect.v4_request(
        method, dialect.canonical_url(host, path, query), signed, timestamp, "UNSIGNED-PAYLOAD"
    )
    signer = dialect.Kss4Signer(key.secret, "BEIJING")
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signed["authorization"] = (
        f"KSS4-HMAC-SHA256 Credential={key.access_key_id}/{timestamp[:8]}/BEIJING/ks3/"
        f"kss4_request, SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"
    )
    return signed


def query_string(query):
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" if v else quote(k, safe="") for k, v in query)


def long_term():
    s = support.service("ks3")
    return Key(s["access_key"], s["secret_key"])


def temporary(duration=None):
    s = support.service("ks3")
    asked = {"accessKeyId": s["access_key"], "secretAccessKey": s["secret_key"], "durationSeconds": duration}
    request = urllib.request.Request(f"{s['endpoint']}/_sts", json.dumps(asked).encode(), method="POST")
    with urllib.request.urlopen(request) as answer:
        k = json.load(answer)
    return Key(k["accessKeyId"], k["secretAccessKey"], k["sessionToken"])


def unique(name):
    return f"test-ks3/{secrets.token_hex(4)}/{name}"


class Http(unittest.TestCase):
    def setUp(self):
        self.service, self.hostname, self.port = gateway_address()
        self.bucket = self.service["bucket"]
        self.host = f"{self.hostname}:{self.port}"

    def v2(self, method, object_key, query=(), headers=None, key=None, token=None, body=b"", when=None):
        """A path-style V2 request; `token` defaults to the key's own."""
        key = key or long_term()
        token = key.token if token is None else token
        signed = v2_signed(key, method, self.bucket, object_key, query, headers, token, when)
        path = f"/{self.bucket}/{quote(object_key)}" + (f"?{query_string(query)}" if query else "")
        return send(method, path, signed, body)

    def v4(self, method, object_key, query=(), headers=None, key=None, body=b"", virtual=False):
        key = key or long_term()
        host, path = (
            (f"{self.bucket}.localhost:{self.port}", f"/{quote(object_key)}")
            if virtual
            else (self.host, f"/{self.bucket}/{quote(object_key)}" if object_key else f"/{self.bucket}")
        )
        signed = v4_signed(key, method, host, path, query, headers)
        return send(method, path + (f"?{query_string(query)}" if query else ""), signed, body)

    def initiate(self, object_key, **kwargs):
        status, _, body = self.v4("POST", object_key, [("uploads", "")], **kwargs)
        self.assertEqual(status, 200, body)
        return text(ET.fromstring(body), "UploadId")

    def assert_error(self, answer, status, code):
        got_status, headers, body = answer
        root = ET.fromstring(body)
        self.assertEqual((got_status, local(root.tag), text(root, "Code")), (status, "Error", code), body)
        self.assertEqual(text(root, "RequestId"), headers["x-kss-request-id"])
        self.assertIsNotNone(text(root, "Resource"))
        return root

    def test_wrong_secret(self):
        answer = self.v2("POST", unique("a"), [("uploads", "")], key=Key(long_term().access_key_id, "wrong"))
        root = self.assert_error(answer, 403, "SignatureDoesNotMatch")
        self.assertTrue(text(root, "StringToSign").endswith("?uploads"))

    def test_unknown_key(self):
        self.assert_error(
            self.v4("POST", unique("a"), [("uploads", "")], key=Key("nobody", "x")), 403, "InvalidAccessKeyId"
        )

    def test_temporary_key_needs_its_own_token(self):
        key = temporary()
        self.assertEqual(self.v2("POST", unique("a"), [("uploads", "")], key=key)[0], 200)
        self.assert_error(self.v2("POST", unique("a"), [("uploads", "")], key=key, token=""), 403, "InvalidAccessKeyId")
        self.assert_error(self.v2("POST", unique("a"), [("uploads", "")], key=key, token="wrong"), 400, "InvalidToken")
        self.assert_error(
            self.v4("POST", unique("a"), [("uploads", "")], key=Key(key.access_key_id, key.secret)),
            403,
            "InvalidAccessKeyId",
        )

    def test_expired_token(self):
        key = temporary(duration=1)
        self.assertEqual(self.v4("POST", unique("a"), [("uploads", "")], key=key)[0], 200)
        time.sleep(1.1)
        self.assert_error(self.v4("POST", unique("a"), [("uploads", "")], key=key), 400, "ExpiredToken")
        self.assert_error(self.v2("POST", unique("a"), [("uploads", "")], key=key), 400, "ExpiredToken")

    def test_request_time_too_skewed(self):
        root = self.assert_error(
            self.v2("POST", unique("a"), [("uploads", "")], when=time.time() - 20 * 60), 403, "RequestTimeTooSkewed"
        )
        self.assertIsNotNone(text(root, "ServerTime"))

    def presign(self, spec, scheme, key=None, now=None, expires_in=900):
        d = dialect.Dialect()
        d.endpoint = self.service["endpoint"]
        return d.presign(key or long_term(), spec, expires_in, now or time.time(), scheme)

    def initiate_spec(self, object_key):
        return {
            "operation": "createMultipartUpload",
            "method": "POST",
            "bucket": self.bucket,
            "key": object_key,
            "query": {"uploads": ""},
            "headers": {"content-type": "application/octet-stream"},
        }

    def test_presigned_urls(self):
        for scheme in ("ks3-v4", "ks3-v2", None):
            for key in (long_term(), temporary()):
                with self.subTest(scheme=scheme, temporary=bool(key.token)):
                    signed = self.presign(self.initiate_spec(unique("p")), scheme, key)
                    status, _, body = send_url("POST", signed["url"], signed["headers"])
                    self.assertEqual(status, 200, body)

    def test_presign_route(self):
        s = self.service
        for scheme in ("ks3-v4", "ks3-v2"):
            asked = {
                "accessKeyId": s["access_key"],
                "secretAccessKey": s["secret_key"],
                "expiresIn": 60,
                "scheme": scheme,
                "request": self.initiate_spec(unique("r")),
            }
            request = urllib.request.Request(f"{s['endpoint']}/_presign", json.dumps(asked).encode(), method="POST")
            with urllib.request.urlopen(request) as answer:
                signed = json.load(answer)
            self.assertTrue(signed["url"].startswith(s["endpoint"] + "/"), signed["url"])
            self.assertEqual(send_url("POST", signed["url"], signed["headers"])[0], 200)

    def test_expired_presigned_url(self):
        for scheme in ("ks3-v4", "ks3-v2"):
            with self.subTest(scheme):
                signed = self.presign(self.initiate_spec(unique("e")), scheme, now=time.time() - 120, expires_in=60)
                self.assert_error(send_url("POST", signed["url"], signed["headers"]), 403, "AccessDenied")

    def test_content_md5(self):
        object_key = unique("md5")
        upload_id = self.initiate(object_key)
        part = [("partNumber", "1"), ("uploadId", upload_id)]
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        self.assert_error(self.v2("PUT", object_key, part, {"content-md5": wrong}, body=b"part"), 400, "BadDigest")
        self.assert_error(
            self.v2("PUT", object_key, part, {"content-md5": "not base64!"}, body=b"part"), 400, "InvalidDigest"
        )
        right = base64.b64encode(hashlib.md5(b"part").digest()).decode()
        status, headers, _ = self.v2("PUT", object_key, part, {"content-md5": right}, body=b"part")
        self.assertEqual((status, headers["etag"]), (200, f'"{hashlib.md5(b"part").hexdigest()}"'))

    def test_part_smaller_than_100_kb(self):
        object_key = unique("small")
        upload_id = self.initiate(object_key)
        etags = []
        for number, size in ((1, 1000), (2, 10)):
            status, headers, _ = self.v4(
                "PUT", object_key, [("partNumber", str(number)), ("uploadId", upload_id)], body=b"x" * size
            )
            etags.append(headers["etag"])
        xml = (
            "<CompleteMultipartUpload>"
            + "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1))
            + "</CompleteMultipartUpload>"
        )
        root = self.assert_error(
            self.v4("POST", object_key, [("uploadId", upload_id)], body=xml.encode()), 400, "EntityTooSmall"
        )
        self.assertEqual(text(root, "MinSizeAllowed"), str(100 * 1024))

    def test_list_parts_one_per_page(self):
        object_key = unique("parts")
        upload_id = self.initiate(object_key, virtual=True)
        for number in (1, 2, 3):
            query = [("partNumber", str(number)), ("uploadId", upload_id)]
            self.assertEqual(self.v4("PUT", object_key, query, body=b"p", virtual=True)[0], 200)
        seen, marker = [], "0"
        for _ in range(4):
            status, _, body = self.v4(
                "GET",
                object_key,
                [("uploadId", upload_id), ("max-parts", "1"), ("part-number-marker", marker)],
                virtual=True,
            )
            root = ET.fromstring(body)
            self.assertEqual(
                (status, local(root.tag), root.tag.split("}")[0][1:]), (200, "ListPartsResult", dialect.S3_NAMESPACE)
            )
            seen += [text(p, "PartNumber") for p in root if local(p.tag) == "Part"]
            if text(root, "IsTruncated") != "true":
                break
            marker = text(root, "NextPartNumberMarker")
        self.assertEqual(seen, ["1", "2", "3"])

    def test_list_uploads_one_per_page_in_the_documented_form(self):
        prefix = unique("")
        uploads = sorted((f"{prefix}{name}", self.initiate(f"{prefix}{name}")) for name in ("a", "b", "c"))
        seen, markers = [], [("key-marker", ""), ("upload-id-marker", "")]
        for _ in range(4):
            status, _, body = self.v2("GET", "", [("uploads", ""), ("prefix", prefix), ("max-uploads", "1")] + markers)
            root = ET.fromstring(body)
            self.assertEqual(status, 200, body)
            seen += [(text(u, "Key"), text(u, "UploadId")) for u in root if local(u.tag) == "Upload"]
            if text(root, "IsTruncated") != "true":
                break
            markers = [
                ("key-marker", text(root, "NextKeyMarker")),
                ("upload-id-marker", text(root, "NextUploadIdMarker")),
            ]
        self.assertEqual(seen, uploads)
        self.assert_documented_form(root)

    def assert_documented_form(self, root):
        """The answer's elements are the fixture's, in its order (Prefix added, since one was asked for)."""
        documented = ET.parse(FIXTURE).getroot()
        names = [local(c.tag) for c in root if local(c.tag) != "Prefix"]
        self.assertEqual(root.tag, documented.tag)
        self.assertEqual(
            sorted(set(names), key=names.index),
            sorted({local(c.tag) for c in documented}, key=[local(c.tag) for c in documented].index),
        )
        upload, documented_upload = (next(c for c in r if local(c.tag) == "Upload") for r in (root, documented))
        self.assertEqual([local(c.tag) for c in upload], [local(c.tag) for c in documented_upload])

    def test_virtual_hosted_v2(self):
        object_key = unique("v")
        signed = v2_signed(long_term(), "POST", self.bucket, object_key, [("uploads", "")])
        signed["host"] = f"{self.bucket}.localhost:{self.port}"
        status, _, body = send("POST", f"/{quote(object_key)}?uploads", signed)
        self.assertEqual(status, 200, body)


# --- ks3sdk's own client -----------------------------------------------------------------------


class SdkClient(unittest.TestCase):
    """A multipart upload through ks3sdk's client API (V2 header auth, path-style; CRC checks off
    because the gateway does not answer X-Kss-Checksum-Crc64ecma)."""

    def connection(self, key):
        s, hostname, port = gateway_address()
        c = dialect.sdk_connection
        connection = c.Connection(
            key.access_key_id,
            key.secret,
            host=hostname,
            port=port,
            calling_format=c.PathCallingFormat(),
            enable_crc=True,
        )
        return connection.get_bucket(s["bucket"])

    @staticmethod
    def token(key):
        """ks3sdk has no session tokens: a temporary key's goes along as an extra (signed) x-kss- header."""
        return {"x-kss-security-token": key.token} if key.token else None

    def upload(self, key):
        """Uploads 2 × 5 MiB + 1000 bytes: (bucket, upload, object key, data, [(number, ETag)])."""
        bucket, object_key = self.connection(key), unique("sdk.bin")
        data = os.urandom(2 * 5 * MIB + 1000)
        upload = bucket.initiate_multipart_upload(object_key, headers=self.token(key))
        etags = []
        for number, start in enumerate(range(0, len(data), 5 * MIB), 1):
            part = io.BytesIO(data[start : start + 5 * MIB])
            answer = upload.upload_part_from_file(part, number, headers=self.token(key))
            etags.append((number, answer.getheader("etag")))
        return bucket, upload, object_key, data, etags

    @staticmethod
    def listed_parts(upload):
        """Every part, page by page. ks3sdk's own iteration (`for part in upload`, which
        `complete_upload` uses) stops after the first page: `get_all_parts` never updates the
        upload's `is_truncated`."""
        parts, marker = [], None
        while page := list(upload.get_all_parts(part_number_marker=marker)):
            parts += [(p.part_number, p.etag, p.size) for p in page]
            marker = page[-1].part_number
        return parts

    def complete(self, bucket, upload, etags, key):
        xml = (
            "<CompleteMultipartUpload>"
            + "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in etags)
            + "</CompleteMultipartUpload>"
        )
        return bucket.complete_multipart_upload(upload.key_name, upload.id, xml, headers=self.token(key))

    def test_multipart_upload_with_long_term_keys(self):
        key = long_term()
        bucket, upload, object_key, data, etags = self.upload(key)
        parts = self.listed_parts(upload)
        self.assertEqual([(n, size) for n, _, size in parts], [(1, 5 * MIB), (2, 5 * MIB), (3, 1000)])
        self.assertEqual([(n, etag) for n, etag, _ in parts], etags)
        listed = [(u.key_name, u.id) for u in bucket.list_multipart_uploads(prefix=object_key)]
        self.assertEqual(listed, [(object_key, upload.id)])
        completed = self.complete(bucket, upload, etags, key)
        # The object's CRC-64/ECMA (ks3sdk with enable_crc checks each part's against its own).
        crc = Crc64()
        crc.update(data)
        self.assertEqual(int(completed.ChecksumCRC64ECMA), crc.crc)
        self.assertEqual(completed.response_metadata.headers.get("x-kss-checksum-crc64ecma"), str(crc.crc))
        self.assertEqual(bucket.get_key(object_key).get_contents_as_string(), data)

    def test_multipart_upload_with_temporary_keys(self):
        """ks3sdk's part listing takes no extra headers (no token): the ETags come from the uploads."""
        key = temporary()
        bucket, upload, object_key, data, etags = self.upload(key)
        self.complete(bucket, upload, etags, key)
        self.assertEqual(bucket.get_key(object_key).get_contents_as_string(headers=self.token(key)), data)


if __name__ == "__main__":
    unittest.main()
