//! Decisions about uploads that outlive one page or one request: whether a stored checkpoint
//! belongs to this file, whether an object whose Complete answer was lost holds the file, and
//! what an abort that the server refused reports.

use super::checkpoint::Checkpoint;
use crate::actions::{CompletedPart, ObjectHead};
use crate::error::Error;
use crate::hash::{etags_equal, md5_from_hex, multipart_etag};
use crate::plan::PartPlan;
use crate::provider::Profile;

/// The stored record and its plan, when `stored` is an upload of the same file (`fresh`), declared
/// with the same flexible checksum, whose part size the service still accepts.
pub(super) fn adopt(fresh: &Checkpoint, stored: Checkpoint, profile: &Profile) -> Option<(Checkpoint, PartPlan)> {
    if stored.fingerprint != fresh.fingerprint
        || stored.checksum != fresh.checksum
        || stored.upload_id.trim_ascii().is_empty()
    {
        return None;
    }
    let total = fresh.fingerprint.size;
    let plan = PartPlan::new(total, &profile.limits, Some(stored.part_size), profile.default_part_size).ok()?;
    (plan.part_size == stored.part_size).then_some((stored, plan))
}

/// Whether an object holds the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verification {
    /// Its size is the file's and, where the service's ETag shows the parts, so are they.
    Holds,
    /// It is not the file's object.
    Differs,
}

/// Checks the object a lost Complete may have made: its size, and where the service forms the
/// object's ETag from the parts' MD5s (and every part ETag is one), that ETag. Under SSE-KMS and
/// SSE-C (`md5_etags` false) the object's ETag is not formed so: the size alone decides.
pub(super) fn verify_object(
    head: &ObjectHead,
    size: u64,
    parts: &[CompletedPart],
    profile: &Profile,
    md5_etags: bool,
) -> Verification {
    if head.size != size {
        return Verification::Differs;
    }
    if !md5_etags {
        return Verification::Holds;
    }
    let digests: Option<Vec<[u8; 16]>> = parts.iter().map(|p| md5_of_etag(&p.etag)).collect();
    match digests {
        Some(digests) if profile.complete_etag_is_md5_of_md5s && !digests.is_empty() => {
            if etags_equal(&head.etag, &multipart_etag(&digests)) { Verification::Holds } else { Verification::Differs }
        }
        _ => Verification::Holds,
    }
}

/// The MD5 a plain part ETag stands for.
fn md5_of_etag(etag: &str) -> Option<[u8; 16]> {
    md5_from_hex(etag.trim_ascii().trim_matches('"'))
}

/// The error of an abort the server did not carry out: the service's or the network's error,
/// saying that the upload stopped and its checkpoint is kept.
pub(super) fn abort_failed(error: Error) -> Error {
    const KEPT: &str = "the upload was stopped, but aborting it on the server failed; its checkpoint is kept";
    match error {
        Error::Network { message } => Error::Network { message: format!("{KEPT}: {message}") },
        Error::Provider(mut p) => {
            p.message = format!("{KEPT}: {}", p.message);
            Error::Provider(p)
        }
        other => other,
    }
}

/// What a server-side abort amounts to: an upload the service no longer knows is aborted.
///
/// # Errors
/// Any other failure of the abort.
pub fn abort_outcome(outcome: crate::error::Result<()>) -> crate::error::Result<()> {
    match outcome {
        Err(e) if e.provider_code() == Some("NoSuchUpload") => Ok(()),
        other => other,
    }
}
