// SPDX-License-Identifier: GPL-2.0

//! Socket options served by a module (`nf_register_sockopt`): `setsockopt`/`getsockopt` at
//! level `IPPROTO_IP` with option numbers in a range the module claims.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::{from_result, to_result},
    prelude::*,
    types::Opaque,
    uaccess::{UserPtr, UserSlice},
    ThisModule,
};

use super::{bindings as glue, net::Net};

/// The code behind a range of socket options.
pub(crate) trait Handler: 'static {
    /// `setsockopt` with an option in the set range.
    fn set(req: &SetRequest<'_>) -> Result;
    /// `getsockopt` with an option in the get range.
    fn get(req: &mut GetRequest<'_>) -> Result;
}

/// A `setsockopt` call: option, argument length, and the argument itself, read on demand.
///
/// # Invariants
///
/// `sk` is the caller's socket and `arg` points at `len` readable bytes, for `'a`.
pub(crate) struct SetRequest<'a> {
    sk: *mut bindings::sock,
    cmd: i32,
    arg: bindings::sockptr_t,
    len: usize,
    _p: PhantomData<&'a ()>,
}

impl<'a> SetRequest<'a> {
    /// The option number.
    pub(crate) fn cmd(&self) -> i32 {
        self.cmd
    }

    /// Length of the argument user space passed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The namespace of the socket.
    pub(crate) fn net(&self) -> &'a Net {
        net_of(self.sk)
    }

    /// Whether the caller has `CAP_NET_ADMIN` in the user namespace owning the socket's network
    /// namespace.
    pub(crate) fn net_admin(&self) -> bool {
        net_admin(self.sk)
    }

    /// Copies the first `buf.len()` bytes of the argument; `EINVAL` if it is shorter, `EFAULT`
    /// if user memory faults.
    pub(crate) fn read(&self, buf: &mut [u8]) -> Result {
        if buf.len() > self.len {
            return Err(EINVAL);
        }
        let mut arg = self.arg;
        // SAFETY: `buf` is writable for its length, and `arg` readable for `len >= buf.len()`
        // bytes (type invariant).
        let left = unsafe {
            glue::ipvs_rs_copy_from_sockptr(buf.as_mut_ptr().cast(), &mut arg, buf.len())
        };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }
}

/// A `getsockopt` call: option, the buffer length user space declared (in and out), and the
/// buffer, which may also carry input.
///
/// # Invariants
///
/// `sk` is the caller's socket and `len` the caller's length word, for `'a`; `user` is the user
/// space buffer.
pub(crate) struct GetRequest<'a> {
    sk: *mut bindings::sock,
    cmd: i32,
    user: *mut c_void,
    len: &'a mut c_int,
}

impl<'a> GetRequest<'a> {
    /// The option number.
    pub(crate) fn cmd(&self) -> i32 {
        self.cmd
    }

    /// The buffer length user space declared (possibly negative).
    pub(crate) fn len(&self) -> i32 {
        *self.len
    }

    /// Sets the length returned to user space.
    pub(crate) fn set_len(&mut self, len: i32) {
        *self.len = len;
    }

    /// The namespace of the socket.
    pub(crate) fn net(&self) -> &'a Net {
        net_of(self.sk)
    }

    /// See [`SetRequest::net_admin`].
    pub(crate) fn net_admin(&self) -> bool {
        net_admin(self.sk)
    }

    fn slice(&self, offset: usize, len: usize) -> Result<UserSlice> {
        let declared = usize::try_from(*self.len).map_err(|_| EINVAL)?;
        if offset.checked_add(len).is_none_or(|end| end > declared) {
            return Err(EINVAL);
        }
        let addr = (self.user as usize).checked_add(offset).ok_or(EFAULT)?;
        Ok(UserSlice::new(UserPtr::from_addr(addr), len))
    }

    /// Copies the start of the user buffer into `buf`; `EINVAL` beyond the declared length.
    pub(crate) fn read(&self, buf: &mut [u8]) -> Result {
        self.slice(0, buf.len())?.reader().read_slice(buf)
    }

    /// Copies `data` to the user buffer at `offset`; `EINVAL` beyond the declared length.
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> Result {
        self.slice(offset, data.len())?.writer().write_slice(data)
    }
}

