"""The OBS gateway (scripts/gateway/dialects/obs.py) against esdk-obs-python's own client, the obs signing
vectors, and its error answers over HTTP. Needs the gateway running with its PARTWISE_LOCAL_OBS_*
variables exported (scripts/gateways.sh start DIR)."""

import base64
import hashlib
import http.client
import json
import secrets
import socket
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import formatdate
from urllib.parse import quote, urlsplit

import gateway
import obs as sdk  # esdk-obs-python
from dialects import obs
from keys import Key, Keyring
from support import service, temporary_keys, vectors

MIB = 1024 * 1024
SERVICE = service("obs")
ENDPOINT, BUCKET = SERVICE["endpoint"], SERVICE["bucket"]
resolve = socket.getaddrinfo


def setUpModule():
    # The SDK addresses buckets virtual-hosted (`partwise-obs.localhost:port`); the resolver here
    # may not know `*.localhost`, so it is answered with the loopback address.
    socket.getaddrinfo = lambda host, *rest, **kw: resolve(
        "127.0.0.1" if str(host).endswith(".localhost") else host, *rest, **kw
    )


def tearDownModule():
    socket.getaddrinfo = resolve


def sdk_client(access_key=SERVICE["access_key"], secret=SERVICE["secret_key"], token=None):
    port = urlsplit(ENDPOINT).port
    return sdk.ObsClient(
        access_key_id=access_key,
        secret_access_key=secret,
        security_token=token,
        server=f"http://localhost:{port}",
        is_signature_negotiation=False,
        max_retry_count=0,
    )


def fresh_key(name):
    return f"obs-test/{secrets.token_hex(4)}/{name}"


def md5_base64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def send(
    method,
    key="",
    query=(),
    headers=None,
    body=b"",
    *,
    access_key=SERVICE["access_key"],
    secret=SERVICE["secret_key"],
    token=None,
    date=None,
    endpoint=ENDPOINT,
):
    """A path-style request signed by the SDK's signer as a browser would send it (`x-obs-date`);
    (status, lower-case headers, body)."""
    headers = {**(headers or {}), "x-obs-date": date or formatdate(usegmt=True)}
    if token is not None:
        headers["x-obs-security-token"] = token
    signer = sdk.auth.Authentication(access_key, secret, False, sdk.convertor.Adapter("obs"), "", False)
    headers["Authorization"] = signer.doAuth(method, BUCKET, key, {k: v or None for k, v in query}, headers)[
        "Authorization"
    ]
    target = f"/{BUCKET}" + (f"/{quote(key)}" if key else "")
    if query:
        target += "?" + "&".join(k if v == "" else f"{k}={quote(v, safe='')}" for k, v in query)
    return fetch(method, endpoint + target, headers, body)


def fetch(method, url, headers=None, body=b""):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def presigned(request, expires_in=900):
    body = json.dumps(
        {
            "accessKeyId": SERVICE["access_key"],
            "secretAccessKey": SERVICE["secret_key"],
            "request": request,
            "expiresIn": expires_in,
        }
    ).encode()
    status, _, answer = fetch("POST", f"{ENDPOINT}/_presign", {"content-type": "application/json"}, body)
    assert status == 200, answer
    return json.loads(answer)


def initiate(key):
    status, _, body = send("POST", key, [("uploads", "")])
    assert status == 200, body
    return ET.fromstring(body).find(f"{{{obs.Dialect.namespace}}}UploadId").text


class ServiceErrorAssertions(unittest.TestCase):
    def assert_error(self, answer, status, code):
        """The OBS error document with `code`, its RequestId the x-obs-request-id header."""
        got_status, headers, body = answer
        root = ET.fromstring(body)
        self.assertEqual((got_status, root.tag, root.findtext("Code")), (status, "Error", code), body)
        self.assertEqual(root.findtext("RequestId"), headers["x-obs-request-id"])
        self.assertTrue(root.findtext("HostId"))
        return root


