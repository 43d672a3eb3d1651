// SPDX-License-Identifier: GPL-2.0

//! Connections and the per-namespace connection table.
//!
//! A connection is found by its client-side tuple (packets from the client) and, for NAT, by
//! its server-side tuple (replies). Readers look up without locks: each hash bucket is an
//! RCU-published chain that writers replace (copy on write) under one of a few striped locks,
//! and a replaced chain, with the references it holds, goes after a grace period.
//!
//! Instead of a timer per connection, every connection carries its expiry time and a periodic
//! sweep removes the expired ones (see [`ConnTable::expire`]); a connection removed while a
//! packet still uses it stays valid for that packet (it is reference counted) but is no longer
//! found.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use kernel::{
    alloc::{Flags, KVec},
    new_spinlock_irq,
    prelude::*,
    sync::{rcu, Arc, SpinLockIrq},
};

use crate::{
    dest::{Dest, ServiceShared},
    glue::{rcu::RcuPtr, siphash::SipKey, time::HZ, timer::jiffies},
    persist::{self, TemplateKey, INVALID_DPORT},
    sctp_state::{self, SctpState},
    tcp_state::{self, Direction, TcpFlags, TcpState},
    uapi::{
        AF_INET6, CONN_F_FWD_MASK, CONN_F_INACTIVE, CONN_F_MASQ, CONN_F_NOOUTPUT,
        CONN_F_ONE_PACKET, CONN_F_TEMPLATE, PROTO_SCTP, PROTO_TCP, PROTO_UDP,
    },
};

/// What in a packet moves its connection's protocol state.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StateEvent {
    /// A TCP packet's flags.
    Tcp(TcpFlags),
    /// An SCTP packet's first chunk type, and the chunk type that is its event (see
    /// [`sctp_state::event_chunk`]).
    Sctp { first: u8, event: u8 },
}

impl StateEvent {
    /// Whether the packet starts a new connection (`is_new_conn`): a TCP SYN, an SCTP INIT.
    pub(crate) fn is_new_conn(self) -> bool {
        match self {
            Self::Tcp(f) => f.syn,
            Self::Sctp { first, .. } => sctp_state::is_init(first),
        }
    }
}

/// A connection's tuple: protocol, client, virtual service and real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tuple {
    /// Family of the client and virtual addresses (`AF_INET` or `AF_INET6`).
    pub(crate) af: u16,
    /// IP protocol.
    pub(crate) protocol: u8,
    /// Client address (IPv4 in the first 4 bytes).
    pub(crate) caddr: [u8; 16],
    /// Client port.
    pub(crate) cport: [u8; 2],
    /// Virtual address.
    pub(crate) vaddr: [u8; 16],
    /// Virtual port.
    pub(crate) vport: [u8; 2],
    /// Real server address.
    pub(crate) daddr: [u8; 16],
    /// Real server port.
    pub(crate) dport: [u8; 2],
}

/// The protocol state of a connection, under its lock (which also serialises changes of the
/// connection's flags).
struct State {
    /// Protocol state (a [`TcpState`] number for TCP, 0 for UDP; for a template, whether it is
    /// assured).
    state: u8,
    /// Still in the table: its server's connection counts include it.
    hashed: bool,
}

/// A connection through a virtual service.
#[pin_data]
pub(crate) struct Conn {
    /// Addresses and ports.
    pub(crate) tuple: Tuple,
    /// The real server.
    pub(crate) dest: Arc<Dest>,
    /// The service it was scheduled by (its counters count the traffic).
    pub(crate) svc: Arc<ServiceShared>,
    /// When it expires, in jiffies (moved on by every packet).
    expires: AtomicU64,
    /// Set when it leaves the table: lookups skip it from then on.
    dead: AtomicBool,
    /// `IP_VS_CONN_F_*` flags: read without the lock (the forwarding method never changes),
    /// changed under it.
    flags: AtomicU32,
    /// Jiffies the connection lives after its last packet.
    timeout: AtomicU32,
    /// The persistence template the connection was made by (`cp->control`).
    control: Option<Arc<Conn>>,
    /// For a template: how many connections it made are still there (`n_control`).
    controlled: AtomicI32,
    /// For a template: invalidated because its server went (C sets its dport to 0xffff).
    invalid: AtomicBool,
    /// For a template of a service with a persistence engine: what the engine read from the
    /// packet that made it (`pe_data`), which it is filed and found by.
    pe_data: Option<KVec<u8>>,
    #[pin]
    state: SpinLockIrq<State>,
}

