// SPDX-License-Identifier: GPL-2.0

//! Host build of ipvs_rs's pure logic, for `cargo test`.
//!
//! The kernel crate root (`ipvs_rs_main.rs`) mounts the same files at the same paths, so
//! `crate::...` resolves identically in both builds. These modules use only `core`.
#![cfg_attr(not(test), no_std)]
#![allow(dead_code)]

mod conn_text;
mod daemon;
mod estimator;
mod packet;
mod persist;
mod proc_text;
mod request;
mod sched;
mod sctp_state;
mod sip;
mod sockopt_abi;
mod svc_index;
mod tcp_state;
mod timeouts;
mod tunnel;
mod uapi;
