// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs*` files.

use kernel::prelude::*;

use crate::{
    glue::{
        cpu::possible_cpus,
        net::Net,
        procfs::{ProcShow, ProcText},
    },
    netns::Ipvs,
    proc_text::{self, Counters, Rates, ServiceText},
};

/// `/proc/net/ip_vs`: the virtual services and their real servers.
pub(crate) struct Services;

impl ProcShow for Services {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        let ipvs = Ipvs::of(net)?;
        let config = ipvs.config.lock();
        let services = &config.services;
        let write = |out: &mut ProcText<'_>| -> core::fmt::Result {
            proc_text::write_services_header(out, services.conn_tab_size())?;
            for svc in services.iter() {
                proc_text::write_service(
                    out,
                    &ServiceText {
                        id: &svc.id,
                        sched: svc.sched_name(),
                        flags: svc.flags,
                        timeout_jiffies: svc.timeout_jiffies(),
                        netmask: svc.netmask,
                    },
                )?;
                for d in svc.dests_newest_first() {
                    // Connection counts come with the data plane.
                    proc_text::write_dest(
                        out,
                        d.af,
                        &d.addr,
                        d.port,
                        d.conn_flags,
                        d.weight,
                        0,
                        0,
                    )?;
                }
            }
            Ok(())
        };
        write(out).map_err(|_| EINVAL)
    }
}

/// `/proc/net/ip_vs_stats`: the namespace's traffic totals and rates (zero until the data plane
/// counts).
pub(crate) struct Stats;

impl ProcShow for Stats {
    fn show(_net: &Net, out: &mut ProcText<'_>) -> Result {
        proc_text::write_stats(out, &Counters::default(), &Rates::default()).map_err(|_| EINVAL)
    }
}

/// `/proc/net/ip_vs_stats_percpu`: the same, with each possible CPU's counters.
pub(crate) struct StatsPerCpu;

impl ProcShow for StatsPerCpu {
    fn show(_net: &Net, out: &mut ProcText<'_>) -> Result {
        let per_cpu = possible_cpus().map(|cpu| (cpu, Counters::default()));
        proc_text::write_stats_percpu(out, per_cpu, &Counters::default(), &Rates::default())
            .map_err(|_| EINVAL)
    }
}
