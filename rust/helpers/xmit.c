// SPDX-License-Identifier: GPL-2.0
/*
 * Shims for static inline kernel functions and macros that Rust cannot call directly,
 * for sending packets on: routes, output and tunnel
 * encapsulation. Most are one line; the few longer ones say why they are in C.
 */
#include "helpers.h"

/*
 * An IPv4 output route to daddr, with a reference; NULL if there is none.
 * *saddr gets the source address the route chose. With connect, the route is
 * looked up once more from that source, as for a connected socket (tunnels
 * send from it).
 */
struct dst_entry *ipvs_rs_route_output4(struct net *net, __be32 daddr, bool known_nh,
					bool connect, __be32 *saddr, bool *local)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};
	struct rtable *rt = ip_route_output_key(net, &fl4);

	if (!IS_ERR(rt) && connect && fl4.saddr) {
		ip_rt_put(rt);
		flowi4_update_output(&fl4, 0, daddr, fl4.saddr);
		rt = ip_route_output_key(net, &fl4);
	}
	if (IS_ERR(rt))
		return NULL;
	*saddr = fl4.saddr;
	*local = rt->rt_flags & RTCF_LOCAL;
	return &rt->dst;
}

/*
 * An IPv6 output route to daddr, with a reference; NULL if there is none
 * (__ip_vs_route_output_v6). With want_saddr, *saddr gets the source address
 * for the route's device (tunnels send from it), and no such address is a
 * failure.
 */
struct dst_entry *ipvs_rs_route_output6(struct net *net, const struct in6_addr *daddr,
					bool known_nh, bool want_saddr,
					struct in6_addr *saddr, bool *local)
{
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.flowi6_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};
	struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);

	if (dst->error)
		goto err;
	if (want_saddr && ipv6_addr_any(&fl6.saddr) &&
	    ipv6_dev_get_saddr(net, ip6_dst_idev(dst)->dev, &fl6.daddr, 0, &fl6.saddr) < 0)
		goto err;
	*saddr = fl6.saddr;
	*local = ipvs_rs_dst_is_local6(dst);
	return dst;
err:
	dst_release(dst);
	return NULL;
}

unsigned int ipvs_rs_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

/*
 * Whether an IPv4 route carries a path MTU learnt for its destination (a route of a next-hop
 * exception): later updates of that MTU change the route itself.
 */
bool ipvs_rs_dst_pmtu4_learnt(const struct dst_entry *dst)
{
	return dst_rtable(dst)->rt_pmtu != 0;
}

/*
 * A kept route (a real server's, C's dest_dst) is still good: routing has not replaced it
 * (__ip_vs_dst_check). cookie is what ipvs_rs_dst_cookie gave when it was kept.
 */
bool ipvs_rs_dst_still_valid(struct dst_entry *dst, u32 cookie)
{
	return !READ_ONCE(dst->obsolete) || dst->ops->check(dst, cookie);
}

/* What an IPv6 route's validity is checked against (0 for IPv4: its check ignores it). */
u32 ipvs_rs_dst_cookie(const struct dst_entry *dst, bool ipv6)
{
	return ipv6 ? rt6_get_cookie(dst_rt6_info(dst)) : 0;
}

/* Another reference on dst, unless it is being freed (dst_hold_safe). */
bool ipvs_rs_dst_hold_safe(struct dst_entry *dst)
{
	return dst_hold_safe(dst);
}

/* The route's device is going down (rt_dev_is_down): a route through it is not kept. */
bool ipvs_rs_dst_dev_down(struct dst_entry *dst)
{
	struct net_device *dev;
	bool down;

	rcu_read_lock();
	dev = dst_dev_rcu(dst);
	down = dev && !netif_running(dev);
	rcu_read_unlock();
	return down;
}

/* The route goes through dev. */
bool ipvs_rs_dst_uses_dev(struct dst_entry *dst, const struct net_device *dev)
{
	bool uses;

	rcu_read_lock();
	uses = dst_dev_rcu(dst) == dev;
	rcu_read_unlock();
	return uses;
}

/* Replaces the packet's route with dst, taking over its reference. */
void ipvs_rs_skb_set_route(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
}

/*
 * Tells the sender there is no route (ICMP host unreachable, from the current
 * route); nothing if the packet has no route at all.
 */
