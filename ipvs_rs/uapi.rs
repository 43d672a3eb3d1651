// SPDX-License-Identifier: GPL-2.0

//! Every number ipvs_rs shares with C, defined once: the IPVS user-space ABI
//! (`include/uapi/linux/ip_vs.h`: commands, attributes, service, connection and tunnel flags,
//! daemon states) and the address families, IP protocols and Ethernet types the data path
//! matches on. Each is checked against C twice: by the kernel build against the kernel's
//! headers (`ctl/abi_check.rs`), and by the host tests against `tests/fixtures/uapi-c.txt`,
//! which `tests/fixtures/record-uapi.sh` records from the same headers. [`with_c_names`] is
//! the one list both checks go through.

/// `IP_VS_VERSION_CODE`: version 1.2.1.
pub(crate) const VERSION_CODE: u32 = 0x01_02_01;

/// Splits a version code into its three printed parts.
pub(crate) const fn version_parts(code: u32) -> (u32, u32, u32) {
    ((code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff)
}

/// Generic netlink family version (`IPVS_GENL_VERSION`).
pub(crate) const GENL_VERSION: u32 = 1;

/// Generic netlink commands (`IPVS_CMD_*`).
pub(crate) mod cmd {
    pub(crate) const NEW_SERVICE: u8 = 1;
    pub(crate) const SET_SERVICE: u8 = 2;
    pub(crate) const DEL_SERVICE: u8 = 3;
    pub(crate) const GET_SERVICE: u8 = 4;
    pub(crate) const NEW_DEST: u8 = 5;
    pub(crate) const SET_DEST: u8 = 6;
    pub(crate) const DEL_DEST: u8 = 7;
    pub(crate) const GET_DEST: u8 = 8;
    pub(crate) const NEW_DAEMON: u8 = 9;
    pub(crate) const DEL_DAEMON: u8 = 10;
    pub(crate) const GET_DAEMON: u8 = 11;
    pub(crate) const SET_CONFIG: u8 = 12;
    pub(crate) const GET_CONFIG: u8 = 13;
    pub(crate) const SET_INFO: u8 = 14;
    pub(crate) const GET_INFO: u8 = 15;
    pub(crate) const ZERO: u8 = 16;
    pub(crate) const FLUSH: u8 = 17;
}

/// Top-level attributes of commands (`IPVS_CMD_ATTR_*`).
pub(crate) mod cmd_attr {
    pub(crate) const SERVICE: u16 = 1;
    pub(crate) const DEST: u16 = 2;
    pub(crate) const DAEMON: u16 = 3;
    pub(crate) const TIMEOUT_TCP: u16 = 4;
    pub(crate) const TIMEOUT_TCP_FIN: u16 = 5;
    pub(crate) const TIMEOUT_UDP: u16 = 6;
    /// `IPVS_CMD_ATTR_MAX`.
    pub(crate) const MAX: u16 = 6;
}

/// Top-level attributes of the `GET_INFO` reply (`IPVS_INFO_ATTR_*`).
pub(crate) mod info_attr {
    pub(crate) const VERSION: u16 = 1;
    pub(crate) const CONN_TAB_SIZE: u16 = 2;
}

/// Service nest attributes (`IPVS_SVC_ATTR_*`).
pub(crate) mod svc_attr {
    pub(crate) const AF: u16 = 1;
    pub(crate) const PROTOCOL: u16 = 2;
    pub(crate) const ADDR: u16 = 3;
    pub(crate) const PORT: u16 = 4;
    pub(crate) const FWMARK: u16 = 5;
    pub(crate) const SCHED_NAME: u16 = 6;
    pub(crate) const FLAGS: u16 = 7;
    pub(crate) const TIMEOUT: u16 = 8;
    pub(crate) const NETMASK: u16 = 9;
    pub(crate) const STATS: u16 = 10;
    pub(crate) const PE_NAME: u16 = 11;
    pub(crate) const STATS64: u16 = 12;
    /// `IPVS_SVC_ATTR_MAX` (the last, `STATS64`, is output only).
    pub(crate) const MAX: u16 = 12;
}

/// Destination nest attributes (`IPVS_DEST_ATTR_*`).
pub(crate) mod dest_attr {
    pub(crate) const ADDR: u16 = 1;
    pub(crate) const PORT: u16 = 2;
    pub(crate) const FWD_METHOD: u16 = 3;
    pub(crate) const WEIGHT: u16 = 4;
    pub(crate) const U_THRESH: u16 = 5;
    pub(crate) const L_THRESH: u16 = 6;
    pub(crate) const ACTIVE_CONNS: u16 = 7;
    pub(crate) const INACT_CONNS: u16 = 8;
    pub(crate) const PERSIST_CONNS: u16 = 9;
    pub(crate) const STATS: u16 = 10;
    pub(crate) const ADDR_FAMILY: u16 = 11;
    pub(crate) const STATS64: u16 = 12;
    pub(crate) const TUN_TYPE: u16 = 13;
    pub(crate) const TUN_PORT: u16 = 14;
    pub(crate) const TUN_FLAGS: u16 = 15;
    /// `IPVS_DEST_ATTR_MAX`.
    pub(crate) const MAX: u16 = 15;
}

/// Sync daemon attributes inside `CMD_ATTR_DAEMON` (`IPVS_DAEMON_ATTR_*`).
pub(crate) mod daemon_attr {
    pub(crate) const STATE: u16 = 1;
    pub(crate) const MCAST_IFN: u16 = 2;
    pub(crate) const SYNC_ID: u16 = 3;
    pub(crate) const SYNC_MAXLEN: u16 = 4;
    pub(crate) const MCAST_GROUP: u16 = 5;
    pub(crate) const MCAST_GROUP6: u16 = 6;
    pub(crate) const MCAST_PORT: u16 = 7;
    pub(crate) const MCAST_TTL: u16 = 8;
    /// `IPVS_DAEMON_ATTR_MAX`.
    pub(crate) const MAX: u16 = 8;
}

/// `IP_VS_IFNAME_MAXLEN`, including the NUL.
pub(crate) const IFNAME_MAXLEN: u16 = 16;

/// Counter attributes inside `STATS`/`STATS64` nests (`IPVS_STATS_ATTR_*`).
pub(crate) mod stats_attr {
    pub(crate) const CONNS: u16 = 1;
    pub(crate) const INPKTS: u16 = 2;
    pub(crate) const OUTPKTS: u16 = 3;
    pub(crate) const INBYTES: u16 = 4;
    pub(crate) const OUTBYTES: u16 = 5;
    pub(crate) const CPS: u16 = 6;
    pub(crate) const INPPS: u16 = 7;
    pub(crate) const OUTPPS: u16 = 8;
    pub(crate) const INBPS: u16 = 9;
    pub(crate) const OUTBPS: u16 = 10;
    /// Padding before 64-bit values where alignment needs it.
    pub(crate) const PAD: u16 = 11;
}

/// `IP_VS_SCHEDNAME_MAXLEN`, including the NUL.
pub(crate) const SCHEDNAME_MAXLEN: u16 = 16;
/// `IP_VS_PENAME_MAXLEN`, including the NUL.
pub(crate) const PENAME_MAXLEN: u16 = 16;
/// Size of `union nf_inet_addr`.
pub(crate) const INET_ADDR_LEN: u16 = 16;
/// Size of `struct ip_vs_flags`.
pub(crate) const FLAGS_LEN: u16 = 8;

/// First socket option number (`IP_VS_BASE_CTL`).
pub(crate) const BASE_CTL: i32 = 64 + 1024 + 64;

/// `setsockopt` options (`IP_VS_SO_SET_*`).
pub(crate) mod so_set {
    use super::BASE_CTL as BASE;
    pub(crate) const ADD: i32 = BASE + 2;
    pub(crate) const EDIT: i32 = BASE + 3;
    pub(crate) const DEL: i32 = BASE + 4;
    pub(crate) const FLUSH: i32 = BASE + 5;
    pub(crate) const ADDDEST: i32 = BASE + 7;
    pub(crate) const DELDEST: i32 = BASE + 8;
    pub(crate) const EDITDEST: i32 = BASE + 9;
    pub(crate) const TIMEOUT: i32 = BASE + 10;
    pub(crate) const STARTDAEMON: i32 = BASE + 11;
    pub(crate) const STOPDAEMON: i32 = BASE + 12;
    pub(crate) const ZERO: i32 = BASE + 15;
    /// `IP_VS_SO_SET_MAX`.
    pub(crate) const MAX: i32 = ZERO;
}

/// `getsockopt` options (`IP_VS_SO_GET_*`).
pub(crate) mod so_get {
    use super::BASE_CTL as BASE;
    pub(crate) const VERSION: i32 = BASE;
    pub(crate) const INFO: i32 = BASE + 1;
    pub(crate) const SERVICES: i32 = BASE + 2;
    pub(crate) const SERVICE: i32 = BASE + 3;
    pub(crate) const DESTS: i32 = BASE + 4;
    pub(crate) const TIMEOUT: i32 = BASE + 6;
    pub(crate) const DAEMON: i32 = BASE + 7;
    /// `IP_VS_SO_GET_MAX`.
    pub(crate) const MAX: i32 = DAEMON;
}

/// `AF_INET`.
pub(crate) const AF_INET: u16 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = 10;

/// An address family IPVS serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Af {
    /// [`AF_INET`]: IPv4.
    Inet,
    /// [`AF_INET6`]: IPv6.
    Inet6,
}

