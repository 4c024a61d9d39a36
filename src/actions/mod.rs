//! One module per service operation. Each implements [`Action`]: it builds an unsigned
//! [`Request`] for a [`Profile`] and parses the matching [`Response`]. Every service shares the S3
//! operation shapes; the profile supplies header names and encodings.

mod abort_multipart_upload;
mod complete_multipart_upload;
mod create_multipart_upload;
mod encryption;
mod head_object;
mod list_multipart_uploads;
mod list_parts;
mod object_options;
mod put_object;
mod upload_part;

pub use abort_multipart_upload::AbortMultipartUpload;
pub use complete_multipart_upload::{CompleteMultipartUpload, CompletedPart, CompletedUpload};
pub use create_multipart_upload::{CreateMultipartUpload, CreatedUpload};
pub use encryption::{CustomerKey, EncryptedRequest, Encryption};
pub use head_object::{HeadObject, ObjectHead};
pub use list_multipart_uploads::{ListMultipartUploads, UploadSummary, UploadsPage};
pub use list_parts::{ListParts, ListedPart, PartsPage, held_parts};
pub use object_options::{ContentDisposition, DispositionType, ObjectOptions};
pub use put_object::PutObject;
pub use upload_part::UploadPart;

use crate::error::{Error, ProviderError, Result};
use crate::http::{Request, Response};
use crate::provider::Profile;
use crate::xml;

/// A service operation, as the `presign` callback names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// InitiateMultipartUpload.
    CreateMultipartUpload,
    /// UploadPart.
    UploadPart,
    /// CompleteMultipartUpload.
    CompleteMultipartUpload,
    /// AbortMultipartUpload.
    AbortMultipartUpload,
    /// ListParts.
    ListParts,
    /// ListMultipartUploads.
    ListMultipartUploads,
    /// PutObject.
    PutObject,
    /// HeadObject.
    HeadObject,
}

impl Operation {
    /// Every operation, in the order the API documents them.
    pub const ALL: [Operation; 8] = [
        Operation::CreateMultipartUpload,
        Operation::UploadPart,
        Operation::CompleteMultipartUpload,
        Operation::AbortMultipartUpload,
        Operation::ListParts,
        Operation::ListMultipartUploads,
        Operation::PutObject,
        Operation::HeadObject,
    ];

    /// The name the `presign` callback sees (`createMultipartUpload`, `uploadPart`, …).
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateMultipartUpload => "createMultipartUpload",
            Operation::UploadPart => "uploadPart",
            Operation::CompleteMultipartUpload => "completeMultipartUpload",
            Operation::AbortMultipartUpload => "abortMultipartUpload",
            Operation::ListParts => "listParts",
            Operation::ListMultipartUploads => "listMultipartUploads",
            Operation::PutObject => "putObject",
            Operation::HeadObject => "headObject",
        }
    }
}

/// A service operation: what it is called, how its request is built, how its answer is read.
pub trait Action {
    /// The operation, as the presign callback names it.
    const OPERATION: Operation;
    /// What a successful answer yields.
    type Output;
    /// The unsigned request for `profile`'s service.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed key, upload id, part number, header or page size.
    fn request(&self, profile: &Profile) -> Result<Request>;
    /// Reads the service's answer.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer, [`Error::InvalidResponse`] for an unreadable one,
    /// [`Error::EtagNotExposed`] when CORS hides an `ETag` the operation needs.
    fn parse(response: &Response, profile: &Profile) -> Result<Self::Output>;
}

/// The error a response stands for: its status, and its `<Error>` document where there is one.
pub fn provider_error(response: &Response, profile: &Profile) -> Error {
    let body = std::str::from_utf8(&response.body).unwrap_or_default();
    // The body shared by every service: `<Error><Code/><Message/><RequestId/><HostId/></Error>`.
    let parsed = xml::parse(body, "Error").ok().filter(|e| e.name() == "Error");
    let field = |name: &str| {
        parsed.as_ref().and_then(|e| e.field(name)).map(|s| s.trim_ascii().to_owned()).filter(|s| !s.is_empty())
    };
    let message = field("Message").unwrap_or_else(|| reason(response.status).to_owned());
    let request_id = response
        .header(profile.request_id_header)
        .map(|s| s.trim_ascii().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| field("RequestId"));
    Error::Provider(ProviderError {
        status: response.status,
        code: field("Code"),
        message,
        request_id,
        host_id: field("HostId"),
    })
}

