// SPDX-License-Identifier: GPL-2.0
/*
 * Shims for static inline kernel functions and macros that Rust cannot call directly,
 * for the packets the hooks see: their fields, checksums,
 * ICMP errors and defragmentation. Most are one line; the few longer ones say why they are in C.
 */
#include "helpers.h"

/* Packets: the fields IPVS reads are bitfields or behind inline accessors. */

bool ipvs_rs_skb_ipvs_property(const struct sk_buff *skb)
{
	return skb->ipvs_property;
}

/* The firewall mark (`skb->mark` shares a union with the tail-room reservation). */
u32 ipvs_rs_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

/*
 * Marks a packet as handled by IPVS (its own hooks let it pass from now on)
 * and takes it out of connection tracking, as the C module does by default
 * (sysctl conntrack=0): conntrack must not see the rewritten addresses.
 */
void ipvs_rs_skb_mark_ipvs(struct sk_buff *skb)
{
	enum ip_conntrack_info ctinfo;

	skb->ipvs_property = 1;
	if (nf_ct_get(skb, &ctinfo)) {
		nf_reset_ct(skb);
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	}
}

bool ipvs_rs_skb_host_or_local_out(const struct sk_buff *skb, unsigned int hooknum)
{
	return skb->pkt_type == PACKET_HOST || hooknum == NF_INET_LOCAL_OUT;
}

bool ipvs_rs_skb_has_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

/* For an IPv4 packet: false without a route. */
bool ipvs_rs_skb_route_is_input(const struct sk_buff *skb)
{
	return skb_dst(skb) && rt_is_input_route(skb_rtable(skb));
}

/* False without a route. */
bool ipvs_rs_skb_route_is_local(const struct sk_buff *skb, bool ipv6)
{
	if (!skb_dst(skb))
		return false;
	if (ipv6)
		return ipvs_rs_dst_is_local6(skb_dst(skb));
	return skb_rtable(skb)->rt_flags & RTCF_LOCAL;
}

bool ipvs_rs_skb_from_loopback(const struct sk_buff *skb)
{
	return !skb->dev || (skb->dev->flags & IFF_LOOPBACK);
}

/* A raw IPv4 socket that asked not to be defragmented (IP_NODEFRAG). */
bool ipvs_rs_skb_nodefrag_socket(const struct sk_buff *skb)
{
	struct sock *sk = skb_to_full_sk(skb);

	return sk && sk->sk_family == PF_INET && inet_test_bit(NODEFRAG, sk);
}

bool ipvs_rs_skb_csum_partial(const struct sk_buff *skb)
{
	return skb->ip_summed == CHECKSUM_PARTIAL;
}

/* The first len bytes from the network header, private and linear; NULL if impossible. */
void *ipvs_rs_skb_writable(struct sk_buff *skb, unsigned int len)
{
	if (skb_ensure_writable(skb, skb_network_offset(skb) + len))
		return NULL;
	return skb_network_header(skb);
}

/* The whole packet from its network header, made linear; NULL if memory is short. */
const void *ipvs_rs_skb_linear(struct sk_buff *skb)
{
	if (skb_linearize(skb))
		return NULL;
	return skb_network_header(skb);
}

/* Room in front of the packet for the link-layer header of its route's device. */
int ipvs_rs_skb_cow_for_dst(struct sk_buff *skb)
{
	if (!skb_dst(skb))
		return -EINVAL;
	return skb_cow(skb, skb_dst(skb)->dev->hard_header_len);
}