impl Af {
    /// The family numbered `number`, if IPv4 or IPv6.
    pub(crate) const fn of(number: u16) -> Option<Self> {
        match number {
            AF_INET => Some(Self::Inet),
            AF_INET6 => Some(Self::Inet6),
            _ => None,
        }
    }

    /// Its number (`AF_INET`, `AF_INET6`).
    pub(crate) const fn number(self) -> u16 {
        match self {
            Self::Inet => AF_INET,
            Self::Inet6 => AF_INET6,
        }
    }
}

/// `IPPROTO_IP`: the protocol of persistence templates that cover all protocols.
pub(crate) const PROTO_IP: u8 = 0;
/// `IPPROTO_ICMP`.
pub(crate) const PROTO_ICMP: u8 = 1;
/// `IPPROTO_IPIP`.
pub(crate) const PROTO_IPIP: u8 = 4;
/// `IPPROTO_TCP`.
pub(crate) const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub(crate) const PROTO_UDP: u8 = 17;
/// `IPPROTO_IPV6`.
pub(crate) const PROTO_IPV6: u8 = 41;
/// `IPPROTO_GRE`.
pub(crate) const PROTO_GRE: u8 = 47;
/// `IPPROTO_ICMPV6`.
pub(crate) const PROTO_ICMPV6: u8 = 58;
/// `IPPROTO_SCTP`.
pub(crate) const PROTO_SCTP: u8 = 132;

