// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family "IPVS" (version 1), as the C module registers it.
//!
//! Every operation needs `CAP_NET_ADMIN` in the initial user namespace (`GENL_ADMIN_PERM`), and
//! commands below `FLUSH + 1` keep the legacy liberal attribute validation, so malformed input
//! gets the same errno as from C. Replies reuse the request's port id and sequence number.

use kernel::prelude::*;

use crate::{
    glue::{
        genl::{Attr, AttrSet, Dump, Family, Handler, Op, OpFlags, Policy, Request, Writer},
        net::ipv6_enabled,
        time::HZ,
    },
    netns::Ipvs,
    request::{self, AttrLookup, Errno},
    service::{Dest, DestOp, Service},
    uapi::{cmd, cmd_attr, dest_attr, info_attr, stats_attr, svc_attr},
    uapi::{FLAGS_LEN, GENL_VERSION, INET_ADDR_LEN, PENAME_MAXLEN, SCHEDNAME_MAXLEN, VERSION_CODE},
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
pub(crate) static FAMILY: Family<IpvsGenl, 14> = Family::new(
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

fn errno(e: Errno) -> Error {
    Error::from_errno(-(e as i32))
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
    request::parse_service(&attrs, full, ipv6_enabled()).map_err(errno)
}

/// Handlers of the "IPVS" family.
pub(crate) struct IpvsGenl;

impl Handler for IpvsGenl {
    fn doit(req: &Request<'_>) -> Result {
        let ipvs = Ipvs::of(req.net())?;
        match req.cmd() {
            cmd::GET_INFO => {
                let size = ipvs.config.lock().services.conn_tab_size();
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
                let svc = config
                    .services
                    .find(&id)
                    .and_then(|i| config.services.get(i));
                let svc = svc.ok_or(ESRCH)?;
                req.reply(&FAMILY, cmd::NEW_SERVICE, |w| fill_service(w, svc))
            }
            _ => set_cmd(ipvs, req),
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        let ipvs = Ipvs::of(dump.net())?;
        match dump.cmd() {
            cmd::GET_SERVICE => {
                let config = ipvs.config.lock();
                let start = dump.cursor()[0] as usize;
                for svc in config.services.iter().skip(start) {
                    if !dump.add(&FAMILY, cmd::NEW_SERVICE, |w| fill_service(w, svc))? {
                        break;
                    }
                    dump.cursor()[0] += 1;
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
                let Some(svc) = config
                    .services
                    .find(&id)
                    .and_then(|i| config.services.get(i))
                else {
                    return Ok(());
                };
                let start = dump.cursor()[0] as usize;
                for d in svc.dests_newest_first().skip(start) {
                    if !dump.add(&FAMILY, cmd::NEW_DEST, |w| fill_dest(w, d))? {
                        break;
                    }
                    dump.cursor()[0] += 1;
                }
                Ok(())
            }
            // No sync daemons yet: the dump is empty.
            cmd::GET_DAEMON => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

/// The configuration commands (`ip_vs_genl_set_cmd`), with C's order of checks.
fn set_cmd(ipvs: &Ipvs, req: &Request<'_>) -> Result {
    let cmd = req.cmd();
    let mut config = ipvs.config.lock();
    match cmd {
        cmd::FLUSH => {
            config.services.flush();
            return Ok(());
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
        // Without a service: zero every counter. Counters come with the data plane.
        cmd::ZERO if req.attr(cmd_attr::SERVICE).is_none() => return Ok(()),
        _ => {}
    }
    let full_svc = cmd == cmd::NEW_SERVICE || cmd == cmd::SET_SERVICE;
    let (id, settings) = parse_service(req.attr(cmd_attr::SERVICE), full_svc)?;
    let found = config.services.find(&id);
    let i = match (found, cmd) {
        (Some(_), cmd::NEW_SERVICE) => return Err(EEXIST),
        (None, cmd::NEW_SERVICE) => {
            let s = settings.as_ref().ok_or(EINVAL)?;
            return config.services.add(&id, s).map_err(errno);
        }
        (None, _) => return Err(ESRCH),
        (Some(i), _) => i,
    };
    let dest_op = match cmd {
        cmd::SET_SERVICE => {
            let s = settings.as_ref().ok_or(EINVAL)?;
            return config.services.edit(i, s).map_err(errno);
        }
        cmd::DEL_SERVICE => {
            config.services.remove(i);
            return Ok(());
        }
        // Counters come with the data plane; the service exists, so this succeeds.
        cmd::ZERO => return Ok(()),
        cmd::NEW_DEST => DestOp::Add,
        cmd::SET_DEST => DestOp::Edit,
        cmd::DEL_DEST => DestOp::Del,
        _ => return Err(EINVAL),
    };
    let nest = req.attr(cmd_attr::DEST).ok_or(EINVAL)?;
    let attrs = nest.nested(&DEST_POLICY).map_err(|_| EINVAL)?;
    let (did, ds) = request::parse_dest(&attrs, dest_op != DestOp::Del).map_err(errno)?;
    config
        .services
        .dest_op(i, dest_op, &did, ds.as_ref(), ipv6_enabled())
        .map_err(errno)
}

/// Counters of a service or destination; zero until the data plane counts.
fn fill_stats(w: &mut Writer<'_>, ty: u16, wide: bool) -> Result {
    w.nest(ty, |w| {
        for attr in stats_attr::CONNS..=stats_attr::OUTBPS {
            if wide || attr == stats_attr::INBYTES || attr == stats_attr::OUTBYTES {
                w.put_u64(attr, 0, stats_attr::PAD)?;
            } else {
                w.put_u32(attr, 0)?;
            }
        }
        Ok(())
    })
}

/// A service nest, attributes in C's order (`ip_vs_genl_fill_service`).
fn fill_service(w: &mut Writer<'_>, svc: &Service) -> Result {
    w.nest(cmd_attr::SERVICE, |w| {
        w.put_u16(svc_attr::AF, svc.id.af)?;
        if svc.id.fwmark != 0 {
            w.put_u32(svc_attr::FWMARK, svc.id.fwmark)?;
        } else {
            w.put_u16(svc_attr::PROTOCOL, svc.id.protocol)?;
            w.put(svc_attr::ADDR, &svc.id.addr)?;
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
        w.put_u32(svc_attr::TIMEOUT, svc.timeout)?;
        w.put(svc_attr::NETMASK, &svc.netmask.to_ne_bytes())?;
        fill_stats(w, svc_attr::STATS, false)?;
        fill_stats(w, svc_attr::STATS64, true)
    })
}

/// A destination nest, attributes in C's order (`ip_vs_genl_fill_dest`).
fn fill_dest(w: &mut Writer<'_>, d: &Dest) -> Result {
    w.nest(cmd_attr::DEST, |w| {
        w.put(dest_attr::ADDR, &d.addr)?;
        w.put(dest_attr::PORT, &d.port)?;
        w.put_u32(dest_attr::FWD_METHOD, d.conn_flags & request::FWD_MASK)?;
        w.put_u32(dest_attr::WEIGHT, d.weight as u32)?;
        w.put_u8(dest_attr::TUN_TYPE, d.tun_type)?;
        w.put(dest_attr::TUN_PORT, &d.tun_port)?;
        w.put_u16(dest_attr::TUN_FLAGS, d.tun_flags)?;
        w.put_u32(dest_attr::U_THRESH, d.u_threshold)?;
        w.put_u32(dest_attr::L_THRESH, d.l_threshold)?;
        // Connection counts come with the data plane.
        w.put_u32(dest_attr::ACTIVE_CONNS, 0)?;
        w.put_u32(dest_attr::INACT_CONNS, 0)?;
        w.put_u32(dest_attr::PERSIST_CONNS, 0)?;
        w.put_u16(dest_attr::ADDR_FAMILY, d.af)?;
        fill_stats(w, dest_attr::STATS, false)?;
        fill_stats(w, dest_attr::STATS64, true)
    })
}

/// A NUL-terminated name attribute.
fn put_name(w: &mut Writer<'_>, ty: u16, name: &str) -> Result {
    let mut buf = [0u8; 17];
    let n = name.len().min(16);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    w.put(ty, &buf[..=n])
}
