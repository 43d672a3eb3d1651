// SPDX-License-Identifier: GPL-2.0

//! Transmitters: NAT, direct routing and tunnels (C's `ip_vs_xmit.c`).

use kernel::prelude::*;

use super::Headers;
use crate::{
    addr::Addr,
    conn::Conn,
    glue::{
        net::Net,
        skb::{count_header_error, Encap, HookSkb},
        verdict::{Family, Verdict},
    },
    netns::Ipvs,
    proto::{
        packet::{self, ChecksumMode, Ip, Side, IPV4_MIN_LEN, IPV6_LEN, UDP_LEN},
        tunnel::{self, Kind as TunnelKind},
        Checksum,
    },
    svc::dest::{Dest, PathMtu},
    uapi::{
        Af, ICMPV6_PKT_TOOBIG, ICMP_DEST_UNREACH, ICMP_EXC_TTL, ICMP_FRAG_NEEDED,
        ICMP_TIME_EXCEEDED,
    },
};

/// `ip_vs_nat_xmit`: the packet goes to the real server with its destination rewritten.
pub(super) fn nat_xmit(net: &Net, mut skb: HookSkb<'_>, conn: &Conn, h: &Headers) -> Verdict {
    let t = &conn.tuple;
    let Ok(local) = nat_route(net, &mut skb, &conn.dest, &h.ip, RtMode::NAT, false) else {
        return skb.free();
    };
    if !nat_rewrite(&mut skb, h, Side::Destination, &t.daddr, t.dport) {
        return skb.free();
    }
    send_or_continue(net, skb, local)
}

/// [`route_to_server`] for a packet about to be rewritten for a NAT server, as C's NAT
/// transmitters do after it: never from another host to a loopback address, and with room
/// for the link header made before rewriting.
pub(super) fn nat_route(
    net: &Net,
    skb: &mut HookSkb<'_>,
    dest: &Dest,
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    let local = route_to_server(net, skb, dest, ip, mode, icmp)?;
    let rs = &dest.addr;
    // A local packet keeps its route, so this is still where it came from.
    let from_other_host = match ip {
        Ip::V4(_) => rs.v4_octets()[0] == 127 && skb.route_is_input(),
        Ip::V6(_) => *rs.inet() == packet::IPV6_LOOPBACK && !skb.is_local_origin(),
    };
    if local && from_other_host {
        return Err(EINVAL);
    }
    skb.reserve_link_header()?;
    Ok(local)
}

/// `ip_vs_dr_xmit`: the packet goes unchanged to the real server's link address.
pub(super) fn dr_xmit(
    net: &Net,
    mut skb: HookSkb<'_>,
    conn: &Conn,
    ip: &Ip,
    icmp: bool,
) -> Verdict {
    let Ok(local) = route_to_server(net, &mut skb, &conn.dest, ip, RtMode::DR, icmp) else {
        return skb.free();
    };
    if !local {
        // Fragment rather than answer with an error: the MTU was checked already.
        skb.ignore_df();
    }
    send_or_continue(net, skb, local)
}

