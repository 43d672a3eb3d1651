// SPDX-License-Identifier: GPL-2.0

//! The legacy socket-option interface's numbers and structures (`IP_VS_SO_*`,
//! `struct ip_vs_service_user` and friends), encoded and decoded byte for byte.
//!
//! The layouts are those of x86_64 (C has no compat translation): native-endian integers, and
//! addresses and ports in network byte order, as the C structs hold them.

use crate::{
    addr::Addr,
    ctl::proc_text::{write_version, Counters, Rates},
    proto::timeouts::Timeouts,
    svc::request::{DestId, DestSettings, Name, ServiceId, ServiceSettings},
    uapi::{so_get as get, so_set as set, AF_INET},
};

/// `struct ip_vs_service_user`.
pub(crate) const SERVICE_USER_LEN: usize = 44;
/// `struct ip_vs_dest_user`.
pub(crate) const DEST_USER_LEN: usize = 24;
/// `struct ip_vs_timeout_user`.
pub(crate) const TIMEOUT_LEN: usize = 12;
/// `struct ip_vs_daemon_user`.
pub(crate) const DAEMON_USER_LEN: usize = 24;
/// `struct ip_vs_getinfo`.
pub(crate) const GETINFO_LEN: usize = 12;
/// `struct ip_vs_service_entry`.
pub(crate) const SERVICE_ENTRY_LEN: usize = 104;
/// `struct ip_vs_dest_entry`.
pub(crate) const DEST_ENTRY_LEN: usize = 96;
/// Header of `struct ip_vs_get_services` (before its entries).
pub(crate) const GET_SERVICES_LEN: usize = 8;
/// Header of `struct ip_vs_get_dests`.
pub(crate) const GET_DESTS_LEN: usize = 24;
/// The version string buffer of `GET_VERSION`.
pub(crate) const VERSION_LEN: usize = 64;
/// The largest fixed-size argument of any option (`MAX_SET_ARGLEN`, `MAX_GET_ARGLEN`).
pub(crate) const MAX_ARG_LEN: usize = SERVICE_ENTRY_LEN;

/// The exact argument length of `setsockopt` option `cmd` (`set_arglen`), for `cmd` in
/// `BASE_CTL..=set::MAX`; options without an argument, or not used, have 0.
pub(crate) fn set_arglen(cmd: i32) -> usize {
    match cmd {
        set::ADD | set::EDIT | set::DEL | set::ZERO => SERVICE_USER_LEN,
        set::ADDDEST | set::DELDEST | set::EDITDEST => SERVICE_USER_LEN + DEST_USER_LEN,
        set::TIMEOUT => TIMEOUT_LEN,
        set::STARTDAEMON | set::STOPDAEMON => DAEMON_USER_LEN,
        _ => 0,
    }
}

/// The least buffer length of `getsockopt` option `cmd` (`get_arglen`), for `cmd` in
/// `BASE_CTL..=get::MAX`.
pub(crate) fn get_arglen(cmd: i32) -> usize {
    match cmd {
        get::VERSION => VERSION_LEN,
        get::INFO => GETINFO_LEN,
        get::SERVICES => GET_SERVICES_LEN,
        get::SERVICE => SERVICE_ENTRY_LEN,
        get::DESTS => GET_DESTS_LEN,
        get::TIMEOUT => TIMEOUT_LEN,
        get::DAEMON => 2 * DAEMON_USER_LEN,
        _ => 0,
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn arr<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[off..off + N]);
    a
}

fn put(b: &mut [u8], off: usize, v: &[u8]) {
    b[off..off + v.len()].copy_from_slice(v);
}

/// The `GET_VERSION` text with its NUL, and its length: what C copies out (`strlen + 1`).
pub(crate) fn version_string(conn_tab_size: u32) -> ([u8; VERSION_LEN], usize) {
    struct Buf([u8; VERSION_LEN], usize);
    impl core::fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            // Leave room for the NUL; the longest text (a 10-digit size) is 52 bytes.
            let end = self.1 + s.len();
            self.0
                .get_mut(self.1..end)
                .ok_or(core::fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut buf = Buf([0; VERSION_LEN], 0);
    let _ = write_version(&mut buf, conn_tab_size);
    (buf.0, buf.1 + 1)
}

/// A decoded `struct ip_vs_service_user`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServiceUser {
    /// IP protocol.
    pub(crate) protocol: u16,
    /// IPv4 address.
    pub(crate) addr: [u8; 4],
    /// Port.
    pub(crate) port: [u8; 2],
    /// Firewall mark, 0 for none.
    pub(crate) fwmark: u32,
    /// Scheduler name, possibly unterminated.
    pub(crate) sched_name: [u8; 16],
    /// Service flags (all of them: there is no mask).
    pub(crate) flags: u32,
    /// Persistence timeout, seconds.
    pub(crate) timeout: u32,
    /// Persistence netmask, network byte order.
    pub(crate) netmask: u32,
}

