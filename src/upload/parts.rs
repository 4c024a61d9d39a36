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
    let bare = etag.trim().trim_matches('"');
    bare.len() == 32 && bare.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::md5;

    const MIB: u64 = 1024 * 1024;

    fn plan(total: u64) -> PartPlan {
        let profile = crate::provider::Provider::S3.profile();
        PartPlan::new(total, &profile.limits, Some(5 * MIB), profile.default_part_size).expect("plan")
    }

    fn options(concurrency: usize) -> SessionOptions {
        SessionOptions { concurrency, hashers: 2, checksum: true, md5_etags: true }
    }

    fn etag(digest: &[u8; 16]) -> String {
        format!("\"{}\"", hex::encode(digest))
    }

    fn digest(n: u16) -> [u8; 16] {
        md5(&n.to_le_bytes())
    }

    /// Runs a session to the end, answering every action at once; returns the steps seen.
    fn drive(session: &mut Session) -> Vec<Step> {
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let steps = session.next_steps();
            if steps.is_empty() {
                break;
            }
            for action in steps {
                answer(session, &action);
                seen.push(action);
            }
        }
        seen
    }

    /// Reports `action` as done, as a server storing every part would.
    fn answer(session: &mut Session, action: &Step) {
        match action {
            Step::Initiate => session.initiated("id-1".into()),
            Step::Hash(part) => {
                session.hashed(part.number, Some(digest(part.number)));
            }
            Step::Upload { part, md5, .. } => {
                let tag = md5.map_or_else(|| "\"unchecked\"".to_owned(), |d| etag(&d));
                session.uploaded(part.number, tag).expect("etag");
            }
            Step::PutObject { md5 } => session.uploaded(1, etag(&md5.expect("md5"))).expect("etag"),
            Step::Complete { .. } => session.finished(),
        }
    }

    #[test]
    fn a_multipart_upload_runs_to_complete_with_parts_in_order() {
        let mut session = Session::new(plan(37 * MIB + 3), options(4), None);
        let seen = drive(&mut session);
        assert!(session.is_finished());
        assert_eq!(seen.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 8);
        let Some(Step::Complete { upload_id, parts }) = seen.last() else { panic!("complete last: {seen:?}") };
        assert_eq!(upload_id, "id-1");
        assert_eq!(parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
        assert_eq!(parts[2].etag, etag(&digest(3)));
    }

    #[test]
    fn a_small_file_goes_up_with_put_object_and_no_initiate() {
        for size in [0, 1, 5 * MIB] {
            let mut session = Session::new(plan(size), options(4), None);
            let seen = drive(&mut session);
            assert!(session.is_finished());
            assert!(matches!(seen.as_slice(), [Step::Hash(_), Step::PutObject { md5: Some(_) }]), "{seen:?}");
        }
    }

    #[test]
    fn uploads_and_hashes_respect_their_limits() {
        let mut session = Session::new(plan(100 * MIB), options(3), None);
        let first = session.next_steps();
        assert_eq!(first[0], Step::Initiate);
        assert_eq!(first.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 2, "two hashers");
        for n in 1..=2 {
            session.hashed(n, Some(digest(n)));
        }
        let second = session.next_steps();
        assert_eq!(second.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 1, "look-ahead of 3");
        assert!(second.iter().all(|a| !matches!(a, Step::Upload { .. })), "nothing is sent before initiate");
        session.initiated("u".into());
        session.hashed(3, Some(digest(3)));
        let third = session.next_steps();
        assert_eq!(third.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 3);
        assert_eq!(third.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 2, "hashing continues ahead");
    }

    #[test]
    fn pause_hands_out_nothing_and_interrupted_parts_are_sent_again() {
        let mut session = Session::new(plan(20 * MIB), options(2), None);
        session.next_steps();
        session.initiated("u".into());
        session.hashed(1, Some(digest(1)));
        session.hashed(2, Some(digest(2)));
        let sent = session.next_steps();
        assert_eq!(sent.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 2);
        session.pause();
        for n in 1..=4 {
            session.interrupted(n); // two uploads and two hashes were running
        }
        assert!(session.next_steps().is_empty());
        session.resume();
        let again = session.next_steps();
        assert!(again.contains(&Step::Upload {
            part: session.plan().part(1).expect("1"),
            md5: Some(digest(1)),
            upload_id: "u".into()
        }));
        for action in again {
            match action {
                Step::Upload { part, md5, .. } => session.uploaded(part.number, etag(&md5.expect("md5"))).expect("ok"),
                Step::Hash(part) => _ = session.hashed(part.number, Some(digest(part.number))),
                other => panic!("unexpected {other:?}"),
            }
        }
        let seen = drive(&mut session);
        assert!(session.is_finished(), "{seen:?}");
    }

    #[test]
    fn resumed_parts_that_still_match_the_file_are_not_sent_again() {
        let stored = vec![
            KeptPart { part_number: 1, etag: etag(&digest(1)), md5: None },
            KeptPart { part_number: 2, etag: etag(&md5(b"other bytes")), md5: None },
        ];
        let mut session = Session::new(plan(12 * MIB), options(4), Some(("old".into(), stored)));
        let seen = drive(&mut session);
        let sent: Vec<u16> = seen
            .iter()
            .filter_map(|a| if let Step::Upload { part, .. } = a { Some(part.number) } else { None })
            .collect();
        assert_eq!(sent, vec![3, 2], "the new part first; part 1 matched the file; part 2 changed");
        assert!(!seen.contains(&Step::Initiate));
        assert!(matches!(seen.last(), Some(Step::Complete { upload_id, .. }) if upload_id == "old"));
    }

    #[test]
    fn a_resume_hashes_new_parts_first_and_checks_kept_parts_with_idle_hashers() {
        let kept: Vec<KeptPart> =
            (1..=1000).map(|n| KeptPart { part_number: n, etag: etag(&digest(n)), md5: None }).collect();
        let mut session = Session::new(plan(5010 * MIB), options(4), Some(("old".into(), kept)));
        let first = session.next_steps();
        assert_eq!(
            first,
            vec![
                Step::Hash(session.plan().part(1001).expect("1001")),
                Step::Hash(session.plan().part(1002).expect("1002"))
            ]
        );
        session.hashed(1001, Some(digest(1001)));
        let second = session.next_steps();
        assert!(second.iter().any(|a| matches!(a, Step::Upload { part, .. } if part.number == 1001)), "{second:?}");
        assert!(second.contains(&Step::Hash(session.plan().part(1).expect("1"))), "an idle hasher checks a kept part");
        for action in first.iter().skip(1).chain(&second) {
            answer(&mut session, action);
        }
        let seen = drive(&mut session);
        let Some(Step::Complete { parts, .. }) = seen.last() else { panic!("complete last") };
        assert_eq!(parts.len(), 1002);
        assert_eq!(seen.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 1, "part 1002, the last to send");
    }

    #[test]
    fn a_part_whose_etag_is_not_its_md5_is_an_error_and_queued_again() {
        let mut session = Session::new(plan(12 * MIB), options(1), None);
        session.next_steps();
        session.initiated("u".into());
        session.hashed(1, Some(digest(1)));
        let steps = session.next_steps();
        assert!(steps.iter().any(|a| matches!(a, Step::Upload { part, .. } if part.number == 1)));
        let error = session.uploaded(1, etag(&digest(9))).expect_err("mismatch");
        assert_eq!(error.code(), "InvalidResponse");
        assert!(session.uploaded(1, "\"abc-2\"".into()).is_ok(), "non-MD5 ETags cannot be checked");
    }

    #[test]
    fn without_checksums_nothing_is_hashed() {
        let mut session = Session::new(plan(12 * MIB), SessionOptions { checksum: false, ..options(4) }, None);
        let seen = drive(&mut session);
        assert!(seen.iter().all(|a| !matches!(a, Step::Hash(_))));
        assert!(seen.iter().any(|a| matches!(a, Step::Upload { md5: None, .. })));
    }
}