impl Conn {
    /// Source and destination address and port of the connection's packets going `side`:
    /// replies of a NAT connection come from the real server, those of any other (when they
    /// pass this host at all) from the virtual address.
    fn ends(&self, side: Side) -> (&[u8; 16], [u8; 2], &[u8; 16], [u8; 2]) {
        let t = &self.tuple;
        match side {
            Side::In => (&t.caddr, t.cport, &t.vaddr, t.vport),
            Side::Out if self.fwd() == CONN_F_MASQ => (&t.daddr, t.dport, &t.caddr, t.cport),
            Side::Out => (&t.vaddr, t.vport, &t.caddr, t.cport),
        }
    }

    /// The sides the connection is filed under: both for a NAT connection, whose replies have
    /// other addresses; [`Side::In`] for any other, whose replies are the same tuple reversed
    /// and so are found in the same bucket (see [`ConnTable::bucket_of`]).
    fn filed_sides(&self) -> &'static [Side] {
        let flags = self.flags.load(Ordering::Relaxed);
        if flags & (CONN_F_FWD_MASK | CONN_F_TEMPLATE) == CONN_F_MASQ {
            &[Side::In, Side::Out]
        } else {
            &[Side::In]
        }
    }

    /// The forwarding method.
    pub(crate) fn fwd(&self) -> u32 {
        self.flags.load(Ordering::Relaxed) & CONN_F_FWD_MASK
    }

    /// The persistence engine's data of a template (the SIP Call-ID).
    pub(crate) fn pe_data(&self) -> Option<&[u8]> {
        self.pe_data.as_deref()
    }

    /// Whether this is a persistence template.
    pub(crate) fn is_template(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & CONN_F_TEMPLATE != 0
    }

    /// The real server port, as listed (an invalidated template's is 0xffff, as in C).
    pub(crate) fn dport(&self) -> [u8; 2] {
        if self.invalid.load(Ordering::Relaxed) {
            INVALID_DPORT
        } else {
            self.tuple.dport
        }
    }

    /// `ip_vs_check_template`: whether a template still leads to its server (there, and not
    /// quiesced when `expire_quiescent` is set), which must be `dest` if given. One that does
    /// not is invalidated for good.
    pub(crate) fn template_usable(&self, expire_quiescent: bool, dest: Option<&Arc<Dest>>) -> bool {
        let usable = self.dest.available()
            && !(expire_quiescent && self.dest.weight() == 0)
            && dest.is_none_or(|d| Arc::ptr_eq(d, &self.dest));
        if !usable {
            self.invalid.store(true, Ordering::Relaxed);
        }
        usable
    }

    /// `ip_vs_control_assure_ct`: a connection the template made got going, so the template is
    /// kept when that connection is dropped early.
    fn assure_control(&self) {
        if let Some(ct) = &self.control {
            if ct.is_template() {
                ct.state.lock().state = persist::TEMPLATE_ASSURED;
            }
        }
    }

    /// Whether the connection dies after one packet (UDP one-packet scheduling).
    pub(crate) fn one_packet(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & CONN_F_ONE_PACKET != 0
    }

    /// Whether a new connection may reuse this one's tuple (`is_new_conn_expected`): it is
    /// closing, or (with `conn_reuse_mode` bit 1) half closed with replies bypassing us.
    pub(crate) fn expects_new(&self, conn_reuse_mode: i32) -> bool {
        // A connection a template made belongs to its client's persistence.
        if self.control.is_some() {
            return false;
        }
        let state = usize::from(self.state.lock().state);
        match self.tuple.protocol {
            PROTO_TCP => {}
            PROTO_SCTP => return SctpState::ALL[state] == SctpState::Closed,
            _ => return false,
        }
        let state = TcpState::ALL[state];
        let no_output = self.flags.load(Ordering::Relaxed) & CONN_F_NOOUTPUT != 0;
        matches!(state, TcpState::TimeWait | TcpState::Close)
            || (conn_reuse_mode & 2 != 0 && state == TcpState::FinWait && no_output)
    }

    /// Sets how long the connection lives after its last use, in jiffies.
    pub(crate) fn set_timeout(&self, timeout: u32) {
        self.timeout.store(timeout, Ordering::Relaxed);
    }

    /// Keeps the connection for its timeout from now (`ip_vs_conn_put`).
    pub(crate) fn touch(&self) {
        let timeout = self.timeout.load(Ordering::Relaxed);
        self.expires
            .store(jiffies().wrapping_add(timeout.into()), Ordering::Relaxed);
    }

    /// Moves the protocol state for a packet going `dir` (`ip_vs_set_state`); `event` is what
    /// the packet's transport header says, if it could be read.
    pub(crate) fn transition(
        &self,
        dir: Direction,
        event: Option<StateEvent>,
        timeouts: &ProtoTimeouts,
        secure_tcp: bool,
    ) {
        match (self.tuple.protocol, event) {
            (PROTO_TCP | PROTO_SCTP, Some(event)) => {
                let mut s = self.state.lock();
                let mut flags = self.flags.load(Ordering::Relaxed);
                let mut no_output = flags & CONN_F_NOOUTPUT != 0;
                let old = usize::from(s.state);
                // The new state's number, whether it is active, its timeout, whether it is the
                // established one.
                let (new, active, timeout, established) = match event {
                    StateEvent::Tcp(f) => {
                        let n = tcp_state::next_state(
                            TcpState::ALL[old],
                            dir,
                            f,
                            &mut no_output,
                            secure_tcp,
                        );
                        (
                            n as usize,
                            n.active(),
                            timeouts.tcp(n),
                            n == TcpState::Established,
                        )
                    }
                    StateEvent::Sctp { event, .. } => {
                        let n =
                            sctp_state::next_state(SctpState::ALL[old], dir, event, &mut no_output);
                        (
                            n as usize,
                            n.active(),
                            n.timeout() * HZ,
                            n == SctpState::Established,
                        )
                    }
                };
                if !no_output {
                    flags &= !CONN_F_NOOUTPUT;
                }
                if new != old && s.hashed {
                    let inactive = flags & CONN_F_INACTIVE != 0;
                    if !inactive && !active {
                        self.dest.conn_activity(false);
                        flags |= CONN_F_INACTIVE;
                    } else if inactive && active {
                        self.dest.conn_activity(true);
                        flags &= !CONN_F_INACTIVE;
                    }
                }
                self.flags.store(flags, Ordering::Relaxed);
                s.state = new as u8;
                self.timeout.store(timeout, Ordering::Relaxed);
                drop(s);
                if new != old && established {
                    self.assure_control();
                }
            }
            (PROTO_UDP, _) => {
                self.timeout.store(timeouts.udp(), Ordering::Relaxed);
                if dir == Direction::Output {
                    self.assure_control();
                }
            }
            _ => {}
        }
    }

    /// Takes the connection out of service: lookups stop finding it and its server's counts
    /// drop it. Returns `false` if that already happened.
    fn kill(&self) -> bool {
        let mut s = self.state.lock();
        if !s.hashed {
            return false;
        }
        s.hashed = false;
        self.dead.store(true, Ordering::Relaxed);
        let flags = self.flags.load(Ordering::Relaxed);
        if flags & CONN_F_TEMPLATE != 0 {
            self.dest.template_unbound();
        } else {
            self.dest.conn_unbound(flags & CONN_F_INACTIVE != 0);
        }
        true
    }

    /// What `/proc/net/ip_vs_conn` shows that may change: state name, seconds left.
    pub(crate) fn listing(&self, now: u64) -> (&'static str, u32) {
        let state = {
            let s = self.state.lock();
            match self.tuple.protocol {
                _ if self.is_template() => persist::template_state_name(s.state),
                PROTO_TCP => TcpState::ALL[usize::from(s.state)].name(),
                PROTO_SCTP => SctpState::ALL[usize::from(s.state)].name(),
                PROTO_UDP => "UDP",
                _ => "ERR!",
            }
        };
        let left = self.expires.load(Ordering::Relaxed).saturating_sub(now);
        (state, (left / u64::from(HZ)) as u32)
    }
}

