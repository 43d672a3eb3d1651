// SPDX-License-Identifier: GPL-2.0

//! The netfilter hooks IPVS registers, at C's points and priorities (C's `ip_vs_ops`).

use super::{
    flow::{reply, request},
    icmp::{in_icmp, is_icmp},
    read_ip,
};
use crate::{
    glue::{
        netfilter::{Hook, HookSpec, HookState, HookTable},
        skb::HookSkb,
        verdict::{Family, HookPoint, Verdict},
    },
    netns::Ipvs,
    path::HOOKS_COUNT,
};

/// `NF_IP_PRI_NAT_SRC` and `NF_IP_PRI_NAT_DST`: IPVS hooks sit next to NAT.
const PRI_NAT_SRC: i32 = 100;
const PRI_NAT_DST: i32 = -100;

/// The hooks of `family`, at C's points and priorities (the same for IPv4 and IPv6).
const fn hooks(family: Family) -> [HookSpec; HOOKS_COUNT] {
    [
        // Replies to local clients, before scheduling (LOCAL_IN, NAT_SRC - 2).
        HookSpec::new::<ReplyHook>(family, HookPoint::LocalIn, PRI_NAT_SRC - 2),
        // Requests from other hosts, after filtering (LOCAL_IN, NAT_SRC - 1).
        HookSpec::new::<RequestHook>(family, HookPoint::LocalIn, PRI_NAT_SRC - 1),
        // Replies of local real servers (LOCAL_OUT, NAT_DST + 1).
        HookSpec::new::<ReplyHook>(family, HookPoint::LocalOut, PRI_NAT_DST + 1),
        // Requests of local clients (LOCAL_OUT, NAT_DST + 2).
        HookSpec::new::<RequestHook>(family, HookPoint::LocalOut, PRI_NAT_DST + 2),
        // ICMP errors routed through the director about its connections (FORWARD, 99).
        HookSpec::new::<ForwardIcmpHook>(family, HookPoint::Forward, 99),
        // Replies routed through the director (FORWARD, 100).
        HookSpec::new::<ReplyHook>(family, HookPoint::Forward, 100),
    ]
}

/// The IPv4 hooks, registered while the namespace has IPv4 services.
pub(crate) static HOOKS_V4: HookTable<HOOKS_COUNT> = HookTable::new(hooks(Family::Ipv4));
/// The IPv6 hooks, registered while the namespace has IPv6 services.
pub(crate) static HOOKS_V6: HookTable<HOOKS_COUNT> = HookTable::new(hooks(Family::Ipv6));

/// `ip_vs_in_hook`: packets to virtual services.
struct RequestHook;

impl Hook for RequestHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        // What IPVS sent passes the local-out hooks again: let it go before anything else.
        if skb.ipvs_property() {
            return Verdict::Accept;
        }
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        request(ipvs, state.net(), point, skb)
    }
}

/// `ip_vs_forward_icmp`: ICMP errors about connections, routed through the director.
struct ForwardIcmpHook;

impl Hook for ForwardIcmpHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        // Every forwarded packet passes here: only its IP header is read.
        match read_ip(&skb) {
            Some(ip) if is_icmp(&ip) => match in_icmp(ipvs, state.net(), point, skb, &ip) {
                Ok(_) => Verdict::Accept,
                Err(v) => v,
            },
            _ => Verdict::Accept,
        }
    }
}

/// `ip_vs_out_hook`: replies from real servers.
struct ReplyHook;

impl Hook for ReplyHook {
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict {
        // What IPVS sent passes the local-out hooks again: let it go before anything else.
        if skb.ipvs_property() {
            return Verdict::Accept;
        }
        let (Some(point), Ok(ipvs)) = (state.point(), Ipvs::of(state.net())) else {
            return Verdict::Accept;
        };
        reply(ipvs, state.net(), point, skb)
    }
}
