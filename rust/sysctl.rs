// SPDX-License-Identifier: GPL-2.0

//! Per-namespace sysctl tables of integers (`register_net_sysctl_sz`).
//!
//! C header: [`include/linux/sysctl.h`](srctree/include/linux/sysctl.h)

use core::ptr::addr_of_mut;
use kernel::{bindings, prelude::*, str::CStrExt, types::Opaque};

use super::net::Net;

/// How a sysctl reads and writes its integer.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Any `int` (`proc_dointvec`).
    Int,
    /// An `int` within `min..=max`; others are refused with `EINVAL` (`proc_dointvec_minmax`).
    IntRange(i32, i32),
    /// Stored in jiffies, shown and written in seconds (`proc_dointvec_jiffies`).
    Jiffies,
}

/// One entry of a table.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// File name under the table's directory.
    pub(crate) name: &'static CStr,
    /// How the value is parsed and checked.
    pub(crate) handler: Handler,
    /// Initial value.
    pub(crate) default: i32,
    /// Mode 0444 instead of 0644 in namespaces owned by a non-initial user namespace.
    pub(crate) read_only_if_unprivileged: bool,
}

/// A registered table of `N` integer sysctls in one namespace.
///
/// # Invariants
///
/// `header` is the registration of `table`, whose entries point at `values` and `bounds` of this
/// same pinned object; it stays registered until drop. C reads and writes `values` only through
/// the handlers; Rust reads and writes them with volatile accesses, as `READ_ONCE`/`WRITE_ONCE`.
#[pin_data(PinnedDrop)]
pub(crate) struct NetSysctlTable<const N: usize> {
    #[pin]
    values: [Opaque<c_int>; N],
    #[pin]
    bounds: [Opaque<[c_int; 2]>; N],
    #[pin]
    table: Opaque<[bindings::ctl_table; N]>,
    header: *mut bindings::ctl_table_header,
}

// SAFETY: The values are accessed with volatile, word-sized accesses that C also tolerates for
// sysctls; `header` is only used to unregister.
unsafe impl<const N: usize> Send for NetSysctlTable<N> {}
// SAFETY: See `Send`.
unsafe impl<const N: usize> Sync for NetSysctlTable<N> {}

impl<const N: usize> NetSysctlTable<N> {
    /// Registers `entries` under `path` (e.g. `net/ipv4/vs`) in `net`.
    pub(crate) fn new<'a>(
        net: &'a Net,
        path: &'static CStr,
        entries: &'static [Entry; N],
    ) -> impl PinInit<Self, Error> + 'a {
        let unprivileged = !net.owned_by_init_user_ns();
        // SAFETY: The closure initialises every field of `*slot` or returns an error after which
        // nothing needs dropping (the table is registered last).
        unsafe {
            pin_init::pin_init_from_closure(move |slot: *mut Self| {
                let values = addr_of_mut!((*slot).values).cast::<c_int>();
                let bounds = addr_of_mut!((*slot).bounds).cast::<[c_int; 2]>();
                let table = addr_of_mut!((*slot).table).cast::<bindings::ctl_table>();
                for (i, e) in entries.iter().enumerate() {
                    let (handler, range) = match e.handler {
                        Handler::Int => (bindings::proc_dointvec as ProcHandler, [0, 0]),
                        Handler::IntRange(min, max) => {
                            (bindings::proc_dointvec_minmax as ProcHandler, [min, max])
                        }
                        Handler::Jiffies => {
                            (bindings::proc_dointvec_jiffies as ProcHandler, [0, 0])
                        }
                    };
                    let ranged = matches!(e.handler, Handler::IntRange(..));
                    values.add(i).write(e.default);
                    bounds.add(i).write(range);
                    let b = bounds.add(i).cast::<c_int>();
                    table.add(i).write(bindings::ctl_table {
                        procname: e.name.as_char_ptr(),
                        data: values.add(i).cast(),
                        maxlen: core::mem::size_of::<c_int>() as c_int,
                        mode: if unprivileged && e.read_only_if_unprivileged {
                            0o444
                        } else {
                            0o644
                        },
                        proc_handler: Some(handler),
                        extra1: if ranged {
                            b.cast()
                        } else {
                            core::ptr::null_mut()
                        },
                        extra2: if ranged {
                            b.add(1).cast()
                        } else {
                            core::ptr::null_mut()
                        },
                        ..pin_init::zeroed()
                    });
                }
                // SAFETY (of the call): `net` is live, `path` is a static C string and `table`
                // holds `N` initialised entries that stay pinned until `drop` unregisters them.
                let header =
                    bindings::register_net_sysctl_sz(net.as_raw(), path.as_char_ptr(), table, N);
                if header.is_null() {
                    return Err(ENOMEM);
                }
                // INVARIANT: `header` registers `table`, which points into this object.
                addr_of_mut!((*slot).header).write(header);
                Ok(())
            })
        }
    }
}

type ProcHandler = unsafe extern "C" fn(
    *const bindings::ctl_table,
    c_int,
    *mut c_void,
    *mut usize,
    *mut bindings::loff_t,
) -> c_int;

#[pinned_drop]
impl<const N: usize> PinnedDrop for NetSysctlTable<N> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `header` is registered by the type invariant; unregistering waits for running
        // handlers, after which nothing points into `self` any more.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
