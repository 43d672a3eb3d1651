// SPDX-License-Identifier: GPL-2.0

//! Round robin (`rr`): each new connection goes to the next available server in list order.

use super::{Candidate, Scheduler};

/// The cursor: the server picked last, or the list head before the first pick.
#[derive(Default)]
pub(crate) struct RoundRobin {
    last: Option<u64>,
}

impl Scheduler for RoundRobin {
    fn schedule<C: Candidate>(&mut self, dests: &[C]) -> Option<usize> {
        // From the server after the cursor to the end, then from the start up to and including
        // the cursor's own server; from the head, the whole list once.
        let start = self
            .last
            .and_then(|k| dests.iter().position(|d| d.key() == k))
            .map_or(0, |i| i + 1);
        let order = (start..dests.len()).chain(0..start);
        let picked = order
            .into_iter()
            .find(|&i| !dests[i].overloaded() && dests[i].weight() > 0)?;
        self.last = Some(dests[picked].key());
        Some(picked)
    }

    fn dest_removed<C: Candidate>(&mut self, _dests: &[C], removed: u64, before: Option<u64>) {
        // The cursor steps back to the server before the removed one, so that the one after it
        // comes next.
        if self.last == Some(removed) {
            self.last = before;
        }
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
        rr.dest_removed(&after, 2, Some(1));
        assert_eq!(picks(&mut rr, &after, 3), [3, 1, 3]);
        // A cursor at the head restarts from the first server.
        let mut rr = RoundRobin::default();
        assert_eq!(picks(&mut rr, &dests, 1), [1]);
        rr.dest_removed(&after[1..], 1, None);
        assert_eq!(picks(&mut rr, &dests[1..], 2), [2, 3]);
    }
}
