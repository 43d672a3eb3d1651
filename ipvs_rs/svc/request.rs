// SPDX-License-Identifier: GPL-2.0

//! Configuration requests from user space, decoded and checked as the C module does it.
//!
//! The generic netlink service and destination nests are decoded here from any
//! [`AttrLookup`]: the kernel's parsed attribute table, or a map in the host tests. Fields are
//! kept raw, as C keeps them (ports and the IPv4 netmask in network byte order), so that replies
//! and `/proc` text come out byte for byte the same.

use crate::{
    addr::Addr,
    error::Errno,
    uapi::{dest_attr, svc_attr, Af, CONN_F_FWD_MASK, PROTO_TCP, TUN_TYPE_GUE},
};

/// Access to the attributes of one nest, by type.
pub(crate) trait AttrLookup<'a> {
    /// The payload of attribute `ty`, if present.
    fn attr(&self, ty: u16) -> Option<&'a [u8]>;
}

/// The family numbered `af`, if IPVS serves it here (IPv6 only where it is enabled).
pub(crate) fn served_af(af: u16, ipv6: bool) -> Option<Af> {
    match Af::of(af)? {
        Af::Inet6 if !ipv6 => None,
        served => Some(served),
    }
}

fn bytes<const N: usize>(p: &[u8]) -> [u8; N] {
    // Fixed-size attributes shorter than their type were refused by the policy already; a
    // longer one is read from its start, as `nla_get_*` does.
    let mut b = [0; N];
    let n = N.min(p.len());
    b[..n].copy_from_slice(&p[..n]);
    b
}

/// `nla_memcpy` into a 16-byte address: shorter payloads (4-byte IPv4) are zero-padded.
fn inet_addr(p: &[u8]) -> [u8; 16] {
    bytes(p)
}

/// Identifies a virtual service: by firewall mark when `fwmark != 0`, else by the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServiceId {
    /// IP protocol (TCP for firewall-mark services).
    pub(crate) protocol: u16,
    /// Virtual address, of the service's family (unspecified for firewall-mark services);
    /// for IPv4 only the first 4 bytes a request gives count, as `ip_vs_addr_copy` keeps.
    pub(crate) addr: Addr,
    /// Virtual port, network byte order.
    pub(crate) port: [u8; 2],
    /// Firewall mark, 0 for address services.
    pub(crate) fwmark: u32,
}

impl ServiceId {
    /// The service's address family.
    pub(crate) fn af(&self) -> Af {
        self.addr.af()
    }
}

/// The rest of a full service entry (`NEW_SERVICE`, `SET_SERVICE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServiceSettings {
    /// Scheduler name; `none` for no scheduler.
    pub(crate) sched_name: Name,
    /// Persistence engine name; empty for none.
    pub(crate) pe_name: Name,
    /// `struct ip_vs_flags`: the flags to set and which bits to take from them.
    pub(crate) flags: u32,
    /// Mask for `flags`.
    pub(crate) flags_mask: u32,
    /// Persistence timeout in seconds.
    pub(crate) timeout: u32,
    /// Persistence granularity, raw: an IPv4 netmask in network order, an IPv6 prefix length.
    pub(crate) netmask: u32,
}

/// A short NUL-free name (scheduler or persistence engine), at most 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Name {
    buf: [u8; 16],
    len: u8,
}

