// SPDX-License-Identifier: GPL-2.0

//! The cache lblc and lblcr keep per service: for each destination address a client asked
//! for, what the scheduler chose for it, with the time it was last used.
//!
//! Layout and expiry are C's (`ip_vs_lblc.c`, `ip_vs_lblcr.c`): 1024 buckets picked by
//! `hash_32` of the folded address, at most `16 * 1024 * 3 / 2` entries, and a collection every
//! minute that removes entries idle for 6 minutes while there are more than `16 * 1024`, and
//! every 30th time those unused for the expiration time (24 hours). Which entries go when the table
//! is full depends on the bucket order, so that order is C's too.
//!
//! A server is remembered by address and port rather than by its place in the list (places
//! move as servers come and go). C holds a reference to the server instead, which keeps a
//! removed server in its trash, so that one added again is the same server: remembering the
//! address gives the same answer.

use super::{fold, hash_32, Candidate, Growable, Lender};
use crate::{addr::Addr, uapi::Af};

/// `IP_VS_LBLC_TAB_BITS` (and LBLCR's), the default `CONFIG_IP_VS_LBLC_TAB_BITS`.
const TAB_BITS: u32 = 10;
const TAB_SIZE: usize = 1 << TAB_BITS;
/// `tbl->max_size`: above it, idle entries are collected.
const MAX_SIZE: usize = TAB_SIZE * 16;
/// No entry (end of a chain).
const NIL: u32 = u32::MAX;
/// Seconds after which an idle entry may be collected when the table is over size
/// (`ENTRY_TIMEOUT`).
const ENTRY_TIMEOUT_SECS: u64 = 6 * 60;
/// The default `lblc_expiration`/`lblcr_expiration` in seconds (`DEFAULT_EXPIRATION`).
pub(crate) const EXPIRATION_SECS: u64 = 24 * 60 * 60;
/// Every this many collections, a full expiration check (`COUNT_FOR_FULL_EXPIRATION`).
const COUNT_FOR_FULL_EXPIRATION: u32 = 30;

/// A real server remembered by address and port, with where it last was in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestRef {
    addr: Addr,
    port: [u8; 2],
    /// The server's index when it was remembered: checked first when looking it up.
    hint: u32,
}

impl DestRef {
    /// The server at `i` of `dests`.
    pub(crate) fn of<C: Candidate>(dests: &[C], i: usize) -> Self {
        Self {
            addr: dests[i].addr(),
            port: dests[i].port(),
            hint: i as u32,
        }
    }

    /// Whether both name the same server.
    pub(crate) fn same_server(&self, other: &Self) -> bool {
        self.addr == other.addr && self.port == other.port
    }

    /// Where the server is in `dests` now; `None` if it is no longer there (C: the server is
    /// not `IP_VS_DEST_CF_AVAILABLE`).
    pub(crate) fn find<C: Candidate>(&self, dests: &[C]) -> Option<usize> {
        let is = |d: &C| d.addr() == self.addr && d.port() == self.port;
        match dests.get(self.hint as usize) {
            Some(d) if is(d) => Some(self.hint as usize),
            _ => dests.iter().position(is),
        }
    }
}

/// One cached destination address.
pub(crate) struct Entry<E> {
    addr: Addr,
    /// The next entry of the same bucket, or [`NIL`].
    next: u32,
    /// When a connection for this address was last scheduled, in jiffies.
    lastuse: u64,
    /// What the scheduler remembers.
    pub(crate) value: E,
}

/// The cache.
///
/// # Invariants
///
/// `heads` is empty (nothing cached yet) or has [`TAB_SIZE`] entries; every entry of `entries`
/// is on exactly one chain, that of the bucket its address hashes to, and chains hold only
/// indices into `entries`.
pub(crate) struct LocalityCache<L: Lender, E> {
    heads: L::Vec<u32>,
    entries: L::Vec<Entry<E>>,
    /// The service's address family.
    af: Af,
    /// Bucket the last collection stopped at (`tbl->rover`).
    rover: usize,
    /// Collections since the last full check (`tbl->counter`).
    counter: u32,
}

