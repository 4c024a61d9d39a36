//! The part scheduler: which part to hash, which to send, when to initiate and complete. The
//! [`crate::upload::Upload`] machine turns each [`Step`] into a job and reports the outcome back;
//! concurrency, the hashing look-ahead, pause and the parts a resume keeps all live here.

use crate::actions::CompletedPart;
use crate::error::{Error, Result};
use crate::hash::etag_matches_md5;
use crate::plan::{PartPlan, PartSpec};

/// How a session runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// Part uploads in flight at once (at least 1).
    pub concurrency: usize,
    /// Hashes in flight at once (the number of hashing workers, at least 1).
    pub hashers: usize,
    /// Whether parts carry Content-MD5 (and their ETags are checked against it).
    pub checksum: bool,
    /// Whether a part's ETag is its MD5 (not under SSE-KMS and SSE-C): only then is an ETag that
    /// differs from the part's MD5 an error, and only then can a resumed part be checked by it.
    pub md5_etags: bool,
}

/// A part a resumed upload claims the service holds: its ETag, and the MD5 partwise computed
/// when it sent the part, if the checkpoint recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptPart {
    /// Part number.
    pub part_number: u16,
    /// The ETag the service holds it under.
    pub etag: String,
    /// The part's MD5 as sent.
    pub md5: Option<[u8; 16]>,
}

/// A part the service stored: its ETag and, with checksums on, the MD5 of the bytes sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPart {
    /// Where the part lies in the file.
    pub spec: PartSpec,
    /// Its ETag, exactly as the service returned it.
    pub etag: String,
    /// Its MD5 as sent.
    pub md5: Option<[u8; 16]>,
}

/// Something for the shell to do; it reports back through the matching `Session` method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Start the multipart upload → [`Session::initiated`].
    Initiate,
    /// Hash this part of the file → [`Session::hashed`].
    Hash(PartSpec),
    /// Send this part (with its Content-MD5 if given) → [`Session::uploaded`] or [`Session::interrupted`].
    Upload {
        /// The part.
        part: PartSpec,
        /// Its MD5, when checksums are on.
        md5: Option<[u8; 16]>,
        /// The multipart upload it belongs to.
        upload_id: String,
    },
    /// Send the whole file with PutObject (it fits in one part) → [`Session::uploaded`].
    PutObject {
        /// Its MD5, when checksums are on.
        md5: Option<[u8; 16]>,
    },
    /// Complete the multipart upload with these parts → [`Session::finished`].
    Complete {
        /// The upload being completed.
        upload_id: String,
        /// Every part, in order.
        parts: Vec<CompletedPart>,
    },
}

/// What a resumed upload claims for a part, still to be checked against the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Claim {
    etag: String,
    md5: Option<[u8; 16]>,
}

