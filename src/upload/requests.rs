//! The requests of one machine, from first try to last: signed here or presigned by the app,
//! sent, and after a failure retried with backoff, re-signed with fresh credentials or a corrected
//! clock, held while the browser is offline, or given up. A part whose body shows no progress for
//! the stall timeout, or another request with no answer for the answer timeout, is cancelled and
//! retried.

use super::client::{Client, FetchedCredentials, Presigned, Signing};
use super::commands::{Command, JobId};
use super::config::Config;
use super::retry::{FailureContext, Recovery, RetryPolicy};
use crate::actions::Operation;
use crate::error::{Error, Result};
use crate::http::{Body, Request};
use crate::timestamp::Timestamp;
use std::collections::BTreeMap;

/// A failed attempt, as the machine learnt of it.
#[derive(Clone, Debug)]
pub(super) struct Failure {
    /// What went wrong.
    pub(super) error: Error,
    /// The server's clock, from the answer's `Date` header.
    pub(super) server_time: Option<Timestamp>,
    /// The wait the service asked for.
    pub(super) retry_after_ms: Option<u64>,
    /// Whether the browser is offline.
    pub(super) offline: bool,
}

impl Failure {
    /// A failure with nothing known but the error.
    pub(super) fn of(error: Error) -> Self {
        Failure { error, server_time: None, retry_after_ms: None, offline: false }
    }
}

/// What follows a failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Verdict {
    /// Held until the browser is online; not counted as a retry.
    Held,
    /// Tried again after `delay_ms`.
    Retrying {
        /// Which retry (1-based).
        attempt: u32,
        /// The wait before it.
        delay_ms: u64,
        /// What failed.
        error: Error,
    },
    /// No more tries. `maybe_performed`: an earlier attempt may have reached the service.
    GaveUp {
        /// The last error.
        error: Error,
        /// Whether an attempt failed in a way that leaves its effect unknown.
        maybe_performed: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// To be signed (or presigned) and sent.
    Ready,
    /// Waiting out a backoff.
    Backoff { until_ms: u64 },
    /// With the app's `presign` callback.
    Presigning,
    /// On the wire, signed with `key_id` (here) or presigned; `temporary`: by STS credentials or a
    /// presigned URL; `active_ms` is the last sign of life.
    Sent { key_id: Option<String>, temporary: bool, active_ms: u64 },
    /// Waiting for the browser to be online.
    Offline,
}

#[derive(Clone, Debug)]
struct Exchange {
    operation: Operation,
    request: Request,
    retries: u32,
    stage: Stage,
    maybe_performed: bool,
}

/// The live requests of one machine.
#[derive(Clone, Debug)]
pub(super) struct Requests {
    live: BTreeMap<JobId, Exchange>,
    policy: RetryPolicy,
    /// A part body that shows no progress this long is cancelled.
    stall_ms: u64,
    /// Any other request with no answer this long is cancelled.
    answer_ms: u64,
    asked_credentials: bool,
    waiting_online: bool,
    random: u64,
}

impl Requests {
    /// No requests yet; `seed` drives the backoff jitter.
    pub(super) fn new(config: &Config, seed: u64) -> Self {
        Requests {
            live: BTreeMap::new(),
            policy: config.retry,
            stall_ms: config.stall_timeout_ms,
            answer_ms: config.answer_timeout_ms,
            asked_credentials: false,
            waiting_online: false,
            random: seed | 1,
        }
    }

    /// Queues `request` as job `id`; [`Requests::poll`] sends it.
    pub(super) fn start(&mut self, id: JobId, operation: Operation, request: Request) {
        let exchange = Exchange { operation, request, retries: 0, stage: Stage::Ready, maybe_performed: false };
        self.live.insert(id, exchange);
    }

    /// Whether `id` is a live request.
    pub(super) fn contains(&self, id: JobId) -> bool {
        self.live.contains_key(&id)
    }

    /// Whether `id` is on the wire.
    pub(super) fn is_sent(&self, id: JobId) -> bool {
        self.live.get(&id).is_some_and(|e| matches!(e.stage, Stage::Sent { .. }))
    }

