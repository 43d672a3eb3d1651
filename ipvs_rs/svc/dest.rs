// SPDX-License-Identifier: GPL-2.0

//! A real server (C's `struct ip_vs_dest`) and what the packet path sees of a service (the
//! part of `struct ip_vs_service` that connections and the scheduler read), shared by the
//! configuration (`service.rs`), the real-server table (`rs_table.rs`) and the connections.

use kernel::{
    alloc::KVec,
    new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        barrier::{smp_mb, Full},
        Arc, SpinLockIrq,
    },
};

use crate::{
    addr::Addr,
    error::Errno,
    glue::{
        net::Net,
        netdev::NetDevice,
        random::random_below,
        route::{Route, RouteCache},
        time::HZ,
        timer::jiffies,
        verdict::Family,
    },
    pe::persist::PersistentService,
    sched::{Algorithm, Candidate, Flow, Growable, Lender},
    stats::Stats,
    svc::{
        request::{DestSettings, ServiceId},
        standings::{Standings, NO_SLOT, SPAN},
    },
    uapi::{Fwd, CONN_F_DEST_MASK, CONN_F_INACTIVE, CONN_F_NOOUTPUT, SVC_F_PERSISTENT},
};

/// A real server of a service.
///
/// Shared between the configuration and the connections bound to it (which keep it after it is
/// removed, to drop their packets as C does), so the settings the control plane edits are
/// atomics: the packet path reads them without the configuration lock.
pub(crate) struct Dest {
    /// Address (its family may differ from the service's for tunnels).
    pub(crate) addr: Addr,
    /// Port, network byte order.
    pub(crate) port: [u8; 2],
    /// Connection flags new connections get (forwarding method, `NOOUTPUT`, `INACTIVE`).
    conn_flags: Atomic<u32>,
    /// Weight; 0 quiesces the server.
    weight: Atomic<i32>,
    /// The last non-zero weight (for schedulers that keep a server's place while quiesced).
    last_weight: Atomic<i32>,
    /// Upper connection threshold, 0 for none.
    u_threshold: Atomic<u32>,
    /// Lower connection threshold.
    l_threshold: Atomic<u32>,
    /// Tunnel type, port and flags in one word (see [`Tunnel`]), so that a packet sees them
    /// change together.
    tunnel: Atomic<u64>,
    /// Connections in an active state.
    active: Atomic<i32>,
    /// Other connections.
    inactive: Atomic<i32>,
    /// Persistence templates bound to the server.
    persistent: Atomic<i32>,
    /// The upper threshold was reached: schedulers skip the server (`IP_VS_DEST_F_OVERLOAD`).
    overloaded: Atomic<bool>,
    /// Still configured (`IP_VS_DEST_CF_AVAILABLE`): connections of a removed server drop
    /// their packets.
    available: Atomic<bool>,
    /// The path MTU of the route the last tunnel packet to the server took, with
    /// [`MTU_LEARNT`] if it was learnt; 0 before the first (C's cached `dest_dst`): what
    /// errors about tunnel packets tell clients of.
    route_mtu: Atomic<u32>,
    /// The route to the server, kept between packets (C's `dest_dst`).
    route_cache: RouteCache,
    /// Traffic counters.
    pub(crate) stats: Stats,
    /// The server's index in its service's scheduler list, [`NO_SLOT`] outside it.
    slot: Atomic<u32>,
    /// Where the server marks changes of its counters for its service's scheduler.
    standings: Arc<Standings>,
}

/// A real server's tunnel settings, as kept in one atomic word.
struct Tunnel {
    /// Type (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
    kind: u8,
    /// Port, network byte order.
    port: [u8; 2],
    /// Flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
    flags: u16,
}

impl Tunnel {
    /// Bits 0-7 the type, 8-23 the port as stored in memory, 24-39 the flags.
    fn pack(&self) -> u64 {
        u64::from(self.kind)
            | u64::from(u16::from_ne_bytes(self.port)) << 8
            | u64::from(self.flags) << 24
    }

