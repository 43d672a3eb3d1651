// SPDX-License-Identifier: GPL-2.0

//! Virtual services and their real servers (destinations): the configuration the control plane
//! edits, with the rules of the C module's `ip_vs_add_service`, `ip_vs_edit_dest` and friends.
//!
//! Everything here lives under the namespace's configuration mutex.

use kernel::{alloc::KVec, prelude::*, sync::Arc};

use crate::{
    addr::Addr,
    error::Errno,
    glue::{rcu::RcuPtr, time::HZ},
    pe::sip,
    sched,
    svc::{
        dest::{sched_storage, Dest, DestChange, ServiceShared, SharedSettings},
        index::{self, ServiceIndex, ServiceKey},
        request::{merge_flags, DestId, DestSettings, ServiceId, ServiceSettings},
        rs_table::{self, RealServersWriter},
    },
    uapi::{Af, Fwd, SVC_F_HASHED},
};

/// The services the packet path looks new connections up in (published under RCU).
pub(crate) struct ServiceTable {
    list: KVec<Arc<ServiceShared>>,
    /// `list` by firewall mark and by address.
    index: ServiceIndex<KVec<u32>>,
    /// Whether an IPv4 (IPv6) service has the SIP persistence engine, whose real servers'
    /// own requests are looked for (C's `conn_out_counter`).
    sip: [bool; 2],
}

impl ServiceTable {
    /// The services, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<ServiceShared>> {
        self.list.iter()
    }

    /// The service for a packet of `protocol` to `addr`:`port` carrying firewall mark `mark`:
    /// as in C, the firewall-mark service of the address's family first (whatever the
    /// protocol), then the address service.
    pub(crate) fn find(
        &self,
        mark: u32,
        protocol: u8,
        addr: &Addr,
        port: [u8; 2],
    ) -> Option<&Arc<ServiceShared>> {
        let find = |key| self.index.find(&self.list, &key, |s| ServiceKey::of(&s.id));
        let af = addr.af();
        let by_address = |port| {
            find(ServiceKey::Addr {
                protocol: u16::from(protocol),
                addr: *addr,
                port,
            })
        };
        // Then a port-0 service of the address, which takes every port.
        (if mark != 0 {
            find(ServiceKey::Mark { af, mark })
        } else {
            None
        })
        .or_else(|| by_address(port))
        .or_else(|| by_address([0; 2]))
    }

    /// Whether a service of family `af` has the SIP persistence engine.
    pub(crate) fn has_sip(&self, af: Af) -> bool {
        self.sip[usize::from(af == Af::Inet6)]
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
    /// Persistence timeout in jiffies: C keeps `seconds * HZ` in 32 bits, so a timeout
    /// beyond 2^32 / HZ seconds wraps, and user space reads back the wrapped value / HZ.
    timeout_jiffies: u32,
    /// Raw netmask (see [`ServiceSettings::netmask`]).
    pub(crate) netmask: u32,
    /// Real servers in the order they were added; user space sees them newest first.
    pub(crate) dests: KVec<Arc<Dest>>,
    /// The part the packet path uses.
    pub(crate) shared: Arc<ServiceShared>,
}

/// A persistence timeout as C stores it: `seconds * HZ` in 32 bits, wrapping.
fn persistence_jiffies(seconds: u32) -> u32 {
    seconds.wrapping_mul(HZ)
}

impl Service {
    /// The scheduler name user space sees.
    pub(crate) fn sched_name(&self) -> &'static str {
        self.sched.unwrap_or(sched::NONE)
    }

    /// The persistence timeout in jiffies, as C stores it (and prints it in `/proc`).
    pub(crate) fn timeout_jiffies(&self) -> u32 {
        self.timeout_jiffies
    }

    /// The persistence timeout in seconds, as netlink and the socket options report it.
    pub(crate) fn timeout_secs(&self) -> u32 {
        self.timeout_jiffies / HZ
    }

    /// Real servers, newest first (C adds them at the head of its list).
    pub(crate) fn dests_newest_first(&self) -> impl Iterator<Item = &Arc<Dest>> {
        self.dests.iter().rev()
    }

    /// Gives the scheduler the current servers; `change` says how the list changed.
    fn sync_sched(&self, change: DestChange) -> Result<(), Errno> {
        let mut list = KVec::with_capacity(self.dests.len(), GFP_KERNEL)?;
        for d in self.dests_newest_first() {
            list.push(d.clone(), GFP_KERNEL)?;
        }
        let storage = match change {
            DestChange::Scheduler => Some(sched_storage(self.sched)?),
            _ => None,
        };
        self.shared.give_dests(list, change, self.sched, storage);
        Ok(())
    }

    /// The service is going: its servers stop taking packets (their connections keep them).
    fn unlink(&self) {
        for d in &self.dests {
            d.set_unavailable();
        }
    }

    /// Zeroes the counters of the service and its real servers.
    pub(crate) fn zero(&self) {
        self.shared.stats.zero();
        for d in &self.dests {
            d.stats.zero();
        }
    }

    fn find_dest(&self, addr: &Addr, port: [u8; 2]) -> Option<usize> {
        self.dests
            .iter()
            .position(|d| d.addr == *addr && d.port == port)
    }
}

