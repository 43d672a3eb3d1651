// SPDX-License-Identifier: GPL-2.0

//! The control plane: how user space sees and configures IPVS.
//!
//! Two interfaces change the same state: generic netlink ([`genl`]) and the legacy socket
//! options ([`sockopt`]). What both do the same way lives here.

use kernel::prelude::*;

use crate::{
    addr::Addr,
    daemon::DaemonConfig,
    error::Errno,
    glue::net::Net,
    netns::Config,
    uapi::{Af, STATE_BACKUP},
};

mod abi_check;
pub(crate) mod genl;
pub(crate) mod proc;
pub(crate) mod proc_text;
pub(crate) mod sockopt;
pub(crate) mod sockopt_abi;
pub(crate) mod sysctl;

/// Whether `addr` may become a new real server in `net` (`ip_vs_new_dest`'s address check).
pub(crate) fn routable(net: &Net) -> impl FnOnce(&Addr) -> bool + '_ {
    move |addr| match addr.af() {
        Af::Inet => net.ipv4_unicast_or_local(addr.v4_octets()),
        Af::Inet6 => net.ipv6_unicast_or_local(addr.inet()),
    }
}

/// Starts the sync daemon for `state` (`start_sync_thread`): only its configuration for now.
pub(crate) fn start_daemon(
    config: &mut Config,
    net: &Net,
    state: u32,
    c: DaemonConfig,
) -> Result<(), Errno> {
    // A backup may run without services: C creates the connection table for it first, and
    // keeps it even if the start fails below.
    if state == STATE_BACKUP {
        config.services.ensure_conn_tab();
    }
    let name = CStr::from_bytes_with_nul(c.ifname_with_nul()).map_err(|_| Errno::Inval)?;
    let mtu = net.netdev_mtu(name);
    if mtu.is_none() {
        pr_err!(
            "Unknown mcast interface: {}\n",
            name.to_str().unwrap_or("?")
        );
    }
    config.daemons.start(state, c, mtu)
}
