//! HeadObject: `HEAD /key`, an object's size and `ETag` without its body.

use super::upload_part::etag;
use super::{Action, Operation, checked_key, provider_error, request};
use crate::error::{Error, Result};
use crate::http::{Method, Request, Response};
use crate::provider::Profile;

/// Asks whether an object exists, and for its size and `ETag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadObject {
    /// The object key.
    pub key: String,
}

/// What the service says about a stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectHead {
    /// Its size in bytes (`Content-Length`).
    pub size: u64,
    /// Its `ETag`, exactly as sent (quotes included).
    pub etag: String,
}

impl Action for HeadObject {
    const OPERATION: Operation = Operation::HeadObject;
    type Output = ObjectHead;

    /// The request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key.
    fn request(&self, profile: &Profile) -> Result<Request> {
        Ok(request(Method::Head, checked_key(&self.key, profile)?, Vec::new()))
    }

    /// Reads the answer's headers. HEAD answers have no body, so a 404 without an error code is
    /// reported as `NoSuchKey`.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer; [`Error::EtagNotExposed`] when CORS hides the
    /// `ETag`; [`Error::InvalidResponse`] without a readable `Content-Length`.
    fn parse(response: &Response, profile: &Profile) -> Result<ObjectHead> {
        if !response.is_success() {
            return Err(head_error(response, profile));
        }
        let length = response.header("content-length").map(str::trim_ascii).unwrap_or_default();
        let size = length.parse().map_err(|_| Error::InvalidResponse {
            context: "HeadObject",
            message: format!("Content-Length \"{length}\" is not a size"),
        })?;
        Ok(ObjectHead { size, etag: etag(response)? })
    }
}

/// The error of a HEAD answer: a missing object is `NoSuchKey` even though no body says so.
fn head_error(response: &Response, profile: &Profile) -> Error {
    let mut error = provider_error(response, profile);
    if let Error::Provider(p) = &mut error
        && p.status == 404
        && p.code.is_none()
    {
        p.code = Some("NoSuchKey".to_owned());
    }
    error
}