/// The transport protocols IPVS tells apart, from an IP protocol number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// [`PROTO_TCP`].
    Tcp,
    /// [`PROTO_UDP`].
    Udp,
    /// [`PROTO_SCTP`].
    Sctp,
    /// [`PROTO_ICMP`].
    Icmp,
    /// [`PROTO_ICMPV6`].
    Icmpv6,
    /// Any other.
    Other(u8),
}

impl Protocol {
    /// The protocol of IP protocol number `number`.
    pub(crate) const fn of(number: u8) -> Self {
        match number {
            PROTO_TCP => Self::Tcp,
            PROTO_UDP => Self::Udp,
            PROTO_SCTP => Self::Sctp,
            PROTO_ICMP => Self::Icmp,
            PROTO_ICMPV6 => Self::Icmpv6,
            other => Self::Other(other),
        }
    }
}

/// `ETH_P_IP`.
pub(crate) const ETH_P_IP: u16 = 0x0800;
/// `ETH_P_IPV6`.
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;

/// `IP_VS_SVC_F_PERSISTENT`.
pub(crate) const SVC_F_PERSISTENT: u32 = 0x1;
/// `IP_VS_SVC_F_HASHED`.
pub(crate) const SVC_F_HASHED: u32 = 0x2;
/// `IP_VS_SVC_F_ONEPACKET`.
pub(crate) const SVC_F_ONEPACKET: u32 = 0x4;

