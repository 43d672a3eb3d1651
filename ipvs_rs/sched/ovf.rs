// SPDX-License-Identifier: GPL-2.0

//! Weighted overflow (`ovf`): the highest-weight server whose active connections do not exceed
//! its weight; the first in list order on ties.

use super::{least::Least, Candidate, Flow, Scheduler};

/// Stateless.
#[derive(Default)]
pub(crate) struct WeightedOverflow;

impl Scheduler for WeightedOverflow {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        let mut best: Option<(usize, i32)> = None;
        for (i, d) in dests.iter().enumerate() {
            let w = d.weight();
            if d.overloaded() || d.active_conns() > w || w == 0 {
                continue;
            }
            if best.is_none_or(|(_, hw)| w > hw) {
                best = Some((i, w));
            }
        }
        best.map(|(i, _)| i)
    }
}

impl Least for WeightedOverflow {
    /// The weight: the heaviest server with room wins.
    type Key = i32;

    fn key(d: &impl Candidate) -> Option<i32> {
        let w = d.weight();
        (!d.overloaded() && d.active_conns() <= w && w != 0).then_some(w)
    }

    fn replaces(later: &i32, earlier: &i32) -> bool {
        later > earlier
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ANY, D};
    use super::*;

    #[test]
    fn overflows_to_the_next_weight() {
        let mut ovf = WeightedOverflow;
        let mut dests = [D::new(1, 1), D::new(2, 3)];
        assert_eq!(ovf.schedule(&dests, &ANY), Some(1));
        dests[1].active = 3;
        // Exactly at its weight: still taken.
        assert_eq!(ovf.schedule(&dests, &ANY), Some(1));
        dests[1].active = 4;
        assert_eq!(ovf.schedule(&dests, &ANY), Some(0));
        dests[0].active = 2;
        assert_eq!(ovf.schedule(&dests, &ANY), None);
    }
}
