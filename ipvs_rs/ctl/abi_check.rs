// SPDX-License-Identifier: GPL-2.0

//! Build-time check that our numbers (`uapi.rs`, usable on the host) equal the C headers'.

use core::mem::size_of;

use kernel::bindings as k;

use crate::{ctl::sockopt_abi, glue::bindings as c, uapi};

/// Asserts, at build time, that each number of `uapi.rs` equals the C expression
/// [`uapi::with_c_names`] pairs it with, and each length the size of its C type, as the kernel's
/// headers define them.
macro_rules! same_as_kernel_headers {
    (numbers { $($($n:ident)::+ => $c:expr,)* } sizes { $($s:ident => $k:ident $t:ident,)* }) => {
        const _: () = {
            use c::*;
            use k::*;
            $(assert!(uapi::$($n)::+ as i64 == ($c) as i64);)*
            $(assert!(uapi::$s as usize == size_of::<$t>());)*
        };
    };
}
uapi::with_c_names!(same_as_kernel_headers);

// The sockopt structures' lengths.
const _: () = {
    assert!(sockopt_abi::SERVICE_USER_LEN == size_of::<c::ip_vs_service_user>());
    assert!(sockopt_abi::DEST_USER_LEN == size_of::<c::ip_vs_dest_user>());
    assert!(sockopt_abi::TIMEOUT_LEN == size_of::<c::ip_vs_timeout_user>());
    assert!(sockopt_abi::DAEMON_USER_LEN == size_of::<c::ip_vs_daemon_user>());
    assert!(sockopt_abi::GETINFO_LEN == size_of::<c::ip_vs_getinfo>());
    assert!(sockopt_abi::SERVICE_ENTRY_LEN == size_of::<c::ip_vs_service_entry>());
    assert!(sockopt_abi::DEST_ENTRY_LEN == size_of::<c::ip_vs_dest_entry>());
    assert!(sockopt_abi::GET_SERVICES_LEN == size_of::<c::ip_vs_get_services>());
    assert!(sockopt_abi::GET_DESTS_LEN == size_of::<c::ip_vs_get_dests>());
};
