//! The SigV4 family: AWS `AWS4-HMAC-SHA256` and KS3 `KSS4-HMAC-SHA256`, which differ only in names.

use super::crypto::{hmac_sha256, sha256_hex};
use super::encode::uri_encode;
use super::headers::{CanonicalHeaders, Trim, canonical, find, lines};
use super::{Auth, Signed, SigningInput, SigningParams, required_region, sorted_pairs};
use crate::error::Result;
use crate::hash::hex;

/// The names that distinguish one SigV4 dialect from another.
pub(crate) struct V4Names {
    algorithm: &'static str,
    key_prefix: &'static str,
    service: &'static str,
    terminator: &'static str,
    header_prefix: &'static str,
    query_prefix: &'static str,
}

/// AWS Signature Version 4 for S3.
pub(crate) const AWS: V4Names = V4Names {
    algorithm: "AWS4-HMAC-SHA256",
    key_prefix: "AWS4",
    service: "s3",
    terminator: "aws4_request",
    header_prefix: "x-amz-",
    query_prefix: "X-Amz-",
};

/// Kingsoft KS3 V4.
pub(crate) const KS3: V4Names = V4Names {
    algorithm: "KSS4-HMAC-SHA256",
    key_prefix: "KSS4",
    service: "ks3",
    terminator: "kss4_request",
    header_prefix: "x-kss-",
    query_prefix: "X-Kss-",
};

pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

pub(crate) fn sign(names: &V4Names, input: &SigningInput<'_>, params: &SigningParams<'_>) -> Result<Signed> {
    let region = required_region(params)?;
    let creds = params.credentials;
    let date = params.time.iso_basic();
    let scope = format!("{}/{region}/{}/{}", params.time.date_stamp(), names.service, names.terminator);
    let host = input.host();

    let mut added_headers = Vec::new();
    let mut added_query = Vec::new();
    let payload = match params.auth {
        Auth::Header => {
            let hash_header = format!("{}content-sha256", names.header_prefix);
            let payload = match find(input.headers, &hash_header) {
                Some(value) => value.to_owned(),
                None => {
                    added_headers.push((hash_header, UNSIGNED_PAYLOAD.to_owned()));
                    UNSIGNED_PAYLOAD.to_owned()
                }
            };
            added_headers.push((format!("{}date", names.header_prefix), date.clone()));
            if let Some(token) = creds.token() {
                added_headers.push((format!("{}security-token", names.header_prefix), token.to_owned()));
            }
            payload
        }
        Auth::Query { .. } => UNSIGNED_PAYLOAD.to_owned(),
    };

    let all_headers = input.headers.iter().chain(&added_headers);
    let mut signed = canonical(all_headers.map(|(n, v)| (n.as_str(), v.as_str())), Trim::All, |n| n != "host");
    signed.insert("host".to_owned(), host);
    let signed_names = signed_header_names(&signed);

    if let Auth::Query { expires_in } = params.auth {
        let q = names.query_prefix;
        added_query.push((format!("{q}Algorithm"), names.algorithm.to_owned()));
        added_query.push((format!("{q}Credential"), format!("{}/{scope}", creds.access_key_id())));
        added_query.push((format!("{q}Date"), date.clone()));
        added_query.push((format!("{q}Expires"), expires_in.to_string()));
        added_query.push((format!("{q}SignedHeaders"), signed_names.clone()));
        if let Some(token) = creds.token() {
            added_query.push((format!("{q}Security-Token"), token.to_owned()));
        }
    }

    let canonical_request = [
        input.method,
        &input.path(),
        &canonical_query(input.query.iter().chain(&added_query)),
        &lines(&signed),
        &signed_names,
        &payload,
    ]
    .join("\n");
    let string_to_sign = format!("{}\n{date}\n{scope}\n{}", names.algorithm, sha256_hex(canonical_request.as_bytes()));
    let key = signing_key(
        &format!("{}{}", names.key_prefix, creds.secret()),
        &[&params.time.date_stamp(), region, names.service, names.terminator],
    );
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));

    match params.auth {
        Auth::Header => added_headers.push((
            "authorization".to_owned(),
            format!(
                "{} Credential={}/{scope}, SignedHeaders={signed_names}, Signature={signature}",
                names.algorithm,
                creds.access_key_id()
            ),
        )),
        Auth::Query { .. } => added_query.push((format!("{}Signature", names.query_prefix), signature)),
    }
    Ok(Signed { headers: added_headers, query: added_query, string_to_sign })
}

/// The HMAC chain `k = HMAC(k, part)` over the scope parts, starting from `secret`.
pub(crate) fn signing_key(secret: &str, parts: &[&str]) -> Vec<u8> {
    parts.iter().fold(secret.as_bytes().to_vec(), |key, part| hmac_sha256(&key, part.as_bytes()))
}

/// SigV4 canonical query: every parameter encoded, sorted by key then value, `key=` when empty.
fn canonical_query<'q>(query: impl Iterator<Item = &'q (String, String)>) -> String {
    let pairs: Vec<(String, String)> = query.map(|(k, v)| (uri_encode(k), uri_encode(v))).collect();
    sorted_pairs(&pairs).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn signed_header_names(headers: &CanonicalHeaders) -> String {
    headers.keys().map(String::as_str).collect::<Vec<_>>().join(";")
}
