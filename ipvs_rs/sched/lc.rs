// SPDX-License-Identifier: GPL-2.0

//! Least connection (`lc`): the available server with the least connection overhead; the first
//! in list order on ties.

use super::{least::Least, overhead, Candidate};

/// Stateless.
#[derive(Default)]
pub(crate) struct LeastConnection;

impl LeastConnection {
    /// C's loop, as written: the pick when the tournament could not be built, and what the
    /// host tests check the tournament against.
    pub(crate) fn c_loop<C: Candidate>(dests: &[C]) -> Option<usize> {
        let mut least: Option<(usize, u32)> = None;
        for (i, d) in dests.iter().enumerate() {
            if d.overloaded() || d.weight() == 0 {
                continue;
            }
            // C compares the overhead as `unsigned int`.
            let doh = overhead(d) as u32;
            if least.is_none_or(|(_, loh)| doh < loh) {
                least = Some((i, doh));
            }
        }
        least.map(|(i, _)| i)
    }
}

impl Least for LeastConnection {
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize> {
        Self::c_loop(dests)
    }

    /// The overhead, compared as `unsigned int` as C does.
    type Key = u32;

    fn key(d: &impl Candidate) -> Option<u32> {
        (!d.overloaded() && d.weight() != 0).then(|| overhead(d) as u32)
    }

    fn replaces(later: &u32, earlier: &u32) -> bool {
        later < earlier
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::D;
    use super::*;

    #[test]
    fn least_overhead_first_on_ties() {
        let mut dests = [D::new(1, 1), D::new(2, 9), D::new(3, 1)];
        assert_eq!(LeastConnection::c_loop(&dests), Some(0));
        dests[0].active = 1;
        assert_eq!(LeastConnection::c_loop(&dests), Some(1));
        dests[1].total = 257;
        dests[0].total = 1;
        dests[2].total = 300;
        // 1*256+1 = 257 ties with 257: the first stays.
        assert_eq!(LeastConnection::c_loop(&dests), Some(0));
        // Only weight 0 quiesces (C skips `weight == 0`).
        dests[2].total = 0;
        dests[2].weight = 0;
        assert_eq!(LeastConnection::c_loop(&dests), Some(0));
    }
}
