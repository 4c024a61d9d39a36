"""NetEase NOS: the native `NOS <AccessKey>:<signature>` scheme (HMAC-SHA256) in its header and
presigned-URL forms, checked with nos-python3-sdk's own signer (`nos.client.auth.RequestMetaData`),
and NOS's answers: no XML namespace, hex Content-MD5, `x-nos-request-id`, parts of at least 16 KB.

Where the SDK cannot express a browser's request, its inputs are adapted to the NOS Java SDK rules
that tests/vectors/README.md describes: the signing time goes into the Date line as the request
states it (`x-nos-date` empties it) instead of the SDK's own clock, and the key is written into the
resource as Java's `URLEncoder` does (the SDK strips `/` at both ends and keeps `~`)."""

import hmac
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import gateway
from gateway import ServiceError, xml_document
from nos.client import auth as nos_auth

MAX_SKEW = 15 * 60  # seconds a request's time may be off
DATE_HEADER = "x-nos-date"
TOKEN = "x-nos-security-token"  # header, and query parameter of presigned URLs
QUERY_AUTH = ("NOSAccessKeyId", "Expires", "Signature")
SHANGHAI = timezone(timedelta(hours=8))
OWNER = [("ID", "partwise-nos-owner"), ("DisplayName", "partwise")]


class _RequestHeaders(dict):
    """Headers on which the SDK's clock has no effect: `RequestMetaData` always writes its own `Date`
    (Shanghai time, at signing); the Date line must be the one the request was signed with."""

    def __setitem__(self, name, value):
        if name != nos_auth.HTTP_HEADER.DATE:
            super().__setitem__(name, value)


def java_url_encode(text):
    """The NOS Java SDK's key encoding: `URLEncoder` (keeps `A-Z a-z 0-9 . - * _`), `+` as `%20`."""
    return quote(text, safe="*").replace("~", "%7E")


class _Signer(nos_auth.RequestMetaData):
    """The SDK's signer, with the key of the canonical resource encoded as the Java SDK does."""

    def _get_canonicalized_resource(self):
        resource = super()._get_canonicalized_resource()
        if self.key is None:
            return resource
        sdk_form = f"/{self.bucket}/{quote(self.key.strip('/'), '*')}"
        return f"/{self.bucket}/{java_url_encode(self.key)}{resource[len(sdk_form) :]}"


def sign(key, method, bucket, object_key, query, headers, date_line):
    """(signature, string to sign) by nos-python3-sdk for one request. `query`: [(name, value)]
    (the SDK keeps its sub-resources); `headers`: lower-case name → value (it keeps Content-MD5,
    Content-Type and `x-nos-*`); `date_line`: what the Date line holds."""
    signed = _RequestHeaders({n: v.strip() for n, v in headers.items() if signs(n)})
    if date_line:
        signed["date"] = date_line
    params = {n: (v or None) for n, v in query}  # a bare parameter is None to the SDK
    signer = _Signer(key.access_key_id, key.secret, method, bucket, object_key or None, params=params, headers=signed)
    authorization = signer.get_headers()[nos_auth.HTTP_HEADER.AUTHORIZATION]
    return authorization.rpartition(":")[2], signer._get_string_to_sign()


def signs(header):
    return header in ("content-md5", "content-type") or header.startswith(nos_auth.NOS_HEADER_PREFIX)


def query_string(pairs):
    """`name=value&…`, percent-encoded; a bare parameter (`uploads`) without `=`."""
    return "&".join(quote(n, safe="") + (f"={quote(v, safe='')}" if v else "") for n, v in pairs)


def request_time(req):
    """Epoch seconds of `x-nos-date` or `Date` (RFC 1123 GMT, or the SDK's `… Asia/Shanghai`)."""
    text = req.headers.get(DATE_HEADER) or req.headers.get("date") or ""
    try:
        if text.endswith(" Asia/Shanghai"):
            moment = datetime.strptime(text, "%a, %d %b %Y %H:%M:%S Asia/Shanghai").replace(tzinfo=SHANGHAI)
        else:
            moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ServiceError(403, "AccessDenied", "NOS authentication requires a valid Date or x-nos-date header")
    return moment.timestamp()


