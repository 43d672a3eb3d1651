// SPDX-License-Identifier: GPL-2.0

//! Per-CPU traffic counters (`alloc_percpu` of a struct of `u64`s).
//!
//! Each CPU increments its own copy without locks or atomics; readers add the copies up.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use kernel::prelude::*;

use super::bindings as glue;

/// A set of per-CPU counters.
///
/// # Invariants
///
/// `ptr` is a live per-CPU allocation of `ipvs_rs_counters`, owned by `self`.
pub(crate) struct PerCpuCounters {
    ptr: *mut glue::ipvs_rs_counters,
}

// SAFETY: Each CPU writes only its own copy, with preemption-safe `this_cpu` operations; readers
// read whole words.
unsafe impl Send for PerCpuCounters {}
// SAFETY: See `Send`.
unsafe impl Sync for PerCpuCounters {}

impl PerCpuCounters {
    /// Zeroed counters for every possible CPU.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: No preconditions; may sleep (process context).
        let ptr = unsafe { glue::ipvs_rs_counters_alloc() };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: a fresh allocation, owned here.
        Ok(Self { ptr })
    }

    /// Counts a new connection on this CPU.
    pub(crate) fn conn(&self) {
        // SAFETY: `ptr` is live (type invariant).
        unsafe { glue::ipvs_rs_counters_conn(self.ptr) }
    }

    /// Counts an incoming packet of `bytes` on this CPU.
    pub(crate) fn inbound(&self, bytes: u32) {
        // SAFETY: `ptr` is live (type invariant).
        unsafe { glue::ipvs_rs_counters_in(self.ptr, bytes) }
    }

    /// Counts an outgoing packet of `bytes` on this CPU.
    pub(crate) fn outbound(&self, bytes: u32) {
        // SAFETY: `ptr` is live (type invariant).
        unsafe { glue::ipvs_rs_counters_out(self.ptr, bytes) }
    }

    /// The counts of `cpu` (a possible CPU): connections, packets in, packets out, bytes in,
    /// bytes out.
    pub(crate) fn cpu(&self, cpu: u32) -> [u64; 5] {
        let mut t = glue::ipvs_rs_counters {
            conns: 0,
            inpkts: 0,
            outpkts: 0,
            inbytes: 0,
            outbytes: 0,
        };
        // SAFETY: `ptr` is live (type invariant) and `cpu` is a possible CPU, so its copy exists.
        unsafe { glue::ipvs_rs_counters_read(self.ptr, cpu as i32, &mut t) };
        [t.conns, t.inpkts, t.outpkts, t.inbytes, t.outbytes]
    }
}

impl Drop for PerCpuCounters {
    fn drop(&mut self) {
        // SAFETY: `ptr` is owned by `self` (type invariant) and not used again.
        unsafe { glue::ipvs_rs_counters_free(self.ptr) }
    }
}
