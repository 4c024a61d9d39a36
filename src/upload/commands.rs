//! What a machine asks the shell to do ([`Command`]) and what the shell tells it ([`Input`]).

use super::budget::MachineId;
use super::checkpoint::Checkpoint;
use super::client::{Client, FetchedCredentials, Presigned};
use super::events::Event;
use crate::actions::Operation;
use crate::bucket::SignedRequest;
use crate::checksum::ChecksumAlgorithm;
use crate::error::{Error, Result};
use crate::http::{Request, Response};

/// Names one piece of work the shell carries out: a request, a callback call or a hash. Below 2^53:
/// the browser shell hands ids over as JS numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// Something for the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Send this signed request → [`Input::Answer`] or [`Input::Failure`]. For a body taken from
    /// the file, report its progress with [`Input::Activity`].
    Send {
        /// The job.
        id: JobId,
        /// The request, ready to go.
        request: SignedRequest,
    },
    /// Ask the app's `presign` callback to sign this request → [`Input::Presigned`]. A
    /// [`Command::Cancel`] of the job aborts the callback's `signal`.
    Presign {
        /// The job.
        id: JobId,
        /// What the request does.
        operation: Operation,
        /// The request to presign.
        request: Request,
    },
    /// Ask the app's `credentials` callback for temporary credentials → [`Input::Credentials`]. A
    /// [`Command::Cancel`] of the job aborts the callback's `signal`.
    FetchCredentials {
        /// The job.
        id: JobId,
    },
    /// Hash these byte ranges of the file, in order, in one pass: their MD5 (when `md5`) and
    /// their `checksum` → [`Input::Hashed`].
    Hash {
        /// The job.
        id: JobId,
        /// `(offset, len)` ranges.
        ranges: Vec<(u64, u64)>,
        /// Whether the MD5 is wanted (for Content-MD5, the fingerprint or checking a kept part).
        md5: bool,
        /// A checksum to compute in the same pass.
        checksum: Option<ChecksumAlgorithm>,
    },
    /// Stop this job; nothing more is reported for it.
    Cancel(JobId),
    /// Hold the Web Lock of this name until the machine is done → [`Input::Locked`] once held,
    /// after [`Input::LockBusy`] if another tab holds it. Without Web Locks: [`Input::Unguarded`] at once.
    Lock {
        /// The lock's name ([`Checkpoint::lock_name`]).
        name: String,
    },
    /// Let go of the lock of this name (asked for with [`Command::Lock`]).
    Unlock {
        /// The lock's name.
        name: String,
    },
    /// Look up every stored checkpoint whose id starts with this [`Checkpoint::destination`] →
    /// [`Input::CheckpointsLoaded`].
    LoadCheckpoints {
        /// The destination.
        destination: String,
    },
    /// Store (or replace) this checkpoint.
    SaveCheckpoint(Checkpoint),
    /// Delete the stored checkpoint with this id.
    DeleteCheckpoint(String),
    /// Report [`Input::Online`] when the browser is online again.
    WaitOnline,
    /// Poll again at this time (milliseconds since the epoch), unless an input comes first.
    Sleep {
        /// When.
        until_ms: u64,
    },
    /// Tell the app.
    Emit(Event),
}

/// What happened, for the machine to react to.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A sent request was answered (any status).
    Answer {
        /// The job.
        id: JobId,
        /// The answer.
        response: Response,
    },
    /// A sent request failed without an answer, or a hash or presign call failed.
    Failure {
        /// The job.
        id: JobId,
        /// What went wrong.
        error: Error,
        /// Whether the browser says it is offline.
        offline: bool,
    },
    /// Bytes of a request body have gone out (any sign of life of the request counts).
    Activity {
        /// The job.
        id: JobId,
        /// Body bytes sent so far.
        sent: u64,
    },
    /// A hash finished.
    Hashed {
        /// The job.
        id: JobId,
        /// The MD5 of the ranges, when asked for.
        md5: Option<[u8; 16]>,
        /// The asked-for checksum of the ranges (big-endian).
        checksum: Option<Vec<u8>>,
    },
    /// The app's `credentials` callback answered.
    Credentials {
        /// The job.
        id: JobId,
        /// Its answer.
        result: Result<FetchedCredentials>,
    },
    /// The app's `presign` callback answered.
    Presigned {
        /// The job.
        id: JobId,
        /// Its answer.
        result: Result<Presigned>,
    },
    /// Another tab holds the lock; the shell waits for it.
    LockBusy,
    /// The lock is held.
    Locked,
    /// The browser has no Web Locks (or refused the lock): the upload goes on, but nothing keeps
    /// another tab from taking the same stored upload, so its parts are listed and checked before
    /// Complete.
    Unguarded,
    /// The readable stored checkpoints of the destination.
    CheckpointsLoaded(Vec<Checkpoint>),
    /// The browser is online again.
    Online,
    /// The caller paused the upload.
    Pause,
    /// The caller resumed it.
    Resume,
    /// The caller aborted it.
    Abort,
}

/// A sans-io machine the shell drives: it polls for commands, carries them out, and hands each
/// outcome back, until the machine has an outcome.
pub trait Machine {
    /// What the machine produces.
    type Output;
    /// The commands to carry out now.
    fn poll(&mut self, now_ms: u64, client: &mut Client) -> Vec<Command>;
    /// Takes in what happened; returns commands it calls for at once.
    fn handle(&mut self, input: Input, now_ms: u64, client: &mut Client) -> Vec<Command>;
    /// The result, once there is one (taken once).
    fn outcome(&mut self) -> Option<Result<Self::Output>>;
    /// The machine's place in its client's [`super::RequestBudget`]: the shell polls it when
    /// [`super::RequestBudget::take_woken`] names it, and makes it leave once it is done.
    fn id(&self) -> MachineId;
}
