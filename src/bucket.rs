//! A bucket on a service: where requests go and how they are signed.

use crate::endpoint::{Addressing, Endpoint, request_url};
use crate::error::{Error, Result};
use crate::http::{Body, Method, Request};
use crate::provider::{Profile, Provider};
use crate::signing::{Auth, Credentials, Scheme, SigningInput, SigningParams, sign};
use crate::timestamp::Timestamp;

/// What [`Bucket::new`] needs.
#[derive(Clone, Debug)]
pub struct BucketConfig<'a> {
    /// The service.
    pub provider: Provider,
    /// `http[s]://host[:port]` of the service, without the bucket.
    pub endpoint: &'a str,
    /// The bucket name.
    pub name: &'a str,
    /// The region, for schemes that sign one (`us-east-1`, `cn-hangzhou`, `BEIJING`, …).
    pub region: Option<&'a str>,
    /// Path-style addressing; by default on for IP-address and `localhost` endpoints only.
    pub path_style: Option<bool>,
    /// The signature scheme; by default the service's preferred one.
    pub scheme: Option<Scheme>,
}

/// A validated bucket: service, endpoint, addressing style, name, region and scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    provider: Provider,
    endpoint: Endpoint,
    addressing: Addressing,
    name: String,
    region: Option<String>,
    scheme: Scheme,
}

