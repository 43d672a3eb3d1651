// SPDX-License-Identifier: GPL-2.0

//! Per-namespace sysctl tables (`register_net_sysctl_sz`) of integers, pairs of integers, an
//! `unsigned long` and CPU lists, with the standard handlers or a Rust check on writes.
//!
//! C header: [`include/linux/sysctl.h`](srctree/include/linux/sysctl.h)

use core::ptr::addr_of_mut;
use kernel::{bindings, prelude::*, str::CStrExt, types::Opaque};

use super::{bindings as glue, net::Net};

/// How a sysctl reads and writes its value.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Any `int` (`proc_dointvec`).
    Int,
    /// An `int` within `min..=max`; others are refused with `EINVAL` (`proc_dointvec_minmax`).
    IntRange(i32, i32),
    /// Stored in jiffies, shown and written in seconds (`proc_dointvec_jiffies`).
    Jiffies,
    /// `count` (1 or 2) `int`s shown on one line; a write that parses is handed to `accept`,
    /// which stores it or refuses it (its error is the write's).
    Checked {
        /// How many integers the file shows.
        count: usize,
        /// Decides about a write.
        accept: fn(&mut Write) -> Result,
    },
    /// An `unsigned long` (`proc_doulongvec_minmax` without bounds).
    ULong,
    /// A set of CPUs, shown and written as a CPU list (`0-3,6`); until written, it shows the
    /// CPUs kernel threads may run on. A written set is trimmed to the writer's allowed CPUs.
    CpuList,
}

/// A parsed write to a [`Handler::Checked`] sysctl.
pub(crate) struct Write {
    /// The values written (entries beyond the handler's `count` are unused).
    pub(crate) new: [i32; 2],
    /// The stored values, for `accept` to update; the second is private state for entries
    /// with `count` 1 (e.g. a limit only privileged writers may change).
    pub(crate) stored: [i32; 2],
    /// Whether the writer has `CAP_NET_ADMIN` in the initial user namespace.
    pub(crate) privileged: bool,
}

/// The initial value of an entry.
#[derive(Clone, Copy)]
pub(crate) enum Initial {
    /// For `Int`, `IntRange`, `Jiffies` and `Checked` entries: first and second value.
    Ints([i32; 2]),
    /// For `ULong` entries.
    ULong(c_ulong),
    /// For `CpuList` entries (which start unset).
    Unset,
    /// For `Int` and `Checked` entries: both values the first value of the same entry in the
    /// initial namespace's table (`init` of [`NetSysctlTable::new`]); there, both this.
    FromInitNet(i32),
}

/// One entry of a table.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// File name under the table's directory.
    pub(crate) name: &'static CStr,
    /// How the value is parsed and checked.
    pub(crate) handler: Handler,
    /// Initial value in a namespace.
    pub(crate) initial: fn(&Net) -> Initial,
    /// Mode 0444 instead of 0644 in namespaces owned by a non-initial user namespace.
    pub(crate) read_only_if_unprivileged: bool,
}

/// Storage of one value: two `int`s or one `unsigned long`, or a CPU list.
#[repr(C)]
union Slot {
    ints: [c_int; 2],
    ulong: c_ulong,
    cpus: core::mem::ManuallyDrop<glue::ipvs_rs_cpulist>,
}

