// SPDX-License-Identifier: GPL-2.0

//! Virtual services and their real servers (destinations): the configuration the control plane
//! edits, with the rules of the C module's `ip_vs_add_service`, `ip_vs_edit_dest` and friends.
//!
//! Everything here lives under the namespace's configuration mutex.

use kernel::{alloc::KVec, prelude::*};

use crate::{
    glue::time::HZ,
    request::{
        merge_flags, DestId, DestSettings, Errno, ServiceId, ServiceSettings, AF_INET, AF_INET6,
        FWD_MASK, FWD_TUNNEL,
    },
    sched,
};

/// `IP_VS_SVC_F_HASHED`: set on every service in the table (reported to user space).
pub(crate) const SVC_F_HASHED: u32 = 0x2;
/// `IP_VS_CONN_F_MASQ`.
const FWD_MASQ: u32 = 0;
/// `IP_VS_CONN_F_NOOUTPUT`: replies do not pass the director (all methods but NAT).
const CONN_F_NOOUTPUT: u32 = 0x80;
/// `IP_VS_CONN_F_INACTIVE`: new connections start inactive.
const CONN_F_INACTIVE: u32 = 0x100;
/// `IP_VS_CONN_F_DEST_MASK`: the connection flags a destination takes from user space
/// (forwarding method, `ONE_PACKET`, `NFCT`); netlink requests carry the method alone.
const DEST_MASK: u32 = FWD_MASK | 0x2000 | 0x10000;

/// A real server of a service.
pub(crate) struct Dest {
    /// Address family (may differ from the service's for tunnels).
    pub(crate) af: u16,
    /// Address, zero beyond 4 bytes for IPv4.
    pub(crate) addr: [u8; 16],
    /// Port, network byte order.
    pub(crate) port: [u8; 2],
    /// Connection flags new connections get (forwarding method, `NOOUTPUT`, `INACTIVE`).
    pub(crate) conn_flags: u32,
    /// Weight; 0 quiesces the server.
    pub(crate) weight: i32,
    /// The last non-zero weight (for schedulers that keep a server's place while quiesced).
    pub(crate) last_weight: i32,
    /// Upper connection threshold, 0 for none.
    pub(crate) u_threshold: u32,
    /// Lower connection threshold.
    pub(crate) l_threshold: u32,
    /// Tunnel type.
    pub(crate) tun_type: u8,
    /// Tunnel port, network byte order.
    pub(crate) tun_port: [u8; 2],
    /// Tunnel flags.
    pub(crate) tun_flags: u16,
}

impl Dest {
    fn apply(&mut self, s: &DestSettings, add: bool) {
        if add || s.weight != 0 {
            self.last_weight = s.weight;
        }
        self.weight = s.weight;
        let mut flags = (s.fwd & DEST_MASK) | CONN_F_INACTIVE;
        if flags & FWD_MASK != FWD_MASQ {
            flags |= CONN_F_NOOUTPUT;
        }
        self.conn_flags = flags;
        self.tun_type = s.tun_type;
        self.tun_port = s.tun_port;
        self.tun_flags = s.tun_flags;
        self.u_threshold = s.u_threshold;
        self.l_threshold = s.l_threshold;
    }
}

/// A virtual service.
pub(crate) struct Service {
    /// Identity (key), with the address zero beyond 4 bytes for IPv4.
    pub(crate) id: ServiceId,
    /// Bound scheduler, `None` for `none`.
    pub(crate) sched: Option<&'static str>,
    /// Bound persistence engine.
    pub(crate) pe: Option<&'static str>,
    /// Service flags, `HASHED` included.
    pub(crate) flags: u32,
    /// Persistence timeout in seconds.
    pub(crate) timeout: u32,
    /// Raw netmask (see [`ServiceSettings::netmask`]).
    pub(crate) netmask: u32,
    /// Real servers in the order they were added; user space sees them newest first.
    pub(crate) dests: KVec<Dest>,
}

