// SPDX-License-Identifier: GPL-2.0

//! The per-namespace connection table.

use kernel::{
    alloc::KVec,
    new_mutex, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        barrier::{smp_mb, Full},
        rcu, Arc, Mutex,
    },
};

use super::{
    sizing::{self, Bounds},
    Conn, ConnRef, Side, State, Tuple,
};
use crate::{
    addr::Addr,
    glue::{
        expiry::ExpiryTimer,
        hash_table::{Links, RcuHashTable},
        siphash::SipKey,
        time::HZ,
        timer::jiffies,
        work::Job,
    },
    pe::persist::TemplateKey,
    proto::{ConnState, Transport},
    svc::dest::{Dest, ServiceShared},
    uapi::{
        Af, Fwd, Protocol, CONN_F_INACTIVE, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_TEMPLATE,
    },
};

/// How often the table checks its size when nothing asks sooner, in jiffies (as C).
pub(crate) const RESIZE_PERIOD: u32 = 2 * HZ;

/// What a new entry of the table is to persistence.
pub(crate) enum Made {
    /// A connection, made by this persistence template if there is one (`cp->control`).
    Conn(Option<ConnRef>),
    /// A persistence template, with what the service's persistence engine read (`pe_data`).
    Template(Option<KBox<KVec<u8>>>),
}

/// The connections of a namespace.
///
/// A connection is filed by its link 0 under its client-side tuple ([`Side::In`]) and, for NAT,
/// by its link 1 under its server-side one ([`Side::Out`]). The table grows and shrinks with
/// the number of connections as C's does (see [`sizing`]): at once when an insert passes the
/// upper threshold, and otherwise on a periodic check by its [`Resizer`].
///
/// Its connections hold it (their timers take them out of it), so it lives in an [`Arc`]; the
/// namespace [`flush`](Self::flush)es it when it goes.
#[pin_data]
pub(crate) struct ConnTable {
    #[pin]
    table: RcuHashTable<ConnRef, 2>,
    key: SipKey,
    count: Atomic<i32>,
    /// Grow past this many connections ([`Bounds::upper`] of the current size).
    upper: Atomic<u32>,
    /// The load factor to size for (sysctl `conn_lfactor`).
    lfactor: Atomic<i32>,
    /// A resize is wanted and its job not run yet.
    resize_wanted: Atomic<bool>,
    /// The bounds of the current size, kept by the job.
    #[pin]
    bounds: Mutex<Bounds>,
}

impl Side {
    /// The link a connection is filed by for this side.
    fn link(self) -> usize {
        match self {
            Side::In => 0,
            Side::Out => 1,
        }
    }
}

/// What a connection is filed under, and what a packet is looked up by: family, protocol, and
/// the source and destination of its packets on one side.
#[derive(Clone, Copy)]
pub(crate) struct Key<'a> {
    /// IP protocol.
    pub(crate) protocol: u8,
    /// Source address.
    pub(crate) saddr: &'a Addr,
    /// Source port.
    pub(crate) sport: [u8; 2],
    /// Destination address (of the source's family).
    pub(crate) daddr: &'a Addr,
    /// Destination port.
    pub(crate) dport: [u8; 2],
}

impl ConnTable {
    /// An empty table sized for load factor `lfactor`.
    pub(crate) fn new(lfactor: i32) -> impl PinInit<Self, Error> {
        let bounds = Bounds::initial(lfactor);
        try_pin_init!(Self {
            table <- RcuHashTable::new(bounds.size as usize),
            key: SipKey::random(),
            count: Atomic::new(0),
            upper: Atomic::new(bounds.upper),
            lfactor: Atomic::new(lfactor),
            resize_wanted: Atomic::new(false),
            bounds <- new_mutex!(bounds),
        })
    }

    /// The number of buckets (`size=` in listings).
    pub(crate) fn size(&self) -> u32 {
        self.table.size() as u32
    }

    /// Sizes the table for load factor `lfactor` from the next check on. Returns whether the
    /// table should be checked now (the factor changed).
    pub(crate) fn set_lfactor(&self, lfactor: i32) -> bool {
        // Read first: the packet path calls this per new connection, and it rarely changes.
        self.lfactor.load(Relaxed) != lfactor
            && self.lfactor.xchg(lfactor, Relaxed) != lfactor
            && self.want_resize()
    }

