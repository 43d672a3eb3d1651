// SPDX-License-Identifier: GPL-2.0

//! Schedulers: how a virtual service picks a real server for a new connection.
//!
//! The control plane binds services to schedulers by name, as C does. Each algorithm lives in
//! its own file behind the [`Scheduler`] trait and sees the service's real servers through
//! [`Candidate`], in the service's list order (newest first, as C keeps them), so that the same
//! sequence of events picks the same servers as C. Algorithms that keep a place in the list
//! (C keeps a list pointer) keep an index, which the change hooks move along with the list, so
//! that picking needs no search. The algorithms not written yet are known by
//! name only, so that services can be configured exactly as with the C module.
//!
//! This crate cannot allocate, so schedulers whose state is too large to keep inline (mh's
//! lookup table) or grows (the lblc and lblcr caches) keep it in arrays the caller lends:
//! [`Algorithm`] is generic over a [`Lender`].

use core::ops::DerefMut;

use crate::{addr::Addr, error::Errno, uapi::Af};

mod dh;
mod fo;
mod lblc;
mod lblcr;
mod lc;
mod least;
mod locality;
mod mh;
mod nq;
mod ovf;
mod rr;
mod sed;
mod sh;
mod twos;
mod wlc;
mod wrr;

use dh::DestinationHashing;
use fo::WeightedFailover;
use lblc::LocalityLeastConnection;
use lblcr::LocalityLeastConnectionReplicated;
use lc::LeastConnection;
use least::LeastOf;
use mh::MaglevHashing;
use nq::NeverQueue;
use ovf::WeightedOverflow;
use rr::RoundRobin;
use sed::ShortestExpectedDelay;
use sh::SourceHashing;
use twos::WeightedRandomTwos;
use wlc::WeightedLeastConnection;
use wrr::WeightedRoundRobin;

/// What a scheduler knows of a real server.
pub(crate) trait Candidate {
    /// Weight; 0 quiesces the server.
    fn weight(&self) -> i32;
    /// The last non-zero weight (a quiesced server keeps its place by it).
    fn last_weight(&self) -> i32;
    /// Address.
    fn addr(&self) -> Addr;
    /// Port, network byte order.
    fn port(&self) -> [u8; 2];
    /// Whether the server has reached its upper connection threshold.
    fn overloaded(&self) -> bool;
    /// Active connections.
    fn active_conns(&self) -> i32;
    /// All connections (active and inactive).
    fn total_conns(&self) -> i32;
}

/// What hashing schedulers read of the packet that opens a connection, with the service's
/// flags (some select hashing options).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flow {
    /// Address family of the service.
    pub(crate) af: Af,
    /// Source (client) address.
    pub(crate) saddr: Addr,
    /// Destination (virtual) address.
    pub(crate) daddr: Addr,
    /// Source port, network byte order.
    pub(crate) sport: [u8; 2],
    /// The service's `IP_VS_SVC_F_*` flags.
    pub(crate) svc_flags: u32,
    /// A uniformly random number below a non-zero bound (the kernel's
    /// `get_random_u32_below`), for randomised schedulers.
    pub(crate) random_below: fn(u32) -> u32,
    /// The time, in jiffies (caching schedulers date their entries).
    pub(crate) now: u64,
    /// Jiffies per second.
    pub(crate) hz: u32,
}

/// A growable array lent by the caller, since this crate cannot allocate: `KVec` in the
/// kernel, where pushing allocates atomically (schedulers run under a spinlock, also in
/// softirq), `Vec` in host tests.
pub(crate) trait Growable<E>: DerefMut<Target = [E]> + Default {
    /// Appends `e`; `false` (and `e` dropped) if memory is short.
    fn push(&mut self, e: E) -> bool;
    /// Removes the last element.
    fn pop(&mut self) -> Option<E>;
}

/// Where schedulers get their arrays.
pub(crate) trait Lender {
    /// An array of `E`.
    type Vec<E>: Growable<E>;
}

