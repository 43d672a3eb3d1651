// SPDX-License-Identifier: GPL-2.0

//! ICMP and ICMPv6 errors about connections (C's `ip_vs_in_icmp`/`ip_vs_out_icmp`).

use super::{
    read_ipv4,
    xmit::{dr_xmit, nat_route, send_or_continue, tunnel_xmit, RtMode},
    DataPlane, Step,
};
use crate::{
    addr::Addr,
    conn::{table::Key, Conn, ConnRef, Side as ConnSide},
    glue::{
        net::Net,
        skb::{HookSkb, Route},
        verdict::{Family, HookPoint, Verdict},
    },
    netns::Ipvs,
    proto::{
        packet::{
            self, Icmp, IcmpError, Ip, Ipv6, Side, TunnelQuote, ICMP_LEN, IPV4_MIN_LEN, IPV6_LEN,
        },
        Direction,
    },
    uapi::{Fwd, Protocol, ICMPV6_INFOMSG_MASK, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED},
};

/// How many bytes from the outer IP header an ICMP error is parsed from: the outer and
/// quoted IP headers with the longest options, the ICMP header and the quoted ports; for an
/// error about a tunnel packet, the quoted tunnel headers too (UDP and GUE with up to 64 bytes
/// of options, or GRE with its checksum).
const ICMP_ERROR_PARSE_LEN: usize = 60 + ICMP_LEN + 60 + 8 + 4 + 64 + 60 + 4;

/// Whether `ip` is an ICMP (for IPv6, ICMPv6) packet.
pub(super) fn is_icmp(ip: &Ip) -> bool {
    match ip {
        Ip::V4(h) => Protocol::of(h.protocol) == Protocol::Icmp,
        Ip::V6(h) => Protocol::of(h.protocol) == Protocol::Icmpv6,
    }
}

/// Reassembles a fragmented ICMP packet and classifies it, with its (reassembled) IP header:
/// `Err` with the verdict when it was kept for reassembly or cannot be read. (Netfilter has
/// reassembled IPv6 packets before the hooks.)
fn read_icmp<'a>(
    net: &Net,
    point: HookPoint,
    mut skb: HookSkb<'a>,
    ip: &Ip,
    tunnel_type: impl Fn(&Addr, [u8; 2]) -> Option<u8>,
) -> Step<(HookSkb<'a>, Ip, Icmp)> {
    let mut outer = match ip {
        Ip::V4(h) => *h,
        Ip::V6(h) => {
            let icmp = read_icmpv6(&skb, h);
            return Ok((skb, *ip, icmp));
        }
    };
    if outer.fragment {
        skb = skb.defrag(net, point)?;
        outer = read_ipv4(&skb).ok_or(Verdict::Accept)?;
    }
    let mut buf = [0u8; ICMP_ERROR_PARSE_LEN];
    let n = ICMP_ERROR_PARSE_LEN.min(skb.len() as usize);
    if !skb.copy_bits(0, &mut buf[..n]) {
        return Err(Verdict::Accept);
    }
    let icmp = packet::parse_icmp(&buf[..n], &outer, tunnel_type);
    Ok((skb, Ip::V4(outer), icmp))
}

/// Classifies an ICMPv6 packet (`ip_vs_in_icmp_v6`): every type without the informational bit
/// is an error; the quoted packet's extension headers are walked as the packet's own.
fn read_icmpv6(skb: &HookSkb<'_>, outer: &Ipv6) -> Icmp {
    let icmp_at = outer.header_len;
    let mut ty = [0u8; 1];
    if !skb.copy_bits(icmp_at, &mut ty) || skb.len() < icmp_at + ICMP_LEN as u32 {
        return Icmp::Malformed;
    }
    if ty[0] & ICMPV6_INFOMSG_MASK != 0 {
        return Icmp::Unrelated;
    }
    if outer.fragment_header {
        return Icmp::Malformed;
    }
    let quoted_at = icmp_at + ICMP_LEN as u32;
    let mut hdr = [0u8; IPV6_LEN];
    let mut ports = [0u8; 4];
    let (Some(t), true) = (
        skb.ipv6_transport(quoted_at),
        skb.copy_bits(quoted_at, &mut hdr),
    ) else {
        return Icmp::Ignored;
    };
    let Some(quoted) = packet::parse_ipv6(&hdr) else {
        return Icmp::Ignored;
    };
    if !packet::has_ports(t.protocol) || t.later_fragment || !skb.copy_bits(t.offset, &mut ports) {
        return Icmp::Ignored;
    }
    Icmp::Error(IcmpError {
        icmp_at: icmp_at as usize,
        quoted_at: quoted_at as usize,
        quoted: Ip::V6(Ipv6 {
            header_len: t.offset - quoted_at,
            protocol: t.protocol,
            ..quoted
        }),
        ports: ([ports[0], ports[1]], [ports[2], ports[3]]),
        tunnel: None,
    })
}

