"""Alibaba Cloud OSS: OSS4-HMAC-SHA256 (partwise's `oss-v4`) and OSS HMAC-SHA1 (`oss-v1`), each in
header and presigned-URL form. Every signature is recomputed by alibabacloud-oss-v2's own
`SignerV4` / `SignerV1` from the incoming request and compared with the one sent; answers are OSS's:
no XML namespace, upper-case hex ETags, `encoding-type=url` honoured, OSS's error document and codes.

Adaptations of the SDK's inputs (it signs what a client built, the gateway checks what arrived):
header values are trimmed (OSS documents `Trim(value)`; browsers strip them anyway); the query is
re-encoded as the SDK's client encodes it (RFC 3986, `quote(safe='')`), since `SignerV4` takes
the query string as it finds it; the signing time comes from `x-oss-date` (V1: or `Date`) and is
handed to the SDK as `signing_time`; for V1 header auth the SDK gets the key without its token, so
that it signs the request's own `x-oss-security-token` header as an `x-oss-` header (as oss2 and
the OSS documentation do) instead of adding an unsigned `security-token` header."""

import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, quote, urlsplit

import gateway
from alibabacloud_oss_v2.crc import Crc64
from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext
from gateway import ServiceError, xml_document

REGION = "cn-hangzhou"  # the region presigned URLs name; requests may sign any region
PRODUCT = "oss"
SKEW_SECONDS = 15 * 60
LONGEST_V4_URL = 604800  # x-oss-expires, seconds
V4_ALGORITHM = "OSS4-HMAC-SHA256"
V4_DATE = "%Y%m%dT%H%M%SZ"
# Query parameters that carry a URL signature, not part of the request itself.
V4_QUERY_AUTH = {"x-oss-signature"}
V1_QUERY_AUTH = {"Signature"}


def utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC)


def denied(code, message, status=403, **fields):
    return ServiceError(status, code, message, **fields)


def skew_error(signed_at, now):
    return denied(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        RequestTime=gateway.iso8601(signed_at.timestamp()),
        ServerTime=gateway.iso8601(now),
    )


def check_skew(signed_at, now):
    if abs(signed_at.timestamp() - now) > SKEW_SECONDS:
        raise skew_error(signed_at, now)


def expired_url(expires_at, now):
    return denied(
        "AccessDenied", "Request has expired.", Expires=gateway.iso8601(expires_at), ServerTime=gateway.iso8601(now)
    )


def v4_time(text):
    try:
        return datetime.datetime.strptime(text or "", V4_DATE).replace(tzinfo=datetime.UTC)
    except ValueError:
        raise denied("AccessDenied", "The x-oss-date is missing or not in the form yyyyMMddTHHmmssZ.") from None


def http_time(text):
    try:
        return parsedate_to_datetime(text).astimezone(datetime.UTC)
    except (TypeError, ValueError):
        raise denied("AccessDenied", "The request has no valid x-oss-date or Date header.") from None


def check_key(keyring, access_key_id, token, now):
    """The key the request names, if its session token (or the lack of one) fits and is current."""
    key = keyring.lookup(access_key_id)
    # A token with a long-term key makes OSS look for an STS key of that id (EC 0002-00000002).
    if key is None or bool(key.token) != bool(token):
        raise denied(
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
            OSSAccessKeyId=access_key_id,
        )
    if key.token and key.token != token:
        raise denied("InvalidSecurityToken", "The security token you provided is invalid.", EC="0002-00000006")
    if key.token and now >= key.expires_at:
        raise denied("SecurityTokenExpired", "The security token you provided has expired.", EC="0002-00000007")
    return key


def canonical_query(req, leave_out):
    """The query as the SDK's client writes it: each name and value percent-encoded (RFC 3986)."""
    return "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}" if v else quote(k, safe="")
        for k, v in req.query
        if k not in leave_out
    )


def sdk_request(req, leave_out=()):
    """The incoming request as the SDK's HttpRequest: trimmed headers, the query re-encoded."""
    headers = {name: value.strip(" \t") for name, value in req.headers.items() if name != "authorization"}
    headers.setdefault("host", req.host)
    query = canonical_query(req, leave_out)
    return HttpRequest(req.method, f"http://{req.host}/" + (f"?{query}" if query else ""), headers)


def signing_context(req, request, key, token, signed_at, region=REGION, additional_headers=None):
    return SigningContext(
        product=PRODUCT,
        region=region,
        bucket=req.bucket,
        key=req.key or None,
        request=request,
        credentials=Credentials(key.access_key_id, key.secret, token),
        signing_time=signed_at,
        additional_headers=additional_headers,
    )


def v4_fields(authorization):
    """`Credential`, `AdditionalHeaders` and `Signature` of an OSS4 Authorization (any separators)."""
    fields = {}
    for item in authorization[len(V4_ALGORITHM) :].split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    fields.setdefault("AdditionalHeaders", "")
    return fields


