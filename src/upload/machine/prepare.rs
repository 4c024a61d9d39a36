//! Before the first part: the file's fingerprint, the stored checkpoint, and the parts the service
//! still holds for it; then the part scheduler starts.

use super::{Job, Listing, Phase, Upload, ms};
use crate::actions::{Action, ListParts, ListedPart};
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
            self.out.push(Command::Hash { id, ranges: Fingerprint::sample_ranges(self.file.size) });
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
            checksum: self.config.checksum,
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
    }

    pub(super) fn hashed(&mut self, id: JobId, md5: [u8; 16], now_ms: u64, client: &Client) {
        match self.jobs.remove(&id) {
            Some(Job::Sample) => {
                let fresh = self.fresh_record(hex::encode(md5), client);
                self.out.push(Command::LoadCheckpoint(fresh.id()));
                self.phase = Phase::Loading { fresh };
            }
            Some(Job::Hash(number)) => {
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
            created_at: i64::try_from(self.created_ms).unwrap_or(i64::MAX),
        }
    }

    pub(super) fn loaded(&mut self, stored: Option<Checkpoint>, client: &Client) {
        let Phase::Loading { fresh } = std::mem::replace(&mut self.phase, Phase::Running) else { return };
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
                None => self.finish(Err(crate::error::Error::Aborted)),
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

    pub(super) fn listed(&mut self, parts: Vec<ListedPart>, next: Option<ListParts>, client: &Client) {
        let Phase::Listing(listing) = &mut self.phase else { return };
        listing.listed.extend(parts);
        if let Some(next) = next {
            return self.list(next, client);
        }
        let Phase::Listing(listing) = std::mem::replace(&mut self.phase, Phase::Running) else { return };
        let Listing { stored, listed, .. } = *listing;
        let kept = stored.reconcile(&listed);
        let upload_id = stored.upload_id.clone();
        self.run(Some(stored), Some((upload_id, kept)));
    }
}
