// SPDX-License-Identifier: GPL-2.0

//! Network namespaces (`struct net`).
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use kernel::{
    bindings,
    types::Opaque, //
};

use super::bindings as glue;

/// A network namespace, borrowed from C.
///
/// # Invariants
///
/// The wrapped `struct net` is alive for the lifetime of every `&Net`.
#[repr(transparent)]
pub(crate) struct Net(Opaque<bindings::net>);

// SAFETY: `struct net` is shared between CPUs by design; `Net` exposes only read access to fields
// that do not change after the namespace is set up.
unsafe impl Sync for Net {}
// SAFETY: See above; a `&Net` may be handed to another thread while the namespace lives.
unsafe impl Send for Net {}

impl Net {
    /// Borrows a `struct net` from C.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `struct net` that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Net {
        // SAFETY: `Net` is `repr(transparent)` over `Opaque<net>`, which has the layout of `net`;
        // the caller guarantees liveness for `'a`.
        unsafe { &*ptr.cast::<Net>() }
    }

    /// Returns the raw pointer for passing to C.
    pub(crate) fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// Whether this namespace belongs to the initial user namespace (so its root is the host's).
    pub(crate) fn owned_by_init_user_ns(&self) -> bool {
        // SAFETY: `self` is a live namespace by the type invariant.
        unsafe { glue::ipvs_rs_net_user_ns_is_init(self.as_raw()) }
    }
}

/// Whether IPv6 is available (built in or loaded, and not disabled on the command line).
pub(crate) fn ipv6_enabled() -> bool {
    // SAFETY: Reads a global flag; no preconditions.
    unsafe { glue::ipvs_rs_ipv6_enabled() }
}
