// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state (`struct pernet_operations` with a `net_generic` slot).
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::from_result,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
    types::Opaque, //
};

use pin_init::PinInit;

use super::{bindings as glue, net::Net};

/// State kept for every network namespace while the operations are registered.
pub(crate) trait PernetData: Sized + Send + Sync + 'static {
    /// Initialiser for the state of a namespace that is being set up.
    fn init(net: &Net) -> impl PinInit<Self, Error>;

    /// The one static `PernetOps` of this type (C callbacks carry no context pointer).
    fn ops() -> &'static PernetOps<Self>;
}

/// The slot C allocates for each namespace is `kzalloc`ed: alignment up to this is guaranteed.
const SLOT_ALIGN: usize = 8;

/// Pernet operations whose per-namespace data is a pinned `T` living in the `net_generic` slot.
///
/// Declare one as a `static` and call [`PernetOps::register`] from module init.
///
/// # Invariants
///
/// While `registered` is true, `ops` is registered with the kernel, `id` holds the id it
/// assigned, and every live namespace has an initialised `T` in slot `id`.
pub(crate) struct PernetOps<T: PernetData> {
    ops: Opaque<bindings::pernet_operations>,
    id: Opaque<u32>,
    registered: Atomic<bool>,
    _t: PhantomData<T>,
}

// SAFETY: The C side serialises registration; after it the fields are only read, and `T` is
// `Send + Sync`.
unsafe impl<T: PernetData> Sync for PernetOps<T> {}

impl<T: PernetData> PernetOps<T> {
    /// Creates unregistered operations, usable in a `static` initialiser.
    pub(crate) const fn new() -> Self {
        const {
            assert!(core::mem::align_of::<T>() <= SLOT_ALIGN);
        }
        Self {
            ops: Opaque::new(bindings::pernet_operations {
                init: Some(Self::init_callback),
                exit: Some(Self::exit_callback),
                size: core::mem::size_of::<T>(),
                ..pin_init::zeroed()
            }),
            id: Opaque::new(0),
            registered: Atomic::new(false),
            _t: PhantomData,
        }
    }

    /// Registers the operations: `T` is set up for every existing and future namespace.
    pub(crate) fn register(&'static self) -> Result<PernetRegistration<T>> {
        // SAFETY: `ops` is not registered yet (a second registration would fail in C before
        // touching it), so nothing else reads it; `id` lives as long as `self`, i.e. forever.
        unsafe { (*self.ops.get()).id = self.id.get() };
        // SAFETY: `ops` is a valid, static `pernet_operations` with callbacks that match `T`.
        kernel::error::to_result(unsafe { bindings::register_pernet_subsys(self.ops.get()) })?;
        // INVARIANT: registration succeeded, so `id` is assigned and every namespace has a `T`.
        self.registered.store(true, Release);
        Ok(PernetRegistration { ops: self })
    }

    /// Returns the state of `net`, or `None` if the operations are not registered.
    #[inline]
    pub(crate) fn get<'a>(&self, net: &'a Net) -> Option<&'a T> {
        if !self.registered.load(Acquire) {
            return None;
        }
        // SAFETY: Registered, so `id` was written before `registered` was published.
        let id = unsafe { *self.id.get() };
        // SAFETY: `net` is live and `id` is a registered pernet id.
        let ptr = unsafe { glue::ipvs_rs_net_generic(net.as_raw(), id) }.cast::<T>();
        // SAFETY: By the type invariant the slot holds an initialised `T` while `net` lives, and
        // it is only dropped by `exit_callback` once no user of the namespace is left.
        Some(unsafe { &*ptr })
    }

    fn slot(net: *mut bindings::net) -> *mut T {
        // SAFETY: Called from the init/exit callbacks only, where `net` is live and `id` set.
        unsafe { glue::ipvs_rs_net_generic(net, *T::ops().id.get()).cast::<T>() }
    }

    /// # Safety
    ///
    /// Called by the kernel only, for a namespace being set up, after `register`.
    unsafe extern "C" fn init_callback(net: *mut bindings::net) -> c_int {
        from_result(|| {
            // SAFETY: The kernel calls `init` with a live namespace that outlives the call.
            let netref = unsafe { Net::from_raw(net) };
            let slot = Self::slot(net);
            // C allocated `slot` for this namespace: zeroed, `size_of::<T>()` bytes, aligned
            // enough (checked at build time), and it never moves.
            // SAFETY: So `T` may be initialised there and stays pinned; on error nothing is left.
            unsafe { T::init(netref).__init(slot) }?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the kernel only, once, for a namespace whose `init_callback` succeeded.
    unsafe extern "C" fn exit_callback(net: *mut bindings::net) {
        // SAFETY: `init_callback` succeeded for this namespace (C does not call `exit` otherwise)
        // and this is the last use of the slot.
        unsafe { core::ptr::drop_in_place(Self::slot(net)) };
    }
}

/// Registered pernet operations; unregisters (dropping every namespace's `T`) when dropped.
pub(crate) struct PernetRegistration<T: PernetData> {
    ops: &'static PernetOps<T>,
}

impl<T: PernetData> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        self.ops.registered.store(false, Release);
        // SAFETY: `ops` was registered by `register`, which created `self`.
        unsafe { bindings::unregister_pernet_subsys(self.ops.ops.get()) };
    }
}
