// SPDX-License-Identifier: GPL-2.0

//! Random numbers from the kernel's pool.
//!
//! C header: [`include/linux/random.h`](srctree/include/linux/random.h)

use kernel::bindings;

/// A uniformly random number below `ceil` (any number for 0), from the per-CPU batches of the
/// kernel's pool: cheap enough for the packet path and callable in any context.
pub(crate) fn random_below(ceil: u32) -> u32 {
    // SAFETY: `__get_random_u32_below` has no preconditions (0 is defined: it returns an
    // unbounded number) and may be called in any context but NMI.
    unsafe { bindings::__get_random_u32_below(ceil) }
}
