//! One upload as a sans-io state machine.

pub mod checkpoint;
mod config;
mod events;
pub mod parts;
pub mod progress;
pub mod retry;

pub use config::Config;
pub use events::{EVENT_NAMES, Event, TaskState};
