"""One local service gateway: parses a request, lets its dialect check the signature (with the
vendor's SDK), carries the operation out on SeaweedFS and answers in the dialect.

Every dialect module (`dialects/oss.py`, `obs.py`, `nos.py`, `ks3.py`) defines a `Dialect` subclass; this
module owns what they share: addressing, operations, Content-MD5 and part-size checks, pagination,
CORS, the request id, and two routes for the development backend — `POST /_sts` (temporary keys
for the long-term key pair) and `POST /_presign` (a URL presigned by the vendor's SDK) — and one
for tests, `GET /_requests` (the latest requests and their answers)."""

import base64
import hashlib
import json
import os
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from store import StoreError, unquote_etag


class ServiceError(Exception):
    """An answer in the service's error document: HTTP status, the service's code and message."""

    def __init__(self, status, code, message, **fields):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.fields = status, code, message, fields


@dataclass
class Request:
    method: str
    host: str  # the Host header as sent (with the port)
    path: str  # the path as sent, still percent-encoded
    raw_query: str  # the query as sent, still percent-encoded
    query: list  # [(name, value)] percent-decoded, in order; `uploads` has ""
    headers: dict  # lower-case name → value
    body: bytes
    bucket: str
    key: str  # percent-decoded
    virtual: bool  # virtual-hosted (bucket.localhost) rather than path-style
    received_at: float = 0.0  # epoch seconds when its head arrived (a service checks the time then)

    def param(self, name, default=None):
        return next((v for k, v in self.query if k == name), default)

    def has(self, name):
        return any(k == name for k, _ in self.query)


def parse_request(method, target, headers, body, received_at=0.0):
    """A Request from the request line's target and headers; `<bucket>.localhost` is virtual-hosted."""
    url = urlsplit(target)
    host = headers.get("host", "")
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    virtual = hostname.endswith(".localhost")
    path = unquote(url.path)
    if virtual:
        bucket, key = hostname[: -len(".localhost")], path[1:]
    else:
        bucket, _, key = path[1:].partition("/")
    query = parse_qsl(url.query, keep_blank_values=True)
    return Request(method, host, url.path, url.query, query, headers, body, bucket, key, virtual, received_at)


def operation(req):
    """The operation a request asks for (the names partwise's presign requests use)."""
    m = req.method
    if not req.key:
        return "listMultipartUploads" if m == "GET" and req.has("uploads") else None
    if m == "POST" and req.has("uploads"):
        return "createMultipartUpload"
    if req.has("uploadId"):
        if m == "PUT" and req.has("partNumber"):
            return "uploadPart"
        return {"POST": "completeMultipartUpload", "DELETE": "abortMultipartUpload", "GET": "listParts"}.get(m)
    return {"PUT": "putObject", "HEAD": "headObject", "GET": "getObject"}.get(m)


def iso8601(epoch):
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def xml_document(root, children, namespace=None):
    """An XML document: `children` is a list of (name, text | list of children) pairs."""

    def fill(element, items):
        for name, value in items:
            child = ET.SubElement(element, name)
            if isinstance(value, list):
                fill(child, value)
            elif value is not None:
                child.text = str(value)

    element = ET.Element(root, {"xmlns": namespace} if namespace else {})
    fill(element, children)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8")


def local_children(element, name):
    return [c for c in element if c.tag.rsplit("}", 1)[-1] == name]


def local_text(element, name, default=""):
    found = local_children(element, name)
    return (found[0].text or default) if found else default