impl ServiceUser {
    /// Decodes the first [`SERVICE_USER_LEN`] bytes of `b`.
    pub(crate) fn decode(b: &[u8]) -> Self {
        Self {
            protocol: u16_at(b, 0),
            addr: arr(b, 4),
            port: arr(b, 8),
            fwmark: u32_at(b, 12),
            sched_name: arr(b, 16),
            flags: u32_at(b, 32),
            timeout: u32_at(b, 36),
            netmask: u32_at(b, 40),
        }
    }

    /// Whether the scheduler name is NUL-terminated within its 16 bytes.
    pub(crate) fn sched_name_terminated(&self) -> bool {
        self.sched_name.contains(&0)
    }

    /// Neither a mark nor an address nor a port: `ZERO` then means every counter.
    pub(crate) fn is_blank(&self) -> bool {
        self.fwmark == 0 && self.addr == [0; 4] && self.port == [0; 2]
    }

    /// The IPv4 service this names.
    pub(crate) fn id(&self) -> ServiceId {
        ServiceId {
            protocol: self.protocol,
            addr: Addr::v4(self.addr),
            port: self.port,
            fwmark: self.fwmark,
        }
    }

    /// The settings for `ADD` and `EDIT`: all flags are taken as given.
    pub(crate) fn settings(&self) -> ServiceSettings {
        ServiceSettings {
            sched_name: Name::from_nul_string(&self.sched_name),
            pe_name: Name::default(),
            flags: self.flags,
            flags_mask: u32::MAX,
            timeout: self.timeout,
            netmask: self.netmask,
        }
    }
}

/// Decodes a `struct ip_vs_dest_user` (the first [`DEST_USER_LEN`] bytes of `b`): always IPv4,
/// tunnels always IP-IP, and the connection flags unmasked (the caller keeps the allowed bits).
pub(crate) fn decode_dest(b: &[u8]) -> (DestId, DestSettings) {
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&b[..4]);
    let id = DestId {
        af: AF_INET,
        addr,
        port: arr(b, 4),
    };
    let settings = DestSettings {
        fwd: u32_at(b, 8),
        weight: u32_at(b, 12) as i32,
        u_threshold: u32_at(b, 16),
        l_threshold: u32_at(b, 20),
        tun_type: 0,
        tun_port: [0; 2],
        tun_flags: 0,
    };
    (id, settings)
}

/// Decodes a `struct ip_vs_timeout_user` into the form [`Timeouts::update`] takes (C `int`s
/// seen as unsigned, so negative values are out of range).
pub(crate) fn decode_timeouts(b: &[u8]) -> [u32; 3] {
    [u32_at(b, 0), u32_at(b, 4), u32_at(b, 8)]
}

/// Encodes a `struct ip_vs_timeout_user`.
pub(crate) fn encode_timeouts(t: &Timeouts) -> [u8; TIMEOUT_LEN] {
    let mut b = [0; TIMEOUT_LEN];
    put(&mut b, 0, &t.tcp.to_ne_bytes());
    put(&mut b, 4, &t.tcp_fin.to_ne_bytes());
    put(&mut b, 8, &t.udp.to_ne_bytes());
    b
}

/// A decoded `struct ip_vs_daemon_user`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DaemonUser {
    /// `IP_VS_STATE_*`.
    pub(crate) state: u32,
    /// Interface name, possibly unterminated.
    pub(crate) ifname: [u8; 16],
    /// Sync id.
    pub(crate) syncid: u32,
}

impl DaemonUser {
    /// Decodes the first [`DAEMON_USER_LEN`] bytes of `b`.
    pub(crate) fn decode(b: &[u8]) -> Self {
        Self {
            state: u32_at(b, 0),
            ifname: arr(b, 4),
            syncid: u32_at(b, 20),
        }
    }

