//! Carries out a machine's commands in the browser and hands back what happened, until the
//! machine has its outcome. Nothing is decided here: requests go out through XHR or `fetch`,
//! hashes through the Worker pool, checkpoints to IndexedDB (one at a time, in order), callbacks
//! to the app, and each answer, failure or sign of life comes back as an [`Input`]. A machine the
//! core's request budget handed a permit is polled at once.

use super::auth::{self, CredentialsAnswer, CredentialsCall, CredentialsWait, Signer};
use super::blob;
use super::errors::browser_error;
use super::hash::HashPool;
use super::locks::{self, HeldLock};
use super::store::CheckpointStore;
use super::warnings::{Warning, warn_once};
use super::{fetch, now_ms, xhr};
use crate::checksum::ChecksumAlgorithm;
use crate::error::{Error, Result};
use crate::hash::md5;
use crate::http::Body;
use crate::sorted_map::SortedMap;
use crate::upload::{Client, Command, Event, Input, JobId, Machine, MachineId};
use futures::channel::{mpsc, oneshot};
use futures::future::{AbortHandle, Abortable, Either, FutureExt, LocalBoxFuture, select};
use futures::stream::{self, StreamExt};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, spawn_local};

/// Receives a task's events.
pub type Observer = Rc<dyn Fn(&Event)>;