    fn unpack(w: u64) -> Self {
        // The casts keep the bits `pack` put there.
        Self {
            kind: w as u8,
            port: ((w >> 8) as u16).to_ne_bytes(),
            flags: (w >> 24) as u16,
        }
    }
}

impl Dest {
    /// The server left its service: it takes no new packets (its connections keep it).
    pub(crate) fn set_unavailable(&self) {
        self.available.store(false, Relaxed);
        // After the mark: a route looked up before it is either forgotten here or not kept.
        self.route_cache.forget();
    }

    /// A server of the service whose scheduler reads `standings`.
    pub(crate) fn new(addr: Addr, port: [u8; 2], standings: Arc<Standings>) -> Result<Self, Errno> {
        Ok(Self {
            addr,
            port,
            conn_flags: Atomic::new(0),
            weight: Atomic::new(0),
            last_weight: Atomic::new(0),
            u_threshold: Atomic::new(0),
            l_threshold: Atomic::new(0),
            tunnel: Atomic::new(0),
            active: Atomic::new(0),
            inactive: Atomic::new(0),
            persistent: Atomic::new(0),
            overloaded: Atomic::new(false),
            available: Atomic::new(true),
            route_mtu: Atomic::new(0),
            // Their only failure is an allocation's.
            route_cache: RouteCache::new().map_err(|_| Errno::NoMem)?,
            stats: Stats::new().map_err(|_| Errno::NoMem)?,
            slot: Atomic::new(NO_SLOT),
            standings,
        })
    }

    /// The counters or the overload mark changed: tells the scheduler, after a full barrier,
    /// which [`Standings`] needs between a change and its mark.
    fn counters_changed(&self) {
        smp_mb(Full);
        self.standings.mark(self.slot.load(Relaxed));
    }

    /// The route to the server for a packet of `family` (a tunnel's outer family), found as
    /// `known_nexthop` and `connect` say ([`Route::output`]); kept between packets while the
    /// server is configured, until routing replaces it (C's `__ip_vs_dst_check`).
    pub(crate) fn route(
        &self,
        net: &Net,
        family: Family,
        known_nexthop: bool,
        connect: bool,
    ) -> Option<Route> {
        // A real server's IPv6 route always comes with a source address, or is none (C passes
        // its `dest_dst` source whatever the method): the route kept is then the same whichever
        // method looked it up first.
        let connect = connect || family.is_ipv6();
        self.route_cache.route(
            || Route::output(net, family, self.addr.inet(), known_nexthop, connect),
            || self.available(),
        )
    }

    /// `dev` is going down: a route through it is forgotten (C's `ip_vs_forget_dev`).
    pub(crate) fn forget_device(&self, dev: &NetDevice) {
        self.route_cache.forget_device(dev);
    }

    pub(crate) fn apply(&self, s: &DestSettings, add: bool) {
        if add || s.weight != 0 {
            self.last_weight.store(s.weight, Relaxed);
        }
        self.weight.store(s.weight, Relaxed);
        let mut flags = (s.fwd & CONN_F_DEST_MASK) | CONN_F_INACTIVE;
        if Fwd::of(flags) != Fwd::Masq {
            flags |= CONN_F_NOOUTPUT;
        }
        self.conn_flags.store(flags, Relaxed);
        // The forwarding method decides how the route is found: the next packet looks again.
        self.route_cache.forget();
        let tunnel = Tunnel {
            kind: s.tun_type,
            port: s.tun_port,
            flags: s.tun_flags,
        };
        self.tunnel.store(tunnel.pack(), Relaxed);
        self.u_threshold.store(s.u_threshold, Relaxed);
        self.l_threshold.store(s.l_threshold, Relaxed);
        // New thresholds apply from the next connection change, as in C; without an upper one
        // the server is never overloaded.
        if s.u_threshold == 0 {
            self.overloaded.store(false, Relaxed);
        }
    }

    /// Connection flags for new connections.
    pub(crate) fn conn_flags(&self) -> u32 {
        self.conn_flags.load(Relaxed)
    }

    /// Forwarding method (`IP_VS_DFWD_METHOD`).
    pub(crate) fn fwd(&self) -> Fwd {
        Fwd::of(self.conn_flags())
    }