/// `IP_VS_CONN_F_FWD_MASK`: the forwarding method's bits.
pub(crate) const CONN_F_FWD_MASK: u32 = 0x7;
/// `IP_VS_CONN_F_MASQ`: NAT.
pub(crate) const CONN_F_MASQ: u32 = 0;
/// `IP_VS_CONN_F_LOCALNODE`.
pub(crate) const CONN_F_LOCALNODE: u32 = 1;
/// `IP_VS_CONN_F_TUNNEL`.
pub(crate) const CONN_F_TUNNEL: u32 = 2;
/// `IP_VS_CONN_F_DROUTE`: direct routing.
pub(crate) const CONN_F_DROUTE: u32 = 3;
/// `IP_VS_CONN_F_BYPASS`.
pub(crate) const CONN_F_BYPASS: u32 = 4;
/// `IP_VS_CONN_F_NOOUTPUT`.
pub(crate) const CONN_F_NOOUTPUT: u32 = 0x80;
/// `IP_VS_CONN_F_INACTIVE`.
pub(crate) const CONN_F_INACTIVE: u32 = 0x100;
/// `IP_VS_CONN_F_TEMPLATE`.
pub(crate) const CONN_F_TEMPLATE: u32 = 0x1000;
/// `IP_VS_CONN_F_ONE_PACKET`.
pub(crate) const CONN_F_ONE_PACKET: u32 = 0x2000;
/// `IP_VS_CONN_F_NFCT`.
pub(crate) const CONN_F_NFCT: u32 = 1 << 16;
/// `IP_VS_CONN_F_DEST_MASK`: the connection flags a real server's configuration sets.
pub(crate) const CONN_F_DEST_MASK: u32 = CONN_F_FWD_MASK | CONN_F_ONE_PACKET | CONN_F_NFCT;

/// A forwarding method: the [`CONN_F_FWD_MASK`] bits of connection flags, which user space
/// may set to any of their eight values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fwd {
    /// [`CONN_F_MASQ`]: NAT.
    Masq,
    /// [`CONN_F_LOCALNODE`]: the server is this host.
    LocalNode,
    /// [`CONN_F_TUNNEL`]: IP-IP, GUE or GRE.
    Tunnel,
    /// [`CONN_F_DROUTE`]: direct routing.
    Route,
    /// [`CONN_F_BYPASS`], and the three values C has no name for (5 to 7).
    Other(u8),
}

impl Fwd {
    /// The forwarding method in connection flags `flags`.
    pub(crate) const fn of(flags: u32) -> Self {
        match flags & CONN_F_FWD_MASK {
            CONN_F_MASQ => Self::Masq,
            CONN_F_LOCALNODE => Self::LocalNode,
            CONN_F_TUNNEL => Self::Tunnel,
            CONN_F_DROUTE => Self::Route,
            // At most 7: masked.
            other => Self::Other(other as u8),
        }
    }
}

/// `IP_VS_CONN_F_TUNNEL_TYPE_IPIP`.
pub(crate) const TUN_TYPE_IPIP: u8 = 0;
/// `IP_VS_CONN_F_TUNNEL_TYPE_GUE`.
pub(crate) const TUN_TYPE_GUE: u8 = 1;
/// `IP_VS_CONN_F_TUNNEL_TYPE_GRE`.
pub(crate) const TUN_TYPE_GRE: u8 = 2;
/// `IP_VS_TUNNEL_ENCAP_FLAG_CSUM`.
pub(crate) const TUN_FLAG_CSUM: u16 = 1 << 0;
/// `IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM`.
pub(crate) const TUN_FLAG_REMCSUM: u16 = 1 << 1;

/// `IP_VS_STATE_MASTER`: a sync daemon that sends.
pub(crate) const STATE_MASTER: u32 = 1;
/// `IP_VS_STATE_BACKUP`: a sync daemon that receives.
pub(crate) const STATE_BACKUP: u32 = 2;