/// `ip_vs_tunnel_xmit(_v6)`: the packet goes to the real server inside a new IP header of the
/// server's family (and a GUE or GRE header if the server was configured with one), from the
/// address the route to the server chose.
pub(super) fn tunnel_xmit(
    ipvs: &Ipvs,
    net: &Net,
    mut skb: HookSkb<'_>,
    conn: &Conn,
    ip: &Ip,
    icmp: bool,
) -> Verdict {
    let dest = &conn.dest;
    let outer = if dest.addr.af() == Af::Inet6 {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    let kind = TunnelKind::of_dest(dest.tun_type(), dest.tun_port(), dest.tun_flags());
    let pmtu_disc = ipvs.sysctl().pmtu_disc();
    let partial = skb.partial_checksum();
    let tunnel = TunnelPath {
        kind,
        overhead: kind.overhead(partial.is_some(), outer.is_ipv6()),
        pmtu_disc,
        outer,
    };
    let rs = &conn.tuple.daddr;
    let saddr = match route_out(net, &mut skb, dest, ip, RtMode::TUNNEL, icmp, Some(tunnel)) {
        Ok(None) => return send_or_continue(net, skb, true),
        Ok(Some((saddr, path_mtu))) => {
            dest.set_path_mtu(path_mtu);
            saddr
        }
        Err(_) => return skb.free(),
    };
    // Routing to another host decremented the TTL in the packet.
    let inner = tunnel::Inner::of(ip, pmtu_disc);
    match encapsulate(net, &mut skb, &inner, tunnel, partial, &saddr, rs.inet()) {
        Ok(()) => skb.send_encapsulated(net),
        Err(_) => skb.free(),
    }
}

/// Puts a routed packet, described by `inner`, into the tunnel `path` from `saddr` to `daddr`
/// (the steps of `ip_vs_tunnel_xmit` after routing). `partial` is where the packet's
/// checksum still to be computed starts and goes.
fn encapsulate(
    net: &Net,
    skb: &mut HookSkb<'_>,
    inner: &tunnel::Inner,
    path: TunnelPath,
    partial: Option<(u32, u16)>,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
) -> Result {
    let kind = path.kind;
    skb.reserve_headroom(path.overhead)?;
    let remote = if kind.remote_checksum(partial.is_some()) {
        partial
    } else {
        None
    };
    let encap = match kind {
        TunnelKind::Ipip => Encap::Ipip,
        TunnelKind::Gue {
            checksum,
            remote_checksum,
            ..
        } => Encap::Udp {
            checksum: checksum || remote_checksum,
            remote: remote.is_some(),
        },
        TunnelKind::Gre { checksum } => Encap::Gre { checksum },
    };
    skb.start_encapsulation(encap, inner.protocol, path.outer)?;
    match kind {
        TunnelKind::Ipip => {}
        TunnelKind::Gue {
            port,
            checksum,
            remote_checksum,
        } => {
            let gue_len = kind.gue_len(remote.is_some());
            let remote = match remote {
                Some((start, offset)) => Some((u16::try_from(start).map_err(|_| EINVAL)?, offset)),
                None => None,
            };
            tunnel::write_gue(skb.push_transport(gue_len)?, inner.protocol, remote);
            if remote.is_some() {
                skb.checksum_remote();
            }
            let sport = skb.udp_flow_source_port(net);
            let len = u16::try_from(skb.len() + UDP_LEN as u32).map_err(|_| EMSGSIZE)?;
            tunnel::write_udp(skb.push_transport(UDP_LEN as u32)?, sport, port, len);
            skb.set_udp_checksum(checksum || remote_checksum, path.outer, saddr, daddr);
        }
        TunnelKind::Gre { checksum } => skb.push_gre(checksum, inner.ethertype())?,
    }
    let protocol = kind.outer_protocol(inner.protocol);
    if path.outer.is_ipv6() {
        skb.push_ipv6(&tunnel::outer_ipv6(inner, protocol, saddr, daddr))
    } else {
        let v4 = |a: &[u8; 16]| [a[0], a[1], a[2], a[3]];
        let header = tunnel::outer_ipv4(inner, protocol, v4(saddr), v4(daddr));
        skb.push_ipv4(net, &header)
    }
}

/// `ip_vs_send_or_cont`: a packet for this host continues up the stack; any other is sent on
/// its new route.
pub(super) fn send_or_continue(net: &Net, mut skb: HookSkb<'_>, local: bool) -> Verdict {
    skb.mark_ipvs();
    if local {
        Verdict::Accept
    } else {
        skb.send(net, true)
    }
}

/// C's `IP_VS_RT_MODE_*`: where a transmitter may send a packet (anywhere but here is always
/// allowed).
#[derive(Clone, Copy)]
pub(super) struct RtMode {
    /// To this host.
    local: bool,
    /// To this host even when the packet was not routed here.
    redirect: bool,
    /// The real server is the next hop whatever the packet's destination.
    known_nexthop: bool,
    /// Route from the source address a first lookup chooses (tunnels send from it).
    connect: bool,
}

impl RtMode {
    /// NAT: `LOCAL | NON_LOCAL | RDR`.
    pub(super) const NAT: Self = Self {
        local: true,
        redirect: true,
        known_nexthop: false,
        connect: false,
    };
    /// ICMP errors from the FORWARD hook to a NAT server: `NON_LOCAL` only.
    pub(super) const NAT_FORWARD: Self = Self {
        local: false,
        redirect: false,
        known_nexthop: false,
        connect: false,
    };
    /// Direct routing: `LOCAL | NON_LOCAL | KNOWN_NH`.
    const DR: Self = Self {
        local: true,
        redirect: false,
        known_nexthop: true,
        connect: false,
    };
    /// Tunnels: `LOCAL | NON_LOCAL | CONNECT | TUNNEL`.
    const TUNNEL: Self = Self {
        local: true,
        redirect: false,
        known_nexthop: false,
        connect: true,
    };
}

/// The path through a tunnel: what [`route_out`] and [`encapsulate`] need of it.
#[derive(Clone, Copy)]
pub(super) struct TunnelPath {
    /// The tunnel's header.
    kind: TunnelKind,
    /// Bytes the tunnel puts in front of the packet (taken off the route's MTU).
    overhead: u32,
    /// The `pmtu_disc` sysctl: without it tunnelled IPv4 packets are fragmented, never
    /// refused.
    pmtu_disc: bool,
    /// The outer header's family (the real server's).
    outer: Family,
}

/// `__ip_vs_get_out_rt` for NAT and direct routing: [`route_out`], `Ok(true)` if the server
/// is this host.
pub(super) fn route_to_server(
    net: &Net,
    skb: &mut HookSkb<'_>,
    dest: &Dest,
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    route_out(net, skb, dest, ip, mode, icmp, None).map(|out| out.is_none())
}

/// `__ip_vs_get_out_rt(_v6)`: routes the packet to real server `dest` as `mode` allows, with the
/// TTL and MTU checks of a forwarded packet (no MTU error answers an ICMP error). The route is
/// of the packet's family, or through a `tunnel` of the tunnel's. `Ok(None)` if the server is
/// this host: the packet keeps its route and goes up the stack; otherwise the packet has its
/// new route and `Ok` has the source address the route chose and its path MTU. `Err` if the
/// packet is to be dropped (the sender has been told where C tells it).
pub(super) fn route_out(
    net: &Net,
    skb: &mut HookSkb<'_>,
    dest: &Dest,
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
    tunnel: Option<TunnelPath>,
) -> Result<Option<([u8; 16], PathMtu)>> {
    let ipv6 = ip.is_ipv6();
    let route_family = tunnel.map_or(skb.family(), |t| t.outer);
    let Some(route) = dest.route(net, route_family, mode.known_nexthop, mode.connect) else {
        skb.link_failure();
        return Err(EHOSTUNREACH);
    };
    let local = route.is_local();
    // `crosses_local_route_boundary`.
    if local {
        if !mode.local || (!mode.redirect && !skb.route_is_local()) {
            return Err(EINVAL);
        }
        drop(route);
        return Ok(None);
    }
    // A loopback source never leaves the host (for IPv6, only a local packet's counts).
    if ip.source_is_loopback() && (!ipv6 || skb.is_local_origin()) {
        return Err(EINVAL);
    }
    if !decrement_ttl(net, skb, ip) {
        return Err(EINVAL);
    }
    let path_mtu = PathMtu {
        mtu: route.mtu(),
        // Only errors about tunnel packets ask.
        learnt: tunnel.is_some() && route.has_learnt_mtu(),
    };
    let mut mtu = path_mtu.mtu;
    let mut check_mtu = true;
    if let Some(t) = tunnel {
        mtu = mtu.saturating_sub(t.overhead);
        let min = if t.outer.is_ipv6() {
            tunnel::IPV6_MIN_MTU
        } else {
            tunnel::IPV4_MIN_MTU
        };
        if mtu < min {
            return Err(EINVAL);
        }
        skb.update_pmtu(mtu);
        // Without path MTU discovery a tunnelled packet is fragmented whatever its flag.
        check_mtu = t.pmtu_disc;
    }
    match ip {
        Ip::V4(v4) => {
            if check_mtu && !icmp && v4.dont_fragment && skb.exceeds_mtu(mtu) {
                skb.icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
                return Err(EMSGSIZE);
            }
        }
        // IPv6 routers never fragment: a packet too big is dropped, and its sender told unless
        // it is an ICMPv6 error itself.
        Ip::V6(v6) => {
            if skb.exceeds_mtu(mtu) {
                if !v6.later_fragment && !icmp {
                    skb.icmpv6_send(net, ICMPV6_PKT_TOOBIG, 0, mtu, false);
                }
                return Err(EMSGSIZE);
            }
        }
    }
    let saddr = route.source();
    skb.set_route(route);
    Ok(Some((saddr, path_mtu)))
}

/// Rewrites the address and port on `side` of a TCP/UDP packet in place, with its checksums;
/// `false` if the headers cannot be made writable.
pub(super) fn nat_rewrite(
    skb: &mut HookSkb<'_>,
    h: &Headers,
    side: Side,
    addr: &Addr,
    port: [u8; 2],
) -> bool {
    let mode = if skb.checksum_partial() {
        ChecksumMode::Partial
    } else {
        ChecksumMode::Full
    };
    // Connections are of balanced protocols only.
    let Some(transport) = h.transport else {
        return false;
    };
    let rewritten = match skb.writable(h.ip.header_len() + transport.nat_len() as u32) {
        Ok(hdr) => packet::nat_rewrite(hdr, &h.ip, transport, side, addr, port, mode),
        Err(_) => false,
    };
    if !rewritten {
        return false;
    }
    if transport.checksum() == Checksum::Crc32c {
        // The CRC covers no addresses: it is computed anew when the port changed.
        let old_port = h.ports.map(|(sport, dport)| match side {
            Side::Source => sport,
            Side::Destination => dport,
        });
        skb.sctp_nat_checksum(
            h.ip.header_len(),
            old_port != Some(port),
            side == Side::Destination,
        );
    } else {
        skb.checksum_rewritten();
    }
    true
}

/// Decrements the TTL (hop limit) of a forwarded packet; `false` (after telling the sender)
/// if it expired.
pub(super) fn decrement_ttl(net: &Net, skb: &mut HookSkb<'_>, ip: &Ip) -> bool {
    if ip.ttl() <= 1 {
        if ip.is_ipv6() {
            skb.hop_limit_exceeded(net);
        } else {
            count_header_error(net);
            skb.icmp_send(ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
        }
        return false;
    }
    let len = if ip.is_ipv6() { IPV6_LEN } else { IPV4_MIN_LEN };
    match skb.writable(len as u32) {
        Ok(hdr) if ip.is_ipv6() => packet::ipv6_decrease_hop_limit(hdr),
        Ok(hdr) => packet::ipv4_decrease_ttl(hdr),
        Err(_) => return false,
    }
    true
}
