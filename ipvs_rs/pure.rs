// SPDX-License-Identifier: GPL-2.0

//! Host build of ipvs_rs's pure logic, for `cargo test`.
//!
//! The kernel crate root (`ipvs_rs_main.rs`) mounts the same files at the same paths, so
//! `crate::...` resolves identically in both builds. These modules use only `core`.
#![cfg(test)]

mod addr;
mod conn {
    pub(crate) mod reuse;
    pub(crate) mod sizing;
    pub(crate) mod text;
}
mod ctl {
    pub(crate) mod proc_text;
    pub(crate) mod sockopt_abi;
}
mod daemon;
mod error;
mod pe {
    pub(crate) mod persist;
    pub(crate) mod sip;
}
mod proto;
mod sched;
mod stats {
    pub(crate) mod estimator;
}
mod svc {
    pub(crate) mod index;
    pub(crate) mod request;
}
mod uapi;
