// SPDX-License-Identifier: GPL-2.0

//! Picks of the least-connection family (lc, wlc, sed, nq, ovf) in O(log n) per change and
//! O(1) per pick, instead of C's scan of every server per new connection.
//!
//! C's loops walk the service's servers in list order and replace their pick only with a server
//! that is strictly better, so they choose the first of the best servers. Each algorithm's
//! "better" is a strict weak order on what it reads of a server (its [`Least::Key`]), so the
//! first of the best of a list is the first of the best of its two halves' picks: a tournament
//! tree over the list, whose leaves are the servers and whose inner nodes hold the pick of
//! their range, gives C's choice at the root. A server's change replays the matches on its way
//! to the root; a change of the list rebuilds the tree.

use core::marker::PhantomData;

use super::{Candidate, Flow, Growable, Lender, Scheduler};

/// How one algorithm of the family compares servers.
pub(crate) trait Least {
    /// What the algorithm reads of a server.
    type Key: Copy;

    /// The key of `d`, or `None` for a server the algorithm never picks.
    fn key(d: &impl Candidate) -> Option<Self::Key>;

    /// Whether a later server with key `later` replaces an earlier pick with key `earlier`:
    /// strictly better, so ties keep the earlier server, as C's loops do. A strict weak order.
    fn replaces(later: &Self::Key, earlier: &Self::Key) -> bool;

    /// C's loop over `dests`: the pick without a tournament.
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize>;
}

/// A scheduler of the family: the tournament of rule `R` over the service's servers, its nodes
/// in arrays from `L`.
pub(crate) struct LeastOf<R: Least, L: Lender> {
    board: Tournament<R, L::Vec<Node<R::Key>>>,
}

impl<R: Least, L: Lender> LeastOf<R, L> {
    /// For no servers yet.
    pub(crate) fn new() -> Self {
        Self {
            board: Tournament::new(Default::default()),
        }
    }
}

impl<R: Least, L: Lender> Scheduler for LeastOf<R, L> {
    fn schedule<C: Candidate>(&mut self, dests: &[C], _flow: &Flow) -> Option<usize> {
        if self.board.len() == dests.len() {
            self.board.pick()
        } else {
            // Memory was short when the list changed: C's way.
            R::scan(dests)
        }
    }

    fn dests_changed<C: Candidate>(&mut self, dests: &[C]) {
        self.board.rebuild(dests);
    }

    fn reads_counters(&self) -> bool {
        true
    }

    fn counters_changed<C: Candidate>(&mut self, dests: &[C], i: usize) {
        if let Some(d) = dests.get(i) {
            self.board.update(i, d);
        }
    }
}

/// A cost per unit of weight (weight above 0), compared as C does: cross-multiplied in 64 bits,
/// which is exact for C's `int` costs and weights.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PerWeight {
    cost: i64,
    weight: i64,
}

impl PerWeight {
    /// `cost` per `weight`, for a server with a weight above 0.
    pub(crate) fn new(cost: i64, weight: i32) -> Self {
        Self {
            cost,
            weight: i64::from(weight),
        }
    }

    /// Whether this is strictly less than `other` (C: `loh * dw > doh * lw`, this being `d`).
    pub(crate) fn less(&self, other: &Self) -> bool {
        other.cost * self.weight > self.cost * other.weight
    }
}

/// A node of a tournament: the pick of its range, if any server there qualifies.
pub(crate) type Node<K> = Option<Pick<K>>;

/// The pick of a range of the list: its index and key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pick<K> {
    index: u32,
    key: K,
}

/// The tournament over a service's servers for algorithm `R`, its nodes in `V` (lent by the
/// caller, see [`super::Lender`]).
///
/// # Invariants
///
/// `nodes` has `2 * width` entries, `width` a power of two not below `len` (or 0 for an empty
/// list, with no nodes): entry `width + i` is server `i`'s pick (`None` past `len` or for a
/// server `R` never picks), and each entry `k` in `1..width` is the better of entries `2k` and
/// `2k + 1`, the earlier on ties. Entry 0 is unused.
pub(crate) struct Tournament<R: Least, V> {
    nodes: V,
    width: usize,
    len: usize,
    _rule: PhantomData<R>,
}

