// SPDX-License-Identifier: GPL-2.0

//! Build-time check that our ABI numbers (`uapi.rs`, usable on the host) equal the C header's.

use crate::{glue::bindings as c, uapi};

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
    assert!(uapi::SCHEDNAME_MAXLEN as u32 == c::IP_VS_SCHEDNAME_MAXLEN);
    assert!(uapi::PENAME_MAXLEN as u32 == c::IP_VS_PENAME_MAXLEN);
};