/// Schedulers and persistence engines by name, with C's errors.
fn bind(
    s: &ServiceSettings,
    af: Af,
) -> Result<(Option<&'static str>, Option<&'static str>), Errno> {
    let sched = sched::lookup(s.sched_name.as_bytes()).map_err(|()| Errno::NoEnt)?;
    let pe = if s.pe_name.is_empty() {
        None
    } else {
        Some(sched::lookup_pe(s.pe_name.as_bytes())?)
    };
    if af == Af::Inet6 && !(1..=128).contains(&s.netmask) {
        return Err(Errno::Inval);
    }
    Ok((sched, pe))
}

/// The services of a namespace.
pub(crate) struct Services {
    list: KVec<Service>,
    /// Whether the connection table exists: C creates it with the first service and keeps it.
    conn_tab: bool,
    /// Where the packet path finds the services; republished on every change of the list.
    published: Arc<RcuPtr<ServiceTable>>,
    /// The real servers the packet path looks up by address and port.
    real_servers: RealServersWriter,
}

impl Services {
    /// No services; changes are published to `published`.
    pub(crate) fn new(
        published: Arc<RcuPtr<ServiceTable>>,
        real_servers: RealServersWriter,
    ) -> Self {
        Self {
            list: KVec::new(),
            conn_tab: false,
            published,
            real_servers,
        }
    }

    /// Publishes the current list to the packet path (old readers keep the old one).
    fn publish(&self) -> Result<(), Errno> {
        let mut list = KVec::with_capacity(self.list.len(), GFP_KERNEL)?;
        let mut sip = [false; 2];
        for s in &self.list {
            list.push(s.shared.clone(), GFP_KERNEL)?;
            if s.pe == Some(sip::NAME) {
                sip[usize::from(s.id.af() == Af::Inet6)] = true;
            }
        }
        let buckets = index::buckets_for(list.len());
        let index = ServiceIndex::build(
            KVec::from_elem(0, buckets, GFP_KERNEL)?,
            KVec::from_elem(0, list.len(), GFP_KERNEL)?,
            list.iter().map(|s| ServiceKey::of(&s.id)),
        )
        // Not reached: the arrays are sized as `build` asks.
        .ok_or(Errno::NoMem)?;
        let table = ServiceTable { list, index, sip };
        // Its only failure is an allocation's.
        self.published
            .replace(Some(table), GFP_KERNEL)
            .map_err(|_| Errno::NoMem)
    }

    /// Whether user space sees a connection table: C makes it with the first service (or a
    /// backup sync daemon), and its `size=` is 0 before.
    pub(crate) fn has_conn_tab(&self) -> bool {
        self.conn_tab
    }

    /// Creates the connection table if it is not there yet (a backup sync daemon does so
    /// without services).
    pub(crate) fn ensure_conn_tab(&mut self) {
        self.conn_tab = true;
    }

    /// The number of IPv4 services (what the legacy sockopt interface reports).
    pub(crate) fn count_ipv4(&self) -> usize {
        self.list.iter().filter(|s| s.id.af() == Af::Inet).count()
    }

    /// The number of services of family `af`.
    pub(crate) fn count_af(&self, af: Af) -> usize {
        self.list.iter().filter(|s| s.id.af() == af).count()
    }

