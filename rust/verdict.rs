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

/// The family of a packet's network (IP) header, which is that of the hooks it passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// IPv4 (`NFPROTO_IPV4` hooks).
    Ipv4,
    /// IPv6 (`NFPROTO_IPV6` hooks).
    Ipv6,
}

impl Family {
    /// The netfilter protocol family of the hooks of this family.
    pub(crate) const fn nfproto(self) -> u8 {
        match self {
            Self::Ipv4 => NFPROTO_IPV4,
            Self::Ipv6 => NFPROTO_IPV6,
        }
    }

    /// The family of the hooks of netfilter protocol family `pf`, if IP.
    pub(super) fn from_nfproto(pf: u8) -> Option<Self> {
        match pf {
            NFPROTO_IPV4 => Some(Self::Ipv4),
            NFPROTO_IPV6 => Some(Self::Ipv6),
            _ => None,
        }
    }

    /// Whether this is IPv6.
    pub(crate) const fn is_ipv6(self) -> bool {
        matches!(self, Self::Ipv6)
    }
}

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
