// SPDX-License-Identifier: GPL-2.0

//! The per-namespace connection table.

use kernel::{
    alloc::{Flags, KVec},
    new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, SpinLockIrq,
    },
};

use super::{Conn, Side, State, Tuple};
use crate::{
    addr::Addr,
    glue::{rcu_buckets::RcuBuckets, siphash::SipKey, time::HZ, timer::jiffies},
    pe::persist::{self, TemplateKey},
    proto::{ConnState, Transport},
    svc::dest::{Dest, ServiceShared},
    uapi::{
        Af, Fwd, Protocol, CONN_F_INACTIVE, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_TEMPLATE,
    },
};

#[derive(Clone)]
struct Entry {
    side: Side,
    conn: Arc<Conn>,
}

/// Buckets in the table (`2^12`).
const BUCKETS: usize = 4096;
/// Locks serialising writers, each for every `LOCKS`-th bucket.
const LOCKS: usize = 64;
/// How often expired connections are swept, in jiffies.
pub(crate) const SWEEP_PERIOD: u32 = HZ;

/// What a new entry of the table is to persistence.
pub(crate) enum Made {
    /// A connection, made by this persistence template if there is one (`cp->control`).
    Conn(Option<Arc<Conn>>),
    /// A persistence template, with what the service's persistence engine read (`pe_data`).
    Template(Option<KVec<u8>>),
}

