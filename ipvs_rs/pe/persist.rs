// SPDX-License-Identifier: GPL-2.0

//! Persistence: the connection template a new connection of a persistent service looks for,
//! and the ports it and the connection get (`ip_vs_sched_persist`).
//!
//! A template is a connection entry without client port that binds a client network to a real
//! server for the service's persistence timeout. Its key depends on the service:
//! - normal: `<protocol, client network, 0, virtual address, virtual port>`, to the real
//!   server's port;
//! - FTP (port 21): the virtual port is left out, so that the data connections on other ports
//!   follow the control connection to the same server;
//! - port 0 (any port), or a packet to another port than the service's: port left out too;
//! - firewall mark: `<IPPROTO_IP, client network, 0, the mark as an IPv4 address, 0>`, so that
//!   every port and protocol with the mark sticks together.

use crate::{
    addr::Addr,
    uapi::{Af, PROTO_IP},
};

/// The FTP control port, network order: its templates leave the port out, and a service on it
/// lets other ports of its address pass when it has no server.
pub(crate) const FTP_PORT: [u8; 2] = 21u16.to_be_bytes();

/// What of a persistent service decides its templates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PersistentService {
    /// Address family.
    pub(crate) af: Af,
    /// Firewall mark, 0 for an address service.
    pub(crate) fwmark: u32,
    /// Virtual port, network order (0 for any port).
    pub(crate) port: [u8; 2],
    /// Granularity, raw: an IPv4 netmask in network order, an IPv6 prefix length.
    pub(crate) netmask: u32,
}

/// A template's key (its client port is always 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TemplateKey<'a> {
    /// The packet's protocol, or [`PROTO_IP`] for a firewall-mark service.
    pub(crate) protocol: u8,
    /// The client's network: its address masked by the service's netmask.
    pub(crate) caddr: Addr,
    /// The virtual address, or the mark (network order, in the first 4 bytes of an address of
    /// the service's family).
    pub(crate) vaddr: Addr,
    /// The virtual port, or 0.
    pub(crate) vport: [u8; 2],
    /// What the service's persistence engine read from the packet (`pe_data`: the SIP
    /// Call-ID), which a template must have too; `None` matches only templates without.
    pub(crate) pe_data: Option<&'a [u8]>,
}

impl PersistentService {
    /// The client address `saddr` masked to the service's granularity.
    pub(crate) fn client_network(&self, saddr: &Addr) -> Addr {
        let saddr = saddr.inet();
        let mut net = [0u8; 16];
        if self.af == Af::Inet6 {
            // `ipv6_addr_prefix`: the first `netmask` bits (at most 128).
            let bits = self.netmask.min(128) as usize;
            net[..bits / 8].copy_from_slice(&saddr[..bits / 8]);
            if bits % 8 != 0 {
                net[bits / 8] = saddr[bits / 8] & (0xff << (8 - bits % 8));
            }
        } else {
            let mask = self.netmask.to_ne_bytes();
            for i in 0..4 {
                net[i] = saddr[i] & mask[i];
            }
        }
        Addr::from_inet(self.af, net)
    }

    /// Whether a packet to `dport` is for the service's own port: only then does the template
    /// carry the port (an FTP service's never does).
    fn keyed_by_port(&self, dport: [u8; 2]) -> bool {
        dport == self.port && self.port != FTP_PORT
    }

    /// The key of the template for a packet of `protocol` from `saddr` to `daddr:dport`.
    pub(crate) fn template_key(
        &self,
        protocol: u8,
        saddr: &Addr,
        daddr: &Addr,
        dport: [u8; 2],
    ) -> TemplateKey<'static> {
        let mut key = TemplateKey {
            protocol,
            caddr: self.client_network(saddr),
            vaddr: *daddr,
            vport: if self.keyed_by_port(dport) {
                dport
            } else {
                [0; 2]
            },
            pe_data: None,
        };
        if dport != self.port && self.fwmark != 0 {
            key.protocol = PROTO_IP;
            let mut mark = [0; 16];
            mark[..4].copy_from_slice(&self.fwmark.to_be_bytes());
            key.vaddr = Addr::from_inet(self.af, mark);
        }
        key
    }

    /// The real-server port of a new template for a packet to `dport`, whose server listens on
    /// `dest_port`.
    pub(crate) fn template_dport(&self, dport: [u8; 2], dest_port: [u8; 2]) -> [u8; 2] {
        if self.keyed_by_port(dport) {
            dest_port
        } else {
            [0; 2]
        }
    }

    /// The real-server port of a connection to `dport` through a template to a server on
    /// `dest_port`: the server's port for the service's own port, else the packet's.
    pub(crate) fn conn_dport(&self, dport: [u8; 2], dest_port: [u8; 2]) -> [u8; 2] {
        if dport == self.port && dest_port != [0; 2] {
            dest_port
        } else {
            dport
        }
    }
}

