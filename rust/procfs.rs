// SPDX-License-Identifier: GPL-2.0

//! Per-namespace `/proc/net` files whose whole text comes from one `show` call.
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)

use core::{fmt, marker::PhantomData};
use kernel::{bindings, error::from_result, prelude::*, str::CStrExt};

use super::{bindings as glue, net::Net};

/// The text of a `/proc/net` file: a [`fmt::Write`] sink into the file's `seq_file`.
///
/// # Invariants
///
/// `seq` is the live `seq_file` of the `show` call this value was created for.
pub(crate) struct ProcText<'a> {
    seq: *mut bindings::seq_file,
    _call: PhantomData<&'a mut bindings::seq_file>,
}

impl fmt::Write for ProcText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // An overflow is not an error here: `seq_file` notices it and calls `show` again with a
        // bigger buffer, as for `seq_printf`.
        // SAFETY: `seq` is live by the type invariant and `s` is readable for `s.len()` bytes.
        unsafe { bindings::seq_write(self.seq, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// What a `/proc/net` file shows.
pub(crate) trait ProcShow: 'static {
    /// Writes the whole file for namespace `net`.
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result;
}

/// A `/proc/net/<name>` file of one namespace; removed when dropped.
///
/// # Invariants
///
/// The entry `name` exists in the `/proc/net` of `net`, which outlives this value (it is dropped
/// from the namespace's pernet exit at the latest).
pub(crate) struct ProcNetFile {
    name: &'static CStr,
    net: *mut bindings::net,
}

// SAFETY: The value only names a proc entry; removing it is allowed from any thread.
unsafe impl Send for ProcNetFile {}
// SAFETY: `&ProcNetFile` gives no access to anything.
unsafe impl Sync for ProcNetFile {}

impl ProcNetFile {
    /// Creates `/proc/net/<name>` in `net` with file mode `mode`, its text written by `S`.
    pub(crate) fn new<S: ProcShow>(net: &Net, name: &'static CStr, mode: u16) -> Result<Self> {
        // SAFETY: `net` is live; `name` is a static C string; `show_callback::<S>` matches the
        // `show` signature `single_open_net` expects.
        let entry = unsafe {
            glue::ipvs_rs_proc_create_net_single(
                name.as_char_ptr(),
                mode,
                net.as_raw(),
                Some(show_callback::<S>),
            )
        };
        if entry.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: the entry was just created in `net`.
        Ok(Self {
            name,
            net: net.as_raw(),
        })
    }
}

impl Drop for ProcNetFile {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the entry exists and `net` is live. `remove_proc_entry`
        // waits for running `show` calls to finish.
        unsafe { glue::ipvs_rs_remove_proc_entry(self.name.as_char_ptr(), self.net) };
    }
}

/// The `show` of every file made by [`ProcNetFile::new`].
///
/// # Safety
///
/// Called by `seq_file` only, for an open file created by `proc_create_net_single`.
unsafe extern "C" fn show_callback<S: ProcShow>(
    seq: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    from_result(|| {
        // SAFETY: This is the `show` of a `proc_create_net_single` file, whose `seq_file` holds a
        // reference on the namespace for as long as the file is open.
        let net = unsafe { Net::from_raw(glue::ipvs_rs_seq_file_single_net(seq)) };
        // INVARIANT: `seq` is the `seq_file` of this `show` call.
        let mut text = ProcText {
            seq,
            _call: PhantomData,
        };
        S::show(net, &mut text)?;
        Ok(0)
    })
}
