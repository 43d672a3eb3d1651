// SPDX-License-Identifier: GPL-2.0

//! Virtual services and their real servers (destinations): the configuration the control plane
//! edits, with the rules of the C module's `ip_vs_add_service`, `ip_vs_edit_dest` and friends.
//!
//! Everything here lives under the namespace's configuration mutex.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU16, AtomicU32, AtomicU8, Ordering};
use kernel::{
    alloc::KVec,
    new_spinlock_irq,
    prelude::*,
    sync::{Arc, SpinLockIrq},
};

use crate::{
    glue::{random::random_below, rcu::RcuPtr, time::HZ, timer::jiffies},
    persist::PersistentService,
    request::{merge_flags, DestId, DestSettings, Errno, ServiceId, ServiceSettings},
    rs_table::{self, RealServersWriter},
    sched::{self, Algorithm, Candidate, Flow, Growable, Lender},
    sip,
    stats::Stats,
    svc_index::{self, ServiceIndex, ServiceKey},
    uapi::{
        AF_INET, AF_INET6, CONN_F_DEST_MASK, CONN_F_FWD_MASK, CONN_F_INACTIVE, CONN_F_MASQ,
        CONN_F_NOOUTPUT, CONN_F_TUNNEL, SVC_F_HASHED, SVC_F_PERSISTENT,
    },
};

/// A real server of a service.
///
/// Shared between the configuration and the connections bound to it (which keep it after it is
/// removed, to drop their packets as C does), so the settings the control plane edits are
/// atomics: the packet path reads them without the configuration lock.
pub(crate) struct Dest {
    /// Address family (may differ from the service's for tunnels).
    pub(crate) af: u16,
    /// Address, zero beyond 4 bytes for IPv4.
    pub(crate) addr: [u8; 16],
    /// Port, network byte order.
    pub(crate) port: [u8; 2],
    /// Connection flags new connections get (forwarding method, `NOOUTPUT`, `INACTIVE`).
    conn_flags: AtomicU32,
    /// Weight; 0 quiesces the server.
    weight: AtomicI32,
    /// The last non-zero weight (for schedulers that keep a server's place while quiesced).
    last_weight: AtomicI32,
    /// Upper connection threshold, 0 for none.
    u_threshold: AtomicU32,
    /// Lower connection threshold.
    l_threshold: AtomicU32,
    /// Tunnel type.
    tun_type: AtomicU8,
    /// Tunnel port, network byte order (as stored in memory).
    tun_port: AtomicU16,
    /// Tunnel flags.
    tun_flags: AtomicU16,
    /// Connections in an active state.
    active: AtomicI32,
    /// Other connections.
    inactive: AtomicI32,
    /// Persistence templates bound to the server.
    persistent: AtomicI32,
    /// The upper threshold was reached: schedulers skip the server (`IP_VS_DEST_F_OVERLOAD`).
    overloaded: AtomicBool,
    /// Still configured (`IP_VS_DEST_CF_AVAILABLE`): connections of a removed server drop
    /// their packets.
    available: AtomicBool,
    /// The path MTU of the route the last tunnel packet to the server took, with
    /// [`MTU_LEARNT`] if it was learnt; 0 before the first (C's cached `dest_dst`): what
    /// errors about tunnel packets tell clients of.
    route_mtu: AtomicU32,
    /// Traffic counters.
    pub(crate) stats: Stats,
}

impl Dest {
    fn new(af: u16, addr: [u8; 16], port: [u8; 2]) -> Result<Self, Errno> {
        Ok(Self {
            af,
            addr,
            port,
            conn_flags: AtomicU32::new(0),
            weight: AtomicI32::new(0),
            last_weight: AtomicI32::new(0),
            u_threshold: AtomicU32::new(0),
            l_threshold: AtomicU32::new(0),
            tun_type: AtomicU8::new(0),
            tun_port: AtomicU16::new(0),
            tun_flags: AtomicU16::new(0),
            active: AtomicI32::new(0),
            inactive: AtomicI32::new(0),
            persistent: AtomicI32::new(0),
            overloaded: AtomicBool::new(false),
            available: AtomicBool::new(true),
            route_mtu: AtomicU32::new(0),
            stats: Stats::new().map_err(|_| Errno::NoMem)?,
        })
    }

