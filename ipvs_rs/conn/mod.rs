// SPDX-License-Identifier: GPL-2.0

//! Connections and the per-namespace connection table.
//!
//! A connection is found by its client-side tuple (packets from the client) and, for NAT, by
//! its server-side tuple (replies). Readers look up without locks: each connection carries the
//! chain nodes it is filed by in the table's RCU hash chains (see [`RcuHashTable`]); inserting
//! or removing one touches no other, and the table resizes as C's does.
//!
//! [`RcuHashTable`]: crate::glue::hash_table::RcuHashTable
//!
//! Each connection has a timer, as in C, but packets do not move it: they move the connection's
//! expiry time, and the timer, when it fires, either ends the connection or waits for the new
//! time (see [`ExpiryTimer`]); only a time that comes sooner (a state with a shorter timeout)
//! moves the timer. A connection removed while a packet still uses it stays valid for that
//! packet (it is reference counted) but is no longer found.
//!
//! [`ExpiryTimer`]: crate::glue::expiry::ExpiryTimer

use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, SpinLockIrq,
    },
};

use crate::{
    addr::Addr,
    glue::{
        expiry::{impl_has_expiry_timer, Expire, ExpiryTimer},
        hash_table::{impl_has_links, Links},
        slab::{CacheArc, Slab, Slabbed},
        time::HZ,
        timer::jiffies,
    },
    pe::persist::{CONTROLLED_REARM_SECS, INVALID_DPORT},
    proto::{tcp::TcpState, ConnState, Direction, ProtoState, StateEvent, StateTimeout},
    svc::dest::{Dest, ServiceShared},
    uapi::Fwd,
};

pub(crate) mod reuse;
pub(crate) mod sizing;
pub(crate) mod table;
pub(crate) mod text;

/// A connection's tuple: protocol, client, virtual service and real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tuple {
    /// IP protocol.
    pub(crate) protocol: u8,
    /// Client address.
    pub(crate) caddr: Addr,
    /// Client port.
    pub(crate) cport: [u8; 2],
    /// Virtual address (of the client's family).
    pub(crate) vaddr: Addr,
    /// Virtual port.
    pub(crate) vport: [u8; 2],
    /// Real server address (of its own family: a tunnel may cross families).
    pub(crate) daddr: Addr,
    /// Real server port.
    pub(crate) dport: [u8; 2],
}

/// What changes in a connection as its packets pass, under its lock.
struct State {
    /// Its protocol's state, or a template's.
    state: ConnState,
    /// Still in the table: its server's connection counts include it.
    hashed: bool,
    /// No reply seen yet (`IP_VS_CONN_F_NOOUTPUT`).
    no_output: bool,
    /// Counted among its server's inactive connections (`IP_VS_CONN_F_INACTIVE`).
    inactive: bool,
    /// Jiffies the connection lives after its last packet (since its last state transition;
    /// one with a fixed state takes its protocol's timeout, not this).
    timeout: u32,
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
    expires: Atomic<u64>,
    /// Set when it leaves the table: lookups skip it from then on.
    dead: Atomic<bool>,
    /// The forwarding method. This and the two kinds below are C's `IP_VS_CONN_F_*` bits
    /// that never change, so packets read them without the lock or an atomic load; the bits
    /// that do change are in [`State`].
    fwd: Fwd,
    /// A persistence template (`IP_VS_CONN_F_TEMPLATE`).
    template: bool,
    /// Dies after its one packet (`IP_VS_CONN_F_ONE_PACKET`).
    one_packet: bool,
    /// The state of a connection whose protocol has only one ([`FIXED`],
    /// UDP): its packets take no lock.
    ///
    /// [`FIXED`]: crate::proto::TransportProtocol::FIXED
    fixed_state: Option<ProtoState>,
    /// The persistence template the connection was made by (`cp->control`).
    control: Option<ConnRef>,
    /// For a template: how many connections it made are still there (`n_control`).
    controlled: Atomic<i32>,
    /// For a template: invalidated because its server went (C sets its dport to 0xffff).
    invalid: Atomic<bool>,
    /// For a template of a service with a persistence engine: what the engine read from the
    /// packet that made it (`pe_data`), which it is filed and found by. Boxed: most
    /// connections have none, and a pointer is what they pay for it.
    pe_data: Option<KBox<KVec<u8>>>,
    /// Where the table files it (by its two tuples for NAT).
    #[pin]
    links: Links<2>,
    /// The table it is in, which its timer takes it out of.
    table: Arc<table::ConnTable>,
    /// Ends it when its time is up (armed once it is in the table).
    #[pin]
    timer: ExpiryTimer,
    #[pin]
    state: SpinLockIrq<State>,
}

impl_has_links!(Conn, links, 2);
impl_has_expiry_timer!(Conn, timer);