    /// Forgets `id`, answered or given up.
    pub(super) fn finish(&mut self, id: JobId) {
        self.live.remove(&id);
    }

    /// Drops `id`; a request on the wire or with the app is cancelled.
    pub(super) fn cancel(&mut self, id: JobId, out: &mut Vec<Command>) {
        if let Some(exchange) = self.live.remove(&id)
            && matches!(exchange.stage, Stage::Sent { .. } | Stage::Presigning)
        {
            out.push(Command::Cancel(id));
        }
    }

    /// Sends what is ready at `now_ms`, asks for credentials once when they are missing, cancels
    /// stalled parts and schedules the next wake-up. Returns the requests that failed here.
    pub(super) fn poll(&mut self, now_ms: u64, client: &mut Client, out: &mut Vec<Command>) -> Vec<(JobId, Failure)> {
        let mut failed = Vec::new();
        let time = match client.time(now_ms) {
            Ok(time) => time,
            Err(error) => {
                return self.live.keys().map(|id| (*id, Failure::of(error.clone()))).collect();
            }
        };
        let mut wake: Option<u64> = None;
        for (id, exchange) in &mut self.live {
            if let Stage::Backoff { until_ms } = exchange.stage {
                if until_ms > now_ms {
                    wake = Some(wake.map_or(until_ms, |w| w.min(until_ms)));
                    continue;
                }
                exchange.stage = Stage::Ready;
            }
            match &exchange.stage {
                Stage::Ready => match &client.signing {
                    Signing::Presigned => {
                        exchange.stage = Stage::Presigning;
                        out.push(Command::Presign {
                            id: *id,
                            operation: exchange.operation,
                            request: exchange.request.clone(),
                        });
                    }
                    Signing::Credentials(keyring) => match keyring.usable(time) {
                        Some(credentials) => match client.sign(&exchange.request, credentials, time) {
                            Ok(request) => {
                                let key_id = Some(credentials.access_key_id().to_owned());
                                let temporary = credentials.token().is_some();
                                exchange.stage = Stage::Sent { key_id, temporary, active_ms: now_ms };
                                out.push(Command::Send { id: *id, request });
                            }
                            Err(error) => failed.push((*id, Failure::of(error))),
                        },
                        None if !self.asked_credentials => {
                            self.asked_credentials = true;
                            out.push(Command::FetchCredentials);
                        }
                        None => {}
                    },
                },
                Stage::Sent { active_ms, .. } => {
                    let (limit, missing) = match exchange.request.body {
                        Body::Range { .. } => (self.stall_ms, "progress"),
                        _ => (self.answer_ms, "answer"),
                    };
                    let deadline = active_ms.saturating_add(limit);
                    if now_ms > deadline {
                        out.push(Command::Cancel(*id));
                        let message = format!("no {missing} for {} s; the request was cancelled", limit / 1000);
                        failed.push((*id, Failure::of(Error::Network { message })));
                    } else {
                        wake = Some(wake.map_or(deadline + 1, |w| w.min(deadline + 1)));
                    }
                }
                Stage::Backoff { .. } | Stage::Presigning | Stage::Offline => {}
            }
        }
        if let Some(until_ms) = wake {
            out.push(Command::Sleep { until_ms });
        }
        failed
    }

    /// A sign of life from `id`.
    pub(super) fn activity(&mut self, id: JobId, now_ms: u64) {
        if let Some(Exchange { stage: Stage::Sent { active_ms, .. }, .. }) = self.live.get_mut(&id) {
            *active_ms = now_ms;
        }
    }

    /// The app's credentials arrived (or failed): keeps them, and returns the requests that
    /// cannot go on without them.
    pub(super) fn credentials(
        &mut self,
        result: Result<FetchedCredentials>,
        now_ms: u64,
        client: &mut Client,
    ) -> Vec<(JobId, Failure)> {
        self.asked_credentials = false;
        let time = client.time(now_ms);
        match (result, &mut client.signing, time) {
            (Ok(fetched), Signing::Credentials(keyring), Ok(time)) => {
                keyring.store(fetched, time);
                Vec::new()
            }
            (result, _, time) => {
                let error = result.err().or(time.err()).unwrap_or_else(|| Error::Credentials {
                    message: "credentials arrived for an uploader that presigns".into(),
                });
                let waiting = self.live.iter().filter(|(_, e)| e.stage == Stage::Ready);
                waiting.map(|(id, _)| (*id, Failure::of(error.clone()))).collect()
            }
        }
    }