    fn apply(&self, s: &DestSettings, add: bool) {
        if add || s.weight != 0 {
            self.last_weight.store(s.weight, Ordering::Relaxed);
        }
        self.weight.store(s.weight, Ordering::Relaxed);
        let mut flags = (s.fwd & CONN_F_DEST_MASK) | CONN_F_INACTIVE;
        if flags & CONN_F_FWD_MASK != CONN_F_MASQ {
            flags |= CONN_F_NOOUTPUT;
        }
        self.conn_flags.store(flags, Ordering::Relaxed);
        self.tun_type.store(s.tun_type, Ordering::Relaxed);
        self.tun_port
            .store(u16::from_ne_bytes(s.tun_port), Ordering::Relaxed);
        self.tun_flags.store(s.tun_flags, Ordering::Relaxed);
        self.u_threshold.store(s.u_threshold, Ordering::Relaxed);
        self.l_threshold.store(s.l_threshold, Ordering::Relaxed);
        // New thresholds apply from the next connection change, as in C; without an upper one
        // the server is never overloaded.
        if s.u_threshold == 0 {
            self.overloaded.store(false, Ordering::Relaxed);
        }
    }

    /// Connection flags for new connections.
    pub(crate) fn conn_flags(&self) -> u32 {
        self.conn_flags.load(Ordering::Relaxed)
    }

    /// Forwarding method (`IP_VS_DFWD_METHOD`).
    pub(crate) fn fwd(&self) -> u32 {
        self.conn_flags() & CONN_F_FWD_MASK
    }

    /// Weight.
    pub(crate) fn weight(&self) -> i32 {
        self.weight.load(Ordering::Relaxed)
    }

    /// Upper connection threshold.
    pub(crate) fn u_threshold(&self) -> u32 {
        self.u_threshold.load(Ordering::Relaxed)
    }

    /// Lower connection threshold.
    pub(crate) fn l_threshold(&self) -> u32 {
        self.l_threshold.load(Ordering::Relaxed)
    }

    /// Tunnel type.
    pub(crate) fn tun_type(&self) -> u8 {
        self.tun_type.load(Ordering::Relaxed)
    }

    /// Tunnel port, network byte order.
    pub(crate) fn tun_port(&self) -> [u8; 2] {
        self.tun_port.load(Ordering::Relaxed).to_ne_bytes()
    }

    /// The path MTU of the route of the last tunnel packet to the server, if one has gone.
    pub(crate) fn path_mtu(&self) -> Option<PathMtu> {
        let v = self.route_mtu.load(Ordering::Relaxed);
        (v != 0).then_some(PathMtu {
            mtu: v & !MTU_LEARNT,
            learnt: v & MTU_LEARNT != 0,
        })
    }

    /// Records the path MTU of the route a tunnel packet to the server takes.
    pub(crate) fn set_path_mtu(&self, p: PathMtu) {
        let v = p.mtu | if p.learnt { MTU_LEARNT } else { 0 };
        // Every tunnel packet comes here: write the shared line only when the MTU changed.
        if self.route_mtu.load(Ordering::Relaxed) != v {
            self.route_mtu.store(v, Ordering::Relaxed);
        }
    }

    /// Tunnel flags.
    pub(crate) fn tun_flags(&self) -> u16 {
        self.tun_flags.load(Ordering::Relaxed)
    }

    /// Active connections.
    pub(crate) fn active_conns(&self) -> i32 {
        self.active.load(Ordering::Relaxed)
    }

    /// Inactive connections.
    pub(crate) fn inactive_conns(&self) -> i32 {
        self.inactive.load(Ordering::Relaxed)
    }

    /// Persistence templates.
    pub(crate) fn persistent_conns(&self) -> i32 {
        self.persistent.load(Ordering::Relaxed)
    }

    /// Whether the server is still configured.
    pub(crate) fn available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    fn total_conns(&self) -> u32 {
        (self.active_conns() + self.inactive_conns()) as u32
    }

    /// A persistence template was bound to the server.
    pub(crate) fn template_bound(&self) {
        self.persistent.fetch_add(1, Ordering::Relaxed);
    }

    /// A persistence template bound to the server went.
    pub(crate) fn template_unbound(&self) {
        self.persistent.fetch_sub(1, Ordering::Relaxed);
    }

