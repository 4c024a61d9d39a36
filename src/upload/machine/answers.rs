//! What the service's answers do to an upload: Initiate's upload id, a part's ETag, Complete's
//! object (checked), a page of listed parts, the object's HEAD, an abort; and what follows a failed
//! attempt: a retry, or giving up.

use super::{Job, Upload, ms};
use crate::actions::{
    AbortMultipartUpload, Action, CompleteMultipartUpload, CreateMultipartUpload, HeadObject, ListParts, PutObject,
    UploadPart,
};
use crate::error::{Error, Result};
use crate::http::Response;
use crate::timestamp::Timestamp;
use crate::upload::client::Client;
use crate::upload::commands::{Command, JobId};
use crate::upload::events::Event;
use crate::upload::requests::{Failure, Verdict};
use crate::upload::retry::retry_after_ms;

impl Upload {
    /// The service's answer to job `id`: it takes effect, or counts as a failed attempt.
    pub(super) fn answered(&mut self, id: JobId, response: &Response, now_ms: u64, client: &mut Client) {
        // Out of the job list while the answer takes effect (which may end the upload and cancel
        // every job left); back in if the answer is a failure to retry.
        let Some(job) = self.jobs.remove(&id) else { return };
        let was_sent = self.requests.is_sent(id);
        let profile = client.bucket.profile();
        let outcome = match job {
            Job::Initiate => {
                CreateMultipartUpload::parse(response, profile).map(|c| self.initiated(c.upload_id, client))
            }
            Job::Part(number) => {
                UploadPart::parse(response, profile).and_then(|etag| self.part_stored(number, etag, now_ms))
            }
            Job::Put => PutObject::parse(response, profile).and_then(|etag| {
                self.part_stored(1, etag.clone(), now_ms)?;
                self.succeed(etag, None, now_ms, client);
                Ok(())
            }),
            Job::Complete => match CompleteMultipartUpload::parse(response, profile) {
                Ok(done) => {
                    let checked = self.check_object_checksum(&done.checksums);
                    match checked.and_then(|()| self.check_object_etag(&done.etag, profile)) {
                        Ok(()) => {
                            let upload_id = self.upload_id().map(str::to_owned);
                            self.succeed(done.etag, upload_id, now_ms, client);
                        }
                        // The object is stored but is not the file: sending Complete again cannot
                        // mend it, and the upload id is spent.
                        Err(error) => self.fail_completed(error),
                    }
                    Ok(())
                }
                Err(error) => Err(error),
            },
            Job::ListParts(ref list) => ListParts::parse(response, profile).and_then(|page| {
                let next = list.next(&page)?;
                self.listed(page.parts, next, client);
                Ok(())
            }),
            Job::Head => HeadObject::parse(response, profile).map(|head| self.verify(&head, now_ms, client)),
            Job::Abort => AbortMultipartUpload::parse(response, profile).map(|()| self.aborted()),
            Job::Replace(ref old) => {
                AbortMultipartUpload::parse(response, profile).map(|()| self.replaced(old, client))
            }
            Job::Sample | Job::Hash(_) => Ok(()),
        };
        match outcome {
            Ok(()) => {
                if was_sent && matches!(job, Job::Part(_) | Job::Put) {
                    self.parts_on_wire = self.parts_on_wire.saturating_sub(1);
                }
                self.requests.finish(id);
            }
            Err(error) => {
                self.jobs.insert(id, job);
                let failure = Failure {
                    error,
                    server_time: response.header("date").and_then(Timestamp::parse_http_date),
                    retry_after_ms: retry_after_ms(response),
                    offline: false,
                    tries_spent: false,
                };
                self.request_failed(id, failure, now_ms, client);
            }
        }
    }

    fn initiated(&mut self, upload_id: String, client: &Client) {
        if let Some(session) = self.session.as_mut() {
            session.initiated(upload_id.clone());
        }
        self.save_upload_id(upload_id);
        if self.aborting {
            self.abort_now(client);
        }
    }

    /// Part `number` was stored with `etag`.
    fn part_stored(&mut self, number: u16, etag: String, now_ms: u64) -> Result<()> {
        let session = self.session.as_mut().ok_or(Error::Aborted)?;
        session.uploaded(number, etag.clone())?;
        let size = self.plan.part(number).map_or(0, |p| p.size);
        self.progress.part_stored(number, size, ms(now_ms));
        self.out.push(Command::Emit(Event::Part { number, etag, size }));
        self.emit_progress(now_ms);
        self.save_done_parts();
        Ok(())
    }

    /// Decides what follows a failed attempt of job `id`.
    pub(super) fn request_failed(&mut self, id: JobId, failure: Failure, now_ms: u64, client: &mut Client) {
        let Some(job) = self.jobs.get(&id).cloned() else { return };
        if matches!(job, Job::Part(_) | Job::Put) && self.requests.is_sent(id) {
            self.parts_on_wire = self.parts_on_wire.saturating_sub(1);
        }
        match self.requests.failed(id, failure, now_ms, client, &mut self.out) {
            Verdict::Held => {}
            Verdict::Retrying { attempt, delay_ms, error } => {
                let part = match job {
                    Job::Part(number) => Some(number),
                    Job::Put => Some(1),
                    _ => None,
                };
                if let Some(number) = part {
                    self.progress.part_failed(number);
                }
                self.out.push(Command::Emit(Event::Retry { part, attempt, delay_ms, error }));
            }
            Verdict::GaveUp { error, maybe_performed } => {
                self.jobs.remove(&id);
                self.gave_up(job, error, maybe_performed, client);
            }
        }
    }
}
