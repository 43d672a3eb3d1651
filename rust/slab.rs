// SPDX-License-Identifier: GPL-2.0

//! Reference-counted objects in a dedicated slab cache (`kmem_cache`), as C keeps its
//! connections in `ip_vs_conn_cachep`: each object takes its exact size (a `kmalloc` one is
//! rounded up to the next power of two or so), and the cache shows in `/proc/slabinfo`.
//!
//! Also [`EntryRef`], the owned references that the intrusive [`hash_table`] and [`expiry`]
//! timers keep as raw pointers: the kernel's `Arc` and [`CacheArc`].
//!
//! [`hash_table`]: super::hash_table
//! [`expiry`]: super::expiry
//!
//! C header: [`include/linux/slab.h`](srctree/include/linux/slab.h)

use core::{
    marker::PhantomData,
    mem::{align_of, offset_of, size_of, ManuallyDrop},
    ops::Deref,
    ptr::{self, null_mut, NonNull},
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Arc, Refcount,
    },
};

use super::bindings as glue;

/// Owned references to an entry that can be kept as a raw pointer to it.
///
/// # Safety
///
/// `into_raw` gives a pointer to the target that stays valid until `from_raw` takes it back;
/// a pointer from `into_raw` given to `clone_raw` while the reference it stands for is kept
/// gives a new, independent reference.
pub(crate) unsafe trait EntryRef: Deref + Clone + Send + Sync + 'static
where
    Self::Target: Sized,
{
    /// Gives up the reference as a pointer to its target.
    fn into_raw(self) -> *const Self::Target;

    /// Takes back a reference given up by [`EntryRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `p` comes from `into_raw`, and is taken back once.
    unsafe fn from_raw(p: *const Self::Target) -> Self;

    /// A new reference to the target of `p`.
    ///
    /// # Safety
    ///
    /// `p` comes from `into_raw` and its reference is still kept (by whoever has `p`).
    unsafe fn clone_raw(p: *const Self::Target) -> Self {
        // SAFETY: The caller's `p` stands for a live reference; it is not dropped here.
        let r = ManuallyDrop::new(unsafe { Self::from_raw(p) });
        (*r).clone()
    }
}

// SAFETY: `Arc::into_raw` and `Arc::from_raw` are such a pair; cloning adds a reference.
unsafe impl<T: Send + Sync + 'static> EntryRef for Arc<T> {
    fn into_raw(self) -> *const T {
        Arc::into_raw(self)
    }

    unsafe fn from_raw(p: *const T) -> Self {
        // SAFETY: By the caller's contract.
        unsafe { Arc::from_raw(p) }
    }
}

/// The slab cache of one type, created when the module loads.
///
/// # Invariants
///
/// `cache` is null or a cache created for `Inner<T>` of the one type whose [`Slabbed::slab`]
/// this is; it is destroyed only by [`SlabRegistration::drop`].
pub(crate) struct Slab {
    cache: Atomic<*mut kernel::bindings::kmem_cache>,
}

// SAFETY: The cache is used through the slab API only, which serialises itself.
unsafe impl Sync for Slab {}

impl Slab {
    /// No cache yet.
    pub(crate) const fn new() -> Self {
        Self {
            cache: Atomic::new(null_mut()),
        }
    }

    /// Creates the cache of `T`'s objects, named `name`; it goes with the returned
    /// registration, which the module keeps until its last object is freed.
    pub(crate) fn create<T: Slabbed>(name: &'static CStr) -> Result<SlabRegistration> {
        let slab = T::slab();
        // SAFETY: `name` is a static C string; the size and alignment are those of `Inner<T>`.
        let cache = unsafe {
            glue::ipvs_rs_kmem_cache_create(
                name.as_char_ptr(),
                size_of::<Inner<T>>() as u32,
                align_of::<Inner<T>>() as u32,
            )
        };
        if cache.is_null() {
            return Err(ENOMEM);
        }
        slab.cache.store(cache, Release);
        Ok(SlabRegistration { slab })
    }
}

/// Keeps a [`Slab`]'s cache until dropped.
pub(crate) struct SlabRegistration {
    slab: &'static Slab,
}

impl Drop for SlabRegistration {
    fn drop(&mut self) {
        let cache = self.slab.cache.xchg(null_mut(), Acquire);
        // No object is allocated from it any more (the pointer is cleared), and the module frees
        // every object before dropping this (one left over is a leak the allocator reports).
        // SAFETY: `cache` was created by `Slab::create` and is destroyed once.
        unsafe { glue::ipvs_rs_kmem_cache_destroy(cache) };
    }
}

