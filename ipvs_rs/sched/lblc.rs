// SPDX-License-Identifier: GPL-2.0

//! `lblc`, locality-based least-connection (`ip_vs_lblc.c`): connections for the same
//! destination address go to the server chosen for it before, while that server is there, has a
//! weight and is not overloaded; otherwise to the least loaded server per weight (as wlc picks),
//! which is then remembered for the address. Meant for cache clusters, where the destination
//! address varies (firewall-mark and transparent-proxy services).

use super::{
    locality::{is_overloaded, DestRef, LocalityCache},
    overhead, weighted_least, Candidate, Flow, Lender, Scheduler,
};
use crate::uapi::Af;

/// The cache of destination address → server.
pub(crate) struct LocalityLeastConnection<L: Lender> {
    cache: LocalityCache<L, DestRef>,
}

impl<L: Lender> LocalityLeastConnection<L> {
    /// The scheduler of a service of family `af`.
    pub(crate) fn new(af: Af) -> Self {
        Self {
            cache: LocalityCache::new(af),
        }
    }
}

impl<L: Lender> Scheduler for LocalityLeastConnection<L> {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let cached = self.cache.get(&flow.daddr, flow.now);
        let hit = cached.as_ref().and_then(|e| e.value.find(dests));
        if let Some(i) = hit {
            let d = &dests[i];
            if d.weight() > 0 && !is_overloaded(d, dests) {
                return Some(i);
            }
        }
        let i = weighted_least(dests, |d| i64::from(overhead(d)))?;
        let chosen = DestRef::of(dests, i);
        match cached {
            // C replaces the entry: a fresh one, used now.
            Some(e) => e.value = chosen,
            None => self.cache.insert(&flow.daddr, chosen, flow.now),
        }
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

    fn to(daddr: u8) -> Flow {
        flow4([1, 1, 1, 1], 1000, [10, 0, 0, daddr], 0)
    }

    #[test]
    fn sticks_to_the_server_chosen_for_an_address() {
        let mut s = LocalityLeastConnection::<HostLender>::new(Af::Inet);
        let mut dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        // The first address takes the least loaded (the first on ties), and keeps it while
        // that server fills up to its weight.
        assert_eq!(s.schedule(&dests, &to(1)), Some(0));
        dests[0].active = 1;
        dests[0].total = 1;
        assert_eq!(s.schedule(&dests, &to(1)), Some(0));
        // A new address takes the least loaded.
        assert_eq!(s.schedule(&dests, &to(2)), Some(1));
        // Overloaded (more active than its weight while another has fewer than half its
        // weight): rescheduled and remembered anew.
        dests[0].active = 2;
        dests[0].total = 2;
        assert_eq!(s.schedule(&dests, &to(1)), Some(1));
        dests[0].active = 0;
        assert_eq!(s.schedule(&dests, &to(1)), Some(1));
    }

    #[test]
    fn a_server_gone_or_quiesced_is_replaced() {
        let mut s = LocalityLeastConnection::<HostLender>::new(Af::Inet);
        let mut dests = [D::new(1, 1), D::new(2, 1)];
        assert_eq!(s.schedule(&dests, &to(1)), Some(0));
        dests[0].weight = 0;
        assert_eq!(s.schedule(&dests, &to(1)), Some(1));
        // Server 2 removed and server 1 weighted again: the entry's server is not there, so
        // server 1 is remembered.
        let only = [D::new(1, 1)];
        assert_eq!(s.schedule(&only, &to(1)), Some(0));
        // Server 2 added again in front: server 1 is found at its new place.
        let back = [D::new(2, 1), D::new(1, 1)];
        assert_eq!(s.schedule(&back, &to(1)), Some(1));
    }

    #[test]
    fn nothing_without_a_weighted_server() {
        let mut s = LocalityLeastConnection::<HostLender>::new(Af::Inet);
        assert_eq!(s.schedule(&[D::new(1, 0)], &to(1)), None);
        assert_eq!(s.schedule::<D>(&[], &to(1)), None);
    }
}
