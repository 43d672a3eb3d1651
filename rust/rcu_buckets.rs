// SPDX-License-Identifier: GPL-2.0

//! Hash buckets of RCU-published chains: readers walk a bucket's chain without locks; a writer
//! replaces the chain with a changed copy (copy on write), and the old chain, with whatever its
//! entries hold, is dropped after a grace period. IPVS's connection table and real-server table
//! are built on it.
//!
//! The table's shape (a fixed number of buckets, one vector per bucket) is private, so that it
//! can change (for instance to resizable `hlist_nulls` buckets) without changing its users.

use kernel::{
    alloc::{AllocError, Flags, KVec},
    prelude::*,
    sync::rcu,
};

use super::rcu::RcuPtr;

/// One bucket's entries, never empty (an empty bucket publishes nothing).
struct Chain<E>(KVec<E>);

/// A fixed number of buckets of entries `E`.
///
/// Writers of one bucket must be serialised by the user (a lock per bucket or group of
/// buckets, or one writer for the table): two unserialised writers may each copy the same old
/// chain, and one's change is then lost. Nothing worse can happen: every replacement is atomic.
pub(crate) struct RcuBuckets<E: Clone + Send + Sync + 'static> {
    buckets: KVec<RcuPtr<Chain<E>>>,
}

impl<E: Clone + Send + Sync + 'static> RcuBuckets<E> {
    /// `n` empty buckets.
    pub(crate) fn new(n: usize, flags: Flags) -> Result<Self, AllocError> {
        let mut buckets = KVec::with_capacity(n, flags)?;
        for _ in 0..n {
            buckets.push(RcuPtr::null(), flags)?;
        }
        Ok(Self { buckets })
    }

    /// The number of buckets.
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Bucket `b`'s entries as `guard` sees them (none for a bucket out of range).
    pub(crate) fn entries<'g>(&self, b: usize, guard: &'g rcu::Guard) -> &'g [E] {
        self.buckets
            .get(b)
            .and_then(|bucket| bucket.get(guard))
            .map_or(&[][..], |c| &c.0[..])
    }

    /// Replaces bucket `b`'s chain with a copy that `edit` changed, with room for one more
    /// entry than the old one. The copy is allocated with `flags` outside any RCU read-side
    /// section (so `GFP_KERNEL` may be used where sleeping is allowed). Nothing happens for a
    /// bucket out of range.
    pub(crate) fn rewrite(
        &self,
        b: usize,
        flags: Flags,
        edit: impl FnOnce(&mut KVec<E>) -> Result,
    ) -> Result {
        let Some(bucket) = self.buckets.get(b) else {
            return Ok(());
        };
        let len = bucket.get(&rcu::read_lock()).map_or(0, |c| c.0.len());
        let mut new = KVec::with_capacity(len + 1, flags)?;
        {
            // The chain is the one measured above: its writers are serialised (see the type).
            let guard = rcu::read_lock();
            for e in bucket.get(&guard).map_or(&[][..], |c| &c.0[..]) {
                new.push_within_capacity(e.clone()).map_err(|_| ENOMEM)?;
            }
        }
        edit(&mut new)?;
        bucket.replace((!new.is_empty()).then_some(Chain(new)), flags)
    }
}
