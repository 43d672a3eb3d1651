// SPDX-License-Identifier: GPL-2.0

//! Never queue (`nq`): the first idle server (no active connections) in list order, otherwise
//! the shortest expected delay as `sed` computes it.

use super::{
    least::{Least, PerWeight},
    sed::expected,
    Candidate,
};

/// Stateless.
#[derive(Default)]
pub(crate) struct NeverQueue;

impl NeverQueue {
    /// C's loop, as written: the pick when the tournament could not be built, and what the
    /// host tests check the tournament against.
    pub(crate) fn c_loop<C: Candidate>(dests: &[C]) -> Option<usize> {
        let mut least: Option<(usize, i64)> = None;
        for (i, d) in dests.iter().enumerate() {
            if d.overloaded() || d.weight() == 0 {
                continue;
            }
            let doh = expected(d);
            if d.active_conns() == 0 {
                return Some(i);
            }
            let better = match least {
                None => true,
                Some((l, loh)) => loh * i64::from(d.weight()) > doh * i64::from(dests[l].weight()),
            };
            if better {
                least = Some((i, doh));
            }
        }
        least.map(|(i, _)| i)
    }
}

/// What nq compares of a server: an idle one beats any busy one (C returns the first idle
/// server it meets), busy ones compare by expected delay per weight.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Queue {
    /// No active connection.
    Idle,
    /// Active connections: the expected delay of one more, per weight.
    Busy(PerWeight),
}

impl Least for NeverQueue {
    fn scan<C: Candidate>(dests: &[C]) -> Option<usize> {
        Self::c_loop(dests)
    }

    type Key = Queue;

    fn key(d: &impl Candidate) -> Option<Queue> {
        if d.overloaded() || d.weight() == 0 {
            return None;
        }
        Some(if d.active_conns() == 0 {
            Queue::Idle
        } else {
            Queue::Busy(PerWeight::new(expected(d), d.weight()))
        })
    }

    fn replaces(later: &Queue, earlier: &Queue) -> bool {
        match (later, earlier) {
            (_, Queue::Idle) => false,
            (Queue::Idle, Queue::Busy(_)) => true,
            (Queue::Busy(l), Queue::Busy(e)) => l.less(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::D;
    use super::*;

    #[test]
    fn idle_first_then_shortest_delay() {
        let mut dests = [D::new(1, 1), D::new(2, 4), D::new(3, 0)];
        dests[0].active = 1;
        // The second is idle: taken although the first comes first.
        assert_eq!(NeverQueue::c_loop(&dests), Some(1));
        dests[1].active = 5;
        // 2/1 against 6/4: the second.
        assert_eq!(NeverQueue::c_loop(&dests), Some(1));
        dests[1].active = 8;
        // 2/1 against 9/4: the first.
        assert_eq!(NeverQueue::c_loop(&dests), Some(0));
        dests[0].overloaded = true;
        dests[1].overloaded = true;
        assert_eq!(NeverQueue::c_loop(&dests), None);
    }
}
