// SPDX-License-Identifier: GPL-2.0

//! `mh`, Maglev hashing (Eisenbud et al., NSDI 2016): a 4093-entry lookup table in which
//! every server takes slots along its own permutation of the table, in turns weighted by its
//! last non-zero weight, so that adding or removing a server moves few clients. A connection
//! goes to the slot its source address (and port, with `mh-port`) hashes to; with
//! `mh-fallback` an unavailable server's clients rehash until an available one is found.
//!
//! Table size, fixed hash keys, permutation and fill order are C's, so a C director and this
//! one send a client to the same server and can share one ECMP pool.
//!
//! The table is too large for the scheduler state itself and this crate cannot allocate, so the
//! caller lends the storage ([`STORAGE_LEN`] entries): the lookup table, then each server's
//! permutation position and step, which C allocates for each refill.

use core::ops::DerefMut;

use super::{fold, Candidate, Flow, Scheduler};
use crate::{addr::Addr, uapi::Af};

/// `IP_VS_MH_TAB_SIZE` for the default `CONFIG_IP_VS_MH_TAB_INDEX` (12): the prime 4093.
const TAB_SIZE: usize = 4093;
/// `IP_VS_MH_TAB_BITS` for the same index: how many bits of weight/gcd a server's turns keep.
const TAB_BITS: u32 = 6;
/// Entries of the storage a service lends: lookup table, permutation positions, steps.
pub(crate) const STORAGE_LEN: usize = 3 * TAB_SIZE;
/// A lookup slot no server holds.
const EMPTY: u16 = u16::MAX;

/// `IP_VS_SVC_F_SCHED_MH_FALLBACK` (`IP_VS_SVC_F_SCHED1`).
const MH_FALLBACK: u32 = 0x0008;
/// `IP_VS_SVC_F_SCHED_MH_PORT` (`IP_VS_SVC_F_SCHED2`).
const MH_PORT: u32 = 0x0010;

/// C's fixed keys (`generate_hash_secret`): the first places clients and starts permutations,
/// the second gives the permutation steps.
const KEY1: [u64; 2] = [2_654_435_761, 2_654_435_761];
const KEY2: [u64; 2] = [2_654_446_892, 2_654_446_892];