    /// Whether some service or real server is IPv6 (IPv6 fragments must then be reassembled
    /// before the hooks).
    pub(crate) fn uses_ipv6(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.id.af() == Af::Inet6 || s.dests.iter().any(|d| d.addr.af() == Af::Inet6))
    }

    /// Whether some service has a real server of another address family (the sync protocol
    /// cannot carry those).
    pub(crate) fn has_mixed_af_dests(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.dests.iter().any(|d| d.addr.af() != s.id.af()))
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
        self.list.iter().position(|s| {
            if id.fwmark != 0 {
                s.id.af() == id.af() && s.id.fwmark == id.fwmark
            } else {
                s.id.fwmark == 0
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
        let (sched, pe) = bind(s, id.af())?;
        let id = *id;
        let flags = merge_flags(0, s.flags, s.flags_mask) | SVC_F_HASHED;
        let storage = sched_storage(sched)?;
        let settings = SharedSettings {
            flags,
            timeout_jiffies: persistence_jiffies(s.timeout),
            netmask: s.netmask,
            sip: pe == Some(sip::NAME),
        };
        let shared = ServiceShared::new(id, settings, sched, storage)?;
        let service = Service {
            id,
            sched,
            pe,
            flags,
            timeout_jiffies: persistence_jiffies(s.timeout),
            netmask: s.netmask,
            dests: KVec::new(),
            shared,
        };
        self.list.push(service, GFP_KERNEL)?;
        self.conn_tab = true;
        self.publish()
    }

    /// `SET_SERVICE` on service `i`.
    pub(crate) fn edit(&mut self, i: usize, s: &ServiceSettings) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let (sched, pe) = bind(s, svc.id.af())?;
        let new_sched = svc.sched != sched;
        svc.sched = sched;
        svc.flags = merge_flags(svc.flags, s.flags, s.flags_mask) | SVC_F_HASHED;
        svc.timeout_jiffies = persistence_jiffies(s.timeout);
        svc.netmask = s.netmask;
        let new_pe = svc.pe != pe;
        svc.pe = pe;
        svc.shared.set_settings(SharedSettings {
            flags: svc.flags,
            timeout_jiffies: svc.timeout_jiffies,
            netmask: svc.netmask,
            sip: pe == Some(sip::NAME),
        });
        if new_sched {
            svc.sync_sched(DestChange::Scheduler)?;
        }
        if new_pe {
            self.publish()?;
        }
        Ok(())
    }

    /// `DEL_SERVICE` of service `i`.
    pub(crate) fn remove(&mut self, i: usize) -> Result<(), Errno> {
        if let Ok(svc) = self.list.remove(i) {
            self.unlink_service(&svc);
        }
        self.publish()
    }

    /// `FLUSH`: every service goes (the connection table stays).
    pub(crate) fn flush(&mut self) -> Result<(), Errno> {
        while let Some(svc) = self.list.pop() {
            self.unlink_service(&svc);
        }
        self.publish()
    }

    /// Takes the real servers of `svc`, which is no longer in the list, out of the packet path.
    fn unlink_service(&mut self, svc: &Service) {
        for d in &svc.dests {
            self.unfile(d);
        }
        svc.unlink();
    }

    /// Files `d` of `svc` in the real-server table, if its forwarding method is filed there.
    fn file(&mut self, d: &Arc<Dest>, svc: &Arc<ServiceShared>) {
        // Without memory the server is only missed by the lookups of the table (ICMP errors
        // about tunnel packets, `nat_icmp_send`, SIP requests from real servers): the command
        // itself has been carried out.
        let _ = self.real_servers.file(d, svc);
    }

    /// Takes `d` out of the real-server table.
    fn unfile(&mut self, d: &Arc<Dest>) {
        // Without memory it stays, marked unavailable, which every lookup skips.
        let _ = self.real_servers.unfile(d, rs_table::filed_port(d));
    }

    /// Zeroes the counters of every service and real server.
    pub(crate) fn zero_all(&self) {
        for svc in &self.list {
            svc.zero();
        }
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
        routable: impl FnOnce(&Addr) -> bool,
    ) -> Result<(), Errno> {
        let svc = self.list.get_mut(i).ok_or(Errno::Srch)?;
        let number = if id.af == 0 {
            svc.id.af().number()
        } else {
            id.af
        };
        let af = crate::svc::request::served_af(number, ipv6).ok_or(Errno::AfNoSupport)?;
        if af != svc.id.af()
            && op != DestOp::Del
            && settings.map(|s| Fwd::of(s.fwd)) != Some(Fwd::Tunnel)
        {
            return Err(Errno::Inval);
        }
        // As `ip_vs_addr_copy`, only an IPv4 address's first 4 bytes count.
        let addr = Addr::from_inet(af, id.addr);
        let found = svc.find_dest(&addr, id.port);
        let shared = svc.shared.clone();
        match (op, settings) {
            (DestOp::Add, Some(s)) => {
                s.check()?;
                if found.is_some() {
                    return Err(Errno::Exist);
                }
                if !routable(&addr) {
                    return Err(Errno::Inval);
                }
                let d = Dest::new(addr, id.port, shared.standings())?;
                d.apply(s, true);
                let d = Arc::new(d, GFP_KERNEL)?;
                svc.dests.push(d.clone(), GFP_KERNEL)?;
                let done = svc.sync_sched(DestChange::Added);
                self.file(&d, &shared);
                done
            }
            (DestOp::Edit, Some(s)) => {
                s.check()?;
                let d = found
                    .and_then(|i| svc.dests.get(i))
                    .ok_or(Errno::NoEnt)?
                    .clone();
                // C files a server anew, first in its bucket, when its method or tunnel
                // changes, even where the port it is filed under stays.
                let filed = |d: &Dest| (d.fwd(), d.tun_type(), d.tun_port());
                let before = filed(&d);
                let port = rs_table::filed_port(&d);
                d.apply(s, false);
                let done = svc.sync_sched(DestChange::Updated);
                if filed(&d) != before {
                    // Without memory it stays there too, found by the lookups' checks of
                    // what it is now or not at all.
                    let _ = self.real_servers.unfile(&d, port);
                }
                self.file(&d, &shared);
                done
            }
            (DestOp::Del, _) => {
                let d = found.ok_or(Errno::NoEnt)?;
                let newest_first = svc.dests.len() - 1 - d;
                let gone = svc.dests.remove(d).map_err(|_| Errno::NoEnt)?;
                gone.set_unavailable();
                let done = svc.sync_sched(DestChange::Removed(newest_first));
                self.unfile(&gone);
                done
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
