// SPDX-License-Identifier: GPL-2.0

//! Text of `/proc/net/ip_vs_conn` and `/proc/net/ip_vs_conn_sync`, byte for byte as C.

use core::fmt::{self, Write};

use crate::{
    addr::Addr,
    ctl::proc_text::{be32, write_ipv6_full, write_proto_name},
    uapi::Af,
};

/// What `/proc/net/ip_vs_conn` and `ip_vs_conn_sync` show of a connection.
pub(crate) struct ConnText<'a> {
    /// IP protocol.
    pub(crate) protocol: u16,
    /// Client address and port (network byte order).
    pub(crate) caddr: &'a Addr,
    pub(crate) cport: [u8; 2],
    /// Virtual address and port (for firewall-mark templates, the mark and 0).
    pub(crate) vaddr: &'a Addr,
    pub(crate) vport: [u8; 2],
    /// Real server address (of its own family) and port.
    pub(crate) daddr: &'a Addr,
    pub(crate) dport: [u8; 2],
    /// State name (protocol specific).
    pub(crate) state: &'a str,
    /// Whole seconds until the connection expires.
    pub(crate) expires: u32,
    /// Persistence engine name and its data for the connection (SIP Call-ID), if any.
    pub(crate) pe: Option<(&'a str, &'a str)>,
    /// Whether the connection came from the sync daemon (else it was made here).
    pub(crate) synced: bool,
}

/// Header of `/proc/net/ip_vs_conn`.
pub(crate) const CONN_HEADER: &str =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n";
/// Header of `/proc/net/ip_vs_conn_sync`.
pub(crate) const CONN_SYNC_HEADER: &str =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n";

fn write_addr(w: &mut impl Write, a: &Addr) -> fmt::Result {
    match a.af() {
        Af::Inet6 => write_ipv6_full(w, a.inet()),
        Af::Inet => write!(w, "{:08X}", be32(a.octets())),
    }
}

/// The columns both connection files share, up to the state.
fn write_conn_common(w: &mut impl Write, c: &ConnText<'_>) -> fmt::Result {
    // `%-3s`: the longer names (SCTP, ICMPv6, IP_n) are not cut.
    write_proto_name(w, c.protocol, 3)?;
    w.write_char(' ')?;
    write_addr(w, c.caddr)?;
    write!(w, " {:04X} ", u16::from_be_bytes(c.cport))?;
    write_addr(w, c.vaddr)?;
    write!(w, " {:04X} ", u16::from_be_bytes(c.vport))?;
    write_addr(w, c.daddr)?;
    write!(w, " {:04X} {:<11}", u16::from_be_bytes(c.dport), c.state)
}

/// A line of `/proc/net/ip_vs_conn`.
pub(crate) fn write_conn(w: &mut impl Write, c: &ConnText<'_>) -> fmt::Result {
    write_conn_common(w, c)?;
    write!(w, " {:7}", c.expires)?;
    if let Some((name, data)) = c.pe {
        write!(w, " {name} {data}")?;
    }
    w.write_char('\n')
}

/// A line of `/proc/net/ip_vs_conn_sync`.
pub(crate) fn write_conn_sync(w: &mut impl Write, c: &ConnText<'_>) -> fmt::Result {
    write_conn_common(w, c)?;
    let origin = if c.synced { "SYNC" } else { "LOCAL" };
    writeln!(w, " {origin:<6} {:7}", c.expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_lines_match_c() {
        let v4 = Addr::v4;
        let (c, v, d) = (v4([10, 0, 0, 2]), v4([10, 0, 0, 1]), v4([192, 168, 1, 5]));
        let mut six = [0u8; 16];
        six[0] = 0x20;
        six[1] = 0x01;
        six[15] = 9;
        let six = Addr::v6(six);
        let conn = ConnText {
            protocol: 6,
            caddr: &c,
            cport: 40000u16.to_be_bytes(),
            vaddr: &v,
            vport: 80u16.to_be_bytes(),
            daddr: &d,
            dport: 8080u16.to_be_bytes(),
            state: "ESTABLISHED",
            expires: 899,
            pe: None,
            synced: false,
        };
        let mut s = String::new();
        write_conn(&mut s, &conn).unwrap();
        write_conn_sync(
            &mut s,
            &ConnText {
                synced: true,
                state: "NONE",
                ..conn
            },
        )
        .unwrap();
        write_conn(
            &mut s,
            &ConnText {
                protocol: 132,
                daddr: &six,
                pe: Some(("sip", "abc@host")),
                ..conn
            },
        )
        .unwrap();
        assert_eq!(
            s,
            "TCP 0A000002 9C40 0A000001 0050 C0A80105 1F90 ESTABLISHED     899\n\
             TCP 0A000002 9C40 0A000001 0050 C0A80105 1F90 NONE        SYNC       899\n\
             SCTP 0A000002 9C40 0A000001 0050 2001:0000:0000:0000:0000:0000:0000:0009 \
             1F90 ESTABLISHED     899 sip abc@host\n"
        );
    }

    #[test]
    fn headers_match_c_seq_show() {
        // The SEQ_START_TOKEN lines of ip_vs_conn_seq_show and ip_vs_conn_sync_seq_show.
        assert_eq!(
            CONN_HEADER,
            "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
        );
        assert_eq!(
            CONN_SYNC_HEADER,
            "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n"
        );
    }
}
