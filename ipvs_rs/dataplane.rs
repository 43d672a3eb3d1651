// SPDX-License-Identifier: GPL-2.0

//! The packet path: netfilter hooks that schedule new connections, forward their packets to
//! the real servers and translate NAT replies back, as C's `ip_vs_in_hook`/`ip_vs_out_hook`.
//!
//! TCP and UDP over IPv4 and IPv6 with NAT (masquerading) and direct routing are handled, and
//! over IPv4 tunnels and the ICMP errors about connections.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::{
    conn::{Conn, ConnTable, Made, ProtoTimeouts, Side as ConnSide, StateEvent, Tuple},
    ctl::sysctl::{self, idx},
    dest::{PathMtu, ServiceShared},
    estimator,
    glue::{
        net::Net,
        netfilter::{Hook, HookSpec, HookState, HookTable},
        rcu::RcuPtr,
        skb::{count_header_error, Encap, HookSkb, Route},
        sysctl::EntryIndex,
        timer::Tick,
        verdict::{HookPoint, Verdict, NFPROTO_IPV4, NFPROTO_IPV6},
    },
    netns::Ipvs,
    packet::{
        self, addr4, ChecksumMode, Icmp, IcmpError, Ip, Ipv4, Ipv6, Side, TunnelQuote,
        ICMPV6_INFOMSG_MASK, ICMP_DEST_UNREACH, ICMP_ERROR_PARSE_LEN, ICMP_LEN, ICMP_TIME_EXCEEDED,
        IPV4_MIN_LEN, IPV6_LEN, SCTP_LEN, TCP_LEN, UDP_LEN,
    },
    persist::{TemplateKey, FTP_PORT},
    rs_table::RealServers,
    sched, sctp_state,
    service::ServiceTable,
    sip,
    stats::Stats,
    tcp_state::Direction,
    tunnel::{self, Kind as TunnelKind},
    uapi::{
        AF_INET, AF_INET6, CONN_F_DROUTE, CONN_F_MASQ, CONN_F_ONE_PACKET, CONN_F_TUNNEL,
        PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, SVC_F_ONEPACKET,
    },
};

/// `NF_IP_PRI_NAT_SRC` and `NF_IP_PRI_NAT_DST`: IPVS hooks sit next to NAT.
const PRI_NAT_SRC: i32 = 100;
const PRI_NAT_DST: i32 = -100;

/// Number of hooks per family.
pub(crate) const HOOKS_COUNT: usize = 6;

/// The hooks of family `pf`, at C's points and priorities (the same for IPv4 and IPv6).
const fn hooks(pf: u8) -> [HookSpec; HOOKS_COUNT] {
    [
        // Replies to local clients, before scheduling (LOCAL_IN, NAT_SRC - 2).
        HookSpec::new::<ReplyHook>(pf, HookPoint::LocalIn, PRI_NAT_SRC - 2),
        // Requests from other hosts, after filtering (LOCAL_IN, NAT_SRC - 1).
        HookSpec::new::<RequestHook>(pf, HookPoint::LocalIn, PRI_NAT_SRC - 1),
        // Replies of local real servers (LOCAL_OUT, NAT_DST + 1).
        HookSpec::new::<ReplyHook>(pf, HookPoint::LocalOut, PRI_NAT_DST + 1),
        // Requests of local clients (LOCAL_OUT, NAT_DST + 2).
        HookSpec::new::<RequestHook>(pf, HookPoint::LocalOut, PRI_NAT_DST + 2),
        // ICMP errors routed through the director about its connections (FORWARD, 99).
        HookSpec::new::<ForwardIcmpHook>(pf, HookPoint::Forward, 99),
        // Replies routed through the director (FORWARD, 100).
        HookSpec::new::<ReplyHook>(pf, HookPoint::Forward, 100),
    ]
}

/// The IPv4 hooks, registered while the namespace has IPv4 services.
pub(crate) static HOOKS_V4: HookTable<HOOKS_COUNT> = HookTable::new(hooks(NFPROTO_IPV4));
/// The IPv6 hooks, registered while the namespace has IPv6 services.
pub(crate) static HOOKS_V6: HookTable<HOOKS_COUNT> = HookTable::new(hooks(NFPROTO_IPV6));

/// ICMP codes IPVS sends.
const ICMP_PORT_UNREACH: u8 = 3;
const ICMP_FRAG_NEEDED: u8 = 4;
const ICMP_EXC_TTL: u8 = 0;
/// ICMPv6 types and codes IPVS sends.
const ICMPV6_DEST_UNREACH: u8 = 1;
const ICMPV6_PORT_UNREACH: u8 = 4;
const ICMPV6_PKT_TOOBIG: u8 = 2;

