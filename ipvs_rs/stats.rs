// SPDX-License-Identifier: GPL-2.0

//! Traffic counters of a namespace, service or real server: per-CPU on the packet path, added
//! up for user space.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

use crate::{glue::percpu::PerCpuCounters, proc_text::Counters};

/// Counters with a zero point (`ipvsadm -Z` moves it; C keeps `kstats0`).
pub(crate) struct Stats {
    per_cpu: PerCpuCounters,
    /// The totals at the last zeroing: conns, inpkts, outpkts, inbytes, outbytes.
    base: [AtomicU64; 5],
}

fn counters(v: [u64; 5]) -> Counters {
    Counters {
        conns: v[0],
        inpkts: v[1],
        outpkts: v[2],
        inbytes: v[3],
        outbytes: v[4],
    }
}

impl Stats {
    /// Zero counters.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            per_cpu: PerCpuCounters::new()?,
            base: [const { AtomicU64::new(0) }; 5],
        })
    }

    /// Counts a new connection.
    pub(crate) fn conn(&self) {
        self.per_cpu.conn();
    }

    /// Counts a packet from client to server.
    pub(crate) fn inbound(&self, bytes: u32) {
        self.per_cpu.inbound(bytes);
    }

    /// Counts a packet from server to client.
    pub(crate) fn outbound(&self, bytes: u32) {
        self.per_cpu.outbound(bytes);
    }

    fn raw_sum(&self) -> [u64; 5] {
        let mut sum = [0u64; 5];
        for cpu in crate::glue::cpu::possible_cpus() {
            for (s, v) in sum.iter_mut().zip(self.per_cpu.cpu(cpu)) {
                *s = s.wrapping_add(v);
            }
        }
        sum
    }

    /// The counts since the last zeroing.
    pub(crate) fn counters(&self) -> Counters {
        let mut v = self.raw_sum();
        for (v, b) in v.iter_mut().zip(&self.base) {
            *v = v.wrapping_sub(b.load(Ordering::Relaxed));
        }
        counters(v)
    }

    /// The raw counts of one CPU (`/proc/net/ip_vs_stats_percpu` shows them unzeroed).
    pub(crate) fn cpu(&self, cpu: u32) -> Counters {
        counters(self.per_cpu.cpu(cpu))
    }

    /// Starts counting from zero again.
    pub(crate) fn zero(&self) {
        for (b, v) in self.base.iter().zip(self.raw_sum()) {
            b.store(v, Ordering::Relaxed);
        }
    }
}
