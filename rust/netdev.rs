// SPDX-License-Identifier: GPL-2.0

//! Network devices (`struct net_device`) and the notifier that tells of their changes.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use core::{marker::PhantomData, ptr::null_mut};
use kernel::{
    bindings,
    ffi::{c_int, c_ulong, c_void},
    prelude::*,
    types::Opaque,
};

use super::{bindings as glue, net::Net};

/// A network device, borrowed from C for the length of a notifier call.
///
/// # Invariants
///
/// The wrapped `struct net_device` is alive for the lifetime of every `&NetDevice`.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<bindings::net_device>);

impl NetDevice {
    /// Returns the raw pointer for passing to C.
    pub(crate) fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }
}

/// What a module does when devices change. Only the events it needs are passed on.
pub(crate) trait NetdevEvents: Sized + 'static {
    /// `NETDEV_DOWN`: `dev`, of namespace `net`, went down. Runs in process context, with the
    /// RTNL held: whatever lock it takes must never be held while taking the RTNL.
    fn down(net: &Net, dev: &NetDevice);
}

/// A netdevice notifier block calling `T`'s handlers. Declare one as a `static` and call
/// [`NetdevNotifier::register`] from module init.
///
/// # Invariants
///
/// `nb` is registered with the kernel only while the [`NetdevRegistration`] that
/// [`NetdevNotifier::register`] returned lives.
pub(crate) struct NetdevNotifier<T: NetdevEvents> {
    nb: Opaque<bindings::notifier_block>,
    _t: PhantomData<T>,
}

// SAFETY: The kernel serialises registration and reads the block under its own locking; Rust
// never touches it otherwise.
unsafe impl<T: NetdevEvents> Sync for NetdevNotifier<T> {}

impl<T: NetdevEvents> NetdevNotifier<T> {
    /// An unregistered notifier, usable in a `static` initialiser.
    pub(crate) const fn new() -> Self {
        Self {
            nb: Opaque::new(bindings::notifier_block {
                notifier_call: Some(Self::call),
                next: null_mut(),
                // As C's: before addrconf, which on a device going down first moves IPv6
                // routes off it (to the blackhole device), where they would no longer be
                // recognised as the device's.
                priority: glue::ADDRCONF_NOTIFY_PRIORITY as i32 + 5,
            }),
            _t: PhantomData,
        }
    }

    /// Registers the notifier. The kernel replays the registration of existing devices (which
    /// `T` does not handle).
    pub(crate) fn register(&'static self) -> Result<NetdevRegistration<T>> {
        // SAFETY: `nb` is static and its callback matches; registering a block that is already
        // registered fails in C (`-EEXIST`) without changing it.
        kernel::error::to_result(unsafe { glue::register_netdevice_notifier(self.nb.get()) })?;
        Ok(NetdevRegistration { notifier: self })
    }

    /// # Safety
    ///
    /// Called by the kernel only, as the notifier of a netdevice event, with `info` the event's
    /// `netdev_notifier_info`.
    unsafe extern "C" fn call(
        _nb: *mut bindings::notifier_block,
        event: c_ulong,
        info: *mut c_void,
    ) -> c_int {
        if event == glue::IPVS_RS_NETDEV_DOWN as c_ulong {
            // SAFETY: `info` is a netdevice event's info (function safety requirement).
            let dev = unsafe { glue::ipvs_rs_netdev_notifier_dev(info) };
            // SAFETY: The device lives through the notifier call, and so does its namespace.
            let net = unsafe { Net::from_raw(glue::ipvs_rs_dev_net(dev)) };
            // SAFETY: `NetDevice` is `repr(transparent)` over `Opaque<net_device>`; the device
            // lives through the call, which the reference does not outlive.
            T::down(net, unsafe { &*dev.cast::<NetDevice>() });
        }
        bindings::NOTIFY_DONE as c_int
    }
}

/// A registered [`NetdevNotifier`]; unregisters it when dropped (the kernel then sends `T` the
/// events of every device going away, down included).
pub(crate) struct NetdevRegistration<T: NetdevEvents> {
    notifier: &'static NetdevNotifier<T>,
}

impl<T: NetdevEvents> Drop for NetdevRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: `nb` was registered by `register`, which created `self`; it is unregistered
        // once, here.
        unsafe { glue::unregister_netdevice_notifier(self.notifier.nb.get()) };
    }
}
