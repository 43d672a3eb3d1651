// SPDX-License-Identifier: GPL-2.0

//! IPv4, IPv6, TCP and UDP headers as IPVS reads and rewrites them: parsing from copied bytes,
//! and address/port rewriting with the checksum updates C's NAT handlers make.
//!
//! Everything works on byte slices that start at the IP header, so it is host-tested.

use crate::{
    addr::Addr,
    proto::{Checksum, Transport},
    uapi::{
        Af, Protocol, ETH_P_IP, ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED,
        PROTO_GRE, PROTO_ICMPV6, PROTO_IPIP, PROTO_UDP, TUN_TYPE_GRE, TUN_TYPE_GUE, TUN_TYPE_IPIP,
    },
};

/// Whether IPVS balances `protocol` (TCP, UDP or SCTP: all have their ports first).
pub(crate) fn has_ports(protocol: u8) -> bool {
    Transport::of(Protocol::of(protocol)).is_some()
}

/// Length of an IPv4 header without options.
pub(crate) const IPV4_MIN_LEN: usize = 20;
/// Length of the fixed IPv6 header.
pub(crate) const IPV6_LEN: usize = 40;
/// Length of a TCP header without options.
pub(crate) const TCP_LEN: usize = 20;
/// Length of a UDP header.
pub(crate) const UDP_LEN: usize = 8;
/// Length of the SCTP common header.
pub(crate) const SCTP_LEN: usize = 12;

/// What IPVS needs of an IPv4 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ipv4 {
    /// Header length in bytes (where the transport header starts).
    pub(crate) header_len: u32,
    /// Transport protocol.
    pub(crate) protocol: u8,
    /// Type of service (DSCP and ECN).
    pub(crate) tos: u8,
    /// Time to live.
    pub(crate) ttl: u8,
    /// Don't-fragment flag.
    pub(crate) dont_fragment: bool,
    /// Part of a fragmented datagram (more fragments, or an offset).
    pub(crate) fragment: bool,
    /// Source address.
    pub(crate) saddr: [u8; 4],
    /// Destination address.
    pub(crate) daddr: [u8; 4],
}

/// Parses the IPv4 header at the start of `b` (at least [`IPV4_MIN_LEN`] bytes). The stack
/// has validated version, length and checksum before any hook sees the packet.
pub(crate) fn parse_ipv4(b: &[u8]) -> Option<Ipv4> {
    let b = b.get(..IPV4_MIN_LEN)?;
    let frag = u16::from_be_bytes([b[6], b[7]]);
    Some(Ipv4 {
        header_len: u32::from(b[0] & 0xf) * 4,
        protocol: b[9],
        tos: b[1],
        ttl: b[8],
        dont_fragment: frag & 0x4000 != 0,
        fragment: frag & 0x3fff != 0,
        saddr: [b[12], b[13], b[14], b[15]],
        daddr: [b[16], b[17], b[18], b[19]],
    })
}

/// What IPVS needs of an IPv6 packet's headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ipv6 {
    /// Where the transport header starts, past the extension headers.
    pub(crate) header_len: u32,
    /// Transport protocol (the last next-header value).
    pub(crate) protocol: u8,
    /// Traffic class (DSCP and ECN).
    pub(crate) traffic_class: u8,
    /// Hop limit.
    pub(crate) hop_limit: u8,
    /// A fragment other than the first (it has no transport header).
    pub(crate) later_fragment: bool,
    /// It has a fragment header (so it is not a whole datagram).
    pub(crate) fragment_header: bool,
    /// Source address.
    pub(crate) saddr: [u8; 16],
    /// Destination address.
    pub(crate) daddr: [u8; 16],
}

/// Parses the fixed IPv6 header at the start of `b`, as if no extension header followed: the
/// caller who walked them sets the transport protocol and offset and the fragment fields.
pub(crate) fn parse_ipv6(b: &[u8]) -> Option<Ipv6> {
    let b = b.get(..IPV6_LEN)?;
    if b[0] >> 4 != 6 {
        return None;
    }
    let mut saddr = [0u8; 16];
    let mut daddr = [0u8; 16];
    saddr.copy_from_slice(&b[8..24]);
    daddr.copy_from_slice(&b[24..40]);
    Some(Ipv6 {
        header_len: IPV6_LEN as u32,
        protocol: b[6],
        traffic_class: (b[0] << 4) | (b[1] >> 4),
        hop_limit: b[7],
        later_fragment: false,
        fragment_header: false,
        saddr,
        daddr,
    })
}

/// A packet's IP header, of either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ip {
    /// IPv4.
    V4(Ipv4),
    /// IPv6.
    V6(Ipv6),
}

impl Ip {
    /// Whether this is IPv6.
    pub(crate) fn is_ipv6(&self) -> bool {
        matches!(self, Ip::V6(_))
    }

    /// The address family of the header.
    pub(crate) fn af(&self) -> Af {
        match self {
            Ip::V4(_) => Af::Inet,
            Ip::V6(_) => Af::Inet6,
        }
    }

    /// Where the transport header starts.
    pub(crate) fn header_len(&self) -> u32 {
        match self {
            Ip::V4(h) => h.header_len,
            Ip::V6(h) => h.header_len,
        }
    }

    /// Transport protocol.
    pub(crate) fn protocol(&self) -> u8 {
        match self {
            Ip::V4(h) => h.protocol,
            Ip::V6(h) => h.protocol,
        }
    }