/// The packet-path state of a namespace.
#[pin_data]
pub(crate) struct DataPlane {
    /// The services, as the control plane last published them.
    pub(crate) services: Arc<RcuPtr<ServiceTable>>,
    /// Their real servers by address and port.
    real_servers: Arc<RealServers>,
    /// Connections.
    #[pin]
    pub(crate) conns: ConnTable,
    /// The namespace's traffic totals.
    pub(crate) stats: Stats,
    /// Connection timeouts.
    pub(crate) timeouts: ProtoTimeouts,
    /// Sweeps so far: every [`estimator::PERIOD_SECS`]th also runs the estimators.
    sweeps: AtomicU32,
}

impl DataPlane {
    /// No services and no connections yet.
    pub(crate) fn new(
        services: Arc<RcuPtr<ServiceTable>>,
        real_servers: Arc<RealServers>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            services,
            real_servers,
            conns <- ConnTable::new(),
            stats: Stats::new()?,
            timeouts: ProtoTimeouts::new(),
            sweeps: AtomicU32::new(0),
        })
    }

    /// Counts a packet of `conn` of `len` bytes for its server, service and the namespace
    /// (`ip_vs_in_stats`/`ip_vs_out_stats`: not once its server is gone).
    fn count(&self, conn: &Conn, direction: Direction, len: u32) {
        if !conn.dest.available() {
            return;
        }
        for stats in [&conn.dest.stats, &conn.svc.stats, &self.stats] {
            match direction {
                Direction::Input => stats.inbound(len),
                Direction::Output => stats.outbound(len),
            }
        }
    }

    /// Counts a new connection for its server, service and the namespace (`ip_vs_conn_stats`).
    fn count_conn(&self, conn: &Conn) {
        for stats in [&conn.dest.stats, &conn.svc.stats, &self.stats] {
            stats.conn();
        }
    }

    /// Runs `f` on each service published to the packet path.
    fn for_each_service(&self, f: impl Fn(&ServiceShared)) {
        let guard = kernel::sync::rcu::read_lock();
        if let Some(table) = self.services.get(&guard) {
            for svc in table.iter() {
                f(svc);
            }
        }
    }
}

impl Tick for DataPlane {
    fn tick(&self) -> Option<u32> {
        self.conns.expire();
        // The sweep runs once a second.
        let n = self.sweeps.fetch_add(1, Ordering::Relaxed);
        if n % estimator::PERIOD_SECS == estimator::PERIOD_SECS - 1 {
            // The namespace's estimators, then its services' and their real servers'.
            self.stats.estimate();
            self.for_each_service(ServiceShared::estimate);
        }
        if n % sched::COLLECT_PERIOD_SECS == sched::COLLECT_PERIOD_SECS - 1 {
            // The schedulers' upkeep (the lblc and lblcr caches' collection).
            self.for_each_service(ServiceShared::collect);
        }
        Some(crate::conn::SWEEP_PERIOD)
    }
}

/// What the hooks read of a packet's headers.
struct Headers {
    ip: Ip,
    /// Source and destination ports, if the transport header has them.
    ports: Option<([u8; 2], [u8; 2])>,
    /// What moves the connection's state: TCP flags, SCTP chunk types (if there).
    event: Option<StateEvent>,
    /// Whether the whole transport header is there (TCP 20, UDP 8 bytes; SCTP's 12 and the
    /// first chunk's header).
    full_l4: bool,
}

/// The IPv4 header alone (its fixed part).
fn read_ipv4(skb: &HookSkb<'_>) -> Option<Ipv4> {
    let mut b = [0u8; IPV4_MIN_LEN];
    if !skb.copy_bits(0, &mut b) {
        return None;
    }
    packet::parse_ipv4(&b)
}

/// The IP header of a packet at an IPv6 hook (`ipv6` set) or an IPv4 one, with the extension
/// headers of IPv6 walked to the transport header.
fn read_ip(skb: &HookSkb<'_>, ipv6: bool) -> Option<Ip> {
    if !ipv6 {
        return read_ipv4(skb).map(Ip::V4);
    }
    let t = skb.ipv6_transport(0)?;
    let mut b = [0u8; IPV6_LEN];
    if !skb.copy_bits(0, &mut b) {
        return None;
    }
    let ip = packet::parse_ipv6(&b)?;
    Some(Ip::V6(Ipv6 {
        header_len: t.offset,
        protocol: t.protocol,
        later_fragment: t.later_fragment,
        fragment_header: t.fragment_header,
        ..ip
    }))
}

