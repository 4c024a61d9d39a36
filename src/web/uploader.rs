//! The uploader: runs the core's [`Session`] against the browser — parts hashed in Workers, sent
//! in parallel, retried, checkpointed in IndexedDB — and reports progress to an observer.

use super::auth::{Operation, Signer};
use super::hash::HashPool;
use super::store::{CheckpointStore, Warning, warn_once};
use super::{fetch, js_error, now, xhr};
use crate::actions::*;
use crate::bucket::Bucket;
use crate::upload::checkpoint::{Checkpoint, DonePart, Fingerprint, SCHEMA};
use crate::error::{Error, Result};
use crate::hash::{encode_md5, md5};
use crate::http::{Body as HttpBody, Method, Request, Response};
use crate::plan::{PartPlan, PartSpec};
use crate::upload::progress::{Progress, ProgressSnapshot};
use crate::upload::retry::{FailureContext, Recovery, RetryPolicy};
use crate::upload::parts::{Action, Session, SessionOptions};
use crate::timestamp::Timestamp;
use futures::FutureExt;
use futures::channel::mpsc;
use futures::future::{AbortHandle, Abortable, Either, LocalBoxFuture, select};
use futures::stream::{FuturesUnordered, StreamExt};
use gloo_timers::future::TimeoutFuture;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How an [`Uploader`] works.
#[derive(Debug)]
pub struct UploaderOptions {
    /// Where objects go.
    pub bucket: Bucket,
    /// The endpoint as given (recorded in checkpoints).
    pub endpoint: String,
    /// How requests are signed.
    pub signer: Signer,
    /// Part size in bytes; the planner's choice when `None`.
    pub part_size: Option<u64>,
    /// Parts in flight at once.
    pub concurrency: usize,
    /// Retry policy for each request.
    pub retry: RetryPolicy,
    /// Whether parts carry Content-MD5.
    pub checksum: bool,
    /// Whether uploads are checkpointed in IndexedDB.
    pub checkpoints: bool,
    /// Hashing Workers.
    pub hash_workers: u32,
    /// A part request that shows no progress for this long is aborted and retried.
    pub stall_ms: u32,
}

/// The object to create.
#[derive(Clone, Debug, Default)]
pub struct ObjectSpec {
    /// The object key.
    pub key: String,
    /// Content type, metadata and extra headers.
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

/// A task's state, as `statechange` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Sending parts.
    Uploading,
    /// Paused by the caller.
    Paused,
    /// Done.
    Complete,
    /// Failed; the checkpoint (if any) stays for a later resume.
    Failed,
    /// Aborted by the caller; server upload and checkpoint removed.
    Aborted,
}

impl TaskState {
    /// The state's name in events.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Uploading => "uploading",
            TaskState::Paused => "paused",
            TaskState::Complete => "complete",
            TaskState::Failed => "error",
            TaskState::Aborted => "aborted",
        }
    }
}

/// Something an upload reports while it runs.
#[derive(Debug)]
pub enum UploadEvent<'a> {
    /// Bytes and parts so far, speed and ETA.
    Progress(ProgressSnapshot),
    /// A part was stored.
    Part {
        /// Its number.
        number: u16,
        /// The ETag the service returned.
        etag: &'a str,
        /// Its size in bytes.
        size: u64,
    },
    /// A request failed and will be tried again.
    Retry {
        /// The part, for part uploads.
        part: Option<u16>,
        /// Which retry this is (1-based).
        attempt: u32,
        /// The wait before it.
        delay_ms: u64,
        /// What failed.
        error: &'a Error,
    },
    /// The task's state changed.
    State(TaskState),
}

