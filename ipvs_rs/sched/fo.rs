// SPDX-License-Identifier: GPL-2.0

//! Weighted failover (`fo`): the available server with the highest weight; the first in list
//! order on ties.

use super::{Candidate, Flow, Scheduler};

/// Stateless.
#[derive(Default)]
pub(crate) struct WeightedFailover;

impl Scheduler for WeightedFailover {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        let mut best: Option<(usize, i32)> = None;
        for (i, d) in dests.iter().enumerate() {
            if !d.overloaded() && d.weight() > best.map_or(0, |(_, w)| w) {
                best = Some((i, d.weight()));
            }
        }
        best.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ANY, D};
    use super::*;

    #[test]
    fn highest_weight_first_on_ties() {
        let mut fo = WeightedFailover;
        let mut dests = [D::new(1, 2), D::new(2, 5), D::new(3, 5)];
        assert_eq!(fo.schedule(&dests, &ANY), Some(1));
        dests[1].overloaded = true;
        assert_eq!(fo.schedule(&dests, &ANY), Some(2));
        dests[2].weight = 0;
        assert_eq!(fo.schedule(&dests, &ANY), Some(0));
        dests[0].weight = 0;
        assert_eq!(fo.schedule(&dests, &ANY), None);
    }
}
