/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C shims of ipvs_rs include: the kernel headers of the inline functions they wrap,
 * and glue.h, which declares them for bindgen.
 */
#ifndef IPVS_RS_HELPERS_H
#define IPVS_RS_HELPERS_H

#include <linux/sched/isolation.h>
#include <linux/netfilter_ipv4.h>
#include <net/gre.h>
#include <net/gso.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/ip6_route.h>
#include <net/ip6_checksum.h>
#include <linux/icmpv6.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include <net/sctp/checksum.h>
#include <net/udp.h>
#include "../glue.h"

/* IPv6 routes to this host go through the loopback device (__ip_vs_is_local_route6). */
static inline bool ipvs_rs_dst_is_local6(const struct dst_entry *dst)
{
	return dst->dev && (dst->dev->flags & IFF_LOOPBACK);
}

#endif
