// SPDX-License-Identifier: GPL-2.0

//! Memory statistics.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use kernel::{bindings, ffi::c_ulong};

/// Free pages in the zones buffers may use (`nr_free_buffer_pages`), for sizing queues.
pub(crate) fn nr_free_buffer_pages() -> c_ulong {
    // SAFETY: Reads memory statistics; no preconditions.
    unsafe { bindings::nr_free_buffer_pages() }
}
