// SPDX-License-Identifier: GPL-2.0

//! `lblcr`, locality-based least-connection with replication (`ip_vs_lblcr.c`): like lblc, but
//! a destination address maps to a set of servers. A connection goes to the least loaded server
//! of its address's set; when that one is overloaded, the least loaded server of the service
//! joins the set. A set that has not changed for the expiration time loses its most loaded
//! server, so that sets shrink again when the load goes.

use super::{
    locality::{is_overloaded, DestRef, LocalityCache, EXPIRATION_SECS},
    overhead, weighted_least, Candidate, Flow, Growable, Lender, Scheduler,
};
use crate::uapi::Af;

/// The servers of one destination address (`struct ip_vs_dest_set`).
pub(crate) struct DestSet<L: Lender> {
    /// Oldest first: C adds at the head of its list, so it walks them newest first.
    members: L::Vec<DestRef>,
    /// When a server last joined or left, in jiffies.
    lastmod: u64,
}

impl<L: Lender> DestSet<L> {
    /// The members that are still in `dests`, newest first: (place in the set, place in
    /// `dests`). C also reads the members it keeps from removed servers, whose state is gone
    /// here; a removed server could not be picked anyway, and it is never dropped as the
    /// most loaded.
    fn present<'a, C: Candidate>(
        &'a self,
        dests: &'a [C],
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.members
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(k, m)| Some((k, m.find(dests)?)))
    }

    /// `ip_vs_dest_set_min`: the member with the least load per weight, skipping overloaded
    /// ones; the first weighted one wins ties.
    fn least<C: Candidate>(&self, dests: &[C]) -> Option<usize> {
        let mut members = self.present(dests).map(|(_, i)| i);
        let first = members.find(|&i| !dests[i].overloaded() && dests[i].weight() > 0)?;
        let (mut least, mut loh) = (first, overhead(&dests[first]));
        for i in members {
            let d = &dests[i];
            if d.overloaded() {
                continue;
            }
            let doh = overhead(d);
            if i64::from(loh) * i64::from(d.weight())
                > i64::from(doh) * i64::from(dests[least].weight())
            {
                least = i;
                loh = doh;
            }
        }
        Some(least)
    }

    /// `ip_vs_dest_set_max`: the place in the set of the weighted member with the most load
    /// per weight; the first wins ties.
    fn most<C: Candidate>(&self, dests: &[C]) -> Option<usize> {
        let mut members = self.present(dests).filter(|&(_, i)| dests[i].weight() > 0);
        let (mut most, first) = members.next()?;
        let (mut mw, mut moh) = (dests[first].weight(), overhead(&dests[first]));
        for (k, i) in members {
            let (dw, doh) = (dests[i].weight(), overhead(&dests[i]));
            if i64::from(moh) * i64::from(dw) < i64::from(doh) * i64::from(mw) {
                (most, mw, moh) = (k, dw, doh);
            }
        }
        Some(most)
    }

    /// Adds `member` (unless it is in already) at `now`.
    fn insert(&mut self, member: DestRef, now: u64) {
        if self.members.iter().any(|m| m.same_server(&member)) {
            return;
        }
        if self.members.push(member) {
            self.lastmod = now;
        }
    }

    /// Removes the member at place `k` at `now`, keeping the others' order.
    fn erase(&mut self, k: usize, now: u64) {
        self.members[k..].rotate_left(1);
        self.members.pop();
        self.lastmod = now;
    }
}

/// The cache of destination address → server set.
pub(crate) struct LocalityLeastConnectionReplicated<L: Lender> {
    cache: LocalityCache<L, DestSet<L>>,
}

impl<L: Lender> LocalityLeastConnectionReplicated<L> {
    /// The scheduler of a service of family `af`.
    pub(crate) fn new(af: Af) -> Self {
        Self {
            cache: LocalityCache::new(af),
        }
    }
}

