// SPDX-License-Identifier: GPL-2.0

//! `/proc/sys/net/ipv4/vs/`: the per-namespace sysctls, with C's names, defaults and ranges.
//!
//! Not here yet, because their handlers do more than store an `int` (they come with the
//! features behind them): `conn_max`, `sync_ports`, `sync_qlen_max`, `sync_threshold`,
//! `run_estimation`, `est_cpulist`, `est_nice`, `conn_lfactor`, `svc_lfactor`.

use crate::glue::sysctl::{Entry, Handler};

const fn int(name: &'static core::ffi::CStr, default: i32) -> Entry {
    Entry {
        name,
        handler: Handler::Int,
        default,
        read_only_if_unprivileged: false,
    }
}

const fn range(name: &'static core::ffi::CStr, default: i32, min: i32, max: i32) -> Entry {
    Entry {
        name,
        handler: Handler::IntRange(min, max),
        default,
        read_only_if_unprivileged: false,
    }
}

/// Number of entries.
pub(crate) const COUNT: usize = 23;

/// The table, in C's order.
pub(crate) static ENTRIES: [Entry; COUNT] = [
    int(c"amemthresh", 1024),
    int(c"am_droprate", 10),
    // The defence modes: 0 off, 1 auto, 2 active, 3 always.
    range(c"drop_entry", 0, 0, 3),
    range(c"drop_packet", 0, 0, 3),
    int(c"conntrack", 0),
    range(c"secure_tcp", 0, 0, 3),
    int(c"snat_reroute", 1),
    range(c"sync_version", 1, 0, 1),
    int(c"sync_persist_mode", 0),
    Entry {
        read_only_if_unprivileged: true,
        ..int(c"sync_sock_size", 0)
    },
    int(c"cache_bypass", 0),
    int(c"expire_nodest_conn", 0),
    int(c"sloppy_tcp", 0),
    int(c"sloppy_sctp", 0),
    int(c"expire_quiescent_template", 0),
    Entry {
        handler: Handler::Jiffies,
        ..int(c"sync_refresh_period", 0)
    },
    range(c"sync_retries", 0, 0, 3),
    int(c"nat_icmp_send", 0),
    int(c"pmtu_disc", 1),
    int(c"backup_only", 0),
    int(c"conn_reuse_mode", 1),
    int(c"schedule_icmp", 0),
    int(c"ignore_tunneled", 0),
];