    /// A connection was bound to the server (`ip_vs_bind_dest`).
    pub(crate) fn conn_bound(&self, inactive: bool) {
        if inactive {
            self.inactive.fetch_add(1, Ordering::Relaxed);
        } else {
            self.active.fetch_add(1, Ordering::Relaxed);
        }
        let u = self.u_threshold();
        if u != 0 && self.total_conns() >= u {
            self.overloaded.store(true, Ordering::Relaxed);
        }
    }

    /// A connection was unbound (`ip_vs_unbind_dest`): the overload mark goes below the lower
    /// threshold, or below 3/4 of the upper one without a lower one.
    pub(crate) fn conn_unbound(&self, inactive: bool) {
        if inactive {
            self.inactive.fetch_sub(1, Ordering::Relaxed);
        } else {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
        let (l, u, total) = (self.l_threshold(), self.u_threshold(), self.total_conns());
        let clear = if l != 0 {
            total < l
        } else if u != 0 {
            total.wrapping_mul(4) < u.wrapping_mul(3)
        } else {
            true
        };
        if clear {
            self.overloaded.store(false, Ordering::Relaxed);
        }
    }

    /// A connection moved between the active and inactive counts.
    pub(crate) fn conn_activity(&self, active: bool) {
        let (from, to) = if active {
            (&self.inactive, &self.active)
        } else {
            (&self.active, &self.inactive)
        };
        from.fetch_sub(1, Ordering::Relaxed);
        to.fetch_add(1, Ordering::Relaxed);
    }
}

impl Candidate for Arc<Dest> {
    fn weight(&self) -> i32 {
        Dest::weight(self)
    }
    fn last_weight(&self) -> i32 {
        self.last_weight.load(Ordering::Relaxed)
    }
    fn addr(&self) -> [u8; 16] {
        self.addr
    }
    fn port(&self) -> [u8; 2] {
        self.port
    }
    fn overloaded(&self) -> bool {
        self.overloaded.load(Ordering::Relaxed)
    }
    fn active_conns(&self) -> i32 {
        Dest::active_conns(self)
    }
    fn total_conns(&self) -> i32 {
        self.active_conns() + self.inactive_conns()
    }
}

/// Schedulers grow their arrays under the service's scheduler lock, also in softirq: atomically.
impl<E> Growable<E> for KVec<E> {
    fn push(&mut self, e: E) -> bool {
        KVec::push(self, e, GFP_ATOMIC).is_ok()
    }
    fn pop(&mut self) -> Option<E> {
        KVec::pop(self)
    }
}

/// Schedulers' arrays are kernel vectors.
struct KernelLender;

impl Lender for KernelLender {
    type Vec<E> = KVec<E>;
}

/// Zeroed storage for the fixed tables of the scheduler called `name` (none for most),
/// allocated before the scheduler lock is taken.
fn sched_storage(name: Option<&str>) -> Result<KVec<u16>, Errno> {
    KVec::from_elem(0, Algorithm::<KernelLender>::storage_len(name), GFP_KERNEL)
        .map_err(|_| Errno::NoMem)
}

/// The bit of [`Dest::route_mtu`] that says the MTU was learnt (MTUs are far below it).
const MTU_LEARNT: u32 = 1 << 31;

/// The path MTU of a route to a real server.
#[derive(Clone, Copy)]
pub(crate) struct PathMtu {
    /// The MTU.
    pub(crate) mtu: u32,
    /// Whether it was learnt for the server (an IPv4 route of a next-hop exception, whose MTU
    /// later learning changes in place) rather than the device's or the route's own.
    pub(crate) learnt: bool,
}

/// What the packet path sees of a service: its identity, counters and scheduler.
#[pin_data]
pub(crate) struct ServiceShared {
    /// Identity, as in [`Service::id`].
    pub(crate) id: ServiceId,
    /// Traffic counters.
    pub(crate) stats: Stats,
    /// Service flags (`IP_VS_SVC_F_*`).
    flags: AtomicU32,
    /// Persistence timeout in jiffies.
    persistence_timeout: AtomicU32,
    /// Persistence granularity, raw (see [`ServiceSettings::netmask`]).
    netmask: AtomicU32,
    /// The SIP persistence engine is bound: templates are keyed by Call-ID too.
    sip: AtomicBool,
    /// The scheduler and the servers it picks from.
    #[pin]
    sched: SpinLockIrq<SchedState>,
}

/// A service's scheduler with its view of the real servers.
struct SchedState {
    /// The algorithm, with its large tables in storage of its own.
    algorithm: Algorithm<KernelLender>,
    /// The servers newest first, as C keeps its list.
    dests: KVec<Arc<Dest>>,
}

impl ServiceShared {
    /// Runs the estimators of the service and its real servers.
    pub(crate) fn estimate(&self) {
        self.stats.estimate();
        for d in &self.sched.lock().dests {
            d.stats.estimate();
        }
    }

