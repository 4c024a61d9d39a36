//! Several uploads on one client, as one uploader runs them: the request budget they share. The
//! shell here holds every request on the wire until it answers the oldest, one at a time, each
//! after `answer_ms`, and polls the machines the budget hands a permit.

use crate::server::{self, File, MIB, Mode, Service, config};
use partwise::Error;
use partwise::actions::Operation;
use partwise::bucket::SignedRequest;
use partwise::http::Body;
use partwise::signing::Credentials;
use partwise::upload::{
    Client, Command, Config, Event, FetchedCredentials, Input, JobId, Machine, ObjectSpec, Presigned, RequestBudget,
    Upload, UploadResult,
};
use std::collections::VecDeque;

struct Task {
    upload: Upload,
    key: String,
    size: u64,
    inputs: VecDeque<Input>,
    due: bool,
    wake: Option<u64>,
    outcome: Option<Result<UploadResult, Error>>,
}

/// One client, its machines and the service.
struct Fleet {
    client: Client,
    config: Config,
    service: Service,
    file: File,
    now: u64,
    /// How long each request takes to answer.
    answer_ms: u64,
    tasks: Vec<Task>,
    /// Requests on the wire, oldest first: (task, job, request).
    wire: VecDeque<(usize, JobId, SignedRequest)>,
    /// The most requests on the wire at one time.
    most_on_wire: usize,
    /// (task, operation, part number) of every request sent, in order.
    sent: Vec<(usize, Operation, Option<u16>)>,
    events: Vec<(usize, Event)>,
}