/// A registered table of `N` sysctls in one namespace.
///
/// # Invariants
///
/// `header` is the registration of `table`, whose entries point at `slots`, `bounds` and
/// `entries` of this same pinned object; it stays registered until drop. Entry `i` of `table`
/// describes `entries[i]` (`extra2` points at it for `Checked` entries). C reads and writes the
/// slots only through the handlers; Rust reads them with volatile accesses, as `READ_ONCE`.
#[pin_data(PinnedDrop)]
pub(crate) struct NetSysctlTable<const N: usize> {
    #[pin]
    slots: [Opaque<Slot>; N],
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
    /// Registers `entries` under `path` (e.g. `net/ipv4/vs`) in `net`; `init` is the same table
    /// of the initial namespace (`None` in the initial namespace itself), which
    /// [`Initial::FromInitNet`] entries start from.
    pub(crate) fn new<'a>(
        net: &'a Net,
        path: &'static CStr,
        entries: &'static [Entry; N],
        init: Option<&'a Self>,
    ) -> impl PinInit<Self, Error> + 'a {
        let unprivileged = !net.owned_by_init_user_ns();
        // SAFETY: The closure initialises every field of `*slot` or returns an error after which
        // nothing needs dropping (the table is registered last).
        unsafe {
            pin_init::pin_init_from_closure(move |slot: *mut Self| {
                let slots = addr_of_mut!((*slot).slots).cast::<Slot>();
                let bounds = addr_of_mut!((*slot).bounds).cast::<[c_int; 2]>();
                let table = addr_of_mut!((*slot).table).cast::<bindings::ctl_table>();
                for (i, e) in entries.iter().enumerate() {
                    let value = slots.add(i);
                    value.write(match (e.initial)(net) {
                        Initial::Ints(ints) => Slot { ints },
                        Initial::ULong(ulong) => Slot { ulong },
                        Initial::FromInitNet(own) => {
                            // INVARIANT: `i < N`, an index of `entries`.
                            let v = init.map_or(own, |t| t.int(EntryIndex(i)));
                            Slot { ints: [v, v] }
                        }
                        Initial::Unset => Slot {
                            cpus: core::mem::ManuallyDrop::new(glue::ipvs_rs_cpulist {
                                valid: 0,
                                mask: pin_init::zeroed(),
                            }),
                        },
                    });
                    let b = bounds.add(i).cast::<c_int>();
                    let (handler, maxlen, extra1, extra2): (ProcHandler, usize, _, _) = match e
                        .handler
                    {
                        Handler::Int => (bindings::proc_dointvec, 4, null(), null()),
                        Handler::Jiffies => (bindings::proc_dointvec_jiffies, 4, null(), null()),
                        Handler::IntRange(min, max) => {
                            bounds.add(i).write([min, max]);
                            (bindings::proc_dointvec_minmax, 4, b.cast(), b.add(1).cast())
                        }
                        Handler::Checked { count, .. } => (
                            checked_handler,
                            count * 4,
                            null(),
                            core::ptr::from_ref(e).cast_mut().cast(),
                        ),
                        Handler::ULong => (bindings::proc_doulongvec_minmax, 8, null(), null()),
                        Handler::CpuList => (
                            glue::ipvs_rs_proc_cpulist,
                            core::mem::size_of::<glue::ipvs_rs_cpulist>(),
                            null(),
                            null(),
                        ),
                    };
                    table.add(i).write(bindings::ctl_table {
                        procname: e.name.as_char_ptr(),
                        data: value.cast(),
                        maxlen: maxlen as c_int,
                        mode: if unprivileged && e.read_only_if_unprivileged {
                            0o444
                        } else {
                            0o644
                        },
                        proc_handler: Some(handler),
                        extra1,
                        extra2,
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

    /// The (first) integer value of entry `i`.
    pub(crate) fn int(&self, i: EntryIndex<N>) -> i32 {
        // By the type invariant of `EntryIndex<N>`, `i.0 < N`: the index is in range.
        let slot = &self.slots[i.0];
        // SAFETY: The slot is valid memory of this table; every slot starts with an `int`
        // (CPU lists with their `valid` flag), read like `READ_ONCE`.
        unsafe { core::ptr::read_volatile(slot.get().cast::<c_int>()) }
    }
}

/// The index of an entry in a table of `N` entries.
///
/// # Invariants
///
/// The index is below `N`.
#[derive(Clone, Copy)]
pub(crate) struct EntryIndex<const N: usize>(usize);

impl<const N: usize> EntryIndex<N> {
    /// Entry `i`, checked against `N` (in a constant, at build time).
    pub(crate) const fn new(i: usize) -> Self {
        assert!(i < N, "no such sysctl entry");
        // INVARIANT: checked just above.
        Self(i)
    }
}

fn null() -> *mut c_void {
    core::ptr::null_mut()
}

type ProcHandler = unsafe extern "C" fn(
    *const bindings::ctl_table,
    c_int,
    *mut c_void,
    *mut usize,
    *mut bindings::loff_t,
) -> c_int;

/// `proc_handler` of [`Handler::Checked`] entries: parses into a copy, then asks `accept`.
///
/// # Safety
///
/// Called by the sysctl core only, for a table entry set up by [`NetSysctlTable::new`].
unsafe extern "C" fn checked_handler(
    table: *const bindings::ctl_table,
    write: c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> c_int {
    // SAFETY: The entry was set up by `NetSysctlTable::new`: `data` points at the slot's two
    // `int`s and `extra2` at the static `Entry` (type invariant).
    let (data, entry) = unsafe {
        (
            (*table).data.cast::<[c_int; 2]>(),
            &*(*table).extra2.cast::<Entry>(),
        )
    };
    let Handler::Checked { accept, .. } = entry.handler else {
        return EINVAL.to_errno();
    };
    // As C's handlers, concurrent writers are not serialised: the last one wins.
    // SAFETY: `data` is valid for the call; read like `READ_ONCE`.
    let stored = unsafe { core::ptr::read_volatile(data) };
    let mut new = stored;
    let tmp = bindings::ctl_table {
        data: new.as_mut_ptr().cast(),
        // SAFETY: `table` is valid for the call.
        maxlen: unsafe { (*table).maxlen },
        ..pin_init::zeroed()
    };
    // SAFETY: `tmp` describes `new`, which holds `maxlen` bytes; the rest are the caller's.
    let rc = unsafe { bindings::proc_dointvec(&tmp, write, buffer, lenp, ppos) };
    if write == 0 || rc != 0 {
        return rc;
    }
    let mut w = Write {
        new,
        stored,
        // SAFETY: Reads the current task's credentials; no preconditions.
        privileged: unsafe { bindings::capable(bindings::CAP_NET_ADMIN as c_int) },
    };
    match accept(&mut w) {
        // SAFETY: `data` is valid for the call; written like `WRITE_ONCE`.
        Ok(()) => unsafe {
            core::ptr::write_volatile(data, w.stored);
            0
        },
        Err(e) => e.to_errno(),
    }
}

#[pinned_drop]
impl<const N: usize> PinnedDrop for NetSysctlTable<N> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `header` is registered by the type invariant; unregistering waits for running
        // handlers, after which nothing points into `self` any more.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
