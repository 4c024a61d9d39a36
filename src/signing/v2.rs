//! The "V2" HMAC family: OSS V1, OBS and KS3 V2 (HMAC-SHA1) and NOS (HMAC-SHA256).
//!
//! `StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedHeaders CanonicalizedResource`

use super::crypto::{hmac_sha1, hmac_sha256};
use super::encode::{nos_key_encode, path_encode};
use super::headers::{Trim, canonical, find, lines};
use super::{Auth, Signed, SigningInput, SigningParams, sorted_pairs};
use crate::error::Result;
use base64ct::{Base64, Encoding};

/// How a dialect encodes the key in its canonicalized resource.
#[derive(Clone, Copy)]
enum KeyEncoding {
    /// Raw UTF-8 (OSS V1).
    Raw,
    /// Percent-encoded, `/` kept (OBS).
    Path,
    /// Percent-encoded, `/` kept, then every `//` in the resource written `/%2F` (KS3 V2).
    PathNoDoubleSlash,
    /// Java `URLEncoder` style, `/` encoded too (NOS).
    Nos,
}

/// Where a presigned URL carries the session token.
#[derive(Clone, Copy)]
enum QueryToken {
    /// A query parameter that is also a signed sub-resource.
    SubResource(&'static str),
    /// A query parameter signed as if it were a prefixed header (NOS).
    AsHeader(&'static str),
}

/// What distinguishes one V2 dialect from another.
pub(crate) struct V2Dialect {
    label: &'static str,
    prefix: &'static str,
    sha256: bool,
    /// OSS V1 puts the date header's value in the Date line; the others leave it empty.
    date_in_date_line: bool,
    key_encoding: KeyEncoding,
    sub_resources: &'static [&'static str],
    /// OBS compares sub-resource names case-insensitively and signs every `x-obs-` parameter.
    obs_rules: bool,
    access_key_param: &'static str,
    query_token: QueryToken,
}

/// Alibaba OSS V1.
pub(crate) const OSS_V1: V2Dialect = V2Dialect {
    label: "OSS",
    prefix: "x-oss-",
    sha256: false,
    date_in_date_line: true,
    key_encoding: KeyEncoding::Raw,
    sub_resources: &[
        "acl",
        "append",
        "asyncFetch",
        "bucketInfo",
        "callback",
        "callback-var",
        "cloudboxes",
        "comp",
        "continuation-token",
        "cors",
        "delete",
        "encryption",
        "endTime",
        "group",
        "inventory",
        "inventoryId",
        "lifecycle",
        "link",
        "live",
        "location",
        "logging",
        "objectInfo",
        "objectMeta",
        "partNumber",
        "policy",
        "position",
        "qos",
        "qosInfo",
        "referer",
        "regionList",
        "replication",
        "replicationLocation",
        "replicationProgress",
        "requestPayment",
        "resourceGroup",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "security-token",
        "sequential",
        "startTime",
        "stat",
        "status",
        "symlink",
        "tagging",
        "transferAcceleration",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "vod",
        "website",
        "worm",
        "wormExtend",
        "wormId",
        "x-oss-process",
        "x-oss-request-payer",
        "x-oss-traffic-limit",
    ],
    obs_rules: false,
    access_key_param: "OSSAccessKeyId",
    query_token: QueryToken::SubResource("security-token"),
};

/// Huawei OBS native signature.
pub(crate) const OBS: V2Dialect = V2Dialect {
    label: "OBS",
    prefix: "x-obs-",
    sha256: false,
    date_in_date_line: false,
    key_encoding: KeyEncoding::Path,
    sub_resources: &[
        "acl",
        "append",
        "backtosource",
        "cors",
        "delete",
        "deletebucket",
        "encryption",
        "fileinterface",
        "length",
        "lifecycle",
        "location",
        "logging",
        "metadata",
        "modify",
        "name",
        "notification",
        "obsalias",
        "obsbucketalias",
        "obsworkflowtriggerpolicy",
        "partnumber",
        "policy",
        "position",
        "quota",
        "rename",
        "replication",
        "requestpayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "storageclass",
        "storageinfo",
        "storagepolicy",
        "tagging",
        "torrent",
        "truncate",
        "uploadid",
        "uploads",
        "versionid",
        "versioning",
        "versions",
        "website",
        "x-image-process",
        "x-image-save-bucket",
        "x-image-save-object",
        "x-oss-process",
        "x-workflow-execution-state",
        "x-workflow-execution-type",
        "x-workflow-graph-name",
        "x-workflow-limit",
        "x-workflow-next-marker",
        "x-workflow-prefix",
        "x-workflow-start",
        "x-workflow-template-name",
    ],
    obs_rules: true,
    access_key_param: "AccessKeyId",
    query_token: QueryToken::SubResource("x-obs-security-token"),
};

/// NetEase NOS native signature.
pub(crate) const NOS: V2Dialect = V2Dialect {
    label: "NOS",
    prefix: "x-nos-",
    sha256: true,
    date_in_date_line: false,
    key_encoding: KeyEncoding::Nos,
    sub_resources: &[
        "acl",
        "deduplication",
        "delete",
        "location",
        "partNumber",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
    ],
    obs_rules: false,
    access_key_param: "NOSAccessKeyId",
    query_token: QueryToken::AsHeader("x-nos-security-token"),
};

/// Kingsoft KS3 V2.
pub(crate) const KS3_V2: V2Dialect = V2Dialect {
    label: "KSS",
    prefix: "x-kss-",
    sha256: false,
    date_in_date_line: false,
    key_encoding: KeyEncoding::PathNoDoubleSlash,
    sub_resources: &[
        "VpcAccessBlock",
        "accessmonitor",
        "acl",
        "adp",
        "append",
        "asyntask",
        "bucketqos",
        "clear",
        "compose",
        "cors",
        "crr",
        "dataRedundancySwitch",
        "decompresspolicy",
        "defaultObjectAcl",
        "delete",
        "domain",
        "encryption",
        "fetch",
        "id",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "migration",
        "mirror",
        "notification",
        "partNumber",
        "policy",
        "position",
        "queryadp",
        "querytask",
        "quota",
        "recover",
        "recycle",
        "requestPayment",
        "requesterqos",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "retention",
        "security-token",
        "storageClass",
        "tagging",
        "thumbnail",
        "torrent",
        "transferAcceleration",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
        "websiteConfig",
        "x-kss-process",
    ],
    obs_rules: false,
    access_key_param: "KSSAccessKeyId",
    query_token: QueryToken::SubResource("security-token"),
};

pub(crate) fn sign(dialect: &V2Dialect, input: &SigningInput<'_>, params: &SigningParams<'_>) -> Result<Signed> {
    let creds = params.credentials;
    let mut added_headers = Vec::new();
    // Query auth: the token as a signed sub-resource, or as a parameter signed like a header.
    let mut token_param: Option<(String, String)> = None;
    let mut token_header: Option<(String, String)> = None;
    let date_line = match params.auth {
        Auth::Header => {
            let date_line = match find(input.headers, "date") {
                Some(date) => date.to_owned(),
                None => {
                    let date = params.time.http_date();
                    added_headers.push((format!("{}date", dialect.prefix), date.clone()));
                    if dialect.date_in_date_line { date } else { String::new() }
                }
            };
            if let Some(token) = creds.token() {
                added_headers.push((format!("{}security-token", dialect.prefix), token.to_owned()));
            }
            date_line
        }
        Auth::Query { expires_in } => {
            if let Some(token) = creds.token() {
                match dialect.query_token {
                    QueryToken::SubResource(name) => token_param = Some((name.to_owned(), token.to_owned())),
                    QueryToken::AsHeader(name) => token_header = Some((name.to_owned(), token.to_owned())),
                }
            }
            (params.time.unix() + i64::from(expires_in)).to_string()
        }
    };

    let all_headers = input.headers.iter().chain(&added_headers).chain(&token_header);
    let signed =
        canonical(all_headers.map(|(n, v)| (n.as_str(), v.as_str())), Trim::Ends, |n| n.starts_with(dialect.prefix));
    let string_to_sign = format!(
        "{}\n{}\n{}\n{date_line}\n{}{}",
        input.method,
        find(input.headers, "content-md5").unwrap_or_default(),
        find(input.headers, "content-type").unwrap_or_default(),
        lines(&signed),
        canonical_resource(dialect, input, input.query.iter().chain(&token_param)),
    );
    let mac = if dialect.sha256 {
        hmac_sha256(creds.secret().as_bytes(), string_to_sign.as_bytes())
    } else {
        hmac_sha1(creds.secret().as_bytes(), string_to_sign.as_bytes())
    };
    let signature = Base64::encode_string(&mac);

    let mut added_query = Vec::new();
    match params.auth {
        Auth::Header => added_headers
            .push(("authorization".to_owned(), format!("{} {}:{signature}", dialect.label, creds.access_key_id()))),
        Auth::Query { .. } => {
            added_query.push((dialect.access_key_param.to_owned(), creds.access_key_id().to_owned()));
            added_query.push(("Expires".to_owned(), date_line));
            added_query.push(("Signature".to_owned(), signature));
            added_query.extend(token_param);
            added_query.extend(token_header);
        }
    }
    Ok(Signed { headers: added_headers, query: added_query, string_to_sign })
}

/// `/bucket/key?sub&resources`, with the dialect's key encoding and sub-resource list.
fn canonical_resource<'q>(
    dialect: &V2Dialect,
    input: &SigningInput<'_>,
    query: impl Iterator<Item = &'q (String, String)>,
) -> String {
    let key = match dialect.key_encoding {
        KeyEncoding::Raw => input.key.to_owned(),
        KeyEncoding::Path | KeyEncoding::PathNoDoubleSlash => path_encode(input.key),
        KeyEncoding::Nos => nos_key_encode(input.key),
    };
    let mut resource = format!("/{}/{key}", input.bucket);
    if matches!(dialect.key_encoding, KeyEncoding::PathNoDoubleSlash) {
        resource = resource.replace("//", "/%2F");
    }
    let sub: Vec<(String, String)> = query.filter(|(k, _)| is_sub_resource(dialect, k)).cloned().collect();
    if !sub.is_empty() {
        resource.push('?');
        let parts: Vec<String> =
            sorted_pairs(&sub).map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect();
        resource.push_str(&parts.join("&"));
    }
    resource
}

fn is_sub_resource(dialect: &V2Dialect, name: &str) -> bool {
    if dialect.obs_rules {
        let lower = name.to_ascii_lowercase();
        lower.starts_with(dialect.prefix) || dialect.sub_resources.contains(&lower.as_str())
    } else {
        dialect.sub_resources.contains(&name)
    }
}
