//! How an upload ends: Complete (after checking the parts on the server where no Web Lock keeps
//! other tabs out), success (checked on the object when Complete's answer was lost), failure,
//! pause and resume, and abort — on the server first, the checkpoint after.

use super::{Job, Listing, Phase, Upload, UploadResult, completed_parts, ms};
use crate::actions::{
    AbortMultipartUpload, Action, CompleteMultipartUpload, CompletedPart, EncryptedRequest, HeadObject, ListParts,
    ListedPart, ObjectHead, held_parts,
};
use crate::error::{Error, Result};
use crate::hash::etags_equal;
use crate::http::{Body, Method, Request};
use crate::upload::client::Client;
use crate::upload::commands::{Command, JobId};
use crate::upload::events::{Event, TaskState};
use crate::upload::resume::{self, Verification};

/// The parts Complete will name, and those the service listed so far.
#[derive(Clone, Debug)]
pub(super) struct Checking {
    pub(super) upload_id: String,
    pub(super) parts: Vec<CompletedPart>,
    pub(super) listed: Vec<ListedPart>,
}

impl Upload {
    /// Sends Complete for `parts`.
    pub(super) fn complete(&mut self, upload_id: String, parts: Vec<CompletedPart>, client: &Client) {
        let profile = client.bucket.profile();
        let parts = self.with_checksums(parts);
        let built = CompleteMultipartUpload { key: self.key.clone(), upload_id, parts }
            .request(profile)
            .map(|r| self.with_object_checksum(r))
            .and_then(|r| self.encrypted(r, EncryptedRequest::Complete, profile));
        match built {
            Ok(request) => {
                let id = self.job(Job::Complete);
                self.requests.start(id, CompleteMultipartUpload::OPERATION, request);
            }
            Err(error) => self.fail(error),
        }
    }

    /// Lists the upload's parts before Complete: without Web Locks another tab may have taken the
    /// stored upload and put its own file's parts in it.
    pub(super) fn check_parts(&mut self, upload_id: String, parts: Vec<CompletedPart>, client: &Client) {
        let list = ListParts {
            key: self.key.clone(),
            upload_id: upload_id.clone(),
            max_parts: None,
            part_number_marker: None,
        };
        self.phase = Phase::Checking(Box::new(Checking { upload_id, parts, listed: Vec::new() }));
        self.list(list, client);
    }

    /// Every part listed: Complete when each is the one this upload stored.
    pub(super) fn checked(&mut self, checking: Checking, client: &Client) {
        let Checking { upload_id, parts, listed } = checking;
        let held = held_parts(&listed);
        let foreign = parts
            .iter()
            .find(|part| !held.iter().any(|l| l.part_number == part.part_number && etags_equal(&l.etag, &part.etag)));
        match foreign {
            Some(part) => self.fail(Error::Integrity {
                message: format!(
                    "part {} on the server is not the one this upload stored (ETag {}): another tab or client uploads to the same upload",
                    part.part_number, part.etag
                ),
            }),
            None => self.complete(upload_id, parts, client),
        }
    }

    pub(super) fn gave_up(&mut self, job: Job, error: Error, maybe_performed: bool, client: &Client) {
        let no_such_upload = error.provider_code() == Some("NoSuchUpload");
        match job {
            // The stored upload is gone from the server: start afresh.
            Job::ListParts(_) if no_such_upload && matches!(self.phase, Phase::Listing(_)) => {
                if let Phase::Listing(listing) = std::mem::replace(&mut self.phase, Phase::Running) {
                    let Listing { fresh, fresh_plan, stored, .. } = *listing;
                    self.out.push(Command::DeleteCheckpoint(stored.id()));
                    self.plan = fresh_plan;
                    self.run(Some(fresh), None);
                }
            }
            // An earlier Complete may have been carried out before its answer was lost: look.
            Job::Complete if maybe_performed && (no_such_upload || error.is_retryable()) => {
                let parts = self.session.as_ref().map(completed_parts).unwrap_or_default();
                self.phase = Phase::Verifying { error, parts };
                let head = HeadObject { key: self.key.clone() };
                let profile = client.bucket.profile();
                match head.request(profile).and_then(|r| self.encrypted(r, EncryptedRequest::Head, profile)) {
                    Ok(request) => {
                        let id = self.job(Job::Head);
                        self.requests.start(id, HeadObject::OPERATION, request);
                    }
                    Err(error) => self.fail(error),
                }
            }
            Job::Complete | Job::Head if self.aborting => self.abort_now(client),
            Job::Head => {
                let complete_error = match std::mem::replace(&mut self.phase, Phase::Running) {
                    Phase::Verifying { error, .. } => error,
                    _ => error,
                };
                self.fail(complete_error);
            }
            Job::Initiate if self.aborting => self.finish(Err(Error::Aborted)),
            Job::Abort if no_such_upload => self.aborted(),
            Job::Replace(old) if no_such_upload => self.replaced(&old, client),
            Job::Replace(_) => self.replace_settled(client),
            Job::Abort => self.fail(resume::abort_failed(error)),
            _ => self.fail(error),
        }
    }