    /// The scheduler's periodic upkeep, every [`sched::COLLECT_PERIOD_SECS`] seconds.
    pub(crate) fn collect(&self) {
        self.sched.lock().algorithm.collect(jiffies(), HZ);
    }

    /// Picks the real server for a new connection from `saddr:sport` to `daddr` (hashing
    /// schedulers read them).
    pub(crate) fn schedule(
        &self,
        saddr: &[u8; 16],
        sport: [u8; 2],
        daddr: &[u8; 16],
    ) -> Option<Arc<Dest>> {
        let flow = Flow {
            af: self.id.af,
            saddr: *saddr,
            daddr: *daddr,
            sport,
            svc_flags: self.flags(),
            random_below,
            now: jiffies(),
            hz: HZ,
        };
        let mut s = self.sched.lock();
        let s = &mut *s;
        let i = s.algorithm.schedule(&s.dests, &flow)?;
        s.dests.get(i).cloned()
    }

    /// Service flags.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// What decides the service's persistence templates, if it is persistent.
    pub(crate) fn persistence(&self) -> Option<PersistentService> {
        (self.flags() & SVC_F_PERSISTENT != 0).then(|| PersistentService {
            af: self.id.af,
            fwmark: self.id.fwmark,
            port: self.id.port,
            netmask: self.netmask.load(Ordering::Relaxed),
        })
    }

    /// Persistence timeout in jiffies.
    pub(crate) fn persistence_timeout(&self) -> u32 {
        self.persistence_timeout.load(Ordering::Relaxed)
    }

    /// Whether the SIP persistence engine is bound.
    pub(crate) fn uses_sip(&self) -> bool {
        self.sip.load(Ordering::Relaxed)
    }
}

/// The services the packet path looks new connections up in (published under RCU).
pub(crate) struct ServiceTable {
    list: KVec<Arc<ServiceShared>>,
    /// `list` by firewall mark and by address.
    index: ServiceIndex<KVec<u32>>,
    /// Whether an IPv4 (IPv6) service has the SIP persistence engine, whose real servers'
    /// own requests are looked for (C's `conn_out_counter`).
    sip: [bool; 2],
}

impl ServiceTable {
    /// The services, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<ServiceShared>> {
        self.list.iter()
    }

    /// The service for a packet of `protocol` to `addr`:`port` (IPv4 addresses in the first 4
    /// bytes, the rest zero) carrying firewall mark `mark`: as in C, the firewall-mark service
    /// of the family first (whatever the protocol), then the address service.
    pub(crate) fn find(
        &self,
        af: u16,
        mark: u32,
        protocol: u8,
        addr: &[u8; 16],
        port: [u8; 2],
    ) -> Option<&Arc<ServiceShared>> {
        let find = |key| self.index.find(&self.list, &key, |s| ServiceKey::of(&s.id));
        let by_address = |port| {
            find(ServiceKey::Addr {
                af,
                protocol: u16::from(protocol),
                addr: *addr,
                port,
            })
        };
        // Then a port-0 service of the address, which takes every port.
        (if mark != 0 {
            find(ServiceKey::Mark { af, mark })
        } else {
            None
        })
        .or_else(|| by_address(port))
        .or_else(|| by_address([0; 2]))
    }

    /// Whether a service of family `af` has the SIP persistence engine.
    pub(crate) fn has_sip(&self, af: u16) -> bool {
        self.sip[usize::from(af == AF_INET6)]
    }
}