/* After an incremental transport checksum update a CHECKSUM_COMPLETE sum is stale. */
void ipvs_rs_skb_csum_rewritten(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

/*
 * sctp_snat_handler/sctp_dnat_handler after the rewrite (see skb.rs); nothing if
 * there is no SCTP header at offset that can be written.
 */
void ipvs_rs_sctp_nat_csum(struct sk_buff *skb, unsigned int offset, bool port_changed,
			   bool dnat)
{
	unsigned int off = skb_network_offset(skb) + offset;
	bool partial = skb->ip_summed == CHECKSUM_PARTIAL;
	struct dst_entry *dst = skb_dst(skb);
	struct sctphdr *sh;

	if (skb_ensure_writable(skb, off + sizeof(*sh)))
		return;
	sh = (struct sctphdr *)(skb->data + off);
	if (port_changed ||
	    (partial && (!dnat || !dst || !(dst->dev->features & NETIF_F_SCTP_CRC)))) {
		if (!skb_is_gso(skb)) {
			sh->checksum = sctp_compute_cksum(skb, off);
			skb->ip_summed = CHECKSUM_UNNECESSARY;
		}
	} else if (!partial) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
}

void ipvs_rs_skb_csum_unnecessary(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

void ipvs_rs_skb_ignore_df(struct sk_buff *skb)
{
	skb->ignore_df = 1;
}

bool ipvs_rs_skb_exceeds_mtu(const struct sk_buff *skb, unsigned int mtu)
{
	/* An IPv6 datagram reassembled by netfilter is judged by its largest fragment. */
	if (skb->protocol == htons(ETH_P_IPV6) && IP6CB(skb)->frag_max_size)
		return IP6CB(skb)->frag_max_size > mtu;
	if (skb->len <= mtu)
		return false;
	return !(skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

void ipvs_rs_icmp_send(struct sk_buff *skb, int type, int code, __be32 info)
{
	icmp_send(skb, type, code, info);
}

/*
 * Drops the first offset bytes: the packet then starts at the IPv4 header there, whose hlen
 * bytes are made linear. False if the packet is too short or memory is.
 */
bool ipvs_rs_skb_pull_to_ipv4(struct sk_buff *skb, unsigned int offset, unsigned int hlen)
{
	if (!pskb_pull(skb, offset))
		return false;
	skb_reset_network_header(skb);
	if (!pskb_may_pull(skb, hlen))
		return false;
	/* Options parsed for the packet's old header do not apply to this one. */
	memset(&IPCB(skb)->opt, 0, sizeof(IPCB(skb)->opt));
	skb_set_transport_header(skb, hlen);
	return true;
}

/* Learns a path MTU from an ICMP error quoting the packet whose IPv4 header skb starts at. */
void ipvs_rs_ipv4_update_pmtu(struct sk_buff *skb, struct net *net, u32 mtu)
{
	ipv4_update_pmtu(skb, net, mtu, 0, 0);
}

void ipvs_rs_skb_consume(struct sk_buff *skb)
{
	consume_skb(skb);
}

void ipvs_rs_ip_inc_inhdrerrors(struct net *net)
{
	IP_INC_STATS(net, IPSTATS_MIB_INHDRERRORS);
}

/*
 * Sends an ICMPv6 error about skb. icmpv6_send finds the namespace and the
 * source address through skb->dev: a locally sent packet has none, so it gets
 * the loopback device, or with from_route the device of its route (C's
 * choices in ip_vs_xmit.c).
 */
void ipvs_rs_icmpv6_send(struct net *net, struct sk_buff *skb, u8 type, u8 code,
			 u32 info, bool from_route)
{
	if (from_route && skb_dst(skb))
		skb->dev = skb_dst(skb)->dev;
	else if (!skb->dev)
		skb->dev = net->loopback_dev;
	icmpv6_send(skb, type, code, info);
}

/* A forwarded IPv6 packet whose hop limit ran out: counted on its input device, then told. */
void ipvs_rs_ipv6_hop_limit_exceeded(struct net *net, struct sk_buff *skb)
{
	struct inet6_dev *idev = __in6_dev_get_safely(skb->dev);

	ipvs_rs_icmpv6_send(net, skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0, true);
	IP6_INC_STATS(net, idev, IPSTATS_MIB_INHDRERRORS);
}

/*
 * The transport header of the IPv6 packet at *offset (from the network
 * header: 0 for the packet itself, more for one quoted by an ICMPv6 error)
 * past its extension headers: ipv6_find_hdr's protocol (negative if there is
 * none) with its offset in *offset, the fragment offset (non-zero for every
 * fragment but the first), and whether there is a fragment header at all.
 */
int ipvs_rs_ipv6_find_transport(const struct sk_buff *skb, unsigned int *offset,
				unsigned short *fragoffs, bool *fragment_header)
{
	int flags = 0, proto;

	*offset += skb_network_offset(skb);
	*fragoffs = 0;
	proto = ipv6_find_hdr(skb, offset, -1, fragoffs, &flags);
	*offset -= skb_network_offset(skb);
	*fragment_header = flags & IP6_FH_F_FRAG;
	return proto;
}

int ipvs_rs_nf_defrag_ipv6_enable(struct net *net)
{
	return nf_defrag_ipv6_enable(net);
}
