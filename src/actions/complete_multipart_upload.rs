//! CompleteMultipartUpload: `POST /key?uploadId=ID` with the list of parts.

use super::{Action, Operation, check, checked_key, checked_part_number, checked_upload_id, provider_error, request};
use crate::checksum::ChecksumAlgorithm;
use crate::error::{Error, Result};
use crate::hash::{encode_md5, md5};
use crate::http::{Body, Method, Request, Response};
use crate::provider::Profile;
use crate::sorted_map::sorted_positions;
use crate::xml;

/// One finished part: its number and the `ETag` its upload returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// Part number.
    pub part_number: u16,
    /// The `ETag` exactly as the service returned it.
    pub etag: String,
    /// The part's flexible checksum (base64), listed as `<ChecksumCRC32>`… (S3).
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// Joins the uploaded parts into the object. Part numbers must be unique; they are sent ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteMultipartUpload {
    /// The object key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// The parts, in any order.
    pub parts: Vec<CompletedPart>,
}

/// The finished object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedUpload {
    /// The object's URL as the service reports it.
    pub location: String,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The object's `ETag` (`"<md5 of part md5s>-<n>"` on S3).
    pub etag: String,
    /// The object's checksums the service reported: S3's flexible ones from the result's
    /// `<ChecksumCRC32>`… or the `x-amz-checksum-*` headers, the CRC-64/ECMA of OSS and KS3 from
    /// their header (or KS3's `<ChecksumCRC64ECMA>`).
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
}

impl Action for CompleteMultipartUpload {
    const OPERATION: Operation = Operation::CompleteMultipartUpload;
    type Output = CompletedUpload;

    /// The request, with its XML body and that body's `Content-MD5`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for no parts, a repeated or out-of-range part number, or a bad key.
    fn request(&self, profile: &Profile) -> Result<Request> {
        if self.parts.is_empty() {
            return Err(Error::invalid("parts", "a multipart upload needs at least one part"));
        }
        let parts: Vec<&CompletedPart> =
            sorted_positions(self.parts.len(), &|a, b| self.parts[a].part_number.cmp(&self.parts[b].part_number))
                .into_iter()
                .map(|at| &self.parts[at])
                .collect();
        let mut body = String::from("<CompleteMultipartUpload>");
        for pair in parts.windows(2) {
            if pair[0].part_number == pair[1].part_number {
                return Err(Error::invalid("parts", format!("part {} is listed twice", pair[0].part_number)));
            }
        }
        for part in parts {
            checked_part_number(part.part_number, profile)?;
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>",
                part.part_number,
                xml::escape(&part.etag)
            ));
            if let Some((algorithm, value)) = &part.checksum {
                let element = algorithm.element();
                body.push_str(&format!("<{element}>{}</{element}>", xml::escape(value)));
            }
            body.push_str("</Part>");
        }
        body.push_str("</CompleteMultipartUpload>");
        let query = vec![("uploadId".into(), checked_upload_id(&self.upload_id)?)];
        let mut r = request(Method::Post, checked_key(&self.key, profile)?, query);
        r.headers = vec![
            ("content-type".into(), "application/xml".into()),
            ("content-md5".into(), encode_md5(&md5(body.as_bytes()), profile.content_md5)),
        ];
        r.body = Body::Text(body);
        Ok(r)
    }

    /// Reads the answer. A 200 whose body is an `<Error>` (S3 reports late failures that way) is an
    /// error.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer, [`Error::InvalidResponse`] for an unreadable one.
    fn parse(response: &Response, profile: &Profile) -> Result<CompletedUpload> {
        check(response, profile)?;
        let body = response.text("CompleteMultipartUpload")?;
        match xml::root_name(body).as_deref() {
            Some("Error") => Err(provider_error(response, profile)),
            Some("CompleteMultipartUploadResult") => {
                let r = xml::parse(body, "CompleteMultipartUpload")?;
                let field = |name| r.field(name).unwrap_or_default().to_owned();
                let flexible = ChecksumAlgorithm::FLEXIBLE.into_iter().map(|algorithm| {
                    (algorithm, r.field(&algorithm.element()).or_else(|| response.header(&algorithm.header())))
                });
                // KS3 also writes it in the result (ks3sdk reads `<ChecksumCRC64ECMA>`).
                let crc64 = profile.crc64_header.map(|name| {
                    (ChecksumAlgorithm::Crc64Ecma, response.header(name).or_else(|| r.field("ChecksumCRC64ECMA")))
                });
                let checksums = flexible
                    .chain(crc64)
                    .filter_map(|(algorithm, value)| value.map(|v| (algorithm, v.trim_ascii().to_owned())))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                Ok(CompletedUpload {
                    checksums,
                    location: field("Location"),
                    bucket: field("Bucket"),
                    key: field("Key"),
                    etag: field("ETag"),
                })
            }
            other => Err(Error::InvalidResponse {
                context: "CompleteMultipartUpload",
                message: format!("expected CompleteMultipartUploadResult, got {}", other.unwrap_or("no document")),
            }),
        }
    }
}
