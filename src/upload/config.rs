//! How an upload runs: every option of `createUploader` with its default, in one place. The JS
//! wrapper's documentation and the TypeScript declarations are checked against these values.

use super::retry::RetryPolicy;
use crate::checksum::Checksum;

/// The options that shape an upload. `Default` holds every default of the public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bytes per part; `None` lets the planner choose within the service's limits.
    pub part_size: Option<u64>,
    /// Part requests in flight at once, per upload.
    pub concurrency: usize,
    /// Requests in flight at once over all the uploads of an uploader (the browser opens 6
    /// connections per host over HTTP/1.1; more requests would wait for one, stall timer running).
    pub max_requests: usize,
    /// How failed requests are retried.
    pub retry: RetryPolicy,
    /// What parts carry: Content-MD5, one of S3's flexible checksums, or nothing.
    pub checksum: Checksum,
    /// Whether the upload keeps a checkpoint for resuming after a reload.
    pub checkpoints: bool,
    /// Hashing Workers; `None`: [`Config::default_hash_workers`] of the machine's cores.
    pub hash_workers: Option<u32>,
    /// A part request that shows no progress for this long is cancelled and sent again.
    pub stall_timeout_ms: u64,
    /// Any other request with no answer this long is cancelled and sent again (Complete may take
    /// minutes on S3).
    pub answer_timeout_ms: u64,
    /// A call of the app's `credentials` or `presign` callback with no answer this long is
    /// cancelled (its `signal` aborts) and counts as a failed try.
    pub callback_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            part_size: None,
            concurrency: 4,
            max_requests: 6,
            retry: RetryPolicy::default(),
            checksum: Checksum::Md5,
            checkpoints: true,
            hash_workers: None,
            stall_timeout_ms: 30_000,
            answer_timeout_ms: 5 * 60 * 1000,
            callback_timeout_ms: 30_000,
        }
    }
}

impl Config {
    /// Hashing Workers for a machine with `cores` logical cores: half of them, 1 to 4. One Worker
    /// hashes ~350 MB/s, faster than most uplinks, and each further one costs the page memory
    /// (measured by `npm run bench`).
    pub fn default_hash_workers(cores: u32) -> u32 {
        (cores / 2).clamp(1, 4)
    }

    /// The hashing Workers to start on a machine with `cores` logical cores.
    pub fn hash_workers(&self, cores: u32) -> u32 {
        self.hash_workers.unwrap_or_else(|| Self::default_hash_workers(cores)).max(1)
    }
}
