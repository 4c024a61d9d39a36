//! Before the first part: the file's fingerprint, the stored checkpoint, and the parts the service
//! still holds for it; then the part scheduler starts.

use super::{Job, Listing, Phase, Upload, ms};
use crate::actions::{AbortMultipartUpload, Action, ListParts, ListedPart};
use crate::error::Error;
use crate::hash::hex;
use crate::upload::checkpoint::{Checkpoint, Fingerprint, SCHEMA};
use crate::upload::client::Client;
use crate::upload::commands::{Command, JobId};
use crate::upload::events::{Event, TaskState};
use crate::upload::parts::{KeptPart, Session, SessionOptions};
use crate::upload::progress::Progress;
use crate::upload::resume;

impl Upload {
    pub(super) fn start(&mut self, now_ms: u64) {
        self.out.push(Command::Emit(Event::State(TaskState::Uploading)));
        if self.config.checkpoints && !self.plan.is_single() {
            self.phase = Phase::Fingerprinting;
            let id = self.job(Job::Sample);
            let ranges = Fingerprint::sample_ranges(self.file.size);
            self.out.push(Command::Hash { id, ranges, md5: true, checksum: None });
        } else {
            self.run(None, None);
        }
        self.progress_sent_ms = now_ms;
    }

    /// Starts the part scheduler, resuming `resumed` (upload id and parts kept) when given.
    pub(super) fn run(&mut self, record: Option<Checkpoint>, resumed: Option<(String, Vec<KeptPart>)>) {
        let options = SessionOptions {
            concurrency: self.config.concurrency,
            hashers: self.hashers,
            checksum: self.config.checksum.hashes(),
            md5_etags: self.options.md5_etags(),
        };
        let mut session = Session::new(self.plan, options, resumed);
        if self.paused {
            session.pause();
        }
        let done = session.done_parts();
        let bytes = done.iter().map(|p| p.spec.size).sum();
        self.progress = Progress::new(self.plan.total, self.plan.count, bytes, u16::try_from(done.len()).unwrap_or(0));
        self.session = Some(session);
        self.record = record;
        self.phase = Phase::Running;
        self.release_lock_while_paused();
    }

    pub(super) fn hashed(
        &mut self,
        id: JobId,
        md5: Option<[u8; 16]>,
        checksum: Option<Vec<u8>>,
        now_ms: u64,
        client: &Client,
    ) {
        match self.jobs.remove(&id) {
            Some(Job::Sample) => {
                let fresh = self.fresh_record(hex(&md5.unwrap_or_default()), client);
                self.out.push(Command::Lock { name: fresh.lock_name() });
                self.lock_held = true;
                self.fresh = Some(fresh.clone());
                self.phase = Phase::Locking { fresh, busy: false };
            }
            Some(Job::Hash(number)) => {
                if let Some(checksum) = checksum {
                    self.part_checksums.insert(number, checksum);
                }
                let kept = self.session.as_mut().is_some_and(|s| s.hashed(number, md5));
                if kept {
                    // A resumed part whose bytes still match the stored part: nothing to send.
                    let size = self.plan.part(number).map_or(0, |p| p.size);
                    self.progress.part_stored(number, size, ms(now_ms));
                    self.emit_progress(now_ms);
                }
            }
            _ => {}
        }
    }

    /// The record of this upload before it has an upload id.
    pub(super) fn fresh_record(&self, sample_md5: String, client: &Client) -> Checkpoint {
        let bucket = &client.bucket;
        Checkpoint {
            schema: SCHEMA,
            provider: bucket.profile().provider.name().to_owned(),
            endpoint: client.endpoint.clone(),
            bucket: bucket.name().to_owned(),
            key: self.key.clone(),
            upload_id: String::new(),
            part_size: self.plan.part_size,
            fingerprint: Fingerprint {
                name: self.file.name.clone(),
                size: self.file.size,
                last_modified: self.file.last_modified,
                mime: self.file.mime.clone(),
                sample_md5,
            },
            parts: Vec::new(),
            checksum: self.config.checksum.algorithm().map(|a| a.option().to_owned()),
            created_at: i64::try_from(self.created_ms).unwrap_or(i64::MAX),
        }
    }

