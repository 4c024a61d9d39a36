//! The integrity headers of an upload: each part's `Content-MD5` or flexible checksum
//! (`x-amz-checksum-*`), the parts' checksums on Complete, the whole object's checksum combined
//! from them (or its CRC-64/ECMA on OSS and KS3), and the checks of what Complete reports: that
//! checksum and, where the service forms it from the parts' MD5s, the object's ETag.

use super::Upload;
use crate::actions::CompletedPart;
use crate::checksum::{Checksum, ChecksumAlgorithm, checksums_equal};
use crate::error::{Error, Result};
use crate::hash::{encode_md5, etag_matches_parts, is_multipart_etag, multipart_etag};
use crate::http::Request;
use crate::provider::Profile;
use base64ct::{Base64, Encoding};

impl Upload {
    /// Whether part `number`'s hash needs its MD5: for `Content-MD5`, or to check a resumed part
    /// against what was stored. With a flexible checksum, fresh parts skip MD5 (the slowest hash).
    pub(super) fn md5_wanted(&self, number: u16) -> bool {
        self.config.checksum == Checksum::Md5 || self.session.as_ref().is_some_and(|s| s.is_claimed(number))
    }

    /// The part's `Content-MD5`, unless a flexible checksum is sent instead.
    pub(super) fn content_md5(&self, md5: Option<[u8; 16]>, profile: &Profile) -> Option<String> {
        md5.filter(|_| self.config.checksum.algorithm().is_none()).map(|d| encode_md5(&d, profile.content_md5))
    }

    /// Part `number`'s checksum, base64, with its algorithm.
    pub(super) fn part_checksum(&self, number: u16) -> Option<(ChecksumAlgorithm, String)> {
        let algorithm = self.config.checksum.algorithm()?;
        self.part_checksums.get(&number).map(|digest| (algorithm, Base64::encode_string(digest)))
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
        let algorithm = self.computed?;
        let parts: Option<Vec<(Vec<u8>, u64)>> = self
            .plan
            .parts()
            .map(|spec| self.part_checksums.get(&spec.number).map(|d| (d.clone(), spec.size)))
            .collect();
        algorithm.object(&parts?).map(|value| (algorithm, value))
    }

    /// Complete's request with the object's full-object CRC, for the service to check.
    pub(super) fn with_object_checksum(&self, mut request: Request) -> Request {
        let flexible = self.config.checksum.algorithm();
        if let Some((algorithm, value)) =
            self.object_checksum().filter(|(a, _)| Some(*a) == flexible && a.full_object())
        {
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

    /// Checks the ETag Complete reported against the one the file's parts make, where the service
    /// forms it from the parts' MD5s (S3, unencrypted or SSE-S3) and it has that form: another
    /// tab's part stored in this upload is caught here.
    ///
    /// # Errors
    /// [`Error::Integrity`] when they differ.
    pub(super) fn check_object_etag(&self, etag: &str, profile: &Profile) -> Result<()> {
        if !profile.complete_etag_is_md5_of_md5s || !self.options.md5_etags() {
            return Ok(());
        }
        let Some(session) = &self.session else { return Ok(()) };
        let md5s: Option<Vec<[u8; 16]>> = session.done_parts().iter().map(|p| p.md5).collect();
        match md5s {
            Some(md5s) if is_multipart_etag(etag, md5s.len()) && !etag_matches_parts(etag, &md5s) => {
                Err(Error::Integrity {
                    message: format!(
                        "the stored object's ETag is {etag}; the file's parts make {}: another upload's part is in it",
                        multipart_etag(&md5s)
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}
