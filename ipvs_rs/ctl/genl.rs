// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family "IPVS" (version 1), as the C module registers it.
//!
//! Every operation needs `CAP_NET_ADMIN` in the initial user namespace (`GENL_ADMIN_PERM`), and
//! commands below `FLUSH + 1` keep the legacy liberal attribute validation, so malformed input
//! gets the same errno as from C. Replies reuse the request's port id and sequence number.

use kernel::prelude::*;

use crate::{
    ctl::{
        proc_text::{Counters, Rates},
        routable, start_daemon,
    },
    daemon::{DaemonConfig, Group},
    glue::{
        genl::{Attr, AttrSet, Dump, Family, Handler, Op, OpFlags, Policy, Request, Writer},
        net::ipv6_enabled,
        time::HZ,
    },
    netns::Ipvs,
    svc::{
        dest::Dest,
        request::{self, AttrLookup},
        service::{DestOp, Service},
    },
    uapi::{
        cmd, cmd_attr, daemon_attr, dest_attr, info_attr, stats_attr, svc_attr, CONN_F_FWD_MASK,
        FLAGS_LEN, GENL_VERSION, IFNAME_MAXLEN, INET_ADDR_LEN, PENAME_MAXLEN, SCHEDNAME_MAXLEN,
        STATE_BACKUP, STATE_MASTER, VERSION_CODE,
    },
    IpvsModule,
};

/// Top-level attribute policy (`ip_vs_cmd_policy`).
static CMD_POLICY: [Policy; cmd_attr::MAX as usize + 1] = [
    Policy::UNSPEC,
    Policy::NESTED, // SERVICE
    Policy::NESTED, // DEST
    Policy::NESTED, // DAEMON
    Policy::U32,    // TIMEOUT_TCP
    Policy::U32,    // TIMEOUT_TCP_FIN
    Policy::U32,    // TIMEOUT_UDP
];

/// Service nest policy (`ip_vs_svc_policy`); `STATS64` is output only and has no rule.
static SVC_POLICY: [Policy; svc_attr::MAX as usize + 1] = [
    Policy::UNSPEC,
    Policy::U16,                              // AF
    Policy::U16,                              // PROTOCOL
    Policy::binary(INET_ADDR_LEN),            // ADDR
    Policy::U16,                              // PORT
    Policy::U32,                              // FWMARK
    Policy::nul_string(SCHEDNAME_MAXLEN - 1), // SCHED_NAME
    Policy::binary(FLAGS_LEN),                // FLAGS
    Policy::U32,                              // TIMEOUT
    Policy::U32,                              // NETMASK
    Policy::NESTED,                           // STATS
    Policy::nul_string(PENAME_MAXLEN),        // PE_NAME
    Policy::UNSPEC,                           // STATS64
];

/// Destination nest policy (`ip_vs_dest_policy`); `STATS64` has no rule.
static DEST_POLICY: [Policy; dest_attr::MAX as usize + 1] = [
    Policy::UNSPEC,
    Policy::binary(INET_ADDR_LEN), // ADDR
    Policy::U16,                   // PORT
    Policy::U32,                   // FWD_METHOD
    Policy::U32,                   // WEIGHT
    Policy::U32,                   // U_THRESH
    Policy::U32,                   // L_THRESH
    Policy::U32,                   // ACTIVE_CONNS
    Policy::U32,                   // INACT_CONNS
    Policy::U32,                   // PERSIST_CONNS
    Policy::NESTED,                // STATS
    Policy::U16,                   // ADDR_FAMILY
    Policy::UNSPEC,                // STATS64
    Policy::U8,                    // TUN_TYPE
    Policy::U16,                   // TUN_PORT
    Policy::U16,                   // TUN_FLAGS
];

