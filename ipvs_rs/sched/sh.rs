// SPDX-License-Identifier: GPL-2.0

//! `sh`, source hashing: a connection goes to the server a 256-bucket table assigns to its
//! source address (and port, with `sh-port`), each server taking as many buckets in a row as
//! its weight. With `sh-fallback` an unavailable server's clients go to the next available
//! bucket's server. Table, hash and fallback walk are C's, so a C director and this one send a
//! client to the same server.

use super::{hash_32, Candidate, Flow, Scheduler};

/// `CONFIG_IP_VS_SH_TAB_BITS` of the kernels we build.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;
const TAB_MASK: u32 = TAB_SIZE as u32 - 1;

/// `IP_VS_SVC_F_SCHED_SH_FALLBACK` (`IP_VS_SVC_F_SCHED1`).
const SH_FALLBACK: u32 = 0x0008;
/// `IP_VS_SVC_F_SCHED_SH_PORT` (`IP_VS_SVC_F_SCHED2`).
const SH_PORT: u32 = 0x0010;

/// The bucket table: a server index per bucket.
pub(crate) struct SourceHashing {
    buckets: [Option<u16>; TAB_SIZE],
}

impl Default for SourceHashing {
    fn default() -> Self {
        Self {
            buckets: [None; TAB_SIZE],
        }
    }
}

/// `ip_vs_sh_hashkey`.
fn hashkey(addr: u32, port: u16, offset: u32) -> usize {
    (offset.wrapping_add(hash_32(u32::from(port).wrapping_add(addr), TAB_BITS)) & TAB_MASK) as usize
}

/// C's `is_unavailable`.
fn unavailable(d: &impl Candidate) -> bool {
    d.weight() <= 0 || d.overloaded()
}

impl SourceHashing {
    /// `ip_vs_sh_reassign`: the servers take the buckets in list order, each for as many
    /// buckets in a row as its weight (at least one), round and round.
    fn reassign<C: Candidate>(&mut self, dests: &[C]) {
        let n = dests.len().min(usize::from(u16::MAX));
        let (mut d, mut count) = (0usize, 0i32);
        for b in self.buckets.iter_mut() {
            if n == 0 {
                *b = None;
                continue;
            }
            *b = Some(d as u16);
            count += 1;
            if count >= dests[d].weight() {
                d = (d + 1) % n;
                count = 0;
            }
        }
    }

    /// `ip_vs_sh_get`.
    fn get<C: Candidate>(&self, dests: &[C], addr: u32, port: u16) -> Option<usize> {
        let i = usize::from(self.buckets[hashkey(addr, port, 0)]?);
        dests.get(i).filter(|d| !unavailable(*d)).map(|_| i)
    }

    /// `ip_vs_sh_get_fallback`: the bucket's server, or the first available one of the
    /// buckets C's walk visits next.
    fn get_fallback<C: Candidate>(&self, dests: &[C], addr: u32, port: u16) -> Option<usize> {
        let ihash = hashkey(addr, port, 0);
        let i = usize::from(self.buckets[ihash]?);
        if !unavailable(dests.get(i)?) {
            return Some(i);
        }
        for offset in 0..TAB_SIZE {
            let roffset = ((offset + ihash) % TAB_SIZE) as u32;
            let i = usize::from(self.buckets[hashkey(addr, port, roffset)]?);
            if !unavailable(dests.get(i)?) {
                return Some(i);
            }
        }
        None
    }
}

impl Scheduler for SourceHashing {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let addr = flow.fold(&flow.saddr);
        // TCP, UDP and SCTP keep the port in the same place; other protocols hash port 0.
        let port = if flow.svc_flags & SH_PORT != 0 {
            u16::from_be_bytes(flow.sport)
        } else {
            0
        };
        if flow.svc_flags & SH_FALLBACK != 0 {
            self.get_fallback(dests, addr, port)
        } else {
            self.get(dests, addr, port)
        }
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
    fn weights_fill_buckets_in_a_row() {
        let dests = [D::new(1, 2), D::new(2, 0), D::new(3, 1)];
        let mut sh = SourceHashing::default();
        sh.dest_added(&dests);
        let first: Vec<_> = sh.buckets[..8].iter().map(|b| b.unwrap()).collect();
        assert_eq!(first, [0, 0, 1, 2, 0, 0, 1, 2]);
    }

    #[test]
    fn same_bucket_as_c() {
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 1), D::new(4, 1)];
        let mut sh = SourceHashing::default();
        sh.dest_added(&dests);
        // hash_32(0x0a000002, 8) = (0x0a000002 * 0x61c88647 mod 2^32) >> 24 = 0x89: bucket
        // 137, server 137 % 4 = 1.
        let f = flow4([10, 0, 0, 2], 40000, [10, 0, 0, 1], 0);
        assert_eq!(sh.schedule(&dests, &f), Some(1));
        // With sh-port the source port counts: 0x0a000002 + 40000 hashes elsewhere.
        let port = flow4([10, 0, 0, 2], 40000, [10, 0, 0, 1], SH_PORT);
        let bucket = hashkey(0x0a00_0002 + 40000, 0, 0);
        assert_eq!(sh.schedule(&dests, &port), Some(bucket % 4));
        // Its server quiesced: none, or with sh-fallback the next bucket's server.
        let quiet = [D::new(1, 1), D::new(2, 0), D::new(3, 1), D::new(4, 1)];
        assert_eq!(sh.schedule(&quiet, &f), None);
        let fb = flow4([10, 0, 0, 2], 40000, [10, 0, 0, 1], SH_FALLBACK);
        // C's walk adds the offset to the hash twice: offset 0 is bucket 2 * 137 mod 256 = 18,
        // server 18 % 4 = 2.
        assert_eq!(sh.schedule(&quiet, &fb), Some(2));
    }
}