class Dialect(gateway.Dialect):
    name = "nos"
    request_id_header = "x-nos-request-id"
    header_prefix = "x-nos-"
    storage_class_header = "x-nos-storage-class"
    min_part_size = 16 * 1024  # "上传数据分块最小16k" (all parts but the last)
    list_parts_owner = (("Owner", OWNER), ("StorageClass", "STANDARD"))  # tests/fixtures/nos/list-parts.xml

    def authenticate(self, req, keyring, now):
        if any(req.has(n) for n in QUERY_AUTH):
            access_key_id, given, token = self.check_url(req, now)
            date_line = req.param("Expires")
        else:
            access_key_id, given = self.authorization(req)
            token = req.headers.get(TOKEN)
            self.check_time(req, now)
            date_line = "" if DATE_HEADER in req.headers else req.headers.get("date", "")
        key = self.check_key(keyring.lookup(access_key_id), token, now)
        headers = {**req.headers, TOKEN: token} if token is not None else req.headers
        query = [(n, v) for n, v in req.query if n not in QUERY_AUTH and n != TOKEN]
        expected, string_to_sign = sign(key, req.method, req.bucket, req.key, query, headers, date_line)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ServiceError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match "
                "the signature you provided. Check your key and signing method.",
                StringToSign=string_to_sign,
                SignatureProvided=given,
            )

    def authorization(self, req):
        """(access key id, signature) of an `Authorization: NOS <AK>:<signature>` header."""
        value = req.headers.get("authorization")
        if value is None:
            raise ServiceError(403, "AccessDenied", "Anonymous access is forbidden for this operation")
        scheme, _, credential = value.strip().partition(" ")
        access_key_id, _, signature = credential.rpartition(":")
        if scheme != "NOS" or not access_key_id or not signature:
            raise ServiceError(
                400, "InvalidArgument", "Authorization header is invalid. Expected NOS AccessKeyId:signature"
            )
        return access_key_id, signature

    def check_url(self, req, now):
        """(access key id, signature, token) of a presigned URL that has not expired."""
        access_key_id, expires, signature = (req.param(n) for n in QUERY_AUTH)
        if not (access_key_id and signature and expires and expires.isdigit()):
            raise ServiceError(
                403,
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and NOSAccessKeyId parameters",
            )
        if now > int(expires):
            raise ServiceError(
                403,
                "AccessDenied",
                "Request has expired",
                Expires=gateway.iso8601(int(expires)),
                ServerTime=gateway.iso8601(now),
            )
        return access_key_id, signature, req.param(TOKEN)

    def check_time(self, req, now):
        """Refuses a header-signed request whose time is more than 15 minutes off (as S3 does)."""
        moment = request_time(req)
        if abs(now - moment) > MAX_SKEW:
            raise ServiceError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                RequestTime=gateway.iso8601(moment),
                ServerTime=gateway.iso8601(now),
                MaxAllowedSkewMilliseconds=MAX_SKEW * 1000,
            )

    def check_key(self, key, token, now):
        """The key, if it exists and `token` is its session token, unexpired (none for long-term keys)."""
        if key is None:
            raise ServiceError(
                403, "InvalidAccessKeyId", "The access key Id you provided does not exist in our records."
            )
        if key.token is not None and token is None:
            raise ServiceError(
                403,
                "InvalidAccessKeyId",
                f"The access key Id you provided is temporary and needs its session token ({TOKEN}).",
            )
        if token is not None and not hmac.compare_digest(token.encode(), (key.token or "").encode()):
            raise ServiceError(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        if key.expires_at is not None and now >= key.expires_at:
            raise ServiceError(400, "ExpiredToken", "The provided token has expired.")
        return key

    def presign(self, key, spec, expires_in, now, scheme=None):
        if scheme not in (None, "nos"):
            raise ValueError(f"NOS signs with the nos scheme only, not {scheme}")
        expires = str(int(now) + expires_in)
        headers = {n.lower(): v for n, v in spec.get("headers", {}).items()}
        if key.token is not None:
            headers[TOKEN] = key.token
        query = list(spec.get("query", {}).items())
        signature, _ = sign(key, spec["method"], spec["bucket"], spec["key"], query, headers, expires)
        auth = [("NOSAccessKeyId", key.access_key_id), ("Expires", expires), ("Signature", signature)]
        auth += [(TOKEN, key.token)] if key.token is not None else []
        path = f"/{spec['bucket']}/{quote(spec['key'])}"
        return {"url": f"{self.endpoint}{path}?{query_string(query + auth)}", "headers": spec.get("headers", {})}

    def content_md5(self, value):
        """NOS documents Content-MD5 as the hex digest (32 characters); base64 is not accepted."""
        try:
            return bytes.fromhex(value) if len(value) == 32 else None
        except ValueError:
            return None

    def error_document(self, error, request_id, req):
        resource = f"/{req.bucket}/{req.key}" if req.key else f"/{req.bucket}"
        fields = [("Code", error.code), ("Message", error.message), ("Resource", resource), ("RequestId", request_id)]
        return xml_document("Error", fields + list(error.fields.items()))
