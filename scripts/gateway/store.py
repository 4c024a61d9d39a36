"""The local SeaweedFS behind the gateways: each service operation done as S3 requests signed with
botocore, answered as plain Python data. Pagination is the gateways' own (SeaweedFS treats
`key-marker` as an equality filter), so every service's parameter names and page sizes behave."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote

import urllib3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class StoreError(Exception):
    """An S3 error answer of SeaweedFS (`code` such as NoSuchUpload, BadDigest, InvalidPart)."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass
class Part:
    number: int
    etag: str  # lower-case hex, no quotes
    size: int
    last_modified: str  # ISO 8601, as SeaweedFS gives it


@dataclass
class Upload:
    key: str
    upload_id: str
    initiated: str


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _children(element, name):
    return [c for c in element if _local(c.tag) == name]


def _text(element, name, default=""):
    found = _children(element, name)
    return found[0].text or default if found else default


def unquote_etag(etag):
    """An ETag's hex digest: quotes dropped, lower case."""
    return etag.strip().strip('"').lower()


class Store:
    """SeaweedFS at `endpoint` (path-style S3), with its long-term development keys."""

    def __init__(self, endpoint, access_key, secret_key):
        self.endpoint = endpoint.rstrip("/")
        self.credentials = Credentials(access_key, secret_key)
        self.http = urllib3.PoolManager(maxsize=32, retries=False)

    def send(self, method, bucket, key="", query=(), headers=None, body=b""):
        """One signed request; returns (status, lower-case headers, body); raises StoreError."""
        path = f"/{bucket}" + (f"/{quote(key, safe='/-_.~')}" if key else "")
        qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
        url = f"{self.endpoint}{path}" + (f"?{qs}" if qs else "")
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        S3SigV4Auth(self.credentials, "s3", "us-east-1").add_auth(request)
        prepared = request.prepare()
        answer = self.http.request(
            method, prepared.url, body=prepared.body or None, headers=dict(prepared.headers), preload_content=True
        )
        got = {k.lower(): v for k, v in answer.headers.items()}
        if answer.status >= 300:
            code, message = "InternalError", answer.reason or ""
            if answer.data:
                try:
                    root = ET.fromstring(answer.data)
                    code, message = _text(root, "Code", code), _text(root, "Message", message)
                except ET.ParseError:
                    pass
            elif answer.status == 404:
                code = "NoSuchKey"
            raise StoreError(answer.status, code, message)
        return answer.status, got, answer.data

    def create_bucket(self, bucket):
        try:
            self.send("PUT", bucket)
        except StoreError as e:
            if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def initiate(self, bucket, key, headers):
        _, _, body = self.send("POST", bucket, key, [("uploads", "")], headers)
        return _text(ET.fromstring(body), "UploadId")

    def upload_part(self, bucket, key, upload_id, number, headers, body):
        _, got, _ = self.send("PUT", bucket, key, [("partNumber", str(number)), ("uploadId", upload_id)], headers, body)
        return unquote_etag(got.get("etag", ""))

    def parts(self, bucket, key, upload_id):
        """Every part of an upload, by part number (SeaweedFS pages of 1000 followed through)."""
        parts, marker = [], "0"
        while True:
            _, _, body = self.send(
                "GET", bucket, key, [("uploadId", upload_id), ("max-parts", "1000"), ("part-number-marker", marker)]
            )
            root = ET.fromstring(body)
            page = [
                Part(
                    int(_text(p, "PartNumber")),
                    unquote_etag(_text(p, "ETag")),
                    int(_text(p, "Size", "0")),
                    _text(p, "LastModified"),
                )
                for p in _children(root, "Part")
            ]
            parts += page
            if _text(root, "IsTruncated") != "true" or not page:
                return sorted(parts, key=lambda p: p.number)
            marker = str(page[-1].number)

    def complete(self, bucket, key, upload_id, parts):
        """Completes with `parts` [(number, hex etag)]; returns the object's ETag (hex)."""
        xml = (
            "<CompleteMultipartUpload>"
            + "".join(f'<Part><PartNumber>{n}</PartNumber><ETag>"{e}"</ETag></Part>' for n, e in parts)
            + "</CompleteMultipartUpload>"
        )
        _, _, body = self.send(
            "POST", bucket, key, [("uploadId", upload_id)], {"content-type": "application/xml"}, xml.encode()
        )
        root = ET.fromstring(body)
        if _local(root.tag) == "Error":
            raise StoreError(200, _text(root, "Code"), _text(root, "Message"))
        return unquote_etag(_text(root, "ETag"))

    def abort(self, bucket, key, upload_id):
        self.send("DELETE", bucket, key, [("uploadId", upload_id)])

    def uploads(self, bucket, prefix=""):
        """Every unfinished upload under `prefix`, sorted by key then initiation (as S3 lists them)."""
        _, _, body = self.send("GET", bucket, "", [("uploads", ""), ("prefix", prefix)])
        root = ET.fromstring(body)
        found = [
            Upload(_text(u, "Key"), _text(u, "UploadId"), _text(u, "Initiated")) for u in _children(root, "Upload")
        ]
        return sorted(found, key=lambda u: (u.key, u.initiated, u.upload_id))

    def put(self, bucket, key, headers, body):
        _, got, _ = self.send("PUT", bucket, key, (), headers, body)
        return unquote_etag(got.get("etag", ""))

    def head(self, bucket, key):
        return self.send("HEAD", bucket, key)[1]

    def get(self, bucket, key):
        _, got, body = self.send("GET", bucket, key)
        return got, body
