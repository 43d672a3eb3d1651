// SPDX-License-Identifier: GPL-2.0

//! IPv4 and IPv6 output routes, and the route a real server keeps between packets.
//!
//! C headers: [`include/net/route.h`](srctree/include/net/route.h),
//! [`include/net/ip6_route.h`](srctree/include/net/ip6_route.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h)

use kernel::{
    bindings, new_spinlock_irq,
    prelude::*,
    sync::{rcu, SpinLockIrq},
};

use super::{
    bindings as glue,
    net::{in6_addr, Net},
    netdev::NetDevice,
    rcu::RcuPtr,
    verdict::Family,
};

/// An output route (IPv4 or IPv6), with a reference.
///
/// # Invariants
///
/// `dst` is a valid route of `family` on which `self` holds a reference.
pub(crate) struct Route {
    dst: *mut bindings::dst_entry,
    cookie: u32,
    source: [u8; 16],
    local: bool,
    family: Family,
}

impl Route {
    /// The route this namespace takes to `daddr` (network byte order bytes; IPv4 in the first
    /// four). With `known_nexthop`, `daddr` itself is the next hop even for packets to another
    /// destination (direct routing sends to the real server's link address). With `connect`,
    /// the route is the one from the source address the lookup chose (as a connected socket's;
    /// tunnels send from it), and for IPv6 a route without a source address is none.
    pub(crate) fn output(
        net: &Net,
        family: Family,
        daddr: &[u8; 16],
        known_nexthop: bool,
        connect: bool,
    ) -> Option<Self> {
        let mut source = [0u8; 16];
        let mut local = false;
        let dst = if family.is_ipv6() {
            let daddr = in6_addr(daddr);
            let mut saddr = in6_addr(&[0; 16]);
            // SAFETY: `net` is live; `daddr` is a valid address; the outputs are writable.
            let dst = unsafe {
                glue::ipvs_rs_route_output6(
                    net.as_raw(),
                    &daddr,
                    known_nexthop,
                    connect,
                    &mut saddr,
                    &mut local,
                )
            };
            // SAFETY: Every bit pattern is a valid `u6_addr8`.
            source = unsafe { saddr.in6_u.u6_addr8 };
            dst
        } else {
            let d = u32::from_ne_bytes([daddr[0], daddr[1], daddr[2], daddr[3]]);
            let mut saddr = 0u32;
            // SAFETY: `net` is live; the outputs are writable.
            let dst = unsafe {
                glue::ipvs_rs_route_output4(
                    net.as_raw(),
                    d,
                    known_nexthop,
                    connect,
                    &mut saddr,
                    &mut local,
                )
            };
            source[..4].copy_from_slice(&saddr.to_ne_bytes());
            dst
        };
        if dst.is_null() {
            return None;
        }
        // Read at once, as C does: a route change between the lookup and this read would give
        // the old route the new serial number, and it would pass `still_valid` ever after.
        // SAFETY: `dst` is a valid route, an IPv6 one if `family` says so.
        let cookie = unsafe { glue::ipvs_rs_dst_cookie(dst, family.is_ipv6()) };
        // INVARIANT: a non-null result is a route of `family` and carries a reference.
        Some(Self {
            dst,
            cookie,
            source,
            local,
            family,
        })
    }

    /// The source address the route lookup chose (IPv4 in the first four bytes).
    pub(crate) fn source(&self) -> [u8; 16] {
        self.source
    }

    /// Whether the route delivers locally.
    pub(crate) fn is_local(&self) -> bool {
        self.local
    }

