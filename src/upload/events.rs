//! What a running upload reports: its states and events, named once here for the JS API.

use super::progress::ProgressSnapshot;
use crate::error::Error;

/// A task's state, as `statechange` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for another tab's upload of the same file to the same key (Web Locks).
    Waiting,
    /// Sending parts.
    Uploading,
    /// Paused by the caller.
    Paused,
    /// Done: the object holds the file.
    Complete,
    /// Failed; the checkpoint (if any) stays for a later resume.
    Failed,
    /// Aborted by the caller; server upload and checkpoint removed.
    Aborted,
}

impl TaskState {
    /// Every state, in the order the API documents them.
    pub const ALL: [TaskState; 6] = [
        TaskState::Waiting,
        TaskState::Uploading,
        TaskState::Paused,
        TaskState::Complete,
        TaskState::Failed,
        TaskState::Aborted,
    ];

    /// The state's name in events and in `UploadTask.state`.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Waiting => "waiting",
            TaskState::Uploading => "uploading",
            TaskState::Paused => "paused",
            TaskState::Complete => "complete",
            TaskState::Failed => "error",
            TaskState::Aborted => "aborted",
        }
    }
}

/// The names of the events an `UploadTask` dispatches.
pub const EVENT_NAMES: [&str; 7] = ["progress", "part", "retry", "statechange", "replaced", "complete", "error"];

/// Something an upload reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Bytes and parts so far, speed and ETA (`progress`).
    Progress(ProgressSnapshot),
    /// A part was stored (`part`).
    Part {
        /// Its number.
        number: u16,
        /// The ETag the service returned.
        etag: String,
        /// Its size in bytes.
        size: u64,
    },
    /// A request failed and will be tried again (`retry`).
    Retry {
        /// The part, for part uploads.
        part: Option<u16>,
        /// Which retry this is (1-based).
        attempt: u32,
        /// The wait before it.
        delay_ms: u64,
        /// What failed.
        error: Error,
    },
    /// The task's state changed (`statechange`).
    State(TaskState),
    /// The key's stored upload of another file was aborted on the server (`replaced`).
    Replaced {
        /// The object key.
        key: String,
        /// The aborted multipart upload.
        upload_id: String,
    },
}

impl Event {
    /// The event's name, one of [`EVENT_NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Event::Progress(_) => "progress",
            Event::Part { .. } => "part",
            Event::Retry { .. } => "retry",
            Event::State(_) => "statechange",
            Event::Replaced { .. } => "replaced",
        }
    }
}
