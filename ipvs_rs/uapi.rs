// SPDX-License-Identifier: GPL-2.0

//! Every number ipvs_rs shares with C, defined once: the IPVS user-space ABI
//! (`include/uapi/linux/ip_vs.h`: commands, attributes, service, connection and tunnel flags,
//! daemon states) and the address families, IP protocols and Ethernet types the data path
//! matches on. The kernel build checks each against the C headers (`ctl/abi_check.rs`); the
//! host tests use them as they are.

// The complete table, whether or not every number has a user yet.
#![allow(dead_code)]

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

/// `AF_INET`.
pub(crate) const AF_INET: u16 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = 10;

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
