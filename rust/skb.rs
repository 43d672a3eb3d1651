// SPDX-License-Identifier: GPL-2.0

//! Packets handed to netfilter hooks (`struct sk_buff`), and IPv4 output routes.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/route.h`](srctree/include/net/route.h)

use core::marker::PhantomData;
use kernel::{bindings, prelude::*};

use super::{
    bindings as glue,
    net::Net,
    netfilter::{HookPoint, Stolen, Verdict},
};

/// A packet a hook owns until it returns its verdict.
///
/// At the IPv4 hooks the packet's data starts at its network (IP) header; offsets below are
/// relative to it.
///
/// # Invariants
///
/// `skb` is a valid packet owned by the running hook for `'a`; the methods that consume `self`
/// are the only ones that give it away or free it.
pub(crate) struct HookSkb<'a> {
    skb: *mut bindings::sk_buff,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl HookSkb<'_> {
    /// Takes over a packet netfilter passed to a hook.
    ///
    /// # Safety
    ///
    /// `skb` must be valid and owned by the caller's hook for the lifetime of the result.
    pub(super) unsafe fn from_raw(skb: *mut bindings::sk_buff) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            skb,
            _p: PhantomData,
        }
    }

    /// Length of the packet from its network header (`skb->len`).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_len(self.skb) }
    }

    /// Whether IPVS has already handled the packet (`skb->ipvs_property`).
    pub(crate) fn ipvs_property(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_ipvs_property(self.skb) }
    }

    /// The packet's firewall mark (`skb->mark`), 0 for none.
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_mark(self.skb) }
    }

    /// Marks the packet as handled by IPVS and takes it out of connection tracking.
    pub(crate) fn mark_ipvs(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_mark_ipvs(self.skb) }
    }

    /// Whether the packet is addressed to this host at the link layer (or is sent by it).
    pub(crate) fn for_host(&self, point: HookPoint) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_host_or_local_out(self.skb, point as u32) }
    }

    /// Whether the packet has a route.
    pub(crate) fn has_route(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_has_dst(self.skb) }
    }

    /// Whether the packet's route is an input route (it came from another host). The packet
    /// must have a route.
    pub(crate) fn route_is_input(&self) -> bool {
        // SAFETY: `skb` is valid; every caller checked `has_route` at the hook's start, and no
        // method removes a route without replacing it.
        unsafe { glue::ipvs_rs_skb_route_is_input(self.skb) }
    }

    /// Whether the packet's route delivers locally. The packet must have a route.
    pub(crate) fn route_is_local(&self) -> bool {
        // SAFETY: As in `route_is_input`.
        unsafe { glue::ipvs_rs_skb_route_is_local(self.skb) }
    }

    /// Whether the packet came from this host (no device, or a loopback one).
    pub(crate) fn is_local_origin(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_from_loopback(self.skb) }
    }

    /// Whether a raw socket that asked for no defragmentation sent the packet.
    pub(crate) fn is_nodefrag_socket(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_nodefrag_socket(self.skb) }
    }

    /// Whether the transport checksum is left to the device (`CHECKSUM_PARTIAL`).
    pub(crate) fn checksum_partial(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_csum_partial(self.skb) }
    }

    /// Copies bytes from `offset` into `buf`; `false` if the packet is too short.
    pub(crate) fn copy_bits(&self, offset: u32, buf: &mut [u8]) -> bool {
        let (Ok(offset), Ok(len)) = (i32::try_from(offset), i32::try_from(buf.len())) else {
            return false;
        };
        // SAFETY: `skb` is valid and `buf` has room for `len` bytes; `skb_copy_bits` checks the
        // range against the packet.
        unsafe { bindings::skb_copy_bits(self.skb, offset, buf.as_mut_ptr().cast(), len) == 0 }
    }

    /// The first `len` bytes, made private and linear for rewriting.
    pub(crate) fn writable(&mut self, len: u32) -> Result<&mut [u8]> {
        // SAFETY: `skb` is valid and ours (type invariant).
        let p = unsafe { glue::ipvs_rs_skb_writable(self.skb, len) };
        if p.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: On success the first `len` bytes from the network header are linear and
        // private to this packet, which `&mut self` borrows exclusively.
        Ok(unsafe { core::slice::from_raw_parts_mut(p.cast::<u8>(), len as usize) })
    }

    /// Sends an ICMP error about this packet to its sender.
    pub(crate) fn icmp_send(&self, ty: u8, code: u8, info: u32) {
        // SAFETY: `skb` is valid (type invariant); `icmp_send` only reads it.
        unsafe { glue::ipvs_rs_icmp_send(self.skb, ty.into(), code.into(), info.to_be()) }
    }

    /// Tells the sender its destination is unreachable by route (link failure).
    pub(crate) fn link_failure(&mut self) {
        // SAFETY: `skb` is valid and ours, and has a route (see `route_is_input`).
        unsafe { glue::ipvs_rs_skb_link_failure(self.skb) }
    }

    /// Whether the packet is longer than `mtu` (and cannot be segmented to fit).
    pub(crate) fn exceeds_mtu(&self, mtu: u32) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_exceeds_mtu(self.skb, mtu) }
    }

    /// Makes room in front of the packet for the link-layer header of its route's device.
    pub(crate) fn reserve_link_header(&mut self) -> Result {
        // SAFETY: `skb` is valid, ours and routed (see `route_is_input`).
        kernel::error::to_result(unsafe { glue::ipvs_rs_skb_cow_for_dst(self.skb) })
    }

    /// Notes that the transport checksum was updated in place: a device-computed full sum
    /// (`CHECKSUM_COMPLETE`) no longer matches.
    pub(crate) fn checksum_rewritten(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_csum_rewritten(self.skb) }
    }

    /// Notes that every checksum of the packet was verified or computed here
    /// (`CHECKSUM_UNNECESSARY`).
    pub(crate) fn checksum_verified(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_csum_unnecessary(self.skb) }
    }

    /// Lets the packet be fragmented on output even with the don't-fragment flag, instead of
    /// answering it with an ICMP error (for packets whose MTU was already checked, and for
    /// forwarded ICMP errors).
    pub(crate) fn ignore_df(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_ignore_df(self.skb) }
    }

    /// Replaces the packet's route.
    pub(crate) fn set_route(&mut self, route: Route) {
        let rt = route.rt;
        core::mem::forget(route);
        // SAFETY: `skb` is valid and ours; the packet takes over the route's reference.
        unsafe { glue::ipvs_rs_skb_set_route(self.skb, rt) }
    }

    /// Makes `len` bytes of private room in front of the packet, for headers to be pushed.
    pub(crate) fn reserve_headroom(&mut self, len: u32) -> Result {
        // SAFETY: `skb` is valid and ours (type invariant).
        kernel::error::to_result(unsafe { glue::ipvs_rs_skb_cow_head(self.skb, len) })
    }

    /// For a packet whose transport checksum a device is to compute: where the summed data
    /// starts (from the network header) and where in it the sum goes.
    pub(crate) fn partial_checksum(&self) -> Option<(u32, u16)> {
        let (mut start, mut offset) = (0i32, 0u16);
        // SAFETY: `skb` is valid (type invariant); both outputs are writable.
        let partial =
            unsafe { glue::ipvs_rs_skb_csum_partial_offsets(self.skb, &mut start, &mut offset) };
        (partial && start >= 0).then_some((start as u32, offset))
    }

    /// Prepares the packet to be encapsulated: segmentation offloads of `encap`, and the
    /// current packet recorded as the inner one, of protocol `inner_protocol`.
    pub(crate) fn start_encapsulation(&mut self, encap: Encap, inner_protocol: u8) -> Result {
        let gso = match encap {
            Encap::Ipip => 0,
            Encap::Udp { checksum, remote } => {
                let mut gso = if checksum {
                    bindings::SKB_GSO_UDP_TUNNEL_CSUM
                } else {
                    bindings::SKB_GSO_UDP_TUNNEL
                };
                if remote {
                    gso |= bindings::SKB_GSO_TUNNEL_REMCSUM;
                }
                gso
            }
            Encap::Gre { checksum: true } => bindings::SKB_GSO_GRE_CSUM,
            Encap::Gre { checksum: false } => bindings::SKB_GSO_GRE,
        } | bindings::SKB_GSO_IPXIP4;
        // SAFETY: `skb` is valid and ours (type invariant).
        kernel::error::to_result(unsafe {
            glue::ipvs_rs_skb_tunnel_offloads(self.skb, gso, inner_protocol)
        })
    }

    /// Leaves the inner transport checksum to the receiver (remote checksum offload).
    pub(crate) fn checksum_remote(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_csum_remote(self.skb) }
    }

    /// Pushes `len` bytes in front of the packet as its transport header and returns them to
    /// be filled in; `Err` without the headroom or if the head is shared with a clone (see
    /// [`HookSkb::reserve_headroom`]).
    pub(crate) fn push_transport(&mut self, len: u32) -> Result<&mut [u8]> {
        // SAFETY: `skb` is valid and ours (type invariant).
        let p = unsafe { glue::ipvs_rs_skb_push_transport(self.skb, len) };
        if p.is_null() {
            return Err(ENOBUFS);
        }
        // SAFETY: `p` points to `len` bytes of the packet's head, which the helper checked is
        // not shared with a clone; only this `&mut self` can reach them while the slice lives.
        Ok(unsafe { core::slice::from_raw_parts_mut(p.cast::<u8>(), len as usize) })
    }

    /// The UDP source port the kernel's UDP tunnels give this flow (from its hash).
    pub(crate) fn udp_flow_source_port(&mut self, net: &Net) -> [u8; 2] {
        // SAFETY: `skb` is valid and ours; `net` is live.
        unsafe { glue::ipvs_rs_udp_flow_src_port(net.as_raw(), self.skb) }.to_ne_bytes()
    }

    /// Sets the checksum of the UDP header just pushed for a datagram from `saddr` to `daddr`
    /// (zero, none, when `!checksum`).
    pub(crate) fn set_udp_checksum(&mut self, checksum: bool, saddr: [u8; 4], daddr: [u8; 4]) {
        let (s, d) = (u32::from_ne_bytes(saddr), u32::from_ne_bytes(daddr));
        // SAFETY: `skb` is valid and ours, its transport header the UDP header just pushed.
        unsafe { glue::ipvs_rs_udp_tunnel_csum(self.skb, !checksum, s, d) }
    }

    /// Pushes a GRE header for an inner packet of `ethertype`, with a checksum if `checksum`.
    pub(crate) fn push_gre(&mut self, checksum: bool, ethertype: u16) -> Result {
        // SAFETY: `skb` is valid and ours (type invariant).
        kernel::error::to_result(unsafe {
            glue::ipvs_rs_skb_push_gre(self.skb, checksum, ethertype.to_be())
        })
    }

    /// Pushes `header` as the packet's new IPv4 header, with an ID chosen for it as for any
    /// datagram; its length and checksum are filled in by [`HookSkb::send_encapsulated`].
    pub(crate) fn push_ipv4(&mut self, net: &Net, header: &[u8; 20]) -> Result {
        // SAFETY: `skb` is valid and ours; `header` is the 20 bytes of an IPv4 header; `net` is
        // live.
        kernel::error::to_result(unsafe {
            glue::ipvs_rs_skb_push_ipv4(net.as_raw(), self.skb, header.as_ptr().cast())
        })
    }

    /// Tells a local sender's socket the smaller path MTU of a tunnel (through the packet's
    /// current route, if it has one).
    pub(crate) fn update_pmtu(&mut self, mtu: u32) {
        // SAFETY: `skb` is valid and ours (type invariant); the helper checks for a route.
        unsafe { glue::ipvs_rs_skb_update_pmtu(self.skb, mtu) }
    }

    /// Sends an encapsulated packet on its route as a new datagram of this host.
    pub(crate) fn send_encapsulated(self, net: &Net) -> Verdict {
        // SAFETY: `skb` is valid and ours, routed, with its new IPv4 header; handed over here.
        unsafe { glue::ipvs_rs_skb_tunnel_out(net.as_raw(), self.skb) };
        Verdict::Stolen(Stolen(()))
    }

    /// Routes a reply again as if this host had sent it; `Err` if that fails.
    pub(crate) fn reroute_as_local(&mut self, net: &Net) -> Result {
        // SAFETY: `skb` is valid, ours and routed; `net` is live.
        kernel::error::to_result(unsafe { glue::ipvs_rs_skb_reroute4(net.as_raw(), self.skb) })
    }

    /// Reassembles an IPv4 datagram from this fragment: the whole datagram, or `Err` with the
    /// verdict when the fragment was kept for later (or dropped).
    pub(crate) fn defrag(self, net: &Net, point: HookPoint) -> Result<Self, Verdict> {
        // SAFETY: `skb` is valid and ours; `net` is live. On failure `ip_defrag` took the packet.
        if unsafe { glue::ipvs_rs_skb_defrag4(net.as_raw(), self.skb, point as u32) } == 0 {
            Ok(self)
        } else {
            Err(Verdict::Stolen(Stolen(())))
        }
    }

    /// Sends the packet on its (new) route through `LOCAL_OUT`. `from_other_host` drops an
    /// early-demultiplexed socket of the packet's old addresses.
    pub(crate) fn send(self, net: &Net, from_other_host: bool) -> Verdict {
        // SAFETY: `skb` is valid and ours, routed by `set_route`; it is handed over here.
        unsafe { glue::ipvs_rs_skb_local_out(net.as_raw(), self.skb, from_other_host) };
        Verdict::Stolen(Stolen(()))
    }

    /// Frees the packet (it was dropped after the hook had started changing it).
    pub(crate) fn free(self) -> Verdict {
        // SAFETY: `skb` is valid and ours; it is not used again.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null_mut(),
                self.skb,
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
        Verdict::Stolen(Stolen(()))
    }
}

