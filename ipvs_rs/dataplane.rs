// SPDX-License-Identifier: GPL-2.0

//! The packet path: netfilter hooks that schedule new connections, forward their packets to
//! the real servers and translate NAT replies back, as C's `ip_vs_in_hook`/`ip_vs_out_hook`.
//!
//! IPv4 TCP and UDP with NAT (masquerading) forwarding are handled; other forwarding methods
//! and ICMP errors are accepted unchanged for now.

use kernel::{prelude::*, sync::Arc};

use crate::{
    conn::{Conn, ConnTable, ProtoTimeouts, Tuple, FWD_MASQ},
    ctl::sysctl::idx,
    glue::{
        net::Net,
        netfilter::{Hook, HookPoint, HookSpec, HookState, HookTable, Verdict, NFPROTO_IPV4},
        rcu::RcuPtr,
        skb::{count_header_error, HookSkb, Route},
        timer::Tick,
    },
    netns::Ipvs,
    packet::{
        self, ChecksumMode, Ipv4, Side, IPV4_MIN_LEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_LEN,
        UDP_LEN,
    },
    request::AF_INET,
    service::ServiceTable,
    stats::Stats,
    tcp_state::{Direction, TcpFlags, TcpState},
};

/// `NF_IP_PRI_NAT_SRC` and `NF_IP_PRI_NAT_DST`: IPVS hooks sit next to NAT.
const PRI_NAT_SRC: i32 = 100;
const PRI_NAT_DST: i32 = -100;

/// Number of IPv4 hooks.
pub(crate) const HOOKS_V4_COUNT: usize = 5;

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
    // Replies routed through the director (FORWARD, 100).
    HookSpec::new::<ReplyHook>(NFPROTO_IPV4, HookPoint::Forward, 100),
]);

/// ICMP types and codes IPVS sends.
const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_PORT_UNREACH: u8 = 3;
const ICMP_FRAG_NEEDED: u8 = 4;
const ICMP_TIME_EXCEEDED: u8 = 11;
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
}

impl DataPlane {
    /// No services and no connections yet.
    pub(crate) fn new(services: Arc<RcuPtr<ServiceTable>>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            services,
            conns <- ConnTable::new(),
            stats: Stats::new()?,
            timeouts: ProtoTimeouts::new(),
        })
    }
}

