// SPDX-License-Identifier: GPL-2.0

//! A writers' lock of a hash table (`spinlock_t`) with the seqcount (`seqcount_spinlock_t`) that
//! tells lockless readers an entry was moved under it, so that they look again. Writers run in
//! process context and in softirq (the packet path), so the lock turns BHs off.
//!
//! C header: [`include/linux/seqlock.h`](srctree/include/linux/seqlock.h)

use kernel::{prelude::*, types::Opaque};

use super::bindings as glue;

/// A writers' lock and the seqcount its moves are published by.
#[pin_data]
pub(crate) struct Stripe {
    #[pin]
    inner: Opaque<glue::ipvs_rs_stripe>,
}

impl Stripe {
    /// An unlocked stripe.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- Opaque::ffi_init(|s: *mut glue::ipvs_rs_stripe| {
                // SAFETY: Initialises the lock and the seqcount in place.
                unsafe { glue::ipvs_rs_stripe_init(s) }
            }),
        })
    }

    /// Locks the stripe (BHs off until it is unlocked).
    pub(crate) fn lock(&self) -> StripeGuard<'_> {
        // SAFETY: The stripe is initialised; the guard unlocks it.
        unsafe { glue::ipvs_rs_stripe_lock(self.inner.get()) };
        StripeGuard {
            stripe: self,
            nested: false,
        }
    }

    /// Locks the stripe while `_outer`, a stripe of lower index, is held.
    pub(crate) fn lock_nested<'a>(&'a self, _outer: &StripeGuard<'_>) -> StripeGuard<'a> {
        // SAFETY: As in `lock`; BHs are off with the outer lock, and stripes nest in index
        // order only (the caller's contract: see `RcuHashTable::lock_links`).
        unsafe { glue::ipvs_rs_stripe_lock_nested(self.inner.get()) };
        StripeGuard {
            stripe: self,
            nested: true,
        }
    }

    /// Begins a read that a concurrent move makes [`Self::read_retry`] ask to redo (waits
    /// for a move in progress).
    pub(crate) fn read_begin(&self) -> u32 {
        // SAFETY: The stripe is initialised.
        unsafe { glue::ipvs_rs_stripe_read_begin(self.inner.get()) }
    }

    /// Whether a move overlapped the read begun as `seq`.
    pub(crate) fn read_retry(&self, seq: u32) -> bool {
        // SAFETY: The stripe is initialised.
        unsafe { glue::ipvs_rs_stripe_read_retry(self.inner.get(), seq) }
    }
}

/// A held stripe lock.
pub(crate) struct StripeGuard<'a> {
    stripe: &'a Stripe,
    nested: bool,
}

impl StripeGuard<'_> {
    /// Runs `f` in a write section of the stripe's seqcount: readers of the stripe that overlap
    /// it look again.
    pub(crate) fn moving<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: The stripe's lock is held (`self`), as the seqcount's writers must.
        unsafe { glue::ipvs_rs_stripe_move_begin(self.stripe.inner.get()) };
        let r = f();
        // SAFETY: Ends the section begun above, the lock still held.
        unsafe { glue::ipvs_rs_stripe_move_end(self.stripe.inner.get()) };
        r
    }
}

impl Drop for StripeGuard<'_> {
    fn drop(&mut self) {
        let s = self.stripe.inner.get();
        if self.nested {
            // SAFETY: Locked by `lock_nested`.
            unsafe { glue::ipvs_rs_stripe_unlock_nested(s) }
        } else {
            // SAFETY: Locked by `lock`.
            unsafe { glue::ipvs_rs_stripe_unlock(s) }
        }
    }
}