impl Claim {
    /// Whether the file's part (hashed to `md5`) is the stored one: by the recorded MD5 where
    /// there is one, else by the ETag (which is then the MD5, or cannot match).
    fn holds(&self, md5: &[u8; 16]) -> bool {
        match &self.md5 {
            Some(recorded) => recorded == md5,
            None => etag_matches_md5(&self.etag, md5),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    /// Not started; `stored` holds what a resumed upload claims for it.
    Waiting {
        stored: Option<Claim>,
    },
    Hashing {
        stored: Option<Claim>,
    },
    Hashed(Option<[u8; 16]>),
    Uploading(Option<[u8; 16]>),
    Done {
        etag: String,
        md5: Option<[u8; 16]>,
    },
}

/// One file's upload, from the first part to Complete.
#[derive(Debug)]
pub struct Session {
    plan: PartPlan,
    options: SessionOptions,
    upload_id: Option<String>,
    initiating: bool,
    slots: Vec<Slot>,
    paused: bool,
    completing: bool,
    finished: bool,
}

impl Session {
    /// A session for `plan`. `resumed` names an unfinished upload and the parts the server still
    /// holds for it; each is hashed again and kept only if the file's bytes still match its
    /// recorded MD5 (or, without one, its ETag).
    pub fn new(plan: PartPlan, options: SessionOptions, resumed: Option<(String, Vec<KeptPart>)>) -> Self {
        let options =
            SessionOptions { concurrency: options.concurrency.max(1), hashers: options.hashers.max(1), ..options };
        let (upload_id, stored) = match resumed {
            Some((id, parts)) if !plan.is_single() => (Some(id), parts),
            _ => (None, Vec::new()),
        };
        let slots = plan
            .parts()
            .map(|spec| {
                let claim = stored
                    .iter()
                    .find(|p| p.part_number == spec.number)
                    .map(|p| Claim { etag: p.etag.clone(), md5: p.md5 });
                // Without checksums a claimed part cannot be checked against the file: trust the
                // checkpoint's fingerprint and keep it.
                match claim {
                    Some(Claim { etag, md5 }) if !options.checksum => Slot::Done { etag, md5 },
                    stored => Slot::Waiting { stored },
                }
            })
            .collect();
        Session {
            plan,
            options,
            upload_id,
            initiating: false,
            slots,
            paused: false,
            completing: false,
            finished: false,
        }
    }

    /// The part layout.
    pub fn plan(&self) -> &PartPlan {
        &self.plan
    }

    /// The multipart upload's id, once initiated (or resumed).
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    /// The parts stored so far, in order.
    pub fn done_parts(&self) -> Vec<StoredPart> {
        self.specs()
            .filter_map(|(spec, slot)| match slot {
                Slot::Done { etag, md5 } => Some(StoredPart { spec, etag: etag.clone(), md5: *md5 }),
                _ => None,
            })
            .collect()
    }

    /// Whether Complete (or PutObject) succeeded.
    #[cfg(test)]
    fn is_finished(&self) -> bool {
        self.finished
    }

    /// Stops handing out new steps; the shell cancels the running ones and reports each through
    /// [`Session::interrupted`].
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Hands out steps again.
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// The steps to start now, each marked as running.
    pub fn next_steps(&mut self) -> Vec<Step> {
        let mut steps = Vec::new();
        if self.paused || self.finished || self.completing {
            return steps;
        }
        let single = self.plan.is_single();
        if !single && self.upload_id.is_none() && !self.initiating {
            self.initiating = true;
            steps.push(Step::Initiate);
        }
        let (checksum, concurrency, hashers) = (self.options.checksum, self.options.concurrency, self.options.hashers);
        let (mut uploading, mut hashing, mut ready) = (0, 0, 0);
        for slot in &self.slots {
            match slot {
                Slot::Uploading(_) => uploading += 1,
                Slot::Hashing { .. } => hashing += 1,
                Slot::Hashed(_) => ready += 1,
                Slot::Waiting { .. } | Slot::Done { .. } => {}
            }
        }
        let can_send = single || self.upload_id.is_some();
        for index in 0..self.slots.len() {
            if !can_send || uploading >= concurrency {
                break;
            }
            if let Slot::Hashed(md5) = self.slots[index] {
                self.slots[index] = Slot::Uploading(md5);
                (uploading, ready) = (uploading + 1, ready - 1);
                if single {
                    steps.push(Step::PutObject { md5 });
                } else {
                    let upload_id = self.upload_id.clone().unwrap_or_default();
                    steps.extend(self.plan.part(index_number(index)).map(|part| Step::Upload { part, md5, upload_id }));
                }
            }
        }
        // Hash ahead of the uploads, but never more than `concurrency` parts waiting to be sent.
        for index in 0..self.slots.len() {
            if hashing >= hashers || hashing + ready >= concurrency {
                break;
            }
            if let Slot::Waiting { stored: None } = self.slots[index] {
                if checksum {
                    self.slots[index] = Slot::Hashing { stored: None };
                    hashing += 1;
                    steps.extend(self.plan.part(index_number(index)).map(Step::Hash));
                } else {
                    self.slots[index] = Slot::Hashed(None);
                    ready += 1;
                }
            }
        }
        // Resumed parts are checked against the file with the hashers the new parts leave idle,
        // so a resume starts sending at once however many parts it keeps.
        for index in 0..self.slots.len() {
            if hashing >= hashers {
                break;
            }
            if let Slot::Waiting { stored: Some(claim) } = &self.slots[index] {
                self.slots[index] = Slot::Hashing { stored: Some(claim.clone()) };
                hashing += 1;
                steps.extend(self.plan.part(index_number(index)).map(Step::Hash));
            }
        }
        if !single
            && self.slots.iter().all(|s| matches!(s, Slot::Done { .. }))
            && let Some(upload_id) = self.upload_id.clone()
        {
            self.completing = true;
            let parts = self.done_parts().into_iter().map(|p| CompletedPart {
                part_number: p.spec.number,
                etag: p.etag,
                checksum: None,
            });
            steps.push(Step::Complete { upload_id, parts: parts.collect() });
        }
        steps
    }

    /// The multipart upload was created.
    pub fn initiated(&mut self, upload_id: String) {
        self.initiating = false;
        self.upload_id = Some(upload_id);
    }

    /// Whether part `number` is a resumed part whose bytes are being checked against what was
    /// stored (its hash needs the MD5).
    pub fn is_claimed(&self, number: u16) -> bool {
        self.specs().any(|(spec, slot)| spec.number == number && matches!(slot, Slot::Hashing { stored: Some(_) }))
    }

    /// Part `number` hashed to `md5` (none when not needed: a flexible checksum is sent instead).
    /// Returns true when a resumed part matched what was stored and needs no upload.
    pub fn hashed(&mut self, number: u16, md5: Option<[u8; 16]>) -> bool {
        let Some(slot) = self.slot_mut(number) else { return false };
        match slot {
            Slot::Hashing { stored: Some(claim) } if md5.is_some_and(|m| claim.holds(&m)) => {
                *slot = Slot::Done { etag: claim.etag.clone(), md5 };
                true
            }
            Slot::Hashing { .. } => {
                *slot = Slot::Hashed(md5);
                false
            }
            _ => false,
        }
    }

    /// Part `number` (or the single PutObject, number 1) was stored with `etag`.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when the ETag is an MD5 that differs from the part's: the bytes
    /// changed on the way (the part goes back in line; the upload machine reports the error).
    /// Under SSE-KMS and SSE-C ([`SessionOptions::md5_etags`] false) the ETag is no MD5 and is
    /// not checked: the service's 2xx to a request with Content-MD5 shows it verified the bytes.
    pub fn uploaded(&mut self, number: u16, etag: String) -> Result<()> {
        let single = self.plan.is_single();
        let md5_etags = self.options.md5_etags;
        let Some(slot) = self.slot_mut(number) else { return Ok(()) };
        if let Slot::Uploading(Some(md5)) = slot
            && md5_etags
            && is_md5_etag(&etag)
            && !etag_matches_md5(&etag, md5)
        {
            *slot = Slot::Hashed(Some(*md5));
            return Err(Error::InvalidResponse {
                context: "UploadPart",
                message: format!("part {number}: the stored part's ETag {etag} is not the MD5 of the bytes sent"),
            });
        }
        let md5 = if let Slot::Uploading(md5) = slot { *md5 } else { None };
        *slot = Slot::Done { etag, md5 };
        if single {
            self.finished = true;
        }
        Ok(())
    }

    /// A running action for part `number` was cancelled or failed: the part goes back in line.
    pub fn interrupted(&mut self, number: u16) {
        if let Some(slot) = self.slot_mut(number) {
            let back = match slot {
                Slot::Hashing { stored } => Slot::Waiting { stored: stored.take() },
                Slot::Uploading(md5) => Slot::Hashed(*md5),
                _ => return,
            };
            *slot = back;
        }
    }

    /// Complete succeeded (the upload machine ends the upload itself; the tests drive a session
    /// to its end with this).
    #[cfg(test)]
    fn finished(&mut self) {
        self.completing = false;
        self.finished = true;
    }

    fn specs(&self) -> impl Iterator<Item = (PartSpec, &Slot)> {
        self.plan.parts().zip(self.slots.iter())
    }

    fn slot_mut(&mut self, number: u16) -> Option<&mut Slot> {
        self.slots.get_mut(usize::from(number).checked_sub(1)?)
    }
}

fn index_number(index: usize) -> u16 {
    u16::try_from(index + 1).unwrap_or(u16::MAX)
}

/// Whether an ETag is a plain MD5 (32 hex digits, quotes allowed); multipart and SSE-KMS ETags
/// are not, and cannot be checked.
fn is_md5_etag(etag: &str) -> bool {
    let bare = etag.trim_ascii().trim_matches('"');
    bare.len() == 32 && bare.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests;
