// SPDX-License-Identifier: GPL-2.0

//! `/proc/sys/net/ipv4/vs/`: the per-namespace sysctls, with C's names, order, defaults, ranges
//! and modes (`debug_level` exists only in C builds with `CONFIG_IP_VS_DEBUG`).
//!
//! Until the features behind them land, values are only stored: the defence modes do not
//! switch themselves, and writing `run_estimation`, `est_nice` or the load factors restarts
//! nothing.

use kernel::{ffi::c_ulong, prelude::*};

use crate::{
    conn::reuse::ReuseSysctls,
    glue::{
        mm::nr_free_buffer_pages,
        net::Net,
        sysctl::{Entry, EntryIndex, Handler, Initial, NetSysctlTable, Write},
    },
    proto::Sloppy,
};

const fn entry(name: &'static CStr, handler: Handler, initial: fn(&Net) -> Initial) -> Entry {
    Entry {
        name,
        handler,
        initial,
        read_only_if_unprivileged: false,
    }
}

/// Marks an entry read-only in namespaces of other user namespaces (their root may not tune
/// host-wide resources).
const fn private(e: Entry) -> Entry {
    Entry {
        read_only_if_unprivileged: true,
        ..e
    }
}

macro_rules! int {
    ($name:literal, $value:expr) => {
        entry($name, Handler::Int, |_| Initial::Ints([$value, 0]))
    };
    ($name:literal, $value:expr, $handler:expr) => {
        entry($name, $handler, |_| Initial::Ints([$value, 0]))
    };
}

/// The most connections a namespace may have (`IP_VS_CONN_MAX`, 64-bit).
const CONN_MAX: i32 = 1 << 30;

/// Writers without `CAP_NET_ADMIN` in the initial user namespace may only go up to the hard
/// limit; privileged writers set the limit too.
fn conn_max_accept(w: &mut Write) -> Result {
    let max = if w.privileged { CONN_MAX } else { w.stored[1] };
    if !(0..=max).contains(&w.new[0]) {
        return Err(EINVAL);
    }
    if w.privileged {
        w.stored[1] = w.new[0];
    }
    w.stored[0] = w.new[0];
    Ok(())
}

/// `sync_ports`: at least one, and a power of two.
fn sync_ports_accept(w: &mut Write) -> Result {
    let v = w.new[0];
    if v != w.stored[0] && (v < 1 || v & (v - 1) != 0) {
        return Err(EINVAL);
    }
    w.stored[0] = v;
    Ok(())
}

/// `sync_threshold`: `threshold period`, both non-negative, threshold below a non-zero period.
fn sync_threshold_accept(w: &mut Write) -> Result {
    let [t, p] = w.new;
    if t < 0 || p < 0 || (t >= p && p != 0) {
        return Err(EINVAL);
    }
    w.stored = w.new;
    Ok(())
}

fn sync_qlen_max_initial(_: &Net) -> Initial {
    Initial::ULong(nr_free_buffer_pages() / 32 as c_ulong)
}

/// Load factor shift of a namespace's connection table to start with
/// (`ip_vs_conn_default_load_factor`): the initial namespace's table is kept emptier, and NAT
/// connections are filed twice (one less than the services' shifts).
pub(crate) fn conn_lfactor_default(net: &Net) -> i32 {
    if net.is_init() {
        -4
    } else {
        -2
    }
}

/// Load factor shifts of the connection and service tables.
fn conn_lfactor_initial(net: &Net) -> Initial {
    Initial::Ints([conn_lfactor_default(net), 0])
}

fn svc_lfactor_initial(net: &Net) -> Initial {
    Initial::Ints([if net.is_init() { -3 } else { -2 }, 0])
}

/// Number of entries.
pub(crate) const COUNT: usize = 32;