    /// Encodes into the first [`DAEMON_USER_LEN`] bytes of `b`.
    pub(crate) fn encode(&self, b: &mut [u8]) {
        put(b, 0, &self.state.to_ne_bytes());
        put(b, 4, &self.ifname);
        put(b, 20, &self.syncid.to_ne_bytes());
    }
}

/// Encodes a `struct ip_vs_getinfo`.
pub(crate) fn encode_info(version: u32, size: u32, num_services: u32) -> [u8; GETINFO_LEN] {
    let mut b = [0; GETINFO_LEN];
    put(&mut b, 0, &version.to_ne_bytes());
    put(&mut b, 4, &size.to_ne_bytes());
    put(&mut b, 8, &num_services.to_ne_bytes());
    b
}

/// What a `struct ip_vs_service_entry` reports of a service.
pub(crate) struct ServiceEntry<'a> {
    /// Identity (IPv4).
    pub(crate) id: &'a ServiceId,
    /// Scheduler name.
    pub(crate) sched: &'a str,
    /// Raw service flags.
    pub(crate) flags: u32,
    /// Persistence timeout, seconds.
    pub(crate) timeout: u32,
    /// Raw netmask.
    pub(crate) netmask: u32,
    /// Number of real servers.
    pub(crate) num_dests: u32,
    /// Traffic counters.
    pub(crate) stats: Counters,
    /// Traffic rates.
    pub(crate) rates: Rates,
}

impl ServiceEntry<'_> {
    /// Writes the fields into the first [`SERVICE_ENTRY_LEN`] bytes of `b`, as
    /// `ip_vs_copy_service` does: padding and the scheduler-name bytes after its NUL keep what
    /// `b` held.
    pub(crate) fn encode_into(&self, b: &mut [u8]) {
        put(b, 0, &self.id.protocol.to_ne_bytes());
        put(b, 4, &self.id.addr.v4_octets());
        put(b, 8, &self.id.port);
        put(b, 12, &self.id.fwmark.to_ne_bytes());
        let name = &self.sched.as_bytes()[..self.sched.len().min(15)];
        put(b, 16, name);
        // C's `strscpy` copies 8-byte words: the word holding the NUL is written whole, so the
        // bytes after the NUL up to the next multiple of 8 become zero; later ones keep theirs.
        let end = (name.len() / 8 + 1) * 8;
        b[16 + name.len()..16 + end].fill(0);
        put(b, 32, &self.flags.to_ne_bytes());
        put(b, 36, &self.timeout.to_ne_bytes());
        put(b, 40, &self.netmask.to_ne_bytes());
        put(b, 44, &self.num_dests.to_ne_bytes());
        encode_stats(&mut b[48..], &self.stats, &self.rates);
    }
}

/// Counters into a `struct ip_vs_stats_user`, field by field (its padding is left alone):
/// counts and rates truncated to 32 bits, byte counts whole.
fn encode_stats(b: &mut [u8], c: &Counters, r: &Rates) {
    let narrow = [
        (0, c.conns),
        (4, c.inpkts),
        (8, c.outpkts),
        (32, r.cps),
        (36, r.inpps),
        (40, r.outpps),
        (44, r.inbps),
        (48, r.outbps),
    ];
    for (off, v) in narrow {
        put(b, off, &(v as u32).to_ne_bytes());
    }
    put(b, 16, &c.inbytes.to_ne_bytes());
    put(b, 24, &c.outbytes.to_ne_bytes());
}

/// What a `struct ip_vs_dest_entry` reports of a real server.
pub(crate) struct DestEntry {
    /// IPv4 address.
    pub(crate) addr: [u8; 4],
    /// Port.
    pub(crate) port: [u8; 2],
    /// Raw connection flags.
    pub(crate) conn_flags: u32,
    /// Weight.
    pub(crate) weight: i32,
    /// Upper threshold.
    pub(crate) u_threshold: u32,
    /// Lower threshold.
    pub(crate) l_threshold: u32,
    /// Active connections.
    pub(crate) active: u32,
    /// Inactive connections.
    pub(crate) inactive: u32,
    /// Connections from persistence templates.
    pub(crate) persistent: u32,
    /// Traffic counters.
    pub(crate) stats: Counters,
    /// Traffic rates.
    pub(crate) rates: Rates,
}

