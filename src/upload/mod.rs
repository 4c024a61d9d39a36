//! One upload as a sans-io state machine: [`Upload`] decides everything — which part to hash and
//! send, retries, credential refresh, clock correction, the offline wait, stalls, resume,
//! checkpoints, progress, abort and the result — and the browser shell carries out its
//! [`Command`]s and reports back with [`Input`]s. [`Call`] does the same for one request.
//!
//! - `parts.rs`: the part scheduler (hash look-ahead, concurrency, pause, resumed parts).
//! - `requests/`: signing, sending and retrying requests (and the credentials call); `retry.rs` the retry decisions.
//! - `resume.rs`: adopting a stored checkpoint, checking an object after a lost Complete.
//! - `checkpoint.rs`, `progress.rs`: the resume record and progress figures.
//! - `client.rs`: what the requests of one uploader share (bucket, credentials, clock offset,
//!   the request budget of `budget.rs`).

mod budget;
mod call;
pub mod checkpoint;
mod client;
mod commands;
mod config;
mod events;
mod machine;
mod options;
pub mod parts;
mod presigned;
pub mod progress;
mod requests;
mod resume;
pub mod retry;

pub use budget::{MachineId, RequestBudget};
pub use call::Call;
pub use client::{Client, FetchedCredentials, Keyring, Presigned, Signing};
pub use commands::{Command, Input, JobId, Machine};
pub use config::Config;
pub use events::{EVENT_NAMES, Event, TaskState};
pub use machine::{FileInfo, ObjectSpec, Stats, Upload, UploadResult};
pub use options::UploaderOptions;
pub use resume::abort_outcome;