    /// The balanced protocol of its transport header, if it is one.
    pub(crate) fn transport(&self) -> Option<Transport> {
        Transport::of(Protocol::of(self.protocol()))
    }

    /// Source address (IPv4 in the first 4 bytes).
    pub(crate) fn saddr(&self) -> Addr {
        match self {
            Ip::V4(h) => Addr::v4(h.saddr),
            Ip::V6(h) => Addr::v6(h.saddr),
        }
    }

    /// Destination address (IPv4 in the first 4 bytes).
    pub(crate) fn daddr(&self) -> Addr {
        match self {
            Ip::V4(h) => Addr::v4(h.daddr),
            Ip::V6(h) => Addr::v6(h.daddr),
        }
    }

    /// Time to live, or hop limit.
    pub(crate) fn ttl(&self) -> u8 {
        match self {
            Ip::V4(h) => h.ttl,
            Ip::V6(h) => h.hop_limit,
        }
    }

    /// Whether the source is a loopback address (such packets never leave the host).
    pub(crate) fn source_is_loopback(&self) -> bool {
        match self {
            Ip::V4(h) => h.saddr[0] == 127,
            Ip::V6(h) => h.saddr == IPV6_LOOPBACK,
        }
    }
}

/// `::1`.
pub(crate) const IPV6_LOOPBACK: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// Decrements an IPv6 header's hop limit (it has no header checksum).
pub(crate) fn ipv6_decrease_hop_limit(ip: &mut [u8]) {
    ip[7] = ip[7].wrapping_sub(1);
}

/// Source and destination ports, network byte order, from the first 4 transport bytes.
pub(crate) fn ports(l4: &[u8]) -> Option<([u8; 2], [u8; 2])> {
    let b = l4.get(..4)?;
    Some(([b[0], b[1]], [b[2], b[3]]))
}

/// One's-complement sum of 16-bit big-endian words, added to `sum` (not folded).
fn add_words(mut sum: u32, bytes: &[u8]) -> u32 {
    for w in bytes.chunks(2) {
        let hi = u32::from(w[0]) << 8;
        let lo = w.get(1).map_or(0, |&b| u32::from(b));
        sum += hi | lo;
    }
    sum
}