fn read_headers(skb: &HookSkb<'_>, ipv6: bool) -> Option<Headers> {
    let ip = read_ip(skb, ipv6)?;
    let (protocol, l4_at) = (ip.protocol(), ip.header_len());
    let mut l4 = [0u8; TCP_LEN];
    let want = match protocol {
        PROTO_TCP => TCP_LEN,
        PROTO_SCTP => SCTP_LEN + sctp_state::CHUNK_LEN,
        _ => UDP_LEN,
    };
    // A later IPv6 fragment has no transport header (netfilter reassembles them first).
    let later_fragment = matches!(ip, Ip::V6(h) if h.later_fragment);
    let full_l4 = !later_fragment && skb.copy_bits(l4_at, &mut l4[..want]);
    let ports = if full_l4 || (!later_fragment && skb.copy_bits(l4_at, &mut l4[..4])) {
        packet::ports(&l4)
    } else {
        None
    };
    let event = match protocol {
        _ if !full_l4 => None,
        PROTO_TCP => packet::tcp_flags(&l4).map(StateEvent::Tcp),
        PROTO_SCTP => {
            let mut first = [0u8; sctp_state::CHUNK_LEN];
            first.copy_from_slice(&l4[SCTP_LEN..want]);
            // An ABORT may follow a first COOKIE ECHO or COOKIE ACK.
            let mut next = [0u8; 1];
            let next = sctp_state::second_chunk_at(first)
                .filter(|&at| skb.copy_bits(l4_at + at as u32, &mut next))
                .map(|_| next[0]);
            Some(StateEvent::Sctp {
                first: first[0],
                event: sctp_state::event_chunk(first, next),
            })
        }
        _ => None,
    };
    Some(Headers {
        ip,
        ports,
        event,
        full_l4,
    })
}

/// The address family of the hooks of `ipv6`.
fn family(ipv6: bool) -> u16 {
    if ipv6 {
        AF_INET6
    } else {
        AF_INET
    }
}

fn sysctl(ipvs: &Ipvs, i: EntryIndex<{ sysctl::COUNT }>) -> i32 {
    ipvs.sysctls.int(i)
}

/// `ip_vs_in_hook`: packets to virtual services.
struct RequestHook;

impl Hook for RequestHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        request(ipvs, state.net(), point, skb, state.ipv6())
    }
}

/// `ip_vs_forward_icmp`: ICMP errors about connections, routed through the director.
struct ForwardIcmpHook;

impl Hook for ForwardIcmpHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        // Every forwarded packet passes here: only its IP header is read.
        match read_ip(&skb, state.ipv6()) {
            Some(ip) if is_icmp(&ip) => {
                in_icmp(ipvs, state.net(), point, skb, &ip).unwrap_or(Verdict::Accept)
            }
            _ => Verdict::Accept,
        }
    }
}

/// `ip_vs_out_hook`: replies from real servers.
struct ReplyHook;

impl Hook for ReplyHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        reply(ipvs, state.net(), point, skb, state.ipv6())
    }
}