impl Tick for DataPlane {
    fn tick(&self) -> Option<u32> {
        self.conns.expire();
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

fn read_headers(skb: &HookSkb<'_>) -> Option<Headers> {
    let mut b = [0u8; IPV4_MIN_LEN];
    if !skb.copy_bits(0, &mut b) {
        return None;
    }
    let ip = packet::parse_ipv4(&b)?;
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
    match h.ip.protocol {
        PROTO_TCP | PROTO_UDP => {}
        // ICMP errors about connections are not handled yet: they pass unchanged.
        PROTO_ICMP => return Verdict::Accept,
        _ => {
            if sysctl(ipvs, idx::IGNORE_TUNNELED) != 0 {
                skb.mark_ipvs();
            }
            return Verdict::Accept;
        }
    }
    let dp = &*ipvs.dp;
    let (saddr, daddr) = (addr16(h.ip.saddr), addr16(h.ip.daddr));
    let mut conn = h.ports.and_then(|(sport, dport)| {
        dp.conns
            .lookup_in(h.ip.protocol, &saddr, sport, &daddr, dport)
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
    if conn.dest.available() {
        conn.dest.stats.inbound(len);
        conn.svc.stats.inbound(len);
        dp.stats.inbound(len);
    }
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Input, h.tcp, &dp.timeouts, secure);
    let verdict = if conn.fwd() == FWD_MASQ {
        nat_xmit(ipvs, net, skb, &conn, &h)
    } else {
        // Direct routing and tunnels come with the next part of the data plane.
        Verdict::Accept
    };
    if conn.one_packet() {
        dp.conns.remove(&conn);
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
        .and_then(|t| t.find(AF_INET, h.ip.protocol, daddr, dport))
        .cloned()
    else {
        return Err(Verdict::Accept);
    };
    drop(guard);
    // Do not schedule replies of local real servers (their connection exists inverted).
    if skb.is_local_origin()
        && dp
            .conns
            .lookup_in(h.ip.protocol, daddr, dport, saddr, sport)
            .is_some()
    {
        return Err(Verdict::Accept);
    }
    let Some(dest) = svc.schedule() else {
        // `ip_vs_leave`: other ports of an FTP service's address pass; otherwise tell the client.
        if svc.id.port == FTP_PORT && dport != FTP_PORT {
            return Err(Verdict::Accept);
        }
        skb.icmp_send(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        return Err(Verdict::Drop);
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
        dport: if dest.port == [0, 0] {
            dport
        } else {
            dest.port
        },
    };
    let conn_max = sysctl(ipvs, idx::CONN_MAX);
    let conn = dp
        .conns
        .create(tuple, dest, svc, extra, conn_max)
        .map_err(|_| Verdict::Drop)?;
    conn.dest.stats.conn();
    conn.svc.stats.conn();
    dp.stats.conn();
    Ok(conn)
}

/// `ip_vs_nat_xmit`: the packet goes to the real server with its destination rewritten.
fn nat_xmit(ipvs: &Ipvs, net: &Net, mut skb: HookSkb<'_>, conn: &Conn, h: &Headers) -> Verdict {
    let _ = ipvs;
    let t = &conn.tuple;
    let rs = [t.daddr[0], t.daddr[1], t.daddr[2], t.daddr[3]];
    let Some(route) = Route::output_v4(net, rs) else {
        skb.link_failure();
        return skb.free();
    };
    let local = route.is_local();
    if local {
        // From the world to a loopback address: not allowed.
        if rs[0] == 127 && skb.route_is_input() {
            return skb.free();
        }
        // The packet keeps its route and goes up the local stack.
        drop(route);
    } else {
        if h.ip.saddr[0] == 127 {
            return skb.free();
        }
        if !decrement_ttl(net, &mut skb, &h.ip) {
            return skb.free();
        }
        let mtu = route.mtu();
        if h.ip.dont_fragment && skb.exceeds_mtu(mtu) {
            skb.icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
            return skb.free();
        }
        skb.set_route(route);
    }
    if skb.reserve_link_header().is_err() {
        return skb.free();
    }
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
    let Ok(hdr) = skb.writable(h.ip.header_len + l4) else {
        return skb.free();
    };
    if !packet::nat_rewrite(hdr, Side::Destination, rs, t.dport, mode) {
        return skb.free();
    }
    skb.checksum_rewritten();
    skb.mark_ipvs();
    if local {
        Verdict::Accept
    } else {
        skb.send(net, true)
    }
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
    if !matches!(h.ip.protocol, PROTO_TCP | PROTO_UDP) {
        // ICMP errors from real servers are not translated yet.
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
            .lookup_out(h.ip.protocol, &saddr, sport, &daddr, dport)
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
        let t = &conn.tuple;
        let vaddr = [t.vaddr[0], t.vaddr[1], t.vaddr[2], t.vaddr[3]];
        let rewritten = match skb.writable(h.ip.header_len + l4) {
            Ok(hdr) => packet::nat_rewrite(hdr, Side::Source, vaddr, t.vport, mode),
            Err(_) => false,
        };
        if !rewritten {
            return skb.free();
        }
        skb.checksum_rewritten();
        // Replies to remote clients are routed as if this host sent them (policy routing).
        if point != HookPoint::LocalIn
            && sysctl(ipvs, idx::SNAT_REROUTE) != 0
            && skb.reroute_as_local(net).is_err()
        {
            return skb.free();
        }
    }
    let len = skb.len();
    if conn.dest.available() {
        conn.dest.stats.outbound(len);
        conn.svc.stats.outbound(len);
        dp.stats.outbound(len);
    }
    let secure = sysctl(ipvs, idx::SECURE_TCP) > 1;
    conn.transition(Direction::Output, h.tcp, &dp.timeouts, secure);
    skb.mark_ipvs();
    conn.touch();
    Verdict::Accept
}

impl Conn {
    /// Whether a new connection may reuse this one's tuple (`is_new_conn_expected`): it is
    /// closing, or (with `conn_reuse_mode` bit 1) half closed with replies bypassing us.
    fn expects_new(&self, mode: i32) -> bool {
        if self.tuple.protocol != PROTO_TCP {
            return false;
        }
        let (state, no_output) = self.tcp_state();
        matches!(state, TcpState::TimeWait | TcpState::Close)
            || (mode & 2 != 0 && state == TcpState::FinWait && no_output)
    }
}
