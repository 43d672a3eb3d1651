// SPDX-License-Identifier: GPL-2.0

//! An intrusive hash table: entries carry their own chain nodes (`hlist_node`), readers walk
//! the chains under RCU without locks, writers take one of [`STRIPES`] locks, and the table
//! resizes itself by moving entries into a new bucket array while lookups go on, as C 7.3's
//! `ip_vs_rht` does for connections.
//!
//! - An entry of type `T` lives behind an [`EntryRef`] (an `Arc` or a [`CacheArc`]) and has a
//!   [`Links<N>`] field: it can be filed
//!   under up to `N` hashes at once (a NAT connection is found by its client-side tuple and by
//!   its server-side one). While filed, the table holds a reference to it; taken out, that
//!   reference goes after a grace period, so a reader standing on it stays safe.
//! - Inserting and removing touch no other entry and allocate nothing.
//! - The hash of an entry does not change with the table's size, so entries of hash `h` are
//!   under stripe `h % STRIPES` whatever the size (a bucket array has at least `STRIPES`
//!   buckets): that one lock covers an entry's old and new bucket while it is moved. Bit 31 of
//!   a hash is not used for buckets: a link keeps there the id of the array it is in (arrays
//!   alternate ids), so that walks skip nodes a move took to the other array, as C's
//!   `IP_VS_RHT_TABLE_ID_MASK`.
//! - A resize publishes the new bucket array as the old one's successor, where new entries go,
//!   waits for a grace period (so that no writer still adds to the old one), then moves the old
//!   buckets' entries a few at a time, each step under its stripe's lock and inside a write
//!   section of the stripe's seqcount: a lookup that raced with a move (it may have followed a
//!   moved node into the new array and missed the rest of its old chain) looks again. Lookups
//!   walk the old array and then its successor, so an entry is always found in one of them.
//!
//! C headers: [`include/linux/rculist.h`](srctree/include/linux/rculist.h),
//! [`include/linux/seqlock.h`](srctree/include/linux/seqlock.h)

use core::{
    ffi::c_void,
    marker::PhantomData,
    mem::offset_of,
    ops::Deref,
    ptr::{self, null_mut},
};
use kernel::{
    alloc::KVVec,
    bindings,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        rcu, Mutex,
    },
    types::Opaque,
};

pub(crate) use super::hash_links::{impl_has_links, HasLinks, Links};
use super::{
    bindings as glue,
    hash_links::{entry_of, Link},
    rcu::{call_rcu_counted, callback_done},
    slab::EntryRef,
    stripe::{Stripe, StripeGuard},
};

/// Writers' locks. Also the fewest buckets a table has.
pub(crate) const STRIPES: usize = 64;
/// Entries moved per step of a resize (one stripe lock held, readers of the stripe retrying).
const MOVES_PER_STEP: usize = 64;
/// The bit of a filed link's hash that holds its array's id.
const ARRAY_ID: u32 = 1 << 31;

/// The stripe locks of an entry's links. Fields drop in order: the nested lock goes first, and
/// the outer one, which turns BHs back on, last.
struct LinkLocks<'a> {
    _inner: Option<StripeGuard<'a>>,
    _outer: Option<StripeGuard<'a>>,
}

/// One bucket array of a table.
///
/// # Invariants
///
/// `heads.len()` is a power of two, at least [`STRIPES`] and at most `ARRAY_ID`, and `mask` is
/// one less. `next` points to `self` or to the array entries are being moved to, which is
/// published to readers only through it until it becomes the table's `current`; the two have
/// different `id`s (0 or [`ARRAY_ID`]).
struct Buckets {
    heads: KVVec<Opaque<bindings::hlist_head>>,
    mask: u32,
    id: u32,
    next: Atomic<*mut Buckets>,
}

impl Buckets {
    /// `size` empty buckets with id `id`, leaked for publishing; `next` points to itself.
    fn new(size: usize, id: u32) -> Result<*mut Buckets> {
        if !size.is_power_of_two() || size < STRIPES || size > ARRAY_ID as usize {
            return Err(EINVAL);
        }
        let mut heads = KVVec::with_capacity(size, GFP_KERNEL)?;
        for _ in 0..size {
            heads.push(
                Opaque::new(bindings::hlist_head { first: null_mut() }),
                GFP_KERNEL,
            )?;
        }
        let b = KBox::into_raw(KBox::new(
            Buckets {
                heads,
                mask: (size - 1) as u32,
                id,
                next: Atomic::new(null_mut()),
            },
            GFP_KERNEL,
        )?);
        // SAFETY: `b` was just allocated and is not shared yet.
        unsafe { (*b).next.store(b, Relaxed) };
        Ok(b)
    }