/// The connections of a namespace.
#[pin_data]
pub(crate) struct ConnTable {
    buckets: RcuBuckets<Entry>,
    #[pin]
    locks: [SpinLockIrq<()>; LOCKS],
    key: SipKey,
    count: Atomic<i32>,
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
    /// An empty table.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let buckets = RcuBuckets::new(BUCKETS, GFP_KERNEL);
        try_pin_init!(Self {
            buckets: buckets?,
            locks <- pin_init::pin_init_array_from_fn(|_| new_spinlock_irq!((), "ipvs_conn_tab")),
            key: SipKey::random(),
            count: Atomic::new(0),
        })
    }

    /// The bucket of `k`, the same for both directions of a flow: the two ends are hashed in
    /// a fixed order.
    fn bucket_of(&self, k: Key<'_>) -> usize {
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
        (hash as usize) % BUCKETS
    }

    /// The bucket of templates with persistence-engine data `pe_data`: filed by it alone, as
    /// C does (`hashkey_raw`).
    fn bucket_of_pe_data(&self, pe_data: &[u8]) -> usize {
        (self.key.hash_bytes(pe_data) as usize) % BUCKETS
    }

    fn bucket(&self, c: &Conn, side: Side) -> usize {
        if let Some(data) = c.pe_data() {
            return self.bucket_of_pe_data(data);
        }
        let (saddr, sport, daddr, dport) = c.ends(side);
        self.bucket_of(Key {
            protocol: c.tuple.protocol,
            saddr,
            sport,
            daddr,
            dport,
        })
    }

    /// The connection of a packet going `side` with `key`: [`Side::In`] for packets from
    /// clients, [`Side::Out`] for replies (`ip_vs_conn_in_get`, `ip_vs_conn_out_get`).
    pub(crate) fn lookup(&self, side: Side, key: Key<'_>) -> Option<Arc<Conn>> {
        let Key {
            protocol,
            saddr,
            sport,
            daddr,
            dport,
        } = key;
        let bucket = self.bucket_of(key);
        self.find_in(bucket, |filed, c| {
            // Replies of other than NAT connections are looked for under `Side::In`.
            let filed_for = filed == side || (side == Side::Out && c.fwd() != Fwd::Masq);
            filed_for
                && !c.is_template()
                && c.tuple.protocol == protocol
                && c.ends(side) == (saddr, sport, daddr, dport)
        })
    }

    /// The valid template filed under `key` (`ip_vs_ct_in_get`).
    pub(crate) fn lookup_template(&self, key: &TemplateKey<'_>) -> Option<Arc<Conn>> {
        let bucket = match key.pe_data {
            Some(data) => self.bucket_of_pe_data(data),
            None => self.bucket_of(Key {
                protocol: key.protocol,
                saddr: &key.caddr,
                sport: [0; 2],
                daddr: &key.vaddr,
                dport: key.vport,
            }),
        };
        self.find_in(bucket, |filed, c| {
            let t = &c.tuple;
            filed == Side::In
                && c.is_template()
                && !c.invalid.load(Relaxed)
                && t.protocol == key.protocol
                && (t.caddr, t.cport, t.vaddr, t.vport) == (key.caddr, [0; 2], key.vaddr, key.vport)
                && c.pe_data() == key.pe_data
        })
    }

    /// The first live connection in `bucket` that `matches` (given the side it is filed under
    /// there).
    fn find_in(&self, bucket: usize, matches: impl Fn(Side, &Conn) -> bool) -> Option<Arc<Conn>> {
        let guard = rcu::read_lock();
        self.buckets
            .entries(bucket, &guard)
            .iter()
            .find(|e| !e.conn.dead.load(Relaxed) && matches(e.side, &e.conn))
            .map(|e| e.conn.clone())
    }

    /// Replaces bucket `b`'s chain with `edit` applied to a copy of it.
    fn rewrite(
        &self,
        b: usize,
        flags: Flags,
        edit: impl FnOnce(&mut KVec<Entry>) -> Result,
    ) -> Result {
        // Serialises the writers of the bucket, as `RcuBuckets` asks.
        let _lock = self.locks[b % LOCKS].lock();
        self.buckets.rewrite(b, flags, edit)
    }

    /// Creates the persistence template `key` to `dest`, port `dport`, as [`Self::create`],
    /// with the service's persistence timeout.
    pub(crate) fn create_template(
        &self,
        key: &TemplateKey<'_>,
        dest: Arc<Dest>,
        dport: [u8; 2],
        svc: Arc<ServiceShared>,
        conn_max: i32,
    ) -> Result<Arc<Conn>> {
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
                Some(v)
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
        &self,
        tuple: Tuple,
        dest: Arc<Dest>,
        svc: Arc<ServiceShared>,
        extra_flags: u32,
        made: Made,
        conn_max: i32,
    ) -> Result<Arc<Conn>> {
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
        let conn = Arc::pin_init(
            pin_init!(Conn {
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
                state <- new_spinlock_irq!(State {
                    state,
                    hashed: true,
                    no_output: flags & CONN_F_NOOUTPUT != 0,
                    inactive,
                    // A new connection lives 3 s until its first state transition.
                    timeout: 3 * HZ,
                }),
            }),
            GFP_ATOMIC,
        );
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
            for &side in conn.filed_sides() {
                let entry = Entry {
                    side,
                    conn: conn.clone(),
                };
                if let Err(e) = self.rewrite(self.bucket(&conn, side), GFP_ATOMIC, |c| {
                    c.push(entry, GFP_ATOMIC).map_err(Into::into)
                }) {
                    self.unlink(&conn, true);
                    return Err(e);
                }
            }
        }
        Ok(conn)
    }

    /// Ends `conn` now (`ip_vs_conn_expire_now`): a template that made it goes too if it
    /// made no other connection still there and is not assured.
    pub(crate) fn remove(&self, conn: &Arc<Conn>) {
        self.unlink(conn, true);
    }

    /// Ends a one-packet connection after its packet (its template keeps its own time).
    pub(crate) fn release_one_packet(&self, conn: &Arc<Conn>) {
        self.unlink(conn, false);
    }

    /// Takes `conn` out of the table; `forced` when it is ended before its time.
    fn unlink(&self, conn: &Arc<Conn>, forced: bool) {
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
        for &side in conn.filed_sides() {
            // If memory is short the dead entry stays until a later sweep; lookups skip it.
            let _ = self.rewrite(self.bucket(conn, side), GFP_ATOMIC, |c| {
                c.retain(|e| !Arc::ptr_eq(&e.conn, conn));
                Ok(())
            });
        }
    }

    /// Removes the connections whose time is up, and dead entries left behind.
    pub(crate) fn expire(&self) {
        if self.count.load(Relaxed) == 0 {
            return;
        }
        let now = jiffies();
        for b in 0..BUCKETS {
            let mut doomed = KVec::<Arc<Conn>>::new();
            {
                let guard = rcu::read_lock();
                for e in self.buckets.entries(b, &guard) {
                    let due = e.conn.expires.load(Relaxed) <= now;
                    if (due || e.conn.dead.load(Relaxed))
                        && doomed.push(e.conn.clone(), GFP_ATOMIC).is_err()
                    {
                        break;
                    }
                }
            }
            for conn in doomed {
                // A template whose connections are still there lives on (`expire_later`).
                if conn.controlled.load(Relaxed) > 0 && !conn.dead.load(Relaxed) {
                    conn.set_timeout(persist::CONTROLLED_REARM_SECS * HZ);
                    conn.touch();
                    continue;
                }
                self.unlink(&conn, false);
            }
        }
    }

    /// Every connection (once each), for listings.
    pub(crate) fn for_each(
        &self,
        mut f: impl FnMut(&Conn) -> core::fmt::Result,
    ) -> core::fmt::Result {
        let guard = rcu::read_lock();
        for b in 0..self.buckets.len() {
            let chain = self.buckets.entries(b, &guard);
            for e in chain.iter().filter(|e| e.side == Side::In) {
                if !e.conn.dead.load(Relaxed) {
                    f(&e.conn)?;
                }
            }
        }
        Ok(())
    }
}
