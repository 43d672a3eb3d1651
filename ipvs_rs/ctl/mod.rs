// SPDX-License-Identifier: GPL-2.0

//! The control plane: how user space sees and configures IPVS.

mod abi_check;
pub(crate) mod genl;
pub(crate) mod proc;
pub(crate) mod sysctl;