/// One SipHash round.
fn sipround(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// The kernel's `hsiphash` of one `u32` on 64-bit machines, where it is SipHash-1-3 cut to 32
/// bits. The pure crate cannot call the kernel's, and the value is part of the ABI (it decides
/// which server a client gets), so it is written out here and checked against the kernel's own
/// test vector.
fn hsiphash_u32(value: u32, key: [u64; 2]) -> u32 {
    let mut v = [
        0x736f_6d65_7073_6575 ^ key[0],
        0x646f_7261_6e64_6f6d ^ key[1],
        0x6c79_6765_6e65_7261 ^ key[0],
        0x7465_6462_7974_6573 ^ key[1],
    ];
    // The four bytes as they lie in memory, read little-endian, with the length on top.
    let b = (4u64 << 56) | u64::from(u32::from_le_bytes(value.to_ne_bytes()));
    v[3] ^= b;
    sipround(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..3 {
        sipround(&mut v);
    }
    (v[0] ^ v[1] ^ v[2] ^ v[3]) as u32
}

/// `ip_vs_mh_hashkey`.
fn hashkey(af: Af, addr: &Addr, port: u16, key: [u64; 2], offset: u32) -> u32 {
    let v = offset
        .wrapping_add(u32::from(port))
        .wrapping_add(fold(af, addr));
    hsiphash_u32(v, key)
}

/// C's `is_unavailable`.
fn unavailable(d: &impl Candidate) -> bool {
    d.weight() <= 0 || d.overloaded()
}

/// Greatest common divisor.
fn gcd(mut a: i32, mut b: i32) -> i32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The lookup table in lent storage.
///
/// # Invariants
///
/// Once filled, `storage[..TAB_SIZE]` holds an index into the server list the table was last
/// filled from, or [`EMPTY`]; a storage shorter than [`STORAGE_LEN`] is never read and the
/// scheduler picks nothing.
pub(crate) struct MaglevHashing<T> {
    storage: T,
    /// The service's address family, which folds server addresses for hashing.
    af: Af,
}

impl<T: DerefMut<Target = [u16]>> MaglevHashing<T> {
    /// A scheduler for a service of family `af` keeping its table in `storage`
    /// ([`STORAGE_LEN`] entries).
    pub(crate) fn new(storage: T, af: Af) -> Self {
        Self { storage, af }
    }

    fn lookup(&self) -> Option<&[u16]> {
        self.storage.get(..TAB_SIZE)
    }

    /// The server in the slot `hash` picks, `None` for an empty slot.
    fn slot(&self, hash: u32) -> Option<usize> {
        let i = *self.lookup()?.get(hash as usize % TAB_SIZE)?;
        (i != EMPTY).then_some(usize::from(i))
    }

    /// `ip_vs_mh_reassign`: refills the table from `dests`. With no weighted server, or more
    /// servers than slots (where C refuses and keeps a table of servers we no longer index),
    /// the table is left empty.
    fn reassign<C: Candidate>(&mut self, dests: &[C]) {
        let af = self.af;
        let Some(storage) = self.storage.get_mut(..STORAGE_LEN) else {
            return;
        };
        let (lookup, rest) = storage.split_at_mut(TAB_SIZE);
        let (perm, skip) = rest.split_at_mut(TAB_SIZE);
        lookup.fill(EMPTY);
        if dests.len() > TAB_SIZE {
            return;
        }
        // `ip_vs_mh_gcd_weight` and `ip_vs_mh_shift_weight`, over last weights.
        let g = dests
            .iter()
            .map(|d| d.last_weight())
            .filter(|w| *w > 0)
            .fold(0, gcd);
        if g < 1 {
            return;
        }
        let max = dests.iter().map(|d| d.last_weight()).max().unwrap_or(0) / g;
        let rshift = (32 - max.leading_zeros()).saturating_sub(TAB_BITS);
        let turns = |d: &C| {
            let lw = d.last_weight();
            match (lw / g) >> rshift {
                0 => i32::from(lw != 0),
                t => t,
            }
        };
        // `ip_vs_mh_permutate`: each server starts at its own offset and steps by its own skip.
        for (i, d) in dests.iter().enumerate() {
            let port = u16::from_be_bytes(d.port());
            let addr = d.addr();
            perm[i] = (hashkey(af, &addr, port, KEY1, 0) % TAB_SIZE as u32) as u16;
            skip[i] = (hashkey(af, &addr, port, KEY2, 0) % (TAB_SIZE as u32 - 1) + 1) as u16;
        }
        // `ip_vs_mh_populate`: round after round, each server takes its turns, each turn the
        // next free slot along its permutation, until every slot is taken. The step is below
        // the prime table size, so a permutation reaches every slot.
        let mut filled = 0;
        loop {
            for (i, d) in dests.iter().enumerate() {
                for _ in 0..turns(d) {
                    let mut c = usize::from(perm[i]);
                    while lookup[c] != EMPTY {
                        c = (c + usize::from(skip[i])) % TAB_SIZE;
                    }
                    perm[i] = c as u16;
                    lookup[c] = i as u16;
                    filled += 1;
                    if filled == TAB_SIZE {
                        return;
                    }
                }
            }
        }
    }
}

impl<T: DerefMut<Target = [u16]>> Scheduler for MaglevHashing<T> {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let port = if flow.svc_flags & MH_PORT != 0 {
            u16::from_be_bytes(flow.sport)
        } else {
            0
        };
        let hash = |offset| hashkey(flow.af, &flow.saddr, port, KEY1, offset);
        let first = hash(0) % TAB_SIZE as u32;
        let i = self.slot(first)?;
        if !unavailable(dests.get(i)?) {
            return Some(i);
        }
        if flow.svc_flags & MH_FALLBACK == 0 {
            return None;
        }
        // `ip_vs_mh_get_fallback`: rehash with offsets from the first slot on.
        (0..TAB_SIZE as u32)
            .map(|offset| self.slot(hash((offset + first) % TAB_SIZE as u32)))
            .take_while(Option::is_some)
            .flatten()
            .find(|i| dests.get(*i).is_some_and(|d| !unavailable(d)))
    }

    fn dests_changed<C: Candidate>(&mut self, dests: &[C]) {
        self.reassign(dests);
    }
}

#[cfg(test)]
mod tests {
    use super::super::sh::tests::c_fixture;
    use super::super::tests::{flow4, ANY, D};
    use super::*;

    fn mh(dests: &[D]) -> MaglevHashing<Vec<u16>> {
        let mut s = MaglevHashing::new(vec![0; STORAGE_LEN], Af::Inet);
        s.dest_added(dests);
        s
    }

    fn counts(s: &MaglevHashing<Vec<u16>>, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for &i in s.lookup().unwrap() {
            c[usize::from(i)] += 1;
        }
        c
    }

    #[test]
    fn kernel_test_vector() {
        // lib/tests/siphash_kunit.c, 64-bit: hsiphash of bytes 00 01 02 03 under key
        // 00..0f is 0x88d38328.
        let key = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];
        let value = u32::from_ne_bytes([0, 1, 2, 3]);
        assert_eq!(hsiphash_u32(value, key), 0x88d3_8328);
    }

    #[test]
    fn slots_follow_weights() {
        let dests = [D::new(1, 1), D::new(2, 1), D::new(3, 2)];
        let s = mh(&dests);
        // Every slot is taken; turns 1:1:2, so the last server holds half the table.
        let c = counts(&s, 3);
        assert_eq!(c.iter().sum::<usize>(), TAB_SIZE);
        assert!(c[2] > 2000 && c[0] > 1000 && c[1] > 1000, "{c:?}");
    }

    #[test]
    fn few_clients_move_when_a_server_goes() {
        let four: Vec<D> = (1..=4).map(|k| D::new(k, 1)).collect();
        let before = mh(&four);
        let three = &four[1..];
        let after = mh(three);
        let moved = (0..TAB_SIZE)
            .filter(|&c| {
                let b = usize::from(before.lookup().unwrap()[c]);
                b != 0 && b - 1 != usize::from(after.lookup().unwrap()[c])
            })
            .count();
        // Maglev's promise: the slots of the servers that stay mostly stay theirs.
        assert!(moved < TAB_SIZE / 10, "{moved}");
    }

    #[test]
    fn quiesced_server_keeps_slots_and_fallback_rehashes() {
        let mut dests = [D::new(1, 1), D::new(2, 1)];
        let mut s = mh(&dests);
        let f = flow4([10, 0, 0, 9], 1234, [10, 0, 0, 1], 0);
        let i = s.schedule(&dests, &f).unwrap();
        // Quiesced (weight 0, last weight kept): the slot stays, the client gets none...
        dests[i].weight = 0;
        s.dest_updated(&dests);
        assert_eq!(usize::from(s.lookup().unwrap()[hash_slot(&f)]), i);
        assert_eq!(s.schedule(&dests, &f), None);
        // ...or with mh-fallback the other server.
        let fb = Flow {
            svc_flags: MH_FALLBACK,
            ..f
        };
        assert_eq!(s.schedule(&dests, &fb), Some(1 - i));
    }

    fn hash_slot(f: &Flow) -> usize {
        (hashkey(f.af, &f.saddr, 0, KEY1, 0) % TAB_SIZE as u32) as usize
    }

    /// Every flow of the fixture's mh blocks (tests/fixtures/sched-c.txt, recorded with the C
    /// module by tests/fixtures/record-sched.sh; its header says how to regenerate it) goes to
    /// the server C sent it to, or to none where C chose none: equal and unequal weights, a
    /// server added with weight 0, quiesced servers that keep their slots, weights that need
    /// the shift, a common divisor, other server ports, many servers, mh-port, mh-fallback,
    /// IPv4 and IPv6. The table is rebuilt at each step of the service's setup, as in C.
    #[test]
    fn same_servers_as_c() {
        let blocks = c_fixture("mh");
        assert!(
            blocks.len() >= 5,
            "mh blocks in sched-c.txt: {}",
            blocks.len()
        );
        let (mut flows, mut differ) = (0, Vec::new());
        for b in &blocks {
            let mut s = MaglevHashing::new(vec![0; STORAGE_LEN], b.af);
            let dests = b.replay(|list, added| {
                if added {
                    s.dest_added(list)
                } else {
                    s.dest_updated(list)
                }
            });
            let (n, d) = b.check(&dests, |f| s.schedule(&dests, f));
            assert!(n > 0, "no flows: {}", b.service);
            flows += n;
            differ.extend(d);
        }
        assert!(
            differ.is_empty(),
            "{} of {flows} flows differ from C:\n{}",
            differ.len(),
            differ.join("\n")
        );
    }

    #[test]
    fn no_weight_no_table() {
        let s = mh(&[D::new(1, 0)]);
        assert!(s.lookup().unwrap().iter().all(|&i| i == EMPTY));
        let mut short = MaglevHashing::new(vec![0; 10], Af::Inet);
        short.dest_added(&[D::new(1, 1)]);
        assert_eq!(short.schedule(&[D::new(1, 1)], &ANY), None);
    }
}