    /// Weight.
    pub(crate) fn weight(&self) -> i32 {
        self.weight.load(Relaxed)
    }

    /// Upper connection threshold.
    pub(crate) fn u_threshold(&self) -> u32 {
        self.u_threshold.load(Relaxed)
    }

    /// Lower connection threshold.
    pub(crate) fn l_threshold(&self) -> u32 {
        self.l_threshold.load(Relaxed)
    }

    /// Tunnel type.
    pub(crate) fn tun_type(&self) -> u8 {
        Tunnel::unpack(self.tunnel.load(Relaxed)).kind
    }

    /// Tunnel port, network byte order.
    pub(crate) fn tun_port(&self) -> [u8; 2] {
        Tunnel::unpack(self.tunnel.load(Relaxed)).port
    }

    /// The path MTU of the route of the last tunnel packet to the server, if one has gone.
    pub(crate) fn path_mtu(&self) -> Option<PathMtu> {
        let v = self.route_mtu.load(Relaxed);
        (v != 0).then_some(PathMtu {
            mtu: v & !MTU_LEARNT,
            learnt: v & MTU_LEARNT != 0,
        })
    }

    /// Records the path MTU of the route a tunnel packet to the server takes.
    pub(crate) fn set_path_mtu(&self, p: PathMtu) {
        let v = p.mtu | if p.learnt { MTU_LEARNT } else { 0 };
        // Every tunnel packet comes here: write the shared line only when the MTU changed.
        if self.route_mtu.load(Relaxed) != v {
            self.route_mtu.store(v, Relaxed);
        }
    }

    /// Tunnel flags.
    pub(crate) fn tun_flags(&self) -> u16 {
        Tunnel::unpack(self.tunnel.load(Relaxed)).flags
    }

    /// Active connections.
    pub(crate) fn active_conns(&self) -> i32 {
        self.active.load(Relaxed)
    }

    /// Inactive connections.
    pub(crate) fn inactive_conns(&self) -> i32 {
        self.inactive.load(Relaxed)
    }

    /// Persistence templates.
    pub(crate) fn persistent_conns(&self) -> i32 {
        self.persistent.load(Relaxed)
    }

    /// Whether the server is still configured.
    pub(crate) fn available(&self) -> bool {
        self.available.load(Relaxed)
    }

    fn total_conns(&self) -> u32 {
        (self.active_conns() + self.inactive_conns()) as u32
    }

    /// A persistence template was bound to the server.
    pub(crate) fn template_bound(&self) {
        self.persistent.fetch_add(1, Relaxed);
    }

    /// A persistence template bound to the server went.
    pub(crate) fn template_unbound(&self) {
        self.persistent.fetch_sub(1, Relaxed);
    }

    /// A connection was bound to the server (`ip_vs_bind_dest`).
    pub(crate) fn conn_bound(&self, inactive: bool) {
        if inactive {
            self.inactive.fetch_add(1, Relaxed);
        } else {
            self.active.fetch_add(1, Relaxed);
        }
        let u = self.u_threshold();
        if u != 0 && self.total_conns() >= u {
            self.overloaded.store(true, Relaxed);
        }
        self.counters_changed();
    }

    /// A connection was unbound (`ip_vs_unbind_dest`): the overload mark goes below the lower
    /// threshold, or below 3/4 of the upper one without a lower one.
    pub(crate) fn conn_unbound(&self, inactive: bool) {
        if inactive {
            self.inactive.fetch_sub(1, Relaxed);
        } else {
            self.active.fetch_sub(1, Relaxed);
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
            self.overloaded.store(false, Relaxed);
        }
        self.counters_changed();
    }

    /// A connection moved between the active and inactive counts.
    pub(crate) fn conn_activity(&self, active: bool) {
        let (from, to) = if active {
            (&self.inactive, &self.active)
        } else {
            (&self.active, &self.inactive)
        };
        from.fetch_sub(1, Relaxed);
        to.fetch_add(1, Relaxed);
        self.counters_changed();
    }