/// A reference to a connection (they live in their own slab cache, `ip_vs_conn`, as C's).
pub(crate) type ConnRef = CacheArc<Conn>;

/// The cache of connections, created when the module loads.
static CONN_SLAB: Slab = Slab::new();

impl Slabbed for Conn {
    fn slab() -> &'static Slab {
        &CONN_SLAB
    }
}

impl Expire for Conn {
    type Ref = ConnRef;

    /// The connection's time may be up (`ip_vs_conn_expire`): it goes, unless packets kept it
    /// since (then the timer waits for its new time), or it is a template whose connections are
    /// still there (it lives on for another minute, `expire_later`).
    fn expire(this: ConnRef) -> Option<u64> {
        if this.dead.load(Relaxed) {
            return None;
        }
        let expires = this.expires.load(Relaxed);
        if expires > jiffies() {
            return Some(expires);
        }
        if this.controlled.load(Relaxed) > 0 {
            this.set_timeout(CONTROLLED_REARM_SECS * HZ);
            return Some(this.keep_for(CONTROLLED_REARM_SECS * HZ));
        }
        this.table.unlink(&this, false);
        None
    }

    /// Out of the table (`ConnTable::unlink` disarms after marking it).
    fn gone(&self) -> bool {
        self.dead.load(Relaxed)
    }
}

impl Conn {
    /// Source and destination address and port of the connection's packets going `side`:
    /// replies of a NAT connection come from the real server, those of any other (when they
    /// pass this host at all) from the virtual address.
    fn ends(&self, side: Side) -> (&Addr, [u8; 2], &Addr, [u8; 2]) {
        let t = &self.tuple;
        match side {
            Side::In => (&t.caddr, t.cport, &t.vaddr, t.vport),
            Side::Out if self.fwd() == Fwd::Masq => (&t.daddr, t.dport, &t.caddr, t.cport),
            Side::Out => (&t.vaddr, t.vport, &t.caddr, t.cport),
        }
    }