impl Fleet {
    fn new(max_requests: usize, mode: Mode) -> Self {
        let mut client = server::client(mode);
        client.budget = RequestBudget::new(max_requests);
        Fleet {
            client,
            config: config(),
            service: Service::new(),
            file: File::default(),
            now: server::START_MS,
            answer_ms: 1000,
            tasks: Vec::new(),
            wire: VecDeque::new(),
            most_on_wire: 0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Starts uploading `size` bytes as `file-<n>`; returns the task's number.
    fn add(&mut self, size: u64) -> usize {
        let n = self.tasks.len();
        let key = format!("file-{n}");
        let object = ObjectSpec { key: key.clone(), ..ObjectSpec::default() };
        let seed = 7 + n as u64;
        let upload = Upload::new(self.config, &mut self.client, object, server::file_info(size), 2, self.now, seed)
            .expect("plan");
        self.tasks.push(Task { upload, key, size, inputs: VecDeque::new(), due: true, wake: None, outcome: None });
        n
    }

    fn finished(&self) -> bool {
        self.tasks.iter().all(|t| t.outcome.is_some())
    }

    /// Runs until every task has its outcome, or `stop` says so between answers.
    fn run_until(&mut self, mut stop: impl FnMut(&Fleet) -> bool) {
        for _ in 0..100_000 {
            self.settle();
            if self.finished() || stop(self) {
                return;
            }
            if let Some((task, id, request)) = self.wire.pop_front() {
                self.now += self.answer_ms;
                self.wake_timers();
                let true_now = i64::try_from(self.now / 1000).expect("ms");
                let response = self.service.answer(&request, &self.file, true_now);
                let inputs = &mut self.tasks[task].inputs;
                if let Body::Range { len, .. } = request.body {
                    inputs.push_back(Input::Activity { id, sent: len });
                }
                inputs.push_back(Input::Answer { id, response });
                continue;
            }
            let next = self.tasks.iter().filter(|t| t.outcome.is_none()).filter_map(|t| t.wake).min();
            self.now = next.expect("the machines wait for nothing").max(self.now);
            self.wake_timers();
        }
        panic!("no outcome after 100,000 steps");
    }

    fn run(&mut self) {
        self.run_until(|_| false);
    }

    /// Polls the due machines and hands them their inputs until none is left.
    fn settle(&mut self) {
        while let Some(n) = self.tasks.iter().position(|t| t.outcome.is_none() && (t.due || !t.inputs.is_empty())) {
            let task = &mut self.tasks[n];
            let commands = if task.due {
                task.due = false;
                task.upload.poll(self.now, &mut self.client)
            } else {
                let input = task.inputs.pop_front().expect("an input");
                task.due = true;
                task.upload.handle(input, self.now, &mut self.client)
            };
            self.execute(n, commands);
            if let Some(outcome) = self.tasks[n].upload.outcome() {
                self.client.budget.leave(self.tasks[n].upload.id());
                self.wire.retain(|(task, _, _)| *task != n);
                self.tasks[n].outcome = Some(outcome);
            }
            for machine in self.client.budget.take_woken() {
                let woken = self.tasks.iter_mut().find(|t| t.upload.id() == machine).expect("a machine of the fleet");
                woken.due = true;
            }
        }
    }

    fn wake_timers(&mut self) {
        for task in &mut self.tasks {
            if task.wake.is_some_and(|w| w <= self.now) {
                task.wake = None;
                task.due = true;
            }
        }
    }

    fn execute(&mut self, n: usize, commands: Vec<Command>) {
        for command in commands {
            let inputs = &mut self.tasks[n].inputs;
            match command {
                Command::Send { id, request } => {
                    let part = request.url.split("partNumber=").nth(1).and_then(|p| p.split('&').next()?.parse().ok());
                    self.sent.push((n, server::operation_of(&request), part));
                    self.wire.push_back((n, id, request));
                    self.most_on_wire = self.most_on_wire.max(self.wire.len());
                }
                Command::Presign { id, request, .. } => {
                    let url = self.client.bucket.url(&request);
                    inputs.push_back(Input::Presigned { id, result: Ok(Presigned { url, headers: Vec::new() }) });
                }
                Command::FetchCredentials { id } => {
                    let credentials = Credentials::new("key", "secret", Some("token".into()));
                    let result = Ok(FetchedCredentials { credentials, expiration: None });
                    inputs.push_back(Input::Credentials { id, result });
                }
                Command::Hash { id, ranges, md5, .. } => {
                    inputs.push_back(Input::Hashed { id, md5: md5.then(|| self.file.digest(&ranges)), checksum: None });
                }
                Command::Cancel(id) => {
                    self.wire.retain(|(task, job, _)| (*task, *job) != (n, id));
                    inputs.retain(
                        |input| !matches!(input, Input::Answer { id: i, .. } | Input::Hashed { id: i, .. } if *i == id),
                    );
                }
                Command::Lock { .. } => inputs.push_back(Input::Locked),
                Command::LoadCheckpoints { .. } => inputs.push_back(Input::CheckpointsLoaded(Vec::new())),
                Command::SaveCheckpoint(_)
                | Command::DeleteCheckpoint(_)
                | Command::Unlock { .. }
                | Command::WaitOnline => {}
                Command::Sleep { until_ms } => {
                    let wake = &mut self.tasks[n].wake;
                    *wake = Some(wake.filter(|w| *w > self.now).map_or(until_ms, |w| w.min(until_ms)));
                }
                Command::Emit(event) => self.events.push((n, event)),
            }
        }
    }

    /// Every task stored its object, whole.
    fn assert_all_stored(&self) {
        for task in &self.tasks {
            let result = task.outcome.as_ref().expect("an outcome").as_ref().expect("stored");
            assert_eq!(result.size, task.size);
            assert_eq!(self.service.objects.get(&task.key).map(|(size, _)| *size), Some(task.size), "{}", task.key);
        }
        assert_eq!(self.client.budget.in_use(), 0, "every permit came back");
    }

    fn retries(&self) -> usize {
        self.events.iter().filter(|(_, e)| matches!(e, Event::Retry { .. })).count()
    }
}

#[test]
fn uploads_on_one_client_never_have_more_than_max_requests_on_the_wire_and_all_complete() {
    for mode in [Mode::Sts, Mode::Presigned] {
        let mut fleet = Fleet::new(3, mode);
        for size in [26 * MIB, 0, 12 * MIB, MIB, 37 * MIB + 5, 16 * MIB] {
            fleet.add(size);
        }
        fleet.run();
        fleet.assert_all_stored();
        assert_eq!(fleet.most_on_wire, 3, "the limit, and never more");
        assert_eq!(fleet.retries(), 0);
    }
}

#[test]
fn a_file_added_later_gets_turns_before_a_big_one_sends_the_rest() {
    let mut fleet = Fleet::new(4, Mode::Sts);
    let big = fleet.add(100 * MIB);
    fleet.run_until(|f| f.sent.iter().filter(|(_, op, _)| *op == Operation::UploadPart).count() >= 6);
    let sent_before = fleet.sent.len();
    let small = fleet.add(15 * MIB);
    fleet.run();
    fleet.assert_all_stored();
    let position = |task: usize, operation: Operation| {
        fleet.sent.iter().rposition(|(t, op, _)| (*t, *op) == (task, operation)).expect("sent")
    };
    let big_last_part = position(big, Operation::UploadPart);
    assert!(
        position(small, Operation::CompleteMultipartUpload) < big_last_part,
        "the small file completes while the big one still has parts to send: {:?}",
        fleet.sent
    );
    let first_small = fleet.sent.iter().position(|(t, _, _)| *t == small);
    assert_eq!(first_small, Some(sent_before), "the small file's Initiate takes the first permit given back");
}

#[test]
fn a_request_waiting_for_a_permit_has_no_stall_timer_running() {
    let mut fleet = Fleet::new(1, Mode::Sts);
    fleet.answer_ms = 12_000;
    for _ in 0..3 {
        fleet.add(12 * MIB);
    }
    fleet.run();
    fleet.assert_all_stored();
    assert!(fleet.now - server::START_MS > 4 * fleet.config.stall_timeout_ms, "parts waited far longer than a stall");
    assert_eq!(fleet.retries(), 0, "no request was cancelled as stalled");
    assert_eq!(fleet.most_on_wire, 1);
}

#[test]
fn a_paused_upload_gives_its_permits_to_the_others() {
    let mut fleet = Fleet::new(2, Mode::Sts);
    let first = fleet.add(30 * MIB);
    let second = fleet.add(30 * MIB);
    fleet.run_until(|f| f.sent.iter().filter(|(t, op, _)| (*t, *op) == (0, Operation::UploadPart)).count() >= 2);
    fleet.tasks[first].inputs.push_back(Input::Pause);
    fleet.run_until(|f| f.tasks[second].outcome.is_some());
    assert!(fleet.tasks[second].outcome.as_ref().is_some_and(Result::is_ok));
    assert!(fleet.wire.is_empty(), "the paused upload sends nothing");
    assert_eq!(fleet.client.budget.in_use(), 0, "nor holds a permit");
    fleet.tasks[first].inputs.push_back(Input::Resume);
    fleet.run();
    fleet.assert_all_stored();
}