/// Types whose objects live in a slab cache of their own.
pub(crate) trait Slabbed: Sized + Send + Sync + 'static {
    /// The cache, a `static`.
    fn slab() -> &'static Slab;
}

/// An object and its reference count, as allocated from the cache.
#[repr(C)]
struct Inner<T> {
    refs: Refcount,
    value: T,
}

/// A reference-counted `T` in `T`'s slab cache: the kernel's `Arc`, allocated from a cache.
///
/// # Invariants
///
/// `ptr` points to an `Inner<T>` from `T`'s cache with an initialised, pinned value, and a
/// count that includes this reference.
pub(crate) struct CacheArc<T: Slabbed> {
    ptr: NonNull<Inner<T>>,
    _t: PhantomData<Inner<T>>,
}

// SAFETY: As `Arc<T>`: the object is shared, and dropped by whichever reference goes last.
unsafe impl<T: Slabbed> Send for CacheArc<T> {}
// SAFETY: See `Send`.
unsafe impl<T: Slabbed> Sync for CacheArc<T> {}

impl<T: Slabbed> CacheArc<T> {
    /// A new object initialised by `init`, allocated without sleeping (`GFP_ATOMIC`: objects
    /// are made on the packet path); an allocation error also if the cache is not there (the
    /// module is not loaded yet, or no longer).
    pub(crate) fn pin_init<E>(init: impl PinInit<T, E>) -> Result<Self>
    where
        Error: From<E>,
    {
        let cache = T::slab().cache.load(Acquire);
        if cache.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `cache` is a live cache of `Inner<T>` objects (type invariant of `Slab`).
        let p = unsafe { glue::ipvs_rs_kmem_cache_alloc_atomic(cache) }.cast::<Inner<T>>();
        let Some(ptr) = NonNull::new(p) else {
            return Err(ENOMEM);
        };
        // SAFETY: `p` is a fresh, properly sized and aligned object.
        unsafe { (&raw mut (*p).refs).write(Refcount::new(1)) };
        // SAFETY: The value's slot is valid and never moves (the object is freed in place).
        if let Err(e) = unsafe { init.__init(&raw mut (*p).value) } {
            // SAFETY: Nothing was initialised that needs dropping; the object is ours.
            unsafe { glue::ipvs_rs_kmem_cache_free(cache, p.cast()) };
            return Err(e.into());
        }
        // INVARIANT: the value is initialised, the count is one: this reference.
        Ok(Self {
            ptr,
            _t: PhantomData,
        })
    }

    /// Whether `a` and `b` are the same object.
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: The object is live while this reference is (type invariant).
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: Slabbed> Deref for CacheArc<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: Slabbed> Clone for CacheArc<T> {
    fn clone(&self) -> Self {
        self.inner().refs.inc();
        // INVARIANT: the count includes the new reference.
        Self {
            ptr: self.ptr,
            _t: PhantomData,
        }
    }
}

impl<T: Slabbed> Drop for CacheArc<T> {
    fn drop(&mut self) {
        if !self.inner().refs.dec_and_test() {
            return;
        }
        let p = self.ptr.as_ptr();
        // The cache is there while objects are: the module frees every one before it goes.
        // SAFETY: This was the last reference: the value is dropped once, then the object is
        // freed to the cache it came from.
        unsafe {
            ptr::drop_in_place(&raw mut (*p).value);
            glue::ipvs_rs_kmem_cache_free(T::slab().cache.load(Acquire), p.cast());
        }
    }
}

// SAFETY: `into_raw` keeps the count and gives the value's address; `from_raw` finds the object
// from it again.
unsafe impl<T: Slabbed> EntryRef for CacheArc<T> {
    fn into_raw(self) -> *const T {
        let this = ManuallyDrop::new(self);
        &this.inner().value
    }

    unsafe fn from_raw(p: *const T) -> Self {
        let inner = p
            .cast::<u8>()
            .wrapping_sub(offset_of!(Inner<T>, value))
            .cast::<Inner<T>>();
        // INVARIANT: by the caller's contract, `p` stands for a reference `into_raw` gave up.
        Self {
            // SAFETY: Derived from a non-null object pointer.
            ptr: unsafe { NonNull::new_unchecked(inner.cast_mut()) },
            _t: PhantomData,
        }
    }
}
