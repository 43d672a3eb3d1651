// SPDX-License-Identifier: GPL-2.0

//! A kernel timer (`struct timer_list`) in an entry held by references (an [`EntryRef`]: an
//! `Arc` or a `CacheArc`), which ends or extends the entry when it fires, as C's
//! per-connection `cp->timer`.
//!
//! A pending timer holds a reference to its entry, so the entry outlives it; the callback gets
//! that reference. The timer is moved only when an entry's deadline comes sooner: a deadline
//! that moves later (as every packet of a live connection moves it) is left to the callback,
//! which re-arms for it ([`Expire::expire`]). A packet then costs one atomic store, not a
//! `mod_timer`.
//!
//! C header: [`include/linux/timer.h`](srctree/include/linux/timer.h)

use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        barrier::{smp_mb, Full},
    },
    types::Opaque,
};

use super::{bindings as glue, slab::EntryRef};

/// What an entry's timer does when it fires.
pub(crate) trait Expire: HasExpiryTimer {
    /// The references the entry is held by.
    type Ref: EntryRef<Target = Self>;

    /// Runs in softirq context when the entry's timer fires; returns the jiffies to fire again
    /// at, or `None` to let it be (the timer's reference to `this` goes).
    fn expire(this: Self::Ref) -> Option<u64>;

    /// Whether the entry is gone for good: it keeps no timer from then on. Whoever makes it
    /// gone must then [`ExpiryTimer::disarm`] it, after a full barrier: an arming that races
    /// with that sees it gone (arming checks after a full barrier too) and disarms again.
    fn gone(&self) -> bool;
}

/// Entries with an [`ExpiryTimer`]: implemented by [`impl_has_expiry_timer!`].
///
/// # Safety
///
/// `OFFSET` is the offset in `Self` of a field of type `ExpiryTimer`.
pub(crate) unsafe trait HasExpiryTimer: Sized + Send + Sync + 'static {
    /// Offset of the `ExpiryTimer` field.
    const OFFSET: usize;

    /// The timer of `self`.
    fn expiry_timer(&self) -> &ExpiryTimer {
        // SAFETY: By the trait's contract, an `ExpiryTimer` is at `OFFSET` in `Self`.
        unsafe {
            &*ptr::from_ref(self)
                .cast::<u8>()
                .add(Self::OFFSET)
                .cast::<ExpiryTimer>()
        }
    }
}

/// Implements [`HasExpiryTimer`] for `$type`, whose field `$field` is an `ExpiryTimer`.
macro_rules! impl_has_expiry_timer {
    ($type:ty, $field:ident) => {
        // Checks at build time that `$field` is an `ExpiryTimer`.
        const _: fn(&$type) -> &$crate::glue::expiry::ExpiryTimer = |e| &e.$field;
        // SAFETY: `OFFSET` is the offset of `$field`, an `ExpiryTimer` (checked above).
        #[allow(unsafe_code)]
        unsafe impl $crate::glue::expiry::HasExpiryTimer for $type {
            const OFFSET: usize = ::core::mem::offset_of!($type, $field);
        }
    };
}
pub(crate) use impl_has_expiry_timer;

/// The timer of an entry.
///
/// # Invariants
///
/// `timer` was set up with [`ExpiryTimer::callback`] for the entry type it is in; while it is
/// pending it holds one reference to its entry (from `EntryRef::into_raw`: so a pending timer's
/// entry is in such a reference).
#[pin_data]
pub(crate) struct ExpiryTimer {
    #[pin]
    timer: Opaque<bindings::timer_list>,
    /// The jiffies it was last armed for (`u64::MAX` while idle).
    at: Atomic<u64>,
}

// SAFETY: The timer is only touched through the timer API, which serialises itself.
unsafe impl Send for ExpiryTimer {}
// SAFETY: See `Send`.
unsafe impl Sync for ExpiryTimer {}

impl ExpiryTimer {
    /// An idle timer for an entry of type `T`.
    pub(crate) fn new<T: Expire>() -> impl PinInit<Self> {
        pin_init!(Self {
            timer <- Opaque::ffi_init(|t: *mut bindings::timer_list| {
                // SAFETY: `timer_setup` initialises the whole `timer_list` in place.
                unsafe { glue::ipvs_rs_timer_setup(t, Some(Self::callback::<T>)) }
            }),
            at: Atomic::new(u64::MAX),
        })
    }