impl Name {
    /// The name from a validated `NLA_NUL_STRING` payload (up to its first NUL).
    pub(crate) fn from_nul_string(p: &[u8]) -> Self {
        let len = p.iter().position(|&c| c == 0).unwrap_or(p.len()).min(16);
        let mut buf = [0; 16];
        buf[..len].copy_from_slice(&p[..len]);
        Self {
            buf,
            len: len as u8,
        }
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// Whether the name is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Decodes a service nest, as `ip_vs_genl_parse_service`: the identifying fields always, the
/// settings when `full` (else `None`).
pub(crate) fn parse_service<'a>(
    a: &impl AttrLookup<'a>,
    full: bool,
    ipv6: bool,
) -> Result<(ServiceId, Option<ServiceSettings>), Errno> {
    let af = a.attr(svc_attr::AF);
    let fwmark = a.attr(svc_attr::FWMARK);
    let (protocol, addr, port) = (
        a.attr(svc_attr::PROTOCOL),
        a.attr(svc_attr::ADDR),
        a.attr(svc_attr::PORT),
    );
    let Some(af) = af else {
        return Err(Errno::Inval);
    };
    if fwmark.is_none() && (protocol.is_none() || addr.is_none() || port.is_none()) {
        return Err(Errno::Inval);
    }
    let Some(af) = served_af(u16::from_ne_bytes(bytes(af)), ipv6) else {
        return Err(Errno::AfNoSupport);
    };
    let id = match fwmark {
        Some(m) => ServiceId {
            protocol: u16::from(PROTO_TCP),
            addr: Addr::unspecified(af),
            port: [0; 2],
            fwmark: u32::from_ne_bytes(bytes(m)),
        },
        None => ServiceId {
            protocol: u16::from_ne_bytes(bytes(protocol.unwrap_or_default())),
            addr: Addr::from_inet(af, inet_addr(addr.unwrap_or_default())),
            port: bytes(port.unwrap_or_default()),
            fwmark: 0,
        },
    };
    if !full {
        return Ok((id, None));
    }
    let (Some(sched), Some(flags), Some(timeout), Some(netmask)) = (
        a.attr(svc_attr::SCHED_NAME),
        a.attr(svc_attr::FLAGS),
        a.attr(svc_attr::TIMEOUT),
        a.attr(svc_attr::NETMASK),
    ) else {
        return Err(Errno::Inval);
    };
    let flags: [u8; 8] = bytes(flags);
    let settings = ServiceSettings {
        sched_name: Name::from_nul_string(sched),
        pe_name: a
            .attr(svc_attr::PE_NAME)
            .map(Name::from_nul_string)
            .unwrap_or_default(),
        flags: u32::from_ne_bytes(bytes(&flags[..4])),
        flags_mask: u32::from_ne_bytes(bytes(&flags[4..])),
        timeout: u32::from_ne_bytes(bytes(timeout)),
        netmask: u32::from_ne_bytes(bytes(netmask)),
    };
    Ok((id, Some(settings)))
}

/// Merges requested flags into a service's current ones (0 for a new service), as C:
/// the bits in `mask` come from `new`, the others stay.
pub(crate) fn merge_flags(current: u32, new: u32, mask: u32) -> u32 {
    (current & !mask) | (new & mask)
}

/// Identifies a destination within its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestId {
    /// Address family as the request numbered it, 0 when it did not say (then the service's).
    pub(crate) af: u16,
    /// Real server address.
    pub(crate) addr: [u8; 16],
    /// Real server port, network byte order.
    pub(crate) port: [u8; 2],
}

/// The rest of a full destination entry (`NEW_DEST`, `SET_DEST`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestSettings {
    /// Forwarding method (already masked with [`CONN_F_FWD_MASK`]).
    pub(crate) fwd: u32,
    /// Weight, as the C `int` it becomes.
    pub(crate) weight: i32,
    /// Upper connection threshold, 0 for none.
    pub(crate) u_threshold: u32,
    /// Lower connection threshold.
    pub(crate) l_threshold: u32,
    /// Tunnel type: 0 IPIP, 1 GUE, 2 GRE.
    pub(crate) tun_type: u8,
    /// Tunnel (GUE) port, network byte order.
    pub(crate) tun_port: [u8; 2],
    /// Tunnel flags (checksum options).
    pub(crate) tun_flags: u16,
}

/// Decodes a destination nest, as `ip_vs_genl_parse_dest`.
pub(crate) fn parse_dest<'a>(
    a: &impl AttrLookup<'a>,
    full: bool,
) -> Result<(DestId, Option<DestSettings>), Errno> {
    let (Some(addr), Some(port)) = (a.attr(dest_attr::ADDR), a.attr(dest_attr::PORT)) else {
        return Err(Errno::Inval);
    };
    let id = DestId {
        af: a
            .attr(dest_attr::ADDR_FAMILY)
            .map_or(0, |p| u16::from_ne_bytes(bytes(p))),
        addr: inet_addr(addr),
        port: bytes(port),
    };
    if !full {
        return Ok((id, None));
    }
    let (Some(fwd), Some(weight), Some(u), Some(l)) = (
        a.attr(dest_attr::FWD_METHOD),
        a.attr(dest_attr::WEIGHT),
        a.attr(dest_attr::U_THRESH),
        a.attr(dest_attr::L_THRESH),
    ) else {
        return Err(Errno::Inval);
    };
    let settings = DestSettings {
        fwd: u32::from_ne_bytes(bytes(fwd)) & CONN_F_FWD_MASK,
        weight: i32::from_ne_bytes(bytes(weight)),
        u_threshold: u32::from_ne_bytes(bytes(u)),
        l_threshold: u32::from_ne_bytes(bytes(l)),
        tun_type: a.attr(dest_attr::TUN_TYPE).map_or(0, |p| bytes::<1>(p)[0]),
        tun_port: a.attr(dest_attr::TUN_PORT).map_or([0; 2], bytes),
        tun_flags: a
            .attr(dest_attr::TUN_FLAGS)
            .map_or(0, |p| u16::from_ne_bytes(bytes(p))),
    };
    Ok((id, Some(settings)))
}

