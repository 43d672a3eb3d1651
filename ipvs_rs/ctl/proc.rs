// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs*` files.

use core::fmt::Write;
use kernel::prelude::*;

use crate::{
    conn::text::{write_conn, write_conn_sync, ConnText, CONN_HEADER, CONN_SYNC_HEADER},
    ctl::proc_text::{self, ServiceText},
    glue::{
        cpu::possible_cpus,
        net::Net,
        procfs::{ProcShow, ProcText},
        timer::jiffies,
    },
    netns::Ipvs,
    pe::sip,
};

/// `/proc/net/ip_vs`: the virtual services and their real servers.
pub(crate) struct Services;

impl ProcShow for Services {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        let ipvs = Ipvs::of(net)?;
        let config = ipvs.config.lock();
        let services = &config.services;
        let write = |out: &mut ProcText<'_>| -> core::fmt::Result {
            proc_text::write_services_header(out, ipvs.conn_tab_size(&config))?;
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
                    let text = proc_text::DestText {
                        addr: &d.addr,
                        port: d.port,
                        conn_flags: d.conn_flags(),
                        weight: d.weight(),
                        active: d.active_conns(),
                        inactive: d.inactive_conns(),
                    };
                    proc_text::write_dest(out, &text)?;
                }
            }
            Ok(())
        };
        write(out).map_err(|_| EINVAL)
    }
}

/// `/proc/net/ip_vs_stats`: the namespace's traffic totals and rates.
pub(crate) struct Stats;

impl ProcShow for Stats {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        let (total, rates) = Ipvs::of(net)?.dp.stats.read();
        proc_text::write_stats(out, &total, &rates).map_err(|_| EINVAL)
    }
}

/// `/proc/net/ip_vs_stats_percpu`: the same, with each possible CPU's counters.
pub(crate) struct StatsPerCpu;

impl ProcShow for StatsPerCpu {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        let stats = &Ipvs::of(net)?.dp.stats;
        let per_cpu = possible_cpus().map(|cpu| (cpu, stats.cpu(cpu)));
        let (total, rates) = stats.read();
        proc_text::write_stats_percpu(out, per_cpu, &total, &rates).map_err(|_| EINVAL)
    }
}

/// Writes the connection table with `line` per connection.
fn write_conns(
    net: &Net,
    out: &mut ProcText<'_>,
    header: &str,
    line: fn(&mut ProcText<'_>, &ConnText<'_>) -> core::fmt::Result,
) -> Result {
    let ipvs = Ipvs::of(net)?;
    let now = jiffies();
    let mut write = || -> core::fmt::Result {
        out.write_str(header)?;
        ipvs.dp.conns.for_each(|c| {
            let (state, expires) = c.listing(now);
            let t = &c.tuple;
            line(
                out,
                &ConnText {
                    protocol: t.protocol.into(),
                    caddr: &t.caddr,
                    cport: t.cport,
                    vaddr: &t.vaddr,
                    vport: t.vport,
                    daddr: &t.daddr,
                    dport: c.dport(),
                    state,
                    expires,
                    // Call-IDs are ASCII words (`sip::call_id`).
                    pe: c
                        .pe_data()
                        .map(|d| (sip::NAME, core::str::from_utf8(d).unwrap_or(""))),
                    synced: false,
                },
            )
        })
    };
    write().map_err(|_| EINVAL)
}

/// `/proc/net/ip_vs_conn`: the connections.
pub(crate) struct Conns;

impl ProcShow for Conns {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        write_conns(net, out, CONN_HEADER, |w, c| write_conn(w, c))
    }
}

/// `/proc/net/ip_vs_conn_sync`: the connections with their origin.
pub(crate) struct ConnsSync;

impl ProcShow for ConnsSync {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        write_conns(net, out, CONN_SYNC_HEADER, |w, c| write_conn_sync(w, c))
    }
}
