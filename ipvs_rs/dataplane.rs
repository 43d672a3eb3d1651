// SPDX-License-Identifier: GPL-2.0

//! The packet path: netfilter hooks that schedule new connections, forward their packets to
//! the real servers and translate NAT replies back, as C's `ip_vs_in_hook`/`ip_vs_out_hook`.
//!
//! IPv4 TCP and UDP with NAT (masquerading) and direct routing are handled, with the ICMP
//! errors about their connections; tunnels are accepted unchanged for now.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::{
    conn::{
        Conn, ConnTable, ProtoTimeouts, Side as ConnSide, Tuple, FWD_DROUTE, FWD_MASQ, FWD_TUNNEL,
    },
    ctl::sysctl::idx,
    estimator,
    glue::{
        net::Net,
        netfilter::{Hook, HookPoint, HookSpec, HookState, HookTable, Verdict, NFPROTO_IPV4},
        rcu::RcuPtr,
        skb::{count_header_error, Encap, HookSkb, Route},
        timer::Tick,
    },
    netns::Ipvs,
    packet::{
        self, ChecksumMode, Icmp, IcmpError, Ipv4, Side, ICMP_DEST_UNREACH, ICMP_ERROR_PARSE_LEN,
        ICMP_TIME_EXCEEDED, IPV4_MIN_LEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_LEN, UDP_LEN,
    },
    persist::CONN_F_TEMPLATE,
    request::AF_INET,
    sched,
    service::ServiceTable,
    stats::Stats,
    tcp_state::{Direction, TcpFlags},
    tunnel::{self, Kind as TunnelKind},
};

/// `NF_IP_PRI_NAT_SRC` and `NF_IP_PRI_NAT_DST`: IPVS hooks sit next to NAT.
const PRI_NAT_SRC: i32 = 100;
const PRI_NAT_DST: i32 = -100;

/// Number of IPv4 hooks.
pub(crate) const HOOKS_V4_COUNT: usize = 6;

/// The IPv4 hooks, at C's points and priorities.
pub(crate) static HOOKS_V4: HookTable<HOOKS_V4_COUNT> = HookTable::new([
    // Replies to local clients, before scheduling (LOCAL_IN, NAT_SRC - 2).
    HookSpec::new::<ReplyHook>(NFPROTO_IPV4, HookPoint::LocalIn, PRI_NAT_SRC - 2),
    // Requests from other hosts, after filtering (LOCAL_IN, NAT_SRC - 1).
    HookSpec::new::<RequestHook>(NFPROTO_IPV4, HookPoint::LocalIn, PRI_NAT_SRC - 1),
    // Replies of local real servers (LOCAL_OUT, NAT_DST + 1).
    HookSpec::new::<ReplyHook>(NFPROTO_IPV4, HookPoint::LocalOut, PRI_NAT_DST + 1),
    // Requests of local clients (LOCAL_OUT, NAT_DST + 2).
    HookSpec::new::<RequestHook>(NFPROTO_IPV4, HookPoint::LocalOut, PRI_NAT_DST + 2),
    // ICMP errors routed through the director about its connections (FORWARD, 99).
    HookSpec::new::<ForwardIcmpHook>(NFPROTO_IPV4, HookPoint::Forward, 99),
    // Replies routed through the director (FORWARD, 100).
    HookSpec::new::<ReplyHook>(NFPROTO_IPV4, HookPoint::Forward, 100),
]);

/// ICMP codes IPVS sends.
const ICMP_PORT_UNREACH: u8 = 3;
const ICMP_FRAG_NEEDED: u8 = 4;
const ICMP_EXC_TTL: u8 = 0;
/// The FTP control port: a service on it lets other ports of its address pass.
const FTP_PORT: [u8; 2] = 21u16.to_be_bytes();
/// `IP_VS_SVC_F_ONEPACKET`.
const SVC_F_ONEPACKET: u32 = 0x4;
/// `IP_VS_CONN_F_ONE_PACKET`.
const CONN_F_ONE_PACKET: u32 = 0x2000;

