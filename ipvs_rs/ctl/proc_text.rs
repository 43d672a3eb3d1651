// SPDX-License-Identifier: GPL-2.0

//! Text of the `/proc/net/ip_vs*` files, byte for byte as the C module writes it.

use core::fmt::{self, Write};

use crate::{
    addr::Addr,
    svc::request::ServiceId,
    uapi::{
        self, Af, Fwd, PROTO_ICMP, PROTO_ICMPV6, PROTO_IP, PROTO_SCTP, PROTO_TCP, PROTO_UDP,
        SVC_F_ONEPACKET, SVC_F_PERSISTENT,
    },
};

/// Writes the three header lines of `/proc/net/ip_vs`; `conn_tab_size` is the current number of
/// connection hash buckets (0 until the first service of the namespace is added).
pub(crate) fn write_services_header(w: &mut impl Write, conn_tab_size: u32) -> fmt::Result {
    write_version(w, conn_tab_size)?;
    w.write_str("\nProt LocalAddress:Port Scheduler Flags\n")?;
    w.write_str("  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
}

/// The version line, without a newline: the first line of `/proc/net/ip_vs` and the text of
/// the `GET_VERSION` socket option.
pub(crate) fn write_version(w: &mut impl Write, conn_tab_size: u32) -> fmt::Result {
    let (major, minor, patch) = uapi::version_parts(uapi::VERSION_CODE);
    write!(
        w,
        "IP Virtual Server version {major}.{minor}.{patch} (size={conn_tab_size})"
    )
}

/// The name of a protocol C knows by name; others print as `IP_<number>`.
fn proto_name(proto: u16) -> Option<&'static str> {
    let name = match u8::try_from(proto).ok()? {
        PROTO_IP => "IP",
        PROTO_ICMP => "ICMP",
        PROTO_TCP => "TCP",
        PROTO_UDP => "UDP",
        PROTO_ICMPV6 => "ICMPv6",
        PROTO_SCTP => "SCTP",
        _ => return None,
    };
    Some(name)
}

/// The protocol name C prints (`ip_vs_proto_name`), padded with spaces to at least `width`
/// characters (the `IP_<number>` form is always longer than the widths C uses).
pub(crate) fn write_proto_name(w: &mut impl Write, proto: u16, width: usize) -> fmt::Result {
    match proto_name(proto) {
        Some(name) => write!(w, "{name:<width$}"),
        None => write!(w, "IP_{proto}"),
    }
}

/// An IPv6 address as `%pI6` prints it: eight four-digit lowercase hex groups.
pub(crate) fn write_ipv6_full(w: &mut impl Write, a: &[u8; 16]) -> fmt::Result {
    for (i, g) in a.chunks_exact(2).enumerate() {
        if i > 0 {
            w.write_char(':')?;
        }
        write!(w, "{:02x}{:02x}", g[0], g[1])?;
    }
    Ok(())
}

/// The first four bytes as a big-endian number (an IPv4 address as `ntohl` gives it).
pub(crate) fn be32(a: &[u8]) -> u32 {
    u32::from_be_bytes([a[0], a[1], a[2], a[3]])
}

/// The forwarding method's name in `/proc` (`ip_vs_fwd_name`).
pub(crate) fn fwd_name(conn_flags: u32) -> &'static str {
    match Fwd::of(conn_flags) {
        Fwd::LocalNode => "Local",
        Fwd::Tunnel => "Tunnel",
        Fwd::Route => "Route",
        Fwd::Masq | Fwd::Other(_) => "Masq",
    }
}

/// A virtual service as `/proc/net/ip_vs` shows it.
pub(crate) struct ServiceText<'a> {
    /// The service's identity.
    pub(crate) id: &'a ServiceId,
    /// Scheduler name (`none` without one).
    pub(crate) sched: &'a str,
    /// Service flags.
    pub(crate) flags: u32,
    /// Persistence timeout in jiffies: C prints the internal value, not seconds.
    pub(crate) timeout_jiffies: u32,
    /// Raw netmask (network order for IPv4, prefix length for IPv6).
    pub(crate) netmask: u32,
}

