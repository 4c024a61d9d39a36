//! The requests of one machine, from first try to last: signed here or presigned by the app,
//! sent, and after a failure retried with backoff, re-signed with fresh credentials or a corrected
//! clock, held while the browser is offline, or given up. A part whose body shows no progress for
//! the stall timeout, or another request with no answer for the answer timeout, is cancelled and
//! retried. The app's callbacks are tried the same way: a `presign` call is a step of its request,
//! the `credentials` call serves every request waiting for credentials; a call that throws,
//! rejects or outlasts the callback timeout is cancelled (its `signal` aborts) and tried again.
//! A request waits for a permit of the client's [`RequestBudget`] before it is presigned or sent
//! (its stall timer starts only once it is sent) and gives it back when it leaves the wire.

mod credentials;

use super::budget::{MachineId, RequestBudget};
use super::client::{Client, Presigned, Signing};
use super::commands::{Command, JobId};
use super::config::Config;
use super::retry::{FailureContext, Recovery, RetryPolicy};
use crate::actions::Operation;
use crate::error::{Error, Result};
use crate::http::{Body, Request};
use crate::sorted_map::SortedMap;
use crate::timestamp::Timestamp;
use credentials::CredentialsCall;

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
    /// The tries are spent already (by the credentials call the request waited for).
    pub(super) tries_spent: bool,
}

