// SPDX-License-Identifier: GPL-2.0

//! Round robin (`rr`): each new connection goes to the next available server in list order.

use super::{Candidate, Flow, Scheduler};

/// The cursor: the index of the server picked last, or `None` (the list head) before the first
/// pick.
#[derive(Default)]
pub(crate) struct RoundRobin {
    last: Option<usize>,
}

impl Scheduler for RoundRobin {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        // From the server after the cursor to the end, then from the start up to and including
        // the cursor's own server; from the head, the whole list once.
        let start = self.last.map_or(0, |i| (i + 1).min(dests.len()));
        let picked = (start..dests.len())
            .chain(0..start)
            .find(|&i| !dests[i].overloaded() && dests[i].weight() > 0)?;
        self.last = Some(picked);
        Some(picked)
    }

    fn dest_added<C: Candidate>(&mut self, _dests: &[C]) {
        // The new server goes in front: the cursor's server moves one place down.
        self.last = self.last.map(|i| i + 1);
    }

    fn dest_removed<C: Candidate>(&mut self, _dests: &[C], removed: usize) {
        // A cursor on the removed server steps back to the one before it (or the head), so that
        // the one after it comes next.
        self.last = match self.last {
            Some(i) if i == removed => removed.checked_sub(1),
            Some(i) if i > removed => Some(i - 1),
            last => last,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{picks, D};
    use super::*;

    #[test]
    fn cycles_in_list_order_skipping_unavailable() {
        let mut rr = RoundRobin::default();
        let mut dests = [D::new(1, 1), D::new(2, 0), D::new(3, 5)];
        assert_eq!(picks(&mut rr, &dests, 5), [1, 3, 1, 3, 1]);
        dests[2].overloaded = true;
        assert_eq!(picks(&mut rr, &dests, 2), [1, 1]);
        dests[0].weight = 0;
        assert_eq!(picks(&mut rr, &dests, 1), []);
    }

    #[test]
    fn removal_moves_the_cursor_back() {
        let mut rr = RoundRobin::default();
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        assert_eq!(picks(&mut rr, &dests, 2), [1, 2]);
        let after = [D::new(1, 1), D::new(3, 1)];
        rr.dest_removed(&after, 1);
        assert_eq!(picks(&mut rr, &after, 3), [3, 1, 3]);
        // A cursor at the head restarts from the first server.
        let mut rr = RoundRobin::default();
        assert_eq!(picks(&mut rr, &dests, 1), [1]);
        rr.dest_removed(&dests[1..], 0);
        assert_eq!(picks(&mut rr, &dests[1..], 2), [2, 3]);
    }

    #[test]
    fn addition_keeps_the_cursor_on_its_server() {
        let mut rr = RoundRobin::default();
        let dests = [D::new(1, 1), D::new(2, 1)];
        assert_eq!(picks(&mut rr, &dests, 1), [1]);
        let more = [D::new(9, 1), D::new(1, 1), D::new(2, 1)];
        rr.dest_added(&more);
        assert_eq!(picks(&mut rr, &more, 3), [2, 9, 1]);
    }
}