def v4_scope(credential):
    """(access key id, date, region) of `<AK>/<yyyyMMdd>/<region>/oss/aliyun_v4_request`."""
    parts = (credential or "").split("/")
    if len(parts) != 5 or parts[3:] != [PRODUCT, "aliyun_v4_request"]:
        raise denied(
            "InvalidArgument", "The credential is not <AccessKeyId>/<date>/<region>/oss/aliyun_v4_request.", status=400
        )
    return parts[0], parts[1], parts[2]


def signature_mismatch(access_key_id, provided, string_to_sign):
    return denied(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you "
        "provided. Check your key and signing method.",
        OSSAccessKeyId=access_key_id,
        SignatureProvided=provided,
        StringToSign=string_to_sign,
        StringToSignBytes=" ".join(f"{b:02x}" for b in string_to_sign.encode()),
        EC="0002-00000040",
    )


def check_v4_header(req, keyring, now):
    sent = v4_fields(req.headers["authorization"])
    access_key_id, _, region = v4_scope(sent.get("Credential"))
    signed_at = v4_time(req.headers.get("x-oss-date"))
    check_skew(signed_at, now)
    token = req.headers.get("x-oss-security-token")
    key = check_key(keyring, access_key_id, token, now)
    if req.headers.get("x-oss-content-sha256", "").strip() != "UNSIGNED-PAYLOAD":
        raise denied(
            "InvalidArgument", "x-oss-content-sha256 must be UNSIGNED-PAYLOAD.", status=400, EC="0002-00000214"
        )
    additional = {h for h in sent["AdditionalHeaders"].split(";") if h}
    request = sdk_request(req)
    context = signing_context(req, request, key, token, signed_at, region, additional)
    SignerV4().sign(context)
    expected = v4_fields(request.headers["Authorization"])
    if any(sent.get(name) != expected[name] for name in ("Credential", "AdditionalHeaders", "Signature")):
        raise signature_mismatch(access_key_id, sent.get("Signature", ""), context.string_to_sign)


def check_v4_query(req, keyring, now):
    if req.param("x-oss-signature-version") != V4_ALGORITHM:
        raise denied("InvalidArgument", f"x-oss-signature-version must be {V4_ALGORITHM}.", status=400)
    access_key_id, _, region = v4_scope(req.param("x-oss-credential"))
    signed_at = v4_time(req.param("x-oss-date"))
    lifetime = req.param("x-oss-expires", "")
    if not lifetime.isdigit() or not 1 <= int(lifetime) <= LONGEST_V4_URL:
        raise denied(
            "InvalidArgument", f"x-oss-expires must be 1 to {LONGEST_V4_URL} seconds.", status=400, EC="0002-00000232"
        )
    expires_at = signed_at + datetime.timedelta(seconds=int(lifetime))
    if now > expires_at.timestamp():
        raise expired_url(expires_at.timestamp(), now)
    if signed_at.timestamp() > now + SKEW_SECONDS:
        raise skew_error(signed_at, now)
    token = req.param("x-oss-security-token")
    key = check_key(keyring, access_key_id, token, now)
    additional = {h for h in req.param("x-oss-additional-headers", "").split(";") if h}
    request = sdk_request(req, V4_QUERY_AUTH)
    context = signing_context(req, request, key, token, signed_at, region, additional)
    context.auth_method_query, context.expiration_time = True, expires_at
    SignerV4().sign(context)
    expected = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))["x-oss-signature"]
    if req.param("x-oss-signature") != expected:
        raise signature_mismatch(access_key_id, req.param("x-oss-signature"), context.string_to_sign)


def check_v1_header(req, keyring, now):
    access_key_id, _, provided = req.headers["authorization"][len("OSS ") :].strip().rpartition(":")
    signed_at = http_time(req.headers.get("x-oss-date") or req.headers.get("date"))
    check_skew(signed_at, now)
    # SignerV1 of the SDK v2 client sends its token as an unsigned `security-token` header.
    token = req.headers.get("x-oss-security-token") or req.headers.get("security-token")
    key = check_key(keyring, access_key_id, token, now)
    request = sdk_request(req)
    context = signing_context(req, request, key, None, signed_at)
    SignerV1().sign(context)
    if request.headers["Authorization"] != f"OSS {access_key_id}:{provided}":
        raise signature_mismatch(access_key_id, provided, context.string_to_sign)


def check_v1_query(req, keyring, now):
    access_key_id, expires = req.param("OSSAccessKeyId"), req.param("Expires", "")
    if not expires.isdigit():
        raise denied("InvalidArgument", "Expires must be a time in epoch seconds.", status=400)
    if now > int(expires):
        raise expired_url(int(expires), now)
    token = req.param("security-token")
    key = check_key(keyring, access_key_id, token, now)
    request = sdk_request(req, V1_QUERY_AUTH)
    context = signing_context(req, request, key, token, utc(now))
    context.auth_method_query, context.expiration_time = True, utc(int(expires))
    SignerV1().sign(context)
    expected = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))["Signature"]
    if req.param("Signature") != expected:
        raise signature_mismatch(access_key_id, req.param("Signature"), context.string_to_sign)