    /// The sides the connection is filed under: both for a NAT connection, whose replies have
    /// other addresses; [`Side::In`] for any other, whose replies are the same tuple reversed
    /// and so are found in the same bucket (see [`ConnTable::bucket_of`]).
    fn filed_sides(&self) -> &'static [Side] {
        if self.fwd == Fwd::Masq && !self.template {
            &[Side::In, Side::Out]
        } else {
            &[Side::In]
        }
    }

    /// The forwarding method.
    pub(crate) fn fwd(&self) -> Fwd {
        self.fwd
    }

    /// The persistence engine's data of a template (the SIP Call-ID).
    pub(crate) fn pe_data(&self) -> Option<&[u8]> {
        self.pe_data.as_deref().map(|v| &v[..])
    }

    /// Whether this is a persistence template.
    pub(crate) fn is_template(&self) -> bool {
        self.template
    }

    /// The real server port, as listed (an invalidated template's is 0xffff, as in C).
    pub(crate) fn dport(&self) -> [u8; 2] {
        if self.invalid.load(Relaxed) {
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
            self.invalid.store(true, Relaxed);
        }
        usable
    }

    /// `ip_vs_control_assure_ct`: a connection the template made got going, so the template is
    /// kept when that connection is dropped early.
    fn assure_control(&self) {
        if let Some(ct) = &self.control {
            if ct.is_template() {
                ct.state.lock().state = ConnState::Template { assured: true };
            }
        }
    }

    /// Whether the connection dies after one packet (UDP one-packet scheduling).
    pub(crate) fn one_packet(&self) -> bool {
        self.one_packet
    }

    /// What [`reuse::Found::reuse`] decides about this connection by.
    pub(crate) fn found(&self) -> reuse::Found {
        let s = self.state.lock();
        reuse::Found {
            state: s.state,
            controlled: self.control.is_some(),
            no_output: s.no_output,
            dest_weight: self.dest.weight(),
            dest_available: self.dest.available(),
        }
    }

    /// Sets how long the connection lives after its last use, in jiffies.
    pub(crate) fn set_timeout(&self, timeout: u32) {
        self.state.lock().timeout = timeout;
    }

    /// Keeps the connection for its timeout from now (`ip_vs_conn_put`).
    pub(crate) fn touch(self: &ConnRef) {
        let timeout = self.state.lock().timeout;
        self.keep(timeout);
    }

    /// Sets the connection's expiry time `timeout` jiffies from now, and returns it.
    fn keep_for(&self, timeout: u32) -> u64 {
        let expires = jiffies().wrapping_add(timeout.into());
        self.expires.store(expires, Relaxed);
        expires
    }

    /// [`Self::keep_for`], moving the timer if that is sooner than it is set for. A connection
    /// that left the table keeps no timer.
    fn keep(self: &ConnRef, timeout: u32) {
        let expires = self.keep_for(timeout);
        // A one-packet connection is never in the table: it needs no timer.
        if self.one_packet {
            return;
        }
        // A dead connection keeps no timer (`gone`).
        ExpiryTimer::arm_sooner(self, expires);
    }

    /// A packet going `dir` passed: moves the protocol state (`ip_vs_set_state`), where `event`
    /// is what the packet's transport header says, if it could be read, and keeps the
    /// connection for its (new) timeout from now (`ip_vs_conn_put`). One lock for both, as
    /// every packet does both.
    pub(crate) fn packet_passed(
        self: &ConnRef,
        dir: Direction,
        event: Option<StateEvent>,
        timeouts: &ProtoTimeouts,
        secure_tcp: bool,
    ) {
        if let Some(state) = self.fixed_state {
            let mut no_output = false;
            let assures = event
                .and_then(|e| state.next(dir, e, &mut no_output, secure_tcp))
                .is_some_and(|(_, assures)| assures);
            self.keep(timeouts.jiffies(state.timeout()));
            if assures {
                self.assure_control();
            }
            return;
        }
        let mut s = self.state.lock();
        let assures = self.transition(&mut s, dir, event, timeouts, secure_tcp);
        let timeout = s.timeout;
        drop(s);
        self.keep(timeout);
        // The template's lock is of the same class: taken only once this one is released.
        if assures {
            self.assure_control();
        }
    }

    /// The transition of [`Conn::packet_passed`], under the lock; returns whether it assures
    /// the template that made the connection.
    fn transition(
        &self,
        s: &mut State,
        dir: Direction,
        event: Option<StateEvent>,
        timeouts: &ProtoTimeouts,
        secure_tcp: bool,
    ) -> bool {
        let (Some(event), ConnState::Proto(old)) = (event, s.state) else {
            return false;
        };
        let mut no_output = s.no_output;
        let Some((new, assures)) = old.next(dir, event, &mut no_output, secure_tcp) else {
            return false;
        };
        // Only a reply clears it.
        s.no_output &= no_output;
        if new != old && s.hashed {
            if !s.inactive && !new.is_active() {
                self.dest.conn_activity(false);
                s.inactive = true;
            } else if s.inactive && new.is_active() {
                self.dest.conn_activity(true);
                s.inactive = false;
            }
        }
        s.state = ConnState::Proto(new);
        s.timeout = timeouts.jiffies(new.timeout());
        assures
    }

    /// Takes the connection out of service: lookups stop finding it and its server's counts
    /// drop it. Returns `false` if that already happened.
    fn kill(&self) -> bool {
        let mut s = self.state.lock();
        if !s.hashed {
            return false;
        }
        s.hashed = false;
        self.dead.store(true, Relaxed);
        if self.template {
            self.dest.template_unbound();
        } else {
            self.dest.conn_unbound(s.inactive);
        }
        true
    }

    /// What `/proc/net/ip_vs_conn` shows that may change: state name, seconds left.
    pub(crate) fn listing(&self, now: u64) -> (&'static str, u32) {
        let state = self.state.lock().state.name();
        let left = self.expires.load(Relaxed).saturating_sub(now);
        (state, (left / u64::from(HZ)) as u32)
    }
}

/// The connection timeouts of a namespace, in jiffies: C's per-protocol tables, of which user
/// space sets three (`ipvsadm --set`).
pub(crate) struct ProtoTimeouts {
    tcp_established: Atomic<u64>,
    tcp_fin_wait: Atomic<u64>,
    udp: Atomic<u64>,
}

impl ProtoTimeouts {
    /// C's defaults.
    pub(crate) fn new() -> Self {
        let j = |s: u32| Atomic::new(u64::from(s) * u64::from(HZ));
        Self {
            tcp_established: j(TcpState::Established.default_timeout()),
            tcp_fin_wait: j(TcpState::FinWait.default_timeout()),
            udp: j(300),
        }
    }

    /// Sets the three user-visible timeouts (seconds).
    pub(crate) fn set(&self, t: &crate::proto::timeouts::Timeouts) {
        let j = |s: u32| u64::from(s) * u64::from(HZ);
        self.tcp_established.store(j(t.tcp), Relaxed);
        self.tcp_fin_wait.store(j(t.tcp_fin), Relaxed);
        self.udp.store(j(t.udp), Relaxed);
    }

    /// A state's timeout in jiffies.
    #[inline]
    fn jiffies(&self, t: StateTimeout) -> u32 {
        match t {
            StateTimeout::Seconds(s) => s * HZ,
            StateTimeout::TcpEstablished => self.tcp_established.load(Relaxed) as u32,
            StateTimeout::TcpFinWait => self.tcp_fin_wait.load(Relaxed) as u32,
            StateTimeout::Udp => self.udp.load(Relaxed) as u32,
        }
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
