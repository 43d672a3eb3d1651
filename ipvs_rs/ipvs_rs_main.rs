// SPDX-License-Identifier: GPL-2.0

//! ipvs_rs: the Linux Virtual Server (IPVS) layer-4 load balancer, in Rust.
//!
//! A drop-in replacement for the C `ip_vs` module: the same generic netlink family "IPVS", the
//! same `/proc/net/ip_vs*` files and `/proc/sys/net/ipv4/vs/` sysctls, so stock ipvsadm,
//! keepalived and other clients work unchanged.
//!
//! Layout: `rust/` (mounted here as `glue`) holds every binding to C; this directory holds the
//! IPVS logic in safe Rust. The modules listed in `pure.rs` do not use the `kernel` crate and are
//! unit-tested on the host as well.

use kernel::{new_mutex, prelude::*, sync::Arc};

use crate::{
    daemon::Daemons,
    glue::{
        net::Net,
        netfilter::NetHooks,
        pernet::{self, PernetData},
        procfs::ProcNetFile,
        rcu::RcuPtr,
        sysctl::NetSysctlTable,
        timer::Ticker,
    },
    netns::{Config, Ipvs},
    path::{
        hooks::{HOOKS_V4, HOOKS_V6},
        DataPlane,
    },
    proto::timeouts::Timeouts,
    svc::{rs_table::RealServers, service::Services},
};

#[path = "../rust/mod.rs"]
mod glue;

// Each folder is one part of C's IPVS (README, "Layout"); files the host crate (`pure.rs`)
// also builds use only `core`.
mod addr;
mod conn;
mod ctl;
mod daemon;
mod error;
mod kunit;
mod netns;
mod path;
mod pe;
mod proto;
mod sched;
mod stats;
mod svc;
mod uapi;

module! {
    type: IpvsModule,
    name: "ipvs_rs",
    authors: ["The ipvs-rs developers"],
    description: "IP Virtual Server (IPVS) load balancer in Rust",
    license: "GPL",
    alias: ["net-pf-16-proto-16-family-IPVS"],
}

/// The loaded module: per-namespace state first, then the netlink family that serves it.
///
/// Fields drop in declaration order, so the socket options and the family go away before the
/// namespaces' state.
struct IpvsModule {
    _sockopts: glue::sockopt::SockoptsRegistration,
    _genl: glue::genl::Registration,
    // Before the namespaces' state goes: the notifier reads it.
    _netdev: glue::netdev::NetdevRegistration<netns::Ipvs>,
    _pernet: glue::pernet::PernetRegistration<netns::Ipvs>,
    /// Connections and published tables are freed by RCU callbacks in this module.
    _rcu: glue::rcu::CallbacksBarrier,
    /// Last, once every connection is freed: their cache.
    _conn_slab: glue::slab::SlabRegistration,
}

impl kernel::Module for IpvsModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let conn_slab = glue::slab::Slab::create::<conn::Conn>(c"ip_vs_conn")?;
        let pernet = netns::IPVS.register()?;
        let netdev = netns::NETDEV.register()?;
        let genl = ctl::genl::FAMILY.register()?;
        let sockopts = ctl::sockopt::SOCKOPTS.register()?;
        pr_info!("IPVS version 1.2.1 (Rust) loaded\n");
        Ok(Self {
            _sockopts: sockopts,
            _genl: genl,
            _netdev: netdev,
            _pernet: pernet,
            _rcu: glue::rcu::CallbacksBarrier,
            _conn_slab: conn_slab,
        })
    }
}

impl PernetData for Ipvs {
    fn init(net: &Net) -> impl PinInit<Self, Error> {
        let published = Arc::new(RcuPtr::null(), GFP_KERNEL);
        let (real_servers, real_servers_writer) = match RealServers::new() {
            Ok((table, writer)) => (Ok(table), Ok(writer)),
            Err(e) => (Err(e), Err(e)),
        };
        // A namespace's `conn_max` starts from the initial namespace's.
        let init_sysctls = (!net.is_init())
            .then(|| netns::IPVS.get(Net::init()))
            .flatten()
            .map(|ipvs| &ipvs.sysctls);
        // The proc files are created last: once they exist, readers may look at the rest.
        try_pin_init!(Self {
            dp <- Ticker::new(DataPlane::new(
                published.clone()?,
                real_servers?,
                ctl::sysctl::conn_lfactor_default(net),
            )),
            config <- new_mutex!(Config {
                timeouts: Timeouts::DEFAULT,
                services: Services::new(published?, real_servers_writer?),
                daemons: Daemons::new(),
                ipv6_defrag: false,
            }),
            sysctls <- NetSysctlTable::new(net, c"net/ipv4/vs", &ctl::sysctl::ENTRIES, init_sysctls),
            _proc_stats_percpu: ProcNetFile::new::<ctl::proc::StatsPerCpu>(
                net,
                c"ip_vs_stats_percpu",
                0o444
            )?,
            _proc_stats: ProcNetFile::new::<ctl::proc::Stats>(net, c"ip_vs_stats", 0o444)?,
            _proc_services: ProcNetFile::new::<ctl::proc::Services>(net, c"ip_vs", 0o444)?,
            _proc_conn: ProcNetFile::new::<ctl::proc::Conns>(net, c"ip_vs_conn", 0o444)?,
            _proc_conn_sync: ProcNetFile::new::<ctl::proc::ConnsSync>(
                net,
                c"ip_vs_conn_sync",
                0o444
            )?,
            hooks_v4 <- NetHooks::new(net, &HOOKS_V4),
            hooks_v6 <- NetHooks::new(net, &HOOKS_V6),
        })
    }

    fn ops() -> &'static pernet::PernetOps<Self> {
        &netns::IPVS
    }
}