impl<L: Lender, E> LocalityCache<L, E> {
    /// An empty cache for a service of family `af`.
    pub(crate) fn new(af: Af) -> Self {
        Self {
            heads: Default::default(),
            entries: Default::default(),
            af,
            rover: 0,
            counter: 1,
        }
    }

    fn bucket(&self, addr: &Addr) -> usize {
        hash_32(fold(self.af, addr), TAB_BITS) as usize
    }

    /// Index of the entry for `addr`.
    fn position(&self, addr: &Addr) -> Option<usize> {
        let mut i = *self.heads.get(self.bucket(addr))?;
        while i != NIL {
            let e = &self.entries[i as usize];
            if e.addr == *addr {
                return Some(i as usize);
            }
            i = e.next;
        }
        None
    }

    /// The entry for `addr`, marked used at `now`.
    pub(crate) fn get(&mut self, addr: &Addr, now: u64) -> Option<&mut Entry<E>> {
        let i = self.position(addr)?;
        let e = &mut self.entries[i];
        e.lastuse = now;
        Some(e)
    }

    /// Caches `value` for `addr` (not cached yet) at `now`. Nothing is cached when the table
    /// is full or memory is short, as in C: the scheduler's choice still stands.
    pub(crate) fn insert(&mut self, addr: &Addr, value: E, now: u64) {
        if self.entries.len() >= MAX_SIZE * 3 / 2 {
            return;
        }
        if self.heads.is_empty() {
            for _ in 0..TAB_SIZE {
                if !self.heads.push(NIL) {
                    self.heads = Default::default();
                    return;
                }
            }
        }
        let b = self.bucket(addr);
        let i = self.entries.len() as u32;
        let entry = Entry {
            addr: *addr,
            next: self.heads[b],
            lastuse: now,
            value,
        };
        if self.entries.push(entry) {
            self.heads[b] = i;
        }
    }

    /// Removes entry `i`: unlinks it, then moves the last entry into its place.
    fn remove(&mut self, i: usize) {
        let b = self.bucket(&self.entries[i].addr);
        self.relink(b, i as u32, self.entries[i].next);
        let last = self.entries.len() - 1;
        if i != last {
            let moved_bucket = self.bucket(&self.entries[last].addr);
            self.relink(moved_bucket, last as u32, i as u32);
            self.entries.swap(i, last);
        }
        self.entries.pop();
    }

    /// Makes what points at entry `from` in bucket `b`'s chain point at `to`.
    fn relink(&mut self, b: usize, from: u32, to: u32) {
        if self.heads[b] == from {
            self.heads[b] = to;
            return;
        }
        let mut i = self.heads[b];
        while i != NIL {
            let e = &mut self.entries[i as usize];
            if e.next == from {
                e.next = to;
                return;
            }
            i = e.next;
        }
    }

    /// Removes the entries of bucket `b` last used at or before `before`; returns how many.
    fn collect_bucket(&mut self, b: usize, before: u64) -> usize {
        let mut removed = 0;
        let mut i = self.heads[b];
        while i != NIL {
            let e = &self.entries[i as usize];
            let next = e.next;
            // `time_before(now, lastuse + timeout)` keeps the entry (jiffies wrap).
            if (before.wrapping_sub(e.lastuse) as i64) >= 0 {
                // The last entry may move into slot `i`: it is then visited from there if it
                // is on this chain after `i`, since `next` is re-read below.
                let moved = self.entries.len() as u32 - 1;
                self.remove(i as usize);
                removed += 1;
                i = if next == moved { i } else { next };
            } else {
                i = next;
            }
        }
        removed
    }

