// SPDX-License-Identifier: GPL-2.0

//! IPVS tunnels (`-i`): the real server gets the packet inside a new IP header of the real
//! server's family (IPv4 or IPv6, whatever the packet's), directly (IP-IP), behind UDP and GUE
//! (`--tun-type gue`), or behind GRE (`--tun-type gre`). What goes in front of the packet, and
//! how much room it takes, is decided here; the packet work is in the data plane.

use crate::proto::packet::{Ip, IPV4_MIN_LEN, IPV6_LEN, UDP_LEN as UDP_HEADER_LEN};
use crate::uapi::{
    ETH_P_IP, ETH_P_IPV6, PROTO_GRE, PROTO_IPIP, PROTO_IPV6, PROTO_UDP, TUN_FLAG_CSUM,
    TUN_FLAG_REMCSUM, TUN_TYPE_GRE, TUN_TYPE_GUE,
};

const IPV4_LEN: u32 = IPV4_MIN_LEN as u32;
/// The smallest MTU a tunnel may leave for the packet: C's limits for IPv4 and IPv6 outer
/// headers.
pub(crate) const IPV4_MIN_MTU: u32 = 68;
pub(crate) const IPV6_MIN_MTU: u32 = 1280;
const UDP_LEN: u32 = UDP_HEADER_LEN as u32;
/// `struct guehdr`.
const GUE_LEN: u32 = 4;
/// The private flags word and the remote checksum option (`GUE_LEN_PRIV + GUE_PLEN_REMCSUM`).
const GUE_REMCSUM_LEN: u32 = 8;
/// `GUE_FLAG_PRIV`: private flags follow the header.
const GUE_FLAG_PRIV: u16 = 1;
/// `GUE_PFLAG_REMCSUM`.
const GUE_PFLAG_REMCSUM: u32 = 1 << 31;
/// GRE base header and its optional checksum word.
const GRE_LEN: u32 = 4;
const GRE_CSUM_LEN: u32 = 4;

/// The header between the outer IPv4 header and the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// None: IP in IP.
    Ipip,
    /// UDP to `port` (network byte order) and a GUE header.
    Gue {
        port: [u8; 2],
        checksum: bool,
        /// The inner checksum is left to the receiver (only asked for; it applies to packets
        /// whose checksum is still to be computed).
        remote_checksum: bool,
    },
    /// GRE.
    Gre { checksum: bool },
}

impl Kind {
    /// The tunnel a real server was configured with (`tun_type`, `tun_port`, `tun_flags`).
    pub(crate) fn of_dest(tun_type: u8, port: [u8; 2], flags: u16) -> Self {
        match tun_type {
            TUN_TYPE_GUE => Self::Gue {
                port,
                checksum: flags & TUN_FLAG_CSUM != 0,
                remote_checksum: flags & TUN_FLAG_REMCSUM != 0,
            },
            TUN_TYPE_GRE => Self::Gre {
                checksum: flags & TUN_FLAG_CSUM != 0,
            },
            _ => Self::Ipip,
        }
    }

    /// Whether a packet gets remote checksum offload: it was asked for and the packet's
    /// checksum is still to be computed (`partial`).
    pub(crate) fn remote_checksum(self, partial: bool) -> bool {
        matches!(
            self,
            Self::Gue {
                remote_checksum: true,
                ..
            }
        ) && partial
    }

    /// Bytes put in front of a packet: outer IPv4 (IPv6 if `outer_ipv6`) header and tunnel
    /// header (C subtracts this from the route's MTU and reserves it as headroom).
    pub(crate) fn overhead(self, partial: bool, outer_ipv6: bool) -> u32 {
        let ip = if outer_ipv6 {
            IPV6_LEN as u32
        } else {
            IPV4_LEN
        };
        ip + match self {
            Self::Ipip => 0,
            Self::Gue { .. } => UDP_LEN + self.gue_len(partial),
            Self::Gre { checksum } => GRE_LEN + if checksum { GRE_CSUM_LEN } else { 0 },
        }
    }

    /// Length of the GUE header with its options.
    pub(crate) fn gue_len(self, partial: bool) -> u32 {
        GUE_LEN
            + if self.remote_checksum(partial) {
                GUE_REMCSUM_LEN
            } else {
                0
            }
    }

    /// The protocol of the outer IP header, for an inner packet of `inner` (`PROTO_IPIP` or
    /// `PROTO_IPV6`).
    pub(crate) fn outer_protocol(self, inner: u8) -> u8 {
        match self {
            Self::Ipip => inner,
            Self::Gue { .. } => PROTO_UDP,
            Self::Gre { .. } => PROTO_GRE,
        }
    }
}

