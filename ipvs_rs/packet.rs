// SPDX-License-Identifier: GPL-2.0

//! IPv4, TCP and UDP headers as IPVS reads and rewrites them: parsing from copied bytes, and
//! address/port rewriting with the checksum updates C's NAT handlers make.
//!
//! Everything works on byte slices that start at the IP header, so it is host-tested.

use crate::tcp_state::TcpFlags;

/// `IPPROTO_ICMP`.
pub(crate) const PROTO_ICMP: u8 = 1;
/// `IPPROTO_TCP`.
pub(crate) const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub(crate) const PROTO_UDP: u8 = 17;

/// Length of an IPv4 header without options.
pub(crate) const IPV4_MIN_LEN: usize = 20;
/// Length of a TCP header without options.
pub(crate) const TCP_LEN: usize = 20;
/// Length of a UDP header.
pub(crate) const UDP_LEN: usize = 8;

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

/// Source and destination ports, network byte order, from the first 4 transport bytes.
pub(crate) fn ports(l4: &[u8]) -> Option<([u8; 2], [u8; 2])> {
    let b = l4.get(..4)?;
    Some(([b[0], b[1]], [b[2], b[3]]))
}

/// The TCP flags of a TCP header.
pub(crate) fn tcp_flags(tcp: &[u8]) -> Option<TcpFlags> {
    let f = *tcp.get(13)?;
    Some(TcpFlags {
        fin: f & 0x01 != 0,
        syn: f & 0x02 != 0,
        rst: f & 0x04 != 0,
        ack: f & 0x10 != 0,
    })
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

/// Rewrites the IPv4 address and TCP/UDP port on `side` of the packet starting at `ip`, with
/// the transport and IP checksum updates of C's `tcp_*nat_handler` / `udp_*nat_handler`.
///
/// `ip` holds the IP header and the transport header (at `header_len`). Returns `false` if it
/// is too short or the protocol is neither TCP nor UDP.
pub(crate) fn nat_rewrite(
    ip: &mut [u8],
    side: Side,
    addr: [u8; 4],
    port: [u8; 2],
    mode: ChecksumMode,
) -> bool {
    let Some(h) = parse_ipv4(ip) else {
        return false;
    };
    let l4 = h.header_len as usize;
    let (check_at, min_len) = match h.protocol {
        PROTO_TCP => (16, TCP_LEN),
        PROTO_UDP => (6, UDP_LEN),
        _ => return false,
    };
    if ip.len() < l4 + min_len {
        return false;
    }
    let (addr_at, port_at) = match side {
        Side::Source => (12, l4),
        Side::Destination => (16, l4 + 2),
    };
    let old_addr = [
        ip[addr_at],
        ip[addr_at + 1],
        ip[addr_at + 2],
        ip[addr_at + 3],
    ];
    let old_port = [ip[port_at], ip[port_at + 1]];
    let c = l4 + check_at;
    let check = u16::from_be_bytes([ip[c], ip[c + 1]]);
    // UDP over IPv4 may carry no checksum (zero): then there is nothing to update.
    let udp_without = h.protocol == PROTO_UDP && check == 0;
    let new_check = match mode {
        ChecksumMode::Partial => Some(fold(replace_words(u32::from(check), &old_addr, &addr))),
        ChecksumMode::Full if udp_without => None,
        ChecksumMode::Full => {
            let sum = replace_words(u32::from(!check), &old_addr, &addr);
            let c = !fold(replace_words(sum, &old_port, &port));
            // A UDP checksum that comes out as zero is sent as all ones (`CSUM_MANGLED_0`).
            Some(if c == 0 && h.protocol == PROTO_UDP {
                0xffff
            } else {
                c
            })
        }
    };
    if let Some(v) = new_check {
        ip[c..c + 2].copy_from_slice(&v.to_be_bytes());
    }
    ip[port_at..port_at + 2].copy_from_slice(&port);
    ip[addr_at..addr_at + 4].copy_from_slice(&addr);
    ipv4_set_checksum(ip, l4);
    true
}

/// ICMP "destination unreachable".
pub(crate) const ICMP_DEST_UNREACH: u8 = 3;
/// ICMP "source quench".
pub(crate) const ICMP_SOURCE_QUENCH: u8 = 4;
/// ICMP "time exceeded".
pub(crate) const ICMP_TIME_EXCEEDED: u8 = 11;
/// Length of an ICMP header.
pub(crate) const ICMP_LEN: usize = 8;
/// How many bytes from the outer IP header an ICMP error is parsed from: the outer and
/// quoted IP headers with the longest options, the ICMP header and the quoted ports.
pub(crate) const ICMP_ERROR_PARSE_LEN: usize = 60 + ICMP_LEN + 60 + 4;

/// An ICMP error quoting a TCP or UDP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IcmpError {
    /// Where the ICMP header starts (the outer IP header's length).
    pub(crate) icmp_at: usize,
    /// Where the quoted IP header starts.
    pub(crate) quoted_at: usize,
    /// The quoted IP header.
    pub(crate) quoted: Ipv4,
    /// The quoted source and destination ports.
    pub(crate) ports: ([u8; 2], [u8; 2]),
}