/// `Ok(())` for 2xx answers, the provider error otherwise.
fn check(response: &Response, profile: &Profile) -> Result<()> {
    if response.is_success() { Ok(()) } else { Err(provider_error(response, profile)) }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A key must be non-empty and within the service's byte limit.
fn checked_key(key: &str, profile: &Profile) -> Result<String> {
    if key.is_empty() {
        return Err(Error::invalid("key", "must not be empty"));
    }
    let max = profile.limits.max_key_bytes;
    if key.len() > max {
        return Err(Error::invalid("key", format!("is {} bytes of UTF-8; the service allows {max}", key.len())));
    }
    Ok(key.to_owned())
}

/// Part numbers run from 1 to the service's maximum.
fn checked_part_number(number: u16, profile: &Profile) -> Result<u16> {
    let max = profile.limits.max_parts;
    if number == 0 || number > max {
        return Err(Error::invalid("partNumber", format!("{number} is outside 1..={max}")));
    }
    Ok(number)
}

fn checked_upload_id(upload_id: &str) -> Result<String> {
    if upload_id.trim_ascii().is_empty() {
        return Err(Error::invalid("uploadId", "must not be empty"));
    }
    Ok(upload_id.trim_ascii().to_owned())
}

/// Header names are HTTP tokens.
fn checked_name(field: &'static str, name: &str) -> Result<String> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(Error::invalid(field, format!("\"{name}\" is not a valid header name")))
    }
}

/// Header values are visible ASCII and spaces: what every service signs and every browser sends.
fn checked_value(field: &'static str, value: &str) -> Result<String> {
    if value.bytes().all(|b| b == b' ' || b == b'\t' || (0x21..0x7f).contains(&b)) {
        Ok(value.trim_ascii().to_owned())
    } else {
        Err(Error::invalid(field, format!("\"{value}\" has characters a header cannot carry; encode them first")))
    }
}

fn request(method: crate::http::Method, key: String, query: Vec<(String, String)>) -> Request {
    Request { method, key, query, headers: Vec::new(), body: crate::http::Body::Empty }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_from_body_and_headers() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>\
                    <RequestId>body-id</RequestId><HostId>h</HostId><StringToSign>x</StringToSign></Error>";
        let e = provider_error(&response(403, body, &[("X-Amz-Request-Id", "hdr-id")]), Provider::S3.profile());
        assert_eq!(e.provider_code(), Some("SignatureDoesNotMatch"));
        assert_eq!(e.request_id(), Some("hdr-id"));
        assert_eq!(e.status(), Some(403));
        assert!(!e.is_retryable());
        let e = provider_error(&response(403, body, &[]), Provider::Oss.profile());
        assert_eq!(e.request_id(), Some("body-id"));
    }

    #[test]
    fn error_without_a_body() {
        let e = provider_error(&response(503, "", &[]), Provider::Obs.profile());
        assert_eq!((e.provider_code(), e.is_retryable()), (None, true));
        assert!(e.to_string().contains("Service Unavailable"));
        let e = provider_error(&response(502, "<html>bad gateway</html>", &[]), Provider::Nos.profile());
        assert_eq!(e.provider_code(), None);
        let e = provider_error(&response(400, "<Error><Code>Broken", &[]), Provider::Ks3.profile());
        assert_eq!(e.status(), Some(400));
    }

    #[test]
    fn validation() {
        let p = Provider::S3.profile();
        assert!(checked_key("", p).is_err());
        assert!(checked_key(&"k".repeat(1024), p).is_ok());
        assert!(checked_key(&"k".repeat(1025), p).is_err());
        assert!(checked_key(&"é".repeat(501), Provider::Nos.profile()).is_err());
        assert!(checked_part_number(0, p).is_err());
        assert!(checked_part_number(10_001, p).is_err());
        assert_eq!(checked_part_number(10_000, p), Ok(10_000));
        assert!(checked_name("h", "bad name").is_err());
        assert!(checked_value("h", "caf\u{e9}").is_err());
        assert!(checked_value("h", "a\r\nb").is_err());
        assert!(checked_upload_id("  ").is_err());
    }
}