void ipvs_rs_skb_link_failure(struct sk_buff *skb)
{
	if (!skb_dst(skb))
		return;
	if (!skb->dev)
		skb->dev = skb_dst(skb)->dev;
	dst_link_failure(skb);
}

/*
 * What every IPVS transmitter does to a packet it sends on: may be fragmented
 * (its MTU was checked), a forwarded packet's checksum state and receive
 * timestamp do not go out with it.
 */
static void ipvs_rs_skb_prepare_out(struct sk_buff *skb)
{
	skb->ignore_df = 1;
	skb_forward_csum(skb);
	if (skb->dev)
		skb_clear_tstamp(skb);
}

/*
 * Sends a rewritten packet on its new route through LOCAL_OUT, as IPVS
 * transmitters do; the packet is consumed. A packet from another host
 * (orphan) loses its early-demux socket, which belongs to the old tuple.
 */
void ipvs_rs_skb_local_out(struct net *net, struct sk_buff *skb, bool orphan, u8 pf)
{
	if (!skb_dst(skb)) {
		kfree_skb(skb);
		return;
	}
	if (orphan && skb->dev)
		skb_orphan(skb);
	ipvs_rs_skb_prepare_out(skb);
	NF_HOOK(pf, NF_INET_LOCAL_OUT, net, NULL, skb, NULL,
		skb_dst(skb)->dev, dst_output);
}

/*
 * Tunnels. Headroom for headers in front of the network header, in a private
 * (uncloned) head.
 */
int ipvs_rs_skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	return skb_cow_head(skb, headroom);
}

/* Where the checksum a device is to compute starts (from the data) and is stored. */
bool ipvs_rs_skb_csum_partial_offsets(const struct sk_buff *skb, int *start, u16 *offset)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return false;
	*start = skb_checksum_start_offset(skb);
	*offset = skb->csum_offset;
	return true;
}

/*
 * iptunnel_handle_offloads, then inner headers as IP tunnel transmitters set
 * them: the inner packet starts at the current network header.
 */
int ipvs_rs_skb_tunnel_offloads(struct sk_buff *skb, int gso_type, u8 inner_proto)
{
	int err = iptunnel_handle_offloads(skb, gso_type);

	if (err)
		return err;
	skb->transport_header = skb->network_header;
	skb_set_inner_ipproto(skb, inner_proto);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));
	return 0;
}

/* The inner checksum is left to the receiver (GUE remote checksum offload). */
void ipvs_rs_skb_csum_remote(struct sk_buff *skb)
{
	if (!skb_is_gso(skb)) {
		skb->ip_summed = CHECKSUM_NONE;
		skb->encapsulation = 0;
	}
}

/*
 * Whether len bytes may be pushed in front of the data and written: there is
 * room, and the head is not shared with a clone (ipvs_rs_skb_cow_head makes
 * it so).
 */
static bool ipvs_rs_skb_can_push(const struct sk_buff *skb, unsigned int len)
{
	return skb_headroom(skb) >= len && !skb_header_cloned(skb);
}

/*
 * len bytes pushed in front of the data, which become the transport header;
 * NULL if they cannot be (see ipvs_rs_skb_can_push).
 */
void *ipvs_rs_skb_push_transport(struct sk_buff *skb, unsigned int len)
{
	if (!ipvs_rs_skb_can_push(skb, len))
		return NULL;
	skb_push(skb, len);
	skb_reset_transport_header(skb);
	return skb->data;
}

__be16 ipvs_rs_udp_flow_src_port(struct net *net, struct sk_buff *skb)
{
	return udp_flow_src_port(net, skb, 0, 0, false);
}

/* The UDP checksum of a tunnel header just pushed (none if nocheck). */
void ipvs_rs_udp_tunnel_csum(struct sk_buff *skb, bool nocheck, __be32 saddr, __be32 daddr)
{
	udp_set_csum(nocheck, skb, saddr, daddr, skb->len);
}

void ipvs_rs_udp6_tunnel_csum(struct sk_buff *skb, bool nocheck, const struct in6_addr *saddr,
			      const struct in6_addr *daddr)
{
	udp6_set_csum(nocheck, skb, saddr, daddr, skb->len);
}