/// ICMP "destination unreachable".
pub(crate) const ICMP_DEST_UNREACH: u8 = 3;
/// ICMP "source quench".
pub(crate) const ICMP_SOURCE_QUENCH: u8 = 4;
/// ICMP "time exceeded".
pub(crate) const ICMP_TIME_EXCEEDED: u8 = 11;
/// ICMP "port unreachable" (a code of `ICMP_DEST_UNREACH`).
pub(crate) const ICMP_PORT_UNREACH: u8 = 3;
/// ICMP "fragmentation needed" (a code of `ICMP_DEST_UNREACH`).
pub(crate) const ICMP_FRAG_NEEDED: u8 = 4;
/// ICMP "TTL exceeded in transit" (a code of `ICMP_TIME_EXCEEDED`).
pub(crate) const ICMP_EXC_TTL: u8 = 0;
/// ICMPv6 "destination unreachable".
pub(crate) const ICMPV6_DEST_UNREACH: u8 = 1;
/// ICMPv6 "port unreachable" (a code of `ICMPV6_DEST_UNREACH`).
pub(crate) const ICMPV6_PORT_UNREACH: u8 = 4;
/// ICMPv6 "packet too big".
pub(crate) const ICMPV6_PKT_TOOBIG: u8 = 2;
/// `ICMPV6_INFOMSG_MASK`: ICMPv6 types with this bit are informational, the others errors.
pub(crate) const ICMPV6_INFOMSG_MASK: u8 = 0x80;