impl Service {
    /// The scheduler name user space sees.
    pub(crate) fn sched_name(&self) -> &'static str {
        self.sched.unwrap_or(sched::NONE)
    }

    /// The persistence timeout in jiffies, as C stores it (and prints it in `/proc`).
    pub(crate) fn timeout_jiffies(&self) -> u32 {
        self.timeout.wrapping_mul(HZ)
    }

    /// Real servers, newest first (C adds them at the head of its list).
    pub(crate) fn dests_newest_first(&self) -> impl Iterator<Item = &Dest> {
        self.dests.iter().rev()
    }

    fn find_dest(&self, af: u16, addr: &[u8; 16], port: [u8; 2]) -> Option<usize> {
        self.dests
            .iter()
            .position(|d| d.af == af && d.addr == *addr && d.port == port)
    }
}

/// Zeroes the bytes of an IPv4 address beyond the first four, as `ip_vs_addr_copy` keeps only
/// those: lookups then compare whole arrays.
fn canonical_addr(af: u16, mut addr: [u8; 16]) -> [u8; 16] {
    if af == AF_INET {
        addr[4..].fill(0);
    }
    addr
}

fn canonical_id(id: &ServiceId) -> ServiceId {
    ServiceId {
        addr: canonical_addr(id.af, id.addr),
        ..*id
    }
}

/// Schedulers and persistence engines by name, with C's errors.
fn bind(
    s: &ServiceSettings,
    af: u16,
) -> Result<(Option<&'static str>, Option<&'static str>), Errno> {
    let sched = sched::lookup(s.sched_name.as_bytes()).map_err(|()| Errno::NoEnt)?;
    let pe = if s.pe_name.is_empty() {
        None
    } else {
        Some(sched::lookup_pe(s.pe_name.as_bytes()).map_err(|()| Errno::NoEnt)?)
    };
    if af == AF_INET6 && !(1..=128).contains(&s.netmask) {
        return Err(Errno::Inval);
    }
    Ok((sched, pe))
}

/// The services of a namespace.
pub(crate) struct Services {
    list: KVec<Service>,
    /// Whether the connection table exists: C creates it with the first service and keeps it.
    conn_tab: bool,
}

/// Buckets of a new connection table (`2^8`).
const CONN_TAB_INITIAL_SIZE: u32 = 256;

impl Services {
    /// No services.
    pub(crate) const fn new() -> Self {
        Self {
            list: KVec::new(),
            conn_tab: false,
        }
    }

    /// Size of the connection table user space sees (0 before the first service).
    pub(crate) fn conn_tab_size(&self) -> u32 {
        if self.conn_tab {
            CONN_TAB_INITIAL_SIZE
        } else {
            0
        }
    }

    /// Creates the connection table if it is not there yet (a backup sync daemon does so
    /// without services).
    pub(crate) fn ensure_conn_tab(&mut self) {
        self.conn_tab = true;
    }

    /// The number of IPv4 services (what the legacy sockopt interface reports).
    pub(crate) fn count_ipv4(&self) -> usize {
        self.list.iter().filter(|s| s.id.af == AF_INET).count()
    }