/// A virtual service.
pub(crate) struct Service {
    /// Identity (key), with the address zero beyond 4 bytes for IPv4.
    pub(crate) id: ServiceId,
    /// Bound scheduler, `None` for `none`.
    pub(crate) sched: Option<&'static str>,
    /// Bound persistence engine.
    pub(crate) pe: Option<&'static str>,
    /// Service flags, `HASHED` included.
    pub(crate) flags: u32,
    /// Persistence timeout in jiffies: C keeps `seconds * HZ` in 32 bits, so a timeout
    /// beyond 2^32 / HZ seconds wraps, and user space reads back the wrapped value / HZ.
    timeout_jiffies: u32,
    /// Raw netmask (see [`ServiceSettings::netmask`]).
    pub(crate) netmask: u32,
    /// Real servers in the order they were added; user space sees them newest first.
    pub(crate) dests: KVec<Arc<Dest>>,
    /// The part the packet path uses.
    pub(crate) shared: Arc<ServiceShared>,
}

/// A persistence timeout as C stores it: `seconds * HZ` in 32 bits, wrapping.
fn persistence_jiffies(seconds: u32) -> u32 {
    seconds.wrapping_mul(HZ)
}

impl Service {
    /// The scheduler name user space sees.
    pub(crate) fn sched_name(&self) -> &'static str {
        self.sched.unwrap_or(sched::NONE)
    }

    /// The persistence timeout in jiffies, as C stores it (and prints it in `/proc`).
    pub(crate) fn timeout_jiffies(&self) -> u32 {
        self.timeout_jiffies
    }

    /// The persistence timeout in seconds, as netlink and the socket options report it.
    pub(crate) fn timeout_secs(&self) -> u32 {
        self.timeout_jiffies / HZ
    }

    /// Real servers, newest first (C adds them at the head of its list).
    pub(crate) fn dests_newest_first(&self) -> impl Iterator<Item = &Arc<Dest>> {
        self.dests.iter().rev()
    }

    /// Gives the scheduler the current servers; `change` says how the list changed.
    fn sync_sched(&self, change: DestChange) -> Result<(), Errno> {
        let mut list =
            KVec::with_capacity(self.dests.len(), GFP_KERNEL).map_err(|_| Errno::NoMem)?;
        for d in self.dests_newest_first() {
            list.push(d.clone(), GFP_KERNEL).map_err(|_| Errno::NoMem)?;
        }
        let storage = match change {
            DestChange::Scheduler => Some(sched_storage(self.sched)?),
            _ => None,
        };
        let (old_dests, old_algorithm) = {
            let mut s = self.shared.sched.lock();
            let old_dests = core::mem::replace(&mut s.dests, list);
            let s = &mut *s;
            let mut old_algorithm = None;
            match change {
                DestChange::Added => s.algorithm.dest_added(&s.dests),
                DestChange::Updated => s.algorithm.dest_updated(&s.dests),
                DestChange::Removed(i) => s.algorithm.dest_removed(&s.dests, i),
                DestChange::Scheduler => {
                    if let Some(storage) = storage {
                        let new = Algorithm::new(self.sched, self.id.af, &s.dests, storage);
                        old_algorithm = Some(core::mem::replace(&mut s.algorithm, new));
                    }
                }
            }
            (old_dests, old_algorithm)
        };
        // Dropped outside the lock.
        drop((old_dests, old_algorithm));
        Ok(())
    }

    /// The service is going: its servers stop taking packets (their connections keep them).
    fn unlink(&self) {
        for d in &self.dests {
            d.available.store(false, Ordering::Relaxed);
        }
    }

    /// Zeroes the counters of the service and its real servers.
    pub(crate) fn zero(&self) {
        self.shared.stats.zero();
        for d in &self.dests {
            d.stats.zero();
        }
    }

    fn find_dest(&self, af: u16, addr: &[u8; 16], port: [u8; 2]) -> Option<usize> {
        self.dests
            .iter()
            .position(|d| d.af == af && d.addr == *addr && d.port == port)
    }
}

/// How a service's server list changed.
#[derive(Clone, Copy)]
enum DestChange {
    Added,
    Updated,
    /// The server at this index of the newest-first list went.
    Removed(usize),
    /// The scheduler itself changed.
    Scheduler,
}

/// Zeroes the bytes of an IPv4 address beyond the first four, as `ip_vs_addr_copy` keeps only
/// those: lookups then compare whole arrays.
fn canonical_addr(af: u16, mut addr: [u8; 16]) -> [u8; 16] {
    if af == AF_INET {
        addr[4..].fill(0);
    }
    addr
}

