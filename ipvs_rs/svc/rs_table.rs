// SPDX-License-Identifier: GPL-2.0

//! The real servers of a namespace by address and port (C's `rs_table`): how the packet path
//! recognises a packet a NAT real server sends outside any connection (`nat_icmp_send`, and
//! the SIP engine's requests from real servers) and an ICMP error about a tunnel packet to a
//! real server.
//!
//! It is an [`RcuHashTable`], as the connection table: lookups walk RCU chains without locks.
//! Only the control plane changes it, through the one [`RealServersWriter`] of the table, which
//! the namespace's service list owns under its configuration lock.

use kernel::{
    prelude::*,
    sync::{rcu, Arc},
};

use crate::{
    addr::Addr,
    glue::hash_table::{impl_has_links, Links, RcuHashTable},
    sched::{fold, hash_32},
    svc::dest::{Dest, ServiceShared},
    uapi::{Fwd, TUN_TYPE_GRE, TUN_TYPE_GUE, TUN_TYPE_IPIP},
};

/// Buckets in the table. C has 16; more keep the chains short for the largest configurations
/// (the table does not resize: it has as many entries as real servers are configured).
const BUCKETS: usize = 256;

/// A real server in the table, with the service it belongs to (C's `dest->svc`).
pub(crate) struct RealServer {
    /// The server.
    pub(crate) dest: Arc<Dest>,
    /// Its service.
    pub(crate) svc: Arc<ServiceShared>,
    links: Links<1>,
}

impl_has_links!(RealServer, links, 1);

/// The real servers of a namespace that the packet path looks up by address and port.
///
/// # Invariants
///
/// A server is filed under the hash of its family, address and [`filed_port`] at the time it
/// was filed, once at most, and taken out when it is deleted.
#[pin_data]
pub(crate) struct RealServers {
    #[pin]
    table: RcuHashTable<Arc<RealServer>, 1>,
}

/// The port the table files `d` under, if it files it (`ip_vs_rs_hash`): a NAT server's own
/// port, a GUE tunnel's port, 0 for IP-IP and GRE tunnels; other servers are not filed.
pub(crate) fn filed_port(d: &Dest) -> Option<[u8; 2]> {
    match d.fwd() {
        Fwd::Masq => Some(d.port),
        Fwd::Tunnel => match d.tun_type() {
            TUN_TYPE_GUE => Some(d.tun_port()),
            TUN_TYPE_IPIP | TUN_TYPE_GRE => Some([0; 2]),
            _ => None,
        },
        _ => None,
    }
}

/// The hash of the servers at `addr` filed under `port`: C's `ip_vs_rs_hashkey` input (the
/// address folded by its family, and the port) through the kernel's `hash_32`.
fn hash_of(addr: &Addr, port: [u8; 2]) -> u32 {
    hash_32(
        fold(addr.af(), addr) ^ u32::from(u16::from_be_bytes(port)),
        32,
    )
}

impl RealServers {
    /// An empty table, and its writer.
    pub(crate) fn new() -> Result<(Arc<Self>, RealServersWriter)> {
        let table = Arc::pin_init(
            try_pin_init!(Self {
                table <- RcuHashTable::new(BUCKETS),
            }),
            GFP_KERNEL,
        )?;
        Ok((table.clone(), RealServersWriter { table }))
    }

    /// The first server filed under `addr` and `port` that `matches`.
    fn find<'g>(
        &self,
        guard: &'g rcu::Guard,
        addr: &Addr,
        port: [u8; 2],
        matches: impl Fn(&RealServer) -> bool,
    ) -> Option<&'g RealServer> {
        self.table.find_ref(hash_of(addr, port), guard, |_, r| {
            r.dest.addr == *addr && r.dest.available() && matches(r)
        })
    }

    /// `ip_vs_find_real_service`: the NAT real server `addr:port` filed last, of a service of
    /// `protocol` or a firewall-mark service.
    pub(crate) fn nat_server<'g>(
        &self,
        guard: &'g rcu::Guard,
        protocol: u8,
        addr: &Addr,
        port: [u8; 2],
    ) -> Option<&'g RealServer> {
        self.find(guard, addr, port, |r| {
            r.dest.port == port
                && (r.svc.id.protocol == u16::from(protocol) || r.svc.id.fwmark != 0)
                && r.dest.fwd() == Fwd::Masq
        })
    }

    /// `ip_vs_find_tunnel`: the tunnel type of the tunnel real server at `addr` with tunnel
    /// port `tun_port` (0 for IP-IP and GRE) filed last.
    pub(crate) fn tunnel_type(&self, addr: &Addr, tun_port: [u8; 2]) -> Option<u8> {
        let guard = rcu::read_lock();
        self.find(&guard, addr, tun_port, |r| {
            r.dest.tun_port() == tun_port && r.dest.fwd() == Fwd::Tunnel
        })
        .map(|r| r.dest.tun_type())
    }
}

/// The one writer of a [`RealServers`] table.
///
/// # Invariants
///
/// There is one writer per table (made only with it, by [`RealServers::new`]), so `&mut self`
/// serialises every change of the table.
pub(crate) struct RealServersWriter {
    table: Arc<RealServers>,
}

impl RealServersWriter {
    /// Files `dest` of `svc` first in its chain, unless the table does not file servers of its
    /// forwarding method or it is filed already (`ip_vs_rs_hash`).
    pub(crate) fn file(&mut self, dest: &Arc<Dest>, svc: &Arc<ServiceShared>) -> Result {
        let Some(port) = filed_port(dest) else {
            return Ok(());
        };
        let hash = hash_of(&dest.addr, port);
        if self.filed(hash, dest, &rcu::read_lock()).is_some() {
            return Ok(());
        }
        // Allocated outside the read-side section (it may sleep); this is the table's only
        // writer, so the server is still not filed after.
        let entry = Arc::new(
            RealServer {
                dest: dest.clone(),
                svc: svc.clone(),
                links: Links::new(),
            },
            GFP_KERNEL,
        )?;
        self.table
            .table
            .insert(entry, [Some(hash)], &rcu::read_lock())
    }

    /// Takes `dest` out of the table, where it was filed under `port` (`ip_vs_rs_unhash`).
    pub(crate) fn unfile(&mut self, dest: &Arc<Dest>, port: Option<[u8; 2]>) -> Result {
        let Some(port) = port else {
            return Ok(());
        };
        let guard = rcu::read_lock();
        if let Some(entry) = self.filed(hash_of(&dest.addr, port), dest, &guard) {
            self.table.table.remove(entry);
        }
        Ok(())
    }

    /// The entry of `dest` filed under `hash`, if any.
    fn filed<'g>(
        &self,
        hash: u32,
        dest: &Arc<Dest>,
        guard: &'g rcu::Guard,
    ) -> Option<&'g RealServer> {
        self.table
            .table
            .find_ref(hash, guard, |_, r| Arc::ptr_eq(&r.dest, dest))
    }
}