fn request(ipvs: &Ipvs, net: &Net, point: HookPoint, mut skb: HookSkb<'_>, ipv6: bool) -> Verdict {
    if skb.ipvs_property() || !skb.for_host(point) || !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(h) = read_headers(&skb, ipv6) else {
        return Verdict::Accept;
    };
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if is_icmp(&h.ip) {
        skb = match in_icmp(ipvs, net, point, skb, &h.ip) {
            Ok(v) => return v,
            Err(s) => s,
        };
    }
    let protocol = h.ip.protocol();
    if !packet::has_ports(protocol) {
        // Seen again only if it was a tunnel: mark it to be skipped then.
        if sysctl(ipvs, idx::IGNORE_TUNNELED) != 0 {
            skb.mark_ipvs();
        }
        return Verdict::Accept;
    }
    let dp = &*ipvs.dp;
    let af = family(ipv6);
    let (saddr, daddr) = (h.ip.saddr(), h.ip.daddr());
    let mut conn = h.ports.and_then(|(sport, dport)| {
        dp.conns
            .lookup(ConnSide::In, af, protocol, &saddr, sport, &daddr, dport)
    });

    // A new connection on the tuple of an old one: start over when the old one is finished
    // (or its server quiesced), as C's `conn_reuse_mode` and `expire_nodest_conn` say.
    if let Some(c) = &conn {
        if h.event.is_some_and(StateEvent::is_new_conn) {
            let resched = if sysctl(ipvs, idx::EXPIRE_NODEST_CONN) != 0 && c.dest.weight() == 0 {
                true
            } else {
                let mode = sysctl(ipvs, idx::CONN_REUSE_MODE);
                mode != 0 && c.expects_new(mode)
            };
            if resched {
                dp.conns.remove(c);
                conn = None;
            }
        }
    }
    // The server was removed: drop its packets, or end the connection and schedule anew.
    if let Some(c) = &conn {
        if !c.dest.available() {
            if sysctl(ipvs, idx::EXPIRE_NODEST_CONN) == 0 {
                return Verdict::Drop;
            }
            dp.conns.remove(c);
            conn = None;
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
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Input, h.event, &dp.timeouts, secure);
    let verdict = match conn.fwd() {
        CONN_F_MASQ => nat_xmit(net, skb, &conn, &h),
        CONN_F_DROUTE => dr_xmit(net, skb, &conn, &h.ip, false),
        CONN_F_TUNNEL => tunnel_xmit(ipvs, net, skb, &conn, &h.ip, false),
        // A local node or bypass connection goes up the local stack.
        _ => Verdict::Accept,
    };
    if conn.one_packet() {
        dp.conns.release_one_packet(&conn);
    } else {
        conn.touch();
    }
    verdict
}

/// `tcp_conn_schedule`/`udp_conn_schedule` and `ip_vs_schedule`: a new connection for a packet
/// to a virtual service, or the verdict for a packet that gets none.
fn schedule(
    ipvs: &Ipvs,
    net: &Net,
    h: &Headers,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
    skb: &mut HookSkb<'_>,
) -> Result<Arc<Conn>, Verdict> {
    let dp = &*ipvs.dp;
    let (ipv6, protocol) = (h.ip.is_ipv6(), h.ip.protocol());
    let af = family(ipv6);
    // A truncated transport header: C drops the packet.
    if !h.full_l4 {
        return Err(Verdict::Drop);
    }
    let Some((sport, dport)) = h.ports else {
        return Err(Verdict::Drop);
    };
    // Only a packet that starts a connection (or any, if sloppy) schedules one.
    let starts = match h.event {
        Some(StateEvent::Tcp(f)) => !f.rst && (f.syn || sysctl(ipvs, idx::SLOPPY_TCP) != 0),
        Some(StateEvent::Sctp { first, .. }) => {
            sctp_state::schedules(first, sysctl(ipvs, idx::SLOPPY_SCTP) != 0)
        }
        None => true,
    };
    if !starts {
        return Err(Verdict::Accept);
    }
    let guard = kernel::sync::rcu::read_lock();
    let Some(svc) = dp
        .services
        .get(&guard)
        .and_then(|t| t.find(af, skb.mark(), protocol, daddr, dport))
        .cloned()
    else {
        return Err(Verdict::Accept);
    };
    drop(guard);
    // Do not schedule replies of local real servers (their connection exists inverted).
    if skb.is_local_origin()
        && dp
            .conns
            .lookup(ConnSide::In, af, protocol, daddr, dport, saddr, sport)
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
    let conn_max = sysctl(ipvs, idx::CONN_MAX);
    // With persistence, the client's template (found, or made now) decides the server.
    let (dest, control) = if let Some(ps) = persistence {
        let key = TemplateKey {
            pe_data: call_id,
            ..ps.template_key(protocol, saddr, daddr, dport)
        };
        let quiescent = sysctl(ipvs, idx::EXPIRE_QUIESCENT_TEMPLATE) != 0;
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
    let extra = if svc.flags() & SVC_F_ONEPACKET != 0 && protocol == PROTO_UDP {
        CONN_F_ONE_PACKET
    } else {
        0
    };
    let tuple = Tuple {
        af,
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
    Ok(conn)
}

/// The Call-ID of a UDP packet's SIP message, copied to `buf` (`ip_vs_sip_fill_param`): its
/// length, or `None` if there is none.
fn read_call_id(
    skb: &mut HookSkb<'_>,
    h: &Headers,
    buf: &mut [u8; sip::PEDATA_MAXLEN],
) -> Option<usize> {
    if h.ip.protocol() != PROTO_UDP {
        return None;
    }
    let at = h.ip.header_len() as usize + UDP_LEN;
    // C linearises the packet for conntrack's SIP parser.
    let msg = skb.linear().ok()?.get(at..).filter(|m| !m.is_empty())?;
    let id = sip::call_id(msg)?;
    buf.get_mut(..id.len())?.copy_from_slice(id);
    Some(id.len())
}

/// `ip_vs_nat_xmit`: the packet goes to the real server with its destination rewritten.
fn nat_xmit(net: &Net, mut skb: HookSkb<'_>, conn: &Conn, h: &Headers) -> Verdict {
    let t = &conn.tuple;
    let Ok(local) = nat_route(net, &mut skb, &t.daddr, &h.ip, RtMode::NAT, false) else {
        return skb.free();
    };
    if !nat_rewrite(&mut skb, h, Side::Destination, &t.daddr, t.dport) {
        return skb.free();
    }
    send_or_continue(net, skb, local, h.ip.is_ipv6())
}

/// [`route_to_server`] for a packet about to be rewritten for a NAT server, as C's NAT
/// transmitters do after it: never from another host to a loopback address, and with room
/// for the link header made before rewriting.
fn nat_route(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: &[u8; 16],
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    let local = route_to_server(net, skb, rs, ip, mode, icmp)?;
    // A local packet keeps its route, so this is still where it came from.
    let from_other_host = match ip {
        Ip::V4(_) => rs[0] == 127 && skb.route_is_input(),
        Ip::V6(_) => *rs == packet::IPV6_LOOPBACK && !skb.is_local_origin(),
    };
    if local && from_other_host {
        return Err(EINVAL);
    }
    skb.reserve_link_header()?;
    Ok(local)
}

/// `ip_vs_dr_xmit`: the packet goes unchanged to the real server's link address.
fn dr_xmit(net: &Net, mut skb: HookSkb<'_>, conn: &Conn, ip: &Ip, icmp: bool) -> Verdict {
    let rs = &conn.tuple.daddr;
    let Ok(local) = route_to_server(net, &mut skb, rs, ip, RtMode::DR, icmp) else {
        return skb.free();
    };
    if !local {
        // Fragment rather than answer with an error: the MTU was checked already.
        skb.ignore_df();
    }
    send_or_continue(net, skb, local, ip.is_ipv6())
}

/// `ip_vs_tunnel_xmit(_v6)`: the packet goes to the real server inside a new IP header of the
/// server's family (and a GUE or GRE header if the server was configured with one), from the
/// address the route to the server chose.
fn tunnel_xmit(
    ipvs: &Ipvs,
    net: &Net,
    mut skb: HookSkb<'_>,
    conn: &Conn,
    ip: &Ip,
    icmp: bool,
) -> Verdict {
    let dest = &conn.dest;
    let outer_ipv6 = dest.af == AF_INET6;
    let kind = TunnelKind::of_dest(dest.tun_type(), dest.tun_port(), dest.tun_flags());
    let pmtu_disc = sysctl(ipvs, idx::PMTU_DISC) != 0;
    let partial = skb.partial_checksum();
    let tunnel = TunnelPath {
        kind,
        overhead: kind.overhead(partial.is_some(), outer_ipv6),
        pmtu_disc,
        outer_ipv6,
    };
    let rs = &conn.tuple.daddr;
    let saddr = match route_out(net, &mut skb, rs, ip, RtMode::TUNNEL, icmp, Some(tunnel)) {
        Ok(None) => return send_or_continue(net, skb, true, ip.is_ipv6()),
        Ok(Some((saddr, path_mtu))) => {
            dest.set_path_mtu(path_mtu);
            saddr
        }
        Err(_) => return skb.free(),
    };
    // Routing to another host decremented the TTL in the packet.
    let inner = tunnel::Inner::of(ip, pmtu_disc);
    match encapsulate(net, &mut skb, &inner, tunnel, partial, &saddr, rs) {
        Ok(()) => skb.send_encapsulated(net, outer_ipv6),
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
    skb.start_encapsulation(encap, inner.protocol, path.outer_ipv6)?;
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
            skb.set_udp_checksum(checksum || remote_checksum, path.outer_ipv6, saddr, daddr);
        }
        TunnelKind::Gre { checksum } => skb.push_gre(checksum, inner.ethertype())?,
    }
    let protocol = kind.outer_protocol(inner.protocol);
    if path.outer_ipv6 {
        skb.push_ipv6(&tunnel::outer_ipv6(inner, protocol, saddr, daddr))
    } else {
        let header = tunnel::outer_ipv4(inner, protocol, addr4(saddr), addr4(daddr));
        skb.push_ipv4(net, &header)
    }
}

/// `ip_vs_send_or_cont`: a packet for this host continues up the stack; any other is sent on
/// its new route.
fn send_or_continue(net: &Net, mut skb: HookSkb<'_>, local: bool, ipv6: bool) -> Verdict {
    skb.mark_ipvs();
    if local {
        Verdict::Accept
    } else {
        skb.send(net, true, ipv6)
    }
}

/// C's `IP_VS_RT_MODE_*`: where a transmitter may send a packet (anywhere but here is always
/// allowed).
#[derive(Clone, Copy)]
struct RtMode {
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
    const NAT: Self = Self {
        local: true,
        redirect: true,
        known_nexthop: false,
        connect: false,
    };
    /// ICMP errors from the FORWARD hook to a NAT server: `NON_LOCAL` only.
    const NAT_FORWARD: Self = Self {
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
struct TunnelPath {
    /// The tunnel's header.
    kind: TunnelKind,
    /// Bytes the tunnel puts in front of the packet (taken off the route's MTU).
    overhead: u32,
    /// The `pmtu_disc` sysctl: without it tunnelled IPv4 packets are fragmented, never
    /// refused.
    pmtu_disc: bool,
    /// The outer header is IPv6 (the real server's family).
    outer_ipv6: bool,
}

/// `__ip_vs_get_out_rt` for NAT and direct routing: [`route_out`], `Ok(true)` if the server
/// is this host.
fn route_to_server(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: &[u8; 16],
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    route_out(net, skb, rs, ip, mode, icmp, None).map(|out| out.is_none())
}

/// `__ip_vs_get_out_rt(_v6)`: routes the packet to real server `rs` as `mode` allows, with the
/// TTL and MTU checks of a forwarded packet (no MTU error answers an ICMP error). The route is
/// of the packet's family, or through a `tunnel` of the tunnel's. `Ok(None)` if the server is
/// this host: the packet keeps its route and goes up the stack; otherwise the packet has its
/// new route and `Ok` has the source address the route chose and its path MTU. `Err` if the
/// packet is to be dropped (the sender has been told where C tells it).
fn route_out(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: &[u8; 16],
    ip: &Ip,
    mode: RtMode,
    icmp: bool,
    tunnel: Option<TunnelPath>,
) -> Result<Option<([u8; 16], PathMtu)>> {
    let ipv6 = ip.is_ipv6();
    let route_ipv6 = tunnel.map_or(ipv6, |t| t.outer_ipv6);
    let Some(route) = Route::output(net, route_ipv6, rs, mode.known_nexthop, mode.connect) else {
        skb.link_failure();
        return Err(EHOSTUNREACH);
    };
    let local = route.is_local();
    // `crosses_local_route_boundary`.
    if local {
        if !mode.local || (!mode.redirect && !skb.route_is_local(ipv6)) {
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
        let min = if t.outer_ipv6 {
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
fn nat_rewrite(
    skb: &mut HookSkb<'_>,
    h: &Headers,
    side: Side,
    addr: &[u8; 16],
    port: [u8; 2],
) -> bool {
    let mode = if skb.checksum_partial() {
        ChecksumMode::Partial
    } else {
        ChecksumMode::Full
    };
    let protocol = h.ip.protocol();
    let l4 = match protocol {
        PROTO_TCP => TCP_LEN,
        PROTO_SCTP => SCTP_LEN,
        _ => UDP_LEN,
    } as u32;
    let rewritten = match skb.writable(h.ip.header_len() + l4) {
        Ok(hdr) => packet::nat_rewrite(hdr, &h.ip, side, addr, port, mode),
        Err(_) => false,
    };
    if !rewritten {
        return false;
    }
    if protocol == PROTO_SCTP {
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
fn decrement_ttl(net: &Net, skb: &mut HookSkb<'_>, ip: &Ip) -> bool {
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

fn reply(ipvs: &Ipvs, net: &Net, point: HookPoint, skb: HookSkb<'_>, ipv6: bool) -> Verdict {
    if skb.ipvs_property() {
        return Verdict::Accept;
    }
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(mut h) = read_headers(&skb, ipv6) else {
        return Verdict::Accept;
    };
    let protocol = h.ip.protocol();
    if is_icmp(&h.ip) {
        return out_icmp(ipvs, net, point, skb, &h.ip).unwrap_or(Verdict::Accept);
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
        h = match read_headers(&skb, ipv6) {
            Some(h) => h,
            None => return Verdict::Accept,
        };
    }
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (h.ip.saddr(), h.ip.daddr());
    let af = family(ipv6);
    let Some((sport, dport)) = h.ports else {
        return Verdict::Accept;
    };
    let found = dp
        .conns
        .lookup(ConnSide::Out, af, protocol, &saddr, sport, &daddr, dport);
    // Only UDP: TCP and SCTP clients would answer from ports no service has.
    let found = match found {
        None if protocol == PROTO_UDP && point != HookPoint::LocalIn => {
            server_request(ipvs, &mut skb, &h, af)
        }
        found => found,
    };
    let Some(conn) = found else {
        return stray_from_server(ipvs, net, skb, &h, af);
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
fn server_request(ipvs: &Ipvs, skb: &mut HookSkb<'_>, h: &Headers, af: u16) -> Option<Arc<Conn>> {
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
            .nat_server(&guard, af, PROTO_UDP, &saddr, sport)
            .filter(|rs| rs.svc.uses_sip())?;
        (rs.dest.clone(), rs.svc.clone())
    };
    // The connection needs the virtual address and port: not through a firewall-mark service
    // or a port-0 one (or from a server without port).
    if svc.id.fwmark != 0 || svc.id.port == [0; 2] || sport == [0; 2] {
        return None;
    }
    let conn_max = sysctl(ipvs, idx::CONN_MAX);
    let control = match svc.persistence() {
        Some(ps) => {
            let mut call_id = [0u8; sip::PEDATA_MAXLEN];
            let len = read_call_id(skb, h, &mut call_id)?;
            let key = TemplateKey {
                af: svc.id.af,
                protocol: PROTO_UDP,
                caddr: ps.client_network(&daddr),
                vaddr: svc.id.addr,
                vport: svc.id.port,
                pe_data: Some(&call_id[..len]),
            };
            let quiescent = sysctl(ipvs, idx::EXPIRE_QUIESCENT_TEMPLATE) != 0;
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
        af: svc.id.af,
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
    Some(conn)
}

/// The `nat_icmp_send` end of `ip_vs_out_hook`: with that sysctl set, a packet from a NAT real
/// server's service port that belongs to no connection is dropped and its server told, with a
/// port unreachable, that the connection is gone, unless the packet ends it (a TCP RST, an
/// SCTP packet whose first chunk is an ABORT).
fn stray_from_server(
    ipvs: &Ipvs,
    net: &Net,
    mut skb: HookSkb<'_>,
    h: &Headers,
    af: u16,
) -> Verdict {
    if sysctl(ipvs, idx::NAT_ICMP_SEND) == 0 {
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
            .nat_server(&guard, af, protocol, &h.ip.saddr(), sport)
            .is_some()
    };
    let ends_conn = match h.event {
        Some(StateEvent::Tcp(f)) => f.rst,
        Some(StateEvent::Sctp { first, .. }) => sctp_state::is_abort(first),
        None => false,
    };
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
    conn: &Arc<Conn>,
    h: &Headers,
) -> Verdict {
    let dp = &*ipvs.dp;
    if conn.fwd() == CONN_F_MASQ {
        let t = &conn.tuple;
        if !nat_rewrite(&mut skb, h, Side::Source, &t.vaddr, t.vport) {
            return skb.free();
        }
        // Replies to remote clients are routed as if this host sent them (policy routing).
        if point != HookPoint::LocalIn
            && sysctl(ipvs, idx::SNAT_REROUTE) != 0
            && skb.reroute_as_local(net, h.ip.is_ipv6()).is_err()
        {
            return skb.free();
        }
    }
    let len = skb.len();
    dp.count(conn, Direction::Output, len);
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Output, h.event, &dp.timeouts, secure);
    skb.mark_ipvs();
    conn.touch();
    Verdict::Accept
}

/// Whether `ip` is an ICMP (for IPv6, ICMPv6) packet.
fn is_icmp(ip: &Ip) -> bool {
    match ip {
        Ip::V4(h) => h.protocol == PROTO_ICMP,
        Ip::V6(h) => h.protocol == PROTO_ICMPV6,
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
    tunnel_type: impl Fn(&[u8; 16], [u8; 2]) -> Option<u8>,
) -> Result<(HookSkb<'a>, Ip, Icmp), Verdict> {
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
fn quoted_conn(dp: &DataPlane, side: ConnSide, e: &IcmpError) -> Option<Arc<Conn>> {
    let q = &e.quoted;
    let (mut from, mut to) = ((q.saddr(), e.ports.0), (q.daddr(), e.ports.1));
    if e.tunnel.is_none() {
        core::mem::swap(&mut from, &mut to);
    }
    let af = family(q.is_ipv6());
    dp.conns
        .lookup(side, af, q.protocol(), &from.0, from.1, &to.0, to.1)
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
fn in_icmp<'a>(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'a>,
    ip: &Ip,
) -> core::result::Result<Verdict, HookSkb<'a>> {
    let dp = &*ipvs.dp;
    // Errors about this director's own tunnel packets are sent to it (IPv4 only, as in C).
    let to_host = matches!(ip, Ip::V4(_)) && skb.route_is_local(false);
    let tunnel_type = |addr: &[u8; 16], port| {
        to_host
            .then(|| dp.real_servers.tunnel_type(AF_INET, addr, port))
            .flatten()
    };
    let (mut skb, outer, e) = match read_icmp(net, point, skb, ip, tunnel_type) {
        Ok((_, _, Icmp::Malformed)) => return Ok(Verdict::Drop),
        Ok((skb, _, Icmp::Unrelated)) => return Err(skb),
        Ok((_, _, Icmp::Ignored)) => return Ok(Verdict::Accept),
        Ok((skb, outer, Icmp::Error(e))) => (skb, outer, e),
        Err(v) => return Ok(v),
    };
    // The quoted packet is the reply (virtual address to client), or the request in a tunnel
    // packet. Errors never schedule a connection here (`schedule_icmp` is not supported).
    let Some(conn) = quoted_conn(dp, ConnSide::In, &e) else {
        return Ok(Verdict::Accept);
    };
    if let Some(tunnel) = e.tunnel {
        return Ok(tunnel_icmp(dp, net, skb, &e, tunnel, &conn));
    }
    if conn.fwd() == CONN_F_MASQ && icmp_writable(&mut skb, &e).is_none() {
        return Ok(Verdict::Drop);
    }
    let len = skb.len();
    dp.count(&conn, Direction::Input, len);
    // `ip_vs_icmp_xmit`: errors about other forwarding methods go as their packets do.
    match conn.fwd() {
        CONN_F_MASQ => {}
        CONN_F_DROUTE => return Ok(dr_xmit(net, skb, &conn, &outer, true)),
        CONN_F_TUNNEL => return Ok(tunnel_xmit(ipvs, net, skb, &conn, &outer, true)),
        _ => return Ok(Verdict::Accept),
    }
    let t = &conn.tuple;
    let mode = if point == HookPoint::Forward {
        RtMode::NAT_FORWARD
    } else {
        RtMode::NAT
    };
    let Ok(local) = nat_route(net, &mut skb, &t.daddr, &outer, mode, true) else {
        return Ok(skb.free());
    };
    let len = skb.len();
    match skb.writable(len) {
        Ok(pkt) => packet::nat_icmp(pkt, &e, Side::Destination, &t.daddr, t.dport),
        Err(_) => return Ok(skb.free()),
    }
    skb.checksum_verified();
    // Another error about this error would be wrong: fragment it instead if it must be.
    skb.ignore_df();
    Ok(send_or_continue(net, skb, local, outer.is_ipv6()))
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
        if !skb.pull_to_ipv4(tunnel.outer_at as u32, IPV4_MIN_LEN as u32) {
            return skb.consume();
        }
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
            Some(_) => {
                Route::output(net, false, &conn.dest.addr, false, false).map_or(mtu, |r| r.mtu())
            }
        };
        let headers = tunnel.headers_len as u32;
        if mtu > 68 + headers {
            mtu -= headers;
        }
        info = mtu;
        request_at = headers;
    }
    if !skb.pull_to_ipv4(request_at, q.header_len()) {
        return skb.consume();
    }
    skb.icmp_send(ty, code, info);
    // Counted as a reply, however short.
    dp.count(conn, Direction::Output, skb.len());
    skb.consume()
}

/// `ip_vs_out_icmp(_v6)` and `handle_response_icmp`: an ICMP error from a real server's side
/// about a packet of a NATed connection gets the virtual address back.
fn out_icmp(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'_>,
    ip: &Ip,
) -> Option<Verdict> {
    let (mut skb, e) = match read_icmp(net, point, skb, ip, |_, _| None) {
        Ok((_, _, Icmp::Malformed)) => return Some(Verdict::Drop),
        Ok((skb, _, Icmp::Error(e))) => (skb, e),
        Ok(_) => return None,
        Err(v) => return Some(v),
    };
    let dp = &*ipvs.dp;
    // The quoted packet is the request: client to real server.
    let conn = quoted_conn(dp, ConnSide::Out, &e)?;
    if conn.fwd() == CONN_F_MASQ {
        let t = &conn.tuple;
        match icmp_writable(&mut skb, &e) {
            Some(pkt) => packet::nat_icmp(pkt, &e, Side::Source, &t.vaddr, t.vport),
            None => return Some(Verdict::Drop),
        }
        skb.checksum_verified();
        if point != HookPoint::LocalIn
            && sysctl(ipvs, idx::SNAT_REROUTE) != 0
            && skb.reroute_as_local(net, ip.is_ipv6()).is_err()
        {
            return Some(skb.free());
        }
    }
    let len = skb.len();
    dp.count(&conn, Direction::Output, len);
    skb.mark_ipvs();
    Some(Verdict::Accept)
}