fn net_of<'a>(sk: *mut bindings::sock) -> &'a Net {
    // SAFETY: `sk` is the live socket of a running sockopt call, which holds a reference on the
    // socket and so on its namespace.
    unsafe { Net::from_raw(glue::ipvs_rs_sock_net(sk)) }
}

fn net_admin(sk: *mut bindings::sock) -> bool {
    // SAFETY: `sk` is the live socket of a running sockopt call.
    unsafe { glue::ipvs_rs_sock_net_admin(sk) }
}

/// Option ranges (end exclusive) of a protocol family, handled by `H`.
///
/// # Invariants
///
/// `ops` is only handed to C by [`Sockopts::register`]; its callbacks are those of `H`.
pub(crate) struct Sockopts<H: Handler> {
    ops: Opaque<glue::nf_sockopt_ops>,
    _h: PhantomData<H>,
}

// SAFETY: After registration C owns the list links; Rust only passes the address around.
unsafe impl<H: Handler> Sync for Sockopts<H> {}

impl<H: Handler> Sockopts<H> {
    /// Describes the options `set` and `get` (ranges, end exclusive) of family `pf`.
    pub(crate) const fn new(
        module: &ThisModule,
        pf: u8,
        set: core::ops::Range<i32>,
        get: core::ops::Range<i32>,
    ) -> Self {
        Self {
            ops: Opaque::new(glue::nf_sockopt_ops {
                pf,
                set_optmin: set.start,
                set_optmax: set.end,
                set: Some(set_callback::<H>),
                get_optmin: get.start,
                get_optmax: get.end,
                get: Some(get_callback::<H>),
                owner: module.as_ptr(),
                // Set by `nf_register_sockopt`.
                list: bindings::list_head {
                    next: core::ptr::null_mut(),
                    prev: core::ptr::null_mut(),
                },
            }),
            _h: PhantomData,
        }
    }

    /// Registers the options (`EBUSY` if another module claims an overlapping range); they are
    /// unregistered when the returned value is dropped.
    pub(crate) fn register(&'static self) -> Result<SockoptsRegistration> {
        // SAFETY: `ops` is static and fully described (type invariant).
        to_result(unsafe { glue::nf_register_sockopt(self.ops.get()) })?;
        Ok(SockoptsRegistration {
            ops: self.ops.get(),
        })
    }
}

/// Registered socket options; unregistered on drop.
///
/// # Invariants
///
/// `ops` points at registered, `'static` options.
pub(crate) struct SockoptsRegistration {
    ops: *mut glue::nf_sockopt_ops,
}

// SAFETY: Unregistering may happen from any thread.
unsafe impl Send for SockoptsRegistration {}
// SAFETY: `&SockoptsRegistration` gives no access to anything.
unsafe impl Sync for SockoptsRegistration {}

impl Drop for SockoptsRegistration {
    fn drop(&mut self) {
        // SAFETY: Registered by the type invariant. `nf_sockopt_find` takes a module reference
        // for each call, so none is running while the module unloads.
        unsafe { glue::nf_unregister_sockopt(self.ops) };
    }
}

/// # Safety
///
/// Called by `nf_setsockopt` only: `sk` is the caller's socket and `arg` holds `len` bytes.
unsafe extern "C" fn set_callback<H: Handler>(
    sk: *mut bindings::sock,
    cmd: c_int,
    arg: bindings::sockptr_t,
    len: c_uint,
) -> c_int {
    // INVARIANT: C passes the caller's socket and an argument of `len` bytes.
    let req = SetRequest {
        sk,
        cmd,
        arg,
        len: len as usize,
        _p: PhantomData,
    };
    from_result(|| H::set(&req).map(|()| 0))
}

/// # Safety
///
/// Called by `nf_getsockopt` only: `sk` is the caller's socket, `user` its buffer and `len`
/// points at the length word.
unsafe extern "C" fn get_callback<H: Handler>(
    sk: *mut bindings::sock,
    cmd: c_int,
    user: *mut c_void,
    len: *mut c_int,
) -> c_int {
    // SAFETY: C passes a valid pointer to the length word, for the duration of the call.
    let len = unsafe { &mut *len };
    // INVARIANT: C passes the caller's socket, buffer and length word.
    let mut req = GetRequest { sk, cmd, user, len };
    from_result(|| H::get(&mut req).map(|()| 0))
}
