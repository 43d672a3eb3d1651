// SPDX-License-Identifier: GPL-2.0

//! `twos`, weighted random twos choice: two servers are drawn at random, each with a chance
//! proportional to its weight, and the one with the lower load per weight is picked. The draws
//! and the comparison are C's (including its off-by-one range, which gives the last drawable
//! server one extra chance in the draw); the randomness is the kernel's, passed in the flow.

use super::{overhead, Candidate, Flow, Scheduler};

/// Stateless.
pub(crate) struct WeightedRandomTwos;

/// Whether a server can be drawn.
fn drawable(d: &impl Candidate) -> bool {
    !d.overloaded() && d.weight() > 0
}

impl Scheduler for WeightedRandomTwos {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let total = dests
            .iter()
            .filter(|d| drawable(*d))
            .fold(0i32, |t, d| t.wrapping_add(d.weight()));
        if !dests.iter().any(drawable) {
            return None;
        }
        // C draws from [0, total] inclusive, as `u32` below `total + 1`.
        let bound = total.wrapping_add(1) as u32;
        let draw = |target: u32| {
            let mut left = target as i32;
            dests
                .iter()
                .enumerate()
                .filter(|(_, d)| drawable(*d))
                .find(|(_, d)| {
                    left = left.wrapping_sub(d.weight());
                    left <= 0
                })
                .map(|(i, _)| i)
        };
        let first = draw((flow.random_below)(bound))?;
        let second = draw((flow.random_below)(bound))?;
        let (d1, d2) = (&dests[first], &dests[second]);
        // Cross-multiplied in `int` as in C.
        let second_lighter =
            d2.weight().wrapping_mul(overhead(d1)) > d1.weight().wrapping_mul(overhead(d2));
        Some(if second_lighter { second } else { first })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ANY, D};
    use super::*;

    thread_local! {
        /// The draws the test's random source hands out, in order.
        static DRAWS: core::cell::Cell<[u32; 2]> = const { core::cell::Cell::new([0; 2]) };
    }

    fn next_draw(bound: u32) -> u32 {
        let [v, rest] = DRAWS.get();
        DRAWS.set([rest, 0]);
        assert!(v < bound);
        v
    }

    fn pick(dests: &[D], draws: [u32; 2]) -> Option<u64> {
        DRAWS.set(draws);
        let flow = Flow {
            random_below: next_draw,
            ..ANY
        };
        WeightedRandomTwos
            .schedule(dests, &flow)
            .map(|i| dests[i].key)
    }

    #[test]
    fn draws_by_weight_then_lighter_wins() {
        let mut dests = [D::new(1, 1), D::new(2, 0), D::new(3, 3)];
        // Total 4, draws in [0, 4]: 0 and 1 land on server 1, 2..4 on server 3.
        assert_eq!(pick(&dests, [0, 0]), Some(1));
        assert_eq!(pick(&dests, [4, 4]), Some(3));
        // Two different servers: the lighter per weight; on a tie the first draw.
        assert_eq!(pick(&dests, [1, 2]), Some(1));
        dests[0].active = 1;
        assert_eq!(pick(&dests, [1, 2]), Some(3));
        dests[0].weight = 0;
        dests[2].weight = 0;
        assert_eq!(pick(&dests, [0, 0]), None);
    }
}