/// The connection timeouts of a namespace, in jiffies: C's per-protocol tables, of which user
/// space sets three (`ipvsadm --set`).
pub(crate) struct ProtoTimeouts {
    tcp_established: AtomicU64,
    tcp_fin_wait: AtomicU64,
    udp: AtomicU64,
}

impl ProtoTimeouts {
    /// C's defaults.
    pub(crate) fn new() -> Self {
        let j = |s: u32| AtomicU64::new(u64::from(s) * u64::from(HZ));
        Self {
            tcp_established: j(TcpState::Established.default_timeout()),
            tcp_fin_wait: j(TcpState::FinWait.default_timeout()),
            udp: j(300),
        }
    }

    /// Sets the three user-visible timeouts (seconds).
    pub(crate) fn set(&self, t: &crate::timeouts::Timeouts) {
        let j = |s: u32| u64::from(s) * u64::from(HZ);
        self.tcp_established.store(j(t.tcp), Ordering::Relaxed);
        self.tcp_fin_wait.store(j(t.tcp_fin), Ordering::Relaxed);
        self.udp.store(j(t.udp), Ordering::Relaxed);
    }

    fn tcp(&self, s: TcpState) -> u32 {
        match s {
            TcpState::Established => self.tcp_established.load(Ordering::Relaxed) as u32,
            TcpState::FinWait => self.tcp_fin_wait.load(Ordering::Relaxed) as u32,
            s => s.default_timeout() * HZ,
        }
    }

