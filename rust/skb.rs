// SPDX-License-Identifier: GPL-2.0

//! Packets handed to netfilter hooks (`struct sk_buff`), and IPv4 and IPv6 output routes.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/route.h`](srctree/include/net/route.h),
//! [`include/net/ip6_route.h`](srctree/include/net/ip6_route.h)

use core::marker::PhantomData;
use kernel::{bindings, prelude::*};

pub(crate) use super::route::Route;
use super::{
    bindings as glue,
    net::{in6_addr, Net},
    verdict::{Family, HookPoint, Stolen, Verdict},
};

/// A packet a hook owns until it returns its verdict.
///
/// At the IPv4 and IPv6 hooks the packet's data starts at its network (IP) header; offsets
/// below are relative to it. The packet knows the family of that header: methods that differ
/// between the families follow it, and those for one family only do nothing for the other.
/// Methods that use the packet's route do without one if it has none.
///
/// # Invariants
///
/// `skb` is a valid packet owned by the running hook for `'a`; the methods that consume `self`
/// are the only ones that give it away or free it. Its data starts at a network header of
/// `family`; its route, if it has one, is of `route_family`.
pub(crate) struct HookSkb<'a> {
    skb: *mut bindings::sk_buff,
    family: Family,
    route_family: Family,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl HookSkb<'_> {
    /// Takes over a packet netfilter passed to a hook.
    ///
    /// # Safety
    ///
    /// `skb` must be valid and owned by the caller's hook for the lifetime of the result, and
    /// its data must start at a network header of `family`, and its route, if any, be of
    /// `family` (as at a netfilter hook of that family).
    pub(super) unsafe fn from_raw(skb: *mut bindings::sk_buff, family: Family) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            skb,
            family,
            route_family: family,
            _p: PhantomData,
        }
    }

    /// The family of the packet's network header.
    pub(crate) fn family(&self) -> Family {
        self.family
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

    /// Whether the packet has an IPv4 route that is an input route (it came from another
    /// host).
    pub(crate) fn route_is_input(&self) -> bool {
        // SAFETY: `skb` is valid and its route, if any, is an IPv4 one (type invariant); the
        // helper checks there is one.
        self.route_family == Family::Ipv4 && unsafe { glue::ipvs_rs_skb_route_is_input(self.skb) }
    }

    /// Whether the packet has a route that delivers it locally.
    pub(crate) fn route_is_local(&self) -> bool {
        // SAFETY: `skb` is valid and its route, if any, of `route_family` (type invariant); the
        // helper checks there is one.
        unsafe { glue::ipvs_rs_skb_route_is_local(self.skb, self.route_family.is_ipv6()) }
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

    /// The whole packet, made linear (`skb_linearize`): for reading payloads.
    pub(crate) fn linear(&mut self) -> Result<&[u8]> {
        // SAFETY: `skb` is valid and ours (type invariant).
        let p = unsafe { glue::ipvs_rs_skb_linear(self.skb) };
        if p.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: On success the packet's `len()` bytes from the network header, where its
        // data starts at the hooks, are linear; `&mut self` keeps them from changing.
        Ok(unsafe { core::slice::from_raw_parts(p.cast::<u8>(), self.len() as usize) })
    }

    /// Sends an ICMP error about this IPv4 packet to its sender.
    pub(crate) fn icmp_send(&self, ty: u8, code: u8, info: u32) {
        if self.family != Family::Ipv4 {
            return;
        }
        // SAFETY: `skb` is valid (type invariant) and starts at an IPv4 header; `icmp_send`
        // only reads it.
        unsafe { glue::ipvs_rs_icmp_send(self.skb, ty.into(), code.into(), info.to_be()) }
    }

    /// Sends an ICMPv6 error about this packet to its sender, from the address of the device
    /// of the packet's route if `from_route`, else from that of the device it came in on (for
    /// a local packet, the loopback device).
    /// Nothing for an IPv4 packet.
    pub(crate) fn icmpv6_send(&mut self, net: &Net, ty: u8, code: u8, info: u32, from_route: bool) {
        if self.family != Family::Ipv6 {
            return;
        }
        // SAFETY: `skb` is valid and ours, and starts at an IPv6 header; `net` is live; the
        // helper takes the route's device only if there is a route.
        unsafe { glue::ipvs_rs_icmpv6_send(net.as_raw(), self.skb, ty, code, info, from_route) }
    }

    /// Tells the sender of a routed IPv6 packet that its hop limit ran out, and counts a header
    /// error. Nothing for an IPv4 packet.
    pub(crate) fn hop_limit_exceeded(&mut self, net: &Net) {
        if self.family != Family::Ipv6 {
            return;
        }
        // SAFETY: `skb` is valid and ours, and starts at an IPv6 header; `net` is live; the
        // helper takes the route's device only if there is a route.
        unsafe { glue::ipvs_rs_ipv6_hop_limit_exceeded(net.as_raw(), self.skb) }
    }

    /// The transport header of the IPv6 packet at `at` (0 for the packet itself; more for one
    /// an ICMPv6 error quotes), past its extension headers. `None` if the headers cannot be
    /// walked.
    pub(crate) fn ipv6_transport(&self, at: u32) -> Option<Ipv6Transport> {
        let (mut offset, mut fragoffs, mut fragment_header) = (at, 0u16, false);
        // SAFETY: `skb` is valid (type invariant); the outputs are writable.
        let proto = unsafe {
            glue::ipvs_rs_ipv6_find_transport(
                self.skb,
                &mut offset,
                &mut fragoffs,
                &mut fragment_header,
            )
        };
        Some(Ipv6Transport {
            protocol: u8::try_from(proto).ok()?,
            offset,
            later_fragment: fragoffs != 0,
            fragment_header,
        })
    }

    /// Tells the sender its destination is unreachable by route (link failure); nothing if the
    /// packet has no route.
    pub(crate) fn link_failure(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant); the helper checks for a route.
        unsafe { glue::ipvs_rs_skb_link_failure(self.skb) }
    }

    /// Whether the packet is longer than `mtu` (and cannot be segmented to fit).
    pub(crate) fn exceeds_mtu(&self, mtu: u32) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { glue::ipvs_rs_skb_exceeds_mtu(self.skb, mtu) }
    }

    /// Makes room in front of the packet for the link-layer header of its route's device;
    /// `EINVAL` without a route.
    pub(crate) fn reserve_link_header(&mut self) -> Result {
        // SAFETY: `skb` is valid and ours (type invariant); the helper checks for a route.
        kernel::error::to_result(unsafe { glue::ipvs_rs_skb_cow_for_dst(self.skb) })
    }

    /// Notes that the transport checksum was updated in place: a device-computed full sum
    /// (`CHECKSUM_COMPLETE`) no longer matches.
    pub(crate) fn checksum_rewritten(&mut self) {
        // SAFETY: `skb` is valid and ours (type invariant).
        unsafe { glue::ipvs_rs_skb_csum_rewritten(self.skb) }
    }

    /// Updates the CRC of an SCTP packet whose header at `offset` was rewritten, as C's SCTP
    /// NAT handlers do: computed anew when `port_changed` or when a device was to compute it
    /// (for `dnat`, one that cannot: the route's device lacks SCTP CRC offload), except for
    /// segmentation offload packets, whose segments get theirs; otherwise the packet's
    /// checksums count as verified.
    pub(crate) fn sctp_nat_checksum(&mut self, offset: u32, port_changed: bool, dnat: bool) {
        // SAFETY: `skb` is valid and ours (type invariant); the helper makes the SCTP header at
        // `offset` writable, or does nothing if it cannot, and checks for a route.
        unsafe { glue::ipvs_rs_sctp_nat_csum(self.skb, offset, port_changed, dnat) }
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

    /// Replaces the packet's route (with one of the family the packet will be sent as: a
    /// tunnel's route is of the outer header's).
    pub(crate) fn set_route(&mut self, route: Route) {
        let family = route.family();
        let dst = route.into_raw();
        // SAFETY: `skb` is valid and ours; the packet takes over the route's reference.
        unsafe { glue::ipvs_rs_skb_set_route(self.skb, dst) };
        // INVARIANT: The packet's route is now `dst`, of `family`.
        self.route_family = family;
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

    /// Prepares the packet to be encapsulated in an `outer` header: segmentation offloads of
    /// `encap`, and the current packet recorded as the inner one, of protocol `inner_protocol`.
    pub(crate) fn start_encapsulation(
        &mut self,
        encap: Encap,
        inner_protocol: u8,
        outer: Family,
    ) -> Result {
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
        } | if outer.is_ipv6() {
            bindings::SKB_GSO_IPXIP6
        } else {
            bindings::SKB_GSO_IPXIP4
        };
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

    /// Sets the checksum of the UDP header just pushed for a datagram of family `outer` from
    /// `saddr` to `daddr` (IPv4 in their first 4 bytes); zero, none, when `!checksum`.
    pub(crate) fn set_udp_checksum(
        &mut self,
        checksum: bool,
        outer: Family,
        saddr: &[u8; 16],
        daddr: &[u8; 16],
    ) {
        if outer.is_ipv6() {
            let (s, d) = (in6_addr(saddr), in6_addr(daddr));
            // SAFETY: `skb` is valid and ours, its transport header the UDP header just
            // pushed; `s` and `d` are valid addresses.
            unsafe { glue::ipvs_rs_udp6_tunnel_csum(self.skb, !checksum, &s, &d) }
            return;
        }
        let v4 = |a: &[u8; 16]| u32::from_ne_bytes([a[0], a[1], a[2], a[3]]);
        // SAFETY: `skb` is valid and ours, its transport header the UDP header just pushed.
        unsafe { glue::ipvs_rs_udp_tunnel_csum(self.skb, !checksum, v4(saddr), v4(daddr)) }
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
        })?;
        // INVARIANT: The packet now starts at the IPv4 header just pushed.
        self.family = Family::Ipv4;
        Ok(())
    }

    /// Pushes `header` as the packet's new IPv6 header; its payload length is filled in by
    /// [`HookSkb::send_encapsulated`].
    pub(crate) fn push_ipv6(&mut self, header: &[u8; 40]) -> Result {
        // SAFETY: `skb` is valid and ours; `header` is the 40 bytes of an IPv6 header.
        kernel::error::to_result(unsafe {
            glue::ipvs_rs_skb_push_ipv6(self.skb, header.as_ptr().cast())
        })?;
        // INVARIANT: The packet now starts at the IPv6 header just pushed.
        self.family = Family::Ipv6;
        Ok(())
    }

    /// Tells a local sender's socket the smaller path MTU of a tunnel (through the packet's
    /// current route, if it has one).
    pub(crate) fn update_pmtu(&mut self, mtu: u32) {
        // SAFETY: `skb` is valid and ours (type invariant); the helper checks for a route.
        unsafe { glue::ipvs_rs_skb_update_pmtu(self.skb, mtu) }
    }

    /// Sends an encapsulated packet (its outer header pushed) on its route as a new datagram of
    /// this host; frees it if it has no route.
    pub(crate) fn send_encapsulated(self, net: &Net) -> Verdict {
        // SAFETY: `skb` is valid and ours, and starts at a header of `family` (type invariant);
        // the helper checks for a route; the packet is handed over here.
        unsafe { glue::ipvs_rs_skb_tunnel_out(net.as_raw(), self.skb, self.family.is_ipv6()) };
        Verdict::Stolen(Stolen(()))
    }

    /// Routes a reply again as if this host had sent it; `Err` if that fails (or the packet has
    /// no route).
    pub(crate) fn reroute_as_local(&mut self, net: &Net) -> Result {
        let ipv6 = self.family.is_ipv6();
        // SAFETY: `skb` is valid and ours, and starts at a header of `family` (type invariant);
        // the helper checks for a route; `net` is live.
        kernel::error::to_result(unsafe { glue::ipvs_rs_skb_reroute(net.as_raw(), self.skb, ipv6) })
    }

    /// Reassembles an IPv4 datagram from this fragment: the whole datagram, or `Err` with the
    /// verdict when the fragment was kept for later (or dropped). An IPv6 packet is returned
    /// as it is (netfilter reassembles those before the hooks).
    pub(crate) fn defrag(self, net: &Net, point: HookPoint) -> Result<Self, Verdict> {
        if self.family != Family::Ipv4 {
            return Ok(self);
        }
        // SAFETY: `skb` is valid and ours, and IPv4; `net` is live. On failure `ip_defrag` took
        // the packet.
        if unsafe { glue::ipvs_rs_skb_defrag4(net.as_raw(), self.skb, point as u32) } == 0 {
            Ok(self)
        } else {
            Err(Verdict::Stolen(Stolen(())))
        }
    }

    /// Sends the packet on its (new) route through `LOCAL_OUT`; frees it if it has no route.
    /// `from_other_host` drops an early-demultiplexed socket of the packet's old addresses.
    pub(crate) fn send(self, net: &Net, from_other_host: bool) -> Verdict {
        let pf = self.family.nfproto();
        // SAFETY: `skb` is valid and ours (type invariant); the helper checks for a route; the
        // packet is handed over here.
        unsafe { glue::ipvs_rs_skb_local_out(net.as_raw(), self.skb, from_other_host, pf) };
        Verdict::Stolen(Stolen(()))
    }

    /// Drops the packet's first `offset` bytes, where an IPv4 header of `hlen` bytes starts,
    /// which it then starts at (`pskb_pull`): for an ICMP error, its quoted packet. If the
    /// packet is too short for that (or memory is), it is freed (`consume_skb`, as it was
    /// handled) and `Err` has the verdict.
    pub(crate) fn pull_to_ipv4(mut self, offset: u32, hlen: u32) -> Result<Self, Verdict> {
        // SAFETY: `skb` is valid and ours (type invariant).
        if hlen < 20 || !unsafe { glue::ipvs_rs_skb_pull_to_ipv4(self.skb, offset, hlen) } {
            return Err(self.consume());
        }
        // INVARIANT: The packet now starts at `hlen` (at least 20) bytes the helper pulled into
        // its head, the IPv4 header the caller found there.
        self.family = Family::Ipv4;
        Ok(self)
    }

    /// Learns the path MTU `mtu` for the packet this one starts with, an IPv4 packet this host
    /// sent that an ICMP error quoted (`ipv4_update_pmtu`).
    pub(crate) fn update_quoted_pmtu(&mut self, net: &Net, mtu: u32) {
        if self.family != Family::Ipv4 {
            return;
        }
        // SAFETY: `skb` is valid (type invariant) and starts at an IPv4 header; `net` is live.
        unsafe { glue::ipvs_rs_ipv4_update_pmtu(self.skb, net.as_raw(), mtu) }
    }

    /// Frees the packet after it has served its purpose (`consume_skb`).
    pub(crate) fn consume(self) -> Verdict {
        // SAFETY: `skb` is valid and ours; it is not used again.
        unsafe { glue::ipvs_rs_skb_consume(self.skb) };
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

/// Where an IPv6 packet's extension headers lead (see [`HookSkb::ipv6_transport`]).
pub(crate) struct Ipv6Transport {
    /// The transport protocol.
    pub(crate) protocol: u8,
    /// Where the transport header starts.
    pub(crate) offset: u32,
    /// A fragment other than the first.
    pub(crate) later_fragment: bool,
    /// There is a fragment header (the packet is, or was before reassembly, a fragment).
    pub(crate) fragment_header: bool,
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