/// Writes a service line of `/proc/net/ip_vs`.
pub(crate) fn write_service(w: &mut impl Write, s: &ServiceText<'_>) -> fmt::Result {
    let ops = if s.flags & SVC_F_ONEPACKET != 0 {
        "ops "
    } else {
        ""
    };
    let id = s.id;
    let port = u16::from_be_bytes(id.port);
    if id.fwmark != 0 {
        write!(w, "FWM  {:08X} {} {}", id.fwmark, s.sched, ops)?;
    } else if id.af() == Af::Inet6 {
        write_proto_name(w, id.protocol, 0)?;
        w.write_str("  [")?;
        write_ipv6_full(w, id.addr.inet())?;
        write!(w, "]:{port:04X} {} ", s.sched)?;
    } else {
        write_proto_name(w, id.protocol, 0)?;
        write!(
            w,
            "  {:08X}:{port:04X} {} {} ",
            be32(id.addr.inet()),
            s.sched,
            ops
        )?;
    }
    if s.flags & SVC_F_PERSISTENT != 0 {
        // `%d` of the unsigned jiffies and `ntohl` of the raw netmask, as C.
        writeln!(
            w,
            "persistent {} {:08X}",
            s.timeout_jiffies as i32,
            u32::from_be(s.netmask)
        )
    } else {
        w.write_char('\n')
    }
}

/// A real server as `/proc/net/ip_vs` shows it.
pub(crate) struct DestText<'a> {
    /// Address (the line's format follows its family).
    pub(crate) addr: &'a Addr,
    /// Port.
    pub(crate) port: [u8; 2],
    /// Connection flags (the forwarding method is shown).
    pub(crate) conn_flags: u32,
    /// Weight.
    pub(crate) weight: i32,
    /// Active connections.
    pub(crate) active: i32,
    /// Inactive connections.
    pub(crate) inactive: i32,
}

/// Writes a real-server line of `/proc/net/ip_vs` (the format follows the server's family).
pub(crate) fn write_dest(w: &mut impl Write, d: &DestText<'_>) -> fmt::Result {
    let DestText {
        addr,
        port,
        conn_flags,
        weight,
        active,
        inactive,
    } = *d;
    let port = u16::from_be_bytes(port);
    if addr.af() == Af::Inet6 {
        w.write_str("  -> [")?;
        write_ipv6_full(w, addr.inet())?;
        write!(w, "]:{port:04X}")?;
    } else {
        write!(w, "  -> {:08X}:{port:04X}", be32(addr.octets()))?;
    }
    writeln!(
        w,
        "      {:<7} {:<6} {:<10} {:<10}",
        fwd_name(conn_flags),
        weight,
        active,
        inactive
    )
}

/// Counters of traffic through IPVS (of a namespace, service or real server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Connections scheduled.
    pub(crate) conns: u64,
    /// Packets in (client to server).
    pub(crate) inpkts: u64,
    /// Packets out.
    pub(crate) outpkts: u64,
    /// Bytes in.
    pub(crate) inbytes: u64,
    /// Bytes out.
    pub(crate) outbytes: u64,
}

/// Rates the estimator computes from [`Counters`], per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rates {
    /// Connections.
    pub(crate) cps: u64,
    /// Packets in.
    pub(crate) inpps: u64,
    /// Packets out.
    pub(crate) outpps: u64,
    /// Bytes in.
    pub(crate) inbps: u64,
    /// Bytes out.
    pub(crate) outbps: u64,
}

fn write_counter_columns(w: &mut impl Write, c: &Counters) -> fmt::Result {
    writeln!(
        w,
        "{:8X} {:8X} {:8X} {:16X} {:16X}",
        c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes
    )
}

fn write_rate_columns(w: &mut impl Write, r: &Rates) -> fmt::Result {
    writeln!(
        w,
        "{:8X} {:8X} {:8X} {:16X} {:16X}",
        r.cps, r.inpps, r.outpps, r.inbps, r.outbps
    )
}

