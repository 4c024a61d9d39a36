//! Request signing for every scheme partwise speaks: pure functions of the request, the
//! credentials and an explicit signing time.
//!
//! | scheme | service | family |
//! |---|---|---|
//! | `aws-v4` | S3 and S3-compatibles | SigV4 (`AWS4-HMAC-SHA256`) |
//! | `oss-v4` | Alibaba OSS | `OSS4-HMAC-SHA256` |
//! | `oss-v1` | Alibaba OSS (legacy) | HMAC-SHA1 |
//! | `obs` | Huawei OBS | HMAC-SHA1 |
//! | `nos` | NetEase NOS | HMAC-SHA256 |
//! | `ks3-v2` | Kingsoft KS3 | HMAC-SHA1 |
//! | `ks3-v4` | Kingsoft KS3 | `KSS4-HMAC-SHA256` |

mod crypto;
pub(crate) mod encode;
mod headers;
mod oss_v4;
mod v2;
mod v4;

use crate::endpoint::{Addressing, Endpoint, request_path};
use crate::error::{Error, Result};
use crate::sorted_map::sorted_positions;
use crate::timestamp::Timestamp;
use std::fmt;

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// AWS Signature Version 4, service `s3`.
    AwsV4,
    /// Alibaba OSS V4 (`OSS4-HMAC-SHA256`).
    OssV4,
    /// Alibaba OSS V1 (HMAC-SHA1), for legacy buckets.
    OssV1,
    /// Huawei OBS native signature (HMAC-SHA1).
    Obs,
    /// NetEase NOS native signature (HMAC-SHA256).
    Nos,
    /// Kingsoft KS3 V2 (`KSS`, HMAC-SHA1).
    Ks3V2,
    /// Kingsoft KS3 V4 (`KSS4-HMAC-SHA256`).
    Ks3V4,
}

impl Scheme {
    /// Every scheme, in the order of the table above.
    pub const ALL: [Scheme; 7] =
        [Scheme::AwsV4, Scheme::OssV4, Scheme::OssV1, Scheme::Obs, Scheme::Nos, Scheme::Ks3V2, Scheme::Ks3V4];

