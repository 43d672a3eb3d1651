// SPDX-License-Identifier: GPL-2.0

//! Shortest expected delay (`sed`): the available server with the fewest active connections
//! (plus the one to come) per unit of weight; the first in list order on ties.

use super::{
    least::{Least, PerWeight},
    weighted_least, Candidate, Flow, Scheduler,
};

/// Stateless.
#[derive(Default)]
pub(crate) struct ShortestExpectedDelay;

/// The expected delay of one more connection: only active connections count.
pub(super) fn expected(d: &impl Candidate) -> i64 {
    i64::from(d.active_conns()) + 1
}

impl Scheduler for ShortestExpectedDelay {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        weighted_least(dests, |d| expected(d))
    }
}

impl Least for ShortestExpectedDelay {
    type Key = PerWeight;

    /// As wlc's ([`super::wlc`]).
    fn key(d: &impl Candidate) -> Option<PerWeight> {
        (!d.overloaded() && d.weight() > 0).then(|| PerWeight::new(expected(d), d.weight()))
    }

    fn replaces(later: &PerWeight, earlier: &PerWeight) -> bool {
        later.less(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ANY, D};
    use super::*;

    #[test]
    fn fewest_active_per_weight() {
        let mut sed = ShortestExpectedDelay;
        let mut dests = [D::new(1, 1), D::new(2, 2), D::new(3, 0)];
        // 1/1 against 1/2: the heavier server.
        assert_eq!(sed.schedule(&dests, &ANY), Some(1));
        dests[1].active = 1;
        // 1/1 against 2/2: a tie, the first stays.
        assert_eq!(sed.schedule(&dests, &ANY), Some(0));
        // Inactive connections do not count.
        dests[0].total = 100;
        assert_eq!(sed.schedule(&dests, &ANY), Some(0));
        dests[0].overloaded = true;
        dests[1].overloaded = true;
        assert_eq!(sed.schedule(&dests, &ANY), None);
    }
}