    /// Arms `this`'s timer for jiffies `at` if that is sooner than it is armed for, or if it is
    /// idle (a later deadline is the callback's to find). Does nothing for an entry that is
    /// [`Expire::gone`].
    pub(crate) fn arm_sooner<R: EntryRef>(this: &R, at: u64)
    where
        R::Target: Expire<Ref = R>,
    {
        let t = this.expiry_timer();
        // Most calls move the deadline later: they stop here, without the timer's lock.
        if at >= t.at.load(Relaxed) {
            return;
        }
        t.at.store(at, Relaxed);
        Self::reduce(this, at);
    }

    /// Arms `this`'s timer for `at` unless it is pending sooner (`timer_reduce`), then makes
    /// sure a gone entry keeps no timer.
    fn reduce<R: EntryRef>(this: &R, at: u64)
    where
        R::Target: Expire<Ref = R>,
    {
        let t = this.expiry_timer();
        // The reference a pending timer holds is taken before it can fire: a callback that runs
        // at once gets it.
        let held = this.clone().into_raw();
        // SAFETY: The timer is set up for `T` (type invariant) and lives in `this`; it is never
        // shut down, so a return of 0 means it was idle and is pending now, with `held`.
        if unsafe { bindings::timer_reduce(t.timer.get(), at as usize) } != 0 {
            // It was pending already, with a reference of its own: `held` is not needed.
            // SAFETY: `held` came from `into_raw` above and was given to nobody.
            drop(unsafe { R::from_raw(held) });
        }
        // Pairs with the barrier before the `disarm` of whoever made the entry gone.
        smp_mb(Full);
        if this.gone() {
            Self::disarm(&**this);
        }
    }

    /// Stops `entry`'s timer if it is pending (a running callback finishes on its own, and
    /// does not re-arm a gone entry).
    pub(crate) fn disarm<T: Expire>(entry: &T) {
        let t = entry.expiry_timer();
        // SAFETY: The timer is set up (type invariant).
        if unsafe { bindings::timer_delete(t.timer.get()) } != 0 {
            // SAFETY: It was pending, so it held a reference from `into_raw` (type invariant),
            // which is ours now; the caller's `&T` keeps the entry alive meanwhile.
            drop(unsafe { T::Ref::from_raw(ptr::from_ref(entry)) });
        }
    }

    /// [`Self::disarm`] for a gone entry, waiting for a running callback (which then leaves it
    /// idle for good). Sleeps (process context only).
    pub(crate) fn disarm_sync<T: Expire>(entry: &T) {
        let t = entry.expiry_timer();
        // SAFETY: The timer is set up (type invariant); process context (the contract).
        if unsafe { bindings::timer_delete_sync(t.timer.get()) } != 0 {
            // SAFETY: As in `disarm`.
            drop(unsafe { T::Ref::from_raw(ptr::from_ref(entry)) });
        }
    }

    /// # Safety
    ///
    /// Called by the timer core only, for the timer of a `T`, set up by `new::<T>`.
    unsafe extern "C" fn callback<T: Expire>(timer: *mut bindings::timer_list) {
        let t = Opaque::cast_from(timer).cast_mut();
        // SAFETY: `timer` is the `timer` field of an `ExpiryTimer` at `T::OFFSET` in a `T`.
        let entry = unsafe {
            kernel::container_of!(t, ExpiryTimer, timer)
                .cast::<u8>()
                .sub(T::OFFSET)
                .cast::<T>()
        };
        // SAFETY: The timer was pending, so it held a reference to its entry (type invariant),
        // which passes to this callback now that it fired.
        let this = unsafe { T::Ref::from_raw(entry.cast_const()) };
        let t = this.expiry_timer();
        // Idle while the callback runs: a deadline that comes sooner meanwhile arms it.
        t.at.store(u64::MAX, Relaxed);
        if let Some(at) = T::expire(this.clone()) {
            if at < t.at.load(Relaxed) {
                t.at.store(at, Relaxed);
            }
            Self::reduce(&this, at);
        }
    }
}