/* A GRE header (with its checksum if csum) in front of the data; non-zero if it cannot be. */
int ipvs_rs_skb_push_gre(struct sk_buff *skb, bool csum, __be16 proto)
{
	IP_TUNNEL_DECLARE_FLAGS(flags) = { };
	int len;

	if (csum)
		__set_bit(IP_TUNNEL_CSUM_BIT, flags);
	len = gre_calc_hlen(flags);
	if (!ipvs_rs_skb_can_push(skb, len))
		return -ENOBUFS;
	gre_build_header(skb, len, flags, proto, 0, 0);
	return 0;
}

/*
 * hdr (an outer IPv4 header without ID, length and checksum) in front of the
 * data as the network header, with an ID chosen as for any datagram; non-zero
 * without room.
 */
int ipvs_rs_skb_push_ipv4(struct net *net, struct sk_buff *skb, const void *hdr)
{
	if (!ipvs_rs_skb_can_push(skb, sizeof(struct iphdr)))
		return -ENOBUFS;
	skb_push(skb, sizeof(struct iphdr));
	skb_reset_network_header(skb);
	memset(&(IPCB(skb)->opt), 0, sizeof(IPCB(skb)->opt));
	memcpy(ip_hdr(skb), hdr, sizeof(struct iphdr));
	ip_select_ident(net, skb, NULL);
	return 0;
}

/*
 * hdr (an outer IPv6 header without payload length) in front of the data as
 * the network header; non-zero without room.
 */
int ipvs_rs_skb_push_ipv6(struct sk_buff *skb, const void *hdr)
{
	if (!ipvs_rs_skb_can_push(skb, sizeof(struct ipv6hdr)))
		return -ENOBUFS;
	skb_push(skb, sizeof(struct ipv6hdr));
	skb_reset_network_header(skb);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	memcpy(ipv6_hdr(skb), hdr, sizeof(struct ipv6hdr));
	return 0;
}

/*
 * A locally sent packet learns the tunnel's smaller path MTU (so TCP sizes
 * its segments for it).
 */
void ipvs_rs_skb_update_pmtu(struct sk_buff *skb, unsigned int mtu)
{
	struct sock *sk = skb->sk;
	struct dst_entry *dst = skb_dst(skb);

	if (dst && !skb->dev && sk && sk_fullsock(sk))
		dst->ops->update_pmtu(dst, sk, NULL, mtu, true);
}

/*
 * Sends an encapsulated packet: IPVS's own, a new flow for connection
 * tracking, through ip_local_out (which fills in the outer length and
 * checksum). The packet is consumed.
 */
void ipvs_rs_skb_tunnel_out(struct net *net, struct sk_buff *skb, bool ipv6)
{
	if (!skb_dst(skb)) {
		kfree_skb(skb);
		return;
	}
	skb->ipvs_property = 1;
	nf_reset_ct(skb);
	ipvs_rs_skb_prepare_out(skb);
	if (ipv6)
		ip6_local_out(net, skb->sk, skb);
	else
		ip_local_out(net, skb->sk, skb);
}

/* Routes a reply again as if this host sent it (policy routing); non-zero to drop. */
int ipvs_rs_skb_reroute(struct net *net, struct sk_buff *skb, bool ipv6)
{
	struct dst_entry *dst = skb_dst(skb);

	if (!dst)
		return -EINVAL;
	if (ipv6)
		return !dst->dev || (dst->dev->flags & IFF_LOOPBACK) ? 0 :
			ip6_route_me_harder(net, skb->sk, skb);
	if (skb_rtable(skb)->rt_flags & RTCF_LOCAL)
		return 0;
	return ip_route_me_harder(net, skb->sk, skb, RTN_LOCAL);
}

/*
 * Reassembles an IPv4 fragment: 0 when skb is now the whole datagram,
 * non-zero when it was queued (or dropped) and is no longer ours.
 */
int ipvs_rs_skb_defrag4(struct net *net, struct sk_buff *skb, unsigned int hooknum)
{
	u32 user = hooknum == NF_INET_LOCAL_IN ? IP_DEFRAG_VS_IN :
		   hooknum == NF_INET_FORWARD ? IP_DEFRAG_VS_FWD : IP_DEFRAG_VS_OUT;
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, user);
	local_bh_enable();
	if (!err)
		ip_send_check(ip_hdr(skb));
	return err;
}