    /// Another tab uploads this file to this key: wait for it (an abort meanwhile leaves its
    /// upload alone).
    pub(super) fn lock_busy(&mut self) {
        let (Phase::Locking { busy, .. } | Phase::Relocking { busy }) = &mut self.phase else { return };
        *busy = true;
        if self.aborting {
            return self.finish(Err(Error::Aborted));
        }
        if !self.paused {
            self.out.push(Command::Emit(Event::State(TaskState::Waiting)));
        }
    }

    /// The lock is held: no other tab uploads this file to this key; read the key's records.
    pub(super) fn locked(&mut self) {
        let (fresh, busy) = match std::mem::replace(&mut self.phase, Phase::Running) {
            Phase::Locking { fresh, busy } => {
                self.phase = Phase::Loading { fresh: fresh.clone() };
                (fresh, busy)
            }
            Phase::Relocking { busy } => {
                self.phase = Phase::Rechecking;
                let Some(fresh) = self.fresh.clone() else { return };
                (fresh, busy)
            }
            other => {
                self.phase = other;
                return;
            }
        };
        if busy && !self.paused && !self.aborting {
            self.out.push(Command::Emit(Event::State(TaskState::Uploading)));
        }
        self.out.push(Command::LoadCheckpoints { destination: fresh.destination() });
    }

    /// A paused upload lets its lock go, so another tab may go on with the file meanwhile.
    pub(super) fn release_lock_while_paused(&mut self) {
        if !(self.paused && self.lock_held && matches!(self.phase, Phase::Running)) {
            return;
        }
        if let Some(fresh) = &self.fresh {
            self.out.push(Command::Unlock { name: fresh.lock_name() });
        }
        self.lock_held = false;
    }

    /// Resumed after letting the lock go: the lock first, then the stored record again.
    pub(super) fn relock(&mut self) {
        if self.lock_held || !matches!(self.phase, Phase::Running) {
            return;
        }
        let Some(fresh) = &self.fresh else { return };
        self.out.push(Command::Lock { name: fresh.lock_name() });
        self.lock_held = true;
        self.phase = Phase::Relocking { busy: false };
    }

    /// The stored record after the lock came back: unchanged, the upload goes on where it was;
    /// changed or gone (another tab went on with it), the upload starts over from what is stored.
    fn rechecked(&mut self, mine: Option<Checkpoint>, client: &Client) {
        self.phase = Phase::Running;
        if mine == self.record {
            if self.aborting {
                return self.abort_now(client);
            }
            return self.release_lock_while_paused();
        }
        let ids: Vec<JobId> = self.jobs.keys().copied().collect();
        for id in ids {
            self.cancel(id);
        }
        let Some(mut fresh) = self.fresh.clone() else { return };
        // Planned as the upload it resumed was, in case it starts over.
        fresh.part_size = self.plan.part_size;
        self.session = None;
        self.record = None;
        self.proceed(fresh, mine, client);
    }

    /// The key's stored records: this file's is resumed; the uploads of other files to the key are
    /// aborted on the server first (a new file replaces them; nothing is left behind).
    pub(super) fn loaded(&mut self, records: Vec<Checkpoint>, client: &Client) {
        if let Phase::Rechecking = self.phase {
            let fresh_id = self.fresh.as_ref().map(Checkpoint::id);
            let mine = records.into_iter().find(|r| Some(r.id()) == fresh_id);
            return self.rechecked(mine, client);
        }
        let Phase::Loading { fresh } = std::mem::replace(&mut self.phase, Phase::Running) else { return };
        let (mine, others): (Vec<Checkpoint>, Vec<Checkpoint>) =
            records.into_iter().filter(|r| r.same_destination(&fresh)).partition(|r| r.id() == fresh.id());
        let stored = mine.into_iter().next();
        let replaced: Vec<Checkpoint> = others.into_iter().filter(|r| !r.upload_id.trim_ascii().is_empty()).collect();
        if replaced.is_empty() {
            return self.proceed(fresh, stored, client);
        }
        self.phase = Phase::Replacing { fresh, stored: stored.map(Box::new) };
        for old in replaced {
            let abort = AbortMultipartUpload { key: old.key.clone(), upload_id: old.upload_id.clone() };
            match abort.request(client.bucket.profile()) {
                Ok(request) => {
                    let id = self.job(Job::Replace(Box::new(old)));
                    self.requests.start(id, AbortMultipartUpload::OPERATION, request);
                }
                Err(error) => return self.fail(error),
            }
        }
    }

