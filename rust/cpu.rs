// SPDX-License-Identifier: GPL-2.0

//! CPUs of the machine.
//!
//! C header: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)

use kernel::{
    bindings,
    cpu::{nr_cpu_ids, CpuId},
    cpumask::Cpumask,
};

/// The CPUs that may ever be online, in increasing order (`for_each_possible_cpu`).
pub(crate) fn possible_cpus() -> impl Iterator<Item = u32> {
    // SAFETY: The possible mask is a static that is set up during boot and fixed afterwards.
    let mask = unsafe { Cpumask::from_raw(core::ptr::addr_of!(bindings::__cpu_possible_mask)) };
    (0..nr_cpu_ids()).filter(move |&cpu| CpuId::from_u32(cpu).is_some_and(|id| mask.test(id)))
}