/// Calls macro `$check` with every number above and the C expression it equals, then every
/// length above and the C type it is the size of:
/// `$check!(numbers { OURS => C_EXPR, ... } sizes { OURS => union|struct C_TYPE, ... })`.
macro_rules! with_c_names {
    ($check:ident) => {
        $check! {
            numbers {
                VERSION_CODE => IP_VS_VERSION_CODE,
                GENL_VERSION => IPVS_GENL_VERSION,
                cmd::NEW_SERVICE => IPVS_CMD_NEW_SERVICE,
                cmd::SET_SERVICE => IPVS_CMD_SET_SERVICE,
                cmd::DEL_SERVICE => IPVS_CMD_DEL_SERVICE,
                cmd::GET_SERVICE => IPVS_CMD_GET_SERVICE,
                cmd::NEW_DEST => IPVS_CMD_NEW_DEST,
                cmd::SET_DEST => IPVS_CMD_SET_DEST,
                cmd::DEL_DEST => IPVS_CMD_DEL_DEST,
                cmd::GET_DEST => IPVS_CMD_GET_DEST,
                cmd::NEW_DAEMON => IPVS_CMD_NEW_DAEMON,
                cmd::DEL_DAEMON => IPVS_CMD_DEL_DAEMON,
                cmd::GET_DAEMON => IPVS_CMD_GET_DAEMON,
                cmd::SET_CONFIG => IPVS_CMD_SET_CONFIG,
                cmd::GET_CONFIG => IPVS_CMD_GET_CONFIG,
                cmd::SET_INFO => IPVS_CMD_SET_INFO,
                cmd::GET_INFO => IPVS_CMD_GET_INFO,
                cmd::ZERO => IPVS_CMD_ZERO,
                cmd::FLUSH => IPVS_CMD_FLUSH,
                cmd_attr::SERVICE => IPVS_CMD_ATTR_SERVICE,
                cmd_attr::DEST => IPVS_CMD_ATTR_DEST,
                cmd_attr::DAEMON => IPVS_CMD_ATTR_DAEMON,
                cmd_attr::TIMEOUT_TCP => IPVS_CMD_ATTR_TIMEOUT_TCP,
                cmd_attr::TIMEOUT_TCP_FIN => IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
                cmd_attr::TIMEOUT_UDP => IPVS_CMD_ATTR_TIMEOUT_UDP,
                cmd_attr::MAX => __IPVS_CMD_ATTR_MAX - 1,
                info_attr::VERSION => IPVS_INFO_ATTR_VERSION,
                info_attr::CONN_TAB_SIZE => IPVS_INFO_ATTR_CONN_TAB_SIZE,
                svc_attr::AF => IPVS_SVC_ATTR_AF,
                svc_attr::PROTOCOL => IPVS_SVC_ATTR_PROTOCOL,
                svc_attr::ADDR => IPVS_SVC_ATTR_ADDR,
                svc_attr::PORT => IPVS_SVC_ATTR_PORT,
                svc_attr::FWMARK => IPVS_SVC_ATTR_FWMARK,
                svc_attr::SCHED_NAME => IPVS_SVC_ATTR_SCHED_NAME,
                svc_attr::FLAGS => IPVS_SVC_ATTR_FLAGS,
                svc_attr::TIMEOUT => IPVS_SVC_ATTR_TIMEOUT,
                svc_attr::NETMASK => IPVS_SVC_ATTR_NETMASK,
                svc_attr::STATS => IPVS_SVC_ATTR_STATS,
                svc_attr::PE_NAME => IPVS_SVC_ATTR_PE_NAME,
                svc_attr::STATS64 => IPVS_SVC_ATTR_STATS64,
                svc_attr::MAX => __IPVS_SVC_ATTR_MAX - 1,
                dest_attr::ADDR => IPVS_DEST_ATTR_ADDR,
                dest_attr::PORT => IPVS_DEST_ATTR_PORT,
                dest_attr::FWD_METHOD => IPVS_DEST_ATTR_FWD_METHOD,
                dest_attr::WEIGHT => IPVS_DEST_ATTR_WEIGHT,
                dest_attr::U_THRESH => IPVS_DEST_ATTR_U_THRESH,
                dest_attr::L_THRESH => IPVS_DEST_ATTR_L_THRESH,
                dest_attr::ACTIVE_CONNS => IPVS_DEST_ATTR_ACTIVE_CONNS,
                dest_attr::INACT_CONNS => IPVS_DEST_ATTR_INACT_CONNS,
                dest_attr::PERSIST_CONNS => IPVS_DEST_ATTR_PERSIST_CONNS,
                dest_attr::STATS => IPVS_DEST_ATTR_STATS,
                dest_attr::ADDR_FAMILY => IPVS_DEST_ATTR_ADDR_FAMILY,
                dest_attr::STATS64 => IPVS_DEST_ATTR_STATS64,
                dest_attr::TUN_TYPE => IPVS_DEST_ATTR_TUN_TYPE,
                dest_attr::TUN_PORT => IPVS_DEST_ATTR_TUN_PORT,
                dest_attr::TUN_FLAGS => IPVS_DEST_ATTR_TUN_FLAGS,
                dest_attr::MAX => __IPVS_DEST_ATTR_MAX - 1,
                daemon_attr::STATE => IPVS_DAEMON_ATTR_STATE,
                daemon_attr::MCAST_IFN => IPVS_DAEMON_ATTR_MCAST_IFN,
                daemon_attr::SYNC_ID => IPVS_DAEMON_ATTR_SYNC_ID,
                daemon_attr::SYNC_MAXLEN => IPVS_DAEMON_ATTR_SYNC_MAXLEN,
                daemon_attr::MCAST_GROUP => IPVS_DAEMON_ATTR_MCAST_GROUP,
                daemon_attr::MCAST_GROUP6 => IPVS_DAEMON_ATTR_MCAST_GROUP6,
                daemon_attr::MCAST_PORT => IPVS_DAEMON_ATTR_MCAST_PORT,
                daemon_attr::MCAST_TTL => IPVS_DAEMON_ATTR_MCAST_TTL,
                daemon_attr::MAX => __IPVS_DAEMON_ATTR_MAX - 1,
                IFNAME_MAXLEN => IP_VS_IFNAME_MAXLEN,
                stats_attr::CONNS => IPVS_STATS_ATTR_CONNS,
                stats_attr::INPKTS => IPVS_STATS_ATTR_INPKTS,
                stats_attr::OUTPKTS => IPVS_STATS_ATTR_OUTPKTS,
                stats_attr::INBYTES => IPVS_STATS_ATTR_INBYTES,
                stats_attr::OUTBYTES => IPVS_STATS_ATTR_OUTBYTES,
                stats_attr::CPS => IPVS_STATS_ATTR_CPS,
                stats_attr::INPPS => IPVS_STATS_ATTR_INPPS,
                stats_attr::OUTPPS => IPVS_STATS_ATTR_OUTPPS,
                stats_attr::INBPS => IPVS_STATS_ATTR_INBPS,
                stats_attr::OUTBPS => IPVS_STATS_ATTR_OUTBPS,
                stats_attr::PAD => IPVS_STATS_ATTR_PAD,
                SCHEDNAME_MAXLEN => IP_VS_SCHEDNAME_MAXLEN,
                PENAME_MAXLEN => IP_VS_PENAME_MAXLEN,
                BASE_CTL => IP_VS_BASE_CTL,
                so_set::ADD => IP_VS_SO_SET_ADD,
                so_set::EDIT => IP_VS_SO_SET_EDIT,
                so_set::DEL => IP_VS_SO_SET_DEL,
                so_set::FLUSH => IP_VS_SO_SET_FLUSH,
                so_set::ADDDEST => IP_VS_SO_SET_ADDDEST,
                so_set::DELDEST => IP_VS_SO_SET_DELDEST,
                so_set::EDITDEST => IP_VS_SO_SET_EDITDEST,
                so_set::TIMEOUT => IP_VS_SO_SET_TIMEOUT,
                so_set::STARTDAEMON => IP_VS_SO_SET_STARTDAEMON,
                so_set::STOPDAEMON => IP_VS_SO_SET_STOPDAEMON,
                so_set::ZERO => IP_VS_SO_SET_ZERO,
                so_set::MAX => IP_VS_SO_SET_MAX,
                so_get::VERSION => IP_VS_SO_GET_VERSION,
                so_get::INFO => IP_VS_SO_GET_INFO,
                so_get::SERVICES => IP_VS_SO_GET_SERVICES,
                so_get::SERVICE => IP_VS_SO_GET_SERVICE,
                so_get::DESTS => IP_VS_SO_GET_DESTS,
                so_get::TIMEOUT => IP_VS_SO_GET_TIMEOUT,
                so_get::DAEMON => IP_VS_SO_GET_DAEMON,
                so_get::MAX => IP_VS_SO_GET_MAX,
                AF_INET => AF_INET,
                AF_INET6 => AF_INET6,
                PROTO_IP => IPPROTO_IP,
                PROTO_ICMP => IPPROTO_ICMP,
                PROTO_IPIP => IPPROTO_IPIP,
                PROTO_TCP => IPPROTO_TCP,
                PROTO_UDP => IPPROTO_UDP,
                PROTO_IPV6 => IPPROTO_IPV6,
                PROTO_GRE => IPPROTO_GRE,
                PROTO_ICMPV6 => IPPROTO_ICMPV6,
                PROTO_SCTP => IPPROTO_SCTP,
                ETH_P_IP => ETH_P_IP,
                ETH_P_IPV6 => ETH_P_IPV6,
                SVC_F_PERSISTENT => IP_VS_SVC_F_PERSISTENT,
                SVC_F_HASHED => IP_VS_SVC_F_HASHED,
                SVC_F_ONEPACKET => IP_VS_SVC_F_ONEPACKET,
                CONN_F_FWD_MASK => IP_VS_CONN_F_FWD_MASK,
                CONN_F_MASQ => IP_VS_CONN_F_MASQ,
                CONN_F_LOCALNODE => IP_VS_CONN_F_LOCALNODE,
                CONN_F_TUNNEL => IP_VS_CONN_F_TUNNEL,
                CONN_F_DROUTE => IP_VS_CONN_F_DROUTE,
                CONN_F_BYPASS => IP_VS_CONN_F_BYPASS,
                CONN_F_NOOUTPUT => IP_VS_CONN_F_NOOUTPUT,
                CONN_F_INACTIVE => IP_VS_CONN_F_INACTIVE,
                CONN_F_TEMPLATE => IP_VS_CONN_F_TEMPLATE,
                CONN_F_ONE_PACKET => IP_VS_CONN_F_ONE_PACKET,
                CONN_F_NFCT => IP_VS_CONN_F_NFCT,
                CONN_F_DEST_MASK => IP_VS_CONN_F_DEST_MASK,
                TUN_TYPE_IPIP => IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
                TUN_TYPE_GUE => IP_VS_CONN_F_TUNNEL_TYPE_GUE,
                TUN_TYPE_GRE => IP_VS_CONN_F_TUNNEL_TYPE_GRE,
                TUN_FLAG_CSUM => IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
                TUN_FLAG_REMCSUM => IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
                STATE_MASTER => IP_VS_STATE_MASTER,
                STATE_BACKUP => IP_VS_STATE_BACKUP,
                ICMP_DEST_UNREACH => ICMP_DEST_UNREACH,
                ICMP_SOURCE_QUENCH => ICMP_SOURCE_QUENCH,
                ICMP_TIME_EXCEEDED => ICMP_TIME_EXCEEDED,
                ICMP_PORT_UNREACH => ICMP_PORT_UNREACH,
                ICMP_FRAG_NEEDED => ICMP_FRAG_NEEDED,
                ICMP_EXC_TTL => ICMP_EXC_TTL,
                ICMPV6_DEST_UNREACH => ICMPV6_DEST_UNREACH,
                ICMPV6_PORT_UNREACH => ICMPV6_PORT_UNREACH,
                ICMPV6_PKT_TOOBIG => ICMPV6_PKT_TOOBIG,
                ICMPV6_INFOMSG_MASK => ICMPV6_INFOMSG_MASK,
            }
            sizes {
                INET_ADDR_LEN => union nf_inet_addr,
                FLAGS_LEN => struct ip_vs_flags,
            }
        }
    };
}
pub(crate) use with_c_names;

