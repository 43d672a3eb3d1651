// SPDX-License-Identifier: GPL-2.0

//! The IPVS state of one network namespace.

use kernel::{new_mutex, prelude::*, sync::Mutex};

use crate::{
    ctl,
    daemon::Daemons,
    glue::{net::Net, pernet, procfs::ProcNetFile, sysctl::NetSysctlTable},
    service::Services,
    timeouts::Timeouts,
};

/// Everything a namespace's IPVS needs; lives in the namespace's pernet slot.
///
/// Fields drop in declaration order: the user-visible entry points (proc files, sysctls) go
/// first, so nothing can reach the state behind them while it is torn down.
#[pin_data]
pub(crate) struct Ipvs {
    _proc_services: ProcNetFile,
    _proc_stats: ProcNetFile,
    _proc_stats_percpu: ProcNetFile,
    #[pin]
    pub(crate) sysctls: NetSysctlTable<{ ctl::sysctl::COUNT }>,
    /// Configuration changed by the control plane; the mutex serialises its commands.
    #[pin]
    pub(crate) config: Mutex<Config>,
}

/// Configuration state, under [`Ipvs::config`].
pub(crate) struct Config {
    /// The timeouts user space reads and sets.
    pub(crate) timeouts: Timeouts,
    /// Virtual services and their real servers.
    pub(crate) services: Services,
    /// Connection-synchronisation daemons.
    pub(crate) daemons: Daemons,
}

/// The per-namespace registration of [`Ipvs`].
pub(crate) static IPVS: pernet::PernetOps<Ipvs> = pernet::PernetOps::new();

impl pernet::PernetData for Ipvs {
    fn init(net: &Net) -> impl PinInit<Self, Error> {
        // The proc file is created last: once it exists, readers may look at the rest.
        try_pin_init!(Self {
            config <- new_mutex!(Config {
                timeouts: Timeouts::DEFAULT,
                services: Services::new(),
                daemons: Daemons::new(),
            }),
            sysctls <- NetSysctlTable::new(net, c"net/ipv4/vs", &ctl::sysctl::ENTRIES),
            _proc_stats_percpu: ProcNetFile::new::<ctl::proc::StatsPerCpu>(
                net,
                c"ip_vs_stats_percpu",
                0o444
            )?,
            _proc_stats: ProcNetFile::new::<ctl::proc::Stats>(net, c"ip_vs_stats", 0o444)?,
            _proc_services: ProcNetFile::new::<ctl::proc::Services>(net, c"ip_vs", 0o444)?,
        })
    }

    fn ops() -> &'static pernet::PernetOps<Self> {
        &IPVS
    }
}

impl Ipvs {
    /// The state of `net`; `ENODEV` while the module is still loading or already unloading.
    pub(crate) fn of(net: &Net) -> Result<&Ipvs> {
        IPVS.get(net).ok_or(ENODEV)
    }
}
