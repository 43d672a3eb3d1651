// SPDX-License-Identifier: GPL-2.0

//! Network namespaces (`struct net`).
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use kernel::{bindings, ffi::c_uint, prelude::*, types::Opaque};

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

    /// The initial namespace.
    pub(crate) fn init() -> &'static Net {
        // SAFETY: `init_net` is static and lives forever.
        unsafe { Net::from_raw(core::ptr::addr_of_mut!(bindings::init_net)) }
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        core::ptr::eq(self.as_raw(), Net::init().as_raw())
    }

    /// Whether this namespace belongs to the initial user namespace (so its root is the host's).
    pub(crate) fn owned_by_init_user_ns(&self) -> bool {
        // SAFETY: `self` is a live namespace by the type invariant.
        unsafe { glue::ipvs_rs_net_user_ns_is_init(self.as_raw()) }
    }
}

/// `RTN_UNICAST`: a route type (`include/uapi/linux/rtnetlink.h`).
const RTN_UNICAST: c_uint = 1;
/// `RTN_LOCAL`.
const RTN_LOCAL: c_uint = 2;

impl Net {
    /// The MTU of the network device called `name` in this namespace, if there is one.
    pub(crate) fn netdev_mtu(&self, name: &CStr) -> Option<u32> {
        // SAFETY: `self` is live (type invariant) and `name` is NUL-terminated.
        let mtu = unsafe { glue::ipvs_rs_netdev_mtu(self.as_raw(), name.as_char_ptr()) };
        u32::try_from(mtu).ok()
    }

    /// Whether this namespace routes `addr` as a unicast or a local address (not broadcast,
    /// multicast, or otherwise unroutable): what IPVS requires of a new real server.
    pub(crate) fn ipv4_unicast_or_local(&self, addr: [u8; 4]) -> bool {
        // SAFETY: `self` is live (type invariant).
        let ty = unsafe { glue::inet_addr_type(self.as_raw(), u32::from_ne_bytes(addr)) };
        ty == RTN_UNICAST || ty == RTN_LOCAL
    }

    /// The IPv6 counterpart of [`Net::ipv4_unicast_or_local`]: a global unicast address, or one
    /// this namespace owns (routed through a loopback device).
    pub(crate) fn ipv6_unicast_or_local(&self, addr: &[u8; 16]) -> bool {
        let addr = in6_addr(addr);
        // SAFETY: `addr` is a valid `in6_addr`.
        let ty = unsafe { glue::ipvs_rs_ipv6_addr_type(&addr) } as c_uint;
        let unicast = ty & glue::IPV6_ADDR_UNICAST != 0 && ty & glue::IPV6_ADDR_LINKLOCAL == 0;
        // SAFETY: `self` is live (type invariant) and `addr` is a valid `in6_addr`.
        unicast || unsafe { glue::ipvs_rs_ipv6_addr_is_local(self.as_raw(), &addr) }
    }
}

/// `addr` as a `struct in6_addr`: a copy with the alignment C expects (helpers read it as 32-bit
/// words).
pub(crate) fn in6_addr(addr: &[u8; 16]) -> bindings::in6_addr {
    bindings::in6_addr {
        in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *addr },
    }
}

/// Whether IPv6 is available (built in or loaded, and not disabled on the command line).
pub(crate) fn ipv6_enabled() -> bool {
    // SAFETY: Reads a global flag; no preconditions.
    unsafe { glue::ipvs_rs_ipv6_enabled() }
}