#[cfg(test)]
mod tests {
    /// `EXPR<TAB>VALUE` lines, recorded from C's headers by `tests/fixtures/record-uapi.sh`.
    const FIXTURE: &str = include_str!("../tests/fixtures/uapi-c.txt");

    /// The value C gives `expr` (as `stringify!` spells it; spaces do not matter).
    fn c_value(expr: &str) -> i64 {
        let key: String = expr.split_whitespace().collect();
        FIXTURE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .find(|(e, _)| e.split_whitespace().collect::<String>() == key)
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{expr} is not in tests/fixtures/uapi-c.txt"))
    }

    macro_rules! against_fixture {
        (numbers { $($($n:ident)::+ => $c:expr,)* } sizes { $($s:ident => $k:ident $t:ident,)* }) => {{
            let mut checked = 0;
            $(
                assert_eq!(i64::from(super::$($n)::+), c_value(stringify!($c)), stringify!($c));
                checked += 1;
            )*
            $(
                let c = concat!("sizeof(", stringify!($k), " ", stringify!($t), ")");
                assert_eq!(i64::from(super::$s), c_value(c), "{}", c);
                checked += 1;
            )*
            checked
        }};
    }

    #[test]
    fn protocols_and_forwarding_methods_by_number() {
        use super::{Fwd, Protocol};
        // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_GRE.
        let protocols = [6, 17, 132, 1, 58, 47].map(Protocol::of);
        let expected = [
            Protocol::Tcp,
            Protocol::Udp,
            Protocol::Sctp,
            Protocol::Icmp,
            Protocol::Icmpv6,
            Protocol::Other(47),
        ];
        assert_eq!(protocols, expected);
        // IP_VS_CONN_F_MASQ ... IP_VS_CONN_F_BYPASS, an unnamed 7; other flag bits ignored.
        let methods = [0, 1, 2, 3, 4, 7, 0x1003].map(Fwd::of);
        let expected = [
            Fwd::Masq,
            Fwd::LocalNode,
            Fwd::Tunnel,
            Fwd::Route,
            Fwd::Other(4),
            Fwd::Other(7),
            Fwd::Route,
        ];
        assert_eq!(methods, expected);
    }

    #[test]
    fn every_number_is_c_s() {
        let checked = super::with_c_names!(against_fixture);
        let recorded = FIXTURE.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(
            checked, recorded,
            "the fixture and the list differ: record it again"
        );
    }
}