    /// The periodic collection (`ip_vs_lblc_check_expire`), every
    /// [`super::COLLECT_PERIOD_SECS`]:
    /// `now` in jiffies of `hz` per second.
    pub(crate) fn collect(&mut self, now: u64, hz: u32) {
        if self.heads.is_empty() {
            return;
        }
        let hz = u64::from(hz);
        if self.counter % COUNT_FOR_FULL_EXPIRATION == 0 {
            let before = now.wrapping_sub(EXPIRATION_SECS * hz);
            for k in 1..=TAB_SIZE {
                self.collect_bucket((self.rover + k) % TAB_SIZE, before);
            }
            self.counter = 1;
            return;
        }
        if self.entries.len() <= MAX_SIZE {
            self.counter += 1;
            return;
        }
        let mut goal = ((self.entries.len() - MAX_SIZE) * 4 / 3).min(MAX_SIZE / 2) as isize;
        let before = now.wrapping_sub(ENTRY_TIMEOUT_SECS * hz);
        for _ in 0..TAB_SIZE {
            self.rover = (self.rover + 1) % TAB_SIZE;
            goal -= self.collect_bucket(self.rover, before) as isize;
            if goal <= 0 {
                break;
            }
        }
    }

    /// How many addresses are cached.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// C's `is_overloaded`: the server has more active connections than its weight while some
/// server has fewer than half its weight.
pub(crate) fn is_overloaded<C: Candidate>(d: &C, dests: &[C]) -> bool {
    d.active_conns() > d.weight()
        && dests
            .iter()
            .any(|x| x.active_conns().wrapping_mul(2) < x.weight())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{HostLender, D};
    use super::*;

    fn addr(i: u32) -> Addr {
        Addr::v4(i.to_be_bytes())
    }

    #[test]
    fn insert_get_and_collect() {
        let mut c = LocalityCache::<HostLender, u32>::new(Af::Inet);
        // Many addresses in few buckets exercise chains and moves.
        for i in 0..3000 {
            c.insert(&addr(i), i, u64::from(i));
        }
        assert_eq!(c.len(), 3000);
        for i in 0..3000 {
            assert_eq!(c.get(&addr(i), 5000).map(|e| e.value), Some(i));
        }
        // Below the size limit only the full check every 30th run removes anything, and only
        // what has not been used for the expiration time: the first is the 30th run.
        let hz = 100;
        let later = 5000 + EXPIRATION_SECS * u64::from(hz);
        c.get(&addr(7), later);
        for _ in 0..29 {
            c.collect(later, hz);
            assert_eq!(c.len(), 3000);
        }
        c.collect(later, hz);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(&addr(7), later).map(|e| e.value), Some(7));
        assert!(c.get(&addr(8), later).is_none());
    }

    #[test]
    fn full_table_takes_no_more() {
        let mut c = LocalityCache::<HostLender, ()>::new(Af::Inet);
        for i in 0..(MAX_SIZE * 3 / 2 + 10) as u32 {
            c.insert(&addr(i), (), 0);
        }
        assert_eq!(c.len(), MAX_SIZE * 3 / 2);
        // Over the size, idle entries go, at most half the size per collection.
        c.collect(ENTRY_TIMEOUT_SECS * 100, 100);
        // (whole buckets at a time, so a few more than the goal).
        assert!(
            (MAX_SIZE * 3 / 2 - MAX_SIZE / 2 - 64..=MAX_SIZE * 3 / 2 - MAX_SIZE / 2)
                .contains(&c.len())
        );
        // What was collected is gone and what stays is still found: lookups find exactly as
        // many addresses as the cache holds.
        let found = (0..(MAX_SIZE * 3 / 2) as u32)
            .filter(|&i| c.get(&addr(i), 0).is_some())
            .count();
        assert_eq!(found, c.len());
    }

    #[test]
    fn remembered_servers_follow_the_list() {
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        let r = DestRef::of(&dests, 1);
        assert_eq!(r.find(&dests), Some(1));
        let moved = [D::new(4, 1), D::new(1, 1), D::new(3, 1), D::new(2, 1)];
        assert_eq!(r.find(&moved), Some(3));
        assert_eq!(r.find(&dests[..1]), None);
    }
}