fn canonical_id(id: &ServiceId) -> ServiceId {
    ServiceId {
        addr: canonical_addr(id.af, id.addr),
        ..*id
    }
}

/// Schedulers and persistence engines by name, with C's errors.
fn bind(
    s: &ServiceSettings,
    af: u16,
) -> Result<(Option<&'static str>, Option<&'static str>), Errno> {
    let sched = sched::lookup(s.sched_name.as_bytes()).map_err(|()| Errno::NoEnt)?;
    let pe = if s.pe_name.is_empty() {
        None
    } else {
        Some(sched::lookup_pe(s.pe_name.as_bytes()).map_err(|()| Errno::NoEnt)?)
    };
    if af == AF_INET6 && !(1..=128).contains(&s.netmask) {
        return Err(Errno::Inval);
    }
    Ok((sched, pe))
}

/// The services of a namespace.
pub(crate) struct Services {
    list: KVec<Service>,
    /// Whether the connection table exists: C creates it with the first service and keeps it.
    conn_tab: bool,
    /// Where the packet path finds the services; republished on every change of the list.
    published: Arc<RcuPtr<ServiceTable>>,
    /// The real servers the packet path looks up by address and port.
    real_servers: RealServersWriter,
}

/// Buckets of a new connection table (`2^8`).
const CONN_TAB_INITIAL_SIZE: u32 = 256;

impl Services {
    /// No services; changes are published to `published`.
    pub(crate) fn new(
        published: Arc<RcuPtr<ServiceTable>>,
        real_servers: RealServersWriter,
    ) -> Self {
        Self {
            list: KVec::new(),
            conn_tab: false,
            published,
            real_servers,
        }
    }

    /// Publishes the current list to the packet path (old readers keep the old one).
    fn publish(&self) -> Result<(), Errno> {
        let mut list =
            KVec::with_capacity(self.list.len(), GFP_KERNEL).map_err(|_| Errno::NoMem)?;
        let mut sip = [false; 2];
        for s in &self.list {
            list.push(s.shared.clone(), GFP_KERNEL)
                .map_err(|_| Errno::NoMem)?;
            if s.pe == Some(sip::NAME) {
                sip[usize::from(s.id.af == AF_INET6)] = true;
            }
        }
        let buckets = svc_index::buckets_for(list.len());
        let index = ServiceIndex::build(
            KVec::from_elem(0, buckets, GFP_KERNEL).map_err(|_| Errno::NoMem)?,
            KVec::from_elem(0, list.len(), GFP_KERNEL).map_err(|_| Errno::NoMem)?,
            list.iter().map(|s| ServiceKey::of(&s.id)),
        )
        // Not reached: the arrays are sized as `build` asks.
        .ok_or(Errno::NoMem)?;
        let table = ServiceTable { list, index, sip };
        self.published
            .replace(Some(table), GFP_KERNEL)
            .map_err(|_| Errno::NoMem)
    }

    /// Size of the connection table user space sees (0 before the first service).
    pub(crate) fn conn_tab_size(&self) -> u32 {
        if self.conn_tab {
            CONN_TAB_INITIAL_SIZE
        } else {
            0
        }
    }

    /// Creates the connection table if it is not there yet (a backup sync daemon does so
    /// without services).
    pub(crate) fn ensure_conn_tab(&mut self) {
        self.conn_tab = true;
    }

    /// The number of IPv4 services (what the legacy sockopt interface reports).
    pub(crate) fn count_ipv4(&self) -> usize {
        self.list.iter().filter(|s| s.id.af == AF_INET).count()
    }

    /// The number of services of family `af`.
    pub(crate) fn count_af(&self, af: u16) -> usize {
        self.list.iter().filter(|s| s.id.af == af).count()
    }

