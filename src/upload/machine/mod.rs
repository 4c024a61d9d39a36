//! [`Upload`]: one file's upload from the first byte to the stored object (or a clean failure),
//! as a state machine the shell drives through [`Machine`]: `prepare.rs` finds what a stored
//! checkpoint lets it keep, this file sends the parts, `answers.rs` takes in what the service
//! answers (or a failed attempt), `checksums.rs` puts Content-MD5 or the flexible checksums on
//! the parts, `checkpoint.rs` saves the checkpoint as they are stored, `finish.rs` ends the upload.

mod answers;
mod checkpoint;
mod checksums;
mod finish;
mod prepare;

use super::budget::MachineId;
use super::checkpoint::Checkpoint;
use super::client::Client;
use super::commands::{Command, Input, JobId, Machine};
use super::config::Config;
use super::events::Event;
use super::parts::{Session, Step};
use super::progress::Progress;
use super::requests::{Failure, Requests};
use crate::actions::{
    Action, CompletedPart, CreateMultipartUpload, EncryptedRequest, ListParts, ListedPart, ObjectOptions, PutObject,
    UploadPart,
};
use crate::checksum::ChecksumAlgorithm;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::plan::PartPlan;
use crate::provider::Profile;
use crate::sorted_map::SortedMap;
use finish::Checking;

/// Progress events while bytes go out come at most this often.
const PROGRESS_INTERVAL_MS: u64 = 100;

/// The file being uploaded, as the browser describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// `File.name` (empty for a `Blob`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `File.lastModified` in milliseconds (0 for a `Blob`).
    pub last_modified: i64,
    /// `Blob.type`.
    pub mime: String,
}

/// The object to create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectSpec {
    /// The object key.
    pub key: String,
    /// What the object is created with.
    pub options: ObjectOptions,
}

/// What a finished upload produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadResult {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The multipart upload id (`None` for a single PutObject).
    pub upload_id: Option<String>,
    /// The object's ETag.
    pub etag: String,
    /// The object's URL.
    pub location: String,
    /// Bytes uploaded.
    pub size: u64,
    /// Parts the object was made of.
    pub parts: u16,
}

/// Counters for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// UploadPart/PutObject requests sent, retries included.
    pub part_requests: u32,
    /// The most part requests on the wire at one time.
    pub max_parts_in_flight: u32,
}

/// What a job of the shell's is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Job {
    /// The file's fingerprint sample.
    Sample,
    /// A part's MD5.
    Hash(u16),
    Initiate,
    /// UploadPart.
    Part(u16),
    /// The whole file in one PutObject.
    Put,
    Complete,
    /// One page of the upload's parts: of the stored upload to resume, or before Complete.
    ListParts(ListParts),
    /// The object, after a Complete whose outcome was lost.
    Head,
    /// AbortMultipartUpload.
    Abort,
    /// AbortMultipartUpload of the key's stored upload of another file.
    Replace(Box<Checkpoint>),
}

#[derive(Clone, Debug)]
enum Phase {
    /// Not polled yet.
    New,
    /// Hashing the fingerprint sample.
    Fingerprinting,
    /// Waiting for the lock of this file and key; `busy`: another tab holds it.
    Locking { fresh: Checkpoint, busy: bool },
    /// Waiting for the key's stored checkpoints.
    Loading { fresh: Checkpoint },
    /// Resumed after a pause that let the lock go: waiting for it again.
    Relocking { busy: bool },
    /// The lock is back: checking that no other tab changed the stored record meanwhile.
    Rechecking,
    /// Aborting the key's stored uploads of other files; then `stored` (this file's) is resumed.
    Replacing { fresh: Checkpoint, stored: Option<Box<Checkpoint>> },
    /// Asking the service which parts of the stored upload it holds.
    Listing(Box<Listing>),
    /// Listing the upload's parts before Complete, to check they are this file's.
    Checking(Box<Checking>),
    /// Hashing, sending and completing.
    Running,
    /// Checking the object after a Complete whose outcome was lost.
    Verifying { error: Error, parts: Vec<CompletedPart> },
    /// Aborting on the server.
    Aborting,
    /// Reported.
    Done,
}

/// A resume in progress: the record this upload would start with, the stored one it may continue,
/// and the parts the service listed so far.
#[derive(Clone, Debug)]
struct Listing {
    fresh: Checkpoint,
    fresh_plan: PartPlan,
    stored: Checkpoint,
    listed: Vec<ListedPart>,
}

