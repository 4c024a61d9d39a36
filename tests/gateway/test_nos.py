"""The NOS gateway (scripts/gateway/dialects/nos.py): nos-python3-sdk's own client against it, the signing
vectors (tests/vectors/nos.json) through its verifier, and its error answers over HTTP.

Run with the gateway started (scripts/gateways.sh, PARTWISE_GATEWAYS=nos) and its
PARTWISE_LOCAL_NOS_* variables exported:
    cd tests/gateway && ../../.tools/venv/bin/python -m unittest test_nos"""

import hashlib
import json
import os
import time
import unittest
import uuid
import warnings
import xml.etree.ElementTree as ET
from base64 import b64encode
from email.utils import formatdate
from urllib.parse import quote, urlsplit

import nos as SDK  # nos-python3-sdk
import support
import urllib3
from dialects import nos
from gateway import Request, ServiceError
from keys import Key

TOKEN = "x-nos-security-token"
MIB = 1024 * 1024
HTTP = urllib3.PoolManager(retries=False)


def setUpModule():
    # The SDK calls urllib3 methods deprecated since urllib3 2.0 (after the runner's own filters).
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="nos")


class LoopbackConnection(SDK.connection.Urllib3HttpConnection):
    """The SDK only addresses `<bucket>.<end_point>` (virtual-hosted); `*.localhost` does not resolve
    here, so this sends to 127.0.0.1 with that name as the Host header."""

    def perform_request(self, method, url, body=None, headers=None, timeout=None, preload_content=False):
        parts = urlsplit(url)
        loopback = parts._replace(netloc=f"127.0.0.1:{parts.port}").geturl()
        return super().perform_request(
            method, loopback, body, {**(headers or {}), "Host": parts.netloc}, timeout, preload_content
        )


def sdk_client(access_key_id, secret):
    port = urlsplit(support.service("nos")["endpoint"]).port
    return SDK.Client(
        access_key_id, secret, end_point=f"localhost:{port}", connection_class=LoopbackConnection, max_retries=0
    )


def unique_key(name):
    return f"nos-test/{uuid.uuid4().hex[:8]}/{name}"


def send(method, key, params=None, headers=None, body=b"", access_key_id=None, secret=None):
    """A path-style request (`key` None: to the bucket) signed by the SDK's `RequestMetaData` (its own
    `Date`), answered as (status, lower-case headers, body)."""
    s = support.service("nos")
    params = params or {}
    signed = SDK.client.auth.RequestMetaData(
        access_key_id or s["access_key"],
        secret or s["secret_key"],
        method,
        s["bucket"],
        key,
        params=params,
        headers=headers or {},
    ).get_headers()
    query = "&".join(k if v is None else f"{k}={quote(str(v), safe='')}" for k, v in params.items())
    url = f"{s['endpoint']}/{s['bucket']}/{quote(key or '')}" + (f"?{query}" if query else "")
    answer = HTTP.request(method, url, body=body or None, headers=signed)
    return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.data


def initiate(key, **signing):
    status, _, body = send("POST", key, {"uploads": None}, **signing)
    assert status == 200, body
    return ET.fromstring(body).findtext("UploadId")


def upload_part(key, upload_id, number, data):
    status, headers, body = send(
        "PUT", key, {"partNumber": number, "uploadId": upload_id}, {"Content-MD5": hashlib.md5(data).hexdigest()}, data
    )
    assert status == 200, body
    return headers["etag"]


def error_of(status_headers_body):
    """(status, Code, the error document's root, request-id header) of an error answer."""
    status, headers, body = status_headers_body
    root = ET.fromstring(body)
    return status, root.findtext("Code"), root, headers.get("x-nos-request-id")


def vector_request(case, tamper=False):
    """The gateway Request a vector case describes, signed as the case expects (or with one byte of
    the signature changed)."""
    r, expect = case["request"], case["expect"]
    query = [tuple(q) for q in r["query"]] + list(expect["query"].items())
    headers = {n.lower(): v for n, v in r["headers"]} | {n.lower(): v for n, v in expect["headers"].items()}
    if tamper and case["auth"] == "header":
        headers["authorization"] = changed(headers["authorization"])
    if tamper and case["auth"] == "query":
        query = [(n, changed(v) if n == "Signature" else v) for n, v in query]
    host = urlsplit(r["endpoint"]).netloc
    virtual = r["addressing"] == "virtual"
    path = f"/{quote(r['key'])}" if virtual else f"/{r['bucket']}/{quote(r['key'])}"
    raw_query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in query)
    return Request(
        r["method"],
        f"{r['bucket']}.{host}" if virtual else host,
        path,
        raw_query,
        query,
        headers,
        b"",
        r["bucket"],
        r["key"],
        virtual,
    )


