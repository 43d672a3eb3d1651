// SPDX-License-Identifier: GPL-2.0

//! A delayed work item (`struct delayed_work`) that owns the state it works on, for work that
//! sleeps (the packet path's timer cannot): as [`Ticker`], but run by a workqueue in process
//! context.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)
//!
//! [`Ticker`]: super::timer::Ticker

use core::ops::Deref;
use kernel::{bindings, prelude::*, types::Opaque};

use super::bindings as glue;

/// Work done by a [`Worker`].
pub(crate) trait Job: Send + Sync {
    /// Runs in process context (may sleep); returns the jiffies until it is to run again, or
    /// `None` to wait until it is queued.
    fn run(&self) -> Option<u32>;
}

/// A `T` with a work item that calls [`Job::run`] on it when queued, until dropped.
///
/// # Invariants
///
/// `work` was set up with [`Worker::callback`] and is queued only while `self` is pinned and not
/// yet dropped; `drop` disables it (waiting for a running callback) before `inner` goes.
#[pin_data(PinnedDrop)]
pub(crate) struct Worker<T: Job> {
    #[pin]
    work: Opaque<bindings::delayed_work>,
    #[pin]
    inner: T,
}

// SAFETY: The work item is only touched through the workqueue API, which serialises itself;
// `inner` is `Send + Sync` (`Job`).
unsafe impl<T: Job> Send for Worker<T> {}
// SAFETY: See `Send`.
unsafe impl<T: Job> Sync for Worker<T> {}

impl<T: Job> Worker<T> {
    /// An idle worker around `inner`.
    pub(crate) fn new(inner: impl PinInit<T, Error>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            work <- Opaque::ffi_init(|w: *mut bindings::delayed_work| {
                // SAFETY: `INIT_DELAYED_WORK` initialises the whole `delayed_work` in place.
                unsafe { glue::ipvs_rs_init_delayed_work(w, Some(Self::callback)) }
            }),
            inner <- inner,
        })
    }

    /// Runs the job after `delay` jiffies, unless it is queued already (then it runs when it
    /// was to). May be called in any context.
    ///
    /// Takes `&self`: a `Worker` only exists pinned (it is `!Unpin` and made only by a
    /// `PinInit`).
    pub(crate) fn queue(&self, delay: u32) {
        // SAFETY: `work` is set up and pinned with `self` (type invariant); once disabled by
        // `drop`, queueing does nothing.
        unsafe { glue::ipvs_rs_queue_long_work(self.work.get(), delay as kernel::ffi::c_ulong) };
    }

    /// Runs the job as soon as possible, even if it was queued for later (once more if it is
    /// running). May be called in any context.
    pub(crate) fn run_now(&self) {
        // SAFETY: As in `queue`.
        unsafe { glue::ipvs_rs_run_long_work_now(self.work.get()) };
    }

    /// Stops the job for good: waits for a running one, and queueing does nothing from then on.
    /// Sleeps (process context only).
    pub(crate) fn disable(&self) {
        // SAFETY: `work` is set up (type invariant); disabling nests, so `drop` may disable it
        // again.
        unsafe { bindings::disable_delayed_work_sync(self.work.get()) };
    }

    /// # Safety
    ///
    /// Called by the workqueue only, for the `work` of a live, pinned `Worker<T>`.
    unsafe extern "C" fn callback(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the `work_struct` of a `delayed_work` (only those are set up here).
        let dwork = unsafe { glue::ipvs_rs_to_delayed_work(work) };
        let field = Opaque::cast_from(dwork).cast_mut();
        // SAFETY: `dwork` is the `work` field of a live `Worker<T>` (it is only queued while
        // the worker is alive: `drop` disables it and waits for this callback first).
        let this = unsafe { &*kernel::container_of!(field, Self, work) };
        if let Some(delay) = this.inner.run() {
            this.queue(delay);
        }
    }
}

impl<T: Job> Deref for Worker<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

#[pinned_drop]
impl<T: Job> PinnedDrop for Worker<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `work` is set up (type invariant); after this it neither runs nor is queued
        // again.
        unsafe { bindings::disable_delayed_work_sync(self.work.get()) };
    }
}