    fn head(&self, hash: u32) -> *mut bindings::hlist_head {
        self.heads[(hash & self.mask) as usize].get()
    }

    /// What a link of `hash` filed here holds.
    fn tag(&self, hash: u32) -> u32 {
        (hash & !ARRAY_ID) | self.id
    }
}

/// Lets other tasks run during a long resize.
fn cond_resched() {
    // SAFETY: Called from process context only (`RcuHashTable::resize`).
    unsafe { glue::ipvs_rs_cond_resched() }
}

/// The first node of the chain at `head`.
///
/// # Safety
///
/// `head` is a bucket of a bucket array that stays allocated meanwhile (read under RCU, or
/// by its only writer).
unsafe fn first(head: *mut bindings::hlist_head) -> *mut bindings::hlist_node {
    // SAFETY: `head` is valid; the read is `rcu_dereference`'s (a volatile read, whose
    // address dependency orders what is read through the result).
    unsafe { ptr::read_volatile(&raw const (*head).first) }
}

/// The node after `node`.
///
/// # Safety
///
/// `node` is in, or was just taken out of, a chain, and stays allocated meanwhile.
unsafe fn next(node: *mut bindings::hlist_node) -> *mut bindings::hlist_node {
    // SAFETY: As for `first`.
    unsafe { ptr::read_volatile(&raw const (*node).next) }
}

/// A hash table of entries held by references `R` (to a `T`), filed under up to `N` hashes
/// each (see the module).
///
/// [`CacheArc`]: super::slab::CacheArc
///
/// # Invariants
///
/// `current` points to a live [`Buckets`], which (and whose successor) is freed only after a
/// grace period that began once it was unpublished. Each node in a chain is link
/// `index` of a live `T` whose `Links<N>` is filed, and the table holds one reference to that
/// `T` (from `R::into_raw`) for as long as any of its links is filed, plus a grace period.
#[pin_data(PinnedDrop)]
pub(crate) struct RcuHashTable<R: EntryRef, const N: usize>
where
    R::Target: HasLinks<N>,
{
    current: Atomic<*mut Buckets>,
    #[pin]
    stripes: [Stripe; STRIPES],
    /// Serialises resizes (they sleep).
    #[pin]
    resizing: Mutex<()>,
    _entries: PhantomData<R>,
}

// SAFETY: Entries are `Send + Sync` (`HasLinks`); the table's own state is changed under its
// locks or atomically.
unsafe impl<R: EntryRef, const N: usize> Send for RcuHashTable<R, N> where R::Target: HasLinks<N> {}
// SAFETY: See `Send`.
unsafe impl<R: EntryRef, const N: usize> Sync for RcuHashTable<R, N> where R::Target: HasLinks<N> {}

/// An entry found in a walk of the table, valid while the walk's guard is held.
pub(crate) struct Found<'g, R: EntryRef>
where
    R::Target: Sized,
{
    entry: &'g R::Target,
}

impl<R: EntryRef> Found<'_, R>
where
    R::Target: Sized,
{
    /// A reference of the entry's own.
    pub(crate) fn to_ref(&self) -> R {
        // SAFETY: Entries in the table come from `R::into_raw`, and the table keeps that
        // reference while the guard is held (type invariant of `RcuHashTable`).
        unsafe { R::clone_raw(self.entry) }
    }
}

impl<R: EntryRef> Deref for Found<'_, R>
where
    R::Target: Sized,
{
    type Target = R::Target;

    fn deref(&self) -> &R::Target {
        self.entry
    }
}