    /// The app presigned `id`: it is sent, unless the URL is not this request's (returned).
    pub(super) fn presigned(
        &mut self,
        id: JobId,
        presigned: Presigned,
        now_ms: u64,
        client: &Client,
        out: &mut Vec<Command>,
    ) -> Option<Failure> {
        let exchange = self.live.get_mut(&id)?;
        match client.presigned(&exchange.request, presigned) {
            Ok(request) => {
                exchange.stage = Stage::Sent { key_id: None, temporary: true, active_ms: now_ms };
                out.push(Command::Send { id, request });
                None
            }
            Err(error) => Some(Failure::of(error)),
        }
    }

    /// The browser is online again: held requests are sent.
    pub(super) fn online(&mut self) {
        self.waiting_online = false;
        for exchange in self.live.values_mut() {
            if exchange.stage == Stage::Offline {
                exchange.stage = Stage::Ready;
            }
        }
    }

    /// Decides what follows a failed attempt of `id`.
    pub(super) fn failed(
        &mut self,
        id: JobId,
        failure: Failure,
        now_ms: u64,
        client: &mut Client,
        out: &mut Vec<Command>,
    ) -> Verdict {
        let jitter = self.jitter();
        let Some(exchange) = self.live.get_mut(&id) else {
            return Verdict::GaveUp { error: failure.error, maybe_performed: false };
        };
        let network = matches!(failure.error, Error::Network { .. });
        // A request lost on the way may still have been carried out.
        exchange.maybe_performed |= network && matches!(exchange.stage, Stage::Sent { .. });
        if network && failure.offline {
            exchange.stage = Stage::Offline;
            if !self.waiting_online {
                self.waiting_online = true;
                out.push(Command::WaitOnline);
            }
            return Verdict::Held;
        }
        exchange.retries += 1;
        // Whether the refused request was signed with temporary credentials, whatever the keyring
        // holds by now (another part's refusal may have emptied it already).
        let (key_id, temporary) = match &exchange.stage {
            Stage::Sent { key_id, temporary, .. } => (key_id.clone(), *temporary),
            _ => (None, matches!(client.signing, Signing::Presigned)),
        };
        let local_time = client.time(now_ms);
        let recovery = match &local_time {
            Ok(local_time) => self.policy.recovery(
                &failure.error,
                &FailureContext {
                    retry: exchange.retries,
                    temporary_credentials: temporary,
                    server_time: failure.server_time,
                    local_time: *local_time,
                    jitter,
                    retry_after_ms: failure.retry_after_ms,
                },
            ),
            Err(_) => Recovery::GiveUp,
        };
        let delay_ms = match recovery {
            Recovery::GiveUp => {
                let maybe_performed = exchange.maybe_performed;
                self.live.remove(&id);
                return Verdict::GaveUp { error: failure.error, maybe_performed };
            }
            Recovery::Retry { delay_ms } => delay_ms,
            Recovery::RefreshCredentials => {
                if let (Signing::Credentials(keyring), Some(key_id)) = (&mut client.signing, key_id) {
                    keyring.expire(&key_id);
                }
                0
            }
            Recovery::CorrectClock { offset_seconds } => {
                client.clock_offset += offset_seconds;
                0
            }
        };
        let until_ms = now_ms.saturating_add(delay_ms);
        exchange.stage = Stage::Backoff { until_ms };
        out.push(Command::Sleep { until_ms });
        Verdict::Retrying { attempt: exchange.retries, delay_ms, error: failure.error }
    }

    /// A number in `[0, 1)` from the seeded xorshift generator.
    fn jitter(&mut self) -> f64 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        // The top 53 bits as a fraction: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let fraction = (self.random >> 11) as f64 / (1u64 << 53) as f64;
        fraction
    }
}
