// SPDX-License-Identifier: GPL-2.0

//! The hash index the packet path finds virtual services by (C's `ip_vs_svc_table` and
//! `ip_vs_svc_fwm_table`): a new connection costs one short chain walk, however many services
//! there are.
//!
//! The index is built once per published service list and never changed, so it is two flat
//! arrays of positions in that list: the head of each bucket's chain, and each entry's next.
//! The keys are the administrator's, not the network's: an unkeyed hash is enough, a packet
//! only chooses which chain it walks.

use core::ops::DerefMut;

use crate::{
    addr::Addr,
    sched::{fold, hash_32},
    svc::request::ServiceId,
    uapi::Af,
};

/// No entry: the end of a chain.
const END: u32 = u32::MAX;

/// What a packet looks a service up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServiceKey {
    /// A firewall-mark service: family and mark.
    Mark { af: Af, mark: u32 },
    /// An address service: protocol, virtual address and port (network order).
    Addr {
        protocol: u16,
        addr: Addr,
        port: [u8; 2],
    },
}

impl ServiceKey {
    /// The key service `id` is found by.
    pub(crate) fn of(id: &ServiceId) -> Self {
        if id.fwmark != 0 {
            Self::Mark {
                af: id.af(),
                mark: id.fwmark,
            }
        } else {
            Self::Addr {
                protocol: id.protocol,
                addr: id.addr,
                port: id.port,
            }
        }
    }

    /// The bucket of the key among `2^bits`: C's address folding and the kernel's `hash_32`,
    /// as the hashing schedulers use them.
    fn bucket(&self, bits: u32) -> usize {
        let value = match *self {
            Self::Mark { af, mark } => mark ^ u32::from(af.number()) << 24,
            Self::Addr {
                protocol,
                ref addr,
                port,
            } => {
                fold(addr.af(), addr)
                    ^ u32::from(protocol) << 16
                    ^ u32::from(u16::from_be_bytes(port))
            }
        };
        hash_32(value, bits) as usize
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
        let bits = heads.len().trailing_zeros();
        let mut n = 0;
        for (i, key) in keys.enumerate() {
            let slot = next.get_mut(i)?;
            let head = heads.get_mut(key.bucket(bits))?;
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
        let bits = self.heads.len().trailing_zeros();
        let mut i = self.heads.get(key.bucket(bits)).copied().unwrap_or(END);
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

    fn id(af: Af, protocol: u16, last: u8, port: u16, fwmark: u32) -> ServiceId {
        let mut addr = [0; 16];
        addr[0] = 10;
        addr[3] = last;
        ServiceId {
            protocol,
            addr: Addr::from_inet(af, addr),
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
                ids.push(id(Af::Inet, 6, last, port, 0));
                ids.push(id(Af::Inet, 17, last, port, 0));
            }
            ids.push(id(Af::Inet, 6, last, 0, u32::from(last) + 1));
            ids.push(id(Af::Inet6, 6, last, 0, u32::from(last) + 1));
        }
        let idx = index(&ids);
        for s in &ids {
            let found = idx.find(&ids, &ServiceKey::of(s), ServiceKey::of);
            assert!(found.is_some_and(|f| core::ptr::eq(f, s)));
        }
        for missing in [
            id(Af::Inet, 132, 1, 80, 0),
            id(Af::Inet6, 6, 1, 80, 0),
            id(Af::Inet, 6, 1, 81, 0),
        ] {
            assert_eq!(
                idx.find(&ids, &ServiceKey::of(&missing), ServiceKey::of),
                None
            );
        }
        let mark = ServiceKey::Mark {
            af: Af::Inet,
            mark: 300,
        };
        assert_eq!(idx.find(&ids, &mark, ServiceKey::of), None);
        // The busiest bucket of 1024 keys in 2048 buckets stays short.
        let mut load = vec![0; buckets_for(ids.len())];
        let bits = load.len().trailing_zeros();
        for s in &ids {
            load[ServiceKey::of(s).bucket(bits)] += 1;
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
        let mark = ServiceKey::Mark {
            af: Af::Inet,
            mark: 1,
        };
        assert_eq!(idx.find(&[], &mark, ServiceKey::of), None);
        let keys = [ServiceKey::of(&id(Af::Inet, 6, 1, 80, 0))];
        assert!(ServiceIndex::build(vec![0; 8], vec![0; 1], keys.into_iter()).is_none());
        assert!(ServiceIndex::build(vec![0; 16], vec![0; 2], keys.into_iter()).is_none());
    }
}