impl<R: EntryRef, const N: usize> RcuHashTable<R, N>
where
    R::Target: HasLinks<N>,
{
    /// An empty table of `size` buckets (a power of two, at least [`STRIPES`]).
    pub(crate) fn new(size: usize) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            current: Atomic::new(Buckets::new(size, 0)?),
            stripes <- pin_init::pin_init_array_from_fn(|_| Stripe::new()),
            resizing <- kernel::new_mutex!(()),
            _entries: PhantomData,
        })
    }

    /// The number of buckets.
    pub(crate) fn size(&self) -> usize {
        let _guard = rcu::read_lock();
        // SAFETY: `current` is live while the read lock is held (type invariant).
        unsafe { (*self.current.load(Acquire)).heads.len() }
    }

    fn stripe(&self, hash: u32) -> &Stripe {
        &self.stripes[hash as usize % STRIPES]
    }

    /// A reference of its own to the first entry filed under `hash` (bit 31 aside) that
    /// `matches` (given the index of the link it is filed by there).
    pub(crate) fn find(
        &self,
        hash: u32,
        guard: &rcu::Guard,
        matches: impl FnMut(usize, &R::Target) -> bool,
    ) -> Option<R> {
        let entry = self.find_ref(hash, guard, matches)?;
        // SAFETY: Entries in the table come from `R::into_raw`, and the table keeps that
        // reference while `guard` is held (type invariant).
        Some(unsafe { R::clone_raw(entry) })
    }

    /// The first entry filed under `hash` (bit 31 aside) that `matches` (given the index of the
    /// link it is filed by there), valid while `guard` is held.
    pub(crate) fn find_ref<'g>(
        &self,
        hash: u32,
        guard: &'g rcu::Guard,
        mut matches: impl FnMut(usize, &R::Target) -> bool,
    ) -> Option<&'g R::Target> {
        let _ = guard;
        let stripe = self.stripe(hash);
        let mut buckets = self.current.load(Acquire);
        loop {
            // SAFETY: Published arrays live until a grace period after they are unpublished
            // (type invariant), which `guard` delays.
            let b = unsafe { &*buckets };
            let head = b.head(hash);
            let tag = b.tag(hash);
            loop {
                let seq = stripe.read_begin();
                // SAFETY: `head` is in `b`, live (above).
                let mut node = unsafe { first(head) };
                while !node.is_null() {
                    let link = node.cast::<Link>().cast_const();
                    // SAFETY: Nodes in chains are links of live entries (type invariant), which
                    // stay allocated for a grace period after they are taken out.
                    let l = unsafe { &*link };
                    if l.hash.load(Relaxed) == tag {
                        // SAFETY: As above.
                        let entry = unsafe { entry_of::<R::Target, N>(link) };
                        // The table's reference to the entry is dropped only after `guard` is
                        // released.
                        // SAFETY: So the entry lives while `guard` is held.
                        let entry = unsafe { &*entry };
                        if matches(usize::from(l.index), entry) {
                            return Some(entry);
                        }
                    }
                    // SAFETY: As above.
                    node = unsafe { next(node) };
                }
                // A move may have led the walk out of this chain: look again.
                if !stripe.read_retry(seq) {
                    break;
                }
            }
            let after = b.next.load(Acquire);
            if after == buckets {
                return None;
            }
            buckets = after;
        }
    }

    /// Locks the stripes of the links that `hashes` gives (an optional hash per link), in
    /// index order.
    fn lock_links(&self, hashes: &[Option<u32>; N]) -> LinkLocks<'_> {
        let mut idx = hashes.iter().flatten().map(|h| *h as usize % STRIPES);
        let (a, b) = (idx.next(), idx.next());
        let (low, high) = match (a, b) {
            (Some(a), Some(b)) if a != b => (Some(a.min(b)), Some(a.max(b))),
            (a, _) => (a, None),
        };
        let outer = low.map(|s| self.stripes[s].lock());
        let inner = match (&outer, high) {
            (Some(o), Some(s)) => Some(self.stripes[s].lock_nested(o)),
            _ => None,
        };
        LinkLocks {
            _inner: inner,
            _outer: outer,
        }
    }

    /// Files `entry` by link `i` under `hashes[i]` (bit 31 aside), for each link that has one,
    /// in the newest bucket array; the table keeps `entry` until [`Self::remove`]. `guard`
    /// proves a read-side section, which the resizer's grace period waits for: no entry is added
    /// to an array whose entries are being moved.
    ///
    /// An entry is filed once only: `EBUSY` (and `entry` dropped) if it was filed before, here
    /// or in another table. An entry with no hash is not filed (and dropped).
    pub(crate) fn insert(&self, entry: R, hashes: [Option<u32>; N], guard: &rcu::Guard) -> Result {
        let _ = guard;
        if hashes.iter().all(Option::is_none) {
            return Ok(());
        }
        let links = entry.links();
        let locks = self.lock_links(&hashes);
        if links.owner.cmpxchg(null_mut(), self.id(), Relaxed).is_err() {
            return Err(EBUSY);
        }
        // SAFETY: `current` and its successor are live under `guard` (type invariant).
        let newest = unsafe { &*(*self.current.load(Acquire)).next.load(Acquire) };
        for (link, hash) in links.links.iter().zip(hashes) {
            let Some(hash) = hash else { continue };
            link.hash.store(newest.tag(hash), Relaxed);
            link.filed.store(true, Relaxed);
            // SAFETY: The node is in no chain (the entry was never filed); the bucket's writers
            // are serialised by its stripe's lock, held; both stay allocated while filed.
            unsafe { glue::ipvs_rs_hlist_add_head_rcu(link.node.get(), newest.head(hash)) };
        }
        drop(locks);
        // The table's reference, dropped by `release` after `remove`.
        let _ = entry.into_raw();
        Ok(())
    }

    /// The owner id of entries filed here.
    fn id(&self) -> *mut c_void {
        ptr::from_ref(self).cast_mut().cast()
    }

    /// Takes `entry` out of the table if it is filed here; the table's reference to it goes
    /// after a grace period. Returns whether it was filed.
    pub(crate) fn remove(&self, entry: &R::Target) -> bool {
        let links = entry.links();
        if links.owner.load(Relaxed) != self.id() {
            return false;
        }
        // The stripes of the filed links, as seen now and again under their locks: `insert`
        // may still be filing the second link of an entry a lookup found by its first.
        let filed = || -> [Option<u32>; N] {
            core::array::from_fn(|i| {
                let l = &links.links[i];
                l.filed.load(Relaxed).then(|| l.hash.load(Relaxed))
            })
        };
        let mut hashes = filed();
        let locks = loop {
            let locks = self.lock_links(&hashes);
            let now = filed();
            if now == hashes {
                break locks;
            }
            drop(locks);
            hashes = now;
        };
        let mut was_filed = false;
        for (link, hash) in links.links.iter().zip(hashes) {
            if hash.is_none() {
                continue;
            }
            // The stripes were checked under their locks above; a filed link's stripe never
            // changes.
            // SAFETY: The node is in a chain of this table (`filed`, `owner`), whose writers
            // are serialised by its stripe's lock, held.
            unsafe { glue::ipvs_rs_hlist_del_rcu(link.node.get()) };
            link.filed.store(false, Relaxed);
            was_filed = true;
        }
        drop(locks);
        if was_filed {
            // Only one `remove` gets here (links are unfiled under their locks), and the entry is
            // never filed again (`owner`).
            // SAFETY: The entry is in no chain now; `release` drops the table's reference once
            // every reader that may stand on it is gone.
            unsafe { call_rcu_counted(links.rcu.get(), Self::release) };
        }
        was_filed
    }

    /// # Safety
    ///
    /// Called by RCU only, for the `rcu` head of the `Links<N>` of an entry that `remove` took
    /// out of the table.
    unsafe extern "C" fn release(head: *mut bindings::callback_head) {
        let links = head.cast::<u8>().wrapping_sub(offset_of!(Links<N>, rcu));
        let entry = links.wrapping_sub(R::Target::OFFSET).cast::<R::Target>();
        // SAFETY: `entry` holds the table's reference from `insert` (`R::into_raw`), given up
        // here once.
        drop(unsafe { R::from_raw(entry) });
        callback_done();
    }

    /// Calls `f` with every filed link (index and entry) of every entry, until it returns an
    /// error. While a resize runs an entry may be missed, as in C (nodes a move took to the
    /// other array are skipped, so none is seen twice).
    pub(crate) fn for_each<'g, E>(
        &self,
        guard: &'g rcu::Guard,
        mut f: impl FnMut(usize, Found<'g, R>) -> core::result::Result<(), E>,
    ) -> core::result::Result<(), E> {
        let _ = guard;
        let mut buckets = self.current.load(Acquire);
        loop {
            // SAFETY: Live under `guard` (type invariant).
            let b = unsafe { &*buckets };
            for head in b.heads.iter() {
                // SAFETY: `head` is in `b`, live.
                let mut node = unsafe { first(head.get()) };
                while !node.is_null() {
                    let link = node.cast::<Link>().cast_const();
                    // SAFETY: Nodes in chains are links of live entries (type invariant).
                    if unsafe { (*link).hash.load(Relaxed) } & ARRAY_ID != b.id {
                        // Moved to the other array: its walk sees it.
                        // SAFETY: As above.
                        node = unsafe { next(node) };
                        continue;
                    }
                    // Nodes in chains are links of live entries (type invariant); the table's
                    // reference to the entry is dropped only after `guard` is released.
                    // SAFETY: So the entry lives while `guard` is held.
                    let (index, entry) = unsafe {
                        let index = usize::from((*link).index);
                        let entry = &*entry_of::<R::Target, N>(link);
                        (index, Found { entry })
                    };
                    f(index, entry)?;
                    // SAFETY: As above.
                    node = unsafe { next(node) };
                }
            }
            let after = b.next.load(Acquire);
            if after == buckets {
                return Ok(());
            }
            buckets = after;
        }
    }

    /// Moves every entry into a new array of `size` buckets (a power of two, at least
    /// [`STRIPES`]). Sleeps; lookups, inserts and removes go on meanwhile.
    pub(crate) fn resize(&self, size: usize) -> Result {
        let _serial = self.resizing.lock();
        let old = self.current.load(Acquire);
        // SAFETY: `current` is changed only here, under `resizing`: it stays live.
        let old_ref = unsafe { &*old };
        if old_ref.heads.len() == size {
            return Ok(());
        }
        let new = Buckets::new(size, old_ref.id ^ ARRAY_ID)?;
        // SAFETY: Just allocated, freed only below or after being published.
        let new_ref = unsafe { &*new };
        old_ref.next.store(new, Release);
        // Writers that saw the old array as the newest are done with it after this.
        rcu::synchronize_rcu();
        for (i, head) in old_ref.heads.iter().enumerate() {
            if i % 1024 == 1023 {
                cond_resched();
            }
            // Nothing is added to the old array any more: an empty bucket stays empty, and
            // needs neither the lock nor its readers' retry.
            // SAFETY: The old array is live (above).
            if unsafe { first(head.get()) }.is_null() {
                continue;
            }
            let stripe = &self.stripes[i % STRIPES];
            loop {
                let lock = stripe.lock();
                let more = lock.moving(|| {
                    for _ in 0..MOVES_PER_STEP {
                        // SAFETY: The old array is live (above); its chain's writers are
                        // serialised by the stripe's lock, held.
                        let node = unsafe { first(head.get()) };
                        if node.is_null() {
                            return false;
                        }
                        // SAFETY: `node` is a link of a live entry (type invariant).
                        let link = unsafe { &*node.cast::<Link>() };
                        let hash = link.hash.load(Relaxed);
                        link.hash.store(new_ref.tag(hash), Relaxed);
                        // The same hash gives the same stripe in any array; the node stays
                        // filed, so its entry and the table's reference stay.
                        // SAFETY: Both buckets are under this stripe's lock, held.
                        unsafe {
                            glue::ipvs_rs_hlist_del_rcu(node);
                            glue::ipvs_rs_hlist_add_head_rcu(node, new_ref.head(hash));
                        }
                    }
                    // SAFETY: As above.
                    !unsafe { first(head.get()) }.is_null()
                });
                drop(lock);
                if !more {
                    break;
                }
                cond_resched();
            }
        }
        self.current.store(new, Release);
        // Readers that found the old array through `current` are gone after this.
        rcu::synchronize_rcu();
        // SAFETY: `old` came from `KBox::into_raw` (`Buckets::new`), is unpublished and empty,
        // and no reader can reach it any more.
        drop(unsafe { KBox::from_raw(old) });
        Ok(())
    }
}

