//! The one error type of partwise. Every variant has a stable [`Error::code`] and a
//! [`Error::is_retryable`] verdict, so the browser shell can map it 1:1 to `PartwiseError`.

use std::fmt;

/// Every stable [`Error::code`], as `PartwiseError.code` in JS (and the `ErrorCode` type) spells it.
pub const CODES: &[&str] = &[
    "InvalidInput",
    "TooLarge",
    "ProviderError",
    "InvalidResponse",
    "EtagNotExposed",
    "CheckpointInvalid",
    "NetworkError",
    "Aborted",
    "CredentialsError",
    "BrowserError",
    "IntegrityError",
];

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong, as plain data (no boxed sources), so it crosses to JS intact.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An argument is malformed or out of range: a bucket name, a key, a part number, an option.
    InvalidInput {
        /// The argument at fault.
        field: &'static str,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// The file is larger than the service stores in one object.
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The service's maximum object size in bytes.
        max: u64,
    },
    /// The service answered with an error status or an `<Error>` document.
    Provider(ProviderError),
    /// The service answered, but with a body or headers partwise cannot read.
    InvalidResponse {
        /// The operation whose answer was unreadable.
        context: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// An UploadPart answer carried no readable `ETag`: the bucket's CORS rule does not expose it.
    EtagNotExposed,
    /// A stored checkpoint is unreadable, of another schema version, or inconsistent.
    Checkpoint {
        /// What is wrong with it.
        reason: String,
    },
    /// The request never reached the service, or its answer never arrived.
    Network {
        /// The browser's description of the failure.
        message: String,
    },
    /// The caller aborted the upload.
    Aborted,
    /// The app's `credentials` or `presign` callback failed, timed out or returned something
    /// unusable.
    Credentials {
        /// What went wrong, in words (never the credentials themselves).
        message: String,
        /// Whether calling again may succeed: true for a throw, a rejection or a timeout (unless
        /// the thrown value says `retryable: false`), false for an unusable answer.
        retryable: bool,
    },
    /// The browser itself failed, not the network: a Worker, the Content-Security-Policy, IndexedDB.
    Browser {
        /// The browser's description of the failure.
        message: String,
    },
    /// The stored object's checksum, as the service reported it, is not the one of the file's
    /// bytes: the object is damaged (it stays stored; the app decides whether to delete it).
    Integrity {
        /// Which checksum differs, and both values.
        message: String,
    },
}

/// An error answer from the storage service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderError {
    /// HTTP status of the answer (200 for S3's "200 with an `<Error>` body" on Complete).
    pub status: u16,
    /// The service's error code, such as `SignatureDoesNotMatch`; `None` when the answer had no body.
    pub code: Option<String>,
    /// The service's message, or the HTTP reason when there was none.
    pub message: String,
    /// The request id the service gave (header or body), for support tickets.
    pub request_id: Option<String>,
    /// The service's host id (`x-amz-id-2` style), when given.
    pub host_id: Option<String>,
}

impl ProviderError {
    /// Whether sending the same request again (re-signed, after a pause) can succeed.
    pub fn is_retryable(&self) -> bool {
        const TRANSIENT: &[&str] = &[
            "RequestTimeout",
            "SlowDown",
            "InternalError",
            "ServiceUnavailable",
            "RequestTimeTooSkewed",
            "ExpiredToken",
            "TokenRefreshRequired",
            // The part's bytes were damaged or cut short on the way; they are read from the file again.
            "BadDigest",
            "IncompleteBody",
        ];
        self.status >= 500
            || self.status == 408
            || self.status == 429
            || self.code.as_deref().is_some_and(|c| TRANSIENT.contains(&c))
    }
}

