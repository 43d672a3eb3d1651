// SPDX-License-Identifier: GPL-2.0

//! Weighted round robin (`wrr`): passes over the list with a falling weight threshold, so that
//! a server of weight `w` gets `w` of every `max weight` rounds (interleaved, as C does it).

use super::{Candidate, Flow, Scheduler};

/// The scan state (C's `struct ip_vs_wrr_mark`).
pub(crate) struct WeightedRoundRobin {
    /// Index of the server picked last; `None` is the list head. Every change of the list
    /// resets it, as in C.
    cursor: Option<usize>,
    /// Current weight threshold.
    cw: i32,
    /// Highest weight, less the step plus one (`max - (gcd - 1)`).
    mw: i32,
    /// The step: gcd of the positive weights (1 if none).
    di: i32,
}

impl Default for WeightedRoundRobin {
    fn default() -> Self {
        // A new service has no servers: gcd 1, max weight 0.
        Self {
            cursor: None,
            cw: 0,
            mw: 0,
            di: 1,
        }
    }
}

fn gcd(mut a: i32, mut b: i32) -> i32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl WeightedRoundRobin {
    /// `ip_vs_wrr_dest_changed`: restart from the head with the new weights.
    fn changed<C: Candidate>(&mut self, dests: &[C]) {
        self.cursor = None;
        self.di = dests
            .iter()
            .map(|d| d.weight())
            .filter(|&w| w > 0)
            .fold(0, |g, w| if g > 0 { gcd(w, g) } else { w });
        if self.di == 0 {
            self.di = 1;
        }
        let max = dests.iter().map(|d| d.weight()).fold(0, i32::max);
        self.mw = max - (self.di - 1);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }
}

impl Scheduler for WeightedRoundRobin {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        if self.mw == 0 {
            return None;
        }
        let last = self.cursor.filter(|&i| i < dests.len());
        let mut pos = last;
        let mut stop = None;
        let (mut last_pass, mut restarted) = (false, false);
        loop {
            let start = pos.map_or(0, |p| p + 1);
            for (i, d) in dests.iter().enumerate().skip(start) {
                if !d.overloaded() && d.weight() >= self.cw {
                    self.cursor = Some(i);
                    return Some(i);
                }
                if stop == Some(i) {
                    // Every server was tried down to weight 1: all are overloaded.
                    self.cursor = Some(i);
                    return None;
                }
            }
            pos = None;
            self.cw -= self.di;
            if self.cw <= 0 {
                self.cw = self.mw;
                if last_pass || last.is_none() {
                    self.cursor = None;
                    return None;
                }
                restarted = true;
            }
            last_pass = self.cw <= self.di;
            if last_pass && restarted && last.is_some() {
                // The pass for weight 1 so far covered only the servers after the cursor.
                stop = last;
            }
        }
    }

    fn dests_changed<C: Candidate>(&mut self, dests: &[C]) {
        self.changed(dests);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{picks, D};
    use super::*;

    #[test]
    fn interleaves_by_weight() {
        let mut wrr = WeightedRoundRobin::default();
        let dests = [D::new(1, 4), D::new(2, 3), D::new(3, 2)];
        wrr.dest_added(&dests);
        // Thresholds 4, 3, 2, 1 per round of 9 picks.
        assert_eq!(
            picks(&mut wrr, &dests, 18),
            [1, 1, 2, 1, 2, 3, 1, 2, 3, 1, 1, 2, 1, 2, 3, 1, 2, 3]
        );
    }

    #[test]
    fn gcd_steps_and_quiesced_servers() {
        let mut wrr = WeightedRoundRobin::default();
        let dests = [D::new(1, 4), D::new(2, 2), D::new(3, 0)];
        wrr.dest_added(&dests);
        assert_eq!((wrr.di, wrr.mw, wrr.cw), (2, 3, 3));
        assert_eq!(picks(&mut wrr, &dests, 6), [1, 1, 2, 1, 1, 2]);
        let none = [D::new(3, 0)];
        wrr.dest_removed(&none, 0);
        assert_eq!(picks(&mut wrr, &none, 1), []);
    }

    #[test]
    fn all_overloaded_gives_none_and_recovers() {
        let mut wrr = WeightedRoundRobin::default();
        let mut dests = [D::new(1, 2), D::new(2, 1)];
        wrr.dest_added(&dests);
        assert_eq!(picks(&mut wrr, &dests, 1), [1]);
        dests[0].overloaded = true;
        dests[1].overloaded = true;
        assert_eq!(picks(&mut wrr, &dests, 1), []);
        dests[1].overloaded = false;
        assert_eq!(picks(&mut wrr, &dests, 2), [2, 2]);
    }
}
