// SPDX-License-Identifier: GPL-2.0

//! What a netfilter hook is told and what it answers: the hook point, the verdict and the
//! protocol families, shared by the hook registration (`netfilter.rs`) and the packets it hands
//! over (`skb.rs`).
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use kernel::ffi::c_uint;

/// `NFPROTO_IPV4` (`include/uapi/linux/netfilter.h`).
pub(crate) const NFPROTO_IPV4: u8 = 2;
/// `NFPROTO_IPV6`.
pub(crate) const NFPROTO_IPV6: u8 = 10;

/// A netfilter hook point (`enum nf_inet_hooks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum HookPoint {
    /// `NF_INET_LOCAL_IN`: packets for this host, after routing.
    LocalIn = 1,
    /// `NF_INET_FORWARD`: packets routed through this host.
    Forward = 2,
    /// `NF_INET_LOCAL_OUT`: packets this host sends.
    LocalOut = 3,
}

impl HookPoint {
    pub(super) fn from_raw(hook: u8) -> Option<Self> {
        match hook {
            1 => Some(Self::LocalIn),
            2 => Some(Self::Forward),
            3 => Some(Self::LocalOut),
            _ => None,
        }
    }
}

/// What happens to a packet after a hook (`NF_DROP`, `NF_ACCEPT`, `NF_STOLEN`).
///
/// `Stolen` can only be produced by the [`HookSkb`](super::skb::HookSkb) methods that consume
/// the packet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The packet is freed by netfilter.
    Drop,
    /// The packet continues on its way.
    Accept,
    /// The hook took the packet (sent or freed it).
    Stolen(Stolen),
}

/// Proof that a hook consumed its packet; only [`HookSkb`](super::skb::HookSkb) makes one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stolen(pub(super) ());

impl Verdict {
    pub(super) fn to_raw(&self) -> c_uint {
        match self {
            Verdict::Drop => 0,
            Verdict::Accept => 1,
            Verdict::Stolen(_) => 2,
        }
    }
}
