// SPDX-License-Identifier: GPL-2.0

//! Virtual services and their real servers (the configuration half of C's `ip_vs_ctl.c`): the
//! rules a request must follow, the services and their index, the real servers and the
//! real-server table the packet path checks replies against.

pub(crate) mod dest;
pub(crate) mod index;
pub(crate) mod request;
pub(crate) mod rs_table;
pub(crate) mod service;
pub(crate) mod standings;