impl DestSettings {
    /// The checks `ip_vs_add_dest` and `ip_vs_edit_dest` make (the same since Linux 7.3)
    /// before looking the destination up, in C's order.
    pub(crate) fn check(&self) -> Result<(), Errno> {
        if self.weight < 0 || self.l_threshold > self.u_threshold {
            return Err(Errno::Range);
        }
        if self.u_threshold > i32::MAX as u32 {
            return Err(Errno::Inval);
        }
        if self.tun_type == TUN_TYPE_GUE && self.tun_port == [0, 0] {
            return Err(Errno::Inval);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::{AF_INET, AF_INET6};
    use std::collections::HashMap;

    struct Map(HashMap<u16, Vec<u8>>);

    impl<'a> AttrLookup<'a> for &'a Map {
        fn attr(&self, ty: u16) -> Option<&'a [u8]> {
            self.0.get(&ty).map(Vec::as_slice)
        }
    }

    fn map(entries: &[(u16, &[u8])]) -> Map {
        Map(entries.iter().map(|(t, v)| (*t, v.to_vec())).collect())
    }

    fn ipvsadm_tcp_service() -> Map {
        let mut addr = [0u8; 16];
        addr[..4].copy_from_slice(&[10, 0, 0, 1]);
        let mut flags = Vec::new();
        flags.extend_from_slice(&1u32.to_ne_bytes());
        flags.extend_from_slice(&u32::MAX.to_ne_bytes());
        map(&[
            (svc_attr::AF, &AF_INET.to_ne_bytes()),
            (svc_attr::PROTOCOL, &6u16.to_ne_bytes()),
            (svc_attr::ADDR, &addr),
            (svc_attr::PORT, &80u16.to_be_bytes()),
            (svc_attr::SCHED_NAME, b"wlc\0"),
            (svc_attr::FLAGS, &flags),
            (svc_attr::TIMEOUT, &300u32.to_ne_bytes()),
            (svc_attr::NETMASK, &[255, 255, 255, 255]),
        ])
    }

    #[test]
    fn full_service_as_ipvsadm_sends_it() {
        let m = ipvsadm_tcp_service();
        let (id, s) = parse_service(&&m, true, true).unwrap();
        assert_eq!(id.af(), Af::Inet);
        assert_eq!(id.protocol, 6);
        assert_eq!(id.addr, Addr::v4([10, 0, 0, 1]));
        assert_eq!(id.port, [0, 80]);
        let s = s.unwrap();
        assert_eq!(s.sched_name.as_bytes(), b"wlc");
        assert!(s.pe_name.is_empty());
        assert_eq!((s.flags, s.flags_mask, s.timeout), (1, u32::MAX, 300));
        assert_eq!(s.netmask.to_ne_bytes(), [255; 4]);
    }

