//! AbortMultipartUpload: `DELETE /key?uploadId=ID`.

use super::{Action, Operation, check, checked_key, checked_upload_id, request};
use crate::error::Result;
use crate::http::{Method, Request, Response};
use crate::provider::Profile;

/// Discards an unfinished upload and the parts stored for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbortMultipartUpload {
    /// The object key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
}

impl Action for AbortMultipartUpload {
    const OPERATION: Operation = Operation::AbortMultipartUpload;
    type Output = ();

    /// The request.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a bad key or upload id.
    fn request(&self, profile: &Profile) -> Result<Request> {
        let query = vec![("uploadId".into(), checked_upload_id(&self.upload_id)?)];
        Ok(request(Method::Delete, checked_key(&self.key, profile)?, query))
    }

    /// Reads the answer (204 on success; `NoSuchUpload` comes back as a provider error).
    ///
    /// # Errors
    /// [`crate::Error::Provider`] for an error answer.
    fn parse(response: &Response, profile: &Profile) -> Result<()> {
        check(response, profile)
    }
}