    /// Whether a resize should be queued: `true` once until the job has run.
    fn want_resize(&self) -> bool {
        !self.resize_wanted.xchg(true, Relaxed)
    }

    /// Whether the table has passed its upper threshold and a resize should be queued.
    pub(crate) fn wants_growing(&self) -> bool {
        self.count.load(Relaxed) as u32 > self.upper.load(Relaxed)
            && !self.resize_wanted.load(Relaxed)
            && self.want_resize()
    }

    /// The hash of `k`, the same for both directions of a flow: the two ends are hashed in a
    /// fixed order.
    fn hash_of(&self, k: Key<'_>) -> u32 {
        // Any fixed order of the two ends will do; comparing each as one number is cheaper
        // than the addresses' own ordering (family first, then byte by byte).
        let end = |addr: &Addr, port: [u8; 2]| (u128::from_ne_bytes(*addr.inet()), port);
        let (a, ap, b, bp) = if end(k.saddr, k.sport) <= end(k.daddr, k.dport) {
            (k.saddr, k.sport, k.daddr, k.dport)
        } else {
            (k.daddr, k.dport, k.saddr, k.sport)
        };
        let (a, b) = (a.inet(), b.inet());
        let hash = if k.saddr.af() == Af::Inet6 {
            let half = |x: &[u8; 16], i: usize| {
                let mut w = [0u8; 8];
                w.copy_from_slice(&x[i..i + 8]);
                u64::from_ne_bytes(w)
            };
            let ports = [ap[0], ap[1], bp[0], bp[1], k.protocol, 0, 0, 0];
            self.key.hash_words(&[
                half(a, 0),
                half(a, 8),
                half(b, 0),
                half(b, 8),
                u64::from_ne_bytes(ports),
            ])
        } else {
            // IPv4: two words, one per end.
            let w = |x: &[u8; 16], p: [u8; 2]| {
                u64::from_ne_bytes([x[0], x[1], x[2], x[3], p[0], p[1], k.protocol, 0])
            };
            self.key.hash(w(a, ap), w(b, bp))
        };
        hash as u32
    }

    /// The hash of templates with persistence-engine data `pe_data`: filed by it alone, as C
    /// does (`hashkey_raw`).
    fn hash_of_pe_data(&self, pe_data: &[u8]) -> u32 {
        self.key.hash_bytes(pe_data) as u32
    }

    fn hash(&self, c: &Conn, side: Side) -> u32 {
        if let Some(data) = c.pe_data() {
            return self.hash_of_pe_data(data);
        }
        let (saddr, sport, daddr, dport) = c.ends(side);
        self.hash_of(Key {
            protocol: c.tuple.protocol,
            saddr,
            sport,
            daddr,
            dport,
        })
    }

    /// The connection of a packet going `side` with `key`: [`Side::In`] for packets from
    /// clients, [`Side::Out`] for replies (`ip_vs_conn_in_get`, `ip_vs_conn_out_get`).
    pub(crate) fn lookup(&self, side: Side, key: Key<'_>) -> Option<ConnRef> {
        let Key {
            protocol,
            saddr,
            sport,
            daddr,
            dport,
        } = key;
        self.find(self.hash_of(key), |filed, c| {
            // Replies of other than NAT connections are looked for under `Side::In`.
            let filed_for = filed == side || (side == Side::Out && c.fwd() != Fwd::Masq);
            filed_for
                && !c.is_template()
                && c.tuple.protocol == protocol
                && c.ends(side) == (saddr, sport, daddr, dport)
        })
    }

    /// The valid template filed under `key` (`ip_vs_ct_in_get`).
    pub(crate) fn lookup_template(&self, key: &TemplateKey<'_>) -> Option<ConnRef> {
        let hash = match key.pe_data {
            Some(data) => self.hash_of_pe_data(data),
            None => self.hash_of(Key {
                protocol: key.protocol,
                saddr: &key.caddr,
                sport: [0; 2],
                daddr: &key.vaddr,
                dport: key.vport,
            }),
        };
        self.find(hash, |filed, c| {
            let t = &c.tuple;
            filed == Side::In
                && c.is_template()
                && !c.invalid.load(Relaxed)
                && t.protocol == key.protocol
                && (t.caddr, t.cport, t.vaddr, t.vport) == (key.caddr, [0; 2], key.vaddr, key.vport)
                && c.pe_data() == key.pe_data
        })
    }