/// What the machines of one uploader share: the core's client, the app's callbacks, the hashing
/// Workers and the checkpoint store.
pub(crate) struct Environment {
    pub client: RefCell<Client>,
    pub signer: Signer,
    pub store: CheckpointStore,
    hash_workers: u32,
    pool: RefCell<Option<Option<Rc<HashPool>>>>,
    /// The credentials call in progress, shared by every machine that asks meanwhile.
    credentials: RefCell<Option<CredentialsCall>>,
    /// How to have each running machine polled.
    nudges: RefCell<SortedMap<MachineId, mpsc::UnboundedSender<()>>>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("client", &self.client)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl Environment {
    pub(crate) fn new(client: Client, signer: Signer, hash_workers: u32) -> Self {
        Environment {
            client: RefCell::new(client),
            signer,
            store: CheckpointStore::default(),
            hash_workers,
            pool: RefCell::new(None),
            credentials: RefCell::new(None),
            nudges: RefCell::new(SortedMap::new()),
        }
    }

    /// Has the machines the request budget handed a permit polled.
    fn wake_granted(&self) {
        let woken = self.client.borrow_mut().budget.take_woken();
        let nudges = self.nudges.borrow();
        for machine in woken {
            if let Some(nudge) = nudges.get(&machine) {
                let _ = nudge.unbounded_send(());
            }
        }
    }

    /// How many hashing Workers there are (or would be).
    pub(crate) fn hash_workers(&self) -> u32 {
        self.hash_workers
    }

    /// Stops the hashing Workers for good (dropping the pool terminates them).
    pub(crate) fn stop_workers(&self) {
        self.pool.replace(Some(None));
    }

    /// The hashing Workers, started on first use; `None` (hash on the main thread, with a
    /// warning) where Workers cannot be created.
    fn pool(&self) -> Option<Rc<HashPool>> {
        self.pool
            .borrow_mut()
            .get_or_insert_with(|| match HashPool::new(self.hash_workers) {
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

    /// The MD5 of `blob` (when `with_md5`) and its `checksum`: in a Worker, or on the main thread
    /// where Workers cannot run.
    async fn hash(
        &self,
        blob: &web_sys::Blob,
        with_md5: bool,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<(Option<[u8; 16]>, Option<Vec<u8>>)> {
        if let Some(pool) = self.pool() {
            match pool.hash(blob, with_md5, checksum).await? {
                Some(digest) => return Ok(digest),
                None => {
                    warn_once(
                        Warning::NoWorkers,
                        "Web Workers are unavailable (they could not start: does the Content-Security-Policy allow \
                         worker-src blob:?); parts are hashed on the main thread",
                    );
                    self.stop_workers();
                }
            }
        }
        let buffer = JsFuture::from(blob.array_buffer()).await.map_err(|e| browser_error(&e))?;
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        Ok((with_md5.then(|| md5(&bytes)), checksum.map(|a| a.digest(&bytes))))
    }

    /// The app's credentials; one call at a time, shared by every machine waiting for it.
    fn credentials(&self) -> Result<(CredentialsAnswer, CredentialsWait)> {
        auth::shared_credentials(&mut self.credentials.borrow_mut(), &self.signer)
    }
}

/// A checkpoint operation, carried out in order.
enum StoreOp {
    /// A destination's records.
    Load(String),
    Save(crate::upload::checkpoint::Checkpoint),
    Delete(String),
    /// Let go of a lock once the writes before it have landed.
    Release(HeldLock),
}

/// A running machine's place in the request budget: when its drive ends (or is dropped), it
/// leaves, and its permits go to the machines in line.
struct Seat {
    env: Rc<Environment>,
    machine: MachineId,
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.env.nudges.borrow_mut().remove(&self.machine);
        self.env.client.borrow_mut().budget.leave(self.machine);
        self.env.wake_granted();
    }
}

/// Runs `machine` to its outcome. `file` is the file parts and hashes come from; `observer`
/// receives events; `inputs` carries the caller's pause, resume and abort; `after` sees the
/// machine after every step.
pub(crate) async fn drive<M: Machine>(
    machine: &mut M,
    env: Rc<Environment>,
    file: Option<web_sys::Blob>,
    observer: Option<Observer>,
    inputs: (mpsc::UnboundedSender<Input>, mpsc::UnboundedReceiver<Input>),
    after: &dyn Fn(&M),
) -> Result<M::Output> {
    let (sender, receiver) = inputs;
    let (nudge, nudged) = mpsc::unbounded();
    env.nudges.borrow_mut().insert(machine.id(), nudge);
    let seat = Seat { env: env.clone(), machine: machine.id() };
    // An input, or `None` when the budget handed the machine a permit.
    let mut events = stream::select(receiver.map(Some), nudged.map(|()| None));
    let (store_ops, store_done) = store_queue(env.clone(), sender.clone());
    let mut run = Executor {
        env: env.clone(),
        file,
        observer,
        sender,
        store_ops,
        jobs: SortedMap::new(),
        untracked: Vec::new(),
        locks: SortedMap::new(),
        wake: None,
    };
    let outcome = loop {
        let commands = machine.poll(now_ms(), &mut env.client.borrow_mut());
        run.execute(commands);
        env.wake_granted();
        after(machine);
        if let Some(outcome) = machine.outcome() {
            break outcome;
        }
        let input = match run.wake.map(|at| at.saturating_sub(now_ms())) {
            Some(wait) => {
                let timer = TimeoutFuture::new(u32::try_from(wait).unwrap_or(u32::MAX));
                match select(events.next(), timer).await {
                    Either::Left((input, _)) => input.flatten(),
                    Either::Right(_) => {
                        run.wake = None;
                        None
                    }
                }
            }
            None => events.next().await.flatten(),
        };
        if let Some(input) = input {
            run.reported(&input);
            let commands = machine.handle(input, now_ms(), &mut env.client.borrow_mut());
            run.execute(commands);
            env.wake_granted();
            after(machine);
        }
    };
    drop(seat);
    for handle in run.jobs.values().chain(&run.untracked) {
        handle.abort();
    }
    // The last checkpoint writes (or the deletion) land before the outcome is reported.
    drop(run.store_ops);
    let _ = store_done.await;
    // Only then may another tab waiting for this upload read its checkpoint.
    drop(run.locks);
    outcome
}

struct Executor {
    env: Rc<Environment>,
    file: Option<web_sys::Blob>,
    observer: Option<Observer>,
    sender: mpsc::UnboundedSender<Input>,
    store_ops: mpsc::UnboundedSender<StoreOp>,
    /// Work the machine may cancel.
    jobs: SortedMap<JobId, AbortHandle>,
    /// Work it never cancels (the online watch), stopped when the machine is done.
    untracked: Vec<AbortHandle>,
    /// Web Locks held (or asked for), by name, until let go or the machine is done.
    locks: SortedMap<String, HeldLock>,
    wake: Option<u64>,
}

impl Executor {
    fn execute(&mut self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Send { id, request } => {
                    let file = self.file.clone();
                    let sender = self.sender.clone();
                    self.spawn(Some(id), async move {
                        let sent = match (&request.body, file) {
                            (Body::Range { .. }, Some(file)) => {
                                let progress = Rc::new(move |sent| {
                                    let _ = sender.unbounded_send(Input::Activity { id, sent });
                                });
                                xhr::send_body(&request, &file, progress).await
                            }
                            (_, file) => fetch::send(&request, file.as_ref()).await,
                        };
                        match sent {
                            Ok(response) => Input::Answer { id, response },
                            Err(error) => Input::Failure { id, offline: !online(), error },
                        }
                    });
                }
                Command::Presign { id, operation, request } => {
                    let (env, signer) = (self.env.clone(), self.env.signer.clone());
                    self.spawn(Some(id), async move {
                        let result = match signer {
                            Signer::Presign(callback) => {
                                let bucket = env.client.borrow().bucket.clone();
                                auth::presign(callback, &bucket, operation, &request).await
                            }
                            Signer::Credentials(_) => {
                                Err(Error::unusable("this uploader signs with credentials; it has no presign callback"))
                            }
                        };
                        Input::Presigned { id, result }
                    });
                }
                Command::FetchCredentials { id } => {
                    let call = self.env.credentials();
                    self.spawn(Some(id), async move {
                        let result = match call {
                            Ok((answer, mut wait)) => {
                                let result = answer.await;
                                wait.answered();
                                result
                            }
                            Err(error) => Err(error),
                        };
                        Input::Credentials { id, result }
                    });
                }
                Command::Hash { id, ranges, md5, checksum } => {
                    let (env, file) = (self.env.clone(), self.file.clone());
                    self.spawn(Some(id), async move {
                        let digest = async {
                            let file = file.ok_or_else(|| Error::invalid("file", "there is no file to hash"))?;
                            env.hash(&blob::ranges(&file, &ranges)?, md5, checksum).await
                        };
                        match digest.await {
                            Ok((md5, checksum)) => Input::Hashed { id, md5, checksum },
                            Err(error) => Input::Failure { id, error, offline: false },
                        }
                    });
                }
                Command::Cancel(id) => {
                    if let Some(handle) = self.jobs.remove(&id) {
                        handle.abort();
                    }
                }
                Command::Lock { name } => {
                    let sender = self.sender.clone();
                    let lock = locks::request(&name, move |input| _ = sender.unbounded_send(input));
                    self.locks.insert(name, lock);
                }
                Command::Unlock { name } => {
                    if let Some(lock) = self.locks.remove(&name) {
                        _ = self.store_ops.unbounded_send(StoreOp::Release(lock));
                    }
                }
                Command::LoadCheckpoints { destination } => {
                    _ = self.store_ops.unbounded_send(StoreOp::Load(destination));
                }
                Command::SaveCheckpoint(checkpoint) => _ = self.store_ops.unbounded_send(StoreOp::Save(checkpoint)),
                Command::DeleteCheckpoint(id) => _ = self.store_ops.unbounded_send(StoreOp::Delete(id)),
                Command::WaitOnline => self.spawn(None, async {
                    while !online() {
                        TimeoutFuture::new(1000).await;
                    }
                    Input::Online
                }),
                Command::Sleep { until_ms } => self.wake = Some(self.wake.map_or(until_ms, |w| w.min(until_ms))),
                Command::Emit(event) => {
                    if let Some(observer) = &self.observer {
                        observer(&event);
                    }
                }
            }
        }
    }

    /// Forgets the handle of a job that has reported for good.
    fn reported(&mut self, input: &Input) {
        if let Input::Answer { id, .. }
        | Input::Failure { id, .. }
        | Input::Hashed { id, .. }
        | Input::Presigned { id, .. }
        | Input::Credentials { id, .. } = input
        {
            self.jobs.remove(id);
        }
    }

    /// Runs `work` until it reports, or until job `id` is cancelled.
    fn spawn(&mut self, id: Option<JobId>, work: impl Future<Output = Input> + 'static) {
        self.spawn_boxed(id, Box::pin(work));
    }

    /// [`Self::spawn`] for boxed work: one `Abortable` for every kind of job, not a copy each.
    fn spawn_boxed(&mut self, id: Option<JobId>, work: LocalBoxFuture<'static, Input>) {
        let (handle, registration) = AbortHandle::new_pair();
        match id {
            Some(id) => {
                if let Some(previous) = self.jobs.insert(id, handle) {
                    previous.abort();
                }
            }
            None => self.untracked.push(handle),
        }
        let sender = self.sender.clone();
        spawn_local(Abortable::new(work, registration).map(move |input| {
            if let Ok(input) = input {
                let _ = sender.unbounded_send(input);
            }
        }));
    }
}

/// Checkpoint operations run one after another; the receiver is told when the queue is closed
/// and empty.
fn store_queue(
    env: Rc<Environment>,
    inputs: mpsc::UnboundedSender<Input>,
) -> (mpsc::UnboundedSender<StoreOp>, oneshot::Receiver<()>) {
    let (ops, mut queue) = mpsc::unbounded::<StoreOp>();
    let (done, drained) = oneshot::channel();
    spawn_local(async move {
        while let Some(op) = queue.next().await {
            match op {
                StoreOp::Load(destination) => {
                    let records = env.store.starting_with(&destination).await;
                    let _ = inputs.unbounded_send(Input::CheckpointsLoaded(records));
                }
                StoreOp::Save(checkpoint) => env.store.put(&checkpoint).await,
                StoreOp::Delete(id) => env.store.delete(&id).await,
                StoreOp::Release(lock) => drop(lock),
            }
        }
        let _ = done.send(());
    });
    (ops, drained)
}

/// `navigator.onLine`, true where the browser does not say.
fn online() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    js_sys::Reflect::get(&navigator, &"onLine".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true)
}
