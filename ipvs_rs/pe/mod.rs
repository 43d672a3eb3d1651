// SPDX-License-Identifier: GPL-2.0

//! Persistence: connection templates (C's `ip_vs_conn.c` templates and
//! `ip_vs_sched_persist`) and the persistence engines (`ip_vs_pe.c`, `ip_vs_pe_sip.c`).

pub(crate) mod persist;
pub(crate) mod sip;
