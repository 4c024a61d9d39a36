"""Kingsoft Cloud KS3: the V4 (`KSS4-HMAC-SHA256`) and V2 (`KSS`, HMAC-SHA1) signatures, header and
presigned-URL form, with S3-shaped answers.

V2 signatures are recomputed by ks3sdk's own `ks3.auth.canonical_string` and `ks3.auth.encode`, V2
URLs presigned by its `Connection.generate_url`. ks3sdk has no object-API V4 signer, so V4 uses
botocore's S3 SigV4 signer (`S3SigV4Auth`: canonical request, string to sign, key chain) with KS3
V4's names: `KSS4-HMAC-SHA256`, `"KSS4" + secret`, service `ks3`, `kss4_request`, `X-Kss-*`."""

import hashlib
import hmac
from calendar import timegm
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

import gateway
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from gateway import ServiceError, xml_document
from ks3 import auth as sdk_auth  # ks3sdk
from ks3 import connection as sdk_connection
from ks3.utils import Crc64

# KS3's Go SDK signs the V2 URL's `security-token` as a sub-resource; ks3sdk (which has no session
# tokens) does not list it among the sub-resources it signs.
if "security-token" not in sdk_auth.qsa_of_interest:
    sdk_auth.qsa_of_interest.append("security-token")

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
V4_ALGORITHM = "KSS4-HMAC-SHA256"
V4_TIME = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
PRESIGN_REGION = "BEIJING"  # the region presigned V4 URLs name; requests may sign any region
MAX_SKEW = 15 * 60
MAX_URL_LIFETIME = 7 * 24 * 3600
OWNER = [("ID", "partwise-ks3-dev"), ("DisplayName", "partwise-ks3-dev")]


class Kss4Signer(S3SigV4Auth):
    """botocore's S3 SigV4 signer with KS3 V4's names. The payload hash is the one the request
    declares (`x-kss-content-sha256`, UNSIGNED-PAYLOAD in URLs), not the body's over plain http."""

    def __init__(self, secret, region):
        super().__init__(Credentials("", secret), "ks3", region)

    def payload(self, request):
        return request.context["payload_hash"]

    def credential_scope(self, request):
        return super().credential_scope(request).removesuffix("aws4_request") + "kss4_request"

    def string_to_sign(self, request, canonical_request):
        signed = super().string_to_sign(request, canonical_request)
        return V4_ALGORITHM + signed.removeprefix("AWS4-HMAC-SHA256")

    def signature(self, string_to_sign, request):
        key = self._sign(f"KSS4{self.credentials.secret_key}".encode(), request.context["timestamp"][:8])
        for part in (self._region_name, self._service_name, "kss4_request"):
            key = self._sign(key, part)
        return self._sign(key, string_to_sign, hex=True)


def v4_request(method, url, headers, timestamp, payload_hash):
    """The botocore request the V4 signer canonicalises."""
    request = AWSRequest(method=method, url=url, headers=headers)
    request.context.update(timestamp=timestamp, payload_hash=payload_hash)
    return request


def v4_string_to_sign(request, region):
    signer = Kss4Signer("", region)
    return signer.string_to_sign(request, signer.canonical_request(request))


def canonical_url(host, path, pairs):
    """`http://host/path?query` with the path and every query name and value URI-encoded the SigV4
    way from their decoded form, whichever encoding the client chose."""
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    return f"http://{host}{quote(unquote(path), safe='/-_.~')}" + (f"?{query}" if query else "")


@dataclass
class Signed:
    """What a request's signature claims, and how to check it."""

    access_key_id: str
    provided: str  # the signature the request carries
    string_to_sign: str
    sign: Callable[[str], str]  # secret → the signature expected
    token: str | None  # the session token the request carries
    time: float  # header auth: when the request was signed; query auth: when the URL expires
    presigned: bool


def epoch_v4(text):
    try:
        return timegm(datetime.strptime(text, V4_TIME).timetuple())
    except (TypeError, ValueError):
        raise ServiceError(403, "AccessDenied", f"Invalid KS3 V4 date {text!r} (20130524T000000Z).") from None


def epoch_http(text):
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        raise ServiceError(403, "AccessDenied", f"Invalid KS3 V2 date {text!r} (RFC 1123).") from None


def malformed(what):
    return ServiceError(400, "AuthorizationHeaderMalformed", f"The authorization is malformed: {what}.")


def v4_credential(text):
    """(access key id, region) of `AK/yyyymmdd/REGION/ks3/kss4_request`."""
    parts = text.split("/")
    if len(parts) != 5 or parts[3:] != ["ks3", "kss4_request"]:
        raise malformed(f"the credential {text!r} is not AK/date/REGION/ks3/kss4_request")
    return parts[0], parts[2]


def signed_v4(
    req, access_key_id, region, signed_headers, timestamp, payload_hash, pairs, provided, token, time, presigned
):
    headers = {name: req.headers[name] for name in signed_headers.split(";") if name in req.headers}
    request = v4_request(req.method, canonical_url(req.host, req.path, pairs), headers, timestamp, payload_hash)
    string_to_sign = v4_string_to_sign(request, region)
    return Signed(
        access_key_id,
        provided,
        string_to_sign,
        lambda secret: Kss4Signer(secret, region).signature(string_to_sign, request),
        token,
        time,
        presigned,
    )


