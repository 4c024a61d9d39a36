//! InitiateMultipartUpload: `POST /key?uploads`.

use super::{Action, ObjectOptions, Operation, check, checked_key, request};
use crate::error::{Error, Result};
use crate::http::{Method, Request, Response};
use crate::provider::Profile;
use crate::xml;

/// Starts a multipart upload. Content type, metadata and headers are recorded on the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateMultipartUpload {
    /// The object key.
    pub key: String,
    /// What the finished object carries.
    pub options: ObjectOptions,
}

/// The service's answer: the new upload's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedUpload {
    /// The bucket named in the answer.
    pub bucket: String,
    /// The key named in the answer.
    pub key: String,
    /// The upload id every later request of this upload names.
    pub upload_id: String,
}

impl Action for CreateMultipartUpload {
    const OPERATION: Operation = Operation::CreateMultipartUpload;
    type Output = CreatedUpload;

    /// The request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key or header.
    fn request(&self, profile: &Profile) -> Result<Request> {
        let mut r = request(Method::Post, checked_key(&self.key, profile)?, vec![("uploads".into(), String::new())]);
        r.headers = self.options.headers(profile)?;
        Ok(r)
    }

    /// Reads the answer.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer, [`Error::InvalidResponse`] for an unreadable one.
    fn parse(response: &Response, profile: &Profile) -> Result<CreatedUpload> {
        check(response, profile)?;
        let r = xml::parse(response.text("InitiateMultipartUpload")?, "InitiateMultipartUpload")?;
        let upload_id = r.field("UploadId").unwrap_or_default().trim_ascii().to_owned();
        if upload_id.is_empty() {
            return Err(Error::InvalidResponse {
                context: "InitiateMultipartUpload",
                message: "empty UploadId".into(),
            });
        }
        Ok(CreatedUpload {
            bucket: r.field("Bucket").unwrap_or_default().trim_ascii().to_owned(),
            key: r.field("Key").unwrap_or_default().to_owned(),
            upload_id,
        })
    }
}
