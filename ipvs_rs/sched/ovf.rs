// SPDX-License-Identifier: GPL-2.0

//! Weighted overflow (`ovf`): the highest-weight server whose active connections do not exceed
//! its weight; the first in list order on ties.

use super::{least::Least, Candidate};

/// Stateless.
#[derive(Default)]
pub(crate) struct WeightedOverflow;

impl WeightedOverflow {
    /// C's loop, as written: the pick when the tournament could not be built, and what the
    /// host tests check the tournament against.
    pub(crate) fn c_loop<C: Candidate>(dests: &[C]) -> Option<usize> {
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
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize> {
        Self::c_loop(dests)
    }

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
    use super::super::tests::D;
    use super::*;

    #[test]
    fn overflows_to_the_next_weight() {
        let mut dests = [D::new(1, 1), D::new(2, 3)];
        assert_eq!(WeightedOverflow::c_loop(&dests), Some(1));
        dests[1].active = 3;
        // Exactly at its weight: still taken.
        assert_eq!(WeightedOverflow::c_loop(&dests), Some(1));
        dests[1].active = 4;
        assert_eq!(WeightedOverflow::c_loop(&dests), Some(0));
        dests[0].active = 2;
        assert_eq!(WeightedOverflow::c_loop(&dests), None);
    }
}