/// A template's dport once invalidated (`ip_vs_check_template`): lookups pass over it.
pub(crate) const INVALID_DPORT: [u8; 2] = [0xff, 0xff];
/// Seconds a template whose connections are still there lives on past its timeout.
pub(crate) const CONTROLLED_REARM_SECS: u32 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> Addr {
        Addr::v4(a)
    }

    const TCP: u8 = 6;

    fn svc(port: u16, fwmark: u32, mask: [u8; 4]) -> PersistentService {
        PersistentService {
            af: Af::Inet,
            fwmark,
            port: port.to_be_bytes(),
            netmask: u32::from_ne_bytes(mask),
        }
    }

    #[test]
    fn address_service_keys() {
        let s = svc(80, 0, [255, 255, 255, 0]);
        let k = s.template_key(
            TCP,
            &v4([10, 1, 2, 3]),
            &v4([192, 0, 2, 1]),
            80u16.to_be_bytes(),
        );
        assert_eq!(
            k,
            TemplateKey {
                protocol: TCP,
                caddr: v4([10, 1, 2, 0]),
                vaddr: v4([192, 0, 2, 1]),
                vport: 80u16.to_be_bytes(),
                pe_data: None,
            }
        );
        assert_eq!(s.template_dport([0, 80], [0x1f, 0x90]), [0x1f, 0x90]);
        assert_eq!(s.conn_dport([0, 80], [0x1f, 0x90]), [0x1f, 0x90]);
        assert_eq!(s.conn_dport([0, 80], [0, 0]), [0, 80]);
    }

    #[test]
    fn ftp_and_port_zero_leave_the_port_out() {
        let ftp = svc(21, 0, [255; 4]);
        let k = ftp.template_key(TCP, &v4([10, 1, 2, 3]), &v4([192, 0, 2, 1]), [0, 21]);
        assert_eq!(k.vport, [0, 0]);
        assert_eq!(ftp.template_dport([0, 21], [0, 21]), [0, 0]);
        // The control connection still goes to the server's port.
        assert_eq!(ftp.conn_dport([0, 21], [0, 99]), [0, 99]);
        let any = svc(0, 0, [255; 4]);
        let k = any.template_key(TCP, &v4([10, 1, 2, 3]), &v4([192, 0, 2, 1]), [0, 25]);
        assert_eq!((k.protocol, k.vport), (TCP, [0, 0]));
        assert_eq!(any.conn_dport([0, 25], [0, 99]), [0, 25]);
    }

    #[test]
    fn fwmark_keys_by_mark() {
        let s = svc(0, 0x102, [255, 255, 0, 0]);
        let k = s.template_key(17, &v4([10, 1, 2, 3]), &v4([192, 0, 2, 1]), [0, 53]);
        assert_eq!(
            k,
            TemplateKey {
                protocol: PROTO_IP,
                caddr: v4([10, 1, 0, 0]),
                vaddr: v4([0, 0, 1, 2]),
                vport: [0, 0],
                pe_data: None,
            }
        );
    }

    #[test]
    fn ipv6_prefixes() {
        let s = PersistentService {
            af: Af::Inet6,
            fwmark: 0,
            port: [0, 80],
            netmask: 60,
        };
        let a = Addr::v6([0xff; 16]);
        let net = s.client_network(&a);
        assert_eq!(&net.inet()[..7], &[0xff; 7]);
        assert_eq!(net.inet()[7], 0xf0);
        assert_eq!(&net.inet()[8..], &[0; 8]);
        let all = PersistentService { netmask: 128, ..s };
        assert_eq!(all.client_network(&a), a);
        let over = PersistentService { netmask: 200, ..s };
        assert_eq!(over.client_network(&a), a);
    }

    #[test]
    fn invalidated_template_port_is_htons_0xffff() {
        // ip_vs_check_template: `ct->dport = htons(0xffff)`, which ip_vs_ct_in_get skips.
        assert_eq!(INVALID_DPORT, 0xffffu16.to_be_bytes());
    }

    #[test]
    fn controlled_template_rearms_for_60_seconds() {
        // ip_vs_conn_expire, expire_later: `cp->timeout = 60*HZ`.
        assert_eq!(CONTROLLED_REARM_SECS, 60);
    }
}
