// SPDX-License-Identifier: GPL-2.0

//! The IPVS state of one network namespace.

use kernel::{prelude::*, sync::Mutex};

use crate::{
    conn::table::RESIZE_PERIOD,
    ctl::sysctl::{Sysctls, COUNT as SYSCTLS},
    daemon::Daemons,
    glue::{
        net::Net,
        netdev::{NetDevice, NetdevEvents, NetdevNotifier},
        netfilter::{enable_ipv6_defrag, NetHooks},
        pernet,
        procfs::ProcNetFile,
        sysctl::NetSysctlTable,
        timer::Ticker,
    },
    path::{DataPlane, HOOKS_COUNT, TICK_PERIOD},
    proto::timeouts::Timeouts,
    svc::service::Services,
    uapi::Af,
};

/// Everything a namespace's IPVS needs; lives in the namespace's pernet slot, made by the
/// crate root (which wires the parts together: [`pernet::PernetData`] is implemented there).
///
/// Fields drop in declaration order: the netfilter hooks go first (unregistering waits for
/// running ones), then the user-visible entry points (proc files, sysctls), so nothing can reach
/// the state behind them while it is torn down; the packet-path state goes last.
#[pin_data]
pub(crate) struct Ipvs {
    /// The IPv4 netfilter hooks, registered while there are IPv4 services.
    #[pin]
    pub(crate) hooks_v4: NetHooks<HOOKS_COUNT>,
    /// The IPv6 netfilter hooks, registered while there are IPv6 services.
    #[pin]
    pub(crate) hooks_v6: NetHooks<HOOKS_COUNT>,
    pub(crate) _proc_conn_sync: ProcNetFile,
    pub(crate) _proc_conn: ProcNetFile,
    pub(crate) _proc_services: ProcNetFile,
    pub(crate) _proc_stats: ProcNetFile,
    pub(crate) _proc_stats_percpu: ProcNetFile,
    #[pin]
    pub(crate) sysctls: NetSysctlTable<SYSCTLS>,
    /// Configuration changed by the control plane; the mutex serialises its commands.
    #[pin]
    pub(crate) config: Mutex<Config>,
    /// Connections, counters and timeouts of the packet path, with the timer that expires
    /// connections.
    #[pin]
    pub(crate) dp: Ticker<DataPlane>,
}

/// Configuration state, under [`Ipvs::config`].
pub(crate) struct Config {
    /// The timeouts user space reads and sets.
    pub(crate) timeouts: Timeouts,
    /// Virtual services and their real servers.
    pub(crate) services: Services,
    /// Connection-synchronisation daemons.
    pub(crate) daemons: Daemons,
    /// Whether IPv6 defragmentation was turned on for the namespace (with its first IPv6
    /// service or real server, for good, as in C).
    pub(crate) ipv6_defrag: bool,
}

/// The per-namespace registration of [`Ipvs`].
pub(crate) static IPVS: pernet::PernetOps<Ipvs> = pernet::PernetOps::new();

/// What [`Ipvs`] is told of devices going down.
pub(crate) static NETDEV: NetdevNotifier<Ipvs> = NetdevNotifier::new();

impl NetdevEvents for Ipvs {
    /// `ip_vs_dst_event`: the namespace's real servers forget their routes through `dev`, which
    /// would otherwise keep it from being unregistered. It walks the services published to the
    /// packet path under RCU, taking no lock the RTNL may be taken under.
    fn down(net: &Net, dev: &NetDevice) {
        if let Some(ipvs) = IPVS.get(net) {
            ipvs.dp.forget_device(dev);
        }
    }
}

impl Ipvs {
    /// The state of `net`; `ENODEV` while the module is still loading or already unloading.
    #[inline]
    pub(crate) fn of(net: &Net) -> Result<&Ipvs> {
        IPVS.get(net).ok_or(ENODEV)
    }

    /// The size of the connection table user space sees (`size=`): 0 before there is one.
    pub(crate) fn conn_tab_size(&self, config: &Config) -> u32 {
        if config.services.has_conn_tab() {
            self.dp.conns.size()
        } else {
            0
        }
    }

    /// The sysctls the packet path reads.
    pub(crate) fn sysctl(&self) -> Sysctls<'_> {
        Sysctls(&self.sysctls)
    }

    /// Brings the packet path of `net` (this namespace) in line with the configuration after
    /// a command: each family's hooks are registered while there are services of the family
    /// (as C does), and the timeouts apply to connections.
    pub(crate) fn apply_config(&self, net: &Net) {
        let mut config = self.config.lock();
        self.dp.timeouts.set(&config.timeouts);
        if !config.ipv6_defrag && config.services.uses_ipv6() {
            match enable_ipv6_defrag(net) {
                Ok(()) => config.ipv6_defrag = true,
                Err(e) => pr_warn!("cannot enable IPv6 defragmentation: {:?}\n", e),
            }
        }
        for (hooks, af) in [(&self.hooks_v4, Af::Inet), (&self.hooks_v6, Af::Inet6)] {
            let enable = config.services.count_af(af) > 0;
            match hooks.set_enabled(enable) {
                // The periodic work starts with the hooks (and then runs until the namespace
                // goes: connections outlive their services).
                Ok(true) if enable => {
                    self.dp.start(TICK_PERIOD);
                    // The connection table's periodic size check (C starts it with the table).
                    self.dp.resizer.queue(RESIZE_PERIOD);
                    self.dp.size_conn_table(self.sysctl().conn_lfactor());
                }
                Ok(_) => {}
                Err(e) => pr_warn!("cannot register netfilter hooks: {:?}\n", e),
            }
        }
    }
}
