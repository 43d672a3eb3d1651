// SPDX-License-Identifier: GPL-2.0

//! The hook flow: requests scheduled and forwarded, replies translated back (C's
//! `ip_vs_in_hook`/`ip_vs_out_hook` in `ip_vs_core.c`).

use super::{
    icmp::{in_icmp, is_icmp, out_icmp},
    read_headers,
    xmit::{dr_xmit, nat_rewrite, nat_xmit, tunnel_xmit},
    Headers, Step,
};
use crate::{
    addr::Addr,
    conn::{
        reuse::Reuse,
        table::{Key, Made},
        ConnRef, Side as ConnSide, Tuple,
    },
    glue::{
        net::Net,
        skb::HookSkb,
        verdict::{HookPoint, Verdict},
    },
    netns::Ipvs,
    pe::{
        persist::{TemplateKey, FTP_PORT},
        sip,
    },
    proto::{
        packet::{self, Ip, Side, UDP_LEN},
        Direction, StateEvent,
    },
    uapi::{
        Af, Fwd, Protocol, CONN_F_ONE_PACKET, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH,
        ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, PROTO_UDP, SVC_F_ONEPACKET,
    },
};

pub(super) fn request(ipvs: &Ipvs, net: &Net, point: HookPoint, mut skb: HookSkb<'_>) -> Verdict {
    // Packets IPVS sent (`skb.ipvs_property()`) were let go by the hook.
    if !skb.for_host(point) || !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(h) = read_headers(&skb) else {
        return Verdict::Accept;
    };
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if is_icmp(&h.ip) {
        skb = match in_icmp(ipvs, net, point, skb, &h.ip) {
            Ok(s) => s,
            Err(v) => return v,
        };
    }
    let protocol = h.ip.protocol();
    if !packet::has_ports(protocol) {
        // Seen again only if it was a tunnel: mark it to be skipped then.
        if ipvs.sysctl().ignore_tunneled() {
            skb.mark_ipvs();
        }
        return Verdict::Accept;
    }
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (h.ip.saddr(), h.ip.daddr());
    let mut conn = h.ports.and_then(|(sport, dport)| {
        dp.conns.lookup(
            ConnSide::In,
            Key {
                protocol,
                saddr: &saddr,
                sport,
                daddr: &daddr,
                dport,
            },
        )
    });

    // A new connection on the tuple of an old one starts over when the old one is finished
    // (or its server quiesced), and a removed server's connection ends or drops its packets,
    // as C's `conn_reuse_mode` and `expire_nodest_conn` say.
    if let Some(c) = &conn {
        let starts_new = h.event.is_some_and(StateEvent::is_new_conn);
        // Otherwise the connection is used as it is (and its state lock is not taken).
        if starts_new || !c.dest.available() {
            match c.found().reuse(starts_new, ipvs.sysctl().reuse()) {
                Reuse::Use => {}
                Reuse::Expire => {
                    dp.conns.remove(c);
                    conn = None;
                }
                Reuse::Drop => return Verdict::Drop,
            }
        }
    }
    let conn = match conn {
        Some(c) => c,
        None => match schedule(ipvs, net, &h, &saddr, &daddr, &mut skb) {
            Ok(c) => c,
            Err(v) => return v,
        },
    };

    let len = skb.len();
    dp.count(&conn, Direction::Input, len);
    let secure = ipvs.sysctl().secure_tcp_table();
    conn.packet_passed(Direction::Input, h.event, &dp.timeouts, secure);
    let verdict = match conn.fwd() {
        Fwd::Masq => nat_xmit(net, skb, &conn, &h),
        Fwd::Route => dr_xmit(net, skb, &conn, &h.ip, false),
        Fwd::Tunnel => tunnel_xmit(ipvs, net, skb, &conn, &h.ip, false),
        // A local node or bypass connection goes up the local stack.
        Fwd::LocalNode | Fwd::Other(_) => Verdict::Accept,
    };
    if conn.one_packet() {
        dp.conns.release_one_packet(&conn);
    }
    verdict
}