/// The table, in C's order.
pub(crate) static ENTRIES: [Entry; COUNT] = [
    int!(c"amemthresh", 1024),
    int!(c"am_droprate", 10),
    entry(
        c"conn_max",
        Handler::Checked {
            count: 1,
            accept: conn_max_accept,
        },
        // `[value, hard limit]`: the initial namespace starts at CONN_MAX; others inherit
        // both from its current value.
        |_| Initial::FromInitNet(CONN_MAX),
    ),
    // The defence modes: 0 off, 1 auto, 2 active, 3 always.
    int!(c"drop_entry", 0, Handler::IntRange(0, 3)),
    int!(c"drop_packet", 0, Handler::IntRange(0, 3)),
    int!(c"conntrack", 0),
    int!(c"secure_tcp", 0, Handler::IntRange(0, 3)),
    int!(c"snat_reroute", 1),
    int!(c"sync_version", 1, Handler::IntRange(0, 1)),
    int!(
        c"sync_ports",
        1,
        Handler::Checked {
            count: 1,
            accept: sync_ports_accept,
        }
    ),
    int!(c"sync_persist_mode", 0),
    private(entry(
        c"sync_qlen_max",
        Handler::ULong,
        sync_qlen_max_initial,
    )),
    private(int!(c"sync_sock_size", 0)),
    int!(c"cache_bypass", 0),
    int!(c"expire_nodest_conn", 0),
    int!(c"sloppy_tcp", 0),
    int!(c"sloppy_sctp", 0),
    int!(c"expire_quiescent_template", 0),
    entry(
        c"sync_threshold",
        Handler::Checked {
            count: 2,
            accept: sync_threshold_accept,
        },
        |_| Initial::Ints([3, 50]),
    ),
    int!(c"sync_refresh_period", 0, Handler::Jiffies),
    int!(c"sync_retries", 0, Handler::IntRange(0, 3)),
    int!(c"nat_icmp_send", 0),
    int!(c"pmtu_disc", 1),
    int!(c"backup_only", 0),
    int!(c"conn_reuse_mode", 1),
    int!(c"schedule_icmp", 0),
    int!(c"ignore_tunneled", 0),
    private(int!(c"run_estimation", 1)),
    private(entry(c"est_cpulist", Handler::CpuList, |_| Initial::Unset)),
    private(int!(c"est_nice", 0, Handler::IntRange(-20, 19))),
    private(entry(
        c"conn_lfactor",
        Handler::IntRange(-8, 8),
        conn_lfactor_initial,
    )),
    private(entry(
        c"svc_lfactor",
        Handler::IntRange(-8, 8),
        svc_lfactor_initial,
    )),
];

const _: () = assert!(matches!(
    ENTRIES[index(c"conn_max")].handler,
    Handler::Checked { count: 1, .. }
));

/// The index in [`ENTRIES`] of the sysctl called `name` (a build error if there is none).
const fn index(name: &CStr) -> usize {
    let name = name.to_bytes();
    let mut i = 0;
    while i < COUNT {
        let e = ENTRIES[i].name.to_bytes();
        if e.len() == name.len() {
            let mut j = 0;
            while j < e.len() && e[j] == name[j] {
                j += 1;
            }
            if j == e.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such sysctl");
}

/// The sysctl called `$name` of `$table`, its index proven in range at build time.
macro_rules! value {
    ($table:expr, $name:literal) => {
        $table.int(const { EntryIndex::<COUNT>::new(index($name)) })
    };
}

/// The sysctls the packet path reads, by name and meaning: a view of a namespace's table.
pub(crate) struct Sysctls<'a>(pub(crate) &'a NetSysctlTable<COUNT>);

impl Sysctls<'_> {
    /// `conn_lfactor`: the connection table's load factor shift.
    pub(crate) fn conn_lfactor(&self) -> i32 {
        value!(self.0, c"conn_lfactor")
    }

    /// `conn_max`: how many connections the namespace may hold.
    pub(crate) fn conn_max(&self) -> i32 {
        value!(self.0, c"conn_max")
    }

    /// Whether `secure_tcp` is above 1, so that TCP connections move by the defence's strict
    /// table (`ip_vs_protocol_timeout_change`).
    pub(crate) fn secure_tcp_table(&self) -> bool {
        value!(self.0, c"secure_tcp") > 1
    }

    /// `snat_reroute`: NAT replies are routed as if this host sent them.
    pub(crate) fn snat_reroute(&self) -> bool {
        value!(self.0, c"snat_reroute") != 0
    }

    /// `ignore_tunneled`: packets that came through a tunnel are left alone.
    pub(crate) fn ignore_tunneled(&self) -> bool {
        value!(self.0, c"ignore_tunneled") != 0
    }

    /// `pmtu_disc`: tunnelled packets keep DF and too-big ones are answered.
    pub(crate) fn pmtu_disc(&self) -> bool {
        value!(self.0, c"pmtu_disc") != 0
    }

    /// `expire_quiescent_template`: templates of a quiesced server are not used.
    pub(crate) fn expire_quiescent_template(&self) -> bool {
        value!(self.0, c"expire_quiescent_template") != 0
    }

    /// `nat_icmp_send`: a NAT reply of no connection from a real server is answered with an
    /// ICMP port unreachable.
    pub(crate) fn nat_icmp_send(&self) -> bool {
        value!(self.0, c"nat_icmp_send") != 0
    }

    /// `sloppy_tcp` and `sloppy_sctp`.
    pub(crate) fn sloppy(&self) -> Sloppy {
        Sloppy {
            tcp: value!(self.0, c"sloppy_tcp") != 0,
            sctp: value!(self.0, c"sloppy_sctp") != 0,
        }
    }

    /// `expire_nodest_conn` and `conn_reuse_mode`.
    pub(crate) fn reuse(&self) -> ReuseSysctls {
        ReuseSysctls {
            expire_nodest_conn: value!(self.0, c"expire_nodest_conn") != 0,
            conn_reuse_mode: value!(self.0, c"conn_reuse_mode"),
        }
    }
}