class SdkClient(unittest.TestCase):
    """esdk-obs-python's ObsClient (native `obs` signature, virtual-hosted) through the gateway."""

    def upload_and_read_back(self, client):
        key = fresh_key("sdk upload.bin")
        data = secrets.token_bytes(5 * MIB) + secrets.token_bytes(5 * MIB) + b"the short last part"
        pieces = [data[: 5 * MIB], data[5 * MIB : 10 * MIB], data[10 * MIB :]]
        upload_id = self.ok(client.initiateMultipartUpload(BUCKET, key)).uploadId
        etags = [
            self.ok(client.uploadPart(BUCKET, key, n, upload_id, piece, isAttachMd5=True)).etag
            for n, piece in enumerate(pieces, 1)
        ]
        listed, marker = [], None
        while True:  # the gateway's pages may hold only 2 parts
            page = self.ok(client.listParts(BUCKET, key, upload_id, partNumberMarker=marker))
            listed += page.parts
            if not page.isTruncated:
                break
            marker = page.nextPartNumberMarker
        self.assertEqual(
            [(p.partNumber, p.etag, p.size) for p in listed],
            [(n, e, len(p)) for n, (e, p) in enumerate(zip(etags, pieces, strict=True), 1)],
        )
        uploads = self.ok(client.listMultipartUploads(BUCKET, sdk.ListMultipartUploadsRequest(prefix=key)))
        self.assertEqual([u.uploadId for u in uploads.upload], [upload_id])
        complete = sdk.CompleteMultipartUploadRequest([sdk.CompletePart(n, e) for n, e in enumerate(etags, 1)])
        self.ok(client.completeMultipartUpload(BUCKET, key, upload_id, complete))
        self.assertEqual(self.ok(client.getObject(BUCKET, key, loadStreamInMemory=True)).buffer, data)

    def ok(self, answer):
        self.assertLess(answer.status, 300, f"{answer.errorCode}: {answer.errorMessage}")
        return answer.body

    def test_a_multipart_upload_with_the_long_term_key(self):
        self.upload_and_read_back(sdk_client())

    def test_a_multipart_upload_with_temporary_keys(self):
        keys = temporary_keys("obs")
        self.upload_and_read_back(sdk_client(keys["accessKeyId"], keys["secretAccessKey"], keys["sessionToken"]))

    def test_small_pages_follow_on_with_the_markers(self):
        client, key = sdk_client(), fresh_key("paged")
        upload_id = self.ok(client.initiateMultipartUpload(BUCKET, key)).uploadId
        for n in (1, 2, 3):
            self.ok(client.uploadPart(BUCKET, key, n, upload_id, b"%d" % n))
        pages, marker = [], None
        while marker != 0:
            page = self.ok(client.listParts(BUCKET, key, upload_id, maxParts=1, partNumberMarker=marker))
            pages.append([p.partNumber for p in page.parts])
            marker = page.nextPartNumberMarker if page.isTruncated else 0
        self.assertEqual(pages, [[1], [2], [3]])

        prefix = fresh_key("")
        started = sorted(
            (f"{prefix}{n}", self.ok(client.initiateMultipartUpload(BUCKET, f"{prefix}{n}")).uploadId)
            for n in (1, 2, 3)
        )
        pages, markers = [], (None, None)
        while markers:
            asked = sdk.ListMultipartUploadsRequest(
                prefix=prefix, max_uploads=1, key_marker=markers[0], upload_id_marker=markers[1]
            )
            page = self.ok(client.listMultipartUploads(BUCKET, asked))
            pages.append([(u.key, u.uploadId) for u in page.upload])
            markers = (page.nextKeyMarker, page.nextUploadIdMarker) if page.isTruncated else None
        self.assertEqual(pages, [[u] for u in started])
        for upload_key, started_id in started + [(key, upload_id)]:
            client.abortMultipartUpload(BUCKET, upload_key, started_id)


def case_request(case, signature_edit=lambda s: s):
    """(Request, keyring, now) for a vector case, with what the signer added and `signature_edit`
    applied to its signature."""
    credentials, request = case["credentials"], case["request"]
    now = datetime.fromisoformat(case["time"].replace("Z", "+00:00")).timestamp()
    token = credentials["session_token"]
    key = Key(credentials["access_key_id"], credentials["secret_access_key"], token, now + 3600 if token else None)
    headers = {n.lower(): v for n, v in request["headers"]}
    query = [tuple(pair) for pair in request["query"]]
    if case["auth"] == "header":
        added = {n.lower(): v for n, v in case["expect"]["headers"].items()}
        scheme, _, signature = added["authorization"].rpartition(":")
        headers.update(added, authorization=f"{scheme}:{signature_edit(signature)}")
    else:
        added = dict(case["expect"]["query"])
        query += [(n, signature_edit(v) if n == "Signature" else v) for n, v in added.items()]
    host = f"{request['bucket']}.{urlsplit(request['endpoint']).hostname}"
    req = gateway.Request(
        request["method"],
        host,
        "/" + quote(request["key"]),
        "",
        query,
        headers,
        b"",
        request["bucket"],
        request["key"],
        True,
    )
    return req, SingleKey(key), now


