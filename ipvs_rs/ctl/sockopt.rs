// SPDX-License-Identifier: GPL-2.0

//! The legacy socket-option interface (`IP_VS_SO_SET_*`, `IP_VS_SO_GET_*`), which ipvsadm
//! falls back to without generic netlink: IPv4 services only, with C's exact lengths, checks
//! and errors, in C's order.
//!
//! Permission is `CAP_NET_ADMIN` in the user namespace owning the socket's network namespace
//! (unlike netlink, which wants the initial user namespace).

use kernel::prelude::*;

use crate::{
    ctl::{
        routable, sockopt_abi as abi,
        sockopt_abi::{DaemonUser, DestEntry, ServiceEntry, ServiceUser},
        start_daemon,
    },
    daemon::DaemonConfig,
    glue::{
        sockopt::{GetRequest, Handler, SetRequest, Sockopts},
        time::HZ,
    },
    netns::Ipvs,
    svc::service::DestOp,
    uapi::{
        so_get as get, so_set as set, Af, AF_INET, BASE_CTL, PROTO_SCTP, PROTO_TCP, PROTO_UDP,
        STATE_BACKUP, STATE_MASTER, VERSION_CODE,
    },
    IpvsModule,
};

/// Protocols a legacy request may name (TCP, UDP, SCTP), even for firewall-mark services.
const PROTOCOLS: [u8; 3] = [PROTO_TCP, PROTO_UDP, PROTO_SCTP];

/// `PF_INET`, the family the options are registered for: C defines it as `AF_INET`.
const PF_INET: u8 = AF_INET as u8;

/// The option ranges, as C registers them.
pub(crate) static SOCKOPTS: Sockopts<IpvsSockopts> = Sockopts::new(
    &<IpvsModule as kernel::ModuleMetadata>::THIS_MODULE,
    PF_INET,
    BASE_CTL..set::MAX + 1,
    BASE_CTL..get::MAX + 1,
);

/// Handlers of the options.
pub(crate) struct IpvsSockopts;

impl Handler for IpvsSockopts {
    fn set(req: &SetRequest<'_>) -> Result {
        if !req.net_admin() {
            return Err(EPERM);
        }
        let cmd = req.cmd();
        if !(BASE_CTL..=set::MAX).contains(&cmd) || req.len() != abi::set_arglen(cmd) {
            return Err(EINVAL);
        }
        let mut arg = [0u8; abi::SERVICE_USER_LEN + abi::DEST_USER_LEN];
        let arg = &mut arg[..req.len()];
        req.read(arg)?;
        let ipvs = Ipvs::of(req.net())?;
        if cmd == set::STARTDAEMON || cmd == set::STOPDAEMON {
            let d = DaemonUser::decode(arg);
            let mut config = ipvs.config.lock();
            if cmd == set::STOPDAEMON {
                return Ok(config.daemons.stop(d.state)?);
            }
            // `strscpy` into 16 bytes: empty or unterminated names are refused.
            let c = DaemonConfig::new(&d.ifname, d.syncid)
                .filter(|c| !c.ifname().is_empty())
                .ok_or(EINVAL)?;
            return Ok(start_daemon(&mut config, req.net(), d.state, c)?);
        }
        let result = set_service_cmd(ipvs, req, cmd, arg);
        ipvs.apply_config(req.net());
        result
    }