#[pinned_drop]
impl<R: EntryRef, const N: usize> PinnedDrop for RcuHashTable<R, N>
where
    R::Target: HasLinks<N>,
{
    fn drop(self: Pin<&mut Self>) {
        // Nothing else can reach the table now (it is being dropped), so no reader walks it and
        // no resize runs: entries left in it are taken out as by `remove` (their references go
        // after a grace period, as readers may still stand on them), and the array goes now.
        // Nothing here sleeps: the last owner may drop the table in any context.
        let this = &*self;
        let current = this.current.load(Acquire);
        // SAFETY: `current` is live (type invariant) and has no successor (no resize runs).
        let b = unsafe { &*current };
        for head in b.heads.iter() {
            loop {
                // SAFETY: The array is live; its chains change only below.
                let node = unsafe { first(head.get()) };
                if node.is_null() {
                    break;
                }
                // Chains hold links of live entries (type invariant), and `remove` takes every
                // link of the entry out of its chain (this one included).
                // SAFETY: So the entry is live for this call.
                this.remove(unsafe {
                    &*entry_of::<R::Target, N>(node.cast::<Link>().cast_const())
                });
            }
        }
        // SAFETY: `current` came from `Buckets::new`, is empty and is reachable by no one.
        drop(unsafe { KBox::from_raw(current) });
    }
}
