// SPDX-License-Identifier: GPL-2.0

//! Protocols (C's `ip_vs_proto*.c`): the packet headers IPVS reads and rewrites, the TCP and
//! SCTP state machines, the timeouts of each state, and the tunnels to real servers.

pub(crate) mod packet;
pub(crate) mod sctp_state;
pub(crate) mod tcp_state;
pub(crate) mod timeouts;
pub(crate) mod tunnel;