/// One upload. Every decision is made here; the shell only carries out [`Command`]s.
#[derive(Debug)]
pub struct Upload {
    config: Config,
    key: String,
    options: ObjectOptions,
    file: FileInfo,
    plan: PartPlan,
    hashers: usize,
    created_ms: u64,
    phase: Phase,
    session: Option<Session>,
    requests: Requests,
    jobs: SortedMap<JobId, Job>,
    next_id: u64,
    record: Option<Checkpoint>,
    /// The record this upload started with (no upload id yet), once the file is fingerprinted.
    fresh: Option<Checkpoint>,
    /// Whether this upload holds (or asked for) its Web Lock.
    lock_held: bool,
    /// Whether the lock keeps no other tab out (no Web Locks): parts are checked before Complete.
    unguarded: bool,
    progress: Progress,
    progress_sent_ms: u64,
    out: Vec<Command>,
    paused: bool,
    aborting: bool,
    outcome: Option<Result<UploadResult>>,
    stats: Stats,
    parts_on_wire: u32,
    /// What the hash Workers compute beside each part's MD5 ([`crate::checksum::Checksum::computed`]).
    computed: Option<ChecksumAlgorithm>,
    /// Each part's checksum of that algorithm, by part number.
    part_checksums: SortedMap<u16, Vec<u8>>,
}

impl Upload {
    /// An upload of `file` as `object` with `hashers` hashing Workers, started at `now_ms`, its
    /// requests in `client`'s budget; `seed` drives the retry jitter.
    ///
    /// # Errors
    /// [`Error::TooLarge`] or [`Error::InvalidInput`] when the file cannot be planned.
    pub fn new(
        config: Config,
        client: &mut Client,
        object: ObjectSpec,
        file: FileInfo,
        hashers: usize,
        now_ms: u64,
        seed: u64,
    ) -> Result<Self> {
        let profile = client.bucket.profile();
        let plan = PartPlan::new(file.size, &profile.limits, config.part_size, profile.default_part_size)?;
        // Options the service lacks or cannot carry fail the upload before anything is sent.
        object.options.headers(profile)?;
        if let Some(algorithm) = config.checksum.algorithm()
            && !profile.flexible_checksums
        {
            let service = profile.provider.name();
            return Err(Error::invalid("checksum", format!("{service} does not take {}", algorithm.option())));
        }
        Ok(Upload {
            requests: Requests::new(&config, client.budget.join(), seed),
            progress: Progress::new(file.size, plan.count, 0, 0),
            config,
            key: object.key,
            options: object.options,
            file,
            plan,
            hashers: hashers.max(1),
            created_ms: now_ms,
            phase: Phase::New,
            session: None,
            jobs: SortedMap::new(),
            next_id: 0,
            record: None,
            fresh: None,
            lock_held: false,
            unguarded: false,
            progress_sent_ms: 0,
            out: Vec::new(),
            paused: false,
            aborting: false,
            outcome: None,
            stats: Stats::default(),
            parts_on_wire: 0,
            computed: config.checksum.computed(profile.crc64_header.is_some()),
            part_checksums: SortedMap::new(),
        })
    }

    /// The multipart upload's id, once known.
    pub fn upload_id(&self) -> Option<&str> {
        self.session.as_ref().and_then(Session::upload_id)
    }