impl<R: Least, V: Growable<Node<R::Key>>> Tournament<R, V> {
    /// An empty tournament keeping its nodes in `nodes`.
    pub(crate) fn new(mut nodes: V) -> Self {
        while nodes.pop().is_some() {}
        // INVARIANT: no servers, no nodes.
        Self {
            nodes,
            width: 0,
            len: 0,
            _rule: PhantomData,
        }
    }

    /// Sets the tournament up for the list `dests` (after servers were added or removed);
    /// `false` if memory is short, and then the tournament is empty.
    pub(crate) fn rebuild(&mut self, dests: &[impl Candidate]) -> bool {
        let width = dests.len().next_power_of_two();
        let size = if dests.is_empty() { 0 } else { 2 * width };
        while self.nodes.len() > size {
            self.nodes.pop();
        }
        while self.nodes.len() < size {
            if !self.nodes.push(None) {
                // INVARIANT: an empty tournament has no nodes.
                while self.nodes.pop().is_some() {}
                self.width = 0;
                self.len = 0;
                return false;
            }
        }
        self.width = if dests.is_empty() { 0 } else { width };
        self.len = dests.len();
        for i in 0..self.width {
            self.nodes[width + i] = dests.get(i).and_then(|d| leaf::<R>(i, d));
        }
        for k in (1..self.width).rev() {
            self.nodes[k] = better::<R>(self.nodes[2 * k], self.nodes[2 * k + 1]);
        }
        true
    }

    /// Server `i` of the list changed (its counters, weight or overload): replays its matches.
    /// A server past the list (the tournament was not rebuilt, for want of memory) is ignored.
    pub(crate) fn update(&mut self, i: usize, d: &impl Candidate) {
        if i >= self.len {
            return;
        }
        let mut k = self.width + i;
        self.nodes[k] = leaf::<R>(i, d);
        while k > 1 {
            k /= 2;
            self.nodes[k] = better::<R>(self.nodes[2 * k], self.nodes[2 * k + 1]);
        }
    }

    /// C's pick for the list as last told: an index into it, or `None` if no server qualifies.
    pub(crate) fn pick(&self) -> Option<usize> {
        // Entry 1 is the root (for a list of one, the leaf itself).
        let root = if self.width == 0 { None } else { self.nodes[1] };
        root.map(|p| p.index as usize)
    }