def v4_header(req):
    fields = {}
    for item in req.headers["authorization"][len(V4_ALGORITHM) :].split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise malformed("it needs Credential, SignedHeaders and Signature")
    access_key_id, region = v4_credential(fields["Credential"])
    timestamp = req.headers.get("x-kss-date")
    if timestamp is None:
        raise ServiceError(403, "AccessDenied", "KS3 V4 authentication requires an x-kss-date header.")
    payload_hash = req.headers.get("x-kss-content-sha256") or hashlib.sha256(req.body).hexdigest()
    return signed_v4(
        req,
        access_key_id,
        region,
        fields["SignedHeaders"],
        timestamp,
        payload_hash,
        req.query,
        fields["Signature"],
        req.headers.get("x-kss-security-token"),
        epoch_v4(timestamp),
        False,
    )


def v4_query(req):
    names = ("X-Kss-Algorithm", "X-Kss-Credential", "X-Kss-Date", "X-Kss-Expires", "X-Kss-SignedHeaders")
    missing = [n for n in names if not req.has(n)]
    if missing or req.param("X-Kss-Algorithm") != V4_ALGORITHM:
        raise ServiceError(
            400,
            "AuthorizationQueryParametersError",
            f"A KS3 V4 URL needs {', '.join(names)} and X-Kss-Signature; missing: {missing}.",
        )
    lifetime = req.param("X-Kss-Expires")
    if not lifetime.isdigit() or not 1 <= int(lifetime) <= MAX_URL_LIFETIME:
        raise ServiceError(
            400,
            "AuthorizationQueryParametersError",
            f"X-Kss-Expires must be a number of seconds from 1 to {MAX_URL_LIFETIME}.",
        )
    access_key_id, region = v4_credential(req.param("X-Kss-Credential"))
    timestamp = req.param("X-Kss-Date")
    pairs = [(k, v) for k, v in req.query if k != "X-Kss-Signature"]
    return signed_v4(
        req,
        access_key_id,
        region,
        req.param("X-Kss-SignedHeaders"),
        timestamp,
        UNSIGNED_PAYLOAD,
        pairs,
        req.param("X-Kss-Signature"),
        req.param("X-Kss-Security-Token"),
        epoch_v4(timestamp) + int(lifetime),
        True,
    )


def v2_signed(req, access_key_id, provided, token, time, expires=None):
    # ks3sdk signs header values as given; browsers send them trimmed, and so are they here.
    headers = {name: value.strip() for name, value in req.headers.items()}
    string_to_sign = sdk_auth.canonical_string(req.method, req.bucket, req.key, dict(req.query), headers, expires)
    return Signed(
        access_key_id,
        provided,
        string_to_sign,
        lambda secret: sdk_auth.encode(secret, string_to_sign),
        token,
        time,
        expires is not None,
    )


def v2_header(req):
    access_key_id, _, provided = req.headers["authorization"][len("KSS ") :].rpartition(":")
    date = req.headers.get("x-kss-date") or req.headers.get("date")
    if date is None:
        raise ServiceError(403, "AccessDenied", "KS3 authentication requires a valid Date or x-kss-date header.")
    return v2_signed(req, access_key_id, provided, req.headers.get("x-kss-security-token"), epoch_http(date))


def v2_query(req):
    expires = req.param("Expires", "")
    if not expires.isdigit() or not req.has("Signature"):
        raise ServiceError(403, "AccessDenied", "A KS3 V2 URL needs KSSAccessKeyId, Expires (epoch) and Signature.")
    return v2_signed(
        req,
        req.param("KSSAccessKeyId"),
        req.param("Signature"),
        req.param("security-token"),
        int(expires),
        int(expires),
    )


def signed_request(req):
    """The signature a request carries, in whichever of KS3's four forms."""
    authorization = req.headers.get("authorization", "")
    if authorization.startswith(V4_ALGORITHM + " "):
        return v4_header(req)
    if authorization.startswith("KSS "):
        return v2_header(req)
    if req.has("X-Kss-Signature"):
        return v4_query(req)
    if req.has("KSSAccessKeyId"):
        return v2_query(req)
    raise ServiceError(403, "AccessDenied", "Anonymous access is forbidden for this operation.")


def check_time(signed, now):
    if signed.presigned:
        if now > signed.time:
            raise ServiceError(
                403,
                "AccessDenied",
                "Request has expired",
                Expires=gateway.iso8601(signed.time),
                ServerTime=gateway.iso8601(now),
            )
    elif abs(now - signed.time) > MAX_SKEW:
        raise ServiceError(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            RequestTime=gateway.iso8601(signed.time),
            ServerTime=gateway.iso8601(now),
            MaxAllowedSkewMilliseconds=MAX_SKEW * 1000,
        )