    fn udp(&self) -> u32 {
        self.udp.load(Ordering::Relaxed) as u32
    }
}

/// Which tuple of a connection a table entry is filed under.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Client to virtual service.
    In,
    /// Real server to client (NAT replies).
    Out,
}

struct Entry {
    side: Side,
    conn: Arc<Conn>,
}

/// One bucket's entries.
struct Chain(KVec<Entry>);

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
    buckets: KVec<RcuPtr<Chain>>,
    #[pin]
    locks: [SpinLockIrq<()>; LOCKS],
    key: SipKey,
    count: AtomicI32,
}

/// What a connection is filed under: family, protocol, and the source and destination of its
/// packets on one side.
#[derive(Clone, Copy)]
struct Key<'a> {
    af: u16,
    protocol: u8,
    saddr: &'a [u8; 16],
    sport: [u8; 2],
    daddr: &'a [u8; 16],
    dport: [u8; 2],
}

impl ConnTable {
    /// An empty table.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let mut buckets = KVec::with_capacity(BUCKETS, GFP_KERNEL);
        if let Ok(b) = buckets.as_mut() {
            for _ in 0..BUCKETS {
                // Within capacity: cannot fail.
                let _ = b.push(RcuPtr::null(), GFP_KERNEL);
            }
        }
        try_pin_init!(Self {
            buckets: buckets?,
            locks <- pin_init::pin_init_array_from_fn(|_| new_spinlock_irq!((), "ipvs_conn_tab")),
            key: SipKey::random(),
            count: AtomicI32::new(0),
        })
    }

    /// The bucket of `k`, the same for both directions of a flow: the two ends are hashed in
    /// a fixed order.
    fn bucket_of(&self, k: Key<'_>) -> usize {
        let (a, ap, b, bp) = if (k.saddr, k.sport) <= (k.daddr, k.dport) {
            (k.saddr, k.sport, k.daddr, k.dport)
        } else {
            (k.daddr, k.dport, k.saddr, k.sport)
        };
        let hash = if k.af == AF_INET6 {
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
            af: c.tuple.af,
            protocol: c.tuple.protocol,
            saddr,
            sport,
            daddr,
            dport,
        })
    }

    /// The connection of a packet going `side` of family `af` and `protocol` from
    /// `saddr:sport` to `daddr:dport`: [`Side::In`] for packets from clients, [`Side::Out`]
    /// for replies (`ip_vs_conn_in_get`, `ip_vs_conn_out_get`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lookup(
        &self,
        side: Side,
        af: u16,
        protocol: u8,
        saddr: &[u8; 16],
        sport: [u8; 2],
        daddr: &[u8; 16],
        dport: [u8; 2],
    ) -> Option<Arc<Conn>> {
        let bucket = self.bucket_of(Key {
            af,
            protocol,
            saddr,
            sport,
            daddr,
            dport,
        });
        self.find_in(bucket, |filed, c| {
            // Replies of other than NAT connections are looked for under `Side::In`.
            let filed_for = filed == side || (side == Side::Out && c.fwd() != CONN_F_MASQ);
            filed_for
                && !c.is_template()
                && c.tuple.af == af
                && c.tuple.protocol == protocol
                && c.ends(side) == (saddr, sport, daddr, dport)
        })
    }

    /// The valid template filed under `key` (`ip_vs_ct_in_get`).
    pub(crate) fn lookup_template(&self, key: &TemplateKey<'_>) -> Option<Arc<Conn>> {
        let bucket = match key.pe_data {
            Some(data) => self.bucket_of_pe_data(data),
            None => self.bucket_of(Key {
                af: key.af,
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
                && !c.invalid.load(Ordering::Relaxed)
                && t.af == key.af
                && t.protocol == key.protocol
                && (t.caddr, t.cport, t.vaddr, t.vport) == (key.caddr, [0; 2], key.vaddr, key.vport)
                && c.pe_data() == key.pe_data
        })
    }

    /// The first live connection in `bucket` that `matches` (given the side it is filed under
    /// there).
    fn find_in(&self, bucket: usize, matches: impl Fn(Side, &Conn) -> bool) -> Option<Arc<Conn>> {
        let guard = rcu::read_lock();
        let chain = self.buckets.get(bucket)?.get(&guard)?;
        chain
            .0
            .iter()
            .find(|e| !e.conn.dead.load(Ordering::Relaxed) && matches(e.side, &e.conn))
            .map(|e| e.conn.clone())
    }

    /// Replaces bucket `b`'s chain with `edit` applied to a copy of it.
    fn rewrite(
        &self,
        b: usize,
        flags: Flags,
        edit: impl FnOnce(&mut KVec<Entry>) -> Result,
    ) -> Result {
        let _lock = self.locks[b % LOCKS].lock();
        let guard = rcu::read_lock();
        let old = self.buckets[b].get(&guard).map_or(&[][..], |c| &c.0[..]);
        let mut new = KVec::with_capacity(old.len() + 1, flags)?;
        for e in old {
            new.push(
                Entry {
                    side: e.side,
                    conn: e.conn.clone(),
                },
                flags,
            )?;
        }
        edit(&mut new)?;
        let chain = (!new.is_empty()).then_some(Chain(new));
        self.buckets[b].replace(chain, flags)
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
            af: key.af,
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
        if self.count.fetch_add(1, Ordering::Relaxed) >= conn_max {
            self.count.fetch_sub(1, Ordering::Relaxed);
            return Err(ENOMEM);
        }
        let mut flags = dest.conn_flags() | extra_flags;
        // Only UDP connections can be one-packet; a template must outlive its packet.
        if tuple.protocol != PROTO_UDP || flags & CONN_F_TEMPLATE != 0 {
            flags &= !CONN_F_ONE_PACKET;
        }
        let conn = Arc::pin_init(
            pin_init!(Conn {
                tuple,
                dest,
                svc,
                // A new connection lives 3 s until its first state transition.
                expires: AtomicU64::new(jiffies().wrapping_add(3 * u64::from(HZ))),
                dead: AtomicBool::new(false),
                flags: AtomicU32::new(flags),
                timeout: AtomicU32::new(3 * HZ),
                control,
                controlled: AtomicI32::new(0),
                invalid: AtomicBool::new(false),
                pe_data,
                state <- new_spinlock_irq!(State {
                    state: 0,
                    hashed: true,
                }),
            }),
            GFP_ATOMIC,
        );
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                self.count.fetch_sub(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        if flags & CONN_F_TEMPLATE != 0 {
            conn.dest.template_bound();
        } else {
            conn.dest.conn_bound(flags & CONN_F_INACTIVE != 0);
        }
        if let Some(ct) = &conn.control {
            ct.controlled.fetch_add(1, Ordering::Relaxed);
        }
        // One-packet connections are never hashed: they die with their packet.
        if flags & CONN_F_ONE_PACKET == 0 {
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
            self.count.fetch_sub(1, Ordering::Relaxed);
            if let Some(ct) = &conn.control {
                let left = ct.controlled.fetch_sub(1, Ordering::Relaxed) - 1;
                let assured = ct.state.lock().state == persist::TEMPLATE_ASSURED;
                if forced && left == 0 && !(ct.is_template() && assured) {
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
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let now = jiffies();
        for b in 0..BUCKETS {
            let mut doomed = KVec::<Arc<Conn>>::new();
            {
                let guard = rcu::read_lock();
                let Some(chain) = self.buckets[b].get(&guard) else {
                    continue;
                };
                for e in &chain.0 {
                    let due = e.conn.expires.load(Ordering::Relaxed) <= now;
                    if (due || e.conn.dead.load(Ordering::Relaxed))
                        && doomed.push(e.conn.clone(), GFP_ATOMIC).is_err()
                    {
                        break;
                    }
                }
            }
            for conn in doomed {
                // A template whose connections are still there lives on (`expire_later`).
                if conn.controlled.load(Ordering::Relaxed) > 0 && !conn.dead.load(Ordering::Relaxed)
                {
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
        for b in &self.buckets {
            if let Some(chain) = b.get(&guard) {
                for e in chain.0.iter().filter(|e| e.side == Side::In) {
                    if !e.conn.dead.load(Ordering::Relaxed) {
                        f(&e.conn)?;
                    }
                }
            }
        }
        Ok(())
    }
}
