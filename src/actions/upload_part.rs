//! UploadPart: `PUT /key?partNumber=N&uploadId=ID` with a slice of the file as body.

use super::{Action, Operation, check, checked_key, checked_part_number, checked_upload_id, request};
use crate::error::{Error, Result};
use crate::http::{Body, Method, Request, Response};
use crate::provider::Profile;

/// Uploads one part. The answer's `ETag` must be kept for Complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPart {
    /// The object key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// Part number, 1 to 10,000.
    pub part_number: u16,
    /// Offset of the part in the file.
    pub offset: u64,
    /// Size of the part.
    pub size: u64,
    /// `Content-MD5`, already in the service's encoding; the service rejects a mismatch.
    pub content_md5: Option<String>,
}

impl Action for UploadPart {
    const OPERATION: Operation = Operation::UploadPart;
    type Output = String;

    /// The request; its body is the byte range of the file.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key, upload id or part number.
    fn request(&self, profile: &Profile) -> Result<Request> {
        let query = vec![
            ("partNumber".into(), checked_part_number(self.part_number, profile)?.to_string()),
            ("uploadId".into(), checked_upload_id(&self.upload_id)?),
        ];
        let mut r = request(Method::Put, checked_key(&self.key, profile)?, query);
        if let Some(md5) = &self.content_md5 {
            r.headers.push(("content-md5".into(), md5.clone()));
        }
        r.body = Body::Range { offset: self.offset, len: self.size };
        Ok(r)
    }

    /// Reads the answer: the part's `ETag`, exactly as sent (quotes included).
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer; [`Error::EtagNotExposed`] when a 2xx answer shows
    /// no `ETag` (the bucket's CORS rule hides it).
    fn parse(response: &Response, profile: &Profile) -> Result<String> {
        check(response, profile)?;
        etag(response)
    }
}

/// The `ETag` header of a successful write.
pub(super) fn etag(response: &Response) -> Result<String> {
    match response.header("etag").map(str::trim_ascii) {
        Some(e) if !e.is_empty() => Ok(e.to_owned()),
        _ => Err(Error::EtagNotExposed),
    }
}