/// Receives a task's events.
pub type Observer = Rc<dyn Fn(UploadEvent<'_>)>;

/// Counters a task keeps, for tests and diagnostics.
#[derive(Debug, Default)]
pub struct TaskStats {
    /// UploadPart/PutObject requests sent, retries included.
    pub part_requests: Cell<u32>,
    /// The most part requests in flight at one time.
    pub max_parts_in_flight: Cell<u32>,
    parts_in_flight: Cell<u32>,
}

#[derive(Debug)]
enum Command {
    Pause,
    Resume,
    Abort,
}

/// Pauses, resumes or aborts a running task.
#[derive(Clone, Debug)]
pub struct TaskControl {
    commands: mpsc::UnboundedSender<Command>,
    stats: Rc<TaskStats>,
}

impl TaskControl {
    /// Stops sending parts (requests in flight are cancelled); the checkpoint stays.
    pub fn pause(&self) {
        let _ = self.commands.unbounded_send(Command::Pause);
    }

    /// Continues after [`TaskControl::pause`].
    pub fn resume(&self) {
        let _ = self.commands.unbounded_send(Command::Resume);
    }

    /// Cancels the task, aborts the multipart upload on the server and deletes the checkpoint.
    pub fn abort(&self) {
        let _ = self.commands.unbounded_send(Command::Abort);
    }

    /// The task's counters.
    pub fn stats(&self) -> &TaskStats {
        &self.stats
    }
}

/// A started upload: its control and the future that runs it to the end.
pub struct UploadTask {
    /// Pause, resume, abort.
    pub control: TaskControl,
    /// Resolves when the object is complete, or with the error that stopped it.
    pub done: LocalBoxFuture<'static, Result<UploadResult>>,
}

impl std::fmt::Debug for UploadTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadTask").field("control", &self.control).finish_non_exhaustive()
    }
}

/// Uploads files to one bucket. Cheap to clone; clones share credentials, Workers and checkpoints.
#[derive(Clone, Debug)]
pub struct Uploader {
    shared: Rc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: UploaderOptions,
    store: CheckpointStore,
    pool: RefCell<Option<Option<Rc<HashPool>>>>,
    clock_offset: Cell<i64>,
}

impl Uploader {
    /// An uploader with these options.
    pub fn new(options: UploaderOptions) -> Self {
        let shared =
            Shared { options, store: CheckpointStore::default(), pool: RefCell::new(None), clock_offset: Cell::new(0) };
        Uploader { shared: Rc::new(shared) }
    }

    /// Starts uploading `file` as `object`; `observer` receives the task's events.
    pub fn upload(&self, file: web_sys::Blob, object: ObjectSpec, observer: Observer) -> UploadTask {
        let (commands, receiver) = mpsc::unbounded();
        let stats = Rc::new(TaskStats::default());
        let run = Run { shared: self.shared.clone(), file, object, observer, stats: stats.clone() };
        UploadTask { control: TaskControl { commands, stats }, done: run.run(receiver).boxed_local() }
    }

    /// The stored checkpoints of unfinished uploads to this bucket.
    pub async fn checkpoints(&self) -> Vec<Checkpoint> {
        let o = &self.shared.options;
        let mut all = self.shared.store.all().await;
        all.retain(|c| {
            c.endpoint == o.endpoint && c.bucket == o.bucket.name() && c.provider == o.bucket.profile().provider.name()
        });
        all
    }

    /// The server's unfinished multipart uploads under `prefix`, all pages.
    ///
    /// # Errors
    /// The service's or the network's error.
    pub async fn list_uploads(&self, prefix: Option<String>) -> Result<Vec<UploadSummary>> {
        let profile = self.shared.options.bucket.profile();
        let mut list = Some(ListMultipartUploads { prefix, ..ListMultipartUploads::default() });
        let mut uploads = Vec::new();
        while let Some(current) = list {
            let page = self
                .shared
                .perform(Operation::ListMultipartUploads, &current.request(profile)?, None, None, |r| {
                    ListMultipartUploads::parse(r, profile)
                })
                .await?;
            list = current.next(&page)?;
            uploads.extend(page.uploads);
        }
        Ok(uploads)
    }

    /// Aborts the multipart upload `upload_id` of `key` and forgets its checkpoint.
    ///
    /// # Errors
    /// The service's or the network's error (`NoSuchUpload` counts as done).
    pub async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<()> {
        for checkpoint in self.checkpoints().await {
            if checkpoint.key == key && checkpoint.upload_id == upload_id {
                self.shared.store.delete(&CheckpointStore::id(&checkpoint)).await;
            }
        }
        self.shared.abort_on_server(key, upload_id).await
    }
}

impl Shared {
    fn corrected_now(&self) -> Result<Timestamp> {
        Timestamp::from_unix(now()?.unix() + self.clock_offset.get())
    }

