// SPDX-License-Identifier: GPL-2.0

//! The chain nodes an entry of an [`RcuHashTable`] carries (see there): one per hash it is
//! filed under, and what the table needs to drop its reference after a grace period.
//!
//! [`RcuHashTable`]: super::hash_table::RcuHashTable

use core::{
    ffi::c_void,
    mem::{offset_of, size_of},
    ptr::{self, null_mut},
};
use kernel::{bindings, sync::atomic::Atomic, types::Opaque};

/// One of the places an entry is filed at.
///
/// # Invariants
///
/// `node` is in a chain of the table its [`Links`] name as owner exactly while `filed` is set;
/// `index` is the link's place in its [`Links`] array.
#[repr(C)]
pub(crate) struct Link {
    /// First, so that a chain's node pointer is the link's.
    pub(super) node: Opaque<bindings::hlist_node>,
    /// The hash it is filed under, with the id of its array in bit 31: lookups
    /// skip other hashes without reading the entry.
    pub(super) hash: Atomic<u32>,
    /// Whether it is in a chain (changed under its stripe's lock only).
    pub(super) filed: Atomic<bool>,
    pub(super) index: u8,
}

/// The links of an entry that an [`RcuHashTable<_, N>`](super::hash_table::RcuHashTable) files it by, and the RCU callback head
/// that drops the table's reference to it once it is taken out.
///
/// An entry is filed once at most, in one table: `owner` is set when it is filed (under the
/// locks of its links' stripes) and never cleared.
#[repr(C)]
pub(crate) struct Links<const N: usize> {
    pub(super) rcu: Opaque<bindings::callback_head>,
    pub(super) owner: Atomic<*mut c_void>,
    pub(super) links: [Link; N],
}

// SAFETY: The nodes and the callback head are touched only by the table, under its stripe
// locks or by RCU after the entry left every chain; the rest is atomic.
unsafe impl<const N: usize> Send for Links<N> {}
// SAFETY: See `Send`.
unsafe impl<const N: usize> Sync for Links<N> {}

impl<const N: usize> Links<N> {
    /// Links of an entry not filed yet.
    pub(crate) fn new() -> Self {
        const { assert!(N <= 2, "a writer nests at most two stripe locks") };
        Self {
            rcu: Opaque::uninit(),
            owner: Atomic::new(null_mut()),
            links: core::array::from_fn(|i| Link {
                node: Opaque::uninit(),
                hash: Atomic::new(0),
                filed: Atomic::new(false),
                index: i as u8,
            }),
        }
    }
}

/// Entries that have [`Links`]: implemented by [`impl_has_links!`].
///
/// # Safety
///
/// `OFFSET` is the offset in `Self` of a field of type `Links<N>`.
pub(crate) unsafe trait HasLinks<const N: usize>:
    Sized + Send + Sync + 'static
{
    /// Offset of the `Links<N>` field.
    const OFFSET: usize;

    /// The links of `self`.
    fn links(&self) -> &Links<N> {
        // SAFETY: By the trait's contract, a `Links<N>` is at `OFFSET` in `Self`.
        unsafe {
            &*ptr::from_ref(self)
                .cast::<u8>()
                .add(Self::OFFSET)
                .cast::<Links<N>>()
        }
    }
}

/// Implements [`HasLinks`] for `$type`, whose field `$field` is a `Links<$n>`.
macro_rules! impl_has_links {
    ($type:ty, $field:ident, $n:expr) => {
        // Checks at build time that `$field` is a `Links<$n>`.
        const _: fn(&$type) -> &$crate::glue::hash_links::Links<$n> = |e| &e.$field;
        // SAFETY: `OFFSET` is the offset of `$field`, a `Links<$n>` (checked above).
        #[allow(unsafe_code)]
        unsafe impl $crate::glue::hash_links::HasLinks<$n> for $type {
            const OFFSET: usize = ::core::mem::offset_of!($type, $field);
        }
    };
}
pub(crate) use impl_has_links;

/// The entry of `link`, link `link.index` of its entry's [`Links<N>`].
///
/// # Safety
///
/// `link` is a link of a live `T` (for instance one found in a chain under RCU).
pub(super) unsafe fn entry_of<T: HasLinks<N>, const N: usize>(link: *const Link) -> *const T {
    // SAFETY: `link` is live; `index` never changes.
    let index = usize::from(unsafe { (*link).index });
    let links = link
        .cast::<u8>()
        .wrapping_sub(offset_of!(Links<N>, links) + index * size_of::<Link>());
    links.wrapping_sub(T::OFFSET).cast::<T>()
}