    /// The first live connection filed under `hash` that `matches` (given the side it is filed
    /// under there).
    fn find(&self, hash: u32, matches: impl Fn(Side, &Conn) -> bool) -> Option<ConnRef> {
        let guard = rcu::read_lock();
        self.table.find(hash, &guard, |link, c| {
            let side = if link == 0 { Side::In } else { Side::Out };
            !c.dead.load(Relaxed) && matches(side, c)
        })
    }

    /// Creates the persistence template `key` to `dest`, port `dport`, as [`Self::create`],
    /// with the service's persistence timeout.
    pub(crate) fn create_template(
        self: &Arc<Self>,
        key: &TemplateKey<'_>,
        dest: Arc<Dest>,
        dport: [u8; 2],
        svc: Arc<ServiceShared>,
        conn_max: i32,
    ) -> Result<ConnRef> {
        let tuple = Tuple {
            protocol: key.protocol,
            caddr: key.caddr,
            cport: [0; 2],
            vaddr: key.vaddr,
            vport: key.vport,
            daddr: dest.addr,
            dport,
        };
        let pe_data = match key.pe_data {
            Some(data) => {
                let mut v = KVec::with_capacity(data.len(), GFP_ATOMIC)?;
                v.extend_from_slice(data, GFP_ATOMIC)?;
                Some(KBox::new(v, GFP_ATOMIC)?)
            }
            None => None,
        };
        let timeout = svc.persistence_timeout();
        let template = self.create(tuple, dest, svc, 0, Made::Template(pe_data), conn_max)?;
        template.set_timeout(timeout);
        Ok(template)
    }

