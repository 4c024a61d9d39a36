//! Requests and responses as plain data: the core builds the first and reads the second.

use crate::error::{Error, Result};

/// An HTTP method partwise uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// What a request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Nothing.
    Empty,
    /// A text document (the CompleteMultipartUpload XML).
    Text(String),
    /// `len` bytes of the file from `offset`: the shell slices the `Blob`, the core never holds them.
    Range {
        /// First byte.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
}

/// A request for one bucket, before signing. Key and query are raw (not percent-encoded). `Debug`
/// hides secret headers (an SSE-C key).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The operation's method.
    pub method: Method,
    /// The object key; empty for bucket-level requests.
    pub key: String,
    /// Query parameters in order; value-less ones have `""`.
    pub query: Vec<(String, String)>,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("key", &self.key)
            .field("query", &crate::redact::pairs(&self.query))
            .field("headers", &crate::redact::pairs(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

/// A response, as the shell received it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers the browser let us read (CORS may hide some).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as UTF-8 text.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when the body is not UTF-8.
    pub fn text(&self, context: &'static str) -> Result<&str> {
        std::str::from_utf8(&self.body)
            .map_err(|e| Error::InvalidResponse { context, message: format!("body is not UTF-8: {e}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Addressing, Endpoint};
    use crate::signing::{Auth, Credentials, Scheme, SigningInput, SigningParams, sign};
    use crate::timestamp::Timestamp;

    #[test]
    fn every_scheme_signs_head_as_its_own_method() {
        let endpoint = Endpoint::parse("https://example.com").expect("valid");
        let credentials = Credentials::new("AK", "SK", Some("TOKEN".into()));
        let time = Timestamp::from_unix(1_700_000_000).expect("valid");
        let input = |method: Method| SigningInput {
            method: method.as_str(),
            endpoint: &endpoint,
            addressing: Addressing::Virtual,
            bucket: "bucket",
            key: "a/b.txt",
            query: &[],
            headers: &[],
            additional_headers: &[],
        };
        for scheme in Scheme::ALL {
            for auth in [Auth::Header, Auth::Query { expires_in: 900 }] {
                let params = SigningParams { scheme, credentials: &credentials, region: Some("r"), time, auth };
                let head = sign(&input(Method::Head), &params).expect("HEAD signs");
                let get = sign(&input(Method::Get), &params).expect("GET signs");
                assert_ne!(head, get, "{}: the method is part of the signature", scheme.name());
            }
        }
    }
}