/// What the outer header takes from the packet inside (`ip_vs_prepare_tunneled_skb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inner {
    /// `PROTO_IPIP` or `PROTO_IPV6`.
    pub(crate) protocol: u8,
    /// DSCP and ECN, as encapsulated.
    pub(crate) dsfield: u8,
    /// TTL or hop limit (already decremented for the hop through this host).
    pub(crate) ttl: u8,
    /// The IPv4 don't-fragment flag, when path MTU discovery is on.
    pub(crate) dont_fragment: bool,
}

impl Inner {
    /// The inner packet `ip`, whose TTL has been decremented on its way here; `pmtu_disc` is
    /// the sysctl (without it, the outer IPv4 header never forbids fragmenting).
    pub(crate) fn of(ip: &Ip, pmtu_disc: bool) -> Self {
        let (protocol, tos, df) = match ip {
            Ip::V4(h) => (PROTO_IPIP, h.tos, h.dont_fragment),
            Ip::V6(h) => (PROTO_IPV6, h.traffic_class, false),
        };
        Self {
            protocol,
            dsfield: ecn_encapsulate(tos),
            ttl: ip.ttl().wrapping_sub(1),
            dont_fragment: pmtu_disc && df,
        }
    }

    /// What a GRE header says it carries.
    pub(crate) fn ethertype(&self) -> u16 {
        if self.protocol == PROTO_IPV6 {
            ETH_P_IPV6
        } else {
            ETH_P_IP
        }
    }
}

/// Writes a GUE header for an inner packet of `protocol` into `b` (of [`Kind::gue_len`]
/// bytes). `remote` is the inner checksum left to the receiver: where its summing starts and
/// where the sum goes, from the start of the inner packet.
pub(crate) fn write_gue(b: &mut [u8], protocol: u8, remote: Option<(u16, u16)>) {
    let options = b.len().saturating_sub(GUE_LEN as usize);
    // Version 0, data message (control 0), options length in words.
    b[0] = (options / 4) as u8 & 0x1f;
    b[1] = protocol;
    let flags = if remote.is_some() { GUE_FLAG_PRIV } else { 0 };
    b[2..4].copy_from_slice(&flags.to_be_bytes());
    if let Some((start, offset)) = remote {
        b[4..8].copy_from_slice(&GUE_PFLAG_REMCSUM.to_be_bytes());
        b[8..10].copy_from_slice(&start.to_be_bytes());
        b[10..12].copy_from_slice(&start.wrapping_add(offset).to_be_bytes());
    }
}

/// Writes the UDP header in front of a GUE header: `len` is the datagram's length; the
/// checksum is left zero (set afterwards if the tunnel has one).
pub(crate) fn write_udp(b: &mut [u8], sport: [u8; 2], dport: [u8; 2], len: u16) {
    b[0..2].copy_from_slice(&sport);
    b[2..4].copy_from_slice(&dport);
    b[4..6].copy_from_slice(&len.to_be_bytes());
    b[6..8].fill(0);
}

/// `INET_ECN_encapsulate`: the outer TOS keeps the inner DSCP and ECN codepoint, except that
/// congestion experienced becomes ECT(0) (RFC 6040).
fn ecn_encapsulate(tos: u8) -> u8 {
    const ECN_MASK: u8 = 3;
    const ECN_CE: u8 = 3;
    const ECN_ECT_0: u8 = 2;
    let ecn = if tos & ECN_MASK == ECN_CE {
        ECN_ECT_0
    } else {
        tos & ECN_MASK
    };
    (tos & !ECN_MASK) | ecn
}

/// The outer IPv4 header for `inner` with `protocol`, from `saddr` to the real server `daddr`.
/// ID, total length and checksum are left for the output path.
pub(crate) fn outer_ipv4(inner: &Inner, protocol: u8, saddr: [u8; 4], daddr: [u8; 4]) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = inner.dsfield;
    if inner.dont_fragment {
        h[6] = 0x40;
    }
    h[8] = inner.ttl;
    h[9] = protocol;
    h[12..16].copy_from_slice(&saddr);
    h[16..20].copy_from_slice(&daddr);
    h
}