    /// Whether some service has a real server of another address family (the sync protocol
    /// cannot carry those).
    pub(crate) fn has_mixed_af_dests(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.dests.iter().any(|d| d.af != s.id.af))
    }

    /// The service [`Services::find`] finds.
    pub(crate) fn lookup(&self, id: &ServiceId) -> Option<&Service> {
        self.find(id).and_then(|i| self.get(i))
    }

    /// All services, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Service> {
        self.list.iter()
    }

    /// Finds a service: by firewall mark if it has one, else by protocol, address and port.
    pub(crate) fn find(&self, id: &ServiceId) -> Option<usize> {
        let id = canonical_id(id);
        self.list.iter().position(|s| {
            if id.fwmark != 0 {
                s.id.af == id.af && s.id.fwmark == id.fwmark
            } else {
                s.id.fwmark == 0
                    && s.id.af == id.af
                    && s.id.protocol == id.protocol
                    && s.id.addr == id.addr
                    && s.id.port == id.port
            }
        })
    }

    /// The service at `i` (from [`Services::find`]).
    pub(crate) fn get(&self, i: usize) -> Option<&Service> {
        self.list.get(i)
    }

    /// `NEW_SERVICE` for a service [`Services::find`] did not find.
    pub(crate) fn add(&mut self, id: &ServiceId, s: &ServiceSettings) -> Result<(), Errno> {
        let (sched, pe) = bind(s, id.af)?;
        let service = Service {
            id: canonical_id(id),
            sched,
            pe,
            flags: merge_flags(0, s.flags, s.flags_mask) | SVC_F_HASHED,
            timeout: s.timeout,
            netmask: s.netmask,
            dests: KVec::new(),
        };
        self.list
            .push(service, GFP_KERNEL)
            .map_err(|_| Errno::NoMem)?;
        self.conn_tab = true;
        Ok(())
    }

    /// `SET_SERVICE` on service `i`.
    pub(crate) fn edit(&mut self, i: usize, s: &ServiceSettings) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let (sched, pe) = bind(s, svc.id.af)?;
        svc.sched = sched;
        svc.flags = merge_flags(svc.flags, s.flags, s.flags_mask) | SVC_F_HASHED;
        svc.timeout = s.timeout;
        svc.netmask = s.netmask;
        svc.pe = pe;
        Ok(())
    }

    /// `DEL_SERVICE` of service `i`.
    pub(crate) fn remove(&mut self, i: usize) {
        let _ = self.list.remove(i);
    }

    /// `FLUSH`: every service goes (the connection table stays).
    pub(crate) fn flush(&mut self) {
        self.list.clear();
    }

    /// `NEW_DEST`, `SET_DEST` or `DEL_DEST` (`settings` is `None` for delete) on service `i`.
    ///
    /// `id.af` 0 means the service's family; a family other than the service's is allowed for
    /// tunnels only (and deletes). A new destination's address must pass `routable` (unicast
    /// or local in the namespace), as C checks only when it creates a destination.
    pub(crate) fn dest_op(
        &mut self,
        i: usize,
        op: DestOp,
        id: &DestId,
        settings: Option<&DestSettings>,
        ipv6: bool,
        routable: impl FnOnce(u16, &[u8; 16]) -> bool,
    ) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let af = if id.af == 0 { svc.id.af } else { id.af };
        if !crate::request::af_valid(af, ipv6) {
            return Err(Errno::AfNoSupport);
        }
        if af != svc.id.af
            && op != DestOp::Del
            && settings.map(|s| s.fwd & FWD_MASK) != Some(FWD_TUNNEL)
        {
            return Err(Errno::Inval);
        }
        let addr = canonical_addr(af, id.addr);
        let found = svc.find_dest(af, &addr, id.port);
        match (op, settings) {
            (DestOp::Add, Some(s)) => {
                s.check_add()?;
                if found.is_some() {
                    return Err(Errno::Exist);
                }
                if !routable(af, &addr) {
                    return Err(Errno::Inval);
                }
                let mut d = Dest {
                    af,
                    addr,
                    port: id.port,
                    conn_flags: 0,
                    weight: 0,
                    last_weight: 0,
                    u_threshold: 0,
                    l_threshold: 0,
                    tun_type: 0,
                    tun_port: [0; 2],
                    tun_flags: 0,
                };
                d.apply(s, true);
                svc.dests.push(d, GFP_KERNEL).map_err(|_| Errno::NoMem)
            }
            (DestOp::Edit, Some(s)) => {
                s.check_edit()?;
                let d = found.ok_or(Errno::NoEnt)?;
                svc.dests[d].apply(s, false);
                Ok(())
            }
            (DestOp::Del, _) => {
                let d = found.ok_or(Errno::NoEnt)?;
                let _ = svc.dests.remove(d);
                Ok(())
            }
            _ => Err(Errno::Inval),
        }
    }
}

/// Which destination command.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DestOp {
    /// `NEW_DEST`.
    Add,
    /// `SET_DEST`.
    Edit,
    /// `DEL_DEST`.
    Del,
}
