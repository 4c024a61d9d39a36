//! Upload progress in bytes, with speed and ETA: monotonic, and at 100 % only once the upload is
//! complete. Time comes in as milliseconds from the shell.

use crate::sorted_map::SortedMap;
use std::collections::VecDeque;

/// How far back the speed estimate looks.
const WINDOW_MS: f64 = 5_000.0;

/// What a `progress` event reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProgressSnapshot {
    /// Bytes stored or in flight, never decreasing, below `total` until the upload completes.
    pub loaded: u64,
    /// File size.
    pub total: u64,
    /// Parts stored.
    pub parts_done: u16,
    /// Parts in the plan.
    pub parts_total: u16,
    /// Recent throughput (0 until there are two samples).
    pub bytes_per_second: f64,
    /// Seconds left at that throughput, when it is known.
    pub eta_seconds: Option<f64>,
}

/// Progress bookkeeping for one upload.
#[derive(Clone, Debug)]
pub struct Progress {
    total: u64,
    parts_total: u16,
    parts_done: u16,
    stored: u64,
    in_flight: SortedMap<u16, u64>,
    reported: u64,
    complete: bool,
    samples: VecDeque<(f64, u64)>,
}

impl Progress {
    /// A new upload of `total` bytes in `parts_total` parts, of which `resumed` bytes in
    /// `resumed_parts` parts are already stored (after a resume).
    pub fn new(total: u64, parts_total: u16, resumed: u64, resumed_parts: u16) -> Self {
        Progress {
            total,
            parts_total,
            parts_done: resumed_parts,
            stored: resumed.min(total),
            in_flight: SortedMap::new(),
            reported: resumed.min(total.saturating_sub(1)),
            complete: false,
            samples: VecDeque::new(),
        }
    }

    /// `bytes` of part `part` have been sent so far.
    pub fn sent(&mut self, part: u16, bytes: u64, now_ms: f64) {
        self.in_flight.insert(part, bytes);
        self.sample(now_ms);
    }

    /// Part `part` of `size` bytes is stored.
    pub fn part_stored(&mut self, part: u16, size: u64, now_ms: f64) {
        self.in_flight.remove(&part);
        self.stored = self.stored.saturating_add(size).min(self.total);
        self.parts_done = self.parts_done.saturating_add(1).min(self.parts_total);
        self.sample(now_ms);
    }

    /// Part `part` failed; its bytes are sent again later (the reported figure does not go back).
    pub fn part_failed(&mut self, part: u16) {
        self.in_flight.remove(&part);
    }

    /// The upload is complete: progress reaches `total`.
    pub fn complete(&mut self, now_ms: f64) {
        self.complete = true;
        self.parts_done = self.parts_total;
        self.sample(now_ms);
    }

    /// The figures for a `progress` event.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let bytes_per_second = match (self.samples.front(), self.samples.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => (b1 - b0) as f64 * 1000.0 / (t1 - t0),
            _ => 0.0,
        };
        let left = self.total - self.reported;
        let eta_seconds = if self.complete {
            Some(0.0)
        } else if bytes_per_second > 0.0 {
            Some(left as f64 / bytes_per_second)
        } else {
            None
        };
        ProgressSnapshot {
            loaded: self.reported,
            total: self.total,
            parts_done: self.parts_done,
            parts_total: self.parts_total,
            bytes_per_second,
            eta_seconds,
        }
    }

    fn sample(&mut self, now_ms: f64) {
        let raw = self.stored.saturating_add(self.in_flight.values().sum::<u64>());
        let cap = if self.complete { self.total } else { self.total.saturating_sub(1) };
        self.reported = self.reported.max(raw.min(cap));
        if self.complete {
            self.reported = self.total;
        }
        self.samples.push_back((now_ms, self.reported));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now_ms - t > WINDOW_MS) {
            self.samples.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_full_only_when_complete() {
        let mut p = Progress::new(100, 2, 0, 0);
        p.sent(1, 30, 0.0);
        p.sent(2, 20, 500.0);
        assert_eq!(p.snapshot().loaded, 50);
        p.part_failed(2);
        p.sent(1, 35, 1000.0);
        assert_eq!(p.snapshot().loaded, 50, "a failed part does not make progress go back");
        p.part_stored(1, 50, 1500.0);
        p.part_stored(2, 50, 2000.0);
        let s = p.snapshot();
        assert_eq!((s.loaded, s.parts_done), (99, 2), "not 100 % before Complete");
        p.complete(2500.0);
        let s = p.snapshot();
        assert_eq!((s.loaded, s.parts_done, s.eta_seconds), (100, 2, Some(0.0)));
    }

    #[test]
    fn speed_and_eta() {
        let mut p = Progress::new(10_000, 10, 0, 0);
        assert_eq!(p.snapshot().eta_seconds, None);
        p.sent(1, 0, 0.0);
        p.sent(1, 1000, 1000.0);
        let s = p.snapshot();
        assert!((s.bytes_per_second - 1000.0).abs() < 1e-9);
        assert_eq!(s.eta_seconds, Some(9.0));
        p.sent(1, 1000, 20_000.0);
        assert!(p.snapshot().bytes_per_second < 100.0, "old samples leave the window");
    }

    #[test]
    fn resumed_and_empty_uploads() {
        let p = Progress::new(100, 4, 50, 2);
        assert_eq!((p.snapshot().parts_done, p.snapshot().loaded), (2, 50), "resumed bytes count at once");
        let mut empty = Progress::new(0, 1, 0, 0);
        empty.complete(1.0);
        assert_eq!((empty.snapshot().loaded, empty.snapshot().total), (0, 0));
    }
}