/// The connection filed under `side` that the packet quoted by an ICMP error belongs to: the
/// quoted packet went the other way, so its tuple is looked up reversed, unless it is the
/// request inside one of this director's tunnel packets (C's `inverse` is `!tunnel`).
fn quoted_conn(dp: &DataPlane, side: ConnSide, e: &IcmpError) -> Option<ConnRef> {
    let q = &e.quoted;
    let (mut from, mut to) = ((q.saddr(), e.ports.0), (q.daddr(), e.ports.1));
    if e.tunnel.is_none() {
        core::mem::swap(&mut from, &mut to);
    }
    dp.conns.lookup(
        side,
        Key {
            protocol: q.protocol(),
            saddr: &from.0,
            sport: from.1,
            daddr: &to.0,
            dport: to.1,
        },
    )
}

/// The whole packet made writable, if its ICMP checksum is right (`ip_vs_checksum_common_check`:
/// a checksum the device is still to fill in counts as right).
fn icmp_writable<'s>(skb: &'s mut HookSkb<'_>, e: &IcmpError) -> Option<&'s mut [u8]> {
    let partial = skb.checksum_partial();
    let len = skb.len();
    let pkt = skb.writable(len).ok()?;
    (partial || packet::icmp_checksum_ok(pkt, e)).then_some(pkt)
}

/// `ip_vs_in_icmp(_v6)`: an ICMP error from the client's side about a reply of a connection
/// goes to the connection's real server, translated for NAT. `Err` gives back a packet that is
/// not such an error, for the caller to handle as any other.
pub(super) fn in_icmp<'a>(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'a>,
    ip: &Ip,
) -> Step<HookSkb<'a>> {
    let dp = &*ipvs.dp;
    // Errors about this director's own tunnel packets are sent to it (IPv4 only, as in C).
    let to_host = matches!(ip, Ip::V4(_)) && skb.route_is_local();
    let tunnel_type = |addr: &Addr, port| {
        to_host
            .then(|| dp.real_servers.tunnel_type(addr, port))
            .flatten()
    };
    let (mut skb, outer, e) = match read_icmp(net, point, skb, ip, tunnel_type) {
        Ok((_, _, Icmp::Malformed)) => return Err(Verdict::Drop),
        Ok((skb, _, Icmp::Unrelated)) => return Ok(skb),
        Ok((_, _, Icmp::Ignored)) => return Err(Verdict::Accept),
        Ok((skb, outer, Icmp::Error(e))) => (skb, outer, e),
        Err(v) => return Err(v),
    };
    // The quoted packet is the reply (virtual address to client), or the request in a tunnel
    // packet. Errors never schedule a connection here (`schedule_icmp` is not supported).
    let Some(conn) = quoted_conn(dp, ConnSide::In, &e) else {
        return Err(Verdict::Accept);
    };
    if let Some(tunnel) = e.tunnel {
        return Err(tunnel_icmp(dp, net, skb, &e, tunnel, &conn));
    }
    if conn.fwd() == Fwd::Masq && icmp_writable(&mut skb, &e).is_none() {
        return Err(Verdict::Drop);
    }
    let len = skb.len();
    dp.count(&conn, Direction::Input, len);
    // `ip_vs_icmp_xmit`: errors about other forwarding methods go as their packets do.
    match conn.fwd() {
        Fwd::Masq => {}
        Fwd::Route => return Err(dr_xmit(net, skb, &conn, &outer, true)),
        Fwd::Tunnel => return Err(tunnel_xmit(ipvs, net, skb, &conn, &outer, true)),
        Fwd::LocalNode | Fwd::Other(_) => return Err(Verdict::Accept),
    }
    let t = &conn.tuple;
    let mode = if point == HookPoint::Forward {
        RtMode::NAT_FORWARD
    } else {
        RtMode::NAT
    };
    let Ok(local) = nat_route(net, &mut skb, &conn.dest, &outer, mode, true) else {
        return Err(skb.free());
    };
    let len = skb.len();
    match skb.writable(len) {
        Ok(pkt) => packet::nat_icmp(pkt, &e, Side::Destination, &t.daddr, t.dport),
        Err(_) => return Err(skb.free()),
    }
    skb.checksum_verified();
    // Another error about this error would be wrong: fragment it instead if it must be.
    skb.ignore_df();
    Err(send_or_continue(net, skb, local))
}