def changed(signature):
    """The signature with its last base64 character before the padding replaced."""
    body = signature.rstrip("=")
    return body[:-1] + ("A" if body[-1] != "A" else "B") + signature[len(body) :]


class CaseKeys:
    """A keyring holding one vector case's key (temporary, valid for an hour, with a token)."""

    def __init__(self, case, now):
        c = case["credentials"]
        token = c["session_token"]
        self.key = Key(c["access_key_id"], c["secret_access_key"], token, now + 3600 if token else None)

    def lookup(self, access_key_id):
        return self.key if access_key_id == self.key.access_key_id else None


class Vectors(unittest.TestCase):
    """partwise passes tests/vectors/nos.json; the gateway's verifier must accept the same cases."""

    def test_every_case_is_accepted_and_a_changed_signature_is_refused(self):
        cases = support.vectors("nos")
        self.assertGreater(len(cases), 20)
        for case in cases:
            with self.subTest(case["id"]):
                now = time.mktime(time.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
                nos.Dialect().authenticate(vector_request(case), CaseKeys(case, now), now)
                with self.assertRaises(ServiceError) as refused:
                    nos.Dialect().authenticate(vector_request(case, tamper=True), CaseKeys(case, now), now)
                self.assertEqual(refused.exception.code, "SignatureDoesNotMatch")

    def test_an_expired_session_is_refused_with_expired_token(self):
        case = next(c for c in support.vectors("nos") if c["id"] == "nos-header-upload-part-sts")
        now = time.mktime(time.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        with self.assertRaises(ServiceError) as refused:
            nos.Dialect().authenticate(vector_request(case), CaseKeys(case, now - 3601), now)
        self.assertEqual((refused.exception.status, refused.exception.code), (400, "ExpiredToken"))


def every_page(list_page, marker_argument, next_marker_element):
    """Every page of a list the SDK reads one page at a time (the gateways' pages may hold 2)."""
    pages, marker = [], {}
    while True:
        pages.append(list_page(marker)["response"])
        if pages[-1].findtext("IsTruncated") != "true":
            return pages
        marker = {marker_argument: pages[-1].findtext(next_marker_element)}


class SdkClient(unittest.TestCase):
    """nos-python3-sdk's Client (virtual-hosted, its own `Date` in Shanghai time, hex Content-MD5)."""

    def test_multipart_upload_with_long_term_keys(self):
        s = support.service("nos")
        client = sdk_client(s["access_key"], s["secret_key"])
        key = unique_key("holiday video.bin")
        chunks = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(100 * 1024)]
        upload_id = client.create_multipart_upload(s["bucket"], key)["response"].findtext("UploadId")
        etags = [client.upload_part(s["bucket"], key, n, upload_id, data)["etag"] for n, data in enumerate(chunks, 1)]
        self.assertEqual(etags, [hashlib.md5(c).hexdigest() for c in chunks])

        pages = every_page(
            lambda marker: client.list_parts(s["bucket"], key, upload_id, **marker),
            "part_number_marker",
            "NextPartNumberMarker",
        )
        self.assertIsNone(pages[0].tag.partition("}")[2] or None, "no XML namespace")
        self.assertEqual(
            [(int(p.findtext("PartNumber")), int(p.findtext("Size"))) for r in pages for p in r.iter("Part")],
            [(1, 5 * MIB), (2, 5 * MIB), (3, 100 * 1024)],
        )
        uploads = every_page(
            lambda marker: client.list_multipart_uploads(s["bucket"], **marker), "key_marker", "NextKeyMarker"
        )
        self.assertIn(upload_id, [u.findtext("UploadId") for r in uploads for u in r.iter("Upload")])

        info = [{"part_num": n, "etag": e} for n, e in enumerate(etags, 1)]
        client.complete_multipart_upload(s["bucket"], key, upload_id, info)
        got = client.get_object(s["bucket"], key)
        self.assertEqual(got["body"].read(), b"".join(chunks))
        self.assertTrue(got["x_nos_request_id"])

    def test_multipart_upload_with_temporary_keys(self):
        s, sts = support.service("nos"), support.temporary_keys("nos")
        client = sdk_client(sts["accessKeyId"], sts["secretAccessKey"])
        token = {TOKEN: sts["sessionToken"]}
        key = unique_key("temporary.bin")
        data = os.urandom(64 * 1024)
        created = client.create_multipart_upload(s["bucket"], key, meta_data=token)
        upload_id = created["response"].findtext("UploadId")
        # upload_part and get_object take no headers: the SDK's transport sends the token header.
        _, headers, _ = client.transport.perform_request(
            "PUT", s["bucket"], key, body=data, headers=token, params={"partNumber": "1", "uploadId": upload_id}
        )
        client.complete_multipart_upload(
            s["bucket"], key, upload_id, [{"part_num": 1, "etag": headers["etag"].strip('"')}], meta_data=token
        )
        _, _, body = client.transport.perform_request("GET", s["bucket"], key, headers=token)
        self.assertEqual(body.read(), data)

    def test_a_wrong_secret_is_refused_to_the_sdk(self):
        s = support.service("nos")
        with self.assertRaises(SDK.exceptions.ServiceException) as refused:
            sdk_client(s["access_key"], "not-the-secret").list_multipart_uploads(s["bucket"])
        e = refused.exception
        self.assertEqual((e.status_code, e.error_code), (403, "SignatureDoesNotMatch"))
        self.assertTrue(e.request_id)


class Errors(unittest.TestCase):
    """Error answers over HTTP (path-style): NOS's `<Error>` document and `x-nos-request-id`."""

    def test_a_wrong_secret_gives_signature_does_not_match(self):
        status, code, root, request_id = error_of(
            send("POST", unique_key("k"), {"uploads": None}, secret="not-the-secret")
        )
        self.assertEqual((status, code), (403, "SignatureDoesNotMatch"))
        self.assertIsNone(root.tag.partition("}")[2] or None)
        self.assertEqual([c.tag for c in root][:4], ["Code", "Message", "Resource", "RequestId"])
        self.assertEqual(root.findtext("RequestId"), request_id)
        self.assertTrue(request_id)

    def test_an_unknown_key_gives_invalid_access_key_id(self):
        answer = error_of(send("POST", unique_key("k"), {"uploads": None}, access_key_id="nobody"))
        self.assertEqual(answer[:2], (403, "InvalidAccessKeyId"))

    def test_a_temporary_key_needs_its_own_token(self):
        sts = support.temporary_keys("nos")
        signing = {"access_key_id": sts["accessKeyId"], "secret": sts["secretAccessKey"]}
        without = error_of(send("POST", unique_key("k"), {"uploads": None}, **signing))
        self.assertEqual(without[:2], (403, "InvalidAccessKeyId"))
        wrong = error_of(send("POST", unique_key("k"), {"uploads": None}, {TOKEN: "not-the-token"}, **signing))
        self.assertEqual(wrong[:2], (400, "InvalidToken"))
        self.assertTrue(initiate(unique_key("k"), headers={TOKEN: sts["sessionToken"]}, **signing))

    def test_an_expired_session_gives_expired_token(self):
        s = support.service("nos")
        asked = json.dumps({"accessKeyId": s["access_key"], "secretAccessKey": s["secret_key"], "durationSeconds": 1})
        sts = json.loads(HTTP.request("POST", f"{s['endpoint']}/_sts", body=asked).data)
        time.sleep(1.1)
        answer = error_of(
            send(
                "POST",
                unique_key("k"),
                {"uploads": None},
                {TOKEN: sts["sessionToken"]},
                access_key_id=sts["accessKeyId"],
                secret=sts["secretAccessKey"],
            )
        )
        self.assertEqual(answer[:2], (400, "ExpiredToken"))

    def test_a_request_time_off_by_more_than_15_minutes_is_refused(self):
        stale = formatdate(time.time() - 16 * 60, usegmt=True)
        answer = error_of(send("POST", unique_key("k"), {"uploads": None}, {"x-nos-date": stale}))
        self.assertEqual(answer[:2], (403, "RequestTimeTooSkewed"))

    def test_presigned_urls_work_until_they_expire(self):
        s = support.service("nos")
        key = unique_key("presigned.bin")
        upload_id, data = initiate(key), os.urandom(32 * 1024)
        spec = {
            "operation": "uploadPart",
            "method": "PUT",
            "bucket": s["bucket"],
            "key": key,
            "uploadId": upload_id,
            "partNumber": 1,
            "query": {"partNumber": "1", "uploadId": upload_id},
            "headers": {"content-md5": hashlib.md5(data).hexdigest()},
        }
        asked = json.dumps(
            {"accessKeyId": s["access_key"], "secretAccessKey": s["secret_key"], "request": spec, "expiresIn": 60}
        )
        presigned = json.loads(HTTP.request("POST", f"{s['endpoint']}/_presign", body=asked).data)
        answer = HTTP.request("PUT", presigned["url"], body=data, headers=presigned["headers"])
        self.assertEqual(answer.status, 200, answer.data)
        self.assertEqual(answer.headers["etag"], f'"{hashlib.md5(data).hexdigest()}"')

        dialect = nos.Dialect()
        dialect.endpoint = s["endpoint"]
        long_term = Key(s["access_key"], s["secret_key"])
        expired = dialect.presign(long_term, spec, 60, time.time() - 120)
        answer = HTTP.request("PUT", expired["url"], body=data, headers=expired["headers"])
        status, code, root, _ = error_of((answer.status, answer.headers, answer.data))
        self.assertEqual((status, code, root.findtext("Message")), (403, "AccessDenied", "Request has expired"))

    def test_content_md5_is_hex(self):
        key = unique_key("md5.bin")
        upload_id, data = initiate(key), b"part"
        params = {"partNumber": 1, "uploadId": upload_id}
        wrong = error_of(send("PUT", key, params, {"Content-MD5": hashlib.md5(b"other").hexdigest()}, data))
        self.assertEqual(wrong[:2], (400, "BadDigest"))
        base64 = error_of(
            send("PUT", key, params, {"Content-MD5": b64encode(hashlib.md5(data).digest()).decode()}, data)
        )
        self.assertEqual(base64[:2], (400, "InvalidDigest"))

    def test_list_parts_pages_one_part_at_a_time(self):
        key = unique_key("parts.bin")
        upload_id = initiate(key)
        for number in (1, 2, 3):
            upload_part(key, upload_id, number, os.urandom(1024))
        pages, marker = [], "0"
        while True:
            _, _, body = send("GET", key, {"uploadId": upload_id, "max-parts": 1, "part-number-marker": marker})
            root = ET.fromstring(body)
            pages.append([p.findtext("PartNumber") for p in root.iter("Part")])
            self.assertEqual((root.findtext("MaxParts"), root.findtext("StorageClass")), ("1", "STANDARD"))
            self.assertIsNotNone(root.find("Owner/ID"))
            if root.findtext("IsTruncated") != "true":
                break
            marker = root.findtext("NextPartNumberMarker")
        self.assertEqual(pages, [["1"], ["2"], ["3"]])

    def test_list_multipart_uploads_pages_one_upload_at_a_time(self):
        prefix = unique_key("")
        started = sorted((key, initiate(key)) for key in (f"{prefix}a", f"{prefix}b", f"{prefix}c"))
        pages, markers = [], {}
        while True:
            status, _, body = send("GET", None, {"uploads": None, "prefix": prefix, "max-uploads": 1, **markers})
            self.assertEqual(status, 200, body)
            root = ET.fromstring(body)
            pages.append([(u.findtext("Key"), u.findtext("UploadId")) for u in root.iter("Upload")])
            if root.findtext("IsTruncated") != "true":
                break
            markers = {
                "key-marker": root.findtext("NextKeyMarker"),
                "upload-id-marker": root.findtext("NextUploadIdMarker"),
            }
        self.assertEqual(pages, [[u] for u in started])
        for key, upload_id in started:
            self.assertEqual(send("DELETE", key, {"uploadId": upload_id})[0], 204)


if __name__ == "__main__":
    unittest.main()
