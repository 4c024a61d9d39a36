//! The request budget of one uploader: at most `limit` requests on the wire (or with the app's
//! `presign` callback) at once, over all its machines, so that more files queue work instead of
//! opening more connections than the browser has for one host. A machine takes a permit before it
//! sends and gives it back when the answer or the failure comes; machines that found none wait in
//! line and get the permits given back one each in turn (round-robin), so a new file is not
//! starved by a big one. The shell polls the machines a permit was handed to
//! ([`RequestBudget::take_woken`]).

use crate::sorted_map::SortedMap;
use std::collections::VecDeque;

/// A machine's place in its client's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MachineId(pub u64);

#[derive(Clone, Copy, Debug, Default)]
struct Holdings {
    /// Permits in use by the machine's requests.
    held: usize,
    /// Permits handed to the machine while it waited, not taken yet.
    handed: usize,
}

/// Permits for the requests of one uploader's machines.
#[derive(Clone, Debug)]
pub struct RequestBudget {
    limit: usize,
    machines: SortedMap<MachineId, Holdings>,
    /// Machines waiting for a permit, each once, in the order they asked.
    line: VecDeque<MachineId>,
    /// Machines handed a permit since the shell last asked.
    woken: Vec<MachineId>,
    joined: u64,
}

impl RequestBudget {
    /// A budget of `limit` requests at once (at least one).
    pub fn new(limit: usize) -> Self {
        RequestBudget {
            limit: limit.max(1),
            machines: SortedMap::new(),
            line: VecDeque::new(),
            woken: Vec::new(),
            joined: 0,
        }
    }

    /// The most requests at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Permits in use or handed out.
    pub fn in_use(&self) -> usize {
        self.machines.values().map(|h| h.held + h.handed).sum()
    }

    /// Registers a new machine.
    pub fn join(&mut self) -> MachineId {
        self.joined += 1;
        let id = MachineId(self.joined);
        self.machines.insert(id, Holdings::default());
        id
    }

    /// A permit for one request of `machine`: one handed to it, else a free one unless others wait
    /// for it first. Without one, the machine waits in line (once) and is woken when handed one.
    pub fn take(&mut self, machine: MachineId) -> bool {
        let free = self.in_use() < self.limit && self.line.is_empty();
        let Some(holdings) = self.machines.get_mut(&machine) else { return false };
        if holdings.handed > 0 {
            holdings.handed -= 1;
        } else if !free {
            if !self.line.contains(&machine) {
                self.line.push_back(machine);
            }
            return false;
        }
        holdings.held += 1;
        true
    }

    /// `machine`'s requests now hold `holding` permits: those it no longer uses go to the machines
    /// in line.
    pub fn holding(&mut self, machine: MachineId, holding: usize) {
        let Some(holdings) = self.machines.get_mut(&machine) else { return };
        let freed = holdings.held.saturating_sub(holding);
        holdings.held -= freed;
        self.hand_on(freed);
    }

    /// `machine` polled without taking the permits handed to it: they go to the next in line.
    pub fn decline(&mut self, machine: MachineId) {
        let Some(holdings) = self.machines.get_mut(&machine) else { return };
        let unused = std::mem::take(&mut holdings.handed);
        self.hand_on(unused);
    }

    /// `machine` is gone: its permits go to the machines in line.
    pub fn leave(&mut self, machine: MachineId) {
        self.line.retain(|m| *m != machine);
        if let Some(holdings) = self.machines.remove(&machine) {
            self.hand_on(holdings.held + holdings.handed);
        }
    }

    /// The machines handed a permit since the last call, for the shell to poll.
    pub fn take_woken(&mut self) -> Vec<MachineId> {
        std::mem::take(&mut self.woken)
    }

    /// Hands `count` freed permits to the machines in line, one each in turn; the rest are free.
    fn hand_on(&mut self, count: usize) {
        for _ in 0..count {
            let Some(next) = self.line.pop_front() else { return };
            if let Some(holdings) = self.machines.get_mut(&next) {
                holdings.handed += 1;
                if !self.woken.contains(&next) {
                    self.woken.push(next);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_run_out_at_the_limit_and_freed_ones_go_in_turn() {
        let mut budget = RequestBudget::new(2);
        let (a, b, c) = (budget.join(), budget.join(), budget.join());
        assert!(budget.take(a) && budget.take(a));
        assert!(!budget.take(b) && !budget.take(c) && !budget.take(b), "b waits once, before c");
        assert!(!budget.take(a), "a waits behind them");
        budget.holding(a, 1);
        assert_eq!(budget.take_woken(), [b]);
        assert!(!budget.take(c), "the permit is b's");
        assert!(budget.take(b) && !budget.take(b));
        budget.holding(a, 0);
        assert_eq!(budget.take_woken(), [c]);
        budget.holding(b, 0);
        assert_eq!(budget.take_woken(), [a], "a's turn before b's second");
        assert_eq!(budget.in_use(), 2);
    }

    #[test]
    fn a_permit_not_taken_or_left_behind_goes_to_the_next_in_line() {
        let mut budget = RequestBudget::new(1);
        let (a, b, c) = (budget.join(), budget.join(), budget.join());
        assert!(budget.take(a) && !budget.take(b) && !budget.take(c));
        budget.holding(a, 0);
        assert_eq!(budget.take_woken(), [b]);
        budget.decline(b);
        assert_eq!(budget.take_woken(), [c]);
        budget.leave(c);
        assert_eq!(budget.in_use(), 0);
        assert!(budget.take(a), "free again");
    }
}