    /// The hashing Workers, started on first use; `None` (hash on the main thread, with a
    /// warning) where Workers cannot be created.
    fn pool(&self) -> Option<Rc<HashPool>> {
        self.pool
            .borrow_mut()
            .get_or_insert_with(|| match HashPool::new(self.options.hash_workers) {
                Ok(pool) => Some(Rc::new(pool)),
                Err(error) => {
                    warn_once(
                        Warning::NoWorkers,
                        &format!("Web Workers are unavailable ({error}); parts are hashed on the main thread"),
                    );
                    None
                }
            })
            .clone()
    }

    async fn md5(&self, blob: &web_sys::Blob) -> Result<[u8; 16]> {
        match self.pool() {
            Some(pool) => pool.md5(blob).await,
            None => {
                let buffer = JsFuture::from(blob.array_buffer()).await.map_err(|e| js_error(&e))?;
                Ok(md5(&js_sys::Uint8Array::new(&buffer).to_vec()))
            }
        }
    }

    async fn abort_on_server(&self, key: &str, upload_id: &str) -> Result<()> {
        let profile = self.options.bucket.profile();
        let abort = AbortMultipartUpload { key: key.to_owned(), upload_id: upload_id.to_owned() };
        let outcome = self
            .perform(Operation::AbortMultipartUpload, &abort.request(profile)?, None, None, |r| {
                AbortMultipartUpload::parse(r, profile)
            })
            .await;
        match outcome {
            Err(e) if e.provider_code() == Some("NoSuchUpload") => Ok(()),
            other => other,
        }
    }

    /// Sends `request` until it succeeds or the retry policy gives up; `parse` reads the answer.
    async fn perform<T>(
        &self,
        operation: Operation,
        request: &Request,
        body: Option<Body<'_>>,
        on_retry: Option<&RetryNotice<'_>>,
        parse: impl Fn(&Response) -> Result<T>,
    ) -> Result<T> {
        let mut retry = 0;
        loop {
            let time = self.corrected_now()?;
            let attempt = async {
                let (signed, key_id) =
                    self.options.signer.prepare(&self.options.bucket, operation, request, time).await?;
                let response = match &body {
                    Some(body) => {
                        (body.on_start)();
                        let sent = xhr::send_body(&signed, body.file, &*body.progress, self.options.stall_ms).await;
                        (body.on_end)();
                        sent
                    }
                    None => fetch::send(&signed, None).await,
                };
                Ok::<_, Error>((response, key_id))
            };
            let (error, server_time, key_id) = match attempt.await {
                Ok((Ok(response), key_id)) => match parse(&response) {
                    Ok(value) => return Ok(value),
                    Err(e) => (e, response.header("date").and_then(Timestamp::parse_http_date), key_id),
                },
                Ok((Err(e), key_id)) => (e, None, key_id),
                Err(e) => (e, None, None),
            };
            if matches!(error, Error::Network { .. }) && !online() {
                wait_until_online().await;
                continue;
            }
            retry += 1;
            let context = FailureContext {
                retry,
                temporary_credentials: self.options.signer.is_temporary(),
                server_time,
                local_time: self.corrected_now()?,
                jitter: js_sys::Math::random(),
            };
            let delay_ms = match self.options.retry.recovery(&error, &context) {
                Recovery::GiveUp => return Err(error),
                Recovery::Retry { delay_ms } => delay_ms,
                Recovery::RefreshCredentials => {
                    self.options.signer.expire(key_id.as_deref());
                    0
                }
                Recovery::CorrectClock { offset_seconds } => {
                    self.clock_offset.set(self.clock_offset.get() + offset_seconds);
                    0
                }
            };
            if let Some(notify) = on_retry {
                notify(retry, delay_ms, &error);
            }
            sleep(delay_ms).await;
        }
    }
}

/// Told of each retry: attempt (1-based), delay in milliseconds, the error.
type RetryNotice<'a> = dyn Fn(u32, u64, &Error) + 'a;

/// A request body taken from the file, with the callbacks that watch it go out.
struct Body<'a> {
    file: &'a web_sys::Blob,
    progress: Box<dyn Fn(u64) + 'a>,
    on_start: Box<dyn Fn() + 'a>,
    on_end: Box<dyn Fn() + 'a>,
}

/// What a running job was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Job {
    Initiate,
    Hash(u16),
    Upload(u16),
    Complete,
}

enum Outcome {
    Initiated(String),
    Hashed([u8; 16]),
    Uploaded(String),
    Completed(CompletedUpload),
}

