// SPDX-License-Identifier: GPL-2.0

//! `dh`, destination hashing: a connection goes to the server a 256-bucket table assigns to
//! its destination address (for cache farms: one server per origin). The table and the hash
//! are C's, so a C director and this one send the same destination to the same server.

use super::{hash_32, Candidate, Flow, Scheduler};

/// `IP_VS_DH_TAB_BITS`.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;

/// The bucket table: a server index per bucket.
pub(crate) struct DestinationHashing {
    buckets: [Option<u16>; TAB_SIZE],
}

impl Default for DestinationHashing {
    fn default() -> Self {
        Self {
            buckets: [None; TAB_SIZE],
        }
    }
}

impl DestinationHashing {
    /// `ip_vs_dh_reassign`: the servers take the buckets in turn, in list order.
    fn reassign<C: Candidate>(&mut self, dests: &[C]) {
        let n = dests.len().min(usize::from(u16::MAX));
        for (i, b) in self.buckets.iter_mut().enumerate() {
            *b = (n > 0).then(|| (i % n) as u16);
        }
    }
}

impl Scheduler for DestinationHashing {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let hash = hash_32(flow.fold(&flow.daddr), TAB_BITS) as usize;
        let i = usize::from(self.buckets[hash]?);
        let d = dests.get(i)?;
        (d.weight() > 0 && !d.overloaded()).then_some(i)
    }

    fn dests_changed<C: Candidate>(&mut self, dests: &[C]) {
        self.reassign(dests);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{flow4, D};
    use super::*;

    #[test]
    fn same_bucket_as_c() {
        // hash_32(0x0a000001, 8) = (0x0a000001 * 0x61c88647 mod 2^32) >> 24 = 0x27.
        assert_eq!(hash_32(0x0a00_0001, 8), 0x27);
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1)];
        let mut dh = DestinationHashing::default();
        dh.dest_added(&dests);
        // Bucket 0x27 = 39 goes to server 39 % 3 = 0.
        let f = flow4([192, 168, 0, 9], 1234, [10, 0, 0, 1], 0);
        assert_eq!(dh.schedule(&dests, &f), Some(0));
        // The same destination from elsewhere: the same server.
        let f = flow4([192, 168, 7, 7], 999, [10, 0, 0, 1], 0);
        assert_eq!(dh.schedule(&dests, &f), Some(0));
        // Its server quiesced: no server (no fallback in dh).
        let quiet = [D::new(1, 0), D::new(2, 1), D::new(3, 1)];
        dh.dest_updated(&quiet);
        assert_eq!(dh.schedule(&quiet, &f), None);
        assert_eq!(
            DestinationHashing::default().schedule(&[] as &[D], &f),
            None
        );
    }
}
