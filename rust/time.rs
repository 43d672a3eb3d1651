// SPDX-License-Identifier: GPL-2.0

//! Kernel time units.

/// Timer ticks per second (jiffies per second).
///
/// Not `kernel::bindings::HZ`: bindgen takes that from the uapi `asm-generic/param.h`, where it
/// is the user-space `USER_HZ` (100), whatever the kernel's tick rate.
pub(crate) const HZ: u32 = kernel::bindings::CONFIG_HZ;