    /// Counters of part requests.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The commands gathered so far, counting the part requests among them; the permits of
    /// requests that left the wire go back to `client`'s budget.
    fn drain(&mut self, client: &mut Client) -> Vec<Command> {
        self.requests.settle(&mut client.budget);
        for command in &self.out {
            if let Command::Send { id, .. } = command
                && matches!(self.jobs.get(id), Some(Job::Part(_) | Job::Put))
            {
                self.stats.part_requests += 1;
                self.parts_on_wire += 1;
                self.stats.max_parts_in_flight = self.stats.max_parts_in_flight.max(self.parts_on_wire);
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Turns the scheduler's next actions into jobs.
    fn schedule(&mut self, client: &Client) {
        let Some(session) = self.session.as_mut() else { return };
        let profile = client.bucket.profile();
        for step in session.next_steps() {
            let built = match step {
                Step::Initiate => {
                    let create = CreateMultipartUpload { key: self.key.clone(), options: self.options.clone() };
                    create.request(profile).map(|mut r| {
                        if let Some(algorithm) = self.config.checksum.algorithm() {
                            r.headers.push(("x-amz-checksum-algorithm".into(), algorithm.name().into()));
                            r.headers.push(("x-amz-checksum-type".into(), algorithm.checksum_type().into()));
                        }
                        (Job::Initiate, CreateMultipartUpload::OPERATION, r)
                    })
                }
                Step::Hash(part) => {
                    let id = self.job(Job::Hash(part.number));
                    let checksum = self.computed;
                    let md5 = self.md5_wanted(part.number);
                    self.out.push(Command::Hash { id, ranges: vec![(part.offset, part.size)], md5, checksum });
                    continue;
                }
                Step::Upload { part, md5, upload_id } => UploadPart {
                    key: self.key.clone(),
                    upload_id,
                    part_number: part.number,
                    offset: part.offset,
                    size: part.size,
                    content_md5: self.content_md5(md5, profile),
                }
                .request(profile)
                .map(|r| self.with_part_checksum(r, part.number))
                .and_then(|r| self.encrypted(r, EncryptedRequest::Part, profile))
                .map(|r| (Job::Part(part.number), UploadPart::OPERATION, r)),
                Step::PutObject { md5 } => PutObject {
                    key: self.key.clone(),
                    size: self.plan.total,
                    content_md5: self.content_md5(md5, profile),
                    options: self.options.clone(),
                }
                .request(profile)
                .map(|r| self.with_part_checksum(r, 1))
                .map(|r| (Job::Put, PutObject::OPERATION, r)),
                Step::Complete { upload_id, parts } if self.unguarded && self.config.checkpoints => {
                    self.check_parts(upload_id, parts, client);
                    continue;
                }
                Step::Complete { upload_id, parts } => {
                    self.complete(upload_id, parts, client);
                    continue;
                }
            };
            match built {
                Ok((job, operation, request)) => {
                    let id = self.job(job);
                    self.requests.start(id, operation, request);
                }
                Err(error) => return self.fail(error),
            }
        }
    }

    /// `request` with the encryption headers its kind carries (the customer key of SSE-C).
    fn encrypted(&self, mut request: Request, kind: EncryptedRequest, profile: &Profile) -> Result<Request> {
        request.headers.extend(self.options.encryption_headers(profile, kind)?);
        Ok(request)
    }

    fn emit_progress(&mut self, now_ms: u64) {
        self.progress_sent_ms = now_ms;
        self.out.push(Command::Emit(Event::Progress(self.progress.snapshot())));
    }

    fn job(&mut self, job: Job) -> JobId {
        self.next_id += 1;
        let id = JobId(self.next_id);
        self.jobs.insert(id, job);
        id
    }
}

impl Machine for Upload {
    type Output = UploadResult;

    fn poll(&mut self, now_ms: u64, client: &mut Client) -> Vec<Command> {
        if let Phase::New = self.phase {
            self.start(now_ms);
        }
        if let Phase::Running = self.phase
            && !self.paused
            && !self.aborting
        {
            self.schedule(client);
        }
        for (id, failure) in self.requests.poll(now_ms, client, &mut self.out) {
            self.request_failed(id, failure, now_ms, client);
        }
        self.drain(client)
    }

    fn handle(&mut self, input: Input, now_ms: u64, client: &mut Client) -> Vec<Command> {
        if matches!(self.phase, Phase::Done) {
            return Vec::new();
        }
        match input {
            Input::Answer { id, response } => self.answered(id, &response, now_ms, client),
            Input::Failure { id, error, offline } => {
                if let Some(Job::Sample | Job::Hash(_)) = self.jobs.get(&id) {
                    self.jobs.remove(&id);
                    self.fail(error);
                } else {
                    let failure = Failure { offline, ..Failure::of(error) };
                    self.request_failed(id, failure, now_ms, client);
                }
            }
            Input::Activity { id, sent } => {
                self.requests.activity(id, now_ms);
                let number = match self.jobs.get(&id) {
                    Some(Job::Part(number)) => *number,
                    Some(Job::Put) => 1,
                    _ => return Vec::new(),
                };
                self.progress.sent(number, sent, ms(now_ms));
                if now_ms.saturating_sub(self.progress_sent_ms) >= PROGRESS_INTERVAL_MS {
                    self.emit_progress(now_ms);
                }
            }
            Input::Hashed { id, md5, checksum } => self.hashed(id, md5, checksum, now_ms, client),
            Input::Credentials { id, result } => {
                for (id, failure) in self.requests.credentials(id, result, now_ms, client, &mut self.out) {
                    self.request_failed(id, failure, now_ms, client);
                }
            }
            Input::Presigned { id, result } => {
                if let Some(failure) = self.requests.presigned(id, result, now_ms, client, &mut self.out) {
                    self.request_failed(id, failure, now_ms, client);
                }
            }
            Input::LockBusy => self.lock_busy(),
            Input::Locked => self.locked(),
            Input::Unguarded => {
                self.unguarded = true;
                self.locked();
            }
            Input::CheckpointsLoaded(stored) => self.loaded(stored, client),
            Input::Online => self.requests.online(),
            Input::Pause => self.pause(),
            Input::Resume => self.resume(),
            Input::Abort => self.abort(client),
        }
        self.drain(client)
    }

    fn outcome(&mut self) -> Option<Result<UploadResult>> {
        self.outcome.take()
    }

    fn id(&self) -> MachineId {
        self.requests.machine()
    }
}

/// Every part stored so far, for Complete and for checking a lost Complete.
fn completed_parts(session: &Session) -> Vec<CompletedPart> {
    let done = session.done_parts().into_iter();
    done.map(|p| CompletedPart { part_number: p.spec.number, etag: p.etag, checksum: None }).collect()
}

/// Milliseconds as the progress tracker counts them.
fn ms(now_ms: u64) -> f64 {
    // Epoch milliseconds stay far below 2^53.
    #[allow(clippy::cast_precision_loss)]
    let value = now_ms as f64;
    value
}