    /// How many servers the tournament is over.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Server `i`'s own pick.
fn leaf<R: Least>(i: usize, d: &impl Candidate) -> Option<Pick<R::Key>> {
    R::key(d).map(|key| Pick {
        index: i as u32,
        key,
    })
}

/// The better of an earlier and a later range's picks; the earlier on ties.
fn better<R: Least>(
    earlier: Option<Pick<R::Key>>,
    later: Option<Pick<R::Key>>,
) -> Option<Pick<R::Key>> {
    match (earlier, later) {
        (Some(e), Some(l)) if R::replaces(&l.key, &e.key) => Some(l),
        (Some(e), _) => Some(e),
        (None, l) => l,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        lc::LeastConnection,
        nq::NeverQueue,
        ovf::WeightedOverflow,
        sed::ShortestExpectedDelay,
        tests::{HostLender, ANY, D},
        wlc::WeightedLeastConnection,
    };
    use super::*;

    /// xorshift64*: reproducible random inputs.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A random server: small numbers, so that ties are frequent, or now and then large ones.
    fn random_dest(rng: &mut Rng, key: u64) -> D {
        let big = rng.below(10) == 0;
        let scale = if big { 1 << 20 } else { 6 };
        let mut d = D::new(key, rng.below(if big { 65_536 } else { 5 }) as i32);
        d.overloaded = rng.below(8) == 0;
        d.active = rng.below(scale) as i32;
        d.total = d.active + rng.below(scale) as i32;
        d
    }

    /// Checks `R`'s tournament against C's loop ([`Least::scan`]) over random lists and random
    /// changes.
    fn agrees<R: Least>(seed: u64) {
        let mut rng = Rng(seed);
        for _ in 0..200 {
            let n = rng.below(40) as usize;
            let mut dests: Vec<D> = (0..n as u64).map(|k| random_dest(&mut rng, k)).collect();
            let mut t = Tournament::<R, Vec<_>>::new(Vec::new());
            assert!(t.rebuild(&dests));
            for _ in 0..100 {
                assert_eq!(t.pick(), R::scan(&dests), "{dests:?}");
                match rng.below(20) {
                    // A server added at the head of the list, as C adds them.
                    0 => {
                        let key = 1000 + rng.below(1000);
                        dests.insert(0, random_dest(&mut rng, key));
                        assert!(t.rebuild(&dests));
                    }
                    1 if !dests.is_empty() => {
                        dests.remove(rng.below(dests.len() as u64) as usize);
                        assert!(t.rebuild(&dests));
                    }
                    _ if !dests.is_empty() => {
                        let i = rng.below(dests.len() as u64) as usize;
                        let key = dests[i].key;
                        dests[i] = match rng.below(4) {
                            // A connection more or less, as most changes are.
                            0 => D {
                                active: dests[i].active + 1,
                                total: dests[i].total + 1,
                                ..dests[i]
                            },
                            1 => D {
                                active: (dests[i].active - 1).max(0),
                                ..dests[i]
                            },
                            2 => D {
                                total: dests[i].total + 1,
                                ..dests[i]
                            },
                            _ => random_dest(&mut rng, key),
                        };
                        t.update(i, &dests[i]);
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn lc_picks_as_c() {
        for seed in 1..=8 {
            agrees::<LeastConnection>(seed);
        }
    }

    #[test]
    fn wlc_picks_as_c() {
        for seed in 1..=8 {
            agrees::<WeightedLeastConnection>(seed);
        }
    }

    #[test]
    fn sed_picks_as_c() {
        for seed in 1..=8 {
            agrees::<ShortestExpectedDelay>(seed);
        }
    }

    #[test]
    fn nq_picks_as_c() {
        for seed in 1..=8 {
            agrees::<NeverQueue>(seed);
        }
    }

    #[test]
    fn ovf_picks_as_c() {
        for seed in 1..=8 {
            agrees::<WeightedOverflow>(seed);
        }
    }

    /// Through the scheduler interface the kernel uses: told of changes, it picks as C.
    #[test]
    fn scheduler_follows_counters() {
        let mut wlc = LeastOf::<WeightedLeastConnection, HostLender>::new();
        assert!(wlc.reads_counters());
        let mut dests = [D::new(1, 1), D::new(2, 3), D::new(3, 2)];
        wlc.dests_changed(&dests);
        assert_eq!(wlc.schedule(&dests, &ANY), Some(0));
        dests[0].active = 1;
        wlc.counters_changed(&dests, 0);
        assert_eq!(wlc.schedule(&dests, &ANY), Some(1));
        // A list the tournament was not rebuilt for: C's loop.
        let longer = [D::new(4, 5), dests[0], dests[1], dests[2]];
        assert_eq!(wlc.schedule(&longer, &ANY), Some(0));
        // Out of the list: ignored.
        wlc.counters_changed(&dests, 7);
    }

    #[test]
    fn empty_and_single() {
        let mut t = Tournament::<LeastConnection, Vec<_>>::new(vec![None; 3]);
        assert!(t.rebuild(&[] as &[D]));
        assert_eq!(t.pick(), None);
        assert_eq!(t.len(), 0);
        let mut d = [D::new(1, 1)];
        assert!(t.rebuild(&d));
        assert_eq!(t.pick(), Some(0));
        d[0].weight = 0;
        t.update(0, &d[0]);
        assert_eq!(t.pick(), None);
        // Past the list: ignored.
        t.update(5, &d[0]);
    }
}