impl Failure {
    /// A failure with nothing known but the error.
    pub(super) fn of(error: Error) -> Self {
        Failure { error, server_time: None, retry_after_ms: None, offline: false, tries_spent: false }
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
    /// With the app's `presign` callback until `deadline_ms` (holding a permit).
    Presigning { deadline_ms: u64 },
    /// On the wire, signed with `key_id` (here) or presigned; `temporary`: by STS credentials or a
    /// presigned URL; `active_ms` is the last sign of life (holding a permit).
    Sent { key_id: Option<String>, temporary: bool, active_ms: u64 },
    /// Waiting for the browser to be online.
    Offline,
}

impl Stage {
    /// Whether the request holds one of the budget's permits.
    fn holds_permit(&self) -> bool {
        matches!(self, Stage::Presigning { .. } | Stage::Sent { .. })
    }
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
    /// The machine's place in the client's request budget.
    machine: MachineId,
    live: SortedMap<JobId, Exchange>,
    policy: RetryPolicy,
    /// A part body that shows no progress this long is cancelled.
    stall_ms: u64,
    /// Any other request with no answer this long is cancelled.
    answer_ms: u64,
    /// A callback call with no answer this long is cancelled.
    callback_ms: u64,
    credentials: CredentialsCall,
    /// Paused: no callback call is started or kept running.
    callbacks_held: bool,
    waiting_online: bool,
    random: u64,
}

impl Requests {
    /// No requests yet for the machine `machine` of the budget; `seed` drives the backoff jitter.
    pub(super) fn new(config: &Config, machine: MachineId, seed: u64) -> Self {
        Requests {
            machine,
            live: SortedMap::new(),
            policy: config.retry,
            stall_ms: config.stall_timeout_ms,
            answer_ms: config.answer_timeout_ms,
            callback_ms: config.callback_timeout_ms,
            credentials: CredentialsCall::default(),
            callbacks_held: false,
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

    /// The machine's place in the client's request budget.
    pub(super) fn machine(&self) -> MachineId {
        self.machine
    }

    /// Gives back the permits of requests that left the wire (answered, failed, cancelled) to the
    /// budget, for the machines waiting in line.
    pub(super) fn settle(&self, budget: &mut RequestBudget) {
        budget.holding(self.machine, self.live.values().filter(|e| e.stage.holds_permit()).count());
    }

    /// Forgets `id`, answered or given up.
    pub(super) fn finish(&mut self, id: JobId) {
        self.live.remove(&id);
    }

    /// Drops `id`; a request on the wire or with the app is cancelled.
    pub(super) fn cancel(&mut self, id: JobId, out: &mut Vec<Command>) {
        if let Some(exchange) = self.live.remove(&id)
            && matches!(exchange.stage, Stage::Sent { .. } | Stage::Presigning { .. })
        {
            out.push(Command::Cancel(id));
        }
    }

    /// While `held` (the upload is paused), requests that need a callback wait, and callback calls
    /// under way are cancelled (their `signal` aborts) to be made again once released.
    pub(super) fn hold_callbacks(&mut self, held: bool) {
        self.callbacks_held = held;
    }

    /// Sends what is ready at `now_ms` and has a permit of the budget, asks for credentials when
    /// they are missing, cancels stalled parts and callback calls past their deadline, and schedules
    /// the next wake-up. Permits handed to the machine that no request took go to the next in line.
    /// Returns the requests that failed here.
    pub(super) fn poll(&mut self, now_ms: u64, client: &mut Client, out: &mut Vec<Command>) -> Vec<(JobId, Failure)> {
        let mut failed = Vec::new();
        let time = match client.time(now_ms) {
            Ok(time) => time,
            Err(error) => {
                return self.live.keys().map(|id| (*id, Failure::of(error.clone()))).collect();
            }
        };
        let mut wake: Option<u64> = None;
        let mut want_credentials = false;
        for (id, exchange) in self.live.iter_mut() {
            if let Stage::Backoff { until_ms } = exchange.stage {
                if until_ms > now_ms {
                    wake = Some(wake.map_or(until_ms, |w| w.min(until_ms)));
                    continue;
                }
                exchange.stage = Stage::Ready;
            }
            match &exchange.stage {
                Stage::Ready => match &client.signing {
                    Signing::Presigned if self.callbacks_held => {}
                    Signing::Presigned if !client.budget.take(self.machine) => {}
                    Signing::Presigned => {
                        let deadline_ms = now_ms.saturating_add(self.callback_ms);
                        exchange.stage = Stage::Presigning { deadline_ms };
                        wake = Some(wake.map_or(deadline_ms + 1, |w| w.min(deadline_ms + 1)));
                        out.push(Command::Presign {
                            id: *id,
                            operation: exchange.operation,
                            request: exchange.request.clone(),
                        });
                    }
                    Signing::Credentials(keyring) => match keyring.usable(time) {
                        Some(_) if !client.budget.take(self.machine) => {}
                        Some(credentials) => match client.sign(&exchange.request, credentials, time) {
                            Ok(request) => {
                                let key_id = Some(credentials.access_key_id().to_owned());
                                let temporary = credentials.token().is_some();
                                exchange.stage = Stage::Sent { key_id, temporary, active_ms: now_ms };
                                out.push(Command::Send { id: *id, request });
                            }
                            Err(error) => failed.push((*id, Failure::of(error))),
                        },
                        None => want_credentials = true,
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
                Stage::Presigning { .. } if self.callbacks_held => {
                    out.push(Command::Cancel(*id));
                    exchange.stage = Stage::Ready;
                }
                Stage::Presigning { deadline_ms } => {
                    if now_ms > *deadline_ms {
                        out.push(Command::Cancel(*id));
                        failed.push((*id, Failure::of(timed_out("presign", self.callback_ms))));
                    } else {
                        wake = Some(wake.map_or(deadline_ms + 1, |w| w.min(deadline_ms + 1)));
                    }
                }
                Stage::Backoff { .. } | Stage::Offline => {}
            }
        }
        client.budget.decline(self.machine);
        let want_credentials = want_credentials && !self.callbacks_held;
        failed.extend(self.poll_credentials(want_credentials, now_ms, client, out, &mut wake));
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

    /// The app's presign call for `id` answered: the request is sent, unless the call failed or
    /// the URL is not this request's (returned). The late answer of a call cancelled meanwhile (a
    /// timeout, a pause) is ignored.
    pub(super) fn presigned(
        &mut self,
        id: JobId,
        result: Result<Presigned>,
        now_ms: u64,
        client: &Client,
        out: &mut Vec<Command>,
    ) -> Option<Failure> {
        let exchange = self.live.get_mut(&id).filter(|e| matches!(e.stage, Stage::Presigning { .. }))?;
        match result.and_then(|presigned| client.presigned(&exchange.request, presigned)) {
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
        if failure.tries_spent {
            let maybe_performed = exchange.maybe_performed;
            self.live.remove(&id);
            return Verdict::GaveUp { error: failure.error, maybe_performed };
        }
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
        let recovery = if recovery == Recovery::GiveUp || client.allows_retry(&failure.error, exchange.retries) {
            recovery
        } else {
            Recovery::GiveUp
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

/// The error of a `callback` call cancelled after `limit_ms` without an answer.
fn timed_out(callback: &str, limit_ms: u64) -> Error {
    let message = format!("the {callback} callback did not answer within {limit_ms} ms; it was cancelled");
    Error::Credentials { message, retryable: true }
}