/// The packet-path state of a namespace.
#[pin_data]
pub(crate) struct DataPlane {
    /// The services, as the control plane last published them.
    pub(crate) services: Arc<RcuPtr<ServiceTable>>,
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
    pub(crate) fn new(services: Arc<RcuPtr<ServiceTable>>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            services,
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

    /// Runs the estimators of the namespace, its services and their real servers.
    fn estimate(&self) {
        self.stats.estimate();
        let guard = kernel::sync::rcu::read_lock();
        if let Some(table) = self.services.get(&guard) {
            for svc in table.iter() {
                svc.estimate();
            }
        }
    }

    /// Runs the schedulers' periodic upkeep (the lblc and lblcr caches' collection).
    fn collect(&self) {
        let guard = kernel::sync::rcu::read_lock();
        if let Some(table) = self.services.get(&guard) {
            for svc in table.iter() {
                svc.collect();
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
            self.estimate();
        }
        if n % sched::COLLECT_PERIOD_SECS == sched::COLLECT_PERIOD_SECS - 1 {
            self.collect();
        }
        Some(crate::conn::SWEEP_PERIOD)
    }
}

/// What the hooks read of a packet's headers.
struct Headers {
    ip: Ipv4,
    /// Source and destination ports, if the transport header has them.
    ports: Option<([u8; 2], [u8; 2])>,
    /// TCP flags, if this is TCP with a whole header.
    tcp: Option<TcpFlags>,
    /// Whether the whole transport header (TCP 20, UDP 8 bytes) is there.
    full_l4: bool,
}

fn addr16(a: [u8; 4]) -> [u8; 16] {
    let mut x = [0u8; 16];
    x[..4].copy_from_slice(&a);
    x
}

/// The IPv4 address in the first 4 bytes of a connection's address.
fn addr4(a: &[u8; 16]) -> [u8; 4] {
    [a[0], a[1], a[2], a[3]]
}

/// The IPv4 header alone (its fixed part).
fn read_ipv4(skb: &HookSkb<'_>) -> Option<Ipv4> {
    let mut b = [0u8; IPV4_MIN_LEN];
    if !skb.copy_bits(0, &mut b) {
        return None;
    }
    packet::parse_ipv4(&b)
}

fn read_headers(skb: &HookSkb<'_>) -> Option<Headers> {
    let ip = read_ipv4(skb)?;
    let mut l4 = [0u8; TCP_LEN];
    let want = if ip.protocol == PROTO_TCP {
        TCP_LEN
    } else {
        UDP_LEN
    };
    let full_l4 = skb.copy_bits(ip.header_len, &mut l4[..want]);
    let ports = if full_l4 || skb.copy_bits(ip.header_len, &mut l4[..4]) {
        packet::ports(&l4)
    } else {
        None
    };
    let tcp = (ip.protocol == PROTO_TCP && full_l4)
        .then(|| packet::tcp_flags(&l4))
        .flatten();
    Some(Headers {
        ip,
        ports,
        tcp,
        full_l4,
    })
}

fn sysctl(ipvs: &Ipvs, i: usize) -> i32 {
    ipvs.sysctls.int(i).unwrap_or(0)
}

/// `ip_vs_in_hook`: packets to virtual services.
struct RequestHook;

impl Hook for RequestHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        request(ipvs, state.net(), point, skb)
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
        match read_ipv4(&skb) {
            Some(ip) if ip.protocol == PROTO_ICMP => {
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
        reply(ipvs, state.net(), point, skb)
    }
}

fn request(ipvs: &Ipvs, net: &Net, point: HookPoint, mut skb: HookSkb<'_>) -> Verdict {
    if skb.ipvs_property() || !skb.for_host(point) || !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(h) = read_headers(&skb) else {
        return Verdict::Accept;
    };
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if h.ip.protocol == PROTO_ICMP {
        skb = match in_icmp(ipvs, net, point, skb, &h.ip) {
            Ok(v) => return v,
            Err(s) => s,
        };
    }
    if !matches!(h.ip.protocol, PROTO_TCP | PROTO_UDP) {
        // Seen again only if it was a tunnel: mark it to be skipped then.
        if sysctl(ipvs, idx::IGNORE_TUNNELED) != 0 {
            skb.mark_ipvs();
        }
        return Verdict::Accept;
    }
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (addr16(h.ip.saddr), addr16(h.ip.daddr));
    let mut conn = h.ports.and_then(|(sport, dport)| {
        dp.conns
            .lookup(ConnSide::In, h.ip.protocol, &saddr, sport, &daddr, dport)
    });

    // A new connection on the tuple of an old one: start over when the old one is finished
    // (or its server quiesced), as C's `conn_reuse_mode` and `expire_nodest_conn` say.
    if let Some(c) = &conn {
        if h.tcp.is_some_and(|f| f.syn) {
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
        None => match schedule(ipvs, &h, &saddr, &daddr, &skb) {
            Ok(c) => c,
            Err(v) => return v,
        },
    };

    let len = skb.len();
    dp.count(&conn, Direction::Input, len);
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Input, h.tcp, &dp.timeouts, secure);
    let verdict = match conn.fwd() {
        FWD_MASQ => nat_xmit(net, skb, &conn, &h),
        FWD_DROUTE => dr_xmit(net, skb, &conn, &h.ip, false),
        FWD_TUNNEL => tunnel_xmit(ipvs, net, skb, &conn, &h.ip, false),
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
    h: &Headers,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
    skb: &HookSkb<'_>,
) -> Result<Arc<Conn>, Verdict> {
    let dp = &*ipvs.dp;
    // A truncated transport header: C drops the packet.
    if !h.full_l4 {
        return Err(Verdict::Drop);
    }
    let Some((sport, dport)) = h.ports else {
        return Err(Verdict::Drop);
    };
    if let Some(f) = h.tcp {
        if f.rst || !(f.syn || sysctl(ipvs, idx::SLOPPY_TCP) != 0) {
            return Err(Verdict::Accept);
        }
    }
    let guard = kernel::sync::rcu::read_lock();
    let Some(svc) = dp
        .services
        .get(&guard)
        .and_then(|t| t.find(AF_INET, skb.mark(), h.ip.protocol, daddr, dport))
        .cloned()
    else {
        return Err(Verdict::Accept);
    };
    drop(guard);
    // Do not schedule replies of local real servers (their connection exists inverted).
    if skb.is_local_origin()
        && dp
            .conns
            .lookup(ConnSide::In, h.ip.protocol, daddr, dport, saddr, sport)
            .is_some()
    {
        return Err(Verdict::Accept);
    }
    // `ip_vs_leave`: other ports of an FTP service's address pass; otherwise tell the client.
    let leave = || {
        if svc.id.port == FTP_PORT && dport != FTP_PORT {
            return Verdict::Accept;
        }
        skb.icmp_send(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        Verdict::Drop
    };
    let conn_max = sysctl(ipvs, idx::CONN_MAX);
    let persistence = svc.persistence();
    // With persistence, the client's template (found, or made now) decides the server.
    let (dest, control) = if let Some(ps) = persistence {
        let key = ps.template_key(h.ip.protocol, saddr, daddr, dport);
        let quiescent = sysctl(ipvs, idx::EXPIRE_QUIESCENT_TEMPLATE) != 0;
        let template = match dp.conns.lookup_template(&key) {
            Some(ct) if ct.template_usable(quiescent) => ct,
            _ => {
                let Some(dest) = svc.schedule(saddr, sport, daddr) else {
                    return Err(leave());
                };
                let tuple = Tuple {
                    protocol: key.protocol,
                    caddr: key.caddr,
                    cport: [0; 2],
                    vaddr: key.vaddr,
                    vport: key.vport,
                    daddr: dest.addr,
                    dport: ps.template_dport(dport, dest.port),
                };
                let ct = dp
                    .conns
                    .create(tuple, dest, svc.clone(), CONN_F_TEMPLATE, None, conn_max)
                    .map_err(|_| Verdict::Drop)?;
                ct.set_timeout(svc.persistence_timeout());
                ct
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
    let extra = if svc.flags() & SVC_F_ONEPACKET != 0 && h.ip.protocol == PROTO_UDP {
        CONN_F_ONE_PACKET
    } else {
        0
    };
    let tuple = Tuple {
        protocol: h.ip.protocol,
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
        .create(tuple, dest, svc, extra, control, conn_max)
        .map_err(|_| Verdict::Drop)?;
    conn.dest.stats.conn();
    conn.svc.stats.conn();
    dp.stats.conn();
    Ok(conn)
}

/// `ip_vs_nat_xmit`: the packet goes to the real server with its destination rewritten.
fn nat_xmit(net: &Net, mut skb: HookSkb<'_>, conn: &Conn, h: &Headers) -> Verdict {
    let t = &conn.tuple;
    let rs = addr4(&t.daddr);
    let Ok(local) = nat_route(net, &mut skb, rs, &h.ip, RtMode::NAT, false) else {
        return skb.free();
    };
    if !nat_rewrite(&mut skb, h, Side::Destination, rs, t.dport) {
        return skb.free();
    }
    send_or_continue(net, skb, local)
}

/// [`route_to_server`] for a packet about to be rewritten for a NAT server, as C's NAT
/// transmitters do after it: never from another host to a loopback address, and with room
/// for the link header made before rewriting.
fn nat_route(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: [u8; 4],
    ip: &Ipv4,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    let local = route_to_server(net, skb, rs, ip, mode, icmp)?;
    // A local packet keeps its route, so this is still where it came from.
    if local && rs[0] == 127 && skb.route_is_input() {
        return Err(EINVAL);
    }
    skb.reserve_link_header()?;
    Ok(local)
}

/// `ip_vs_dr_xmit`: the packet goes unchanged to the real server's link address.
fn dr_xmit(net: &Net, mut skb: HookSkb<'_>, conn: &Conn, ip: &Ipv4, icmp: bool) -> Verdict {
    let t = &conn.tuple;
    let rs = addr4(&t.daddr);
    let Ok(local) = route_to_server(net, &mut skb, rs, ip, RtMode::DR, icmp) else {
        return skb.free();
    };
    if !local {
        // Fragment rather than answer with an error: the MTU was checked already.
        skb.ignore_df();
    }
    send_or_continue(net, skb, local)
}

/// `ip_vs_tunnel_xmit`: the packet goes to the real server inside a new IPv4 header (and a
/// GUE or GRE header if the server was configured with one), from the address the route to
/// the server chose.
fn tunnel_xmit(
    ipvs: &Ipvs,
    net: &Net,
    mut skb: HookSkb<'_>,
    conn: &Conn,
    ip: &Ipv4,
    icmp: bool,
) -> Verdict {
    let rs = addr4(&conn.tuple.daddr);
    let dest = &conn.dest;
    let kind = TunnelKind::of_dest(dest.tun_type(), dest.tun_port(), dest.tun_flags());
    let pmtu_disc = sysctl(ipvs, idx::PMTU_DISC) != 0;
    let partial = skb.partial_checksum();
    let tunnel = TunnelPath {
        kind,
        overhead: kind.overhead(partial.is_some()),
        pmtu_disc,
    };
    let saddr = match route_out(net, &mut skb, rs, ip, RtMode::TUNNEL, icmp, Some(tunnel)) {
        Ok(None) => return send_or_continue(net, skb, true),
        Ok(Some(saddr)) => saddr,
        Err(_) => return skb.free(),
    };
    // Routing to another host decremented the TTL in the packet.
    let inner = Ipv4 {
        ttl: ip.ttl - 1,
        ..*ip
    };
    match encapsulate(net, &mut skb, &inner, tunnel, partial, saddr, rs) {
        Ok(()) => skb.send_encapsulated(net),
        Err(_) => skb.free(),
    }
}

/// Puts a routed packet with header `inner` into the tunnel `path` from `saddr` to `daddr`
/// (the steps of `ip_vs_tunnel_xmit` after routing). `partial` is where the packet's
/// checksum still to be computed starts and goes.
fn encapsulate(
    net: &Net,
    skb: &mut HookSkb<'_>,
    inner: &Ipv4,
    path: TunnelPath,
    partial: Option<(u32, u16)>,
    saddr: [u8; 4],
    daddr: [u8; 4],
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
    skb.start_encapsulation(encap, tunnel::PROTO_IPIP)?;
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
            tunnel::write_gue(skb.push_transport(gue_len)?, tunnel::PROTO_IPIP, remote);
            if remote.is_some() {
                skb.checksum_remote();
            }
            let sport = skb.udp_flow_source_port(net);
            let len = u16::try_from(skb.len() + UDP_LEN as u32).map_err(|_| EMSGSIZE)?;
            tunnel::write_udp(skb.push_transport(UDP_LEN as u32)?, sport, port, len);
            skb.set_udp_checksum(checksum || remote_checksum, saddr, daddr);
        }
        TunnelKind::Gre { checksum } => skb.push_gre(checksum, tunnel::ETH_P_IP)?,
    }
    let header = tunnel::outer_ipv4(inner, kind.outer_protocol(), saddr, daddr, path.pmtu_disc);
    skb.push_ipv4(net, &header)
}

/// `ip_vs_send_or_cont`: a packet for this host continues up the stack; any other is sent on
/// its new route.
fn send_or_continue(net: &Net, mut skb: HookSkb<'_>, local: bool) -> Verdict {
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
    /// The `pmtu_disc` sysctl: without it tunnelled packets are fragmented, never refused.
    pmtu_disc: bool,
}

/// Smallest MTU a tunnel may leave for the packet (C's limit).
const TUNNEL_MIN_MTU: u32 = 68;

/// `__ip_vs_get_out_rt` for NAT and direct routing: [`route_out`], `Ok(true)` if the server
/// is this host.
fn route_to_server(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: [u8; 4],
    ip: &Ipv4,
    mode: RtMode,
    icmp: bool,
) -> Result<bool> {
    route_out(net, skb, rs, ip, mode, icmp, None).map(|saddr| saddr.is_none())
}

/// `__ip_vs_get_out_rt`: routes the packet to real server `rs` as `mode` allows, with the TTL
/// and MTU checks of a forwarded packet (no MTU error answers an ICMP error). `Ok(None)` if
/// the server is this host: the packet keeps its route and goes up the stack; otherwise the
/// packet has its new route and `Ok` has the source address the route chose. `Err` if the
/// packet is to be dropped (the sender has been told where C tells it).
fn route_out(
    net: &Net,
    skb: &mut HookSkb<'_>,
    rs: [u8; 4],
    ip: &Ipv4,
    mode: RtMode,
    icmp: bool,
    tunnel: Option<TunnelPath>,
) -> Result<Option<[u8; 4]>> {
    let Some(route) = Route::output_v4(net, rs, mode.known_nexthop, mode.connect) else {
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
    if ip.saddr[0] == 127 {
        return Err(EINVAL);
    }
    if !decrement_ttl(net, skb, ip) {
        return Err(EINVAL);
    }
    let mut mtu = route.mtu();
    let mut check_mtu = true;
    if let Some(t) = tunnel {
        mtu = mtu.saturating_sub(t.overhead);
        if mtu < TUNNEL_MIN_MTU {
            return Err(EINVAL);
        }
        skb.update_pmtu(mtu);
        // Without path MTU discovery a tunnelled packet is fragmented whatever its flag.
        check_mtu = t.pmtu_disc;
    }
    if check_mtu && !icmp && ip.dont_fragment && skb.exceeds_mtu(mtu) {
        skb.icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
        return Err(EMSGSIZE);
    }
    let saddr = route.source();
    skb.set_route(route);
    Ok(Some(saddr))
}

/// Rewrites the address and port on `side` of a TCP/UDP packet in place, with its checksums;
/// `false` if the headers cannot be made writable.
fn nat_rewrite(
    skb: &mut HookSkb<'_>,
    h: &Headers,
    side: Side,
    addr: [u8; 4],
    port: [u8; 2],
) -> bool {
    let mode = if skb.checksum_partial() {
        ChecksumMode::Partial
    } else {
        ChecksumMode::Full
    };
    let l4 = if h.ip.protocol == PROTO_TCP {
        TCP_LEN
    } else {
        UDP_LEN
    } as u32;
    let rewritten = match skb.writable(h.ip.header_len + l4) {
        Ok(hdr) => packet::nat_rewrite(hdr, side, addr, port, mode),
        Err(_) => false,
    };
    if rewritten {
        skb.checksum_rewritten();
    }
    rewritten
}

/// Decrements the TTL of a forwarded packet; `false` (after telling the sender) if it expired.
fn decrement_ttl(net: &Net, skb: &mut HookSkb<'_>, ip: &Ipv4) -> bool {
    if ip.ttl <= 1 {
        count_header_error(net);
        skb.icmp_send(ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
        return false;
    }
    match skb.writable(IPV4_MIN_LEN as u32) {
        Ok(hdr) => {
            packet::ipv4_decrease_ttl(hdr);
            true
        }
        Err(_) => false,
    }
}

fn reply(ipvs: &Ipvs, net: &Net, point: HookPoint, skb: HookSkb<'_>) -> Verdict {
    if skb.ipvs_property() {
        return Verdict::Accept;
    }
    if point == HookPoint::LocalOut && skb.is_nodefrag_socket() {
        return Verdict::Accept;
    }
    if !skb.has_route() {
        return Verdict::Accept;
    }
    let Some(mut h) = read_headers(&skb) else {
        return Verdict::Accept;
    };
    if h.ip.protocol == PROTO_ICMP {
        return out_icmp(ipvs, net, point, skb, &h.ip).unwrap_or(Verdict::Accept);
    }
    if !matches!(h.ip.protocol, PROTO_TCP | PROTO_UDP) {
        return Verdict::Accept;
    }
    let mut skb = skb;
    if h.ip.fragment {
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
    let (saddr, daddr) = (addr16(h.ip.saddr), addr16(h.ip.daddr));
    let Some(conn) = h.ports.and_then(|(sport, dport)| {
        dp.conns
            .lookup(ConnSide::Out, h.ip.protocol, &saddr, sport, &daddr, dport)
    }) else {
        return Verdict::Accept;
    };
    handle_response(ipvs, net, point, skb, &conn, &h)
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
    if conn.fwd() == FWD_MASQ {
        let t = &conn.tuple;
        let vaddr = addr4(&t.vaddr);
        if !nat_rewrite(&mut skb, h, Side::Source, vaddr, t.vport) {
            return skb.free();
        }
        // Replies to remote clients are routed as if this host sent them (policy routing).
        if point != HookPoint::LocalIn
            && sysctl(ipvs, idx::SNAT_REROUTE) != 0
            && skb.reroute_as_local(net).is_err()
        {
            return skb.free();
        }
    }
    let len = skb.len();
    dp.count(conn, Direction::Output, len);
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Output, h.tcp, &dp.timeouts, secure);
    skb.mark_ipvs();
    conn.touch();
    Verdict::Accept
}

/// Reassembles a fragmented ICMP packet and classifies it, with its (reassembled) IP header:
/// `Err` with the verdict when it was kept for reassembly or cannot be read.
fn read_icmp<'a>(
    net: &Net,
    point: HookPoint,
    mut skb: HookSkb<'a>,
    ip: &Ipv4,
) -> Result<(HookSkb<'a>, Ipv4, Icmp), Verdict> {
    let mut outer = *ip;
    if outer.fragment {
        skb = skb.defrag(net, point)?;
        outer = read_ipv4(&skb).ok_or(Verdict::Accept)?;
    }
    let mut buf = [0u8; ICMP_ERROR_PARSE_LEN];
    let n = ICMP_ERROR_PARSE_LEN.min(skb.len() as usize);
    if !skb.copy_bits(0, &mut buf[..n]) {
        return Err(Verdict::Accept);
    }
    let icmp = packet::parse_icmp(&buf[..n], &outer);
    Ok((skb, outer, icmp))
}

/// The connection filed under `side` that the packet quoted by an ICMP error belongs to: the
/// quoted packet went the other way, so its tuple is looked up reversed.
fn quoted_conn(dp: &DataPlane, side: ConnSide, e: &IcmpError) -> Option<Arc<Conn>> {
    let q = &e.quoted;
    let (sport, dport) = e.ports;
    dp.conns.lookup(
        side,
        q.protocol,
        &addr16(q.daddr),
        dport,
        &addr16(q.saddr),
        sport,
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

/// `ip_vs_in_icmp`: an ICMP error from the client's side about a reply of a connection goes
/// to the connection's real server, translated for NAT. `Err` gives back a packet that is not
/// such an error, for the caller to handle as any other.
fn in_icmp<'a>(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'a>,
    ip: &Ipv4,
) -> core::result::Result<Verdict, HookSkb<'a>> {
    let (mut skb, outer, e) = match read_icmp(net, point, skb, ip) {
        Ok((_, _, Icmp::Truncated)) => return Ok(Verdict::Drop),
        Ok((skb, _, Icmp::Unrelated)) => return Err(skb),
        Ok((_, _, Icmp::Ignored)) => return Ok(Verdict::Accept),
        Ok((skb, outer, Icmp::Error(e))) => (skb, outer, e),
        Err(v) => return Ok(v),
    };
    let dp = &*ipvs.dp;
    // The quoted packet is the reply: virtual address to client. Errors never schedule a
    // connection here (`schedule_icmp` is not supported).
    let Some(conn) = quoted_conn(dp, ConnSide::In, &e) else {
        return Ok(Verdict::Accept);
    };
    if conn.fwd() == FWD_MASQ && icmp_writable(&mut skb, &e).is_none() {
        return Ok(Verdict::Drop);
    }
    let len = skb.len();
    dp.count(&conn, Direction::Input, len);
    // `ip_vs_icmp_xmit`: errors about other forwarding methods go as their packets do.
    match conn.fwd() {
        FWD_MASQ => {}
        FWD_DROUTE => return Ok(dr_xmit(net, skb, &conn, &outer, true)),
        FWD_TUNNEL => return Ok(tunnel_xmit(ipvs, net, skb, &conn, &outer, true)),
        _ => return Ok(Verdict::Accept),
    }
    let t = &conn.tuple;
    let rs = addr4(&t.daddr);
    let mode = if point == HookPoint::Forward {
        RtMode::NAT_FORWARD
    } else {
        RtMode::NAT
    };
    let Ok(local) = nat_route(net, &mut skb, rs, &outer, mode, true) else {
        return Ok(skb.free());
    };
    let len = skb.len();
    match skb.writable(len) {
        Ok(pkt) => packet::nat_icmp(pkt, &e, Side::Destination, rs, t.dport),
        Err(_) => return Ok(skb.free()),
    }
    skb.checksum_verified();
    // Another error about this error would be wrong: fragment it instead if it must be.
    skb.ignore_df();
    Ok(send_or_continue(net, skb, local))
}

/// `ip_vs_out_icmp` and `handle_response_icmp`: an ICMP error from a real server's side about
/// a packet of a NATed connection gets the virtual address back.
fn out_icmp(
    ipvs: &Ipvs,
    net: &Net,
    point: HookPoint,
    skb: HookSkb<'_>,
    ip: &Ipv4,
) -> Option<Verdict> {
    let (mut skb, e) = match read_icmp(net, point, skb, ip) {
        Ok((_, _, Icmp::Truncated)) => return Some(Verdict::Drop),
        Ok((skb, _, Icmp::Error(e))) => (skb, e),
        Ok(_) => return None,
        Err(v) => return Some(v),
    };
    let dp = &*ipvs.dp;
    // The quoted packet is the request: client to real server.
    let conn = quoted_conn(dp, ConnSide::Out, &e)?;
    if conn.fwd() == FWD_MASQ {
        let t = &conn.tuple;
        let vaddr = addr4(&t.vaddr);
        match icmp_writable(&mut skb, &e) {
            Some(pkt) => packet::nat_icmp(pkt, &e, Side::Source, vaddr, t.vport),
            None => return Some(Verdict::Drop),
        }
        skb.checksum_verified();
        if point != HookPoint::LocalIn
            && sysctl(ipvs, idx::SNAT_REROUTE) != 0
            && skb.reroute_as_local(net).is_err()
        {
            return Some(skb.free());
        }
    }
    let len = skb.len();
    dp.count(&conn, Direction::Output, len);
    skb.mark_ipvs();
    Some(Verdict::Accept)
}
