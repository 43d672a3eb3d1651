// SPDX-License-Identifier: GPL-2.0

//! The hash index the packet path finds virtual services by (C's `ip_vs_svc_table` and
//! `ip_vs_svc_fwm_table`): a new connection costs one short chain walk, however many services
//! there are. Also the hash of the real-server table (`rs_table.rs`).
//!
//! The index is built once per published service list and never changed, so it is two flat
//! arrays of positions in that list: the head of each bucket's chain, and each entry's next.
//! The keys are the administrator's, not the network's: an unkeyed hash is enough, a packet
//! only chooses which chain it walks.

use core::ops::DerefMut;

use crate::request::ServiceId;

/// No entry: the end of a chain.
const END: u32 = u32::MAX;

/// What a packet looks a service up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServiceKey {
    /// A firewall-mark service: family and mark.
    Mark { af: u16, mark: u32 },
    /// An address service: family, protocol, virtual address and port (network order).
    Addr {
        af: u16,
        protocol: u16,
        addr: [u8; 16],
        port: [u8; 2],
    },
}

impl ServiceKey {
    /// The key service `id` is found by.
    pub(crate) fn of(id: &ServiceId) -> Self {
        if id.fwmark != 0 {
            Self::Mark {
                af: id.af,
                mark: id.fwmark,
            }
        } else {
            Self::Addr {
                af: id.af,
                protocol: id.protocol,
                addr: id.addr,
                port: id.port,
            }
        }
    }