/// What an ICMP packet is to IPVS (`ip_vs_in_icmp` / `ip_vs_out_icmp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Icmp {
    /// Too short for an ICMP header: dropped.
    Truncated,
    /// Not an error type IPVS relates to connections: handled like any other packet.
    Unrelated,
    /// An error whose quoted packet is not one IPVS could own: passed unchanged.
    Ignored,
    /// An error about a TCP or UDP packet.
    Error(IcmpError),
}

/// Classifies the ICMP packet in `b`, which starts at the outer IP header and holds up to
/// [`ICMP_ERROR_PARSE_LEN`] of its bytes.
pub(crate) fn parse_icmp(b: &[u8], outer: &Ipv4) -> Icmp {
    let icmp_at = outer.header_len as usize;
    let Some(&ty) = b.get(icmp_at).filter(|_| b.len() >= icmp_at + ICMP_LEN) else {
        return Icmp::Truncated;
    };
    if !matches!(
        ty,
        ICMP_DEST_UNREACH | ICMP_SOURCE_QUENCH | ICMP_TIME_EXCEEDED
    ) {
        return Icmp::Unrelated;
    }
    let quoted_at = icmp_at + ICMP_LEN;
    let Some(q) = b.get(quoted_at..) else {
        return Icmp::Ignored;
    };
    let Some(quoted) = parse_ipv4(q) else {
        return Icmp::Ignored;
    };
    let first_fragment = u16::from_be_bytes([q[6], q[7]]) & 0x1fff == 0;
    if q[0] >> 4 != 4
        || (quoted.header_len as usize) < IPV4_MIN_LEN
        || !matches!(quoted.protocol, PROTO_TCP | PROTO_UDP)
        || !first_fragment
    {
        return Icmp::Ignored;
    }
    match q.get(quoted.header_len as usize..).and_then(ports) {
        Some(ports) => Icmp::Error(IcmpError {
            icmp_at,
            quoted_at,
            quoted,
            ports,
        }),
        None => Icmp::Ignored,
    }
}

/// Whether the ICMP checksum of the whole packet `ip` (from its IP header) is right.
pub(crate) fn icmp_checksum_ok(ip: &[u8], e: &IcmpError) -> bool {
    ip.get(e.icmp_at..)
        .is_some_and(|icmp| fold(add_words(0, icmp)) == 0xffff)
}