/// `/proc/net/ip_vs_stats`: a namespace's totals and rates.
pub(crate) fn write_stats(w: &mut impl Write, total: &Counters, rates: &Rates) -> fmt::Result {
    w.write_str("   Total Incoming Outgoing         Incoming         Outgoing\n")?;
    w.write_str("   Conns  Packets  Packets            Bytes            Bytes\n")?;
    write_counter_columns(w, total)?;
    w.write_str("\n")?;
    w.write_str(" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    write_rate_columns(w, rates)
}

/// `/proc/net/ip_vs_stats_percpu`: the raw counters of each possible CPU, then the totals and
/// rates.
pub(crate) fn write_stats_percpu(
    w: &mut impl Write,
    per_cpu: impl Iterator<Item = (u32, Counters)>,
    total: &Counters,
    rates: &Rates,
) -> fmt::Result {
    w.write_str("       Total Incoming Outgoing         Incoming         Outgoing\n")?;
    w.write_str("CPU    Conns  Packets  Packets            Bytes            Bytes\n")?;
    for (cpu, c) in per_cpu {
        write!(w, "{cpu:3X} ")?;
        write_counter_columns(w, &c)?;
    }
    w.write_str("  ~ ")?;
    write_counter_columns(w, total)?;
    w.write_str("\n")?;
    w.write_str("     Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    w.write_str("    ")?;
    write_rate_columns(w, rates)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stats_files_match_c() {
        let total = Counters {
            conns: 0x1a,
            inpkts: 0x2b3,
            outpkts: 0,
            inbytes: 0x0012_3456_789a,
            outbytes: 1,
        };
        let mut s = String::new();
        write_stats(&mut s, &total, &Rates::default()).unwrap();
        assert_eq!(
            s,
            "   Total Incoming Outgoing         Incoming         Outgoing\n\
             \x20  Conns  Packets  Packets            Bytes            Bytes\n\
             \x20     1A      2B3        0       123456789A                1\n\
             \n\
             \x20Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n\
             \x20      0        0        0                0                0\n"
        );
        let mut s = String::new();
        let cpus = [(0, total), (1, Counters::default())];
        write_stats_percpu(&mut s, cpus.into_iter(), &total, &Rates::default()).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[2],
            "  0       1A      2B3        0       123456789A                1"
        );
        assert_eq!(
            lines[3],
            "  1        0        0        0                0                0"
        );
        assert_eq!(
            lines[4],
            "  ~       1A      2B3        0       123456789A                1"
        );
        assert_eq!(lines[5], "");
        assert_eq!(
            lines[7],
            "           0        0        0                0                0"
        );
    }

    use super::*;

    #[test]
    fn services_header_matches_c() {
        let mut s = String::new();
        write_services_header(&mut s, 0).unwrap();
        assert_eq!(
            s,
            "IP Virtual Server version 1.2.1 (size=0)\n\
             Prot LocalAddress:Port Scheduler Flags\n  \
             -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
        );
    }

    fn id(af: Af, protocol: u16, addr: &[u8], port: u16, fwmark: u32) -> ServiceId {
        let mut a = [0; 16];
        a[..addr.len()].copy_from_slice(addr);
        ServiceId {
            protocol,
            addr: Addr::from_inet(af, a),
            port: port.to_be_bytes(),
            fwmark,
        }
    }

    fn service(s: &ServiceText<'_>) -> String {
        let mut out = String::new();
        write_service(&mut out, s).unwrap();
        out
    }

    #[test]
    fn service_lines_match_c() {
        let tcp = id(Af::Inet, 6, &[10, 0, 0, 1], 80, 0);
        let persistent = ServiceText {
            id: &tcp,
            sched: "rr",
            flags: 0x1 | 0x2,
            timeout_jiffies: 300_000,
            netmask: u32::from_ne_bytes([255, 255, 255, 255]),
        };
        assert_eq!(
            service(&persistent),
            "TCP  0A000001:0050 rr  persistent 300000 FFFFFFFF\n"
        );
        let plain = ServiceText {
            flags: 0x2,
            ..persistent
        };
        assert_eq!(service(&plain), "TCP  0A000001:0050 rr  \n");
        let udp_ops = id(Af::Inet, 17, &[192, 168, 0, 1], 53, 0);
        let ops = ServiceText {
            id: &udp_ops,
            flags: 0x4,
            ..plain
        };
        assert_eq!(service(&ops), "UDP  C0A80001:0035 rr ops  \n");
        let fwm = id(Af::Inet, 6, &[], 0, 7);
        assert_eq!(
            service(&ServiceText {
                id: &fwm,
                sched: "sh",
                ..plain
            }),
            "FWM  00000007 sh \n"
        );
        let v6 = id(
            Af::Inet6,
            17,
            &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            53,
            0,
        );
        let v6s = ServiceText {
            id: &v6,
            sched: "wlc",
            flags: 0x1 | 0x4,
            timeout_jiffies: 300_000,
            netmask: 128,
        };
        assert_eq!(
            service(&v6s),
            "UDP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0035 wlc persistent 300000 80000000\n"
        );
    }

    #[test]
    fn dest_lines_match_c() {
        let mut s = String::new();
        let a = Addr::v4([10, 0, 1, 3]);
        let masq = DestText {
            addr: &a,
            port: 8080u16.to_be_bytes(),
            conn_flags: 0x100,
            weight: 1,
            active: 0,
            inactive: 0,
        };
        write_dest(&mut s, &masq).unwrap();
        let route = DestText {
            port: 0u16.to_be_bytes(),
            conn_flags: 0x183,
            weight: 5,
            active: 2,
            inactive: 10,
            ..masq
        };
        write_dest(&mut s, &route).unwrap();
        assert_eq!(
            s,
            "  -> 0A000103:1F90      Masq    1      0          0         \n\
             \x20 -> 0A000103:0000      Route   5      2          10        \n"
        );
        let mut proto = String::new();
        write_proto_name(&mut proto, 200, 0).unwrap();
        assert_eq!(proto, "IP_200");
    }
}