impl Flow {
    /// An address of this flow's family folded as [`fold`] does.
    fn fold(&self, addr: &Addr) -> u32 {
        fold(self.af, addr)
    }
}

/// An address folded to 32 bits as C's hashing schedulers do for a service of family `af`
/// (an IPv6 address's four words XORed), in host order. The service's family decides, also
/// for a real server of the other one, as in C, which hashes the `union nf_inet_addr`.
pub(crate) fn fold(af: Af, addr: &Addr) -> u32 {
    let addr = addr.inet();
    let word = |i: usize| u32::from_be_bytes([addr[i], addr[i + 1], addr[i + 2], addr[i + 3]]);
    if af == Af::Inet6 {
        word(0) ^ word(4) ^ word(8) ^ word(12)
    } else {
        word(0)
    }
}

/// The kernel's `hash_32`: the top `bits` of the product with the golden ratio.
pub(crate) fn hash_32(value: u32, bits: u32) -> u32 {
    const GOLDEN_RATIO_32: u32 = 0x61C8_8647;
    value.wrapping_mul(GOLDEN_RATIO_32) >> (32 - bits)
}

/// The loop C's wlc and sed share: the first server with a weight that is not overloaded,
/// replaced by each later one whose `cost` per weight is strictly lower (so ties go to the
/// earlier server, as in C). Costs are compared cross-multiplied by weight, in 64 bits.
fn weighted_least<C: Candidate>(dests: &[C], cost: impl Fn(&C) -> i64) -> Option<usize> {
    let first = dests
        .iter()
        .position(|d| !d.overloaded() && d.weight() > 0)?;
    let (mut least, mut loh) = (first, cost(&dests[first]));
    for (i, d) in dests.iter().enumerate().skip(first + 1) {
        if d.overloaded() {
            continue;
        }
        let doh = cost(d);
        if loh * i64::from(d.weight()) > doh * i64::from(dests[least].weight()) {
            least = i;
            loh = doh;
        }
    }
    Some(least)
}

/// C's estimate of a server's load (`ip_vs_dest_conn_overhead`): an active connection costs
/// 256 times an inactive one.
fn overhead(d: &impl Candidate) -> i32 {
    (d.active_conns() << 8).wrapping_add(d.total_conns())
}

/// A scheduling algorithm with its per-service state.
pub(crate) trait Scheduler {
    /// Picks the server for a new connection of `flow`: an index into `dests`, or `None` when
    /// no server is available.
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize>;
    /// The server list or a server's settings changed; `dests` is the new list. What the three
    /// hooks below do unless an algorithm needs to know which change it was: algorithms that
    /// rebuild their state from the whole list implement only this, stateless ones nothing.
    fn dests_changed<C: Candidate>(&mut self, _dests: &[C]) {}
    /// A server was added (at the head of the list, index 0); `dests` is the new list.
    fn dest_added<C: Candidate>(&mut self, dests: &[C]) {
        self.dests_changed(dests);
    }
    /// A server's settings changed.
    fn dest_updated<C: Candidate>(&mut self, dests: &[C]) {
        self.dests_changed(dests);
    }
    /// Periodic upkeep, every [`COLLECT_PERIOD_SECS`] seconds: `now` in jiffies of `hz` per
    /// second.
    fn collect(&mut self, _now: u64, _hz: u32) {}
    /// The server at index `removed` was taken out of the list; `dests` is the new list.
    fn dest_removed<C: Candidate>(&mut self, dests: &[C], _removed: usize) {
        self.dests_changed(dests);
    }
    /// Whether the algorithm follows the servers' connection counters between picks (through
    /// [`Scheduler::counters_changed`]), rather than reading them when it picks.
    fn reads_counters(&self) -> bool {
        false
    }
    /// The connection counters or overload mark of server `i` of `dests` may have changed.
    fn counters_changed<C: Candidate>(&mut self, _dests: &[C], _i: usize) {}
}

/// Seconds between runs of [`Scheduler::collect`] (C's lblc/lblcr `CHECK_EXPIRE_INTERVAL`).
pub(crate) const COLLECT_PERIOD_SECS: u32 = 60;