class SingleKey:
    """A keyring holding one case's key (temporary with the case's token, if it has one)."""

    def __init__(self, key):
        self.key = key

    def lookup(self, access_key_id):
        return self.key if access_key_id == self.key.access_key_id else None


def one_byte_changed(signature):
    return ("B" if signature[0] == "A" else "A") + signature[1:]


class Vectors(unittest.TestCase):
    """Every obs vector (what partwise sends) is accepted by the gateway's SDK-based verifier."""

    def test_every_case_is_accepted(self):
        for case in vectors("obs"):
            with self.subTest(case["id"]):
                obs.Dialect().authenticate(*case_request(case))

    def test_every_case_with_one_byte_of_its_signature_changed_is_refused(self):
        for case in vectors("obs"):
            with self.subTest(case["id"]), self.assertRaises(gateway.ServiceError) as refused:
                obs.Dialect().authenticate(*case_request(case, one_byte_changed))
            self.assertEqual((refused.exception.status, refused.exception.code), (403, "SignatureDoesNotMatch"))


class Errors(ServiceErrorAssertions):
    """The error answers over HTTP, path-style."""

    def test_a_wrong_secret_is_a_signature_mismatch(self):
        root = self.assert_error(send("GET", "any", secret="not-the-secret"), 403, "SignatureDoesNotMatch")
        self.assertEqual(root.findtext("StringToSign").splitlines()[0], "GET")

    def test_an_unknown_key(self):
        self.assert_error(send("GET", "any", access_key="nobody"), 403, "InvalidAccessKeyId")

    def test_a_temporary_key_without_or_with_a_wrong_token(self):
        keys = temporary_keys("obs")
        for token in (None, keys["sessionToken"] + "x"):
            with self.subTest(token=token):
                answer = send("GET", "any", access_key=keys["accessKeyId"], secret=keys["secretAccessKey"], token=token)
                self.assert_error(answer, 403, "InvalidAccessKeyId")

    def test_an_expired_token(self):
        keyring = Keyring("long-term", "long-term-secret")
        expired = keyring.assume_role(now=time.time() - 2 * 86400)
        server = gateway.serve(gateway.Gateway(obs.Dialect(), None, keyring))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            answer = send(
                "GET",
                "any",
                access_key=expired.access_key_id,
                secret=expired.secret,
                token=expired.token,
                endpoint=f"http://127.0.0.1:{server.server_address[1]}",
            )
        finally:
            server.shutdown()
            server.server_close()
        self.assert_error(answer, 403, "InvalidAccessKeyId")

    def test_a_request_time_more_than_15_minutes_off(self):
        date = formatdate(time.time() - 16 * 60, usegmt=True)
        self.assert_error(send("GET", "any", date=date), 403, "RequestTimeTooSkewed")

    def test_an_unsigned_request_is_denied(self):
        self.assert_error(fetch("GET", f"{ENDPOINT}/{BUCKET}/any"), 403, "AccessDenied")

    def test_a_presigned_url_works_until_it_expires(self):
        key, body = fresh_key("presigned"), b"one part"
        upload_id = initiate(key)
        request = {
            "operation": "uploadPart",
            "method": "PUT",
            "bucket": BUCKET,
            "key": key,
            "uploadId": upload_id,
            "partNumber": 1,
            "query": {"partNumber": "1", "uploadId": upload_id},
            "headers": {"content-md5": md5_base64(body)},
        }
        url = presigned(request)
        self.assertTrue(url["url"].startswith(f"{ENDPOINT}/{BUCKET}/"), url["url"])
        status, headers, _ = fetch("PUT", url["url"], url["headers"], body)
        self.assertEqual((status, headers["etag"]), (200, f'"{hashlib.md5(body).hexdigest()}"'))
        expired = presigned(request, expires_in=-1)
        root = self.assert_error(fetch("PUT", expired["url"], expired["headers"], body), 403, "AccessDenied")
        self.assertEqual(root.findtext("Message"), "Request has expired")
        send("DELETE", key, [("uploadId", upload_id)])

    def test_a_content_md5_that_does_not_match_or_is_malformed(self):
        key = fresh_key("md5")
        upload_id = initiate(key)
        query = [("partNumber", "1"), ("uploadId", upload_id)]
        for value, code in ((md5_base64(b"other bytes"), "BadDigest"), ("not-base64!", "InvalidDigest")):
            with self.subTest(code):
                self.assert_error(send("PUT", key, query, {"content-md5": value}, b"the bytes"), 400, code)
        send("DELETE", key, [("uploadId", upload_id)])


if __name__ == "__main__":
    unittest.main()
