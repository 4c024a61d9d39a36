//! Alibaba OSS V4 (`OSS4-HMAC-SHA256`): SigV4's key chain with OSS's own canonical request.

use super::crypto::{hmac_sha256, sha256_hex};
use super::encode::{path_encode, uri_encode};
use super::headers::{Trim, canonical, find, lines};
use super::v4::{UNSIGNED_PAYLOAD, signing_key};
use super::{Auth, Signed, SigningInput, SigningParams, required_region, sorted_pairs};
use crate::error::Result;
use crate::hash::hex;

const ALGORITHM: &str = "OSS4-HMAC-SHA256";

/// Headers OSS V4 always signs.
fn signed_by_default(name: &str) -> bool {
    name.starts_with("x-oss-") || name == "content-type" || name == "content-md5"
}

pub(crate) fn sign(input: &SigningInput<'_>, params: &SigningParams<'_>) -> Result<Signed> {
    let region = required_region(params)?;
    let creds = params.credentials;
    let date = params.time.iso_basic();
    let scope = format!("{}/{region}/oss/aliyun_v4_request", params.time.date_stamp());
    let host = input.host();

    let additional = additional_headers(input);
    let mut added_headers = Vec::new();
    let mut added_query = Vec::new();
    match params.auth {
        Auth::Header => {
            if find(input.headers, "x-oss-content-sha256").is_none() {
                added_headers.push(("x-oss-content-sha256".to_owned(), UNSIGNED_PAYLOAD.to_owned()));
            }
            added_headers.push(("x-oss-date".to_owned(), date.clone()));
            if let Some(token) = creds.token() {
                added_headers.push(("x-oss-security-token".to_owned(), token.to_owned()));
            }
        }
        Auth::Query { expires_in } => {
            added_query.push(("x-oss-signature-version".to_owned(), ALGORITHM.to_owned()));
            added_query.push(("x-oss-credential".to_owned(), format!("{}/{scope}", creds.access_key_id())));
            added_query.push(("x-oss-date".to_owned(), date.clone()));
            added_query.push(("x-oss-expires".to_owned(), expires_in.to_string()));
            if !additional.is_empty() {
                added_query.push(("x-oss-additional-headers".to_owned(), additional.join(";")));
            }
            if let Some(token) = creds.token() {
                added_query.push(("x-oss-security-token".to_owned(), token.to_owned()));
            }
        }
    }

    let all_headers = input.headers.iter().chain(&added_headers);
    let mut signed = canonical(all_headers.map(|(n, v)| (n.as_str(), v.as_str())), Trim::Ends, |n| {
        signed_by_default(n) || (n != "host" && additional.iter().any(|a| a == n))
    });
    if additional.iter().any(|a| a == "host") {
        signed.insert("host".to_owned(), host);
    }

    let canonical_uri = if input.key.is_empty() {
        format!("/{}/", input.bucket)
    } else {
        path_encode(&format!("/{}/{}", input.bucket, input.key))
    };
    let canonical_request = [
        input.method,
        &canonical_uri,
        &canonical_query(input.query.iter().chain(&added_query)),
        &lines(&signed),
        &additional.join(";"),
        UNSIGNED_PAYLOAD,
    ]
    .join("\n");
    let string_to_sign = format!("{ALGORITHM}\n{date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let key = signing_key(
        &format!("aliyun_v4{}", creds.secret()),
        &[&params.time.date_stamp(), region, "oss", "aliyun_v4_request"],
    );
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));

    match params.auth {
        Auth::Header => {
            let extra = if additional.is_empty() {
                String::new()
            } else {
                format!(",AdditionalHeaders={}", additional.join(";"))
            };
            added_headers.push((
                "authorization".to_owned(),
                format!("{ALGORITHM} Credential={}/{scope}{extra},Signature={signature}", creds.access_key_id()),
            ));
        }
        Auth::Query { .. } => added_query.push(("x-oss-signature".to_owned(), signature)),
    }
    Ok(Signed { headers: added_headers, query: added_query, string_to_sign })
}

/// The `AdditionalHeaders` list: requested names that are not signed anyway and are present with a
/// value (`host` is always present), lower-cased and sorted.
fn additional_headers(input: &SigningInput<'_>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let requested = input.additional_headers.iter().map(|n| n.trim_ascii().to_ascii_lowercase());
    for name in requested.filter(|n| !signed_by_default(n)) {
        if name == "host" || find(input.headers, &name).is_some_and(|v| !v.is_empty()) {
            // Kept sorted and each once by binary search (no sort or set shipped for this list).
            if let Err(at) = names.binary_search(&name) {
                names.insert(at, name);
            }
        }
    }
    names
}

/// OSS canonical query: encoded, sorted, and a bare `key` (no `=`) when the value is empty.
fn canonical_query<'q>(query: impl Iterator<Item = &'q (String, String)>) -> String {
    let pairs: Vec<(String, String)> = query.map(|(k, v)| (uri_encode(k), uri_encode(v))).collect();
    sorted_pairs(&pairs)
        .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
        .collect::<Vec<_>>()
        .join("&")
}