type Running =
    FuturesUnordered<LocalBoxFuture<'static, (Job, std::result::Result<Result<Outcome>, futures::future::Aborted>)>>;

/// One upload's run.
struct Run {
    shared: Rc<Shared>,
    file: web_sys::Blob,
    object: ObjectSpec,
    observer: Observer,
    stats: Rc<TaskStats>,
}

impl Run {
    async fn run(self, commands: mpsc::UnboundedReceiver<Command>) -> Result<UploadResult> {
        let this = Rc::new(self);
        let outcome = this.clone().drive(commands).await;
        let state = match &outcome {
            Ok(_) => TaskState::Complete,
            Err(Error::Aborted) => TaskState::Aborted,
            Err(_) => TaskState::Failed,
        };
        (this.observer)(UploadEvent::State(state));
        outcome
    }

    async fn drive(self: Rc<Self>, mut commands: mpsc::UnboundedReceiver<Command>) -> Result<UploadResult> {
        let options = &self.shared.options;
        let profile = options.bucket.profile();
        // Blob sizes are whole and non-negative.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = self.file.size() as u64;
        let mut plan = PartPlan::new(size, &profile.limits, options.part_size, profile.default_part_size)?;
        let (mut record, resumed) =
            if options.checkpoints && !plan.is_single() { self.resume_point(&mut plan).await? } else { (None, None) };
        let session_options = SessionOptions {
            concurrency: options.concurrency,
            hashers: options.hash_workers as usize,
            checksum: options.checksum,
        };
        let mut session = Session::new(plan, session_options, resumed);
        let progress = Rc::new(RefCell::new(Progress::new(size, plan.count, 0, 0)));
        let mut running: Running = FuturesUnordered::new();
        let mut handles: HashMap<Job, AbortHandle> = HashMap::new();
        let mut commands_open = true;
        let mut result = None;
        (self.observer)(UploadEvent::State(TaskState::Uploading));

        loop {
            for action in session.next_actions() {
                let (job, future) = self.clone().start(action, progress.clone());
                let (handle, registration) = AbortHandle::new_pair();
                handles.insert(job, handle);
                running.push(Abortable::new(future, registration).map(move |r| (job, r)).boxed_local());
            }
            if session.is_finished() {
                break;
            }
            let next = if running.is_empty() || !commands_open {
                if running.is_empty() && !commands_open {
                    return Err(Error::Aborted);
                }
                if running.is_empty() {
                    Either::Right(commands.next().await)
                } else {
                    Either::Left(running.next().await)
                }
            } else {
                match select(running.next(), commands.next()).await {
                    Either::Left((done, _)) => Either::Left(done),
                    Either::Right((command, _)) => Either::Right(command),
                }
            };
            match next {
                Either::Left(Some((job, Ok(outcome)))) => {
                    handles.remove(&job);
                    let outcome = match outcome {
                        Ok(outcome) => outcome,
                        Err(error) => {
                            handles.values().for_each(AbortHandle::abort);
                            return Err(error);
                        }
                    };
                    if let Some(done) =
                        self.finish_job(job, outcome, &mut session, &progress, &plan, &mut record).await?
                    {
                        result = Some(done);
                    }
                }
                Either::Left(_) => {} // a job cancelled by pause: already put back in line
                Either::Right(Some(Command::Pause)) if !session.is_paused() => {
                    session.pause();
                    handles.retain(|job, handle| match job {
                        Job::Hash(n) | Job::Upload(n) => {
                            handle.abort();
                            session.interrupted(*n);
                            progress.borrow_mut().part_failed(*n);
                            false
                        }
                        Job::Initiate | Job::Complete => true,
                    });
                    (self.observer)(UploadEvent::State(TaskState::Paused));
                }
                Either::Right(Some(Command::Resume)) if session.is_paused() => {
                    session.resume();
                    (self.observer)(UploadEvent::State(TaskState::Uploading));
                }
                Either::Right(Some(Command::Abort)) => {
                    return self.abort(session, handles, running, record).await;
                }
                Either::Right(Some(_)) => {}
                Either::Right(None) => commands_open = false,
            }
        }
        if let Some(record) = &record {
            self.shared.store.delete(&CheckpointStore::id(record)).await;
        }
        progress.borrow_mut().complete(js_sys::Date::now());
        (self.observer)(UploadEvent::Progress(progress.borrow().snapshot()));
        result.ok_or_else(|| Error::InvalidResponse { context: "upload", message: "finished without a result".into() })
    }