class Dialect:
    """What differs between the services. Subclasses set the attributes and implement
    `authenticate` and `presign`; the `render_*` defaults write S3-shaped XML in `namespace`."""

    name = ""  # "oss"
    request_id_header = ""  # "x-oss-request-id"
    header_prefix = ""  # "x-oss-"
    namespace = None
    min_part_size = 5 * 1024 * 1024
    max_page = 1000  # largest page of ListParts / ListMultipartUploads
    # Query names of the list operations: (page size, marker) for ListParts; ListMultipartUploads
    # takes (page size, key marker, upload-id marker).
    list_parts_params = ("max-parts", "part-number-marker")
    list_uploads_params = ("max-uploads", "key-marker", "upload-id-marker")
    endpoint = ""  # the gateway's own http://127.0.0.1:port (set by `serve`), for presigned URLs
    # The HTTP headers an object keeps, besides its type.
    STANDARD_HEADERS = ("cache-control", "content-disposition", "content-encoding", "expires")
    # The service's headers of the object options SeaweedFS keeps (None: the service has none):
    # storage class and tagging. A canned ACL is passed on as `x-amz-acl`, which SeaweedFS takes
    # but does not keep (GetObjectAcl shows the owner only).
    storage_class_header = None  # "x-oss-storage-class"
    acl_header = None  # "x-oss-object-acl"
    tagging_header = None  # "x-oss-tagging"
    # The service's storage classes as S3's (SeaweedFS refuses any other); unlisted ones go as sent.
    storage_classes = {}
    # The response header with the CRC-64/ECMA of a part's or an object's bytes, in decimal, on
    # UploadPart, PutObject and Complete (None: the service reports none).
    crc64_header = None  # "x-oss-hash-crc64ecma"
    # The element that also carries it in CompleteMultipartUploadResult (KS3, as ks3sdk reads it).
    crc64_element = None  # "ChecksumCRC64ECMA"

    # --- to implement ---
    def authenticate(self, req, keyring, now):
        """Checks the request's signature with the vendor SDK; raises ServiceError if it fails."""
        raise NotImplementedError

    def presign(self, key, spec, expires_in, now, scheme=None):
        """`{url, headers}`: the vendor SDK's presigned URL for partwise's request description
        `spec` ({operation, method, bucket, key, query, headers}) signed with `key` (a keys.Key)
        in `scheme` (partwise's scheme name, for services with two; None: the preferred one)."""
        raise NotImplementedError

    # --- defaults a dialect may override ---
    def new_request_id(self):
        return secrets.token_hex(12).upper()

    def content_md5(self, value):
        """The 16-byte digest a Content-MD5 value names (base64 here; NOS: hex); None if malformed."""
        try:
            digest = base64.b64decode(value, validate=True)
        except ValueError:
            return None
        return digest if len(digest) == 16 else None

    def etag(self, hex_digest):
        """The ETag header / element value for a hex digest."""
        return f'"{hex_digest}"'

    def crc64(self, data):
        """The CRC-64/ECMA of `data` as the service writes it (decimal), with the vendor SDK's CRC."""
        raise NotImplementedError

    def crc64_headers(self, data):
        """`{crc64_header: value}` for a part's or object's bytes, or nothing."""
        return {self.crc64_header: self.crc64(data)} if self.crc64_header else {}

    def store_headers(self, req):
        """The S3 headers SeaweedFS gets for an object: type, metadata and the like."""
        names = ("content-type",) + self.STANDARD_HEADERS
        out = {n: req.headers[n] for n in names if n in req.headers}
        meta = f"{self.header_prefix}meta-"
        for name, value in req.headers.items():
            if name.startswith(meta):
                out["x-amz-meta-" + name[len(meta) :]] = value
        for own, s3 in (
            (self.storage_class_header, "x-amz-storage-class"),
            (self.acl_header, "x-amz-acl"),
            (self.tagging_header, "x-amz-tagging"),
        ):
            if own and own in req.headers:
                out[s3] = req.headers[own]
        if "x-amz-storage-class" in out:
            sent = out["x-amz-storage-class"]
            out["x-amz-storage-class"] = self.storage_classes.get(sent, sent)
        return out

    def object_headers(self, stored):
        """Response headers for HEAD/GET from SeaweedFS's headers."""
        names = ("content-type", "content-length", "last-modified") + self.STANDARD_HEADERS
        out = {n: stored[n] for n in names if n in stored}
        out["etag"] = self.etag(unquote_etag(stored.get("etag", "")))
        for name, value in stored.items():
            if name.startswith("x-amz-meta-"):
                out[f"{self.header_prefix}meta-" + name[len("x-amz-meta-") :]] = value
        if self.storage_class_header and "x-amz-storage-class" in stored:
            own = {s3: own for own, s3 in self.storage_classes.items()}
            out[self.storage_class_header] = own.get(stored["x-amz-storage-class"], stored["x-amz-storage-class"])
        if self.tagging_header and "x-amz-tagging-count" in stored:
            out[f"{self.tagging_header}-count"] = stored["x-amz-tagging-count"]
        return out

    def error_code(self, store_error):
        """The service's (status, code) for a SeaweedFS error."""
        return store_error.status, store_error.code

    def error_document(self, error, request_id, req):
        fields = [("Code", error.code), ("Message", error.message), ("RequestId", request_id)]
        fields += [(k, v) for k, v in error.fields.items()]
        return xml_document("Error", fields)

    def render_initiate(self, req, upload_id):
        return xml_document(
            "InitiateMultipartUploadResult",
            [("Bucket", req.bucket), ("Key", req.key), ("UploadId", upload_id)],
            self.namespace,
        )

    def render_complete(self, req, etag, crc64=None):
        """`crc64`: the object's CRC-64/ECMA, written in `crc64_element` where the service has one."""
        crc = [(self.crc64_element, crc64)] if self.crc64_element and crc64 else []
        return xml_document(
            "CompleteMultipartUploadResult",
            [
                ("Location", f"http://{req.host}/{req.bucket}/{req.key}"),
                ("Bucket", req.bucket),
                ("Key", req.key),
                ("ETag", self.etag(etag)),
            ]
            + crc,
            self.namespace,
        )

    # ListPartsResult's elements after UploadId (OBS: Initiator, Owner, StorageClass; NOS: Owner,
    # StorageClass); none in S3's form.
    list_parts_owner = ()

    def list_head(self, req):
        """Elements a list result starts with (OSS: EncodingType); none in S3's form."""
        return []

    def time(self, text):
        """A time from SeaweedFS as the service writes it in lists."""
        return text

    def render_list_parts(self, req, page, marker, max_parts, next_marker):
        """`page`: store.Part list; `next_marker`: None when this is the last page."""
        encode = url_encoder(req)
        return xml_document(
            "ListPartsResult",
            self.list_head(req)
            + [("Bucket", req.bucket), ("Key", encode(req.key)), ("UploadId", req.param("uploadId"))]
            + list(self.list_parts_owner)
            + [
                ("PartNumberMarker", marker),
                ("NextPartNumberMarker", next_marker or (page[-1].number if page else 0)),
                ("MaxParts", max_parts),
                ("IsTruncated", "true" if next_marker else "false"),
            ]
            + [
                (
                    "Part",
                    [
                        ("PartNumber", p.number),
                        ("LastModified", self.time(p.last_modified)),
                        ("ETag", self.etag(p.etag)),
                        ("Size", p.size),
                    ],
                )
                for p in page
            ],
            self.namespace,
        )

    # Elements of each listed upload between UploadId and Initiated (OBS, KS3: Initiator, Owner,
    # StorageClass); none in S3's form.
    upload_owner = ()

    def list_uploads_prefix(self, prefix):
        """The Prefix element of ListMultipartUploadsResult (KS3: only when one was asked for)."""
        return [("Prefix", prefix)]

    def render_list_uploads(self, req, page, prefix, key_marker, upload_id_marker, max_uploads, next_markers):
        """`page`: store.Upload list; `next_markers`: (key, upload id) or None on the last page."""
        encode = url_encoder(req)
        return xml_document(
            "ListMultipartUploadsResult",
            [
                ("Bucket", req.bucket),
                ("KeyMarker", key_marker),
                ("UploadIdMarker", upload_id_marker),
                ("NextKeyMarker", encode(next_markers[0]) if next_markers else ""),
                ("NextUploadIdMarker", next_markers[1] if next_markers else ""),
            ]
            + self.list_uploads_prefix(prefix)
            + [("MaxUploads", max_uploads), ("IsTruncated", "true" if next_markers else "false")]
            + [
                (
                    "Upload",
                    [("Key", encode(u.key)), ("UploadId", u.upload_id)]
                    + list(self.upload_owner)
                    + [("Initiated", u.initiated)],
                )
                for u in page
            ],
            self.namespace,
        )


