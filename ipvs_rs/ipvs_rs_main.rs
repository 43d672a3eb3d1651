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

use kernel::prelude::*;

#[path = "../rust/mod.rs"]
mod glue;

// Pure logic, shared with the host crate (`pure.rs`).
mod conn_text;
mod daemon;
mod estimator;
mod packet;
mod persist;
mod proc_text;
mod request;
mod sched;
mod sctp_state;
mod sip;
mod sockopt_abi;
mod svc_index;
mod tcp_state;
mod timeouts;
mod tunnel;
mod uapi;

// Kernel-side logic.
mod conn;
mod ctl;
mod dataplane;
mod dest;
mod kunit;
mod netns;
mod rs_table;
mod service;
mod stats;

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
    _pernet: glue::pernet::PernetRegistration<netns::Ipvs>,
    /// Last: connections and published tables are freed by RCU callbacks in this module.
    _rcu: glue::rcu::CallbacksBarrier,
}

impl kernel::Module for IpvsModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pernet = netns::IPVS.register()?;
        let genl = ctl::genl::FAMILY.register()?;
        let sockopts = ctl::sockopt::SOCKOPTS.register()?;
        pr_info!("IPVS version 1.2.1 (Rust) loaded\n");
        Ok(Self {
            _sockopts: sockopts,
            _genl: genl,
            _pernet: pernet,
            _rcu: glue::rcu::CallbacksBarrier,
        })
    }
}
