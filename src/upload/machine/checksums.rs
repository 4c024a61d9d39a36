//! The integrity headers of an upload: each part's `Content-MD5` or flexible checksum
//! (`x-amz-checksum-*`), the parts' checksums on Complete, the whole object's checksum combined
//! from them, and the check of the one the service reports.

use super::Upload;
use crate::actions::CompletedPart;
use crate::checksum::{ChecksumAlgorithm, checksums_equal};
use crate::error::{Error, Result};
use crate::hash::encode_md5;
use crate::http::Request;
use crate::provider::Profile;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

impl Upload {
    /// The part's `Content-MD5`, unless a flexible checksum is sent instead.
    pub(super) fn content_md5(&self, md5: Option<[u8; 16]>, profile: &Profile) -> Option<String> {
        md5.filter(|_| self.config.checksum.algorithm().is_none()).map(|d| encode_md5(&d, profile.content_md5))
    }

    /// Part `number`'s checksum, base64, with its algorithm.
    pub(super) fn part_checksum(&self, number: u16) -> Option<(ChecksumAlgorithm, String)> {
        let algorithm = self.config.checksum.algorithm()?;
        self.part_checksums.get(&number).map(|digest| (algorithm, BASE64.encode(digest)))
    }

    /// `request` with part `number`'s `x-amz-checksum-*` header, when a flexible checksum is chosen.
    pub(super) fn with_part_checksum(&self, mut request: Request, number: u16) -> Request {
        if let Some((algorithm, value)) = self.part_checksum(number) {
            request.headers.push((algorithm.header(), value));
        }
        request
    }

    /// The parts for Complete, each with its checksum.
    pub(super) fn with_checksums(&self, parts: Vec<CompletedPart>) -> Vec<CompletedPart> {
        let checksum = |p: &CompletedPart| self.part_checksum(p.part_number);
        parts.into_iter().map(|p| CompletedPart { checksum: checksum(&p), ..p }).collect()
    }

    /// The whole object's checksum from the parts' (a CRC combined, or SHA256's composite), when
    /// every part has one.
    pub(super) fn object_checksum(&self) -> Option<(ChecksumAlgorithm, String)> {
        let algorithm = self.config.checksum.algorithm()?;
        let parts: Option<Vec<(Vec<u8>, u64)>> = self
            .plan
            .parts()
            .map(|spec| self.part_checksums.get(&spec.number).map(|d| (d.clone(), spec.size)))
            .collect();
        algorithm.object(&parts?).map(|value| (algorithm, value))
    }

    /// Complete's request with the object's full-object CRC, for the service to check.
    pub(super) fn with_object_checksum(&self, mut request: Request) -> Request {
        if let Some((algorithm, value)) = self.object_checksum().filter(|(a, _)| a.full_object()) {
            request.headers.push((algorithm.header(), value));
            request.headers.push(("x-amz-checksum-type".into(), algorithm.checksum_type().into()));
        }
        request
    }

    /// Checks the object checksum Complete reported against the one of the file's parts.
    ///
    /// # Errors
    /// [`Error::Integrity`] when they differ.
    pub(super) fn check_object_checksum(&self, reported: &[(ChecksumAlgorithm, String)]) -> Result<()> {
        let Some((algorithm, ours)) = self.object_checksum() else { return Ok(()) };
        match reported.iter().find(|(a, _)| *a == algorithm) {
            Some((_, theirs)) if !checksums_equal(theirs, &ours) => Err(Error::Integrity {
                message: format!("the stored object's {} is {theirs}; the file's is {ours}", algorithm.name()),
            }),
            _ => Ok(()),
        }
    }
}