    /// Creates a connection to `dest` for `tuple` (`ip_vs_conn_new` with `ip_vs_bind_dest`), or
    /// a template (see [`Made`]). Fails when `conn_max` connections exist or memory is short
    /// (the packet is dropped).
    pub(crate) fn create(
        self: &Arc<Self>,
        tuple: Tuple,
        dest: Arc<Dest>,
        svc: Arc<ServiceShared>,
        extra_flags: u32,
        made: Made,
        conn_max: i32,
    ) -> Result<ConnRef> {
        let (control, pe_data, extra_flags) = match made {
            Made::Conn(control) => (control, None, extra_flags),
            Made::Template(pe_data) => (None, pe_data, extra_flags | CONN_F_TEMPLATE),
        };
        if self.count.fetch_add(1, Relaxed) >= conn_max {
            self.count.fetch_sub(1, Relaxed);
            return Err(ENOMEM);
        }
        let mut flags = dest.conn_flags() | extra_flags;
        // Only UDP connections can be one-packet; a template must outlive its packet.
        if Protocol::of(tuple.protocol) != Protocol::Udp || flags & CONN_F_TEMPLATE != 0 {
            flags &= !CONN_F_ONE_PACKET;
        }
        let template = flags & CONN_F_TEMPLATE != 0;
        let one_packet = flags & CONN_F_ONE_PACKET != 0;
        let inactive = flags & CONN_F_INACTIVE != 0;
        let state = ConnState::new(Protocol::of(tuple.protocol), template);
        let conn = ConnRef::pin_init(pin_init!(Conn {
            tuple,
            dest,
            svc,
            // A new connection lives 3 s until its first state transition.
            expires: Atomic::new(jiffies().wrapping_add(3 * u64::from(HZ))),
            dead: Atomic::new(false),
            fwd: Fwd::of(flags),
            template,
            one_packet,
            fixed_state: match state {
                ConnState::Proto(_) => Transport::of(Protocol::of(tuple.protocol)).and_then(Transport::fixed),
                _ => None,
            },
            control,
            controlled: Atomic::new(0),
            invalid: Atomic::new(false),
            pe_data,
            links: Links::new(),
            table: self.clone(),
            timer <- ExpiryTimer::new::<Conn>(),
            state <- new_spinlock_irq!(State {
                state,
                hashed: true,
                no_output: flags & CONN_F_NOOUTPUT != 0,
                inactive,
                // A new connection lives 3 s until its first state transition.
                timeout: 3 * HZ,
            }),
        }));
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                self.count.fetch_sub(1, Relaxed);
                return Err(e);
            }
        };
        if template {
            conn.dest.template_bound();
        } else {
            conn.dest.conn_bound(inactive);
        }
        if let Some(ct) = &conn.control {
            ct.controlled.fetch_add(1, Relaxed);
        }
        // One-packet connections are never hashed: they die with their packet.
        if !one_packet {
            let mut hashes = [None; 2];
            for &side in conn.filed_sides() {
                hashes[side.link()] = Some(self.hash(&conn, side));
            }
            // Nothing else has the new connection: it is not filed yet.
            let _ = self.table.insert(conn.clone(), hashes, &rcu::read_lock());
            ExpiryTimer::arm_sooner(&conn, conn.expires.load(Relaxed));
        }
        Ok(conn)
    }

    /// Ends `conn` now (`ip_vs_conn_expire_now`): a template that made it goes too if it
    /// made no other connection still there and is not assured.
    pub(crate) fn remove(&self, conn: &ConnRef) {
        self.unlink(conn, true);
    }

    /// Ends a one-packet connection after its packet (its template keeps its own time).
    pub(crate) fn release_one_packet(&self, conn: &ConnRef) {
        self.unlink(conn, false);
    }

    /// Takes `conn` out of the table and stops its timer; `forced` when it is ended before its
    /// time.
    pub(super) fn unlink(&self, conn: &ConnRef, forced: bool) {
        // Once only; a dead entry left behind is only taken out of its chains below.
        if conn.kill() {
            self.count.fetch_sub(1, Relaxed);
            if let Some(ct) = &conn.control {
                let left = ct.controlled.fetch_sub(1, Relaxed) - 1;
                let assured = ct.state.lock().state == ConnState::Template { assured: true };
                if forced && left == 0 && !assured {
                    self.unlink(ct, true);
                }
            }
        }
        self.table.remove(conn);
        // Pairs with the barrier of an arming that races with this: it sees the connection
        // dead (`Conn::gone`, marked above), or this sees its timer pending.
        smp_mb(Full);
        ExpiryTimer::disarm(&**conn);
    }

    /// Ends every connection, waiting for their timers (process context): the namespace goes.
    pub(crate) fn flush(&self) {
        const BATCH: usize = 256;
        let mut batch = KVec::<ConnRef>::new();
        loop {
            // Short of memory, it goes one at a time.
            let _ = batch.reserve(BATCH, GFP_KERNEL);
            let mut one = None;
            {
                let guard = rcu::read_lock();
                let _ = self.table.for_each(&guard, |link, c| {
                    if link != 0 {
                        return Ok(());
                    }
                    if batch.len() < batch.capacity() {
                        batch.push_within_capacity(c.to_ref()).map_err(|_| ())
                    } else {
                        one = Some(c.to_ref());
                        Err(())
                    }
                });
            }
            if batch.is_empty() && one.is_none() {
                return;
            }
            for conn in Iterator::chain(batch.drain_all(), one) {
                // Dead first: its timer is then never armed again, and a running callback
                // leaves it idle.
                self.unlink(&conn, false);
                ExpiryTimer::disarm_sync(&*conn);
            }
        }
    }

    /// Every connection (once each), for listings.
    pub(crate) fn for_each(
        &self,
        mut f: impl FnMut(&Conn) -> core::fmt::Result,
    ) -> core::fmt::Result {
        let guard = rcu::read_lock();
        self.table.for_each(&guard, |link, c| {
            if link == 0 && !c.dead.load(Relaxed) {
                f(&c)?;
            }
            Ok(())
        })
    }
}

/// The work of resizing a connection table, which sleeps (the packet path only asks for it).
pub(crate) struct Resizer(pub(crate) Arc<ConnTable>);

impl Job for Resizer {
    fn run(&self) -> Option<u32> {
        Some(self.0.check_size())
    }
}

impl ConnTable {
    /// Resizes the table if its number of connections or its load factor asks for it
    /// (`conn_resize_work_handler`); returns the jiffies until the next check. Sleeps.
    pub(crate) fn check_size(&self) -> u32 {
        // Inserts from now on may ask again.
        self.resize_wanted.store(false, Relaxed);
        let lfactor = self.lfactor.load(Relaxed);
        let mut bounds = self.bounds.lock();
        let n = self.count.load(Relaxed).max(0) as u32;
        let size = sizing::desired_size(Some(&bounds), n, lfactor);
        if size != bounds.size || lfactor != bounds.lfactor {
            if self.table.resize(size as usize).is_err() {
                // Out of memory: try again soon.
                return 1;
            }
            *bounds = Bounds::new(size, lfactor);
            self.upper.store(bounds.upper, Relaxed);
        }
        RESIZE_PERIOD
    }
}
