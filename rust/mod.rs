// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel facilities that the `kernel` crate does not wrap yet.
//!
//! This is the only part of ipvs_rs that talks to C directly; everything under `ipvs_rs/` uses
//! these types. Each file covers one C facility and is written as if it were meant for
//! `rust/kernel`: invariants are documented and every `unsafe` block says why it is sound.
#![allow(unsafe_code)]

pub(crate) mod bindings;
pub(crate) mod cpu;
pub(crate) mod expiry;
pub(crate) mod genl;
pub(crate) mod hash_links;
pub(crate) mod hash_table;
pub(crate) mod kunit;
pub(crate) mod mm;
pub(crate) mod net;
pub(crate) mod netdev;
pub(crate) mod netfilter;
pub(crate) mod percpu;
pub(crate) mod pernet;
pub(crate) mod procfs;
pub(crate) mod random;
pub(crate) mod rcu;
pub(crate) mod route;
pub(crate) mod siphash;
pub(crate) mod skb;
pub(crate) mod slab;
pub(crate) mod sockopt;
pub(crate) mod stripe;
pub(crate) mod sysctl;
pub(crate) mod time;
pub(crate) mod timer;
pub(crate) mod verdict;
pub(crate) mod work;
