// SPDX-License-Identifier: GPL-2.0

//! Traffic counters of a namespace, service or real server: per-CPU on the packet path, added
//! up every 2 seconds by the estimator into the snapshot and rates user space reads.

use kernel::{new_spinlock_irq, prelude::*, sync::SpinLockIrq};

use crate::{
    ctl::proc_text::{Counters, Rates},
    glue::percpu::PerCpuCounters,
    stats::estimator::Estimator,
};

pub(crate) mod estimator;

/// Live per-CPU counters and their estimator.
pub(crate) struct Stats {
    per_cpu: PerCpuCounters,
    /// Taken by the estimator's timer and by readers and zeroing in process context.
    est: Pin<KBox<SpinLockIrq<Estimator>>>,
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
            est: KBox::pin_init(new_spinlock_irq!(Estimator::default()), GFP_KERNEL)?,
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

    /// Adds up the per-CPU counters into the snapshot and updates the rates (every 2 s).
    pub(crate) fn estimate(&self) {
        let totals = self.raw_sum();
        self.est.lock().estimate(totals);
    }

    /// The counts of the last snapshot since the last zeroing, and the rates.
    pub(crate) fn read(&self) -> (Counters, Rates) {
        let e = self.est.lock();
        (e.counters(), e.rates())
    }

    /// The raw counts of one CPU (`/proc/net/ip_vs_stats_percpu` shows them live and unzeroed).
    pub(crate) fn cpu(&self, cpu: u32) -> Counters {
        counters(self.per_cpu.cpu(cpu))
    }

    /// Starts counting from zero again (from the last snapshot, as C does).
    pub(crate) fn zero(&self) {
        self.est.lock().zero();
    }
}
