"""Huawei OBS, native protocol: `Authorization: OBS <AK>:<signature>` with `x-obs-date`, presigned
URLs with `AccessKeyId`/`Expires`/`Signature`, `x-obs-security-token` for temporary keys. Every
signature is recomputed by esdk-obs-python's own signer (`obs.auth.Authentication.getSignature`);
presigned URLs come from its `ObsClient.createSignedUrl`."""

import hmac
import secrets
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import gateway
import obs as sdk  # esdk-obs-python
import obs.auth
import obs.convertor
from gateway import ServiceError, iso8601, xml_document

MAX_SKEW_SECONDS = 15 * 60
TOKEN_HEADER = "x-obs-security-token"
URL_PARAMS = ("AccessKeyId", "Expires", "Signature")
OWNER_ID = "partwise-local-domain"  # the Owner / Initiator ID in listings (no real account here)


def denied(code, message, **fields):
    return ServiceError(403, code, message, **fields)


def sdk_query(pairs):
    """Query pairs as the SDK takes them: a dict, `None` for a parameter without value (`uploads`)."""
    return {name: (value if value != "" else None) for name, value in pairs}


def sdk_headers(headers):
    """Header values trimmed at both ends, as a browser sends them (the SDK trims only x-obs-meta-*)."""
    return {name: value.strip(" \t") for name, value in headers.items()}


def sdk_signature(access_key_id, secret, method, bucket, key, query, headers, expires=None):
    """(signature, string to sign) from the SDK's signer. `path_style=False`: the native resource is
    `/bucket/key` (`/bucket/` for the bucket) whichever addressing the request used."""
    signer = sdk.auth.Authentication(access_key_id, secret, False, sdk.convertor.Adapter("obs"), "", False)
    result = signer.getSignature(method, bucket, key, sdk_query(query), sdk_headers(headers), expires)
    return result["Signature"], result["CanonicalString"]


class Dialect(gateway.Dialect):
    name = "obs"
    request_id_header = "x-obs-request-id"
    header_prefix = "x-obs-"
    storage_class_header = "x-obs-storage-class"
    acl_header = "x-obs-acl"
    storage_classes = {"WARM": "STANDARD_IA", "COLD": "GLACIER"}
    namespace = "http://obs.myhwclouds.com/doc/2015-06-30/"
    min_part_size = 100 * 1024  # "100 KB" for every part but the last
    list_parts_owner = (("Initiator", [("ID", OWNER_ID)]), ("Owner", [("ID", OWNER_ID)]), ("StorageClass", "STANDARD"))
    upload_owner = list_parts_owner

    def authenticate(self, req, keyring, now):
        header = req.headers.get("authorization")
        if header is not None:
            self.check_header_auth(req, header, keyring, now)
        elif all(req.has(p) for p in URL_PARAMS):
            self.check_url_auth(req, keyring, now)
        else:
            raise denied("AccessDenied", "Access Denied")

    def check_header_auth(self, req, header, keyring, now):
        scheme, _, credential = header.partition(" ")
        access_key_id, _, provided = credential.rpartition(":")
        if scheme != "OBS" or not access_key_id:
            raise ServiceError(400, "InvalidArgument", "Unsupported Authorization Type")
        key = self.key_for(keyring, access_key_id, req.headers.get(TOKEN_HEADER), now)
        self.check_date(req, now)
        headers = {n: v for n, v in req.headers.items() if n != "authorization"}
        self.check_signature(key, provided, req, req.query, headers)

    def check_url_auth(self, req, keyring, now):
        key = self.key_for(keyring, req.param("AccessKeyId"), req.param(TOKEN_HEADER), now)
        expires = req.param("Expires")
        if not expires.isdigit():
            raise denied("AccessDenied", "Invalid date (should be seconds since epoch): " + expires)
        if now > int(expires):
            raise denied("AccessDenied", "Request has expired", Expires=iso8601(int(expires)), ServerTime=iso8601(now))
        query = [(n, v) for n, v in req.query if n not in URL_PARAMS]
        self.check_signature(key, req.param("Signature"), req, query, req.headers, expires)

    @staticmethod
    def key_for(keyring, access_key_id, token, now):
        """The key the request names, if its token is the key's own and has not expired."""
        key = keyring.lookup(access_key_id)
        if key is None:
            raise denied(
                "InvalidAccessKeyId",
                "The OBS Access Key Id you provided does not exist in our records.",
                AccessKeyId=access_key_id,
            )
        if token != key.token or (key.expires_at is not None and now >= key.expires_at):
            raise denied("InvalidAccessKeyId", "The security token is invalid.", AccessKeyId=access_key_id)
        return key

    @staticmethod
    def check_date(req, now):
        """The signing time (`x-obs-date`, else `Date`) within 15 minutes of `now`."""
        text = req.headers.get("x-obs-date") or req.headers.get("date")
        try:
            signed_at = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError):
            raise denied("AccessDenied", "OBS authentication requires a valid Date or x-obs-date header") from None
        if abs(now - signed_at) > MAX_SKEW_SECONDS:
            raise denied(
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
                RequestTime=text,
                ServerTime=iso8601(now),
                MaxAllowedSkewMilliseconds=MAX_SKEW_SECONDS * 1000,
            )

    @staticmethod
    def check_signature(key, provided, req, query, headers, expires=None):
        expected, string_to_sign = sdk_signature(
            key.access_key_id, key.secret, req.method, req.bucket, req.key, query, headers, expires
        )
        if not hmac.compare_digest(expected.encode(), (provided or "").encode()):
            raise denied(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature "
                "you provided. Check your key and signing method.",
                AccessKeyId=key.access_key_id,
                StringToSign=string_to_sign,
                SignatureProvided=provided,
            )

    def presign(self, key, spec, expires_in, now, scheme=None):
        """The SDK's native (`obs`) URL, moved to the gateway's path-style address: the query (and so
        the signature) is the SDK's, the path `/bucket/key` its path-style formatter's."""
        client = sdk.ObsClient(
            access_key_id=key.access_key_id,
            secret_access_key=key.secret,
            security_token=key.token,
            server="http://obs.invalid",
            signature="obs",
            is_signature_negotiation=False,
        )
        signed = client.createSignedUrl(
            spec["method"],
            spec["bucket"],
            spec["key"] or None,
            expires=expires_in,
            headers=spec["headers"],
            queryParams=sdk_query(spec["query"].items()),
        )
        path = sdk.util.RequestFormat.get_path_format().get_url(spec["bucket"], spec["key"], {})
        return {"url": f"{self.endpoint}{path}?{urlsplit(signed.signedUrl).query}", "headers": spec["headers"]}

    def error_document(self, error, request_id, req):
        host_id = secrets.token_urlsafe(48)
        fields = [("Code", error.code), ("Message", error.message)] + list(error.fields.items())
        return xml_document("Error", fields + [("RequestId", request_id), ("HostId", host_id)])