/// The schedulers, listed once: `Variant(Type) "name" = constructor`, where a constructor may
/// use the service's address family and the lent storage under the names given first (macro
/// hygiene wants them named at the call). Makes [`Algorithm`], its dispatch by `match` (the
/// trait's methods are generic, so not through `dyn`), [`Algorithm::new`] and the name list.
macro_rules! schedulers {
    ($af:ident, $storage:ident; $($variant:ident($ty:ty) $name:literal = $new:expr,)*) => {
        /// The algorithm a service is bound to, with its state, keeping large tables in arrays
        /// from `L`.
        pub(crate) enum Algorithm<L: Lender> {
            /// No scheduler (`none`): new connections find no server.
            None,
            $(#[doc = concat!("`", $name, "`.")] $variant($ty),)*
        }

        /// Runs `$call` on the scheduler inside an [`Algorithm`] (`$none` without one).
        macro_rules! each_algorithm {
            ($a:expr, $s:ident => $call:expr, $none_expr:expr) => {
                match $a {
                    Algorithm::None => $none_expr,
                    $(Algorithm::$variant($s) => $call,)*
                }
            };
        }

        impl<L: Lender> Algorithm<L> {
            /// The algorithm called `name` (`None` for no scheduler) of a service of family
            /// `af`, set up for the servers `dests`, keeping large tables in `storage` (of
            /// [`Algorithm::storage_len`] entries).
            pub(crate) fn new<C: Candidate>(
                name: Option<&str>,
                $af: Af,
                dests: &[C],
                $storage: L::Vec<u16>,
            ) -> Self {
                let mut a = match name {
                    None => Self::None,
                    $(Some($name) => Self::$variant($new),)*
                    // `lookup` only gives the names above.
                    Some(_) => Self::None,
                };
                a.dest_updated(dests);
                a
            }
        }

        /// Scheduler names the C module provides (one `ip_vs_<name>` module each).
        const NAMES: &[&str] = &[$($name),*];
    };
}

schedulers! { af, storage;
    Rr(RoundRobin) "rr" = RoundRobin::default(),
    Wrr(WeightedRoundRobin) "wrr" = WeightedRoundRobin::default(),
    Lc(LeastOf<LeastConnection, L>) "lc" = LeastOf::new(),
    Wlc(LeastOf<WeightedLeastConnection, L>) "wlc" = LeastOf::new(),
    Lblc(LocalityLeastConnection<L>) "lblc" = LocalityLeastConnection::new(af),
    Lblcr(LocalityLeastConnectionReplicated<L>) "lblcr" =
        LocalityLeastConnectionReplicated::new(af),
    Dh(DestinationHashing) "dh" = DestinationHashing::default(),
    Sh(SourceHashing) "sh" = SourceHashing::default(),
    Sed(LeastOf<ShortestExpectedDelay, L>) "sed" = LeastOf::new(),
    Nq(LeastOf<NeverQueue, L>) "nq" = LeastOf::new(),
    Fo(WeightedFailover) "fo" = WeightedFailover,
    Ovf(LeastOf<WeightedOverflow, L>) "ovf" = LeastOf::new(),
    Mh(MaglevHashing<L::Vec<u16>>) "mh" = MaglevHashing::new(storage, af),
    Twos(WeightedRandomTwos) "twos" = WeightedRandomTwos,
}

impl<L: Lender> Algorithm<L> {
    /// How many entries of lent storage the algorithm called `name` needs (0: it needs none,
    /// and [`Algorithm::new`] drops what it is given).
    pub(crate) fn storage_len(name: Option<&str>) -> usize {
        match name {
            Some("mh") => mh::STORAGE_LEN,
            _ => 0,
        }
    }

    /// See [`Scheduler::schedule`].
    pub(crate) fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        each_algorithm!(self, s => s.schedule(dests, flow), None)
    }

    /// See [`Scheduler::dest_added`].
    pub(crate) fn dest_added<C: Candidate>(&mut self, dests: &[C]) {
        each_algorithm!(self, s => s.dest_added(dests), ())
    }

    /// See [`Scheduler::dest_updated`].
    pub(crate) fn dest_updated<C: Candidate>(&mut self, dests: &[C]) {
        each_algorithm!(self, s => s.dest_updated(dests), ())
    }

    /// See [`Scheduler::collect`].
    pub(crate) fn collect(&mut self, now: u64, hz: u32) {
        each_algorithm!(self, s => s.collect(now, hz), ())
    }

    /// See [`Scheduler::dest_removed`].
    pub(crate) fn dest_removed<C: Candidate>(&mut self, dests: &[C], removed: usize) {
        each_algorithm!(self, s => s.dest_removed(dests, removed), ())
    }

    /// See [`Scheduler::reads_counters`].
    pub(crate) fn reads_counters(&self) -> bool {
        each_algorithm!(self, s => s.reads_counters(), false)
    }

    /// See [`Scheduler::counters_changed`].
    pub(crate) fn counters_changed<C: Candidate>(&mut self, dests: &[C], i: usize) {
        each_algorithm!(self, s => s.counters_changed(dests, i), ())
    }
}