def oss_time(text):
    """A SeaweedFS ISO 8601 time (`2026-12-01T03:57:14Z`) in OSS's form, `2026-12-01T03:57:14.000Z`."""
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return gateway.iso8601(parsed.timestamp())


def encoding_type(req):
    """OSS names the encoding of the keys it answers with when the request asked for one."""
    return [("EncodingType", "url")] if req.param("encoding-type") == "url" else []


class Dialect(gateway.Dialect):
    name = "oss"
    request_id_header = "x-oss-request-id"
    header_prefix = "x-oss-"
    storage_class_header = "x-oss-storage-class"
    acl_header = "x-oss-object-acl"
    tagging_header = "x-oss-tagging"
    storage_classes = {"Standard": "STANDARD", "IA": "STANDARD_IA", "Archive": "GLACIER", "ColdArchive": "DEEP_ARCHIVE"}
    namespace = None
    min_part_size = 100 * 1024  # OSS: 100 KB for every part but the last
    max_page = 1000
    crc64_header = "x-oss-hash-crc64ecma"

    def crc64(self, data):
        crc = Crc64(0)
        crc.update(data)
        return str(crc.sum64())

    def list_head(self, req):
        return encoding_type(req)

    def time(self, text):
        return oss_time(text)

    def authenticate(self, req, keyring, now):
        authorization = req.headers.get("authorization", "")
        if authorization.startswith(V4_ALGORITHM + " "):
            return check_v4_header(req, keyring, now)
        if authorization.startswith("OSS "):
            return check_v1_header(req, keyring, now)
        if req.has("x-oss-signature"):
            return check_v4_query(req, keyring, now)
        if req.has("Signature") and req.has("OSSAccessKeyId"):
            return check_v1_query(req, keyring, now)
        raise denied("AccessDenied", "You have no right to access this object because of bucket acl.")

    def presign(self, key, spec, expires_in, now, scheme=None):
        if scheme not in (None, "oss-v4", "oss-v1"):
            raise ValueError(f"OSS presigns oss-v4 or oss-v1 URLs, not {scheme}")
        query = "&".join(
            f"{quote(k, safe='')}={quote(str(v), safe='')}" if v != "" else quote(k, safe="")
            for k, v in spec["query"].items()
        )
        path = f"/{spec['bucket']}/{quote(spec['key'], safe='/')}" if spec["key"] else f"/{spec['bucket']}/"
        request = HttpRequest(
            spec["method"], self.endpoint + path + (f"?{query}" if query else ""), dict(spec["headers"])
        )
        context = SigningContext(
            product=PRODUCT,
            region=REGION,
            bucket=spec["bucket"],
            key=spec["key"] or None,
            request=request,
            credentials=Credentials(key.access_key_id, key.secret, key.token),
            signing_time=utc(now),
        )
        context.auth_method_query, context.expiration_time = True, utc(now + expires_in)
        (SignerV1() if scheme == "oss-v1" else SignerV4()).sign(context)
        return {"url": request.url, "headers": spec["headers"]}

    def etag(self, hex_digest):
        return f'"{hex_digest.upper()}"'

    def error_document(self, error, request_id, req):
        fields = [("Code", error.code), ("Message", error.message), ("RequestId", request_id), ("HostId", req.host)]
        return xml_document("Error", fields + list(error.fields.items()))

    def render_initiate(self, req, upload_id):
        encode = gateway.url_encoder(req)
        return xml_document(
            "InitiateMultipartUploadResult",
            encoding_type(req) + [("Bucket", req.bucket), ("Key", encode(req.key)), ("UploadId", upload_id)],
        )

    def render_complete(self, req, etag, crc64=None):
        encode = gateway.url_encoder(req)
        return xml_document(
            "CompleteMultipartUploadResult",
            encoding_type(req)
            + [
                ("Location", f"http://{req.host}/{req.bucket}/{quote(req.key)}"),
                ("Bucket", req.bucket),
                ("Key", encode(req.key)),
                ("ETag", self.etag(etag)),
            ],
        )

    def render_list_uploads(self, req, page, prefix, key_marker, upload_id_marker, max_uploads, next_markers):
        next_key, next_id = next_markers or ("", "")
        encode = gateway.url_encoder(req)
        return xml_document(
            "ListMultipartUploadsResult",
            [("Bucket", req.bucket)]
            + encoding_type(req)
            + [
                ("KeyMarker", encode(key_marker)),
                ("UploadIdMarker", upload_id_marker),
                ("NextKeyMarker", encode(next_key)),
                ("NextUploadIdMarker", next_id),
                ("Delimiter", ""),
                ("Prefix", encode(prefix)),
                ("MaxUploads", max_uploads),
                ("IsTruncated", "true" if next_markers else "false"),
            ]
            + [
                ("Upload", [("Key", encode(u.key)), ("UploadId", u.upload_id), ("Initiated", oss_time(u.initiated))])
                for u in page
            ],
        )