/// Folds a 32-bit sum to 16 bits with end-around carry.
fn fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Adds `old` replaced by `new` to a one's-complement sum (RFC 1624: `~m + m'`).
fn replace_words(sum: u32, old: &[u8], new: &[u8]) -> u32 {
    let inverted = |b: &[u8]| -> u32 {
        b.chunks(2)
            .map(|w| u32::from(!u16::from_be_bytes([w[0], w[1]])))
            .sum()
    };
    add_words(sum + inverted(old), new)
}

/// Recomputes the IPv4 header checksum (`ip_send_check`).
pub(crate) fn ipv4_set_checksum(ip: &mut [u8], header_len: usize) {
    ip[10] = 0;
    ip[11] = 0;
    let c = !fold(add_words(0, &ip[..header_len]));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}

/// Decrements the TTL and updates the header checksum incrementally (`ip_decrease_ttl`).
pub(crate) fn ipv4_decrease_ttl(ip: &mut [u8]) {
    let old = [ip[8], ip[9]];
    ip[8] = ip[8].wrapping_sub(1);
    let sum = replace_words(
        u32::from(!u16::from_be_bytes([ip[10], ip[11]])),
        &old,
        &ip[8..10],
    );
    ip[10..12].copy_from_slice(&(!fold(sum)).to_be_bytes());
}

/// Which address and port of a flow a NAT rewrite changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Source (replies: real server to virtual address).
    Source,
    /// Destination (requests: virtual address to real server).
    Destination,
}

/// How the packet's transport checksum is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChecksumMode {
    /// The checksum field holds a full checksum, updated incrementally.
    Full,
    /// `CHECKSUM_PARTIAL`: the field holds the pseudo-header sum the device completes; only
    /// addresses enter it (the ports are in the data the device sums).
    Partial,
}

/// Rewrites the address and TCP/UDP/SCTP port on `side` of the packet starting at `pkt`, whose
/// IP header is `ip`, with the transport and IP checksum updates of C's `tcp_*nat_handler` /
/// `udp_*nat_handler`. `addr` is IPv4 in its first 4 bytes for an IPv4 packet. (The SCTP
/// checksum covers the whole packet and no addresses: the caller computes it anew.)
///
/// `pkt` holds the IP headers and the transport header (at `ip.header_len()`) of
/// `transport`. Returns `false` if it is too short.
pub(crate) fn nat_rewrite(
    pkt: &mut [u8],
    ip: &Ip,
    transport: Transport,
    side: Side,
    addr: &Addr,
    port: [u8; 2],
    mode: ChecksumMode,
) -> bool {
    let l4 = ip.header_len() as usize;
    if pkt.len() < l4 + transport.nat_len() || addr.af() != ip.af() {
        return false;
    }
    let (addr_len, src_at, dst_at) = match ip {
        Ip::V4(_) => (4, 12, 16),
        Ip::V6(_) => (16, 8, 24),
    };
    let (addr_at, port_at) = match side {
        Side::Source => (src_at, l4),
        Side::Destination => (dst_at, l4 + 2),
    };
    let new_addr = addr.octets();
    let mut old_addr = [0u8; 16];
    old_addr[..addr_len].copy_from_slice(&pkt[addr_at..addr_at + addr_len]);
    let old_addr = &old_addr[..addr_len];
    let old_port = [pkt[port_at], pkt[port_at + 1]];
    if let Checksum::Internet { at, optional } = transport.checksum() {
        let c = l4 + at;
        let check = u16::from_be_bytes([pkt[c], pkt[c + 1]]);
        // UDP over IPv4 may carry no checksum (zero): then there is nothing to update.
        let without = optional && check == 0 && !ip.is_ipv6();
        let new_check = match mode {
            ChecksumMode::Partial => {
                Some(fold(replace_words(u32::from(check), old_addr, new_addr)))
            }
            ChecksumMode::Full if without => None,
            ChecksumMode::Full => {
                let sum = replace_words(u32::from(!check), old_addr, new_addr);
                let c = !fold(replace_words(sum, &old_port, &port));
                // Where zero means none, a zero result is sent as all ones (`CSUM_MANGLED_0`).
                Some(if c == 0 && optional { 0xffff } else { c })
            }
        };
        if let Some(v) = new_check {
            pkt[c..c + 2].copy_from_slice(&v.to_be_bytes());
        }
    }
    pkt[port_at..port_at + 2].copy_from_slice(&port);
    pkt[addr_at..addr_at + addr_len].copy_from_slice(new_addr);
    if let Ip::V4(h) = ip {
        ipv4_set_checksum(pkt, h.header_len as usize);
    }
    true
}

/// Length of an ICMP header.
pub(crate) const ICMP_LEN: usize = 8;
/// An ICMP error about a packet this director put into a tunnel to a real server: the quoted
/// packet is the tunnel packet, and the packet in it (the client's request) is the one the
/// error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TunnelQuote {
    /// Where the quoted tunnel packet's IP header starts.
    pub(crate) outer_at: usize,
    /// Its length up to the request: the tunnel's IP, UDP and GUE or GRE headers.
    pub(crate) headers_len: usize,
}

/// An ICMP or ICMPv6 error quoting a TCP or UDP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IcmpError {
    /// Where the ICMP header starts (the outer IP headers' length).
    pub(crate) icmp_at: usize,
    /// Where the quoted IP header starts.
    pub(crate) quoted_at: usize,
    /// The quoted IP header; its `header_len` counts from `quoted_at`.
    pub(crate) quoted: Ip,
    /// The quoted source and destination ports.
    pub(crate) ports: ([u8; 2], [u8; 2]),
    /// Set when the quoted packet is one of this director's tunnel packets: `quoted` is then
    /// the request in it.
    pub(crate) tunnel: Option<TunnelQuote>,
}

impl IcmpError {
    /// Where the quoted ports are.
    fn ports_at(&self) -> usize {
        self.quoted_at + self.quoted.header_len() as usize
    }
}

/// What an ICMP packet is to IPVS (`ip_vs_in_icmp` / `ip_vs_out_icmp`, and their IPv6 twins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Icmp {
    /// Too short for an ICMP header, or an ICMPv6 packet with a fragment header (errors are
    /// never fragmented): dropped.
    Malformed,
    /// Not an error type IPVS relates to connections: handled like any other packet.
    Unrelated,
    /// An error whose quoted packet is not one IPVS could own: passed unchanged.
    Ignored,
    /// An error about a TCP or UDP packet.
    Error(IcmpError),
}

/// Classifies the ICMP packet in `b`, which starts at the outer IP header `outer` and holds up
/// to as many of its bytes as the packet path reads (`ICMP_ERROR_PARSE_LEN`), as
/// `ip_vs_in_icmp` and `ip_vs_out_icmp` do.
/// `tunnel_type` gives the tunnel type of the tunnel real server at an
/// address and tunnel port (0 for IP-IP and GRE), if there is one that errors about this
/// director's tunnel packets may be about (`ip_vs_find_tunnel`; never for errors that were
/// not sent to this host).
pub(crate) fn parse_icmp(
    b: &[u8],
    outer: &Ipv4,
    tunnel_type: impl Fn(&Addr, [u8; 2]) -> Option<u8>,
) -> Icmp {
    let icmp_at = outer.header_len as usize;
    let Some(&ty) = b.get(icmp_at).filter(|_| b.len() >= icmp_at + ICMP_LEN) else {
        return Icmp::Malformed;
    };
    if !matches!(
        ty,
        ICMP_DEST_UNREACH | ICMP_SOURCE_QUENCH | ICMP_TIME_EXCEEDED
    ) {
        return Icmp::Unrelated;
    }
    let mut quoted_at = icmp_at + ICMP_LEN;
    let Some(q) = b.get(quoted_at..) else {
        return Icmp::Ignored;
    };
    let Some(mut quoted) = parse_ipv4(q) else {
        return Icmp::Ignored;
    };
    if q[0] >> 4 != 4 || (quoted.header_len as usize) < IPV4_MIN_LEN {
        return Icmp::Ignored;
    }
    let first_fragment = |q: &[u8]| u16::from_be_bytes([q[6], q[7]]) & 0x1fff == 0;
    let mut tunnel = None;
    if matches!(quoted.protocol, PROTO_IPIP | PROTO_UDP | PROTO_GRE) {
        let rs = Addr::v4(quoted.daddr);
        let tunnel_at = quoted.header_len as usize;
        let tunnel_len = match quoted.protocol {
            // A non-first fragment has no tunnel header.
            _ if !first_fragment(q) => return Icmp::Ignored,
            PROTO_IPIP => match tunnel_type(&rs, [0; 2]) {
                Some(TUN_TYPE_IPIP) => Some(0),
                _ => return Icmp::Ignored,
            },
            PROTO_UDP => q.get(tunnel_at..tunnel_at + UDP_LEN + 4).and_then(|h| {
                let gue = &h[UDP_LEN..];
                // GUE version 0, a data message, carrying IPv4.
                (tunnel_type(&rs, [h[2], h[3]]) == Some(TUN_TYPE_GUE)
                    && gue[0] >> 5 == 0
                    && gue[1] == PROTO_IPIP)
                    .then(|| UDP_LEN + 4 + usize::from(gue[0] & 0x1f) * 4)
            }),
            _ => q.get(tunnel_at..tunnel_at + 4).and_then(|h| {
                // Version 0, no flags but the checksum's, carrying IPv4.
                (tunnel_type(&rs, [0; 2]) == Some(TUN_TYPE_GRE)
                    && h[0] & !0x80 == 0
                    && h[1] == 0
                    && u16::from_be_bytes([h[2], h[3]]) == ETH_P_IP)
                    .then(|| if h[0] & 0x80 != 0 { 8 } else { 4 })
            }),
        };
        // A UDP or GRE packet of no tunnel of ours is an error about that packet itself.
        if let Some(len) = tunnel_len {
            let headers_len = tunnel_at + len;
            let Some(inner) = q.get(headers_len..).and_then(parse_ipv4) else {
                return Icmp::Ignored;
            };
            tunnel = Some(TunnelQuote {
                outer_at: quoted_at,
                headers_len,
            });
            quoted_at += headers_len;
            quoted = inner;
        }
    }
    let q = &b[quoted_at..];
    if q[0] >> 4 != 4
        || (quoted.header_len as usize) < IPV4_MIN_LEN
        || !has_ports(quoted.protocol)
        || !first_fragment(q)
    {
        return Icmp::Ignored;
    }
    match q.get(quoted.header_len as usize..).and_then(ports) {
        Some(ports) => Icmp::Error(IcmpError {
            icmp_at,
            quoted_at,
            quoted: Ip::V4(quoted),
            ports,
            tunnel,
        }),
        None => Icmp::Ignored,
    }
}

/// The one's-complement sum ICMPv6 adds to its message: the IPv6 pseudo-header of the packet
/// `pkt` (its outer addresses, the message length and protocol) for a message of `len` bytes.
fn icmpv6_pseudo_sum(pkt: &[u8], len: usize) -> u32 {
    add_words(0, &pkt[8..40]) + len as u32 + u32::from(PROTO_ICMPV6)
}

/// Whether the ICMP (ICMPv6) checksum of the whole packet `pkt` (from its IP header) is right.
pub(crate) fn icmp_checksum_ok(pkt: &[u8], e: &IcmpError) -> bool {
    let Some(icmp) = pkt.get(e.icmp_at..) else {
        return false;
    };
    let start = match e.quoted {
        Ip::V4(_) => 0,
        Ip::V6(_) if pkt.len() >= IPV6_LEN => icmpv6_pseudo_sum(pkt, icmp.len()),
        Ip::V6(_) => return false,
    };
    fold(add_words(start, icmp)) == 0xffff
}

/// Translates an ICMP or ICMPv6 error about a NATed flow, as C's `ip_vs_nat_icmp` and
/// `ip_vs_nat_icmp_v6`. `pkt` is the whole packet from its IP header; `addr` has an IPv4
/// address in its first 4 bytes.
///
/// `Side::Source` is an error from the real server's side on its way out: the outer source
/// and the quoted destination become the virtual address and port. `Side::Destination` is an
/// error from the client's side on its way in: the outer destination and the quoted source
/// become the real server's. IPv4 header checksums are recomputed and the ICMP checksum is
/// summed anew.
///
/// `addr` is of the quoted packet's family.
pub(crate) fn nat_icmp(pkt: &mut [u8], e: &IcmpError, side: Side, addr: &Addr, port: [u8; 2]) {
    let q = e.quoted_at;
    // Offsets of the source and destination addresses in an IP header.
    let (src_at, dst_at) = match e.quoted {
        Ip::V4(_) => (12, 16),
        Ip::V6(_) => (8, 24),
    };
    let (addr, len) = (addr.octets(), addr.octets().len());
    let (outer_at, quoted_addr_at, port_at) = match side {
        Side::Source => (src_at, q + dst_at, e.ports_at() + 2),
        Side::Destination => (dst_at, q + src_at, e.ports_at()),
    };
    pkt[outer_at..outer_at + len].copy_from_slice(addr);
    pkt[quoted_addr_at..quoted_addr_at + len].copy_from_slice(addr);
    if let Ip::V4(quoted) = e.quoted {
        ipv4_set_checksum(pkt, e.icmp_at);
        ipv4_set_checksum(&mut pkt[q..], quoted.header_len as usize);
    }
    pkt[port_at..port_at + 2].copy_from_slice(&port);
    let c = e.icmp_at + 2;
    pkt[c..c + 2].copy_from_slice(&[0, 0]);
    let start = match e.quoted {
        Ip::V4(_) => 0,
        Ip::V6(_) => icmpv6_pseudo_sum(pkt, pkt.len() - e.icmp_at),
    };
    let sum = !fold(add_words(start, &pkt[e.icmp_at..]));
    pkt[c..c + 2].copy_from_slice(&sum.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::PROTO_ICMP;
    use crate::uapi::PROTO_TCP;

    /// A full checksum over the IPv4 pseudo-header and `l4`, as a receiver checks it.
    fn l4_checksum_ok(ip: &[u8]) -> bool {
        let h = parse_ipv4(ip).unwrap();
        let l4 = &ip[h.header_len as usize..];
        let mut sum = add_words(0, &ip[12..20]);
        sum += u32::from(h.protocol) + l4.len() as u32;
        fold(add_words(sum, l4)) == 0xffff
    }

    /// [`nat_rewrite`] of an IPv4 packet to an IPv4 address.
    fn rewrite4(
        p: &mut [u8],
        side: Side,
        addr: [u8; 4],
        port: [u8; 2],
        mode: ChecksumMode,
    ) -> bool {
        let Some(h) = parse_ipv4(p) else {
            return false;
        };
        // Another protocol: nothing to rewrite.
        let Some(t) = Transport::of(Protocol::of(h.protocol)) else {
            return false;
        };
        nat_rewrite(p, &Ip::V4(h), t, side, &Addr::v4(addr), port, mode)
    }

    /// A full checksum over the IPv6 pseudo-header and the transport data at 40 (no
    /// extension headers), as a receiver checks it.
    fn l4_checksum_ok_v6(p: &[u8]) -> bool {
        let mut sum = add_words(0, &p[8..40]);
        sum += u32::from(p[6]) + (p.len() - IPV6_LEN) as u32;
        fold(add_words(sum, &p[IPV6_LEN..])) == 0xffff
    }

    /// A TCP or UDP packet 2001:db8::2:40000 -> 2001:db8:1::110:8080 with payload.
    fn packet_v6(proto: u8) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, proto, 64];
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p.extend_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10,
        ]);
        let l4_len = if proto == PROTO_TCP { 20 } else { 8 };
        let mut l4 = vec![0u8; l4_len];
        l4[..4].copy_from_slice(&[0x9c, 0x40, 0x1f, 0x90]);
        if proto == PROTO_TCP {
            l4[12] = 0x50;
            l4[13] = 0x02;
        }
        l4.extend_from_slice(b"hello, ipvs6");
        if proto == PROTO_UDP {
            let n = l4.len() as u16;
            l4[4..6].copy_from_slice(&n.to_be_bytes());
        }
        let plen = l4.len() as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        p.extend_from_slice(&l4);
        let c = IPV6_LEN + if proto == PROTO_TCP { 16 } else { 6 };
        let mut sum = add_words(0, &p[8..40]);
        sum += u32::from(proto) + u32::from(plen);
        let v = !fold(add_words(sum, &p[IPV6_LEN..]));
        p[c..c + 2].copy_from_slice(&v.to_be_bytes());
        p
    }

    #[test]
    fn ipv6_dnat_then_snat_keeps_checksums_valid() {
        for proto in [PROTO_TCP, PROTO_UDP] {
            let mut p = packet_v6(proto);
            assert!(l4_checksum_ok_v6(&p));
            let h = Ip::V6(parse_ipv6(&p).unwrap());
            let t = Transport::of(Protocol::of(proto)).unwrap();
            assert_eq!(h.saddr().inet()[15], 2);
            let rs = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12];
            assert!(nat_rewrite(
                &mut p,
                &h,
                t,
                Side::Destination,
                &Addr::v6(rs),
                [0, 80],
                ChecksumMode::Full
            ));
            assert_eq!(&p[24..40], &rs);
            assert_eq!(&p[42..44], &[0, 80]);
            assert!(l4_checksum_ok_v6(&p), "proto {proto}");
            let vip = [
                0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10,
            ];
            assert!(nat_rewrite(
                &mut p,
                &h,
                t,
                Side::Source,
                &Addr::v6(vip),
                [0x1f, 0x90],
                ChecksumMode::Full
            ));
            assert_eq!(&p[8..24], &vip);
            assert!(l4_checksum_ok_v6(&p), "proto {proto}");
        }
    }

    #[test]
    fn ipv6_hop_limit() {
        let mut p = packet_v6(PROTO_UDP);
        ipv6_decrease_hop_limit(&mut p);
        let h = Ip::V6(parse_ipv6(&p).unwrap());
        assert_eq!(h.ttl(), 63);
        assert!(!h.source_is_loopback());
    }

    fn ip_checksum_ok(ip: &[u8]) -> bool {
        fold(add_words(0, &ip[..20])) == 0xffff
    }

    /// A TCP SYN 10.0.0.2:40000 -> 207.175.44.110:8080 with payload, checksums valid.
    fn tcp_packet(proto: u8) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 2, 207, 175, 44, 110,
        ];
        let l4_len = if proto == PROTO_TCP { 20 } else { 8 };
        let mut l4 = vec![0u8; l4_len];
        l4[..4].copy_from_slice(&[0x9c, 0x40, 0x1f, 0x90]);
        if proto == PROTO_TCP {
            l4[12] = 0x50;
            l4[13] = 0x02;
        }
        l4.extend_from_slice(b"hello, ipvs!");
        if proto == PROTO_UDP {
            let n = l4.len() as u16;
            l4[4..6].copy_from_slice(&n.to_be_bytes());
        }
        p.extend_from_slice(&l4);
        let tot = p.len() as u16;
        p[2..4].copy_from_slice(&tot.to_be_bytes());
        ipv4_set_checksum(&mut p, 20);
        let c = if proto == PROTO_TCP { 20 + 16 } else { 20 + 6 };
        let mut sum = add_words(0, &p[12..20]);
        sum += u32::from(proto) + (p.len() - 20) as u32;
        let v = !fold(add_words(sum, &p[20..]));
        p[c..c + 2].copy_from_slice(&v.to_be_bytes());
        p
    }

    #[test]
    fn parses_header_and_flags() {
        let p = tcp_packet(PROTO_TCP);
        let h = parse_ipv4(&p).unwrap();
        assert_eq!(h.header_len, 20);
        assert_eq!(h.protocol, PROTO_TCP);
        assert!(h.dont_fragment && !h.fragment);
        assert_eq!(h.daddr, [207, 175, 44, 110]);
        assert_eq!(ports(&p[20..]), Some(([0x9c, 0x40], [0x1f, 0x90])));
        let f = crate::proto::tcp::TcpFlags::of(&p[20..]).unwrap();
        assert!(f.syn && !f.ack && !f.fin && !f.rst);
        assert_eq!(parse_ipv4(&p[..19]), None);
        // Connections are filed under the family of the header.
        assert_eq!(Ip::V4(h).af(), Af::Inet);
        assert_eq!(Ip::V4(h).protocol(), PROTO_TCP);
        assert_eq!(Ip::V4(h).transport(), Some(Transport::Tcp));
        let v6 = parse_ipv6(&packet_v6(PROTO_TCP)).unwrap();
        assert_eq!(Ip::V6(v6).af(), Af::Inet6);
    }

    #[test]
    fn dnat_then_snat_keeps_checksums_valid() {
        for proto in [PROTO_TCP, PROTO_UDP] {
            let mut p = tcp_packet(proto);
            assert!(l4_checksum_ok(&p) && ip_checksum_ok(&p));
            let rs = [172, 16, 0, 2];
            assert!(rewrite4(
                &mut p,
                Side::Destination,
                rs,
                [0x00, 0x50],
                ChecksumMode::Full
            ));
            assert_eq!(&p[16..20], &rs);
            assert_eq!(&p[22..24], &[0x00, 0x50]);
            assert!(l4_checksum_ok(&p), "proto {proto}");
            assert!(ip_checksum_ok(&p));
            // The reply's source goes back to the virtual address.
            assert!(rewrite4(
                &mut p,
                Side::Source,
                [1, 2, 3, 4],
                [0x12, 0x34],
                ChecksumMode::Full
            ));
            assert!(l4_checksum_ok(&p) && ip_checksum_ok(&p));
        }
    }

    #[test]
    fn partial_checksum_tracks_the_pseudo_header_only() {
        // A CHECKSUM_PARTIAL packet holds the folded pseudo-header sum, not complemented.
        let mut p = tcp_packet(PROTO_TCP);
        let pseudo = |p: &[u8]| {
            let sum = add_words(0, &p[12..20]) + u32::from(PROTO_TCP) + (p.len() - 20) as u32;
            fold(sum)
        };
        let v = pseudo(&p);
        p[36..38].copy_from_slice(&v.to_be_bytes());
        assert!(rewrite4(
            &mut p,
            Side::Destination,
            [192, 168, 1, 1],
            [0, 80],
            ChecksumMode::Partial
        ));
        assert_eq!(u16::from_be_bytes([p[36], p[37]]), pseudo(&p));
    }

    #[test]
    fn udp_without_checksum_stays_without() {
        let mut p = tcp_packet(PROTO_UDP);
        p[26] = 0;
        p[27] = 0;
        assert!(rewrite4(
            &mut p,
            Side::Destination,
            [172, 16, 0, 2],
            [0, 53],
            ChecksumMode::Full
        ));
        assert_eq!(&p[26..28], &[0, 0]);
        assert!(ip_checksum_ok(&p));
    }

    #[test]
    fn ttl_decrement_keeps_the_header_checksum() {
        let mut p = tcp_packet(PROTO_TCP);
        ipv4_decrease_ttl(&mut p);
        assert_eq!(p[8], 63);
        assert!(ip_checksum_ok(&p));
    }

    #[test]
    fn rejects_short_and_other_protocols() {
        let mut p = tcp_packet(PROTO_TCP);
        assert!(!rewrite4(
            &mut p[..30],
            Side::Source,
            [0; 4],
            [0; 2],
            ChecksumMode::Full
        ));
        let mut p = tcp_packet(PROTO_TCP);
        p[9] = PROTO_ICMP;
        assert!(!rewrite4(
            &mut p,
            Side::Source,
            [0; 4],
            [0; 2],
            ChecksumMode::Full
        ));
    }

    /// Port unreachable from 10.0.0.9 to 192.0.2.1 quoting a UDP packet
    /// 192.0.2.1:1000 -> 10.0.0.9:53.
    fn port_unreachable() -> Vec<u8> {
        let mut quoted = tcp_packet(PROTO_UDP);
        quoted.truncate(IPV4_MIN_LEN + UDP_LEN);
        quoted[2..4].copy_from_slice(&28u16.to_be_bytes());
        quoted[12..16].copy_from_slice(&[192, 0, 2, 1]);
        quoted[16..20].copy_from_slice(&[10, 0, 0, 9]);
        quoted[20..24].copy_from_slice(&[0x03, 0xe8, 0, 53]);
        ipv4_set_checksum(&mut quoted, IPV4_MIN_LEN);
        let mut p = vec![0x45, 0, 0, 56, 0, 0, 0, 0, 64, PROTO_ICMP, 0, 0];
        p.extend_from_slice(&[10, 0, 0, 9, 192, 0, 2, 1]);
        p.extend_from_slice(&[ICMP_DEST_UNREACH, 3, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&quoted);
        ipv4_set_checksum(&mut p, IPV4_MIN_LEN);
        let sum = !fold(add_words(0, &p[20..]));
        p[22..24].copy_from_slice(&sum.to_be_bytes());
        p
    }

    /// No tunnel real servers.
    fn no_tunnel(_: &Addr, _: [u8; 2]) -> Option<u8> {
        None
    }

    /// Fragmentation needed from 10.0.0.9 to 192.0.2.1 quoting the tunnel packet
    /// 192.0.2.1 -> 10.0.0.11 of `protocol` with `tunnel` headers after its IP header, around
    /// the UDP request 198.51.100.2:1000 -> 192.0.2.80:53.
    fn tunnel_error(protocol: u8, tunnel: &[u8]) -> Vec<u8> {
        let mut inner = tcp_packet(PROTO_UDP);
        inner.truncate(IPV4_MIN_LEN + UDP_LEN);
        inner[12..16].copy_from_slice(&[198, 51, 100, 2]);
        inner[16..20].copy_from_slice(&[192, 0, 2, 80]);
        inner[20..24].copy_from_slice(&[0x03, 0xe8, 0, 53]);
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, PROTO_ICMP, 0, 0];
        p.extend_from_slice(&[10, 0, 0, 9, 192, 0, 2, 1]);
        p.extend_from_slice(&[ICMP_DEST_UNREACH, 4, 0, 0, 0, 0, 0x05, 0x78]);
        p.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protocol, 0, 0]);
        p.extend_from_slice(&[192, 0, 2, 1, 10, 0, 0, 11]);
        p.extend_from_slice(tunnel);
        p.extend_from_slice(&inner);
        p
    }

    /// Real server 10.0.0.11 is an IP-IP, a GUE (port 6080) and a GRE tunnel server.
    fn tunnels(addr: &Addr, port: [u8; 2]) -> Option<u8> {
        match (Addr::v4([10, 0, 0, 11]) == *addr, u16::from_be_bytes(port)) {
            (true, 0) => Some(TUN_TYPE_IPIP),
            (true, 6080) => Some(TUN_TYPE_GUE),
            _ => None,
        }
    }

    fn gre_tunnels(addr: &Addr, port: [u8; 2]) -> Option<u8> {
        (Addr::v4([10, 0, 0, 11]) == *addr && port == [0; 2]).then_some(TUN_TYPE_GRE)
    }

    #[test]
    fn errors_about_tunnel_packets_are_about_the_request_inside() {
        let request = |p: &[u8], tunnels: fn(&Addr, [u8; 2]) -> Option<u8>| {
            let outer = parse_ipv4(p).unwrap();
            match parse_icmp(p, &outer, tunnels) {
                Icmp::Error(e) => e.tunnel.map(|t| (t, e.quoted.saddr(), e.ports)),
                _ => None,
            }
        };
        let client = Addr::v4([198, 51, 100, 2]);
        let ports = ([0x03, 0xe8], [0, 53]);
        let ipip = tunnel_error(PROTO_IPIP, &[]);
        let quote = |headers_len| TunnelQuote {
            outer_at: 28,
            headers_len,
        };
        assert_eq!(request(&ipip, tunnels), Some((quote(20), client, ports)));
        // Not to a tunnel server of ours: an IP-IP packet has no ports.
        let outer = parse_ipv4(&ipip).unwrap();
        assert_eq!(parse_icmp(&ipip, &outer, no_tunnel), Icmp::Ignored);
        // GUE with one word of options.
        let gue = [
            &[0x9c, 0x40, 0x17, 0xc0, 0, 0, 0, 0][..],
            &[1, PROTO_IPIP, 0, 0, 0, 0, 0, 0],
        ];
        let p = tunnel_error(PROTO_UDP, &gue.concat());
        assert_eq!(
            request(&p, tunnels),
            Some((quote(20 + 8 + 8), client, ports))
        );
        // A UDP packet to another port, or GUE carrying something else, is about itself.
        let p = tunnel_error(PROTO_UDP, &[0x9c, 0x40, 0x17, 0xc1, 0, 0, 0, 0, 0, 4, 0, 0]);
        assert_eq!(request(&p, tunnels), None);
        let p = tunnel_error(
            PROTO_UDP,
            &[0x9c, 0x40, 0x17, 0xc0, 0, 0, 0, 0, 0, 41, 0, 0],
        );
        assert_eq!(request(&p, tunnels), None);
        // GRE, with and without a checksum; other flags are not ours.
        let p = tunnel_error(PROTO_GRE, &[0x80, 0, 8, 0, 0, 0, 0, 0]);
        assert_eq!(request(&p, gre_tunnels), Some((quote(28), client, ports)));
        let p = tunnel_error(PROTO_GRE, &[0, 0, 8, 0]);
        assert_eq!(request(&p, gre_tunnels), Some((quote(24), client, ports)));
        let p = tunnel_error(PROTO_GRE, &[0x20, 0, 8, 0, 0, 0, 0, 1]);
        assert_eq!(request(&p, gre_tunnels), None);
    }

    #[test]
    fn icmp_error_is_parsed_and_translated_with_valid_checksums() {
        let mut p = port_unreachable();
        let outer = parse_ipv4(&p).unwrap();
        let Icmp::Error(e) = parse_icmp(&p, &outer, no_tunnel) else {
            panic!("not an error");
        };
        assert_eq!(e.quoted.daddr(), Addr::v4([10, 0, 0, 9]));
        assert_eq!(e.ports, ([0x03, 0xe8], [0, 53]));
        assert!(icmp_checksum_ok(&p, &e));
        nat_icmp(
            &mut p,
            &e,
            Side::Source,
            &Addr::v4([198, 51, 100, 7]),
            [0, 80],
        );
        assert_eq!(&p[12..16], &[198, 51, 100, 7]);
        assert_eq!(&p[44..48], &[198, 51, 100, 7]);
        assert_eq!(&p[50..52], &[0, 80]);
        assert!(ip_checksum_ok(&p));
        assert!(ip_checksum_ok(&p[28..]));
        assert!(icmp_checksum_ok(&p, &e));
        nat_icmp(
            &mut p,
            &e,
            Side::Destination,
            &Addr::v4([10, 0, 0, 5]),
            [0, 8],
        );
        assert_eq!(&p[16..20], &[10, 0, 0, 5]);
        assert_eq!(&p[40..44], &[10, 0, 0, 5]);
        assert_eq!(&p[48..50], &[0, 8]);
        assert!(ip_checksum_ok(&p) && ip_checksum_ok(&p[28..]) && icmp_checksum_ok(&p, &e));
    }

    #[test]
    fn icmpv6_error_is_translated_with_a_valid_checksum() {
        // Port unreachable from the client 2001:db8::2 to the virtual address, quoting the
        // UDP reply vip:8080 -> client:40000 (the quoted packet swaps a request's ends).
        let mut quoted = packet_v6(PROTO_UDP);
        let (client, vip) = (quoted[8..24].to_vec(), quoted[24..40].to_vec());
        quoted[8..24].copy_from_slice(&vip);
        quoted[24..40].copy_from_slice(&client);
        quoted[40..44].copy_from_slice(&[0x1f, 0x90, 0x9c, 0x40]);
        let mut p = vec![0x60, 0, 0, 0, 0, 0, PROTO_ICMPV6, 64];
        p.extend_from_slice(&client);
        p.extend_from_slice(&vip);
        p.extend_from_slice(&[1, 4, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&quoted);
        let plen = (p.len() - IPV6_LEN) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        let sum = !fold(add_words(icmpv6_pseudo_sum(&p, p.len() - 40), &p[40..]));
        p[42..44].copy_from_slice(&sum.to_be_bytes());
        let e = IcmpError {
            icmp_at: 40,
            quoted_at: 48,
            quoted: Ip::V6(parse_ipv6(&quoted).unwrap()),
            ports: ([0x1f, 0x90], [0x9c, 0x40]),
            tunnel: None,
        };
        assert!(icmp_checksum_ok(&p, &e));
        let rs = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        nat_icmp(&mut p, &e, Side::Destination, &Addr::v6(rs), [0, 80]);
        assert_eq!(&p[24..40], &rs);
        assert_eq!(&p[56..72], &rs);
        assert_eq!(&p[88..90], &[0, 80]);
        assert!(icmp_checksum_ok(&p, &e));
        p[60] ^= 1;
        assert!(!icmp_checksum_ok(&p, &e));
    }

    #[test]
    fn icmp_other_types_and_bad_quotes() {
        let p = port_unreachable();
        let outer = parse_ipv4(&p).unwrap();
        assert_eq!(parse_icmp(&p[..24], &outer, no_tunnel), Icmp::Malformed);
        let mut echo = p.clone();
        echo[20] = 8;
        assert_eq!(parse_icmp(&echo, &outer, no_tunnel), Icmp::Unrelated);
        assert_eq!(parse_icmp(&p[..50], &outer, no_tunnel), Icmp::Ignored);
        let mut frag = p.clone();
        frag[34] = 0x01;
        assert_eq!(parse_icmp(&frag, &outer, no_tunnel), Icmp::Ignored);
        let mut other = p.clone();
        other[37] = PROTO_ICMP;
        assert_eq!(parse_icmp(&other, &outer, no_tunnel), Icmp::Ignored);
    }

    #[test]
    fn addr4_is_the_ip_member_of_nf_inet_addr() {
        // `union nf_inet_addr` (uapi/linux/netfilter.h): `__be32 ip` overlays the first 4
        // bytes, so an IPv4 header's saddr (bytes 12..16) comes back unchanged.
        let mut h = [0u8; IPV4_MIN_LEN];
        h[0] = 0x45;
        h[12..16].copy_from_slice(&[192, 0, 2, 7]);
        let ip = Ip::V4(parse_ipv4(&h).unwrap());
        assert_eq!(ip.saddr().v4_octets(), [192, 0, 2, 7]);
        assert_eq!(ip.saddr().inet()[..4], [192, 0, 2, 7]);
    }
}