    fn get(req: &mut GetRequest<'_>) -> Result {
        if !req.net_admin() {
            return Err(EPERM);
        }
        let cmd = req.cmd();
        if !(BASE_CTL..=get::MAX).contains(&cmd) {
            return Err(EINVAL);
        }
        let copylen = abi::get_arglen(cmd);
        if req.len() < copylen as i32 {
            return Err(EINVAL);
        }
        let mut arg = [0u8; abi::MAX_ARG_LEN];
        let arg = &mut arg[..copylen];
        req.read(arg)?;
        let ipvs = Ipvs::of(req.net())?;
        let config = ipvs.config.lock();
        match cmd {
            get::DAEMON => {
                let mut out = [0u8; 2 * abi::DAEMON_USER_LEN];
                let daemons = [config.daemons.master(), config.daemons.backup()];
                for (i, (state, c)) in [STATE_MASTER, STATE_BACKUP]
                    .into_iter()
                    .zip(daemons)
                    .enumerate()
                {
                    let Some(c) = c else { continue };
                    DaemonUser {
                        state,
                        ifname: c.ifname,
                        syncid: c.syncid,
                    }
                    .encode(&mut out[i * abi::DAEMON_USER_LEN..]);
                }
                req.write(0, &out)
            }
            get::SERVICES => {
                let n = u32::from_ne_bytes([arg[0], arg[1], arg[2], arg[3]]) as usize;
                let size = n
                    .checked_mul(abi::SERVICE_ENTRY_LEN)
                    .and_then(|s| s.checked_add(abi::GET_SERVICES_LEN));
                if size != usize::try_from(req.len()).ok() {
                    pr_err!("length: {} != {}\n", req.len(), size.unwrap_or(0));
                    return Err(EINVAL);
                }
                let ipv4 = config.services.iter().filter(|s| s.id.af() == Af::Inet);
                for (k, svc) in ipv4.take(n).enumerate() {
                    let mut entry = [0u8; abi::SERVICE_ENTRY_LEN];
                    service_entry(svc).encode_into(&mut entry);
                    req.write(abi::GET_SERVICES_LEN + k * abi::SERVICE_ENTRY_LEN, &entry)?;
                }
                Ok(())
            }
            get::VERSION => {
                let (text, len) = abi::version_string(ipvs.conn_tab_size(&config));
                req.write(0, &text[..len])?;
                req.set_len(len as i32);
                Ok(())
            }
            get::INFO => {
                let info = abi::encode_info(
                    VERSION_CODE,
                    ipvs.conn_tab_size(&config),
                    config.services.count_ipv4() as u32,
                );
                req.write(0, &info)
            }
            get::SERVICE => {
                let usvc = ServiceUser::decode(arg);
                let svc = config.services.lookup(&usvc.id()).ok_or(ESRCH)?;
                // The reply overwrites the request in place, as C does.
                service_entry(svc).encode_into(arg);
                req.write(0, arg)
            }
            get::DESTS => {
                let n = u32::from_ne_bytes([arg[16], arg[17], arg[18], arg[19]]) as usize;
                let size = n
                    .checked_mul(abi::DEST_ENTRY_LEN)
                    .and_then(|s| s.checked_add(abi::GET_DESTS_LEN));
                if size != usize::try_from(req.len()).ok() {
                    pr_err!("length: {} != {}\n", req.len(), size.unwrap_or(0));
                    return Err(EINVAL);
                }
                // The header has the same leading fields as `ip_vs_service_user`.
                let mut head = [0u8; abi::SERVICE_USER_LEN];
                head[..16].copy_from_slice(&arg[..16]);
                let svc = config
                    .services
                    .lookup(&ServiceUser::decode(&head).id())
                    .ok_or(ESRCH)?;
                let same_af = svc
                    .dests_newest_first()
                    .filter(|d| d.addr.af() == svc.id.af());
                for (k, d) in same_af.take(n).enumerate() {
                    let mut entry = [0u8; abi::DEST_ENTRY_LEN];
                    let (stats, rates) = d.stats.read();
                    DestEntry {
                        addr: d.addr.v4_octets(),
                        port: d.port,
                        conn_flags: d.conn_flags(),
                        weight: d.weight(),
                        u_threshold: d.u_threshold(),
                        l_threshold: d.l_threshold(),
                        active: d.active_conns() as u32,
                        inactive: d.inactive_conns() as u32,
                        persistent: d.persistent_conns() as u32,
                        stats,
                        rates,
                    }
                    .encode_into(&mut entry);
                    req.write(abi::GET_DESTS_LEN + k * abi::DEST_ENTRY_LEN, &entry)?;
                }
                Ok(())
            }
            get::TIMEOUT => req.write(0, &abi::encode_timeouts(&config.timeouts)),
            _ => Err(EINVAL),
        }
    }
}

fn service_entry(svc: &crate::svc::service::Service) -> ServiceEntry<'_> {
    let (stats, rates) = svc.shared.stats.read();
    ServiceEntry {
        id: &svc.id,
        sched: svc.sched_name(),
        flags: svc.flags,
        timeout: svc.timeout_secs(),
        netmask: svc.netmask,
        num_dests: svc.dests.len() as u32,
        stats,
        rates,
    }
}

/// The service and destination commands (and `FLUSH`, `TIMEOUT`, `ZERO`), under the
/// configuration lock.
fn set_service_cmd(ipvs: &Ipvs, req: &SetRequest<'_>, cmd: i32, arg: &[u8]) -> Result {
    let mut config = ipvs.config.lock();
    match cmd {
        set::FLUSH => return config.services.flush().map_err(Error::from),
        set::TIMEOUT => {
            let [tcp, fin, udp] = abi::decode_timeouts(arg);
            return config
                .timeouts
                .update(Some(tcp), Some(fin), Some(udp), HZ)
                .map_err(|_| EINVAL);
        }
        _ if arg.is_empty() => return Err(EINVAL),
        _ => {}
    }
    let usvc = ServiceUser::decode(arg);
    if cmd == set::ZERO && usvc.is_blank() {
        config.services.zero_all();
        ipvs.dp.stats.zero();
        return Ok(());
    }
    if (cmd == set::ADD || cmd == set::EDIT) && !usvc.sched_name_terminated() {
        return Err(EINVAL);
    }
    if !PROTOCOLS.iter().any(|&p| u16::from(p) == usvc.protocol) {
        pr_err!("set_ctl: invalid protocol: {}\n", usvc.protocol);
        return Err(EFAULT);
    }
    let id = usvc.id();
    let found = config.services.find(&id);
    if cmd == set::ADD {
        // A firewall-mark service exists whatever protocol it was added with.
        if found.is_some() {
            return Err(EEXIST);
        }
        return Ok(config.services.add(&id, &usvc.settings())?);
    }
    let same_protocol = |i| config.services.get(i).map(|s| s.id.protocol) == Some(usvc.protocol);
    let i = found.filter(|&i| same_protocol(i)).ok_or(ESRCH)?;
    let op = match cmd {
        set::EDIT => {
            return config
                .services
                .edit(i, &usvc.settings())
                .map_err(Error::from)
        }
        set::DEL => return config.services.remove(i).map_err(Error::from),
        set::ZERO => {
            if let Some(svc) = config.services.get(i) {
                svc.zero();
            }
            return Ok(());
        }
        set::ADDDEST => DestOp::Add,
        set::EDITDEST => DestOp::Edit,
        set::DELDEST => DestOp::Del,
        _ => return Err(EINVAL),
    };
    let (did, ds) = abi::decode_dest(&arg[abi::SERVICE_USER_LEN..]);
    let ds = (op != DestOp::Del).then_some(ds);
    config
        .services
        .dest_op(i, op, &did, ds.as_ref(), false, routable(req.net()))
        .map_err(Error::from)
}