/// Sync daemon nest policy (`ip_vs_daemon_policy`).
static DAEMON_POLICY: [Policy; daemon_attr::MAX as usize + 1] = [
    Policy::UNSPEC,
    Policy::U32,                           // STATE
    Policy::nul_string(IFNAME_MAXLEN - 1), // MCAST_IFN
    Policy::U32,                           // SYNC_ID
    Policy::U16,                           // SYNC_MAXLEN
    Policy::U32,                           // MCAST_GROUP
    Policy::min_len(16),                   // MCAST_GROUP6
    Policy::U16,                           // MCAST_PORT
    Policy::U8,                            // MCAST_TTL
];

const ADMIN_LIBERAL: OpFlags = OpFlags {
    admin: true,
    liberal: true,
};

const fn doit(cmd: u8) -> Op {
    Op {
        cmd,
        doit: true,
        dumpit: false,
        flags: ADMIN_LIBERAL,
    }
}

const fn dumpit(cmd: u8) -> Op {
    Op {
        cmd,
        doit: false,
        dumpit: true,
        flags: ADMIN_LIBERAL,
    }
}

/// The family. Commands C has but this list lacks get `EOPNOTSUPP` from the genl core.
pub(crate) static FAMILY: Family<IpvsGenl, 16> = Family::new(
    &<IpvsModule as kernel::ModuleMetadata>::THIS_MODULE,
    c"IPVS",
    GENL_VERSION,
    &CMD_POLICY,
    [
        doit(cmd::NEW_SERVICE),
        doit(cmd::SET_SERVICE),
        doit(cmd::DEL_SERVICE),
        Op {
            dumpit: true,
            ..doit(cmd::GET_SERVICE)
        },
        doit(cmd::NEW_DEST),
        doit(cmd::SET_DEST),
        doit(cmd::DEL_DEST),
        dumpit(cmd::GET_DEST),
        doit(cmd::NEW_DAEMON),
        doit(cmd::DEL_DAEMON),
        dumpit(cmd::GET_DAEMON),
        doit(cmd::SET_CONFIG),
        doit(cmd::GET_CONFIG),
        doit(cmd::GET_INFO),
        doit(cmd::ZERO),
        doit(cmd::FLUSH),
    ],
    cmd::FLUSH + 1,
);

impl<'a, const M: usize> AttrLookup<'a> for AttrSet<'a, M> {
    fn attr(&self, ty: u16) -> Option<&'a [u8]> {
        self.get(ty).map(|a| a.bytes())
    }
}

/// Parses a service nest (`nla_parse_nested_deprecated` + `ip_vs_genl_parse_service`).
fn parse_service(
    nest: Option<Attr<'_>>,
    full: bool,
) -> Result<(request::ServiceId, Option<request::ServiceSettings>)> {
    let attrs = nest
        .ok_or(EINVAL)?
        .nested(&SVC_POLICY)
        .map_err(|_| EINVAL)?;
    request::parse_service(&attrs, full, ipv6_enabled()).map_err(Error::from)
}

/// Handlers of the "IPVS" family.
pub(crate) struct IpvsGenl;

