//! [`Call`]: one request run to its answer with the same signing and retry decisions as an
//! upload's requests (listing and aborting uploads outside of a running upload).

use super::budget::MachineId;
use super::client::Client;
use super::commands::{Command, Input, JobId, Machine};
use super::config::Config;
use super::requests::{Failure, Requests, Verdict};
use super::retry::retry_after_ms;
use crate::actions::Action;
use crate::error::Result;
use crate::timestamp::Timestamp;

const ID: JobId = JobId(1);

/// One action, tried until it succeeds or the retry policy gives up.
#[derive(Debug)]
pub struct Call<A: Action> {
    requests: Requests,
    outcome: Option<Result<A::Output>>,
    done: bool,
}

impl<A: Action> Call<A> {
    /// A call of `action` with `config`'s retries and timeouts, its request in `client`'s budget;
    /// `seed` drives the retry jitter.
    pub fn new(action: &A, client: &mut Client, config: &Config, seed: u64) -> Self {
        let mut requests = Requests::new(config, client.budget.join(), seed);
        let outcome = match action.request(client.bucket.profile()) {
            Ok(request) => {
                requests.start(ID, A::OPERATION, request);
                None
            }
            Err(error) => Some(Err(error)),
        };
        Call { done: outcome.is_some(), requests, outcome }
    }

    fn failed(&mut self, failure: Failure, now_ms: u64, client: &mut Client, out: &mut Vec<Command>) {
        if let Verdict::GaveUp { error, .. } = self.requests.failed(ID, failure, now_ms, client, out) {
            self.outcome = Some(Err(error));
            self.done = true;
        }
    }
}

impl<A: Action> Machine for Call<A> {
    type Output = A::Output;

    fn poll(&mut self, now_ms: u64, client: &mut Client) -> Vec<Command> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        for (_, failure) in self.requests.poll(now_ms, client, &mut out) {
            self.failed(failure, now_ms, client, &mut out);
        }
        self.requests.settle(&mut client.budget);
        out
    }

    fn handle(&mut self, input: Input, now_ms: u64, client: &mut Client) -> Vec<Command> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        match input {
            Input::Answer { response, .. } => match A::parse(&response, client.bucket.profile()) {
                Ok(output) => {
                    self.requests.finish(ID);
                    self.outcome = Some(Ok(output));
                    self.done = true;
                }
                Err(error) => {
                    let failure = Failure {
                        error,
                        server_time: response.header("date").and_then(Timestamp::parse_http_date),
                        retry_after_ms: retry_after_ms(&response),
                        offline: false,
                        tries_spent: false,
                    };
                    self.failed(failure, now_ms, client, &mut out);
                }
            },
            Input::Failure { error, offline, .. } => {
                self.failed(Failure { offline, ..Failure::of(error) }, now_ms, client, &mut out);
            }
            Input::Credentials { id, result } => {
                for (_, failure) in self.requests.credentials(id, result, now_ms, client, &mut out) {
                    self.failed(failure, now_ms, client, &mut out);
                }
            }
            Input::Presigned { id, result } => {
                if let Some(failure) = self.requests.presigned(id, result, now_ms, client, &mut out) {
                    self.failed(failure, now_ms, client, &mut out);
                }
            }
            Input::Online => self.requests.online(),
            _ => {}
        }
        self.requests.settle(&mut client.budget);
        out
    }

    fn outcome(&mut self) -> Option<Result<Self::Output>> {
        self.outcome.take()
    }

    fn id(&self) -> MachineId {
        self.requests.machine()
    }
}