def url_encoder(req):
    """How keys are written in a list: percent-encoded when the request says `encoding-type=url`."""
    if req.param("encoding-type") == "url":
        return lambda key: quote(key, safe="/")
    return lambda key: key


def page_size(req, name, largest):
    text = req.param(name)
    if text is None:
        return largest
    if not text.isdigit() or int(text) < 1:
        raise ServiceError(400, "InvalidArgument", f"{name} must be a positive integer")
    return min(int(text), largest)


class Gateway:
    """A dialect in front of the store (`store.Store`), serving `bucket`."""

    def __init__(self, dialect, store, keyring):
        self.dialect, self.store, self.keyring = dialect, store, keyring
        # The latest requests, for tests (`GET /_requests`): operation, key, part number, status, code.
        self.requests = deque(maxlen=5000)
        # PARTWISE_GATEWAY_PAGE: a smaller largest page, so that clients' lists paginate.
        self.max_page = min(dialect.max_page, int(os.environ.get("PARTWISE_GATEWAY_PAGE") or dialect.max_page))

    def answer(self, req):
        """(status, headers, body) for one request."""
        d = self.dialect
        origin = req.headers.get("origin")
        cors = {"access-control-allow-origin": origin or "*", "vary": "Origin"}
        if req.method == "OPTIONS":
            return (
                200,
                {
                    **cors,
                    "access-control-allow-methods": "GET, PUT, POST, DELETE, HEAD",
                    "access-control-allow-headers": req.headers.get("access-control-request-headers", "*"),
                    "access-control-max-age": "3000",
                },
                b"",
            )
        exposed = ", ".join(["ETag", "Date", d.request_id_header] + ([d.crc64_header] if d.crc64_header else []))
        cors["access-control-expose-headers"] = exposed
        if req.path in ("/_sts", "/_presign") and req.method == "POST":
            return self.backend_route(req, cors)
        if req.path == "/_requests" and req.method == "GET":
            return 200, {**cors, "content-type": "application/json"}, json.dumps(list(self.requests)).encode()
        status, headers, body, code = self.answer_service(req, cors)
        self.requests.append(
            {
                "operation": operation(req),
                "key": req.key,
                "partNumber": req.param("partNumber"),
                "status": status,
                "code": code,
            }
        )
        return status, headers, body

    def answer_service(self, req, cors):
        """(status, headers, body, error code or None) for a request to the service."""
        d = self.dialect
        request_id = d.new_request_id()
        headers = {**cors, d.request_id_header: request_id, "date": formatdate(usegmt=True)}
        try:
            op = operation(req)
            if op is None:
                raise ServiceError(405, "MethodNotAllowed", "the gateway serves multipart uploads and objects only")
            d.authenticate(req, self.keyring, req.received_at or time.time())
            status, more, body = self.perform(op, req)
            return status, {**headers, **more}, body, None
        except StoreError as e:
            status, code = d.error_code(e)
            error = ServiceError(status, code, e.message)
        except ServiceError as e:
            error = e
        body = b"" if req.method == "HEAD" else d.error_document(error, request_id, req)
        return error.status, {**headers, "content-type": "application/xml"}, body, error.code

    def backend_route(self, req, cors):
        """`/_sts` and `/_presign`, for the development backend (JSON in and out)."""
        asked = json.loads(req.body or b"{}")
        long_term = self.keyring.long_term
        if (asked.get("accessKeyId"), asked.get("secretAccessKey")) != (long_term.access_key_id, long_term.secret):
            return 403, cors, b'{"error": "wrong long-term key"}'
        if req.path == "/_sts":
            key = self.keyring.assume_role(asked.get("durationSeconds"))
            answer = {
                "accessKeyId": key.access_key_id,
                "secretAccessKey": key.secret,
                "sessionToken": key.token,
                "expiration": iso8601(key.expires_at),
            }
        else:
            try:
                answer = self.dialect.presign(
                    long_term, asked["request"], int(asked.get("expiresIn", 900)), time.time(), asked.get("scheme")
                )
            except (KeyError, TypeError, ValueError) as e:
                return 400, cors, json.dumps({"error": f"cannot presign this request: {e!r}"}).encode()
        return 200, {**cors, "content-type": "application/json"}, json.dumps(answer).encode()

    def check_md5(self, req):
        value = req.headers.get("content-md5")
        if value is None:
            return
        digest = self.dialect.content_md5(value)
        if digest is None:
            raise ServiceError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
        if digest != hashlib.md5(req.body).digest():
            raise ServiceError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")

    def perform(self, op, req):
        d, s = self.dialect, self.store
        xml = {"content-type": "application/xml"}
        if op == "createMultipartUpload":
            upload_id = s.initiate(req.bucket, req.key, d.store_headers(req))
            return 200, xml, d.render_initiate(req, upload_id)
        if op == "uploadPart":
            number = req.param("partNumber")
            if not number.isdigit() or not 1 <= int(number) <= 10000:
                raise ServiceError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000")
            self.check_md5(req)
            etag = s.upload_part(req.bucket, req.key, req.param("uploadId"), int(number), {}, req.body)
            return 200, {"etag": d.etag(etag), **d.crc64_headers(req.body)}, b""
        if op == "completeMultipartUpload":
            etag = self.complete(req)
            # The object's CRC, from its stored bytes read back (not from the parts' CRCs).
            crc = d.crc64_headers(s.get(req.bucket, req.key)[1]) if d.crc64_header else {}
            return 200, {**xml, **crc}, d.render_complete(req, etag, crc.get(d.crc64_header))
        if op == "abortMultipartUpload":
            s.abort(req.bucket, req.key, req.param("uploadId"))
            return 204, {}, b""
        if op == "listParts":
            return 200, xml, self.list_parts(req)
        if op == "listMultipartUploads":
            return 200, xml, self.list_uploads(req)
        if op == "putObject":
            self.check_md5(req)
            etag = s.put(req.bucket, req.key, d.store_headers(req), req.body)
            return 200, {"etag": d.etag(etag), **d.crc64_headers(req.body)}, b""
        if op == "headObject":
            return 200, d.object_headers(s.head(req.bucket, req.key)), b""
        stored, body = s.get(req.bucket, req.key)
        return 200, d.object_headers(stored), body

    def complete(self, req):
        """Checks the list against the stored parts (order, ETags, the service's smallest part)."""
        try:
            root = ET.fromstring(req.body)
            listed = [
                (int(local_text(p, "PartNumber")), unquote_etag(local_text(p, "ETag")))
                for p in local_children(root, "Part")
            ]
        except (ET.ParseError, ValueError) as e:
            raise ServiceError(400, "MalformedXML", f"The XML you provided was not well-formed: {e}") from e
        if not listed:
            raise ServiceError(400, "MalformedXML", "The XML you provided lists no part.")
        if [n for n, _ in listed] != sorted({n for n, _ in listed}):
            raise ServiceError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        stored = {p.number: p for p in self.store.parts(req.bucket, req.key, req.param("uploadId"))}
        for i, (number, etag) in enumerate(listed):
            part = stored.get(number)
            if part is None or part.etag != etag:
                raise ServiceError(400, "InvalidPart", f"Part {number} was not uploaded or its ETag differs.")
            if i < len(listed) - 1 and part.size < self.dialect.min_part_size:
                raise ServiceError(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size.",
                    PartNumber=number,
                    ProposedSize=part.size,
                    MinSizeAllowed=self.dialect.min_part_size,
                )
        return self.store.complete(req.bucket, req.key, req.param("uploadId"), listed)

    def list_parts(self, req):
        d = self.dialect
        size_name, marker_name = d.list_parts_params
        max_parts = page_size(req, size_name, self.max_page)
        marker = int(req.param(marker_name) or 0)
        parts = [p for p in self.store.parts(req.bucket, req.key, req.param("uploadId")) if p.number > marker]
        page = parts[:max_parts]
        next_marker = page[-1].number if len(parts) > max_parts else None
        return d.render_list_parts(req, page, marker, max_parts, next_marker)

    def list_uploads(self, req):
        d = self.dialect
        size_name, key_name, id_name = d.list_uploads_params
        max_uploads = page_size(req, size_name, self.max_page)
        prefix, key_marker, id_marker = req.param("prefix", ""), req.param(key_name, ""), req.param(id_name, "")
        uploads = self.store.uploads(req.bucket, prefix)
        if key_marker:
            uploads = [
                u
                for u in uploads
                if u.key > key_marker or (id_marker and u.key == key_marker and u.upload_id > id_marker)
            ]
        page = uploads[:max_uploads]
        next_markers = (page[-1].key, page[-1].upload_id) if len(uploads) > max_uploads else None
        return d.render_list_uploads(req, page, prefix, key_marker, id_marker, max_uploads, next_markers)


def serve(gateway, port=0):
    """Serves the gateway on 127.0.0.1 (`port`, or a free one) in this thread's background."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            received_at = time.time()
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = parse_request(self.command, self.path, headers, body, received_at)
            status, out, payload = gateway.answer(req)
            self.send_response(status)
            for name, value in out.items():
                if name not in ("date", "content-length"):
                    self.send_header(name, value)
            if self.command != "HEAD" or "content-length" not in out:
                self.send_header("content-length", str(len(payload)))
            else:
                self.send_header("content-length", out["content-length"])
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = handle_any

        def log_message(self, *args):
            pass

        def version_string(self):
            return f"partwise-{gateway.dialect.name}-gateway"

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    gateway.dialect.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    return server