    /// Handles a finished job; returns the upload's result once the object is complete.
    async fn finish_job(
        &self,
        job: Job,
        outcome: Outcome,
        session: &mut Session,
        progress: &RefCell<Progress>,
        plan: &PartPlan,
        record: &mut Option<Checkpoint>,
    ) -> Result<Option<UploadResult>> {
        let now_ms = js_sys::Date::now();
        let bucket = &self.shared.options.bucket;
        match (job, outcome) {
            (Job::Initiate, Outcome::Initiated(upload_id)) => {
                session.initiated(upload_id.clone());
                if let Some(record) = record {
                    record.upload_id = upload_id;
                    self.shared.store.put(record).await;
                }
            }
            (Job::Hash(number), Outcome::Hashed(digest)) if session.hashed(number, digest) => {
                // A resumed part whose bytes still match the stored part: nothing to send.
                let size = plan.part(number).map_or(0, |p| p.size);
                progress.borrow_mut().part_stored(number, size, now_ms);
                (self.observer)(UploadEvent::Progress(progress.borrow().snapshot()));
            }
            (Job::Upload(number), Outcome::Uploaded(etag)) => {
                session.uploaded(number, etag.clone())?;
                let size = plan.part(number).map_or(0, |p| p.size);
                progress.borrow_mut().part_stored(number, size, now_ms);
                (self.observer)(UploadEvent::Part { number, etag: &etag, size });
                (self.observer)(UploadEvent::Progress(progress.borrow().snapshot()));
                if plan.is_single() {
                    return Ok(Some(UploadResult {
                        bucket: bucket.name().to_owned(),
                        key: self.object.key.clone(),
                        upload_id: None,
                        etag,
                        location: self.object_url(),
                        size: plan.total,
                        parts: 1,
                    }));
                }
                if let Some(record) = record {
                    record.parts = session
                        .done_parts()
                        .into_iter()
                        .map(|(spec, etag)| DonePart { number: spec.number, size: spec.size, etag })
                        .collect();
                    self.shared.store.put(record).await;
                }
            }
            (Job::Complete, Outcome::Completed(done)) => {
                session.finished();
                let location = if done.location.is_empty() { self.object_url() } else { done.location };
                return Ok(Some(UploadResult {
                    bucket: bucket.name().to_owned(),
                    key: self.object.key.clone(),
                    upload_id: session.upload_id().map(str::to_owned),
                    etag: done.etag,
                    location,
                    size: plan.total,
                    parts: plan.count,
                }));
            }
            _ => {}
        }
        Ok(None)
    }

    /// Starts `action` as a job.
    fn start(
        self: Rc<Self>,
        action: Action,
        progress: Rc<RefCell<Progress>>,
    ) -> (Job, LocalBoxFuture<'static, Result<Outcome>>) {
        let profile = self.shared.options.bucket.profile();
        let key = self.object.key.clone();
        match action {
            Action::Initiate => (
                Job::Initiate,
                async move {
                    let create = CreateMultipartUpload { key, options: self.object.options.clone() };
                    let created = self
                        .shared
                        .perform(
                            Operation::CreateMultipartUpload,
                            &create.request(profile)?,
                            None,
                            Some(&self.retry_notice(None)),
                            |r| CreateMultipartUpload::parse(r, profile),
                        )
                        .await?;
                    Ok(Outcome::Initiated(created.upload_id))
                }
                .boxed_local(),
            ),
            Action::Hash(part) => (
                Job::Hash(part.number),
                async move {
                    let slice = slice(&self.file, part.offset, part.size)?;
                    Ok(Outcome::Hashed(self.shared.md5(&slice).await?))
                }
                .boxed_local(),
            ),
            Action::Upload { part, md5, upload_id } => {
                (Job::Upload(part.number), self.send_part(Some((part, upload_id)), md5, progress).boxed_local())
            }
            Action::PutObject { md5 } => (Job::Upload(1), self.send_part(None, md5, progress).boxed_local()),
            Action::Complete { upload_id, parts } => (
                Job::Complete,
                async move {
                    let complete = CompleteMultipartUpload { key, upload_id, parts };
                    let done = self
                        .shared
                        .perform(
                            Operation::CompleteMultipartUpload,
                            &complete.request(profile)?,
                            None,
                            Some(&self.retry_notice(None)),
                            |r| CompleteMultipartUpload::parse(r, profile),
                        )
                        .await?;
                    Ok(Outcome::Completed(done))
                }
                .boxed_local(),
            ),
        }
    }