    /// A 32-bit hash, mixed so that its low bits depend on every input bit.
    fn hash(&self) -> u32 {
        let mut h = Mix::new();
        match *self {
            Self::Mark { af, mark } => {
                h.add(u32::from(af) | 1 << 16);
                h.add(mark);
            }
            Self::Addr {
                af,
                protocol,
                addr,
                port,
            } => {
                h.add(u32::from(af) | u32::from(protocol) << 16);
                for w in addr.chunks_exact(4) {
                    h.add(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
                }
                h.add(u32::from(u16::from_ne_bytes(port)));
            }
        }
        h.finish()
    }
}

/// The hash real servers are filed by in the real-server table (C's `ip_vs_rs_hashkey`, with
/// every bit of the address and port mixed in): family, address, and the port the table files
/// the server under.
pub(crate) fn real_server_hash(af: u16, addr: &[u8; 16], port: [u8; 2]) -> u32 {
    let mut h = Mix::new();
    h.add(u32::from(af) | u32::from(u16::from_ne_bytes(port)) << 16);
    for w in addr.chunks_exact(4) {
        h.add(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
    }
    h.finish()
}

/// A multiply-rotate mix of 32-bit words (the murmur3 round and finaliser).
struct Mix(u32);

impl Mix {
    fn new() -> Self {
        Self(0x9747_b28c)
    }

    fn add(&mut self, w: u32) {
        let k = w
            .wrapping_mul(0xcc9e_2d51)
            .rotate_left(15)
            .wrapping_mul(0x1b87_3593);
        self.0 = (self.0 ^ k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }

    fn finish(self) -> u32 {
        let mut h = self.0;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ h >> 16
    }
}

/// The number of buckets for `entries` services: a power of two, at least twice as many, so
/// that chains stay short.
pub(crate) fn buckets_for(entries: usize) -> usize {
    entries.saturating_mul(2).max(16).next_power_of_two()
}

/// An index of the services of one published list, by [`ServiceKey`].
///
/// # Invariants
///
/// `heads.len()` is a power of two; every position in `heads` and `next` is [`END`] or less
/// than `next.len()`, the number of services indexed; the chains have no cycles.
pub(crate) struct ServiceIndex<S> {
    heads: S,
    next: S,
}

impl<S: DerefMut<Target = [u32]>> ServiceIndex<S> {
    /// Indexes the services whose keys `keys` gives, in list order. `heads` has
    /// [`buckets_for`]`(n)` entries and `next` has `n`, for the `n` keys (what they hold does
    /// not matter); `None` if they do not.
    pub(crate) fn build(
        mut heads: S,
        mut next: S,
        keys: impl Iterator<Item = ServiceKey>,
    ) -> Option<Self> {
        if heads.len() != buckets_for(next.len()) || next.len() >= END as usize {
            return None;
        }
        heads.fill(END);
        let mask = heads.len() - 1;
        let mut n = 0;
        for (i, key) in keys.enumerate() {
            let slot = next.get_mut(i)?;
            let head = &mut heads[key.hash() as usize & mask];
            // Positions fit in u32: `next.len() < END`.
            *slot = *head;
            *head = i as u32;
            n += 1;
        }
        (n == next.len()).then_some(Self { heads, next })
    }

    /// The entry of `entries` (the list indexed, in the same order) with key `key`, given how
    /// to read an entry's key.
    pub(crate) fn find<'a, T>(
        &self,
        entries: &'a [T],
        key: &ServiceKey,
        key_of: impl Fn(&T) -> ServiceKey,
    ) -> Option<&'a T> {
        let mut i = self.heads[key.hash() as usize & (self.heads.len() - 1)];
        while i != END {
            let entry = entries.get(i as usize)?;
            if key_of(entry) == *key {
                return Some(entry);
            }
            i = self.next[i as usize];
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(af: u16, protocol: u16, last: u8, port: u16, fwmark: u32) -> ServiceId {
        let mut addr = [0; 16];
        addr[0] = 10;
        addr[3] = last;
        ServiceId {
            af,
            protocol,
            addr,
            port: port.to_be_bytes(),
            fwmark,
        }
    }

    fn index(ids: &[ServiceId]) -> ServiceIndex<Vec<u32>> {
        ServiceIndex::build(
            vec![0; buckets_for(ids.len())],
            vec![0; ids.len()],
            ids.iter().map(ServiceKey::of),
        )
        .expect("sizes as asked")
    }

    #[test]
    fn finds_every_service_and_nothing_else() {
        let mut ids = Vec::new();
        for last in 0..=255 {
            for port in [80, 443, 0] {
                ids.push(id(2, 6, last, port, 0));
                ids.push(id(2, 17, last, port, 0));
            }
            ids.push(id(2, 6, last, 0, u32::from(last) + 1));
            ids.push(id(10, 6, last, 0, u32::from(last) + 1));
        }
        let idx = index(&ids);
        for s in &ids {
            let found = idx.find(&ids, &ServiceKey::of(s), ServiceKey::of);
            assert!(found.is_some_and(|f| core::ptr::eq(f, s)));
        }
        for missing in [
            id(2, 132, 1, 80, 0),
            id(10, 6, 1, 80, 0),
            id(2, 6, 1, 81, 0),
        ] {
            assert_eq!(
                idx.find(&ids, &ServiceKey::of(&missing), ServiceKey::of),
                None
            );
        }
        let mark = ServiceKey::Mark { af: 2, mark: 300 };
        assert_eq!(idx.find(&ids, &mark, ServiceKey::of), None);
        // The busiest bucket of 1024 keys in 2048 buckets stays short.
        let mut load = vec![0; buckets_for(ids.len())];
        let mask = load.len() - 1;
        for s in &ids {
            load[ServiceKey::of(s).hash() as usize & mask] += 1;
        }
        assert!(
            load.iter().max().is_some_and(|&m| m <= 8),
            "{:?}",
            load.iter().max()
        );
    }

    #[test]
    fn empty_and_mis_sized() {
        let idx = index(&[]);
        let mark = ServiceKey::Mark { af: 2, mark: 1 };
        assert_eq!(idx.find(&[], &mark, ServiceKey::of), None);
        let keys = [ServiceKey::of(&id(2, 6, 1, 80, 0))];
        assert!(ServiceIndex::build(vec![0; 8], vec![0; 1], keys.into_iter()).is_none());
        assert!(ServiceIndex::build(vec![0; 16], vec![0; 2], keys.into_iter()).is_none());
    }
}
