// SPDX-License-Identifier: GPL-2.0

//! RCU-published pointers: readers see a value without locks; writers replace it, and the old
//! value is dropped after a grace period (`rcu_assign_pointer` + `call_rcu`).
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use core::{marker::PhantomData, ptr::null_mut};
use kernel::{
    alloc::Flags,
    bindings,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        rcu,
    },
};

/// A published value and the callback head that frees it.
#[repr(C)]
struct Node<T> {
    head: bindings::callback_head,
    value: T,
}

/// An optional `T` that readers reach under [`rcu::Guard`] while writers replace it.
///
/// Writers must be serialised by the caller when they derive the new value from the old one;
/// `replace` itself is atomic.
///
/// `T` is dropped from an RCU callback (softirq context), so its drop must not sleep.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` of a `Node<T>`; a node that was published is
/// freed only by [`free_node`] after a grace period that started once it was unpublished.
pub(crate) struct RcuPtr<T: Send + Sync + 'static> {
    ptr: Atomic<*mut Node<T>>,
    _t: PhantomData<T>,
}

impl<T: Send + Sync + 'static> RcuPtr<T> {
    /// Nothing published.
    pub(crate) const fn null() -> Self {
        Self {
            ptr: Atomic::new(null_mut()),
            _t: PhantomData,
        }
    }

    /// The published value, valid while `guard` is held.
    pub(crate) fn get<'g>(&self, _guard: &'g rcu::Guard) -> Option<&'g T> {
        let p = self.ptr.load(Acquire);
        // SAFETY: A non-null `p` is a published node (type invariant); it is freed only after a
        // grace period, and the caller's read-side critical section (`guard`) delays that.
        (!p.is_null()).then(|| unsafe { &(*p).value })
    }

    /// Publishes `value` (or nothing); the previous value is dropped after a grace period.
    pub(crate) fn replace(&self, value: Option<T>, flags: Flags) -> Result {
        let new = match value {
            Some(value) => KBox::into_raw(KBox::new(
                Node {
                    head: pin_init::zeroed(),
                    value,
                },
                flags,
            )?),
            None => null_mut(),
        };
        // Readers that see the new pointer see the initialised node (and the old one is taken
        // exactly once).
        let old = self.ptr.xchg(new, Full);
        retire(old);
        Ok(())
    }
}

/// RCU callbacks of this module posted and not yet done with their work. A callback's work may
/// post another (the last reference to a value that holds an `RcuPtr` dropped in a callback),
/// which one `rcu_barrier` does not wait for: [`CallbacksBarrier`] waits until none is left.
static PENDING: Atomic<i64> = Atomic::new(0);

/// Posts `func` for `head` with `call_rcu`, counted in [`PENDING`]; `func` must call
/// [`callback_done`] as the last thing it does.
///
/// # Safety
///
/// As for `call_rcu`: `head` is not posted already and stays valid until `func` runs.
pub(crate) unsafe fn call_rcu_counted(
    head: *mut bindings::callback_head,
    func: unsafe extern "C" fn(*mut bindings::callback_head),
) {
    PENDING.add(1, Relaxed);
    // SAFETY: The caller's guarantees.
    unsafe { bindings::call_rcu(head, Some(func)) };
}

/// The end of a callback posted by [`call_rcu_counted`]: whatever it posted is counted already.
pub(crate) fn callback_done() {
    PENDING.fetch_sub(1, Release);
}

/// Frees `old` (if any) once every reader that may see it is gone.
fn retire<T: Send + Sync + 'static>(old: *mut Node<T>) {
    if !old.is_null() {
        // SAFETY: `old` is a live node that is no longer published; the callback frees it
        // exactly once, after a grace period.
        unsafe { call_rcu_counted(&raw mut (*old).head, free_node::<T>) };
    }
}

/// # Safety
///
/// Called by RCU only, for the `head` of a node passed to `call_rcu` by [`retire`].
unsafe extern "C" fn free_node<T: Send + Sync + 'static>(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `repr(C)` `Node<T>` from `KBox::into_raw`, no
    // longer reachable by any reader.
    drop(unsafe { KBox::from_raw(head.cast::<Node<T>>()) });
    callback_done();
}

impl<T: Send + Sync + 'static> Drop for RcuPtr<T> {
    fn drop(&mut self) {
        // Readers may still hold the value: free it after a grace period like any replaced one.
        retire(*self.ptr.get_mut());
    }
}

/// Waits for every RCU callback of this module to have run: the last thing module unload does,
/// so that no callback runs after its code is gone.
pub(crate) struct CallbacksBarrier;

impl Drop for CallbacksBarrier {
    fn drop(&mut self) {
        // With none pending before a barrier, none is queued or at work: the barrier then waits
        // for the ones that have done their work (`callback_done`) to return. Otherwise the
        // barrier lets the queued ones run, and what they posted is waited for next time round.
        loop {
            let pending = PENDING.load(Acquire);
            rcu::rcu_barrier();
            if pending == 0 {
                break;
            }
        }
    }
}