/// `tcp_conn_schedule`/`udp_conn_schedule` and `ip_vs_schedule`: a new connection for a packet
/// to a virtual service, or the verdict for a packet that gets none.
pub(super) fn schedule(
    ipvs: &Ipvs,
    net: &Net,
    h: &Headers,
    saddr: &Addr,
    daddr: &Addr,
    skb: &mut HookSkb<'_>,
) -> Step<ConnRef> {
    let dp = &*ipvs.dp;
    let (ipv6, protocol) = (h.ip.is_ipv6(), h.ip.protocol());
    // A truncated transport header: C drops the packet.
    if !h.full_l4 {
        return Err(Verdict::Drop);
    }
    let Some((sport, dport)) = h.ports else {
        return Err(Verdict::Drop);
    };
    // Only a packet that starts a connection (or any, if sloppy) schedules one.
    let sloppy = ipvs.sysctl().sloppy();
    let starts = h.event.is_none_or(|e| e.schedules(sloppy));
    if !starts {
        return Err(Verdict::Accept);
    }
    let guard = kernel::sync::rcu::read_lock();
    let Some(svc) = dp
        .services
        .get(&guard)
        .and_then(|t| t.find(skb.mark(), protocol, daddr, dport))
        .cloned()
    else {
        return Err(Verdict::Accept);
    };
    drop(guard);
    // Do not schedule replies of local real servers (their connection exists inverted).
    if skb.is_local_origin()
        && dp
            .conns
            .lookup(
                ConnSide::In,
                Key {
                    protocol,
                    saddr: daddr,
                    sport: dport,
                    daddr: saddr,
                    dport: sport,
                },
            )
            .is_some()
    {
        return Err(Verdict::Accept);
    }
    let persistence = svc.persistence();
    // The SIP persistence engine keys templates by the message's Call-ID too. C's engine fails
    // on anything but a UDP message with one, and `ip_vs_sched_persist` drops the packet then.
    let mut call_id = [0u8; sip::PEDATA_MAXLEN];
    let call_id = match persistence {
        Some(_) if svc.uses_sip() => {
            let len = read_call_id(skb, h, &mut call_id).ok_or(Verdict::Drop)?;
            Some(&call_id[..len])
        }
        _ => None,
    };
    // `ip_vs_leave`: other ports of an FTP service's address pass; otherwise tell the client.
    let mut leave = || {
        if svc.id.port == FTP_PORT && dport != FTP_PORT {
            return Verdict::Accept;
        }
        if ipv6 {
            skb.icmpv6_send(net, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0, false);
        } else {
            skb.icmp_send(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        }
        Verdict::Drop
    };
    let conn_max = ipvs.sysctl().conn_max();
    // With persistence, the client's template (found, or made now) decides the server.
    let (dest, control) = if let Some(ps) = persistence {
        let key = TemplateKey {
            pe_data: call_id,
            ..ps.template_key(protocol, saddr, daddr, dport)
        };
        let quiescent = ipvs.sysctl().expire_quiescent_template();
        let template = match dp.conns.lookup_template(&key) {
            Some(ct) if ct.template_usable(quiescent, None) => ct,
            _ => {
                let Some(dest) = svc.schedule(saddr, sport, daddr) else {
                    return Err(leave());
                };
                let dport = ps.template_dport(dport, dest.port);
                dp.conns
                    .create_template(&key, dest, dport, svc.clone(), conn_max)
                    .map_err(|_| Verdict::Drop)?
            }
        };
        // Every use keeps the template for its timeout.
        template.touch();
        (template.dest.clone(), Some(template))
    } else {
        // A port-0 service only takes other ports with persistence.
        if svc.id.fwmark == 0 && dport != svc.id.port {
            return Err(leave());
        }
        let Some(dest) = svc.schedule(saddr, sport, daddr) else {
            return Err(leave());
        };
        (dest, None)
    };
    let extra = if svc.flags() & SVC_F_ONEPACKET != 0 && Protocol::of(protocol) == Protocol::Udp {
        CONN_F_ONE_PACKET
    } else {
        0
    };
    let tuple = Tuple {
        protocol,
        caddr: *saddr,
        cport: sport,
        vaddr: *daddr,
        vport: dport,
        daddr: dest.addr,
        dport: match persistence {
            Some(ps) => ps.conn_dport(dport, dest.port),
            None if dest.port == [0, 0] => dport,
            None => dest.port,
        },
    };
    let conn = dp
        .conns
        .create(tuple, dest, svc, extra, Made::Conn(control), conn_max)
        .map_err(|_| Verdict::Drop)?;
    dp.count_conn(&conn);
    dp.size_conn_table(ipvs.sysctl().conn_lfactor());
    Ok(conn)
}

/// The Call-ID of a UDP packet's SIP message, copied to `buf` (`ip_vs_sip_fill_param`): its
/// length, or `None` if there is none.
fn read_call_id(
    skb: &mut HookSkb<'_>,
    h: &Headers,
    buf: &mut [u8; sip::PEDATA_MAXLEN],
) -> Option<usize> {
    if Protocol::of(h.ip.protocol()) != Protocol::Udp {
        return None;
    }
    let at = h.ip.header_len() as usize + UDP_LEN;
    // C linearises the packet for conntrack's SIP parser.
    let msg = skb.linear().ok()?.get(at..).filter(|m| !m.is_empty())?;
    let id = sip::call_id(msg)?;
    buf.get_mut(..id.len())?.copy_from_slice(id);
    Some(id.len())
}

pub(super) fn reply(ipvs: &Ipvs, net: &Net, point: HookPoint, skb: HookSkb<'_>) -> Verdict {
    // Packets IPVS sent (`skb.ipvs_property()`) were let go by the hook.
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(mut h) = read_headers(&skb) else {
        return Verdict::Accept;
    };
    let protocol = h.ip.protocol();
    if is_icmp(&h.ip) {
        return out_icmp(ipvs, net, point, skb, &h.ip);
    }
    if !packet::has_ports(protocol) {
        return Verdict::Accept;
    }
    let mut skb = skb;
    // IPv6 fragments were reassembled by netfilter before the hooks.
    if matches!(h.ip, Ip::V4(ip) if ip.fragment) {
        skb = match skb.defrag(net, point) {
            Ok(s) => s,
            Err(v) => return v,
        };
        h = match read_headers(&skb) {
            Some(h) => h,
            None => return Verdict::Accept,
        };
    }
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (h.ip.saddr(), h.ip.daddr());
    let af = h.ip.af();
    let Some((sport, dport)) = h.ports else {
        return Verdict::Accept;
    };
    let found = dp.conns.lookup(
        ConnSide::Out,
        Key {
            protocol,
            saddr: &saddr,
            sport,
            daddr: &daddr,
            dport,
        },
    );
    // Only UDP: TCP and SCTP clients would answer from ports no service has.
    let found = match found {
        None if Protocol::of(protocol) == Protocol::Udp && point != HookPoint::LocalIn => {
            server_request(ipvs, &mut skb, &h, af)
        }
        found => found,
    };
    let Some(conn) = found else {
        return stray_from_server(ipvs, net, skb, &h);
    };
    let one_packet = conn.one_packet();
    let verdict = handle_response(ipvs, net, point, skb, &conn, &h);
    if one_packet {
        dp.conns.release_one_packet(&conn);
    }
    verdict
}

/// `__ip_vs_rs_conn_out` with the SIP engine's `ip_vs_new_conn_out`: a datagram a NAT real
/// server of a service with the engine sends to a client from its service port starts a
/// connection through that service (and with persistence, a template keyed by its Call-ID, as
/// the client's requests would make), so that the client's answers reach that server.
fn server_request(ipvs: &Ipvs, skb: &mut HookSkb<'_>, h: &Headers, af: Af) -> Option<ConnRef> {
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (h.ip.saddr(), h.ip.daddr());
    let (sport, dport) = h.ports?;
    let (dest, svc) = {
        let guard = kernel::sync::rcu::read_lock();
        if !dp.services.get(&guard)?.has_sip(af) {
            return None;
        }
        // The engine is asked only if the first server found has it.
        let rs = dp
            .real_servers
            .nat_server(&guard, PROTO_UDP, &saddr, sport)
            .filter(|rs| rs.svc.uses_sip())?;
        (rs.dest.clone(), rs.svc.clone())
    };
    // The connection needs the virtual address and port: not through a firewall-mark service
    // or a port-0 one (or from a server without port).
    if svc.id.fwmark != 0 || svc.id.port == [0; 2] || sport == [0; 2] {
        return None;
    }
    let conn_max = ipvs.sysctl().conn_max();
    let control = match svc.persistence() {
        Some(ps) => {
            let mut call_id = [0u8; sip::PEDATA_MAXLEN];
            let len = read_call_id(skb, h, &mut call_id)?;
            let key = TemplateKey {
                protocol: PROTO_UDP,
                caddr: ps.client_network(&daddr),
                vaddr: svc.id.addr,
                vport: svc.id.port,
                pe_data: Some(&call_id[..len]),
            };
            let quiescent = ipvs.sysctl().expire_quiescent_template();
            // Without a template, no connection either.
            Some(match dp.conns.lookup_template(&key) {
                Some(ct) if ct.template_usable(quiescent, Some(&dest)) => ct,
                _ => dp
                    .conns
                    .create_template(&key, dest.clone(), sport, svc.clone(), conn_max)
                    .ok()?,
            })
        }
        None => None,
    };
    let extra = if svc.flags() & SVC_F_ONEPACKET != 0 {
        CONN_F_ONE_PACKET
    } else {
        0
    };
    let tuple = Tuple {
        protocol: PROTO_UDP,
        caddr: daddr,
        cport: dport,
        vaddr: svc.id.addr,
        vport: svc.id.port,
        daddr: saddr,
        dport: sport,
    };
    let conn = dp
        .conns
        .create(tuple, dest, svc, extra, Made::Conn(control), conn_max)
        .ok()?;
    dp.count_conn(&conn);
    dp.size_conn_table(ipvs.sysctl().conn_lfactor());
    Some(conn)
}

/// The `nat_icmp_send` end of `ip_vs_out_hook`: with that sysctl set, a packet from a NAT real
/// server's service port that belongs to no connection is dropped and its server told, with a
/// port unreachable, that the connection is gone, unless the packet ends it (a TCP RST, an
/// SCTP packet whose first chunk is an ABORT).
fn stray_from_server(ipvs: &Ipvs, net: &Net, mut skb: HookSkb<'_>, h: &Headers) -> Verdict {
    if !ipvs.sysctl().nat_icmp_send() {
        return Verdict::Accept;
    }
    let Some((sport, _)) = h.ports else {
        return Verdict::Accept;
    };
    let protocol = h.ip.protocol();
    let from_server = {
        let guard = kernel::sync::rcu::read_lock();
        ipvs.dp
            .real_servers
            .nat_server(&guard, protocol, &h.ip.saddr(), sport)
            .is_some()
    };
    let ends_conn = h.event.is_some_and(StateEvent::ends_conn);
    if !from_server || ends_conn {
        return Verdict::Accept;
    }
    if h.ip.is_ipv6() {
        skb.icmpv6_send(net, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0, false);
    } else {
        skb.icmp_send(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    }
    Verdict::Drop
}

/// `handle_response`: a NAT reply gets the virtual address back as its source.
fn handle_response(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    mut skb: HookSkb<'_>,
    conn: &ConnRef,
    h: &Headers,
) -> Verdict {
    let dp = &*ipvs.dp;
    if conn.fwd() == Fwd::Masq {
        let t = &conn.tuple;
        if !nat_rewrite(&mut skb, h, Side::Source, &t.vaddr, t.vport) {
            return skb.free();
        }
        // Replies to remote clients are routed as if this host sent them (policy routing).
        if point != HookPoint::LocalIn
            && ipvs.sysctl().snat_reroute()
            && skb.reroute_as_local(net).is_err()
        {
            return skb.free();
        }
    }
    let len = skb.len();
    dp.count(conn, Direction::Output, len);
    let secure = ipvs.sysctl().secure_tcp_table();
    conn.packet_passed(Direction::Output, h.event, &dp.timeouts, secure);
    skb.mark_ipvs();
    Verdict::Accept
}