    /// Reports a retry of the request for `part` (`None`: a request that is not a part upload).
    fn retry_notice(&self, part: Option<u16>) -> impl Fn(u32, u64, &Error) + '_ {
        move |attempt, delay_ms, error| (self.observer)(UploadEvent::Retry { part, attempt, delay_ms, error })
    }

    /// Sends one part (or, with `part` `None`, the whole file with PutObject).
    async fn send_part(
        self: Rc<Self>,
        part: Option<(PartSpec, String)>,
        md5: Option<[u8; 16]>,
        progress: Rc<RefCell<Progress>>,
    ) -> Result<Outcome> {
        let profile = self.shared.options.bucket.profile();
        let content_md5 = md5.map(|d| encode_md5(&d, profile.content_md5));
        let key = self.object.key.clone();
        let (number, operation, request) = match &part {
            Some((spec, upload_id)) => {
                let upload = UploadPart {
                    key,
                    upload_id: upload_id.clone(),
                    part_number: spec.number,
                    offset: spec.offset,
                    size: spec.size,
                    content_md5,
                };
                (spec.number, Operation::UploadPart, upload.request(profile)?)
            }
            None => {
                // Blob sizes are whole and non-negative.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let size = self.file.size() as u64;
                let put = PutObject { key, size, content_md5, options: self.object.options.clone() };
                (1, Operation::PutObject, put.request(profile)?)
            }
        };
        let stats = &self.stats;
        let tick = Cell::new(0.0);
        let body = Body {
            file: &self.file,
            progress: Box::new(|sent| {
                let now_ms = js_sys::Date::now();
                progress.borrow_mut().sent(number, sent, now_ms);
                // Report at most every 100 ms per part.
                if now_ms - tick.get() >= 100.0 {
                    tick.set(now_ms);
                    (self.observer)(UploadEvent::Progress(progress.borrow().snapshot()));
                }
            }),
            on_start: Box::new(|| {
                stats.part_requests.set(stats.part_requests.get() + 1);
                stats.parts_in_flight.set(stats.parts_in_flight.get() + 1);
                stats.max_parts_in_flight.set(stats.max_parts_in_flight.get().max(stats.parts_in_flight.get()));
            }),
            on_end: Box::new(|| stats.parts_in_flight.set(stats.parts_in_flight.get().saturating_sub(1))),
        };
        let etag = self
            .shared
            .perform(
                operation,
                &request,
                Some(body),
                Some(&|attempt, delay_ms, error: &Error| {
                    progress.borrow_mut().part_failed(number);
                    self.retry_notice(Some(number))(attempt, delay_ms, error);
                }),
                |r| match operation {
                    Operation::PutObject => PutObject::parse(r, profile),
                    _ => UploadPart::parse(r, profile),
                },
            )
            .await?;
        Ok(Outcome::Uploaded(etag))
    }

    /// Looks for a checkpoint of this file; if the server still has its upload, returns the
    /// parts to keep (and adopts the checkpoint's part size). Returns the record to keep up to date.
    async fn resume_point(
        &self,
        plan: &mut PartPlan,
    ) -> Result<(Option<Checkpoint>, Option<(String, Vec<CompletedPart>)>)> {
        let options = &self.shared.options;
        let profile = options.bucket.profile();
        let fingerprint = self.fingerprint().await?;
        let fresh = Checkpoint {
            schema: SCHEMA,
            provider: profile.provider.name().to_owned(),
            endpoint: options.endpoint.clone(),
            bucket: options.bucket.name().to_owned(),
            key: self.object.key.clone(),
            upload_id: String::new(),
            part_size: plan.part_size,
            fingerprint,
            parts: Vec::new(),
            created_at: now()?.unix(),
        };
        let id = CheckpointStore::id(&fresh);
        let Some(stored) = self.shared.store.get(&id).await.filter(|c| c.fingerprint == fresh.fingerprint) else {
            return Ok((Some(fresh), None));
        };
        let Ok(stored_plan) =
            PartPlan::new(plan.total, &profile.limits, Some(stored.part_size), profile.default_part_size)
        else {
            return Ok((Some(fresh), None));
        };
        let mut listed = Vec::new();
        let mut list = Some(ListParts {
            key: stored.key.clone(),
            upload_id: stored.upload_id.clone(),
            max_parts: None,
            part_number_marker: None,
        });
        while let Some(current) = list {
            let page = self
                .shared
                .perform(Operation::ListParts, &current.request(profile)?, None, Some(&self.retry_notice(None)), |r| {
                    ListParts::parse(r, profile)
                })
                .await;
            let page = match page {
                Ok(page) => page,
                Err(e) if e.provider_code() == Some("NoSuchUpload") => {
                    self.shared.store.delete(&id).await;
                    return Ok((Some(fresh), None));
                }
                Err(e) => return Err(e),
            };
            list = current.next(&page)?;
            listed.extend(page.parts);
        }
        let kept = stored.reconcile(&listed);
        *plan = stored_plan;
        let resumed = (stored.upload_id.clone(), kept);
        Ok((Some(stored), Some(resumed)))
    }

    /// The file's fingerprint: name, size, date and type, plus the MD5 of its first and last 64 KiB.
    async fn fingerprint(&self) -> Result<Fingerprint> {
        // Blob sizes are whole and non-negative.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = self.file.size() as u64;
        let pieces = js_sys::Array::new();
        for (offset, len) in Fingerprint::sample_ranges(size) {
            pieces.push(slice(&self.file, offset, len)?.as_ref());
        }
        let sample = web_sys::Blob::new_with_blob_sequence(&pieces).map_err(|e| js_error(&e))?;
        let sample_md5 = hex::encode(self.shared.md5(&sample).await?);
        let file = self.file.dyn_ref::<web_sys::File>();
        // Dates are whole milliseconds.
        #[allow(clippy::cast_possible_truncation)]
        let last_modified = file.map_or(0, |f| f.last_modified() as i64);
        Ok(Fingerprint {
            name: file.map(web_sys::File::name).unwrap_or_default(),
            size,
            last_modified,
            mime: self.file.type_(),
            sample_md5,
        })
    }

    /// Cancels everything, aborts the server upload and deletes the checkpoint.
    async fn abort(
        &self,
        session: Session,
        handles: HashMap<Job, AbortHandle>,
        mut running: Running,
        record: Option<Checkpoint>,
    ) -> Result<UploadResult> {
        for (job, handle) in &handles {
            if *job != Job::Initiate {
                handle.abort();
            }
        }
        // An Initiate in flight is let finish, so its upload can be aborted too.
        let mut upload_id = session.upload_id().map(str::to_owned);
        while let Some((job, outcome)) = running.next().await {
            if let (Job::Initiate, Ok(Ok(Outcome::Initiated(id)))) = (job, outcome) {
                upload_id = Some(id);
            }
        }
        if let Some(record) = &record {
            self.shared.store.delete(&CheckpointStore::id(record)).await;
        }
        if let Some(upload_id) = upload_id {
            self.shared.abort_on_server(&self.object.key, &upload_id).await?;
        }
        Err(Error::Aborted)
    }

    fn object_url(&self) -> String {
        let request = Request {
            method: Method::Get,
            key: self.object.key.clone(),
            query: Vec::new(),
            headers: Vec::new(),
            body: HttpBody::Empty,
        };
        self.shared.options.bucket.url(&request)
    }
}

/// `len` bytes of `file` from `offset`, as a Blob (no bytes are read).
fn slice(file: &web_sys::Blob, offset: u64, len: u64) -> Result<web_sys::Blob> {
    #[allow(clippy::cast_precision_loss)] // offsets stay below 2^53 (Blob sizes are f64)
    file.slice_with_f64_and_f64(offset as f64, (offset + len) as f64).map_err(|e| js_error(&e))
}

/// `navigator.onLine`, true where the browser does not say.
fn online() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    js_sys::Reflect::get(&navigator, &"onLine".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true)
}

/// Waits until the browser is online again (checked every second).
async fn wait_until_online() {
    while !online() {
        sleep(1000).await;
    }
}

async fn sleep(ms: u64) {
    if ms > 0 {
        TimeoutFuture::new(u32::try_from(ms).unwrap_or(u32::MAX)).await;
    }
}