def check_token(key, token, now):
    """A temporary key counts only with its own token, until it expires."""
    if key.token is None:
        return
    if not token:
        raise ServiceError(
            403,
            "InvalidAccessKeyId",
            "A temporary access key needs its security token.",
            KSSAccessKeyId=key.access_key_id,
        )
    if not hmac.compare_digest(token, key.token):
        raise ServiceError(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    if now >= key.expires_at:
        raise ServiceError(400, "ExpiredToken", "The provided token has expired.")


class Dialect(gateway.Dialect):
    name = "ks3"
    request_id_header = "x-kss-request-id"
    header_prefix = "x-kss-"
    storage_class_header = "x-kss-storage-class"
    acl_header = "x-kss-acl"
    tagging_header = "x-kss-tagging"
    storage_classes = {"ARCHIVE": "GLACIER"}
    namespace = S3_NAMESPACE
    min_part_size = 100 * 1024  # KS3's 2024 documentation: every part but the last ≥ 100 KB
    crc64_header = "x-kss-checksum-crc64ecma"
    crc64_element = "ChecksumCRC64ECMA"

    def crc64(self, data):
        crc = Crc64()
        crc.update(data)
        return str(crc.crc)

    # KS3's documented ListMultipartUploads (tests/fixtures/ks3): each upload with its Initiator,
    # Owner and StorageClass.
    upload_owner = (("Initiator", OWNER), ("Owner", OWNER), ("StorageClass", "STANDARD"))

    def list_uploads_prefix(self, prefix):
        return [("Prefix", prefix)] if prefix else []

    def authenticate(self, req, keyring, now):
        signed = signed_request(req)
        key = keyring.lookup(signed.access_key_id)
        if key is None:
            raise ServiceError(
                403,
                "InvalidAccessKeyId",
                "The access key id you provided does not exist.",
                KSSAccessKeyId=signed.access_key_id,
            )
        if not hmac.compare_digest(signed.sign(key.secret), signed.provided):
            raise ServiceError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match "
                "the signature you provided. Check your KS3 secret access key and signing method.",
                StringToSign=signed.string_to_sign,
                SignatureProvided=signed.provided,
            )
        check_time(signed, now)
        check_token(key, signed.token, now)

    def presign(self, key, spec, expires_in, now, scheme=None):
        if scheme in (None, "ks3-v4"):
            url = self.presign_v4(key, spec, expires_in, now)
        elif scheme == "ks3-v2":
            url = self.presign_v2(key, spec, expires_in, now)
        else:
            raise ValueError(f"KS3 presigns ks3-v4 or ks3-v2 URLs, not {scheme}")
        return {"url": url, "headers": spec["headers"]}

    def presign_v2(self, key, spec, expires_in, now):
        """A path-style URL from ks3sdk's `Connection.generate_url` (the token as `security-token`)."""
        address = urlsplit(self.endpoint)
        connection = sdk_connection.Connection(
            key.access_key_id,
            key.secret,
            host=address.hostname,
            port=address.port,
            calling_format=sdk_connection.PathCallingFormat(),
        )
        params = {k: v or None for k, v in spec.get("query", {}).items()}
        if key.token:
            params["security-token"] = key.token
        return connection.generate_url(
            int(now) + expires_in,
            spec["method"],
            spec["bucket"],
            spec["key"],
            headers=dict(spec.get("headers", {})),
            params=params,
            expires_in_absolute=True,
        )

    def presign_v4(self, key, spec, expires_in, now):
        """A path-style URL signed by `Kss4Signer` with the X-Kss-* query parameters."""
        host = urlsplit(self.endpoint).netloc
        path = f"/{spec['bucket']}/{spec['key']}" if spec["key"] else f"/{spec['bucket']}"
        headers = {"host": host, **{k.lower(): v.strip() for k, v in spec.get("headers", {}).items()}}
        timestamp = datetime.fromtimestamp(int(now), UTC).strftime(V4_TIME)
        pairs = (
            list(spec.get("query", {}).items())
            + [
                ("X-Kss-Algorithm", V4_ALGORITHM),
                ("X-Kss-Credential", f"{key.access_key_id}/{timestamp[:8]}/{PRESIGN_REGION}/ks3/kss4_request"),
                ("X-Kss-Date", timestamp),
                ("X-Kss-Expires", str(expires_in)),
                ("X-Kss-SignedHeaders", ";".join(sorted(headers))),
            ]
            + ([("X-Kss-Security-Token", key.token)] if key.token else [])
        )
        url = canonical_url(host, quote(path), pairs)
        request = v4_request(spec["method"], url, headers, timestamp, UNSIGNED_PAYLOAD)
        signer = Kss4Signer(key.secret, PRESIGN_REGION)
        signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        return f"{url}&X-Kss-Signature={signature}"

    def error_document(self, error, request_id, req):
        resource = f"/{req.bucket}/{req.key}" if req.key else f"/{req.bucket}"
        fields = [("Code", error.code), ("Message", error.message), ("Resource", resource), ("RequestId", request_id)]
        return xml_document("Error", fields + list(error.fields.items()))