    /// A replaced upload is gone from the server: its record goes, and the app is told.
    pub(super) fn replaced(&mut self, old: &Checkpoint, client: &Client) {
        self.out.push(Command::DeleteCheckpoint(old.id()));
        let (key, upload_id) = (old.key.clone(), old.upload_id.clone());
        self.out.push(Command::Emit(Event::Replaced { key, upload_id }));
        self.replace_settled(client);
    }

    /// Once every replaced upload is settled (aborted, or its abort failed and its record kept for
    /// `checkpoints()`), this upload goes on.
    pub(super) fn replace_settled(&mut self, client: &Client) {
        if self.jobs.values().any(|job| matches!(job, Job::Replace(_))) {
            return;
        }
        if let Phase::Replacing { fresh, stored } = std::mem::replace(&mut self.phase, Phase::Running) {
            self.proceed(fresh, stored.map(|s| *s), client);
        }
    }

    /// Resumes `stored` when it is this file's upload, else starts afresh.
    fn proceed(&mut self, fresh: Checkpoint, stored: Option<Checkpoint>, client: &Client) {
        let profile = client.bucket.profile();
        let adopted = stored.and_then(|stored| resume::adopt(&fresh, stored, profile));
        if self.aborting {
            // Aborted before the stored upload was known: that upload is this file's, abort it.
            return match adopted {
                Some((stored, _)) => {
                    let upload_id = stored.upload_id.clone();
                    self.record = Some(stored);
                    self.abort_upload(upload_id, client);
                }
                None => self.finish(Err(Error::Aborted)),
            };
        }
        match adopted {
            Some((stored, plan)) => {
                let fresh_plan = std::mem::replace(&mut self.plan, plan);
                let list = ListParts {
                    key: stored.key.clone(),
                    upload_id: stored.upload_id.clone(),
                    max_parts: None,
                    part_number_marker: None,
                };
                self.phase = Phase::Listing(Box::new(Listing { fresh, fresh_plan, stored, listed: Vec::new() }));
                self.list(list, client);
            }
            None => self.run(Some(fresh), None),
        }
    }

    pub(super) fn list(&mut self, list: ListParts, client: &Client) {
        match list.request(client.bucket.profile()) {
            Ok(request) => {
                let id = self.job(Job::ListParts(list));
                self.requests.start(id, ListParts::OPERATION, request);
            }
            Err(error) => self.fail(error),
        }
    }

    /// A page of the parts listed, for a resume or for the check before Complete.
    pub(super) fn listed(&mut self, parts: Vec<ListedPart>, next: Option<ListParts>, client: &Client) {
        match &mut self.phase {
            Phase::Listing(listing) => listing.listed.extend(parts),
            Phase::Checking(checking) => checking.listed.extend(parts),
            _ => return,
        }
        if let Some(next) = next {
            return self.list(next, client);
        }
        match std::mem::replace(&mut self.phase, Phase::Running) {
            Phase::Listing(listing) => {
                let Listing { stored, listed, .. } = *listing;
                let kept = stored.reconcile(&listed);
                let upload_id = stored.upload_id.clone();
                self.run(Some(stored), Some((upload_id, kept)));
            }
            Phase::Checking(checking) => self.checked(*checking, client),
            other => self.phase = other,
        }
    }
}
