// SPDX-License-Identifier: GPL-2.0

//! Build-time check that our numbers (`uapi.rs`, usable on the host) equal the C headers'.

use core::mem::size_of;

use kernel::bindings as k;

use crate::{glue::bindings as c, sockopt_abi, uapi};

const _: () = {
    assert!(uapi::VERSION_CODE == c::IP_VS_VERSION_CODE);
    assert!(uapi::GENL_VERSION == c::IPVS_GENL_VERSION);
    assert!(uapi::cmd::NEW_SERVICE as u32 == c::IPVS_CMD_NEW_SERVICE);
    assert!(uapi::cmd::GET_SERVICE as u32 == c::IPVS_CMD_GET_SERVICE);
    assert!(uapi::cmd::GET_DEST as u32 == c::IPVS_CMD_GET_DEST);
    assert!(uapi::cmd::GET_DAEMON as u32 == c::IPVS_CMD_GET_DAEMON);
    assert!(uapi::cmd::SET_CONFIG as u32 == c::IPVS_CMD_SET_CONFIG);
    assert!(uapi::cmd::GET_INFO as u32 == c::IPVS_CMD_GET_INFO);
    assert!(uapi::cmd::FLUSH as u32 == c::IPVS_CMD_FLUSH);
    assert!(uapi::cmd_attr::MAX as u32 == c::__IPVS_CMD_ATTR_MAX - 1);
    assert!(uapi::cmd_attr::TIMEOUT_UDP as u32 == c::IPVS_CMD_ATTR_TIMEOUT_UDP);
    assert!(uapi::info_attr::CONN_TAB_SIZE as u32 == c::IPVS_INFO_ATTR_CONN_TAB_SIZE);
    assert!(uapi::svc_attr::MAX as u32 == c::__IPVS_SVC_ATTR_MAX - 1);
    assert!(uapi::svc_attr::PE_NAME as u32 == c::IPVS_SVC_ATTR_PE_NAME);
    assert!(uapi::daemon_attr::MAX as u32 == c::__IPVS_DAEMON_ATTR_MAX - 1);
    assert!(uapi::daemon_attr::MCAST_TTL as u32 == c::IPVS_DAEMON_ATTR_MCAST_TTL);
    assert!(uapi::IFNAME_MAXLEN as u32 == c::IP_VS_IFNAME_MAXLEN);
    assert!(sockopt_abi::BASE as u32 == c::IP_VS_BASE_CTL);
    assert!(sockopt_abi::set::MAX as u32 == c::IP_VS_SO_SET_MAX);
    assert!(sockopt_abi::set::ADDDEST as u32 == c::IP_VS_SO_SET_ADDDEST);
    assert!(sockopt_abi::set::STARTDAEMON as u32 == c::IP_VS_SO_SET_STARTDAEMON);
    assert!(sockopt_abi::get::MAX as u32 == c::IP_VS_SO_GET_MAX);
    assert!(sockopt_abi::get::TIMEOUT as u32 == c::IP_VS_SO_GET_TIMEOUT);
    assert!(sockopt_abi::SERVICE_USER_LEN == size_of::<c::ip_vs_service_user>());
    assert!(sockopt_abi::DEST_USER_LEN == size_of::<c::ip_vs_dest_user>());
    assert!(sockopt_abi::TIMEOUT_LEN == size_of::<c::ip_vs_timeout_user>());
    assert!(sockopt_abi::DAEMON_USER_LEN == size_of::<c::ip_vs_daemon_user>());
    assert!(sockopt_abi::GETINFO_LEN == size_of::<c::ip_vs_getinfo>());
    assert!(sockopt_abi::SERVICE_ENTRY_LEN == size_of::<c::ip_vs_service_entry>());
    assert!(sockopt_abi::DEST_ENTRY_LEN == size_of::<c::ip_vs_dest_entry>());
    assert!(sockopt_abi::GET_SERVICES_LEN == size_of::<c::ip_vs_get_services>());
    assert!(sockopt_abi::GET_DESTS_LEN == size_of::<c::ip_vs_get_dests>());
    assert!(uapi::SCHEDNAME_MAXLEN as u32 == c::IP_VS_SCHEDNAME_MAXLEN);
    assert!(uapi::PENAME_MAXLEN as u32 == c::IP_VS_PENAME_MAXLEN);
    assert!(uapi::AF_INET as u32 == k::AF_INET);
    assert!(uapi::AF_INET6 as u32 == k::AF_INET6);
    assert!(uapi::PROTO_IP as u32 == k::IPPROTO_IP);
    assert!(uapi::PROTO_ICMP as u32 == k::IPPROTO_ICMP);
    assert!(uapi::PROTO_IPIP as u32 == k::IPPROTO_IPIP);
    assert!(uapi::PROTO_TCP as u32 == k::IPPROTO_TCP);
    assert!(uapi::PROTO_UDP as u32 == k::IPPROTO_UDP);
    assert!(uapi::PROTO_IPV6 as u32 == k::IPPROTO_IPV6);
    assert!(uapi::PROTO_GRE as u32 == k::IPPROTO_GRE);
    assert!(uapi::PROTO_ICMPV6 as u32 == k::IPPROTO_ICMPV6);
    assert!(uapi::PROTO_SCTP as u32 == k::IPPROTO_SCTP);
    assert!(uapi::ETH_P_IP as u32 == k::ETH_P_IP);
    assert!(uapi::ETH_P_IPV6 as u32 == k::ETH_P_IPV6);
    assert!(uapi::SVC_F_PERSISTENT == c::IP_VS_SVC_F_PERSISTENT);
    assert!(uapi::SVC_F_HASHED == c::IP_VS_SVC_F_HASHED);
    assert!(uapi::SVC_F_ONEPACKET == c::IP_VS_SVC_F_ONEPACKET);
    assert!(uapi::CONN_F_FWD_MASK == c::IP_VS_CONN_F_FWD_MASK);
    assert!(uapi::CONN_F_MASQ == c::IP_VS_CONN_F_MASQ);
    assert!(uapi::CONN_F_LOCALNODE == c::IP_VS_CONN_F_LOCALNODE);
    assert!(uapi::CONN_F_TUNNEL == c::IP_VS_CONN_F_TUNNEL);
    assert!(uapi::CONN_F_DROUTE == c::IP_VS_CONN_F_DROUTE);
    assert!(uapi::CONN_F_NOOUTPUT == c::IP_VS_CONN_F_NOOUTPUT);
    assert!(uapi::CONN_F_INACTIVE == c::IP_VS_CONN_F_INACTIVE);
    assert!(uapi::CONN_F_TEMPLATE == c::IP_VS_CONN_F_TEMPLATE);
    assert!(uapi::CONN_F_ONE_PACKET == c::IP_VS_CONN_F_ONE_PACKET);
    assert!(uapi::CONN_F_NFCT == c::IP_VS_CONN_F_NFCT);
    assert!(uapi::CONN_F_DEST_MASK == c::IP_VS_CONN_F_DEST_MASK);
    assert!(uapi::TUN_TYPE_IPIP as u32 == c::IP_VS_CONN_F_TUNNEL_TYPE_IPIP);
    assert!(uapi::TUN_TYPE_GUE as u32 == c::IP_VS_CONN_F_TUNNEL_TYPE_GUE);
    assert!(uapi::TUN_TYPE_GRE as u32 == c::IP_VS_CONN_F_TUNNEL_TYPE_GRE);
    assert!(uapi::TUN_FLAG_CSUM as u32 == c::IP_VS_TUNNEL_ENCAP_FLAG_CSUM);
    assert!(uapi::TUN_FLAG_REMCSUM as u32 == c::IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM);
    assert!(uapi::STATE_MASTER == c::IP_VS_STATE_MASTER);
    assert!(uapi::STATE_BACKUP == c::IP_VS_STATE_BACKUP);
};
