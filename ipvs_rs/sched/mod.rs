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

mod lc;
mod rr;
mod wlc;
mod wrr;

use lc::LeastConnection;
use rr::RoundRobin;
use wlc::WeightedLeastConnection;
use wrr::WeightedRoundRobin;

/// What a scheduler knows of a real server.
pub(crate) trait Candidate {
    /// Weight; 0 quiesces the server.
    fn weight(&self) -> i32;
    /// Whether the server has reached its upper connection threshold.
    fn overloaded(&self) -> bool;
    /// Active connections.
    fn active_conns(&self) -> i32;
    /// All connections (active and inactive).
    fn total_conns(&self) -> i32;
}

/// C's estimate of a server's load (`ip_vs_dest_conn_overhead`): an active connection costs
/// 256 times an inactive one.
fn overhead(d: &impl Candidate) -> i32 {
    (d.active_conns() << 8).wrapping_add(d.total_conns())
}

/// A scheduling algorithm with its per-service state.
pub(crate) trait Scheduler {
    /// Picks the server for a new connection: an index into `dests`, or `None` when no server
    /// is available.
    fn schedule<C: Candidate>(&mut self, dests: &[C]) -> Option<usize>;
    /// A server was added (at the head of the list, index 0); `dests` is the new list.
    /// Stateless algorithms ignore it.
    fn dest_added<C: Candidate>(&mut self, _dests: &[C]) {}
    /// A server's settings changed.
    fn dest_updated<C: Candidate>(&mut self, _dests: &[C]) {}
    /// The server at index `removed` was taken out of the list; `dests` is the new list.
    fn dest_removed<C: Candidate>(&mut self, _dests: &[C], _removed: usize) {}
}

/// The algorithm a service is bound to, with its state.
pub(crate) enum Algorithm {
    /// No scheduler (`none`): new connections find no server.
    None,
    /// `rr`.
    Rr(RoundRobin),
    /// `wrr`.
    Wrr(WeightedRoundRobin),
    /// `lc`.
    Lc(LeastConnection),
    /// `wlc`.
    Wlc(WeightedLeastConnection),
    /// A scheduler C has that ipvs_rs only knows by name so far: it picks no server.
    NotYet,
}

/// Runs `$call` on the scheduler inside an [`Algorithm`] (`$none` without one): the trait's
/// methods are generic, so they are dispatched by `match` rather than through `dyn`.
macro_rules! each_algorithm {
    ($a:expr, $s:ident => $call:expr, $none:expr) => {
        match $a {
            Algorithm::None | Algorithm::NotYet => $none,
            Algorithm::Rr($s) => $call,
            Algorithm::Wrr($s) => $call,
            Algorithm::Lc($s) => $call,
            Algorithm::Wlc($s) => $call,
        }
    };
}

impl Algorithm {
    /// The algorithm called `name` (`None` for no scheduler), set up for the servers `dests`.
    pub(crate) fn new<C: Candidate>(name: Option<&str>, dests: &[C]) -> Self {
        let mut a = match name {
            None => Self::None,
            Some("rr") => Self::Rr(RoundRobin::default()),
            Some("wrr") => Self::Wrr(WeightedRoundRobin::default()),
            Some("lc") => Self::Lc(LeastConnection),
            Some("wlc") => Self::Wlc(WeightedLeastConnection),
            Some(_) => Self::NotYet,
        };
        a.dest_updated(dests);
        a
    }

    /// See [`Scheduler::schedule`].
    pub(crate) fn schedule<C: Candidate>(&mut self, dests: &[C]) -> Option<usize> {
        each_algorithm!(self, s => s.schedule(dests), None)
    }

    /// See [`Scheduler::dest_added`].
    pub(crate) fn dest_added<C: Candidate>(&mut self, dests: &[C]) {
        each_algorithm!(self, s => s.dest_added(dests), ())
    }

    /// See [`Scheduler::dest_updated`].
    pub(crate) fn dest_updated<C: Candidate>(&mut self, dests: &[C]) {
        each_algorithm!(self, s => s.dest_updated(dests), ())
    }

    /// See [`Scheduler::dest_removed`].
    pub(crate) fn dest_removed<C: Candidate>(&mut self, dests: &[C], removed: usize) {
        each_algorithm!(self, s => s.dest_removed(dests, removed), ())
    }
}

/// Scheduler names the C module provides (one `ip_vs_<name>` module each).
const NAMES: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

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
pub(crate) fn lookup_pe(name: &[u8]) -> Result<&'static str, ()> {
    PE_NAMES
        .iter()
        .find(|n| n.as_bytes() == name)
        .copied()
        .ok_or(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A server for scheduler tests.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct D {
        pub(crate) key: u64,
        pub(crate) weight: i32,
        pub(crate) overloaded: bool,
        pub(crate) active: i32,
        pub(crate) total: i32,
    }

    impl D {
        pub(crate) fn new(key: u64, weight: i32) -> Self {
            Self {
                key,
                weight,
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

    /// The keys of the next `n` picks, stopping at the first `None`.
    pub(crate) fn picks(s: &mut impl Scheduler, dests: &[D], n: usize) -> Vec<u64> {
        (0..n)
            .map_while(|_| s.schedule(dests).map(|i| dests[i].key))
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(lookup(b"none"), Ok(None));
        assert_eq!(lookup(b"wlc"), Ok(Some("wlc")));
        assert_eq!(lookup(b"bogus"), Err(()));
        assert_eq!(lookup(b""), Err(()));
        assert_eq!(lookup_pe(b"sip"), Ok("sip"));
        assert_eq!(lookup_pe(b"ftp"), Err(()));
    }
}