    /// The object's HEAD after a lost Complete: success when it holds the file.
    pub(super) fn verify(&mut self, head: &ObjectHead, now_ms: u64, client: &Client) {
        let Phase::Verifying { error, parts } = std::mem::replace(&mut self.phase, Phase::Running) else { return };
        let md5_etags = self.options.md5_etags();
        match resume::verify_object(head, self.plan.total, &parts, client.bucket.profile(), md5_etags) {
            Verification::Holds => {
                let upload_id = self.upload_id().map(str::to_owned);
                self.succeed(head.etag.clone(), upload_id, now_ms, client);
            }
            Verification::Differs if self.aborting => self.abort_now(client),
            Verification::Differs => self.fail(error),
        }
    }

    pub(super) fn succeed(&mut self, etag: String, upload_id: Option<String>, now_ms: u64, client: &Client) {
        if let Some(record) = &self.record {
            self.out.push(Command::DeleteCheckpoint(record.id()));
        }
        self.progress.complete(ms(now_ms));
        self.emit_progress(now_ms);
        let request = Request {
            method: Method::Get,
            key: self.key.clone(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        };
        self.finish(Ok(UploadResult {
            bucket: client.bucket.name().to_owned(),
            key: self.key.clone(),
            upload_id,
            etag,
            location: client.bucket.url(&request),
            size: self.plan.total,
            parts: self.plan.count,
        }));
    }

    pub(super) fn pause(&mut self) {
        if self.paused || self.aborting {
            return;
        }
        self.paused = true;
        self.requests.hold_callbacks(true);
        if let Some(session) = self.session.as_mut() {
            session.pause();
        }
        self.cancel_parts();
        self.out.push(Command::Emit(Event::State(TaskState::Paused)));
        self.release_lock_while_paused();
    }

    pub(super) fn resume(&mut self) {
        if !self.paused || self.aborting {
            return;
        }
        self.paused = false;
        self.requests.hold_callbacks(false);
        if let Some(session) = self.session.as_mut() {
            session.resume();
        }
        let waiting = matches!(self.phase, Phase::Locking { busy: true, .. } | Phase::Relocking { busy: true });
        let state = if waiting { TaskState::Waiting } else { TaskState::Uploading };
        self.out.push(Command::Emit(Event::State(state)));
        self.relock();
    }

    /// Cancels hashes and part uploads; the parts go back in line.
    pub(super) fn cancel_parts(&mut self) {
        let parts: Vec<(JobId, u16)> = self
            .jobs
            .iter()
            .filter_map(|(id, job)| match job {
                Job::Hash(n) | Job::Part(n) => Some((*id, *n)),
                Job::Put => Some((*id, 1)),
                _ => None,
            })
            .collect();
        for (id, number) in parts {
            self.cancel(id);
            if let Some(session) = self.session.as_mut() {
                session.interrupted(number);
            }
            self.progress.part_failed(number);
        }
    }

    /// Stops job `id`; nothing more is reported for it.
    pub(super) fn cancel(&mut self, id: JobId) {
        if let Some(job) = self.jobs.remove(&id) {
            if matches!(job, Job::Part(_) | Job::Put) && self.requests.is_sent(id) {
                self.parts_on_wire = self.parts_on_wire.saturating_sub(1);
            }
            if self.requests.contains(id) {
                self.requests.cancel(id, &mut self.out);
            } else {
                self.out.push(Command::Cancel(id));
            }
        }
    }

    /// The caller aborted: a Complete or an Initiate on the wire is let finish (so what really
    /// happened is reported and nothing is left behind on the server); then the server upload is
    /// aborted, and only once that worked is the checkpoint deleted.
    pub(super) fn abort(&mut self, client: &Client) {
        if self.aborting {
            return;
        }
        self.aborting = true;
        // Aborting on the server may need the callbacks a pause held.
        self.requests.hold_callbacks(false);
        self.cancel_parts();
        let listing: Vec<JobId> =
            self.jobs.iter().filter(|(_, job)| matches!(job, Job::ListParts(_))).map(|(id, _)| *id).collect();
        for id in listing {
            self.cancel(id);
        }
        // Waiting for another tab's upload of the file: that upload is the other tab's.
        if let Phase::Locking { busy: true, .. } | Phase::Relocking { busy: true } = self.phase {
            return self.finish(Err(Error::Aborted));
        }
        // Until the stored checkpoint is read, the upload this file would resume is not known: it
        // is aborted once it is (`proceed`).
        let finding = matches!(
            self.phase,
            Phase::Fingerprinting
                | Phase::Locking { .. }
                | Phase::Relocking { .. }
                | Phase::Loading { .. }
                | Phase::Rechecking
                | Phase::Replacing { .. }
        );
        if !finding && !self.jobs.values().any(|job| matches!(job, Job::Initiate | Job::Complete | Job::Head)) {
            self.abort_now(client);
        }
    }

    /// Aborts the multipart upload on the server, if there is one.
    pub(super) fn abort_now(&mut self, client: &Client) {
        if let Phase::Listing(listing) = &self.phase {
            self.record = Some(listing.stored.clone());
        }
        let upload_id = match &self.phase {
            Phase::Listing(listing) => Some(listing.stored.upload_id.clone()),
            _ => self.upload_id().map(str::to_owned),
        };
        match upload_id {
            Some(upload_id) => self.abort_upload(upload_id, client),
            None => self.finish(Err(Error::Aborted)),
        }
    }

    /// Sends AbortMultipartUpload for `upload_id`.
    pub(super) fn abort_upload(&mut self, upload_id: String, client: &Client) {
        self.phase = Phase::Aborting;
        let abort = AbortMultipartUpload { key: self.key.clone(), upload_id };
        match abort.request(client.bucket.profile()) {
            Ok(request) => {
                let id = self.job(Job::Abort);
                self.requests.start(id, AbortMultipartUpload::OPERATION, request);
            }
            Err(error) => self.fail(error),
        }
    }

    pub(super) fn aborted(&mut self) {
        if let Some(record) = &self.record {
            self.out.push(Command::DeleteCheckpoint(record.id()));
        }
        self.finish(Err(Error::Aborted));
    }

    pub(super) fn fail(&mut self, error: Error) {
        self.finish(Err(error));
    }

    /// Ends an upload whose Complete succeeded with an object that is not the file: its
    /// checkpoint goes with the spent upload id.
    pub(super) fn fail_completed(&mut self, error: Error) {
        if let Some(record) = &self.record {
            self.out.push(Command::DeleteCheckpoint(record.id()));
        }
        self.fail(error);
    }

    /// Ends the upload: every job still running is cancelled and the final state reported.
    pub(super) fn finish(&mut self, outcome: Result<UploadResult>) {
        if matches!(self.phase, Phase::Done) {
            return;
        }
        let ids: Vec<JobId> = self.jobs.keys().copied().collect();
        for id in ids {
            self.cancel(id);
        }
        let state = match &outcome {
            Ok(_) => TaskState::Complete,
            Err(Error::Aborted) => TaskState::Aborted,
            Err(_) => TaskState::Failed,
        };
        self.out.push(Command::Emit(Event::State(state)));
        self.phase = Phase::Done;
        self.outcome = Some(outcome);
    }
}
