// SPDX-License-Identifier: GPL-2.0

//! C's rate estimator (`ip_vs_est.c`), as arithmetic: every 2 seconds the per-CPU counters are
//! added up into a snapshot, and each rate moves a quarter of the way towards the rate of the
//! last 2 seconds (an average over about 8 seconds).
//!
//! User space sees the snapshot, not the live counters, and zeroing moves the zero point to the
//! snapshot, exactly as C's `kstats`/`kstats0` do, so readers see the same numbers from both.

use crate::ctl::proc_text::{Counters, Rates};

/// How often [`Estimator::estimate`] is called, in seconds.
pub(crate) const PERIOD_SECS: u32 = 2;

/// The estimator of one set of counters (`ip_vs_estimator` with `kstats` and `kstats0`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Estimator {
    /// The totals at the last estimation: conns, inpkts, outpkts, inbytes, outbytes.
    snapshot: [u64; 5],
    /// The snapshot at the last zeroing.
    zero: [u64; 5],
    /// The totals the last rates were computed from.
    last: [u64; 5],
    /// Averaged rates: per-second counts scaled by 2^10 (conns, packets) and 2^5 (bytes).
    avg: [u64; 5],
}

/// Scale of each averaged rate, as a shift: the difference over 2 s shifted left by this gives
/// the per-second rate at the scale [`Estimator::rates`] undoes.
const SCALE_SHIFT: [u32; 5] = [9, 9, 9, 4, 4];

impl Estimator {
    /// Takes `totals` (the per-CPU counters added up) as the new snapshot and updates the rates.
    pub(crate) fn estimate(&mut self, totals: [u64; 5]) {
        self.snapshot = totals;
        for i in 0..5 {
            let rate = totals[i].wrapping_sub(self.last[i]) << SCALE_SHIFT[i];
            self.last[i] = totals[i];
            // `avg += (rate - avg) >> 2` in signed arithmetic: the shift rounds towards minus
            // infinity, as C's shift of an `s64` does.
            let step = (rate as i64).wrapping_sub(self.avg[i] as i64) >> 2;
            self.avg[i] = self.avg[i].wrapping_add(step as u64);
        }
    }

    /// The counts of the snapshot since the last zeroing.
    pub(crate) fn counters(&self) -> Counters {
        let c = |i: usize| self.snapshot[i].wrapping_sub(self.zero[i]);
        Counters {
            conns: c(0),
            inpkts: c(1),
            outpkts: c(2),
            inbytes: c(3),
            outbytes: c(4),
        }
    }

    /// The rates per second, rounded as `ip_vs_read_estimator` rounds them.
    pub(crate) fn rates(&self) -> Rates {
        let pps = |v: u64| v.wrapping_add(0x1ff) >> 10;
        let bps = |v: u64| v.wrapping_add(0xf) >> 5;
        Rates {
            cps: pps(self.avg[0]),
            inpps: pps(self.avg[1]),
            outpps: pps(self.avg[2]),
            inbps: bps(self.avg[3]),
            outbps: bps(self.avg[4]),
        }
    }

    /// `ip_vs_zero_stats`: the snapshot becomes the zero point and the rates restart from
    /// zero.
    pub(crate) fn zero(&mut self) {
        self.zero = self.snapshot;
        self.last = self.snapshot;
        self.avg = [0; 5];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_come_from_the_snapshot_and_zero_moves_to_it() {
        let mut e = Estimator::default();
        e.estimate([3, 30, 20, 3000, 2000]);
        assert_eq!(e.counters().inpkts, 30);
        e.zero();
        assert_eq!(e.counters(), Counters::default());
        e.estimate([4, 40, 25, 4000, 2500]);
        assert_eq!(e.counters().conns, 1);
        assert_eq!(e.counters().outbytes, 500);
    }

    #[test]
    fn rates_converge_like_c() {
        // A steady 100 packets/s and 6400 bytes/s: 200 and 12800 per 2-second period.
        let mut e = Estimator::default();
        let mut t = [0u64; 5];
        for _ in 0..40 {
            t[1] += 200;
            t[3] += 12800;
            e.estimate(t);
        }
        assert_eq!(e.rates().inpps, 100);
        assert_eq!(e.rates().inbps, 6400);
        assert_eq!(e.rates().cps, 0);
        // After one period the average is a quarter of the rate: C's first reading.
        let mut e = Estimator::default();
        e.estimate([0, 200, 0, 12800, 0]);
        assert_eq!(e.rates().inpps, 25);
        assert_eq!(e.rates().inbps, 1600);
        // When traffic stops the rates decay back to zero.
        for _ in 0..100 {
            e.estimate([0, 200, 0, 12800, 0]);
        }
        assert_eq!(e.rates(), Rates::default());
    }

    #[test]
    fn estimates_every_two_seconds_like_c() {
        // ip_vs.h: "Estimation uses a 2-second period" (IPVS_EST_TICK = (2 * HZ) /
        // IPVS_EST_NTICKS, over IPVS_EST_NTICKS ticks); ip_vs_est.c turns each period's
        // difference into a per-second rate by `<< 9` (2^10 / 2) and `<< 4` (2^5 / 2).
        assert_eq!(PERIOD_SECS, 2);
        // A steady 50 connections/s and 3000 bytes/s, estimated once per period, reads back as
        // exactly those rates once converged.
        let mut e = Estimator::default();
        let mut t = [0u64; 5];
        for _ in 0..60 {
            t[0] += 50 * u64::from(PERIOD_SECS);
            t[4] += 3000 * u64::from(PERIOD_SECS);
            e.estimate(t);
        }
        assert_eq!((e.rates().cps, e.rates().outbps), (50, 3000));
    }
}
