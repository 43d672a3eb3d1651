// SPDX-License-Identifier: GPL-2.0

//! A periodic kernel timer (`struct timer_list`) that owns the state its callback works on.
//!
//! C header: [`include/linux/timer.h`](srctree/include/linux/timer.h)

use core::ops::Deref;
use kernel::{bindings, prelude::*, types::Opaque};

use super::bindings as glue;

/// The current time in jiffies.
pub(crate) fn jiffies() -> u64 {
    glue_jiffies() as u64
}

/// Work done on every tick of a [`Ticker`].
pub(crate) trait Tick: Send + Sync {
    /// Runs in softirq context (must not sleep); returns the jiffies until the next tick, or
    /// `None` to stop ticking.
    fn tick(&self) -> Option<u32>;
}

/// A `T` with a timer that calls [`Tick::tick`] on it until dropped.
///
/// # Invariants
///
/// `timer` was set up with [`Ticker::callback`] and is armed only while `self` is pinned and
/// not yet dropped; `drop` shuts it down before `inner` goes.
#[pin_data(PinnedDrop)]
pub(crate) struct Ticker<T: Tick> {
    #[pin]
    timer: Opaque<bindings::timer_list>,
    #[pin]
    inner: T,
}

// SAFETY: The timer is only touched through the timer API, which serialises itself; `inner` is
// `Send + Sync` (`Tick`).
unsafe impl<T: Tick> Send for Ticker<T> {}
// SAFETY: See `Send`.
unsafe impl<T: Tick> Sync for Ticker<T> {}

impl<T: Tick> Ticker<T> {
    /// A stopped ticker around `inner`.
    pub(crate) fn new(inner: impl PinInit<T, Error>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            timer <- Opaque::ffi_init(|t: *mut bindings::timer_list| {
                // SAFETY: `timer_setup` initialises the whole `timer_list` in place.
                unsafe { glue::ipvs_rs_timer_setup(t, Some(Self::callback)) }
            }),
            inner <- inner,
        })
    }

    /// (Re)arms the timer to tick after `delay` jiffies.
    ///
    /// Takes `&self`: a `Ticker` only exists pinned (it is `!Unpin` and made only by a
    /// `PinInit`), as for the kernel's locks.
    pub(crate) fn start(&self, delay: u32) {
        let expires = glue_jiffies().wrapping_add(delay as usize);
        // SAFETY: `timer` is set up and pinned with `self` (type invariant).
        unsafe { bindings::mod_timer(self.timer.get(), expires) };
    }

    /// # Safety
    ///
    /// Called by the timer core only, for the `timer` of a live, pinned `Ticker<T>`.
    unsafe extern "C" fn callback(timer: *mut bindings::timer_list) {
        let field = Opaque::cast_from(timer).cast_mut();
        // SAFETY: `timer` is the `timer` field of a live `Ticker<T>` (it is only armed while the
        // ticker is alive: `drop` shuts it down first).
        let this = unsafe { &*kernel::container_of!(field, Self, timer) };
        if let Some(delay) = this.inner.tick() {
            let expires = glue_jiffies().wrapping_add(delay as usize);
            // SAFETY: As above; re-arming from the callback is allowed, and after
            // `timer_shutdown_sync` it does nothing.
            unsafe { bindings::mod_timer(timer, expires) };
        }
    }
}

fn glue_jiffies() -> kernel::ffi::c_ulong {
    // SAFETY: Reads the tick counter; no preconditions.
    unsafe { glue::ipvs_rs_jiffies() }
}

impl<T: Tick> Deref for Ticker<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

#[pinned_drop]
impl<T: Tick> PinnedDrop for Ticker<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `timer` is set up (type invariant); after this it neither runs nor re-arms.
        unsafe { bindings::timer_shutdown_sync(self.timer.get()) };
    }
}