/// The name services show when they have no scheduler.
pub(crate) const NONE: &str = "none";

/// Looks a scheduler up by the name user space sent: `Ok(None)` for `none` (no scheduler),
/// `Err(())` if there is no such scheduler (C answers `ENOENT`).
pub(crate) fn lookup(name: &[u8]) -> Result<Option<&'static str>, ()> {
    if name == NONE.as_bytes() {
        return Ok(None);
    }
    NAMES
        .iter()
        .find(|n| n.as_bytes() == name)
        .map(|n| Some(*n))
        .ok_or(())
}

/// Persistence engines (`ip_vs_pe_<name>` modules in C).
const PE_NAMES: [&str; 1] = ["sip"];

/// Looks a persistence engine up by name; `Err(())` if unknown (`ENOENT`).
pub(crate) fn lookup_pe(name: &[u8]) -> Result<&'static str, Errno> {
    PE_NAMES
        .iter()
        .find(|n| n.as_bytes() == name)
        .copied()
        .ok_or(Errno::NoEnt)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A server for scheduler tests.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct D {
        pub(crate) key: u64,
        pub(crate) weight: i32,
        pub(crate) last_weight: i32,
        pub(crate) overloaded: bool,
        pub(crate) active: i32,
        pub(crate) total: i32,
    }

    impl D {
        pub(crate) fn new(key: u64, weight: i32) -> Self {
            Self {
                key,
                weight,
                last_weight: weight,
                overloaded: false,
                active: 0,
                total: 0,
            }
        }
    }

    impl Candidate for D {
        fn weight(&self) -> i32 {
            self.weight
        }
        fn last_weight(&self) -> i32 {
            self.last_weight
        }
        /// 10.0.0.`key`.
        fn addr(&self) -> Addr {
            Addr::v4([10, 0, 0, self.key as u8])
        }
        fn port(&self) -> [u8; 2] {
            80u16.to_be_bytes()
        }
        fn overloaded(&self) -> bool {
            self.overloaded
        }
        fn active_conns(&self) -> i32 {
            self.active
        }
        fn total_conns(&self) -> i32 {
            self.total
        }
    }

    /// A flow for schedulers that do not look at it.
    pub(crate) const ANY: Flow = Flow {
        af: Af::Inet,
        saddr: Addr::v4([0; 4]),
        daddr: Addr::v4([0; 4]),
        sport: [0; 2],
        svc_flags: 0,
        random_below: |_| 0,
        now: 0,
        hz: 100,
    };

    impl<E> Growable<E> for Vec<E> {
        fn push(&mut self, e: E) -> bool {
            Vec::push(self, e);
            true
        }
        fn pop(&mut self) -> Option<E> {
            Vec::pop(self)
        }
    }

    /// Arrays for host tests.
    pub(crate) struct HostLender;

    impl Lender for HostLender {
        type Vec<E> = Vec<E>;
    }

    /// An IPv4 flow from `saddr:sport` to `daddr`.
    pub(crate) fn flow4(saddr: [u8; 4], sport: u16, daddr: [u8; 4], svc_flags: u32) -> Flow {
        Flow {
            saddr: Addr::v4(saddr),
            daddr: Addr::v4(daddr),
            sport: sport.to_be_bytes(),
            svc_flags,
            ..ANY
        }
    }

    /// The keys of the next `n` picks, stopping at the first `None`.
    pub(crate) fn picks(s: &mut impl Scheduler, dests: &[D], n: usize) -> Vec<u64> {
        (0..n)
            .map_while(|_| s.schedule(dests, &ANY).map(|i| dests[i].key))
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(lookup(b"none"), Ok(None));
        assert_eq!(lookup(b"wlc"), Ok(Some("wlc")));
        assert_eq!(lookup(b"bogus"), Err(()));
        assert_eq!(lookup(b""), Err(()));
        assert_eq!(lookup_pe(b"sip"), Ok("sip"));
        assert_eq!(lookup_pe(b"ftp"), Err(Errno::NoEnt));
    }

    /// The scheduler called `name`, built as the control plane builds it, for `dests`.
    fn by_name(name: Option<&str>, dests: &[D]) -> Algorithm<HostLender> {
        let storage = vec![0; Algorithm::<HostLender>::storage_len(name)];
        Algorithm::new(name, Af::Inet, dests, storage)
    }

    /// The keys of the next `n` servers `a` picks.
    fn keys(a: &mut Algorithm<HostLender>, dests: &[D], n: usize) -> Vec<Option<u64>> {
        (0..n)
            .map(|_| a.schedule(dests, &ANY).map(|i| dests[i].key))
            .collect()
    }

    #[test]
    fn rr_by_name_takes_servers_in_turn() {
        // ip_vs_rr_schedule: the next server after the last one picked, in list order.
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        let mut rr = by_name(Some("rr"), &dests);
        assert_eq!(
            keys(&mut rr, &dests, 4),
            [Some(1), Some(2), Some(3), Some(1)]
        );
        // A new server goes to the head (list_add_rcu in __ip_vs_update_dest); the cursor
        // stays on server 1.
        let more = [D::new(9, 1), D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        rr.dest_added(&more);
        assert_eq!(keys(&mut rr, &more, 1), [Some(2)]);
        // ip_vs_rr_del_dest: a cursor on the removed server steps back to the one before.
        let fewer = [D::new(9, 1), D::new(1, 1), D::new(3, 1)];
        rr.dest_removed(&fewer, 2);
        assert_eq!(keys(&mut rr, &fewer, 2), [Some(3), Some(9)]);
    }

    #[test]
    fn least_family_follows_counters_others_read_them() {
        // lc, wlc, sed, nq and ovf keep a tournament that counter changes update (the kernel
        // calls `counters_changed` for each server whose counters moved); the others read the
        // counters when they pick.
        for &name in NAMES {
            let mut dests = [D::new(1, 1), D::new(2, 1)];
            let mut a = by_name(Some(name), &dests);
            let follows = ["lc", "wlc", "sed", "nq", "ovf"].contains(&name);
            assert_eq!(a.reads_counters(), follows, "{name}");
            if follows {
                assert_eq!(a.schedule(&dests, &ANY), Some(0), "{name}");
                dests[0].active = 2;
                a.counters_changed(&dests, 0);
                assert_eq!(a.schedule(&dests, &ANY), Some(1), "{name}");
            }
        }
        assert!(!by_name(None, &[]).reads_counters());
    }

    #[test]
    fn every_scheduler_picks_only_weighted_servers() {
        // NAMES are C's 14 scheduler modules, ip_vs_{rr,wrr,lc,wlc,lblc,lblcr,dh,sh,sed,nq,fo,
        // ovf,mh,twos}.c. Each skips servers of weight 0: rr, wlc, sed, lblc, lblcr and twos
        // take `weight > 0`; lc, nq and ovf skip `weight == 0`; fo needs `weight > hw` from 0;
        // wrr gives up on `mw == 0`; dh, sh and mh refuse `weight <= 0`.
        assert_eq!(NAMES.len(), 14);
        let quiet = [D::new(1, 0), D::new(2, 0)];
        for &name in NAMES {
            let mut a = by_name(Some(name), &quiet);
            assert_eq!(a.schedule(&quiet, &ANY), None, "{name}");
            // A weighted server added at the head (add_dest): the only one to pick.
            let added = [D::new(3, 1), D::new(1, 0), D::new(2, 0)];
            a.dest_added(&added);
            assert_eq!(a.schedule(&added, &ANY), Some(0), "{name}");
            // Quiesced (upd_dest with weight 0, its last weight kept): nothing again.
            let quiesced = [
                D {
                    weight: 0,
                    ..added[0]
                },
                added[1],
                added[2],
            ];
            a.dest_updated(&quiesced);
            assert_eq!(a.schedule(&quiesced, &ANY), None, "{name}");
            // Removed (del_dest), and the other two weighted: one of them.
            a.dest_removed(&quiet, 0);
            let weighted = [D::new(1, 1), D::new(2, 1)];
            a.dest_updated(&weighted);
            assert!(a.schedule(&weighted, &ANY).is_some(), "{name}");
        }
    }

    #[test]
    fn no_scheduler_or_an_unknown_name_picks_nothing() {
        // ip_vs_add_service: sched_name "none" binds no scheduler; for an unknown name
        // ip_vs_scheduler_get finds none (ENOENT), so no algorithm exists either.
        let dests = [D::new(1, 1)];
        for name in [None, Some("bogus")] {
            let mut a = by_name(name, &dests);
            assert!(matches!(a, Algorithm::None));
            assert_eq!(a.schedule(&dests, &ANY), None);
        }
    }

    #[test]
    fn only_mh_borrows_storage() {
        // ip_vs_mh.c: a lookup table of IP_VS_MH_TAB_SIZE = primes[12 - 8] = 4093 entries, and
        // per server (at most that many) a permutation offset and a skip.
        for &name in NAMES {
            let want = if name == "mh" { 3 * 4093 } else { 0 };
            assert_eq!(
                Algorithm::<HostLender>::storage_len(Some(name)),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn lblc_and_lblcr_forget_an_address_unused_for_24_hours() {
        // ip_vs_lblc.c/ip_vs_lblcr.c: the check runs every CHECK_EXPIRE_INTERVAL (60*HZ), and
        // every COUNT_FOR_FULL_EXPIRATION (30th) run drops the entries unused for
        // DEFAULT_EXPIRATION (24*60*60*HZ).
        assert_eq!(COLLECT_PERIOD_SECS, 60);
        let hz = 100;
        let minute = u64::from(COLLECT_PERIOD_SECS) * u64::from(hz);
        let to = |daddr: u8, minutes: u64| Flow {
            now: minutes * minute,
            ..flow4([1, 1, 1, 1], 1000, [10, 0, 0, daddr], 0)
        };
        for name in ["lblc", "lblcr"] {
            let mut dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
            let mut a = by_name(Some(name), &dests);
            // Address 1 at minute 0 and address 2 at minute 60 each get the least loaded.
            assert_eq!(a.schedule(&dests, &to(1, 0)), Some(0), "{name}");
            dests[0].active = 1;
            (1..=60).for_each(|k| a.collect(k * minute, hz));
            assert_eq!(a.schedule(&dests, &to(2, 60)), Some(1), "{name}");
            dests[1].active = 1;
            // The full check at 24 hours forgets address 1 only: it gets the least loaded
            // server now, while address 2 keeps its (busy but not overloaded) server.
            (61..=1440).for_each(|k| a.collect(k * minute, hz));
            assert_eq!(a.schedule(&dests, &to(1, 1440)), Some(2), "{name}");
            assert_eq!(a.schedule(&dests, &to(2, 1440)), Some(1), "{name}");
        }
    }
}