    /// The server's index in its service's scheduler list is now `slot` ([`NO_SLOT`]: none).
    fn set_slot(&self, slot: u32) {
        self.slot.store(slot, Relaxed);
    }
}

impl Candidate for Arc<Dest> {
    fn weight(&self) -> i32 {
        Dest::weight(self)
    }
    fn last_weight(&self) -> i32 {
        self.last_weight.load(Relaxed)
    }
    fn addr(&self) -> Addr {
        self.addr
    }
    fn port(&self) -> [u8; 2] {
        self.port
    }
    fn overloaded(&self) -> bool {
        self.overloaded.load(Relaxed)
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
pub(crate) fn sched_storage(name: Option<&str>) -> Result<KVec<u16>, Errno> {
    Ok(KVec::from_elem(
        0,
        Algorithm::<KernelLender>::storage_len(name),
        GFP_KERNEL,
    )?)
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
    /// Identity, as in [`crate::svc::service::Service::id`].
    pub(crate) id: ServiceId,
    /// Traffic counters.
    pub(crate) stats: Stats,
    /// Service flags (`IP_VS_SVC_F_*`).
    flags: Atomic<u32>,
    /// Persistence timeout in jiffies.
    persistence_timeout: Atomic<u32>,
    /// Persistence granularity, raw (see [`crate::svc::request::ServiceSettings::netmask`]).
    netmask: Atomic<u32>,
    /// The SIP persistence engine is bound: templates are keyed by Call-ID too.
    sip: Atomic<bool>,
    /// The scheduler and the servers it picks from.
    #[pin]
    sched: SpinLockIrq<SchedState>,
    /// Where the servers mark changes of their counters for the scheduler.
    standings: Arc<Standings>,
}

/// How a service's server list changed.
#[derive(Clone, Copy)]
pub(crate) enum DestChange {
    Added,
    Updated,
    /// The server at this index of the newest-first list went.
    Removed(usize),
    /// The scheduler itself changed.
    Scheduler,
}

/// The settings of a service the packet path reads.
pub(crate) struct SharedSettings {
    /// Service flags (`IP_VS_SVC_F_*`).
    pub(crate) flags: u32,
    /// Persistence timeout in jiffies.
    pub(crate) timeout_jiffies: u32,
    /// Persistence granularity, raw (see [`crate::svc::request::ServiceSettings::netmask`]).
    pub(crate) netmask: u32,
    /// The SIP persistence engine is bound.
    pub(crate) sip: bool,
}

/// A service's scheduler with its view of the real servers.
struct SchedState {
    /// The algorithm, with its large tables in storage of its own.
    algorithm: Algorithm<KernelLender>,
    /// The servers newest first, as C keeps its list.
    dests: KVec<Arc<Dest>>,
}

impl ServiceShared {
    /// A new service's shared part, with scheduler `sched` (its tables in `storage`, from
    /// [`sched_storage`]) and no real servers.
    pub(crate) fn new(
        id: ServiceId,
        settings: SharedSettings,
        sched: Option<&'static str>,
        storage: KVec<u16>,
    ) -> Result<Arc<Self>, Errno> {
        let no_dests: &[Arc<Dest>] = &[];
        Arc::pin_init(
            try_pin_init!(ServiceShared {
                id,
                stats: Stats::new()?,
                flags: Atomic::new(settings.flags),
                persistence_timeout: Atomic::new(settings.timeout_jiffies),
                netmask: Atomic::new(settings.netmask),
                sip: Atomic::new(settings.sip),
                sched <- new_spinlock_irq!(SchedState {
                    algorithm: Algorithm::new(sched, id.af(), no_dests, storage),
                    dests: KVec::new(),
                }),
                standings: Arc::new(Standings::new(), GFP_KERNEL)?,
            }),
            GFP_KERNEL,
        )
        // Its only failures are allocations'.
        .map_err(|_| Errno::NoMem)
    }

    /// Publishes edited settings to the packet path.
    pub(crate) fn set_settings(&self, s: SharedSettings) {
        self.flags.store(s.flags, Relaxed);
        self.persistence_timeout.store(s.timeout_jiffies, Relaxed);
        self.netmask.store(s.netmask, Relaxed);
        self.sip.store(s.sip, Relaxed);
    }

    /// Gives the scheduler the servers `list` (newest first); `change` says how the list
    /// changed. For [`DestChange::Scheduler`], `storage` holds the tables of the new scheduler
    /// `sched`. The old list and algorithm are dropped outside the lock.
    pub(crate) fn give_dests(
        &self,
        list: KVec<Arc<Dest>>,
        change: DestChange,
        sched: Option<&'static str>,
        storage: Option<KVec<u16>>,
    ) {
        let (old_dests, old_algorithm) = {
            let mut s = self.sched.lock();
            let old_dests = core::mem::replace(&mut s.dests, list);
            let s = &mut *s;
            // The servers' new places, before the scheduler reads their counters (see
            // `Standings`); a server that left has none.
            for d in &old_dests {
                d.set_slot(NO_SLOT);
            }
            for (i, d) in s.dests.iter().enumerate() {
                d.set_slot(i as u32);
            }
            self.standings.clear();
            let mut old_algorithm = None;
            match change {
                DestChange::Added => s.algorithm.dest_added(&s.dests),
                DestChange::Updated => s.algorithm.dest_updated(&s.dests),
                DestChange::Removed(i) => s.algorithm.dest_removed(&s.dests, i),
                DestChange::Scheduler => {
                    if let Some(storage) = storage {
                        let new = Algorithm::new(sched, self.id.af(), &s.dests, storage);
                        old_algorithm = Some(core::mem::replace(&mut s.algorithm, new));
                    }
                }
            }
            (old_dests, old_algorithm)
        };
        drop((old_dests, old_algorithm));
    }

    /// `dev` is going down: its servers forget routes through it.
    pub(crate) fn forget_device(&self, dev: &NetDevice) {
        for d in &self.sched.lock().dests {
            d.forget_device(dev);
        }
    }

    /// Runs the estimators of the service and its real servers.
    pub(crate) fn estimate(&self) {
        self.stats.estimate();
        for d in &self.sched.lock().dests {
            d.stats.estimate();
        }
    }

    /// The scheduler's periodic upkeep, every [`crate::sched::COLLECT_PERIOD_SECS`] seconds.
    pub(crate) fn collect(&self) {
        self.sched.lock().algorithm.collect(jiffies(), HZ);
    }

    /// Picks the real server for a new connection from `saddr:sport` to `daddr` (hashing
    /// schedulers read them).
    pub(crate) fn schedule(&self, saddr: &Addr, sport: [u8; 2], daddr: &Addr) -> Option<Arc<Dest>> {
        let flow = Flow {
            af: self.id.af(),
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
        if s.algorithm.reads_counters() {
            let (algorithm, dests) = (&mut s.algorithm, &s.dests);
            self.standings.take(|mark| {
                for i in (mark..dests.len()).step_by(SPAN) {
                    algorithm.counters_changed(dests, i);
                }
            });
        }
        let i = s.algorithm.schedule(&s.dests, &flow)?;
        s.dests.get(i).cloned()
    }

    /// Where the service's servers mark changes of their counters.
    pub(crate) fn standings(&self) -> Arc<Standings> {
        self.standings.clone()
    }

    /// Service flags.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Relaxed)
    }

    /// What decides the service's persistence templates, if it is persistent.
    pub(crate) fn persistence(&self) -> Option<PersistentService> {
        (self.flags() & SVC_F_PERSISTENT != 0).then(|| PersistentService {
            af: self.id.af(),
            fwmark: self.id.fwmark,
            port: self.id.port,
            netmask: self.netmask.load(Relaxed),
        })
    }

    /// Persistence timeout in jiffies.
    pub(crate) fn persistence_timeout(&self) -> u32 {
        self.persistence_timeout.load(Relaxed)
    }

    /// Whether the SIP persistence engine is bound.
    pub(crate) fn uses_sip(&self) -> bool {
        self.sip.load(Relaxed)
    }
}