impl Handler for IpvsGenl {
    fn doit(req: &Request<'_>) -> Result {
        let ipvs = Ipvs::of(req.net())?;
        match req.cmd() {
            cmd::GET_INFO => {
                let size = ipvs.conn_tab_size(&ipvs.config.lock());
                req.reply(&FAMILY, cmd::SET_INFO, |w| {
                    w.put_u32(info_attr::VERSION, VERSION_CODE)?;
                    w.put_u32(info_attr::CONN_TAB_SIZE, size)
                })
            }
            cmd::GET_CONFIG => {
                let t = ipvs.config.lock().timeouts;
                req.reply(&FAMILY, cmd::SET_CONFIG, |w| {
                    w.put_u32(cmd_attr::TIMEOUT_TCP, t.tcp)?;
                    w.put_u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin)?;
                    w.put_u32(cmd_attr::TIMEOUT_UDP, t.udp)
                })
            }
            cmd::GET_SERVICE => {
                let (id, _) = parse_service(req.attr(cmd_attr::SERVICE), false)?;
                let config = ipvs.config.lock();
                let svc = config.services.lookup(&id).ok_or(ESRCH)?;
                req.reply(&FAMILY, cmd::NEW_SERVICE, |w| fill_service(w, svc))
            }
            cmd::NEW_DAEMON | cmd::DEL_DAEMON => set_daemon(ipvs, req),
            _ => {
                let result = set_cmd(ipvs, req);
                ipvs.apply_config(req.net());
                result
            }
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        let ipvs = Ipvs::of(dump.net())?;
        match dump.cmd() {
            cmd::GET_SERVICE => {
                let config = ipvs.config.lock();
                for svc in config.services.iter().skip(dump.position()) {
                    if !dump.add(&FAMILY, cmd::NEW_SERVICE, |w| fill_service(w, svc))? {
                        break;
                    }
                    dump.advance();
                }
                Ok(())
            }
            cmd::GET_DEST => {
                // An unparsable request or an unknown service is an empty dump, as in C.
                let Ok(attrs) = dump.request_attrs(&CMD_POLICY) else {
                    return Ok(());
                };
                let Ok((id, _)) = parse_service(attrs.get(cmd_attr::SERVICE), false) else {
                    return Ok(());
                };
                let config = ipvs.config.lock();
                let Some(svc) = config.services.lookup(&id) else {
                    return Ok(());
                };
                for d in svc.dests_newest_first().skip(dump.position()) {
                    if !dump.add(&FAMILY, cmd::NEW_DEST, |w| fill_dest(w, d))? {
                        break;
                    }
                    dump.advance();
                }
                Ok(())
            }
            cmd::GET_DAEMON => {
                let config = ipvs.config.lock();
                let daemons = [
                    (STATE_MASTER, config.daemons.master()),
                    (STATE_BACKUP, config.daemons.backup()),
                ];
                // The position counts both kinds, running or not.
                for (state, c) in daemons.into_iter().skip(dump.position()) {
                    if let Some(c) = c {
                        if !dump.add(&FAMILY, cmd::NEW_DAEMON, |w| fill_daemon(w, state, c))? {
                            break;
                        }
                    }
                    dump.advance();
                }
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

/// `NEW_DAEMON` and `DEL_DAEMON` (`ip_vs_genl_set_daemon`).
fn set_daemon(ipvs: &Ipvs, req: &Request<'_>) -> Result {
    let attrs = req
        .attr(cmd_attr::DAEMON)
        .ok_or(EINVAL)?
        // Unlike the service and destination nests, C reports daemon nest errors in the ack.
        .nested_reporting(&DAEMON_POLICY, req)
        .map_err(|_| EINVAL)?;
    let state = attrs.get(daemon_attr::STATE).and_then(|a| a.u32());
    let mut config = ipvs.config.lock();
    if req.cmd() == cmd::DEL_DAEMON {
        return Ok(config.daemons.stop(state.ok_or(EINVAL)?)?);
    }
    let (Some(state), Some(ifn), Some(syncid)) = (
        state,
        attrs.get(daemon_attr::MCAST_IFN),
        attrs.get(daemon_attr::SYNC_ID).and_then(|a| a.u32()),
    ) else {
        return Err(EINVAL);
    };
    // The policy admits at most 15 characters before a NUL.
    let mut c = DaemonConfig::new(ifn.bytes(), syncid).ok_or(EINVAL)?;
    if let Some(a) = attrs.get(daemon_attr::SYNC_MAXLEN) {
        c.sync_maxlen = a.u16().ok_or(EINVAL)?;
    }
    if let Some(a) = attrs.get(daemon_attr::MCAST_GROUP) {
        let g: [u8; 4] = a.array().ok_or(EINVAL)?;
        if g[0] & 0xf0 != 0xe0 {
            return Err(EINVAL);
        }
        c.group = Some(Group::V4(g));
    } else if let Some(a) = attrs.get(daemon_attr::MCAST_GROUP6) {
        let g: [u8; 16] = a.array().ok_or(EINVAL)?;
        if g[0] != 0xff {
            return Err(EINVAL);
        }
        c.group = Some(Group::V6(g));
    }
    if let Some(a) = attrs.get(daemon_attr::MCAST_PORT) {
        c.port = a.u16().ok_or(EINVAL)?;
    }
    if let Some(a) = attrs.get(daemon_attr::MCAST_TTL) {
        c.ttl = a.u8().ok_or(EINVAL)?;
    }
    // The sync protocol cannot describe connections to a server of another family.
    if config.services.has_mixed_af_dests() {
        return Err(EINVAL);
    }
    start_daemon(&mut config, req.net(), state, c).map_err(Error::from)
}

/// A daemon nest, attributes in C's order (`ip_vs_genl_fill_daemon`).
fn fill_daemon(w: &mut Writer<'_>, state: u32, c: &DaemonConfig) -> Result {
    w.nest(cmd_attr::DAEMON, |w| {
        w.put_u32(daemon_attr::STATE, state)?;
        w.put(daemon_attr::MCAST_IFN, c.ifname_with_nul())?;
        w.put_u32(daemon_attr::SYNC_ID, c.syncid)?;
        w.put_u16(daemon_attr::SYNC_MAXLEN, c.sync_maxlen)?;
        w.put_u16(daemon_attr::MCAST_PORT, c.port)?;
        w.put_u8(daemon_attr::MCAST_TTL, c.ttl)?;
        match c.group() {
            Group::V6(g) => w.put(daemon_attr::MCAST_GROUP6, &g),
            Group::V4(g) => w.put(daemon_attr::MCAST_GROUP, &g),
        }
    })
}

/// The configuration commands (`ip_vs_genl_set_cmd`), with C's order of checks.
fn set_cmd(ipvs: &Ipvs, req: &Request<'_>) -> Result {
    let cmd = req.cmd();
    let mut config = ipvs.config.lock();
    match cmd {
        cmd::FLUSH => {
            return Ok(config.services.flush()?);
        }
        cmd::SET_CONFIG => {
            let get = |ty| req.attr(ty).and_then(|a| a.u32());
            return config
                .timeouts
                .update(
                    get(cmd_attr::TIMEOUT_TCP),
                    get(cmd_attr::TIMEOUT_TCP_FIN),
                    get(cmd_attr::TIMEOUT_UDP),
                    HZ,
                )
                .map_err(|_| EINVAL);
        }
        // Without a service: zero every counter.
        cmd::ZERO if req.attr(cmd_attr::SERVICE).is_none() => {
            config.services.zero_all();
            ipvs.dp.stats.zero();
            return Ok(());
        }
        _ => {}
    }
    let full_svc = cmd == cmd::NEW_SERVICE || cmd == cmd::SET_SERVICE;
    let (id, settings) = parse_service(req.attr(cmd_attr::SERVICE), full_svc)?;
    let found = config.services.find(&id);
    let i = match (found, cmd) {
        (Some(_), cmd::NEW_SERVICE) => return Err(EEXIST),
        (None, cmd::NEW_SERVICE) => {
            let s = settings.as_ref().ok_or(EINVAL)?;
            return Ok(config.services.add(&id, s)?);
        }
        (None, _) => return Err(ESRCH),
        (Some(i), _) => i,
    };
    let dest_op = match cmd {
        cmd::SET_SERVICE => {
            let s = settings.as_ref().ok_or(EINVAL)?;
            return Ok(config.services.edit(i, s)?);
        }
        cmd::DEL_SERVICE => return config.services.remove(i).map_err(Error::from),
        cmd::ZERO => {
            if let Some(svc) = config.services.get(i) {
                svc.zero();
            }
            return Ok(());
        }
        cmd::NEW_DEST => DestOp::Add,
        cmd::SET_DEST => DestOp::Edit,
        cmd::DEL_DEST => DestOp::Del,
        _ => return Err(EINVAL),
    };
    let nest = req.attr(cmd_attr::DEST).ok_or(EINVAL)?;
    let attrs = nest.nested(&DEST_POLICY).map_err(|_| EINVAL)?;
    let (did, ds) = request::parse_dest(&attrs, dest_op != DestOp::Del).map_err(Error::from)?;
    config
        .services
        .dest_op(
            i,
            dest_op,
            &did,
            ds.as_ref(),
            ipv6_enabled(),
            routable(req.net()),
        )
        .map_err(Error::from)
}

/// Counters of a service or destination: `STATS` truncates all but the byte counts to 32
/// bits, `STATS64` has them whole.
fn fill_stats(w: &mut Writer<'_>, ty: u16, wide: bool, (c, r): &(Counters, Rates)) -> Result {
    let values = [
        c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes, r.cps, r.inpps, r.outpps, r.inbps,
        r.outbps,
    ];
    w.nest(ty, |w| {
        for (attr, v) in (stats_attr::CONNS..=stats_attr::OUTBPS).zip(values) {
            if wide || attr == stats_attr::INBYTES || attr == stats_attr::OUTBYTES {
                w.put_u64(attr, v, stats_attr::PAD)?;
            } else {
                w.put_u32(attr, v as u32)?;
            }
        }
        Ok(())
    })
}

/// A service nest, attributes in C's order (`ip_vs_genl_fill_service`).
fn fill_service(w: &mut Writer<'_>, svc: &Service) -> Result {
    w.nest(cmd_attr::SERVICE, |w| {
        w.put_u16(svc_attr::AF, svc.id.af().number())?;
        if svc.id.fwmark != 0 {
            w.put_u32(svc_attr::FWMARK, svc.id.fwmark)?;
        } else {
            w.put_u16(svc_attr::PROTOCOL, svc.id.protocol)?;
            w.put(svc_attr::ADDR, svc.id.addr.inet())?;
            w.put(svc_attr::PORT, &svc.id.port)?;
        }
        put_name(w, svc_attr::SCHED_NAME, svc.sched_name())?;
        if let Some(pe) = svc.pe {
            put_name(w, svc_attr::PE_NAME, pe)?;
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&svc.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        w.put(svc_attr::FLAGS, &flags)?;
        w.put_u32(svc_attr::TIMEOUT, svc.timeout_secs())?;
        w.put(svc_attr::NETMASK, &svc.netmask.to_ne_bytes())?;
        let c = svc.shared.stats.read();
        fill_stats(w, svc_attr::STATS, false, &c)?;
        fill_stats(w, svc_attr::STATS64, true, &c)
    })
}

/// A destination nest, attributes in C's order (`ip_vs_genl_fill_dest`).
fn fill_dest(w: &mut Writer<'_>, d: &Dest) -> Result {
    w.nest(cmd_attr::DEST, |w| {
        w.put(dest_attr::ADDR, d.addr.inet())?;
        w.put(dest_attr::PORT, &d.port)?;
        w.put_u32(dest_attr::FWD_METHOD, d.conn_flags() & CONN_F_FWD_MASK)?;
        w.put_u32(dest_attr::WEIGHT, d.weight() as u32)?;
        w.put_u8(dest_attr::TUN_TYPE, d.tun_type())?;
        w.put(dest_attr::TUN_PORT, &d.tun_port())?;
        w.put_u16(dest_attr::TUN_FLAGS, d.tun_flags())?;
        w.put_u32(dest_attr::U_THRESH, d.u_threshold())?;
        w.put_u32(dest_attr::L_THRESH, d.l_threshold())?;
        w.put_u32(dest_attr::ACTIVE_CONNS, d.active_conns() as u32)?;
        w.put_u32(dest_attr::INACT_CONNS, d.inactive_conns() as u32)?;
        w.put_u32(dest_attr::PERSIST_CONNS, d.persistent_conns() as u32)?;
        w.put_u16(dest_attr::ADDR_FAMILY, d.addr.af().number())?;
        let c = d.stats.read();
        fill_stats(w, dest_attr::STATS, false, &c)?;
        fill_stats(w, dest_attr::STATS64, true, &c)
    })
}

/// A NUL-terminated name attribute.
fn put_name(w: &mut Writer<'_>, ty: u16, name: &str) -> Result {
    let mut buf = [0u8; 17];
    let n = name.len().min(16);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    w.put(ty, &buf[..=n])
}
