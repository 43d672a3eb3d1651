// SPDX-License-Identifier: GPL-2.0

//! The real servers of a namespace by address and port (C's `rs_table`): how the packet path
//! recognises a packet a NAT real server sends outside any connection (`nat_icmp_send`, and
//! the SIP engine's requests from real servers) and an ICMP error about a tunnel packet to a
//! real server.
//!
//! Each bucket is an RCU-published chain, copied when it changes. Only the control plane
//! changes it, through the one [`RealServersWriter`] of the table, which the namespace's
//! service list owns under its configuration lock: a writer needs no lock of its own.

use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{rcu, Arc},
};

use crate::{
    addr::Addr,
    glue::rcu_buckets::RcuBuckets,
    sched::{fold, hash_32},
    svc::dest::{Dest, ServiceShared},
    uapi::{Fwd, TUN_TYPE_GRE, TUN_TYPE_GUE, TUN_TYPE_IPIP},
};

/// Buckets in the table (`2^BUCKET_BITS`). C has 16; the chains here are arrays, copied on
/// every change, so more buckets keep them short for the largest configurations.
const BUCKET_BITS: u32 = 8;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// A real server in the table, with the service it belongs to (C's `dest->svc`).
#[derive(Clone)]
pub(crate) struct RealServer {
    /// The server.
    pub(crate) dest: Arc<Dest>,
    /// Its service.
    pub(crate) svc: Arc<ServiceShared>,
}

/// The real servers of a namespace that the packet path looks up by address and port.
///
/// # Invariants
///
/// `buckets` has [`BUCKETS`] entries; a server is in the bucket of its family, address and
/// [`filed_port`] at the time it was filed, once at most. A server is taken out when it is
/// deleted (unless memory ran out for the copy of its chain: lookups skip deleted servers).
pub(crate) struct RealServers {
    buckets: RcuBuckets<RealServer>,
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

/// The bucket of the servers at `addr` filed under `port`: C's `ip_vs_rs_hashkey` input (the
/// address folded by its family, and the port) through the kernel's `hash_32`.
fn bucket_of(addr: &Addr, port: [u8; 2]) -> usize {
    hash_32(
        fold(addr.af(), addr) ^ u32::from(u16::from_be_bytes(port)),
        BUCKET_BITS,
    ) as usize
}

impl RealServers {
    /// An empty table, and its writer.
    pub(crate) fn new() -> Result<(Arc<Self>, RealServersWriter)> {
        let buckets = RcuBuckets::new(BUCKETS, GFP_KERNEL)?;
        let table = Arc::new(Self { buckets }, GFP_KERNEL)?;
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
        self.buckets
            .entries(bucket_of(addr, port), guard)
            .iter()
            .find(|r| r.dest.addr == *addr && r.dest.available() && matches(r))
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
    /// Files `dest` of `svc` first in its bucket, unless the table does not file servers of
    /// its forwarding method or it is filed already (`ip_vs_rs_hash`).
    pub(crate) fn file(&mut self, dest: &Arc<Dest>, svc: &Arc<ServiceShared>) -> Result {
        let Some(port) = filed_port(dest) else {
            return Ok(());
        };
        self.rewrite(bucket_of(&dest.addr, port), |chain| {
            if chain.iter().any(|r| Arc::ptr_eq(&r.dest, dest)) {
                return Ok(());
            }
            let entry = RealServer {
                dest: dest.clone(),
                svc: svc.clone(),
            };
            chain.insert_within_capacity(0, entry).map_err(|_| ENOMEM)
        })
    }

    /// Takes `dest` out of the table, where it was filed under `port` (`ip_vs_rs_unhash`).
    pub(crate) fn unfile(&mut self, dest: &Arc<Dest>, port: Option<[u8; 2]>) -> Result {
        let Some(port) = port else {
            return Ok(());
        };
        self.rewrite(bucket_of(&dest.addr, port), |chain| {
            chain.retain(|r| !Arc::ptr_eq(&r.dest, dest));
            Ok(())
        })
    }

    /// Publishes bucket `b`'s chain with `edit` applied to a copy of it.
    fn rewrite(&mut self, b: usize, edit: impl FnOnce(&mut KVec<RealServer>) -> Result) -> Result {
        // Writers are serialised: this is the table's only writer (type invariant).
        self.table.buckets.rewrite(b, GFP_KERNEL, edit)
    }
}
