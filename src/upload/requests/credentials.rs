//! The app's `credentials` callback as a job of its own: called once at a time for every request
//! waiting for credentials, with a deadline, tried again after a backoff (one `retry` event per
//! failed call), and given up for all of them at once.

use super::{Failure, Requests, Stage, timed_out};
use crate::error::{Error, Result};
use crate::upload::client::{Client, FetchedCredentials, Signing};
use crate::upload::commands::{Command, JobId};
use crate::upload::events::Event;
use crate::upload::retry::{FailureContext, Recovery};

/// Credentials calls are numbered from here, apart from the machine's own jobs (and below 2^53, so
/// every job id crosses to JS as an exact number).
const CREDENTIALS_IDS: u64 = 1 << 52;

/// The app's `credentials` callback, as the requests waiting for credentials see it.
#[derive(Clone, Debug, Default)]
pub(super) struct CredentialsCall {
    /// Calls made so far (they number the jobs).
    calls: u64,
    /// Failed tries since credentials last arrived.
    retries: u32,
    stage: CallStage,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum CallStage {
    #[default]
    Idle,
    /// With the app until `deadline_ms`.
    Asking { id: JobId, deadline_ms: u64 },
    /// Waiting out a backoff.
    Backoff { until_ms: u64 },
}

impl Requests {
    /// Calls the app's `credentials` callback while requests want credentials: once at a time,
    /// again after a backoff, cancelled past its deadline or when nothing waits for it any more.
    pub(super) fn poll_credentials(
        &mut self,
        wanted: bool,
        now_ms: u64,
        client: &Client,
        out: &mut Vec<Command>,
        wake: &mut Option<u64>,
    ) -> Vec<(JobId, Failure)> {
        let mut wake_at = |at: u64| *wake = Some(wake.map_or(at, |w| w.min(at)));
        match self.credentials.stage {
            CallStage::Backoff { until_ms } if until_ms > now_ms => wake_at(until_ms),
            CallStage::Idle | CallStage::Backoff { .. } if wanted => {
                self.credentials.calls += 1;
                let id = JobId(CREDENTIALS_IDS + self.credentials.calls);
                let deadline_ms = now_ms.saturating_add(self.callback_ms);
                self.credentials.stage = CallStage::Asking { id, deadline_ms };
                out.push(Command::FetchCredentials { id });
                wake_at(deadline_ms + 1);
            }
            CallStage::Asking { id, .. } if !wanted => {
                self.credentials.stage = CallStage::Idle;
                out.push(Command::Cancel(id));
            }
            CallStage::Asking { id, deadline_ms } if now_ms > deadline_ms => {
                self.credentials.stage = CallStage::Idle;
                out.push(Command::Cancel(id));
                let error = timed_out("credentials", self.callback_ms);
                return self.credentials_failed(error, now_ms, client, out);
            }
            CallStage::Asking { deadline_ms, .. } => wake_at(deadline_ms + 1),
            CallStage::Idle | CallStage::Backoff { .. } => self.credentials.stage = CallStage::Idle,
        }
        Vec::new()
    }

    /// The app's credentials call `id` answered: keeps the credentials, or tries again after a
    /// backoff; returns the requests that cannot go on once it gives up. A cancelled call's late
    /// answer is ignored.
    pub(in crate::upload) fn credentials(
        &mut self,
        id: JobId,
        result: Result<FetchedCredentials>,
        now_ms: u64,
        client: &mut Client,
        out: &mut Vec<Command>,
    ) -> Vec<(JobId, Failure)> {
        if !matches!(self.credentials.stage, CallStage::Asking { id: asked, .. } if asked == id) {
            return Vec::new();
        }
        self.credentials.stage = CallStage::Idle;
        let time = client.time(now_ms);
        match (result, &mut client.signing, time) {
            (Ok(fetched), Signing::Credentials(keyring), Ok(time)) => {
                keyring.store(fetched, time);
                self.credentials.retries = 0;
                Vec::new()
            }
            (Err(error), _, _) => self.credentials_failed(error, now_ms, client, out),
            (Ok(_), _, time) => {
                let error =
                    time.err().unwrap_or_else(|| Error::unusable("credentials arrived for an uploader that presigns"));
                self.credentials_gave_up(&error)
            }
        }
    }

    /// Decides what follows a failed credentials call: another one after a backoff (announced by
    /// a `retry` event), or giving up, which fails every request waiting for credentials.
    fn credentials_failed(
        &mut self,
        error: Error,
        now_ms: u64,
        client: &Client,
        out: &mut Vec<Command>,
    ) -> Vec<(JobId, Failure)> {
        self.credentials.retries += 1;
        let attempt = self.credentials.retries;
        let jitter = self.jitter();
        let recovery = client.time(now_ms).map(|local_time| {
            let context = FailureContext {
                retry: attempt,
                temporary_credentials: false,
                server_time: None,
                local_time,
                jitter,
                retry_after_ms: None,
            };
            self.policy.recovery(&error, &context)
        });
        match recovery {
            Ok(Recovery::Retry { delay_ms }) if client.allows_retry(&error, attempt) => {
                let until_ms = now_ms.saturating_add(delay_ms);
                self.credentials.stage = CallStage::Backoff { until_ms };
                out.push(Command::Sleep { until_ms });
                out.push(Command::Emit(Event::Retry { part: None, attempt, delay_ms, error }));
                Vec::new()
            }
            _ => self.credentials_gave_up(&error),
        }
    }

    /// The requests waiting for credentials, failed for good with `error`.
    fn credentials_gave_up(&mut self, error: &Error) -> Vec<(JobId, Failure)> {
        self.credentials.retries = 0;
        let waiting = self.live.iter().filter(|(_, e)| e.stage == Stage::Ready);
        waiting.map(|(id, _)| (*id, Failure { tries_spent: true, ..Failure::of(error.clone()) })).collect()
    }
}