/// Translates an ICMP error about a NATed flow, as C's `ip_vs_nat_icmp`. `ip` is the whole
/// packet from its IP header.
///
/// `Side::Source` is an error from the real server's side on its way out: the outer source
/// and the quoted destination become the virtual address and port. `Side::Destination` is an
/// error from the client's side on its way in: the outer destination and the quoted source
/// become the real server's. IP checksums are recomputed and the ICMP checksum summed anew.
pub(crate) fn nat_icmp(ip: &mut [u8], e: &IcmpError, side: Side, addr: [u8; 4], port: [u8; 2]) {
    let q = e.quoted_at;
    let ql = e.quoted.header_len as usize;
    let (outer_at, quoted_addr_at, port_at) = match side {
        Side::Source => (12, q + 16, q + ql + 2),
        Side::Destination => (16, q + 12, q + ql),
    };
    ip[outer_at..outer_at + 4].copy_from_slice(&addr);
    ipv4_set_checksum(ip, e.icmp_at);
    ip[quoted_addr_at..quoted_addr_at + 4].copy_from_slice(&addr);
    ipv4_set_checksum(&mut ip[q..], ql);
    ip[port_at..port_at + 2].copy_from_slice(&port);
    let c = e.icmp_at + 2;
    ip[c..c + 2].copy_from_slice(&[0, 0]);
    let sum = !fold(add_words(0, &ip[e.icmp_at..]));
    ip[c..c + 2].copy_from_slice(&sum.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full checksum over the IPv4 pseudo-header and `l4`, as a receiver checks it.
    fn l4_checksum_ok(ip: &[u8]) -> bool {
        let h = parse_ipv4(ip).unwrap();
        let l4 = &ip[h.header_len as usize..];
        let mut sum = add_words(0, &ip[12..20]);
        sum += u32::from(h.protocol) + l4.len() as u32;
        fold(add_words(sum, l4)) == 0xffff
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
        let f = tcp_flags(&p[20..]).unwrap();
        assert!(f.syn && !f.ack && !f.fin && !f.rst);
        assert_eq!(parse_ipv4(&p[..19]), None);
    }

    #[test]
    fn dnat_then_snat_keeps_checksums_valid() {
        for proto in [PROTO_TCP, PROTO_UDP] {
            let mut p = tcp_packet(proto);
            assert!(l4_checksum_ok(&p) && ip_checksum_ok(&p));
            let rs = [172, 16, 0, 2];
            assert!(nat_rewrite(
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
            assert!(nat_rewrite(
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
        assert!(nat_rewrite(
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
        assert!(nat_rewrite(
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
        assert!(!nat_rewrite(
            &mut p[..30],
            Side::Source,
            [0; 4],
            [0; 2],
            ChecksumMode::Full
        ));
        let mut p = tcp_packet(PROTO_TCP);
        p[9] = PROTO_ICMP;
        assert!(!nat_rewrite(
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

    #[test]
    fn icmp_error_is_parsed_and_translated_with_valid_checksums() {
        let mut p = port_unreachable();
        let outer = parse_ipv4(&p).unwrap();
        let Icmp::Error(e) = parse_icmp(&p, &outer) else {
            panic!("not an error");
        };
        assert_eq!(e.quoted.daddr, [10, 0, 0, 9]);
        assert_eq!(e.ports, ([0x03, 0xe8], [0, 53]));
        assert!(icmp_checksum_ok(&p, &e));
        nat_icmp(&mut p, &e, Side::Source, [198, 51, 100, 7], [0, 80]);
        assert_eq!(&p[12..16], &[198, 51, 100, 7]);
        assert_eq!(&p[44..48], &[198, 51, 100, 7]);
        assert_eq!(&p[50..52], &[0, 80]);
        assert!(ip_checksum_ok(&p));
        assert!(ip_checksum_ok(&p[28..]));
        assert!(icmp_checksum_ok(&p, &e));
        nat_icmp(&mut p, &e, Side::Destination, [10, 0, 0, 5], [0, 8]);
        assert_eq!(&p[16..20], &[10, 0, 0, 5]);
        assert_eq!(&p[40..44], &[10, 0, 0, 5]);
        assert_eq!(&p[48..50], &[0, 8]);
        assert!(ip_checksum_ok(&p) && ip_checksum_ok(&p[28..]) && icmp_checksum_ok(&p, &e));
    }

    #[test]
    fn icmp_other_types_and_bad_quotes() {
        let p = port_unreachable();
        let outer = parse_ipv4(&p).unwrap();
        assert_eq!(parse_icmp(&p[..24], &outer), Icmp::Truncated);
        let mut echo = p.clone();
        echo[20] = 8;
        assert_eq!(parse_icmp(&echo, &outer), Icmp::Unrelated);
        assert_eq!(parse_icmp(&p[..50], &outer), Icmp::Ignored);
        let mut frag = p.clone();
        frag[34] = 0x01;
        assert_eq!(parse_icmp(&frag, &outer), Icmp::Ignored);
        let mut other = p.clone();
        other[37] = PROTO_ICMP;
        assert_eq!(parse_icmp(&other, &outer), Icmp::Ignored);
    }
}
