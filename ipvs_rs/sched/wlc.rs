// SPDX-License-Identifier: GPL-2.0

//! Weighted least connection (`wlc`): the available server with the least overhead per unit of
//! weight; the first in list order on ties.

use super::{overhead, Candidate, Flow, Scheduler};

/// Stateless.
#[derive(Default)]
pub(crate) struct WeightedLeastConnection;

impl Scheduler for WeightedLeastConnection {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        // The first available server with a positive weight starts the comparison; after it,
        // C skips only overloaded servers, so a weight of 0 or less never wins (its product is
        // never smaller).
        let first = dests
            .iter()
            .position(|d| !d.overloaded() && d.weight() > 0)?;
        let (mut least, mut loh) = (first, i64::from(overhead(&dests[first])));
        for (i, d) in dests.iter().enumerate().skip(first + 1) {
            if d.overloaded() {
                continue;
            }
            let doh = i64::from(overhead(d));
            if loh * i64::from(d.weight()) > doh * i64::from(dests[least].weight()) {
                least = i;
                loh = doh;
            }
        }
        Some(least)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ANY, D};
    use super::*;

    #[test]
    fn least_overhead_per_weight() {
        let mut wlc = WeightedLeastConnection;
        let mut dests = [D::new(1, 1), D::new(2, 3), D::new(3, 0)];
        assert_eq!(wlc.schedule(&dests, &ANY), Some(0));
        dests[0].active = 1;
        assert_eq!(wlc.schedule(&dests, &ANY), Some(1));
        dests[1].active = 3;
        // 256/1 vs 768/3: equal, the first stays.
        assert_eq!(wlc.schedule(&dests, &ANY), Some(0));
        dests[0].overloaded = true;
        dests[1].weight = 0;
        assert_eq!(wlc.schedule(&dests, &ANY), None);
    }
}
