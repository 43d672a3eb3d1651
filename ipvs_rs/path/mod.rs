// SPDX-License-Identifier: GPL-2.0

//! The packet path: netfilter hooks that schedule new connections, forward their packets to
//! the real servers and translate NAT replies back, as C's `ip_vs_in_hook`/`ip_vs_out_hook`.
//!
//! TCP and UDP over IPv4 and IPv6 with NAT (masquerading) and direct routing are handled, and
//! over IPv4 tunnels and the ICMP errors about connections.

use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

use crate::{
    conn::{
        table::{ConnTable, Resizer},
        Conn, ProtoTimeouts,
    },
    glue::{
        netdev::NetDevice,
        rcu::RcuPtr,
        skb::HookSkb,
        timer::Tick,
        verdict::{Family, Verdict},
        work::Worker,
    },
    proto::{
        packet::{self, Ip, Ipv4, Ipv6, IPV4_MIN_LEN, IPV6_LEN, UDP_LEN},
        Direction, StateEvent, Transport, MAX_READ_LEN,
    },
    sched,
    stats::{estimator, Stats},
    svc::{dest::ServiceShared, rs_table::RealServers, service::ServiceTable},
};

mod flow;
pub(crate) mod hooks;
mod icmp;
mod xmit;

/// What a step of the hook flow gives back when it may deal with the packet itself: `Ok` with
/// what the next step needs, or `Err` with the verdict on a packet the step dealt with (sent,
/// dropped, or let through as it is), which `?` passes up to the hook.
type Step<T> = core::result::Result<T, Verdict>;

/// How often the namespace's periodic work runs (estimators, scheduler upkeep), in jiffies.
pub(crate) const TICK_PERIOD: u32 = crate::glue::time::HZ;

/// Number of hooks per family.
pub(crate) const HOOKS_COUNT: usize = 6;

/// The packet-path state of a namespace.
#[pin_data(PinnedDrop)]
pub(crate) struct DataPlane {
    /// The services, as the control plane last published them.
    pub(crate) services: Arc<RcuPtr<ServiceTable>>,
    /// Their real servers by address and port.
    real_servers: Arc<RealServers>,
    /// Connections.
    pub(crate) conns: Arc<ConnTable>,
    /// The work item that resizes their table.
    #[pin]
    pub(crate) resizer: Worker<Resizer>,
    /// The namespace's traffic totals.
    pub(crate) stats: Stats,
    /// Connection timeouts.
    pub(crate) timeouts: ProtoTimeouts,
    /// Ticks so far: every [`estimator::PERIOD_SECS`]th runs the estimators.
    ticks: Atomic<u32>,
}

impl DataPlane {
    /// No services and no connections yet; the connection table sized for load factor
    /// `conn_lfactor`.
    pub(crate) fn new(
        services: Arc<RcuPtr<ServiceTable>>,
        real_servers: Arc<RealServers>,
        conn_lfactor: i32,
    ) -> impl PinInit<Self, Error> {
        let table = Arc::pin_init(ConnTable::new(conn_lfactor), GFP_KERNEL);
        try_pin_init!(Self {
            services,
            real_servers,
            conns: table.clone()?,
            resizer <- Worker::new(table.map(Resizer)),
            stats: Stats::new()?,
            timeouts: ProtoTimeouts::new(),
            ticks: Atomic::new(0),
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

    /// Keeps the connection table's size in step with the load factor user space set
    /// (`lfactor`) and with the connections it holds: the resize runs in process context.
    pub(crate) fn size_conn_table(&self, lfactor: i32) {
        if self.conns.set_lfactor(lfactor) | self.conns.wants_growing() {
            self.resizer.run_now();
        }
    }

    /// Counts a new connection for its server, service and the namespace (`ip_vs_conn_stats`).
    fn count_conn(&self, conn: &Conn) {
        for stats in [&conn.dest.stats, &conn.svc.stats, &self.stats] {
            stats.conn();
        }
    }

    /// `dev` is going down: the real servers of the published services forget their routes
    /// through it (servers no longer published forgot theirs when they were taken out).
    pub(crate) fn forget_device(&self, dev: &NetDevice) {
        self.for_each_service(|svc| svc.forget_device(dev));
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
        let n = self.ticks.fetch_add(1, Relaxed);
        if n % estimator::PERIOD_SECS == estimator::PERIOD_SECS - 1 {
            // The namespace's estimators, then its services' and their real servers'.
            self.stats.estimate();
            self.for_each_service(ServiceShared::estimate);
        }
        if n % sched::COLLECT_PERIOD_SECS == sched::COLLECT_PERIOD_SECS - 1 {
            // The schedulers' upkeep (the lblc and lblcr caches' collection).
            self.for_each_service(ServiceShared::collect);
        }
        Some(TICK_PERIOD)
    }
}

#[pinned_drop]
impl PinnedDrop for DataPlane {
    fn drop(self: Pin<&mut Self>) {
        // The connections hold their table and their timers hold them: they end here, with the
        // namespace, which C's `ip_vs_conn_flush` does too. The resizer stops first: a walk
        // that races with a resize may miss entries, and the flush must see them all.
        self.resizer.disable();
        self.conns.flush();
    }
}

/// What the hooks read of a packet's headers.
struct Headers {
    ip: Ip,
    /// Its protocol, if IPVS balances it.
    transport: Option<Transport>,
    /// Source and destination ports, if the transport header has them.
    ports: Option<([u8; 2], [u8; 2])>,
    /// What moves the connection's state: TCP flags, SCTP chunk types (if there).
    event: Option<StateEvent>,
    /// Whether the transport header is there as far as it is read
    /// ([`Transport::read_len`]; 8 bytes of another protocol's).
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

/// The IP header of a packet, with the extension headers of IPv6 walked to the transport
/// header.
fn read_ip(skb: &HookSkb<'_>) -> Option<Ip> {
    if skb.family() == Family::Ipv4 {
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

fn read_headers(skb: &HookSkb<'_>) -> Option<Headers> {
    let ip = read_ip(skb)?;
    let transport = ip.transport();
    let l4_at = ip.header_len();
    let mut l4 = [0u8; MAX_READ_LEN];
    let want = transport.map_or(UDP_LEN, Transport::read_len);
    // A later IPv6 fragment has no transport header (netfilter reassembles them first).
    let later_fragment = matches!(ip, Ip::V6(h) if h.later_fragment);
    let full_l4 = !later_fragment && skb.copy_bits(l4_at, &mut l4[..want]);
    let ports = if full_l4 || (!later_fragment && skb.copy_bits(l4_at, &mut l4[..4])) {
        packet::ports(&l4)
    } else {
        None
    };
    let event = transport.and_then(|t| {
        t.event(full_l4.then_some(&l4[..want]), |at, buf| {
            skb.copy_bits(l4_at + at as u32, buf)
        })
    });
    Some(Headers {
        ip,
        transport,
        ports,
        event,
        full_l4,
    })
}