    /// The path MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: `dst` is valid (type invariant).
        unsafe { glue::ipvs_rs_dst_mtu(self.dst) }
    }

    /// Whether the route's MTU is one learnt for its destination, which later learning
    /// changes in the route itself (IPv4 routes only: always `false` for IPv6).
    pub(crate) fn has_learnt_mtu(&self) -> bool {
        // SAFETY: `dst` is valid (type invariant) and, of `Family::Ipv4`, an IPv4 route.
        self.family == Family::Ipv4 && unsafe { glue::ipvs_rs_dst_pmtu4_learnt(self.dst) }
    }

    /// The route's family.
    pub(crate) fn family(&self) -> Family {
        self.family
    }

    /// Gives the route's reference to C: the caller owns it from now on.
    pub(super) fn into_raw(self) -> *mut bindings::dst_entry {
        let dst = self.dst;
        core::mem::forget(self);
        dst
    }

    /// Another handle on the route, unless it is being freed (it was replaced and its last
    /// reference is gone).
    fn try_clone(&self) -> Option<Self> {
        // SAFETY: `dst` is valid (type invariant).
        let held = unsafe { glue::ipvs_rs_dst_hold_safe(self.dst) };
        // INVARIANT: `held`: the new handle has a reference of its own. (Lazily: a handle made
        // without one would give back a reference it does not hold when dropped.)
        held.then(|| Self {
            dst: self.dst,
            cookie: self.cookie,
            source: self.source,
            local: self.local,
            family: self.family,
        })
    }

    /// Whether routing still gives this route (no change of routes or devices made it
    /// obsolete since the lookup).
    fn still_valid(&self) -> bool {
        // SAFETY: `dst` is valid (type invariant).
        unsafe { glue::ipvs_rs_dst_still_valid(self.dst, self.cookie) }
    }

    /// Whether the route's device is going down.
    fn device_down(&self) -> bool {
        // SAFETY: `dst` is valid (type invariant).
        unsafe { glue::ipvs_rs_dst_dev_down(self.dst) }
    }

    /// Whether the route goes through `dev`.
    fn uses_device(&self, dev: &NetDevice) -> bool {
        // SAFETY: `dst` is valid (type invariant); `dev` is live.
        unsafe { glue::ipvs_rs_dst_uses_dev(self.dst, dev.as_raw()) }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: `self` holds a reference (type invariant), given back here.
        unsafe { glue::dst_release(self.dst) }
    }
}

// SAFETY: A route's reference may be given back (`dst_release`) from any context and CPU.
unsafe impl Send for Route {}
// SAFETY: Shared access only reads the route, which C allows from any CPU.
unsafe impl Sync for Route {}

/// A route kept.
struct Kept {
    route: Route,
}

/// The route to one destination, kept between packets so that they do not look it up again
/// (C's `dest_dst` of a real server). Packets read it under RCU without locks; it is looked up
/// again when routing has made it obsolete, and forgotten when its device goes down.
///
/// # Invariants
///
/// A route is kept only while `lock` is held, and only if its device was up and the caller's
/// condition held then; forgetting happens under `lock` too, so that a route checked before a
/// device went down (or before the caller's condition changed) is either seen by the forgetting
/// or refused when it is kept.
pub(crate) struct RouteCache {
    kept: RcuPtr<Kept>,
    lock: Pin<KBox<SpinLockIrq<()>>>,
}

impl RouteCache {
    /// Nothing kept yet.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            kept: RcuPtr::null(),
            lock: KBox::pin_init(new_spinlock_irq!(()), GFP_KERNEL)?,
        })
    }

    /// The kept route if routing has not replaced it, or else the one `lookup` finds, which is
    /// kept if `keep` (read under the lock) allows it and its device is up.
    pub(crate) fn route(
        &self,
        lookup: impl FnOnce() -> Option<Route>,
        keep: impl FnOnce() -> bool,
    ) -> Option<Route> {
        {
            let guard = rcu::read_lock();
            if let Some(k) = self.kept.get(&guard) {
                if k.route.still_valid() {
                    if let Some(route) = k.route.try_clone() {
                        return Some(route);
                    }
                }
            }
        }
        let found = lookup();
        let _held = self.lock.lock();
        let kept = found.as_ref().and_then(|route| {
            if !keep() || route.device_down() {
                return None;
            }
            route.try_clone().map(|route| Kept { route })
        });
        // Without memory for it, nothing is kept (as C does), and the next packet looks again.
        if self.kept.replace(kept, GFP_ATOMIC).is_err() {
            let _ = self.kept.replace(None, GFP_ATOMIC);
        }
        found
    }

    /// Forgets the kept route (the destination's settings changed, or it is no longer used).
    pub(crate) fn forget(&self) {
        let _held = self.lock.lock();
        // Publishing nothing allocates nothing.
        let _ = self.kept.replace(None, GFP_ATOMIC);
    }

    /// Forgets the kept route if it goes through `dev` (which is going down): a kept route
    /// would keep the device from being unregistered.
    pub(crate) fn forget_device(&self, dev: &NetDevice) {
        let _held = self.lock.lock();
        let guard = rcu::read_lock();
        if self
            .kept
            .get(&guard)
            .is_some_and(|k| k.route.uses_device(dev))
        {
            drop(guard);
            let _ = self.kept.replace(None, GFP_ATOMIC);
        }
    }
}