impl<L: Lender> Scheduler for LocalityLeastConnectionReplicated<L> {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let wlc = |dests: &[C]| weighted_least(dests, |d| i64::from(overhead(d)));
        let Some(entry) = self.cache.get(&flow.daddr, flow.now) else {
            let i = wlc(dests)?;
            let mut set = DestSet {
                members: Default::default(),
                lastmod: flow.now,
            };
            set.insert(DestRef::of(dests, i), flow.now);
            self.cache.insert(&flow.daddr, set, flow.now);
            return Some(i);
        };
        let set = &mut entry.value;
        let least = set.least(dests);
        let expiration = EXPIRATION_SECS * u64::from(flow.hz);
        // `time_after(now, lastmod + expiration)`, with jiffies wrapping.
        let stale = (set.lastmod.wrapping_add(expiration).wrapping_sub(flow.now) as i64) < 0;
        if set.members.len() > 1 && stale {
            if let Some(k) = set.most(dests) {
                set.erase(k, flow.now);
            }
        }
        if let Some(i) = least {
            if !is_overloaded(&dests[i], dests) {
                return Some(i);
            }
        }
        let i = wlc(dests)?;
        set.insert(DestRef::of(dests, i), flow.now);
        Some(i)
    }

    fn collect(&mut self, now: u64, hz: u32) {
        self.cache.collect(now, hz);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{flow4, HostLender, D};
    use super::*;

    fn to(daddr: u8, now: u64) -> Flow {
        Flow {
            now,
            ..flow4([1, 1, 1, 1], 1000, [10, 0, 0, daddr], 0)
        }
    }

    fn busy(d: &mut D, active: i32) {
        d.active = active;
        d.total = active;
    }

    #[test]
    fn the_set_grows_under_load_and_shrinks_when_stale() {
        let mut s = LocalityLeastConnectionReplicated::<HostLender>::new(Af::Inet);
        let mut dests = [D::new(1, 2), D::new(2, 2), D::new(3, 2)];
        assert_eq!(s.schedule(&dests, &to(1, 0)), Some(0));
        busy(&mut dests[0], 2);
        assert_eq!(s.schedule(&dests, &to(1, 1)), Some(0));
        // Server 1 overloaded while others are idle: server 2 joins the set and is the least
        // loaded member from then on.
        busy(&mut dests[0], 3);
        assert_eq!(s.schedule(&dests, &to(1, 2)), Some(1));
        busy(&mut dests[1], 1);
        assert_eq!(s.schedule(&dests, &to(1, 3)), Some(1));
        busy(&mut dests[1], 2);
        busy(&mut dests[0], 1);
        // Server 1 is less loaded again, and still in the set.
        assert_eq!(s.schedule(&dests, &to(1, 4)), Some(0));
        // After the expiration time the most loaded member (server 2) leaves; server 3 never
        // joined.
        let later = 2 + EXPIRATION_SECS * 100 + 1;
        assert_eq!(s.schedule(&dests, &to(1, later)), Some(0));
        busy(&mut dests[1], 0);
        assert_eq!(s.schedule(&dests, &to(1, later + 1)), Some(0));
    }

    #[test]
    fn sets_are_per_address_and_skip_gone_servers() {
        let mut s = LocalityLeastConnectionReplicated::<HostLender>::new(Af::Inet);
        let mut dests = [D::new(1, 1), D::new(2, 1)];
        assert_eq!(s.schedule(&dests, &to(1, 0)), Some(0));
        busy(&mut dests[0], 1);
        assert_eq!(s.schedule(&dests, &to(2, 0)), Some(1));
        // Server 1 removed: address 1's set has no server left, so the service's least loaded
        // joins it.
        let rest = [D::new(2, 1)];
        assert_eq!(s.schedule(&rest, &to(1, 0)), Some(0));
        assert_eq!(s.schedule(&[D::new(3, 0)], &to(1, 0)), None);
    }
}
