//! The uploader: starts the core's machines for files ([`crate::upload::Upload`]) and for
//! listing and aborting uploads ([`crate::upload::Call`]), and has the executor run them.

use super::auth::Signer;
use super::blob;
use super::executor::{Environment, drive};
use crate::actions::{AbortMultipartUpload, ListMultipartUploads, UploadSummary};
use crate::bucket::Bucket;
use crate::error::Result;
use crate::upload::checkpoint::Checkpoint;
use crate::upload::retry::RetryHook;
use crate::upload::{
    Call, Client, Config, Event, FileInfo, Input, ObjectSpec, RequestBudget, Stats, TaskState, Upload, UploadResult,
    abort_outcome,
};
use futures::FutureExt;
use futures::channel::mpsc;
use futures::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;

pub use super::executor::Observer;

/// How an [`Uploader`] works.
#[derive(Debug)]
pub struct UploaderOptions {
    /// Where objects go.
    pub bucket: Bucket,
    /// The endpoint as given (recorded in checkpoints).
    pub endpoint: String,
    /// How requests are signed.
    pub signer: Signer,
    /// Everything else, with the API's defaults.
    pub config: Config,
    /// The app's `retry.shouldRetry`.
    pub retry_hook: Option<RetryHook>,
    /// Hashing Workers to start.
    pub hash_workers: u32,
}

/// Pauses, resumes or aborts a running task.
#[derive(Clone, Debug)]
pub struct TaskControl {
    inputs: mpsc::UnboundedSender<Input>,
    stats: Rc<Cell<Stats>>,
    upload_id: Rc<RefCell<Option<String>>>,
}

impl TaskControl {
    /// Stops sending parts (requests in flight are cancelled); the checkpoint stays.
    pub fn pause(&self) {
        let _ = self.inputs.unbounded_send(Input::Pause);
    }

    /// Continues after [`TaskControl::pause`].
    pub fn resume(&self) {
        let _ = self.inputs.unbounded_send(Input::Resume);
    }

    /// Aborts the upload on the server, then deletes the checkpoint.
    pub fn abort(&self) {
        let _ = self.inputs.unbounded_send(Input::Abort);
    }

    /// The task's counters.
    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    /// The multipart upload's id, once known.
    pub fn upload_id(&self) -> Option<String> {
        self.upload_id.borrow().clone()
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
    env: Rc<Environment>,
    config: Config,
}

impl Uploader {
    /// An uploader with these options.
    pub fn new(options: UploaderOptions) -> Self {
        let mut client = Client::new(options.bucket, options.endpoint, options.signer.signing());
        client.retry_hook = options.retry_hook;
        client.budget = RequestBudget::new(options.config.max_requests);
        let env = Rc::new(Environment::new(client, options.signer, options.hash_workers));
        Uploader { env, config: options.config }
    }

    /// Starts uploading `file` as `object`; `observer` receives the task's events.
    pub fn upload(&self, file: web_sys::Blob, object: ObjectSpec, observer: Observer) -> UploadTask {
        let (sender, receiver) = mpsc::unbounded();
        let stats = Rc::new(Cell::new(Stats::default()));
        let upload_id = Rc::new(RefCell::new(None));
        let control = TaskControl { inputs: sender.clone(), stats: stats.clone(), upload_id: upload_id.clone() };
        let (env, config) = (self.env.clone(), self.config);
        let done = async move {
            let info = file_info(&file);
            let workers = usize::try_from(env.hash_workers()).unwrap_or(1);
            let (now, seed) = (super::now_ms(), seed());
            let machine = Upload::new(config, &mut env.client.borrow_mut(), object, info, workers, now, seed);
            let mut machine = match machine {
                Ok(machine) => machine,
                Err(error) => {
                    observer(&Event::State(TaskState::Failed));
                    return Err(error);
                }
            };
            let after = |m: &Upload| {
                stats.set(m.stats());
                if upload_id.borrow().as_deref() != m.upload_id() {
                    upload_id.replace(m.upload_id().map(str::to_owned));
                }
            };
            drive(&mut machine, env, Some(file), Some(observer), (sender, receiver), &after).await
        };
        UploadTask { control, done: done.boxed_local() }
    }

    /// Stops the hashing Workers; later hashes run on the main thread.
    pub fn dispose(&self) {
        self.env.stop_workers();
    }

    /// The stored checkpoints of unfinished uploads to this bucket.
    pub async fn checkpoints(&self) -> Vec<Checkpoint> {
        let mut all = self.env.store.all().await;
        let client = self.env.client.borrow();
        all.retain(|c| c.belongs_to(client.bucket.profile().provider.name(), &client.endpoint, client.bucket.name()));
        all
    }

    /// The server's unfinished multipart uploads under `prefix`, all pages.
    ///
    /// # Errors
    /// The service's or the network's error.
    pub async fn list_uploads(&self, prefix: Option<String>) -> Result<Vec<UploadSummary>> {
        let mut list = Some(ListMultipartUploads { prefix, ..ListMultipartUploads::default() });
        let mut uploads = Vec::new();
        while let Some(current) = list {
            let page = self.call(&current).await?;
            list = current.next(&page)?;
            uploads.extend(page.uploads);
        }
        Ok(uploads)
    }

    /// Aborts the multipart upload `upload_id` of `key` on the server, then forgets its
    /// checkpoint (kept when the abort fails).
    ///
    /// # Errors
    /// The service's or the network's error (`NoSuchUpload` counts as done).
    pub async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<()> {
        let abort = AbortMultipartUpload { key: key.to_owned(), upload_id: upload_id.to_owned() };
        abort_outcome(self.call(&abort).await)?;
        for checkpoint in self.checkpoints().await {
            if checkpoint.key == key && checkpoint.upload_id == upload_id {
                self.env.store.delete(&checkpoint.id()).await;
            }
        }
        Ok(())
    }

    /// Runs one action with the uploader's signing and retries.
    async fn call<A: crate::actions::Action>(&self, action: &A) -> Result<A::Output> {
        let mut call = Call::new(action, &mut self.env.client.borrow_mut(), &self.config, seed());
        drive(&mut call, self.env.clone(), None, None, mpsc::unbounded(), &|_: &Call<A>| ()).await
    }
}

/// What the browser says about the file.
fn file_info(file: &web_sys::Blob) -> FileInfo {
    let named = file.dyn_ref::<web_sys::File>();
    // Dates are whole milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let last_modified = named.map_or(0, |f| f.last_modified() as i64);
    FileInfo {
        name: named.map(web_sys::File::name).unwrap_or_default(),
        size: blob::size(file),
        last_modified,
        mime: file.type_(),
    }
}

/// A seed for the core's retry jitter.
fn seed() -> u64 {
    // A random fraction scaled to 53 bits: exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    seed
}
