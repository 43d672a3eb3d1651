// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family "IPVS" (version 1), as the C module registers it.
//!
//! Every operation needs `CAP_NET_ADMIN` in the initial user namespace (`GENL_ADMIN_PERM`), and
//! commands below `FLUSH + 1` keep the legacy liberal attribute validation, so malformed input
//! gets the same errno as from C. Replies reuse the request's port id and sequence number.

use kernel::{bindings::HZ, prelude::*};

use crate::{
    glue::genl::{Dump, Family, Handler, Op, OpFlags, Policy, Request},
    netns::Ipvs,
    uapi::{cmd, cmd_attr, info_attr, svc_attr, FLAGS_LEN, INET_ADDR_LEN, PENAME_MAXLEN},
    uapi::{GENL_VERSION, SCHEDNAME_MAXLEN, VERSION_CODE},
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
pub(crate) static SVC_POLICY: [Policy; svc_attr::MAX as usize + 1] = [
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
pub(crate) static FAMILY: Family<IpvsGenl, 6> = Family::new(
    &<IpvsModule as kernel::ModuleMetadata>::THIS_MODULE,
    c"IPVS",
    GENL_VERSION,
    &CMD_POLICY,
    [
        Op {
            dumpit: true,
            ..doit(cmd::GET_SERVICE)
        },
        dumpit(cmd::GET_DAEMON),
        doit(cmd::SET_CONFIG),
        doit(cmd::GET_CONFIG),
        doit(cmd::GET_INFO),
        doit(cmd::FLUSH),
    ],
    cmd::FLUSH + 1,
);

/// Handlers of the "IPVS" family.
pub(crate) struct IpvsGenl;

impl Handler for IpvsGenl {
    fn doit(req: &Request<'_>) -> Result {
        let ipvs = Ipvs::of(req.net())?;
        match req.cmd() {
            cmd::GET_INFO => req.reply(&FAMILY, cmd::SET_INFO, |w| {
                w.put_u32(info_attr::VERSION, VERSION_CODE)?;
                w.put_u32(info_attr::CONN_TAB_SIZE, ipvs.conn_tab_size())
            }),
            cmd::GET_CONFIG => {
                let t = ipvs.config.lock().timeouts;
                req.reply(&FAMILY, cmd::SET_CONFIG, |w| {
                    w.put_u32(cmd_attr::TIMEOUT_TCP, t.tcp)?;
                    w.put_u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin)?;
                    w.put_u32(cmd_attr::TIMEOUT_UDP, t.udp)
                })
            }
            cmd::SET_CONFIG => {
                let get = |ty| req.attr(ty).and_then(|a| a.u32());
                ipvs.config
                    .lock()
                    .timeouts
                    .update(
                        get(cmd_attr::TIMEOUT_TCP),
                        get(cmd_attr::TIMEOUT_TCP_FIN),
                        get(cmd_attr::TIMEOUT_UDP),
                        HZ,
                    )
                    .map_err(|_| EINVAL)
            }
            cmd::GET_SERVICE => {
                // The service table is empty: a well-formed lookup finds nothing.
                let svc = req.attr(cmd_attr::SERVICE).ok_or(EINVAL)?;
                svc.nested(&SVC_POLICY).map_err(|_| EINVAL)?;
                Err(ESRCH)
            }
            // Nothing is configured that a flush could remove.
            cmd::FLUSH => Ok(()),
            _ => Err(EINVAL),
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        Ipvs::of(dump.net())?;
        match dump.cmd() {
            // No services and no sync daemons yet: both dumps are empty.
            cmd::GET_SERVICE | cmd::GET_DAEMON => Ok(()),
            _ => Err(EINVAL),
        }
    }
}
