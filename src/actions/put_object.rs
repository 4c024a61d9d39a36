//! PutObject: `PUT /key`, for files that fit in one part.

use super::upload_part::etag;
use super::{Action, ObjectOptions, Operation, check, checked_key, request};
use crate::error::Result;
use crate::http::{Body, Method, Request, Response};
use crate::provider::Profile;

/// Uploads a whole (small) file in one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObject {
    /// The object key.
    pub key: String,
    /// The file size.
    pub size: u64,
    /// `Content-MD5` in the service's encoding.
    pub content_md5: Option<String>,
    /// What the object carries.
    pub options: ObjectOptions,
}

impl Action for PutObject {
    const OPERATION: Operation = Operation::PutObject;
    type Output = String;

    /// The request; its body is the whole file.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a bad key or header.
    fn request(&self, profile: &Profile) -> Result<Request> {
        let mut r = request(Method::Put, checked_key(&self.key, profile)?, Vec::new());
        r.headers = self.options.headers(profile)?;
        if let Some(md5) = &self.content_md5 {
            r.headers.push(("content-md5".into(), md5.clone()));
        }
        r.body = Body::Range { offset: 0, len: self.size };
        Ok(r)
    }

    /// Reads the answer: the object's `ETag`.
    ///
    /// # Errors
    /// [`crate::Error::Provider`] for an error answer; [`crate::Error::EtagNotExposed`] when CORS
    /// hides the `ETag`.
    fn parse(response: &Response, profile: &Profile) -> Result<String> {
        check(response, profile)?;
        etag(response)
    }
}