/// A request ready for `fetch`. Its `Debug` output hides signatures, tokens and credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// Every header to send.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &crate::redact::url(&self.url))
            .field("headers", &crate::redact::pairs(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

impl Bucket {
    /// Validates the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad endpoint or bucket name, a scheme the service does not
    /// speak, or a missing region where the scheme needs one.
    pub fn new(config: &BucketConfig<'_>) -> Result<Self> {
        let profile = config.provider.profile();
        let endpoint = Endpoint::parse(config.endpoint)?;
        let name = checked_bucket_name(config.name)?;
        let scheme = config.scheme.unwrap_or_else(|| profile.default_scheme());
        if !profile.schemes.contains(&scheme) {
            return Err(Error::invalid(
                "signature",
                format!("{} does not accept {} signatures", config.provider.name(), scheme.name()),
            ));
        }
        let region = config.region.map(str::trim_ascii).filter(|r| !r.is_empty()).map(str::to_owned);
        if scheme.needs_region() && region.is_none() {
            return Err(Error::invalid("region", format!("{} signing needs a region", scheme.name())));
        }
        let addressing = match config.path_style {
            Some(true) => Addressing::Path,
            Some(false) => Addressing::Virtual,
            None => endpoint.default_addressing(),
        };
        Ok(Bucket { provider: config.provider, endpoint, addressing, name, region, scheme })
    }

    /// The service's profile.
    pub fn profile(&self) -> &'static Profile {
        self.provider.profile()
    }

    /// The bucket name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature scheme in use.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The addressing style in use.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// `scheme://host[:port]` of this bucket in either addressing style (where a presigned URL
    /// may point).
    pub fn origins(&self) -> [String; 2] {
        [Addressing::Path, Addressing::Virtual].map(|addressing| self.endpoint.origin_for(addressing, &self.name))
    }

    /// The unsigned URL of a request.
    pub fn url(&self, request: &Request) -> String {
        request_url(&self.endpoint, self.addressing, &self.name, &request.key, &request.query)
    }

    /// Signs `request` at `time`, in headers or as a presigned URL.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the presigned lifetime is out of range.
    pub fn sign(
        &self,
        request: &Request,
        credentials: &Credentials,
        time: Timestamp,
        auth: Auth,
    ) -> Result<SignedRequest> {
        let input = SigningInput {
            method: request.method.as_str(),
            endpoint: &self.endpoint,
            addressing: self.addressing,
            bucket: &self.name,
            key: &request.key,
            query: &request.query,
            headers: &request.headers,
            additional_headers: &[],
        };
        let params = SigningParams { scheme: self.scheme, credentials, region: self.region.as_deref(), time, auth };
        let signed = sign(&input, &params)?;
        let mut query = request.query.clone();
        query.extend(signed.query);
        let mut headers = request.headers.clone();
        headers.extend(signed.headers);
        Ok(SignedRequest {
            method: request.method,
            url: request_url(&self.endpoint, self.addressing, &self.name, &request.key, &query),
            headers,
            body: request.body.clone(),
        })
    }
}

/// Bucket names: 3–63 characters of `a-z 0-9 . -`, starting and ending with a letter or digit.
fn checked_bucket_name(name: &str) -> Result<String> {
    let valid_chars = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let edges = name
        .bytes()
        .next()
        .zip(name.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if (3..=63).contains(&name.len()) && valid_chars && edges && !name.contains("..") {
        Ok(name.to_owned())
    } else {
        Err(Error::invalid(
            "bucket",
            format!(
                "\"{name}\" is not a bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, UploadPart};

    fn config(provider: Provider, endpoint: &str) -> BucketConfig<'_> {
        BucketConfig { provider, endpoint, name: "uploads", region: Some("us-east-1"), path_style: None, scheme: None }
    }

    #[test]
    fn builds_and_signs() {
        let bucket = Bucket::new(&config(Provider::S3, "http://127.0.0.1:8333")).expect("valid");
        assert_eq!(bucket.addressing(), Addressing::Path);
        let part = UploadPart {
            key: "a b/c".into(),
            upload_id: "id".into(),
            part_number: 2,
            offset: 5,
            size: 7,
            content_md5: Some("md5==".into()),
        };
        let req = part.request(bucket.profile()).expect("valid");
        assert_eq!(bucket.url(&req), "http://127.0.0.1:8333/uploads/a%20b/c?partNumber=2&uploadId=id");
        let creds = Credentials::new("AK", "SK", Some("TOKEN".into()));
        let time = Timestamp::from_unix(1_700_000_000).expect("valid");
        let signed = bucket.sign(&req, &creds, time, Auth::Header).expect("signed");
        let names: Vec<&str> = signed.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["content-md5", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token", "authorization"]
        );
        assert_eq!(signed.body, Body::Range { offset: 5, len: 7 });
        let presigned = bucket.sign(&req, &creds, time, Auth::Query { expires_in: 900 }).expect("signed");
        assert!(presigned.url.contains("X-Amz-Signature=") && presigned.url.contains("X-Amz-Security-Token=TOKEN"));
        assert_eq!(presigned.headers, vec![("content-md5".to_owned(), "md5==".to_owned())]);
        assert!(bucket.sign(&req, &creds, time, Auth::Query { expires_in: 0 }).is_err());
    }

    #[test]
    fn rejects_bad_configuration() {
        assert!(
            Bucket::new(&BucketConfig { name: "Bad_Name", ..config(Provider::S3, "https://s3.amazonaws.com") })
                .is_err()
        );
        assert!(Bucket::new(&BucketConfig { name: "ab", ..config(Provider::S3, "https://s3.amazonaws.com") }).is_err());
        assert!(
            Bucket::new(&BucketConfig { name: "a..b", ..config(Provider::S3, "https://s3.amazonaws.com") }).is_err()
        );
        assert!(
            Bucket::new(&BucketConfig { region: None, ..config(Provider::S3, "https://s3.amazonaws.com") }).is_err()
        );
        assert!(
            Bucket::new(&BucketConfig { region: None, ..config(Provider::Obs, "https://obs.example.com") }).is_ok()
        );
        let wrong = BucketConfig { scheme: Some(Scheme::Obs), ..config(Provider::S3, "https://s3.amazonaws.com") };
        assert!(Bucket::new(&wrong).is_err());
        assert!(Bucket::new(&config(Provider::S3, "s3.amazonaws.com")).is_err());
        let virt = Bucket::new(&config(Provider::Oss, "https://oss-cn-hangzhou.aliyuncs.com")).expect("valid");
        assert_eq!(virt.addressing(), Addressing::Virtual);
        assert_eq!(virt.scheme(), Scheme::OssV4);
    }
}