/// The tunnel part of `ip_vs_in_icmp`: an error about a tunnel packet this director sent to a
/// real server goes to the client of the request in it, from this host. A fragmentation-needed
/// error lowers the path MTU to the server first, and the client hears of the MTU left inside
/// the tunnel (or nothing, if it does not do path MTU discovery).
fn tunnel_icmp(
    dp: &DataPlane,
    net: &Net,
    mut skb: HookSkb<'_>,
    e: &IcmpError,
    tunnel: TunnelQuote,
    conn: &Conn,
) -> Verdict {
    let q = &e.quoted;
    if icmp_writable(&mut skb, e).is_none() {
        return Verdict::Drop;
    }
    let mut icmp = [0u8; ICMP_LEN];
    if !skb.copy_bits(e.icmp_at as u32, &mut icmp) {
        return Verdict::Drop;
    }
    let (ty, code) = (icmp[0], icmp[1]);
    // The rest of the header as it came (a gateway, or the next-hop MTU).
    let mut info = u32::from_be_bytes([icmp[4], icmp[5], icmp[6], icmp[7]]);
    let mut request_at = e.quoted_at as u32;
    if ty == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED {
        let mtu = u32::from(u16::from_be_bytes([icmp[6], icmp[7]]));
        skb = match skb.pull_to_ipv4(tunnel.outer_at as u32, IPV4_MIN_LEN as u32) {
            Ok(s) => s,
            Err(v) => return v,
        };
        skb.update_quoted_pmtu(net, mtu);
        if !matches!(q, Ip::V4(h) if h.dont_fragment) {
            return skb.consume();
        }
        // The path MTU of the route the server's last tunnel packet took, which C keeps with
        // the server: the one just learnt if that route was of an MTU learnt before, which
        // learning changes in place (IPv4 routes only).
        let mut mtu = match conn.dest.path_mtu() {
            None => mtu,
            Some(p) if !p.learnt => p.mtu,
            Some(_) => Route::output(net, Family::Ipv4, conn.dest.addr.inet(), false, false)
                .map_or(mtu, |r| r.mtu()),
        };
        let headers = tunnel.headers_len as u32;
        if mtu > 68 + headers {
            mtu -= headers;
        }
        info = mtu;
        request_at = headers;
    }
    skb = match skb.pull_to_ipv4(request_at, q.header_len()) {
        Ok(s) => s,
        Err(v) => return v,
    };
    skb.icmp_send(ty, code, info);
    // Counted as a reply, however short.
    dp.count(conn, Direction::Output, skb.len());
    skb.consume()
}

/// `ip_vs_out_icmp(_v6)` and `handle_response_icmp`: an ICMP error from a real server's side
/// about a packet of a NATed connection gets the virtual address back.
pub(super) fn out_icmp(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'_>,
    ip: &Ip,
) -> Verdict {
    let (mut skb, e) = match read_icmp(net, point, skb, ip, |_, _| None) {
        Ok((_, _, Icmp::Malformed)) => return Verdict::Drop,
        Ok((skb, _, Icmp::Error(e))) => (skb, e),
        Ok(_) => return Verdict::Accept,
        Err(v) => return v,
    };
    let dp = &*ipvs.dp;
    // The quoted packet is the request: client to real server.
    let Some(conn) = quoted_conn(dp, ConnSide::Out, &e) else {
        return Verdict::Accept;
    };
    if conn.fwd() == Fwd::Masq {
        let t = &conn.tuple;
        match icmp_writable(&mut skb, &e) {
            Some(pkt) => packet::nat_icmp(pkt, &e, Side::Source, &t.vaddr, t.vport),
            None => return Verdict::Drop,
        }
        skb.checksum_verified();
        if point != HookPoint::LocalIn
            && ipvs.sysctl().snat_reroute()
            && skb.reroute_as_local(net).is_err()
        {
            return skb.free();
        }
    }
    let len = skb.len();
    dp.count(&conn, Direction::Output, len);
    skb.mark_ipvs();
    Verdict::Accept
}
