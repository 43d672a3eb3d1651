// SPDX-License-Identifier: GPL-2.0

//! Weighted least connection (`wlc`): the available server with the least overhead per unit of
//! weight; the first in list order on ties.

use super::{
    least::{Least, PerWeight},
    overhead, weighted_least, Candidate,
};

/// Stateless.
#[derive(Default)]
pub(crate) struct WeightedLeastConnection;

impl WeightedLeastConnection {
    /// C's loop, as written: the pick when the tournament could not be built, and what the
    /// host tests check the tournament against.
    pub(crate) fn c_loop<C: Candidate>(dests: &[C]) -> Option<usize> {
        weighted_least(dests, |d| i64::from(overhead(d)))
    }
}

impl Least for WeightedLeastConnection {
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize> {
        Self::c_loop(dests)
    }

    type Key = PerWeight;

    /// C's second stage skips only overloaded servers, but one of weight 0 never wins there
    /// with an overhead of 0 or more: left out, as its first stage leaves it out.
    fn key(d: &impl Candidate) -> Option<PerWeight> {
        (!d.overloaded() && d.weight() > 0).then(|| PerWeight::new(overhead(d).into(), d.weight()))
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
    fn least_overhead_per_weight() {
        let mut dests = [D::new(1, 1), D::new(2, 3), D::new(3, 0)];
        assert_eq!(WeightedLeastConnection::c_loop(&dests), Some(0));
        dests[0].active = 1;
        assert_eq!(WeightedLeastConnection::c_loop(&dests), Some(1));
        dests[1].active = 3;
        // 256/1 vs 768/3: equal, the first stays.
        assert_eq!(WeightedLeastConnection::c_loop(&dests), Some(0));
        dests[0].overloaded = true;
        dests[1].weight = 0;
        assert_eq!(WeightedLeastConnection::c_loop(&dests), None);
    }
}