impl DestEntry {
    /// Writes the fields into the first [`DEST_ENTRY_LEN`] bytes of `b` (padding untouched).
    pub(crate) fn encode_into(&self, b: &mut [u8]) {
        put(b, 0, &self.addr);
        put(b, 4, &self.port);
        put(b, 8, &self.conn_flags.to_ne_bytes());
        put(b, 12, &self.weight.to_ne_bytes());
        put(b, 16, &self.u_threshold.to_ne_bytes());
        put(b, 20, &self.l_threshold.to_ne_bytes());
        put(b, 24, &self.active.to_ne_bytes());
        put(b, 28, &self.inactive.to_ne_bytes());
        put(b, 32, &self.persistent.to_ne_bytes());
        encode_stats(&mut b[40..], &self.stats, &self.rates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::{Af, BASE_CTL as BASE};

    #[test]
    fn version_text() {
        let (b, n) = version_string(4096);
        assert_eq!(&b[..n], b"IP Virtual Server version 1.2.1 (size=4096)\0");
    }

    #[test]
    fn option_numbers_and_lengths() {
        assert_eq!(BASE, 1152);
        assert_eq!((set::ADD, set::ZERO, get::DAEMON), (1154, 1167, 1159));
        assert_eq!(set_arglen(set::ADDDEST), 68);
        assert_eq!(set_arglen(set::FLUSH), 0);
        assert_eq!(set_arglen(BASE), 0);
        assert_eq!(get_arglen(get::DAEMON), 48);
        assert_eq!(get_arglen(get::DESTS), 24);
        assert_eq!(get_arglen(BASE + 5), 0);
    }

    #[test]
    fn service_user_round_trip() {
        let mut b = [0u8; 44];
        b[0] = 6;
        b[4..8].copy_from_slice(&[10, 0, 0, 1]);
        b[8..10].copy_from_slice(&[0, 80]);
        b[16..18].copy_from_slice(b"rr");
        b[32..36].copy_from_slice(&1u32.to_ne_bytes());
        b[36..40].copy_from_slice(&300u32.to_ne_bytes());
        b[40..44].copy_from_slice(&[255, 255, 255, 255]);
        let s = ServiceUser::decode(&b);
        assert!(s.sched_name_terminated() && !s.is_blank());
        let id = s.id();
        assert_eq!(
            (id.af(), id.protocol, &id.addr.inet()[..5]),
            (Af::Inet, 6, &[10, 0, 0, 1, 0][..])
        );
        let set = s.settings();
        assert_eq!(set.sched_name.as_bytes(), b"rr");
        assert_eq!((set.flags, set.flags_mask, set.timeout), (1, u32::MAX, 300));

        let mut out = [0xaau8; 104];
        ServiceEntry {
            id: &id,
            sched: "wlc",
            flags: 3,
            timeout: 300,
            netmask: set.netmask,
            num_dests: 2,
            stats: Counters {
                conns: 0x1_0000_0005,
                inbytes: 77,
                ..Counters::default()
            },
            rates: Rates::default(),
        }
        .encode_into(&mut out);
        assert_eq!(&out[..4], &[6, 0, 0xaa, 0xaa]);
        assert_eq!(
            &out[16..32],
            b"wlc\0\0\0\0\0\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
        );
        assert_eq!(&out[44..48], &2u32.to_ne_bytes());
        // Connections truncated to 32 bits; the padding after the packet counts is kept.
        assert_eq!(&out[48..52], &5u32.to_ne_bytes());
        assert_eq!(&out[56..64], &[0, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]);
        assert_eq!(&out[64..72], &77u64.to_ne_bytes());
        assert_eq!(&out[100..], &[0xaa; 4]);
    }

    #[test]
    fn dest_and_daemon() {
        let mut b = [0u8; 24];
        b[..4].copy_from_slice(&[192, 168, 0, 2]);
        b[8..12].copy_from_slice(&0x2003u32.to_ne_bytes());
        b[12..16].copy_from_slice(&(-1i32).to_ne_bytes());
        let (id, s) = decode_dest(&b);
        assert_eq!((id.af, s.fwd, s.weight), (AF_INET, 0x2003, -1));

        let d = DaemonUser {
            state: 1,
            ifname: *b"eth0\0\0\0\0\0\0\0\0\0\0\0\0",
            syncid: 9,
        };
        let mut out = [0u8; 24];
        d.encode(&mut out);
        assert_eq!(DaemonUser::decode(&out), d);
        assert_eq!(
            encode_timeouts(&Timeouts::DEFAULT)[..4],
            900u32.to_ne_bytes()
        );
    }

    #[test]
    fn max_numbers_and_arg_len_as_c() {
        // ip_vs.h: IP_VS_SO_SET_MAX = IP_VS_SO_SET_ZERO = IP_VS_BASE_CTL + 15,
        // IP_VS_SO_GET_MAX = IP_VS_SO_GET_DAEMON = IP_VS_BASE_CTL + 7.
        assert_eq!((set::MAX, get::MAX), (1152 + 15, 1152 + 7));
        // ip_vs_ctl.c: MAX_SET_ARGLEN = sizeof(union ip_vs_set_arglen), its largest member
        // struct ip_vs_svcdest_user (44 + 24 = 68); MAX_GET_ARGLEN = sizeof(union
        // ip_vs_get_arglen), its largest member struct ip_vs_service_entry (104).
        let set_max = (BASE..=set::MAX).map(set_arglen).max();
        let get_max = (BASE..=get::MAX).map(get_arglen).max();
        assert_eq!((set_max, get_max), (Some(68), Some(104)));
        assert_eq!(MAX_ARG_LEN, 104);
    }

    #[test]
    fn timeout_user_decodes_three_ints() {
        // struct ip_vs_timeout_user: int tcp_timeout, tcp_fin_timeout, udp_timeout at 0, 4, 8.
        let b = [900i32, 120, 300].map(i32::to_ne_bytes).concat();
        assert_eq!(decode_timeouts(&b), [900, 120, 300]);
        // A negative int (refused by ip_vs_set_timeout's `< 0`) comes out out of range.
        let b = [-1i32, 0, 60].map(i32::to_ne_bytes).concat();
        assert_eq!(decode_timeouts(&b), [u32::MAX, 0, 60]);
    }

    #[test]
    fn getinfo_layout() {
        // struct ip_vs_getinfo: unsigned int version, size, num_services at 0, 4, 8;
        // do_ip_vs_get_ctl's IP_VS_SO_GET_INFO sends IP_VS_VERSION_CODE 0x010201.
        let b = encode_info(0x01_0201, 4096, 3);
        assert_eq!(b.len(), get_arglen(get::INFO));
        assert_eq!(
            b[..],
            [0x01_0201u32, 4096, 3].map(u32::to_ne_bytes).concat()
        );
    }

    #[test]
    fn dest_entry_layout() {
        // struct ip_vs_dest_entry (x86_64): addr 0, port 4, pad 6..8, conn_flags 8, weight
        // 12, u_threshold 16, l_threshold 20, activeconns 24, inactconns 28, persistconns
        // 32, pad 36..40 (stats holds u64s), stats 40..96. struct ip_vs_stats_user: conns 0,
        // inpkts 4, outpkts 8, pad 12..16, inbytes 16, outbytes 24, cps 32, inpps 36,
        // outpps 40, inbps 44, outbps 48, pad 52..56. Padding is marked 0xaa here.
        assert_eq!(DEST_ENTRY_LEN, 96);
        let mut b = [0xaau8; DEST_ENTRY_LEN];
        DestEntry {
            addr: [192, 168, 0, 2],
            port: 8080u16.to_be_bytes(),
            conn_flags: 2,
            weight: -1,
            u_threshold: 100,
            l_threshold: 10,
            active: 3,
            inactive: 4,
            persistent: 5,
            stats: Counters {
                // ip_vs_export_stats_user: conns, packets and rates cut to u32.
                conns: 0x1_0000_0006,
                inpkts: 7,
                outpkts: 8,
                inbytes: 0x1_0000_0009,
                outbytes: 10,
            },
            rates: Rates {
                cps: 11,
                inpps: 12,
                outpps: 13,
                inbps: 14,
                outbps: 15,
            },
        }
        .encode_into(&mut b);
        let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
        let want = [
            &[192, 168, 0, 2, 0x1f, 0x90, 0xaa, 0xaa][..],
            &u32s(&[2, u32::MAX, 100, 10, 3, 4, 5]),
            &[0xaa; 4],
            &u32s(&[6, 7, 8]),
            &[0xaa; 4],
            &0x1_0000_0009u64.to_ne_bytes(),
            &10u64.to_ne_bytes(),
            &u32s(&[11, 12, 13, 14, 15]),
            &[0xaa; 4],
        ]
        .concat();
        assert_eq!(b[..], want[..]);
    }
}