    /// Every scheme's name, in the order of [`Scheme::ALL`].
    pub const NAMES: [&'static str; 7] = ["aws-v4", "oss-v4", "oss-v1", "obs", "nos", "ks3-v2", "ks3-v4"];

    /// The scheme's name as used in options and vector files (`aws-v4`, `oss-v1`, …).
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Looks a scheme up by [`Scheme::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the scheme puts a region in its credential scope.
    pub fn needs_region(self) -> bool {
        matches!(self, Scheme::AwsV4 | Scheme::OssV4 | Scheme::Ks3V4)
    }

    /// The header that carries the signing time (browsers cannot set `Date`).
    pub fn date_header(self) -> &'static str {
        match self {
            Scheme::AwsV4 => "x-amz-date",
            Scheme::OssV4 | Scheme::OssV1 => "x-oss-date",
            Scheme::Obs => "x-obs-date",
            Scheme::Nos => "x-nos-date",
            Scheme::Ks3V2 | Scheme::Ks3V4 => "x-kss-date",
        }
    }

    /// The header that carries an STS session token.
    pub fn security_token_header(self) -> &'static str {
        match self {
            Scheme::AwsV4 => "x-amz-security-token",
            Scheme::OssV4 | Scheme::OssV1 => "x-oss-security-token",
            Scheme::Obs => "x-obs-security-token",
            Scheme::Nos => "x-nos-security-token",
            Scheme::Ks3V2 | Scheme::Ks3V4 => "x-kss-security-token",
        }
    }
}

/// An access key, its secret and an optional STS session token. `Debug` never prints the secret
/// or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Long-term or temporary credentials; pass the session token for temporary ones.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
        }
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret_access_key
    }

    pub(crate) fn token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Where the signature goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// In headers (`Authorization` and the scheme's date and token headers).
    Header,
    /// In the query: a presigned URL, valid for `expires_in` seconds from the signing time.
    Query {
        /// Seconds the URL stays valid.
        expires_in: u32,
    },
}

/// One request to sign, as raw (not percent-encoded) parts.
#[derive(Clone, Copy, Debug)]
pub struct SigningInput<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// The service endpoint (without the bucket).
    pub endpoint: &'a Endpoint,
    /// Virtual-hosted or path-style addressing.
    pub addressing: Addressing,
    /// The bucket name.
    pub bucket: &'a str,
    /// The object key, raw; empty for bucket-level requests.
    pub key: &'a str,
    /// Query parameters in request order; value-less ones (`uploads`) have `""`.
    pub query: &'a [(String, String)],
    /// Headers the browser will send, before signing.
    pub headers: &'a [(String, String)],
    /// `oss-v4` only: extra header names to sign (`AdditionalHeaders`).
    pub additional_headers: &'a [String],
}

impl SigningInput<'_> {
    /// The `Host` the browser will send.
    pub(crate) fn host(&self) -> String {
        self.endpoint.host_for(self.addressing, self.bucket)
    }

    /// The percent-encoded request path.
    pub(crate) fn path(&self) -> String {
        request_path(self.addressing, self.bucket, self.key)
    }
}

/// How to sign: scheme, credentials, region, time and placement.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The signature scheme.
    pub scheme: Scheme,
    /// The keys to sign with.
    pub credentials: &'a Credentials,
    /// The region, for the schemes whose scope has one.
    pub region: Option<&'a str>,
    /// The signing time.
    pub time: Timestamp,
    /// Header or query signing.
    pub auth: Auth,
}

/// What a signer adds to a request. Its `Debug` output hides signatures, tokens and credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// Headers to add (header auth: authorization, date, token, content hash).
    pub headers: Vec<(String, String)>,
    /// Query parameters to append, raw (query auth).
    pub query: Vec<(String, String)>,
    /// The exact string that was signed, for diagnostics.
    pub string_to_sign: String,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets: Vec<(String, String)> = self.headers.iter().chain(&self.query).cloned().collect();
        f.debug_struct("Signed")
            .field("headers", &crate::redact::pairs(&self.headers))
            .field("query", &crate::redact::pairs(&self.query))
            .field("string_to_sign", &crate::redact::text(&self.string_to_sign, &secrets))
            .finish()
    }
}

/// Signs `input` with `params`.
///
/// # Errors
/// [`Error::InvalidInput`] when the scheme needs a region and none is given, or a presigned URL's
/// lifetime is outside 1 s … 7 days.
pub fn sign(input: &SigningInput<'_>, params: &SigningParams<'_>) -> Result<Signed> {
    if let Auth::Query { expires_in } = params.auth
        && !(1..=604_800).contains(&expires_in)
    {
        return Err(Error::invalid("expiresIn", "must be 1 to 604800 seconds"));
    }
    match params.scheme {
        Scheme::AwsV4 => v4::sign(&v4::AWS, input, params),
        Scheme::Ks3V4 => v4::sign(&v4::KS3, input, params),
        Scheme::OssV4 => oss_v4::sign(input, params),
        Scheme::OssV1 => v2::sign(&v2::OSS_V1, input, params),
        Scheme::Obs => v2::sign(&v2::OBS, input, params),
        Scheme::Nos => v2::sign(&v2::NOS, input, params),
        Scheme::Ks3V2 => v2::sign(&v2::KS3_V2, input, params),
    }
}

/// The region a V4 scheme needs.
/// Query pairs sorted by name, then value (byte order), as every scheme's canonical query wants them.
fn sorted_pairs(pairs: &[(String, String)]) -> impl Iterator<Item = &(String, String)> {
    sorted_positions(pairs.len(), &|a, b| pairs[a].cmp(&pairs[b])).into_iter().map(|at| &pairs[at])
}

fn required_region<'a>(params: &SigningParams<'a>) -> Result<&'a str> {
    params
        .region
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::invalid("region", format!("{} signing needs a region", params.scheme.name())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(Scheme::from_name(s.name()), Some(s));
        }
        assert_eq!(Scheme::from_name("aws-v2"), None);
        assert_eq!((Scheme::OssV1.name(), Scheme::Ks3V4.name()), ("oss-v1", "ks3-v4"));
    }

    #[test]
    fn awkward_inputs_sign_without_panicking() {
        let endpoint = Endpoint::parse("https://example.com:8443").expect("valid");
        let creds = Credentials::new("AK", "SK", Some("T/+=".into()));
        let time = Timestamp::from_unix(0).expect("valid");
        let keys = ["", "/", "//a//", "a b+c%d~e!*'()=&?#;:@,$", "中文/ü/😀", "\u{0}\n\t", &"k".repeat(5000)];
        let headers = vec![("X-Amz-Meta-A".to_owned(), " \t ".to_owned()), ("content-md5".to_owned(), String::new())];
        let query = vec![("uploads".to_owned(), String::new()), ("a b".to_owned(), "c&d=e".to_owned())];
        for scheme in Scheme::ALL {
            for key in keys {
                for auth in [Auth::Header, Auth::Query { expires_in: 604_800 }] {
                    for addressing in [Addressing::Virtual, Addressing::Path] {
                        let input = SigningInput {
                            method: "PUT",
                            endpoint: &endpoint,
                            addressing,
                            bucket: "bucket",
                            key,
                            query: &query,
                            headers: &headers,
                            additional_headers: &["host".into(), "x-missing".into()],
                        };
                        let params = SigningParams { scheme, credentials: &creds, region: Some("r"), time, auth };
                        assert!(sign(&input, &params).is_ok(), "{} {key:?}", scheme.name());
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_missing_region_and_bad_lifetimes() {
        let endpoint = Endpoint::parse("https://example.com").expect("valid");
        let creds = Credentials::new("AK", "SK", None);
        let input = SigningInput {
            method: "GET",
            endpoint: &endpoint,
            addressing: Addressing::Virtual,
            bucket: "bucket",
            key: "k",
            query: &[],
            headers: &[],
            additional_headers: &[],
        };
        let time = Timestamp::from_unix(0).expect("valid");
        for scheme in Scheme::ALL {
            let params = SigningParams { scheme, credentials: &creds, region: None, time, auth: Auth::Header };
            assert_eq!(sign(&input, &params).is_err(), scheme.needs_region(), "{}", scheme.name());
            for expires_in in [0, 604_801] {
                let params = SigningParams { region: Some("r"), auth: Auth::Query { expires_in }, ..params };
                assert!(sign(&input, &params).is_err());
            }
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::new("AKID", "SECRETKEY", Some("TOKENVALUE".into()));
        let text = format!("{c:?}");
        assert!(text.contains("AKID"));
        assert!(!text.contains("SECRETKEY") && !text.contains("TOKENVALUE"));
    }
}