    #[test]
    fn four_byte_address_is_zero_padded() {
        let m = map(&[
            (svc_attr::AF, &AF_INET.to_ne_bytes()),
            (svc_attr::PROTOCOL, &17u16.to_ne_bytes()),
            (svc_attr::ADDR, &[192, 168, 1, 1]),
            (svc_attr::PORT, &53u16.to_be_bytes()),
        ]);
        let (id, s) = parse_service(&&m, false, true).unwrap();
        assert_eq!(
            id.addr.inet(),
            &[192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(s, None);
    }

    #[test]
    fn fwmark_forces_tcp_and_ignores_address() {
        let m = map(&[
            (svc_attr::AF, &AF_INET6.to_ne_bytes()),
            (svc_attr::FWMARK, &7u32.to_ne_bytes()),
            (svc_attr::PROTOCOL, &17u16.to_ne_bytes()),
        ]);
        let (id, _) = parse_service(&&m, false, true).unwrap();
        assert_eq!(
            (id.af(), id.protocol, id.fwmark),
            (Af::Inet6, u16::from(PROTO_TCP), 7)
        );
    }

    #[test]
    fn service_errors_in_c_order() {
        let no_af = map(&[(svc_attr::FWMARK, &7u32.to_ne_bytes())]);
        assert_eq!(parse_service(&&no_af, false, true), Err(Errno::Inval));
        let partial = map(&[
            (svc_attr::AF, &AF_INET.to_ne_bytes()),
            (svc_attr::PROTOCOL, &6u16.to_ne_bytes()),
        ]);
        assert_eq!(parse_service(&&partial, false, true), Err(Errno::Inval));
        let bad_af = map(&[
            (svc_attr::AF, &7u16.to_ne_bytes()),
            (svc_attr::FWMARK, &7u32.to_ne_bytes()),
        ]);
        assert_eq!(
            parse_service(&&bad_af, false, true),
            Err(Errno::AfNoSupport)
        );
        let v6 = map(&[
            (svc_attr::AF, &AF_INET6.to_ne_bytes()),
            (svc_attr::FWMARK, &7u32.to_ne_bytes()),
        ]);
        assert_eq!(parse_service(&&v6, false, false), Err(Errno::AfNoSupport));
        // Identifying fields fine, settings missing.
        assert_eq!(parse_service(&&v6, true, true), Err(Errno::Inval));
    }

    #[test]
    fn flags_merge_keeps_unmasked_bits() {
        assert_eq!(merge_flags(0b1010, 0b0101, 0b0011), 0b1001);
        assert_eq!(merge_flags(0b1010, 0, u32::MAX), 0);
    }

    fn dest(weight: i32, u: u32, l: u32, tun_type: u8, tun_port: u16) -> Map {
        map(&[
            (dest_attr::ADDR, &[10, 0, 1, 2]),
            (dest_attr::PORT, &8080u16.to_be_bytes()),
            (dest_attr::FWD_METHOD, &0xf3u32.to_ne_bytes()),
            (dest_attr::WEIGHT, &weight.to_ne_bytes()),
            (dest_attr::U_THRESH, &u.to_ne_bytes()),
            (dest_attr::L_THRESH, &l.to_ne_bytes()),
            (dest_attr::TUN_TYPE, &[tun_type]),
            (dest_attr::TUN_PORT, &tun_port.to_be_bytes()),
        ])
    }

    #[test]
    fn dest_fields_and_checks() {
        let m = dest(3, 0, 0, 0, 0);
        let (id, s) = parse_dest(&&m, true).unwrap();
        assert_eq!((id.af, id.port), (0, [0x1f, 0x90]));
        let s = s.unwrap();
        assert_eq!(s.fwd, 3, "forwarding method masked to its 3 bits");
        assert_eq!(s.check(), Ok(()));

        let checks = |w, u, l, t, p| parse_dest(&&dest(w, u, l, t, p), true).unwrap().1.unwrap();
        assert_eq!(checks(-1, 0, 0, 0, 0).check(), Err(Errno::Range));
        assert_eq!(checks(1, 10, 20, 0, 0).check(), Err(Errno::Range));
        assert_eq!(checks(1, 1 << 31, 0, 0, 0).check(), Err(Errno::Inval));
        assert_eq!(checks(1, 0, 0, TUN_TYPE_GUE, 0).check(), Err(Errno::Inval));
        assert_eq!(checks(1, 0, 0, TUN_TYPE_GUE, 6080).check(), Ok(()));
    }

    #[test]
    fn dest_needs_address_and_port() {
        let m = map(&[(dest_attr::ADDR, &[10, 0, 1, 2])]);
        assert_eq!(parse_dest(&&m, false), Err(Errno::Inval));
        let m = map(&[
            (dest_attr::ADDR, &[10, 0, 1, 2]),
            (dest_attr::PORT, &[0, 80]),
        ]);
        assert!(parse_dest(&&m, false).is_ok());
        assert_eq!(parse_dest(&&m, true), Err(Errno::Inval));
    }
}