/// An outer header a packet is put in (offloads must know it).
#[derive(Clone, Copy)]
pub(crate) enum Encap {
    /// IP in IP.
    Ipip,
    /// IP in UDP (GUE): with a UDP checksum, with the inner checksum left to the receiver.
    Udp { checksum: bool, remote: bool },
    /// IP in GRE, with a GRE checksum or without.
    Gre { checksum: bool },
}

/// Increments the namespace's IP header error counter (`IPSTATS_MIB_INHDRERRORS`).
pub(crate) fn count_header_error(net: &Net) {
    // SAFETY: `net` is live.
    unsafe { glue::ipvs_rs_ip_inc_inhdrerrors(net.as_raw()) }
}

/// An IPv4 output route, with a reference.
///
/// # Invariants
///
/// `rt` is a valid route on which `self` holds a reference.
pub(crate) struct Route {
    rt: *mut glue::rtable,
    source: [u8; 4],
}

impl Route {
    /// The route this namespace takes to `daddr` (network byte order bytes). With
    /// `known_nexthop`, `daddr` itself is the next hop even for packets to another destination
    /// (direct routing sends to the real server's link address). With `connect`, the route is
    /// the one from the source address the first lookup chose (as a connected socket's).
    pub(crate) fn output_v4(
        net: &Net,
        daddr: [u8; 4],
        known_nexthop: bool,
        connect: bool,
    ) -> Option<Self> {
        let daddr = u32::from_ne_bytes(daddr);
        let mut saddr = 0u32;
        // SAFETY: `net` is live; `saddr` is writable.
        let rt = unsafe {
            glue::ipvs_rs_route_output4(net.as_raw(), daddr, known_nexthop, connect, &mut saddr)
        };
        // INVARIANT: a non-null result carries a reference.
        (!rt.is_null()).then_some(Self {
            rt,
            source: saddr.to_ne_bytes(),
        })
    }

    /// The source address the route lookup chose.
    pub(crate) fn source(&self) -> [u8; 4] {
        self.source
    }

    /// Whether the route delivers locally.
    pub(crate) fn is_local(&self) -> bool {
        // SAFETY: `rt` is valid (type invariant).
        unsafe { glue::ipvs_rs_rt_is_local(self.rt) }
    }

    /// The path MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: `rt` is valid (type invariant).
        unsafe { glue::ipvs_rs_rt_mtu(self.rt) }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: `self` holds a reference (type invariant), given back here.
        unsafe { glue::ipvs_rs_rt_put(self.rt) }
    }
}