    /// Whether some service or real server is IPv6 (IPv6 fragments must then be reassembled
    /// before the hooks).
    pub(crate) fn uses_ipv6(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.id.af == AF_INET6 || s.dests.iter().any(|d| d.af == AF_INET6))
    }

    /// Whether some service has a real server of another address family (the sync protocol
    /// cannot carry those).
    pub(crate) fn has_mixed_af_dests(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.dests.iter().any(|d| d.af != s.id.af))
    }

    /// The service [`Services::find`] finds.
    pub(crate) fn lookup(&self, id: &ServiceId) -> Option<&Service> {
        self.find(id).and_then(|i| self.get(i))
    }

    /// All services, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Service> {
        self.list.iter()
    }

    /// Finds a service: by firewall mark if it has one, else by protocol, address and port.
    pub(crate) fn find(&self, id: &ServiceId) -> Option<usize> {
        let id = canonical_id(id);
        self.list.iter().position(|s| {
            if id.fwmark != 0 {
                s.id.af == id.af && s.id.fwmark == id.fwmark
            } else {
                s.id.fwmark == 0
                    && s.id.af == id.af
                    && s.id.protocol == id.protocol
                    && s.id.addr == id.addr
                    && s.id.port == id.port
            }
        })
    }

    /// The service at `i` (from [`Services::find`]).
    pub(crate) fn get(&self, i: usize) -> Option<&Service> {
        self.list.get(i)
    }

    /// `NEW_SERVICE` for a service [`Services::find`] did not find.
    pub(crate) fn add(&mut self, id: &ServiceId, s: &ServiceSettings) -> Result<(), Errno> {
        let (sched, pe) = bind(s, id.af)?;
        let id = canonical_id(id);
        let flags = merge_flags(0, s.flags, s.flags_mask) | SVC_F_HASHED;
        let no_dests: &[Arc<Dest>] = &[];
        let storage = sched_storage(sched)?;
        let shared = Arc::pin_init(
            try_pin_init!(ServiceShared {
                id,
                stats: Stats::new()?,
                flags: AtomicU32::new(flags),
                persistence_timeout: AtomicU32::new(persistence_jiffies(s.timeout)),
                netmask: AtomicU32::new(s.netmask),
                sip: AtomicBool::new(pe == Some(sip::NAME)),
                sched <- new_spinlock_irq!(SchedState {
                    algorithm: Algorithm::new(sched, id.af, no_dests, storage),
                    dests: KVec::new(),
                }),
            }),
            GFP_KERNEL,
        )
        .map_err(|_| Errno::NoMem)?;
        let service = Service {
            id,
            sched,
            pe,
            flags,
            timeout_jiffies: persistence_jiffies(s.timeout),
            netmask: s.netmask,
            dests: KVec::new(),
            shared,
        };
        self.list
            .push(service, GFP_KERNEL)
            .map_err(|_| Errno::NoMem)?;
        self.conn_tab = true;
        self.publish()
    }

    /// `SET_SERVICE` on service `i`.
    pub(crate) fn edit(&mut self, i: usize, s: &ServiceSettings) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let (sched, pe) = bind(s, svc.id.af)?;
        let new_sched = svc.sched != sched;
        svc.sched = sched;
        svc.flags = merge_flags(svc.flags, s.flags, s.flags_mask) | SVC_F_HASHED;
        svc.shared.flags.store(svc.flags, Ordering::Relaxed);
        svc.timeout_jiffies = persistence_jiffies(s.timeout);
        svc.netmask = s.netmask;
        svc.shared
            .persistence_timeout
            .store(svc.timeout_jiffies(), Ordering::Relaxed);
        svc.shared.netmask.store(s.netmask, Ordering::Relaxed);
        let new_pe = svc.pe != pe;
        svc.pe = pe;
        svc.shared
            .sip
            .store(pe == Some(sip::NAME), Ordering::Relaxed);
        if new_sched {
            svc.sync_sched(DestChange::Scheduler)?;
        }
        if new_pe {
            self.publish()?;
        }
        Ok(())
    }

    /// `DEL_SERVICE` of service `i`.
    pub(crate) fn remove(&mut self, i: usize) -> Result<(), Errno> {
        if let Ok(svc) = self.list.remove(i) {
            self.unlink_service(&svc);
        }
        self.publish()
    }

    /// `FLUSH`: every service goes (the connection table stays).
    pub(crate) fn flush(&mut self) -> Result<(), Errno> {
        while let Some(svc) = self.list.pop() {
            self.unlink_service(&svc);
        }
        self.publish()
    }

    /// Takes the real servers of `svc`, which is no longer in the list, out of the packet path.
    fn unlink_service(&mut self, svc: &Service) {
        for d in &svc.dests {
            self.unfile(d);
        }
        svc.unlink();
    }

    /// Files `d` of `svc` in the real-server table, if its forwarding method is filed there.
    fn file(&mut self, d: &Arc<Dest>, svc: &Arc<ServiceShared>) {
        // Without memory the server is only missed by the lookups of the table (ICMP errors
        // about tunnel packets, `nat_icmp_send`, SIP requests from real servers): the command
        // itself has been carried out.
        let _ = self.real_servers.file(d, svc);
    }

    /// Takes `d` out of the real-server table.
    fn unfile(&mut self, d: &Arc<Dest>) {
        // Without memory it stays, marked unavailable, which every lookup skips.
        let _ = self.real_servers.unfile(d, rs_table::filed_port(d));
    }

    /// Zeroes the counters of every service and real server.
    pub(crate) fn zero_all(&self) {
        for svc in &self.list {
            svc.zero();
        }
    }

    /// `NEW_DEST`, `SET_DEST` or `DEL_DEST` (`settings` is `None` for delete) on service `i`.
    ///
    /// `id.af` 0 means the service's family; a family other than the service's is allowed for
    /// tunnels only (and deletes). A new destination's address must pass `routable` (unicast
    /// or local in the namespace), as C checks only when it creates a destination.
    pub(crate) fn dest_op(
        &mut self,
        i: usize,
        op: DestOp,
        id: &DestId,
        settings: Option<&DestSettings>,
        ipv6: bool,
        routable: impl FnOnce(u16, &[u8; 16]) -> bool,
    ) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let af = if id.af == 0 { svc.id.af } else { id.af };
        if !crate::request::af_valid(af, ipv6) {
            return Err(Errno::AfNoSupport);
        }
        if af != svc.id.af
            && op != DestOp::Del
            && settings.map(|s| s.fwd & CONN_F_FWD_MASK) != Some(CONN_F_TUNNEL)
        {
            return Err(Errno::Inval);
        }
        let addr = canonical_addr(af, id.addr);
        let found = svc.find_dest(af, &addr, id.port);
        let shared = svc.shared.clone();
        match (op, settings) {
            (DestOp::Add, Some(s)) => {
                s.check()?;
                if found.is_some() {
                    return Err(Errno::Exist);
                }
                if !routable(af, &addr) {
                    return Err(Errno::Inval);
                }
                let d = Dest::new(af, addr, id.port)?;
                d.apply(s, true);
                let d = Arc::new(d, GFP_KERNEL).map_err(|_| Errno::NoMem)?;
                svc.dests
                    .push(d.clone(), GFP_KERNEL)
                    .map_err(|_| Errno::NoMem)?;
                let done = svc.sync_sched(DestChange::Added);
                self.file(&d, &shared);
                done
            }
            (DestOp::Edit, Some(s)) => {
                s.check()?;
                let d = found
                    .and_then(|i| svc.dests.get(i))
                    .ok_or(Errno::NoEnt)?
                    .clone();
                // C files a server anew, first in its bucket, when its method or tunnel
                // changes, even where the port it is filed under stays.
                let filed = |d: &Dest| (d.fwd(), d.tun_type(), d.tun_port());
                let before = filed(&d);
                let port = rs_table::filed_port(&d);
                d.apply(s, false);
                let done = svc.sync_sched(DestChange::Updated);
                if filed(&d) != before {
                    // Without memory it stays there too, found by the lookups' checks of
                    // what it is now or not at all.
                    let _ = self.real_servers.unfile(&d, port);
                }
                self.file(&d, &shared);
                done
            }
            (DestOp::Del, _) => {
                let d = found.ok_or(Errno::NoEnt)?;
                let newest_first = svc.dests.len() - 1 - d;
                let gone = svc.dests.remove(d).map_err(|_| Errno::NoEnt)?;
                gone.available.store(false, Ordering::Relaxed);
                let done = svc.sync_sched(DestChange::Removed(newest_first));
                self.unfile(&gone);
                done
            }
            _ => Err(Errno::Inval),
        }
    }
}

/// Which destination command.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DestOp {
    /// `NEW_DEST`.
    Add,
    /// `SET_DEST`.
    Edit,
    /// `DEL_DEST`.
    Del,
}