impl Error {
    /// A stable, machine-readable name for the kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "InvalidInput",
            Error::TooLarge { .. } => "TooLarge",
            Error::Provider(_) => "ProviderError",
            Error::InvalidResponse { .. } => "InvalidResponse",
            Error::EtagNotExposed => "EtagNotExposed",
            Error::Checkpoint { .. } => "CheckpointInvalid",
            Error::Network { .. } => "NetworkError",
            Error::Aborted => "Aborted",
            Error::Credentials { .. } => "CredentialsError",
            Error::Browser { .. } => "BrowserError",
            Error::Integrity { .. } => "IntegrityError",
        }
    }

    /// Whether the same operation may succeed when tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Provider(p) => p.is_retryable(),
            Error::Network { .. } => true,
            Error::Credentials { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The HTTP status behind the error, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Provider(p) => Some(p.status),
            _ => None,
        }
    }

    /// The service's own error code (`NoSuchUpload`, `SignatureDoesNotMatch`, …), when there is one.
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            Error::Provider(p) => p.code.as_deref(),
            _ => None,
        }
    }

    /// The service's request id, when there is one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Provider(p) => p.request_id.as_deref(),
            _ => None,
        }
    }

    /// An unusable answer of the app's callback (not retried).
    pub(crate) fn unusable(message: impl Into<String>) -> Self {
        Error::Credentials { message: message.into(), retryable: false }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field, reason: reason.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, reason } => write!(f, "invalid {field}: {reason}"),
            Error::TooLarge { size, max } => {
                write!(f, "the file is {size} bytes; the service stores at most {max} bytes in one object")
            }
            Error::Provider(p) => {
                write!(f, "the service answered {}", p.status)?;
                if let Some(code) = &p.code {
                    write!(f, " {code}")?;
                }
                if !p.message.is_empty() {
                    write!(f, ": {}", p.message)?;
                }
                if let Some(id) = &p.request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::InvalidResponse { context, message } => {
                write!(f, "unreadable {context} answer: {message}")
            }
            Error::EtagNotExposed => f.write_str(
                "the part was stored but its ETag header is hidden from the browser: add ETag to \
                 ExposeHeaders (Access-Control-Expose-Headers) in the bucket's CORS rule",
            ),
            Error::Checkpoint { reason } => write!(f, "unusable checkpoint: {reason}"),
            Error::Network { message } => write!(f, "network error: {message}"),
            Error::Aborted => f.write_str("the upload was aborted"),
            Error::Credentials { message, .. } => write!(f, "credentials: {message}"),
            Error::Browser { message } => write!(f, "browser error: {message}"),
            Error::Integrity { message } => write!(f, "integrity check failed: {message}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(status: u16, code: Option<&str>) -> Error {
        Error::Provider(ProviderError {
            status,
            code: code.map(str::to_owned),
            message: String::new(),
            request_id: None,
            host_id: None,
        })
    }

    #[test]
    fn retryable_answers() {
        assert!(provider(503, Some("SlowDown")).is_retryable());
        assert!(provider(500, None).is_retryable());
        assert!(provider(429, None).is_retryable());
        assert!(provider(400, Some("RequestTimeout")).is_retryable());
        assert!(provider(403, Some("RequestTimeTooSkewed")).is_retryable());
        assert!(provider(400, Some("BadDigest")).is_retryable(), "a part damaged on the way is sent again");
        assert!(!provider(403, Some("SignatureDoesNotMatch")).is_retryable());
        assert!(!provider(404, Some("NoSuchUpload")).is_retryable());
        assert!(Error::Network { message: "reset".into() }.is_retryable());
        assert!(!Error::EtagNotExposed.is_retryable());
        assert!(!Error::Browser { message: "Worker blocked".into() }.is_retryable());
        assert!(Error::Credentials { message: "backend down".into(), retryable: true }.is_retryable());
        assert!(!Error::unusable("no accessKeyId").is_retryable());
    }

    /// One error of each kind. The match fails to compile when a variant is added, until it is
    /// added here too.
    fn one_of_each() -> Vec<Error> {
        let all = vec![
            Error::invalid("key", "empty"),
            Error::TooLarge { size: 2, max: 1 },
            provider(403, None),
            Error::InvalidResponse { context: "ListParts", message: "m".into() },
            Error::EtagNotExposed,
            Error::Checkpoint { reason: "r".into() },
            Error::Network { message: "m".into() },
            Error::Aborted,
            Error::Credentials { message: "m".into(), retryable: true },
            Error::Browser { message: "m".into() },
            Error::Integrity { message: "m".into() },
        ];
        for error in &all {
            match error {
                Error::InvalidInput { .. }
                | Error::TooLarge { .. }
                | Error::Provider(_)
                | Error::InvalidResponse { .. }
                | Error::EtagNotExposed
                | Error::Checkpoint { .. }
                | Error::Network { .. }
                | Error::Aborted
                | Error::Credentials { .. }
                | Error::Browser { .. }
                | Error::Integrity { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_code_is_declared_once() {
        let produced: Vec<&str> = one_of_each().iter().map(Error::code).collect();
        for code in &produced {
            assert!(CODES.contains(code), "{code} is missing from CODES");
        }
        for code in CODES {
            assert!(produced.contains(code), "CODES lists {code}, which no error has");
        }
        assert_eq!(produced.len(), CODES.len(), "each variant has its own code, listed once");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(provider(403, None).code(), "ProviderError");
        assert_eq!(Error::invalid("key", "empty").code(), "InvalidInput");
        assert_eq!(Error::TooLarge { size: 2, max: 1 }.code(), "TooLarge");
        assert!(Error::EtagNotExposed.to_string().contains("ExposeHeaders"));
        let browser = Error::Browser { message: "IndexedDB is unavailable".into() };
        assert_eq!(
            (browser.code(), browser.to_string().as_str()),
            ("BrowserError", "browser error: IndexedDB is unavailable")
        );
    }
}
