// SPDX-License-Identifier: GPL-2.0

//! Shortest expected delay (`sed`): the available server with the fewest active connections
//! (plus the one to come) per unit of weight; the first in list order on ties.

use super::{
    least::{Least, PerWeight},
    weighted_least, Candidate,
};

/// Stateless.
#[derive(Default)]
pub(crate) struct ShortestExpectedDelay;

/// The expected delay of one more connection: only active connections count.
pub(super) fn expected(d: &impl Candidate) -> i64 {
    i64::from(d.active_conns()) + 1
}

impl ShortestExpectedDelay {
    /// C's loop, as written: the pick when the tournament could not be built, and what the
    /// host tests check the tournament against.
    pub(crate) fn c_loop<C: Candidate>(dests: &[C]) -> Option<usize> {
        weighted_least(dests, |d| expected(d))
    }
}

impl Least for ShortestExpectedDelay {
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize> {
        Self::c_loop(dests)
    }

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
    use super::super::tests::D;
    use super::*;

    #[test]
    fn fewest_active_per_weight() {
        let mut dests = [D::new(1, 1), D::new(2, 2), D::new(3, 0)];
        // 1/1 against 1/2: the heavier server.
        assert_eq!(ShortestExpectedDelay::c_loop(&dests), Some(1));
        dests[1].active = 1;
        // 1/1 against 2/2: a tie, the first stays.
        assert_eq!(ShortestExpectedDelay::c_loop(&dests), Some(0));
        // Inactive connections do not count.
        dests[0].total = 100;
        assert_eq!(ShortestExpectedDelay::c_loop(&dests), Some(0));
        dests[0].overloaded = true;
        dests[1].overloaded = true;
        assert_eq!(ShortestExpectedDelay::c_loop(&dests), None);
    }
}