/// The outer IPv6 header for `inner` with next header `protocol`, from `saddr` to the real
/// server `daddr` (no flow label). The payload length is left for the output path.
pub(crate) fn outer_ipv6(
    inner: &Inner,
    protocol: u8,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
) -> [u8; 40] {
    let mut h = [0u8; 40];
    h[0] = 0x60 | (inner.dsfield >> 4);
    h[1] = inner.dsfield << 4;
    h[6] = protocol;
    h[7] = inner.ttl;
    h[8..24].copy_from_slice(saddr);
    h[24..40].copy_from_slice(daddr);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::packet::{parse_ipv4, parse_ipv6};

    #[test]
    fn overhead_as_c() {
        let gue = Kind::of_dest(1, 6080u16.to_be_bytes(), 0);
        assert_eq!(Kind::Ipip.overhead(true, false), 20);
        assert_eq!(Kind::Ipip.overhead(true, true), 40);
        assert_eq!(gue.overhead(true, false), 32);
        assert_eq!(gue.overhead(true, true), 52);
        let rem = Kind::of_dest(1, 6080u16.to_be_bytes(), TUN_FLAG_REMCSUM);
        assert_eq!(rem.overhead(false, false), 32);
        assert_eq!(rem.overhead(true, false), 40);
        assert_eq!(Kind::of_dest(2, [0; 2], 0).overhead(false, false), 24);
        assert_eq!(
            Kind::of_dest(2, [0; 2], TUN_FLAG_CSUM).overhead(false, true),
            48
        );
        assert_eq!(Kind::of_dest(0, [0; 2], TUN_FLAG_CSUM), Kind::Ipip);
    }

    #[test]
    fn outer_ipv6_header() {
        let mut inner = [0u8; 40];
        inner[0] = 0x6b; // traffic class 0xb7: DSCP 45, CE
        inner[1] = 0x70;
        inner[6] = 6;
        inner[7] = 64;
        let ip = Ip::V6(parse_ipv6(&inner).unwrap());
        let i = Inner::of(&ip, true);
        assert_eq!(i.protocol, PROTO_IPV6);
        assert_eq!(i.ethertype(), ETH_P_IPV6);
        assert_eq!((i.ttl, i.dsfield, i.dont_fragment), (63, 0xb6, false));
        let (s, d) = ([1u8; 16], [2u8; 16]);
        let h = outer_ipv6(&i, Kind::Ipip.outer_protocol(i.protocol), &s, &d);
        assert_eq!(h[..8], [0x6b, 0x60, 0, 0, 0, 0, 41, 63]);
        assert_eq!((&h[8..24], &h[24..]), (&s[..], &d[..]));
    }

    #[test]
    fn gue_header() {
        let mut b = [0xffu8; 4];
        write_gue(&mut b, 4, None);
        assert_eq!(b, [0, 4, 0, 0]);
        let mut b = [0xffu8; 12];
        write_gue(&mut b, 4, Some((40, 16)));
        assert_eq!(b, [2, 4, 0, 1, 0x80, 0, 0, 0, 0, 40, 0, 56]);
    }

    #[test]
    fn outer_header() {
        let mut inner = [0u8; 20];
        inner[0] = 0x45;
        inner[1] = 0xb7; // DSCP 45, CE
        inner[6] = 0x40;
        inner[9] = 6;
        inner[8] = 64;
        let ip = Ip::V4(parse_ipv4(&inner).unwrap());
        let i = Inner::of(&ip, true);
        let h = outer_ipv4(&i, PROTO_IPIP, [10, 0, 0, 1], [172, 16, 0, 2]);
        assert_eq!(h[..10], [0x45, 0xb6, 0, 0, 0, 0, 0x40, 0, 63, 4]);
        assert_eq!(h[12..], [10, 0, 0, 1, 172, 16, 0, 2]);
        let h = outer_ipv4(
            &Inner::of(&ip, false),
            PROTO_GRE,
            [10, 0, 0, 1],
            [172, 16, 0, 2],
        );
        assert_eq!(h[6], 0);
        assert_eq!(ecn_encapsulate(0x01), 0x01);
    }

    #[test]
    fn minimum_mtus_as_c() {
        // include/net/ip.h IPV4_MIN_MTU 68 (ip_vs_xmit.c: `if (mtu < 68)`), and
        // include/uapi/linux/ipv6.h IPV6_MIN_MTU 1280.
        assert_eq!((IPV4_MIN_MTU, IPV6_MIN_MTU), (68, 1280));
        // A GUE tunnel over IPv6 (52 bytes) still fits a 1500-byte route, not a 1300-byte one.
        let gue = Kind::of_dest(TUN_TYPE_GUE, 6080u16.to_be_bytes(), 0);
        assert!(1500 - gue.overhead(false, true) >= IPV6_MIN_MTU);
        assert!(1300 - gue.overhead(false, true) < IPV6_MIN_MTU);
    }

    #[test]
    fn udp_header_before_gue() {
        // ipvs_gue_encap: struct udphdr source 0, dest 2, len 4 (udp_set_len, big-endian),
        // check 6 (`udph->check = 0`).
        let mut b = [0xffu8; 8];
        write_udp(&mut b, [0xc3, 0x50], 6080u16.to_be_bytes(), 1240);
        assert_eq!(b, [0xc3, 0x50, 0x17, 0xc0, 0x04, 0xd8, 0, 0]);
    }
}
