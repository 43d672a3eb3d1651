// SPDX-License-Identifier: GPL-2.0
/*
 * Shims for static inline kernel functions and macros that Rust cannot call
 * directly. Most are one line; the few longer ones say why they are in C.
 */
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
#include "glue.h"

void *ipvs_rs_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

struct net *ipvs_rs_skb_net(const struct sk_buff *skb)
{
	return sock_net(skb->sk);
}

struct net *ipvs_rs_seq_file_single_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

bool ipvs_rs_net_user_ns_is_init(const struct net *net)
{
	return net->user_ns == &init_user_ns;
}

bool ipvs_rs_ipv6_enabled(void)
{
	return ipv6_mod_enabled();
}

struct proc_dir_entry *ipvs_rs_proc_create_net_single(const char *name, umode_t mode,
		struct net *net, int (*show)(struct seq_file *, void *))
{
	return proc_create_net_single(name, mode, net->proc_net, show, NULL);
}

void ipvs_rs_remove_proc_entry(const char *name, struct net *net)
{
	remove_proc_entry(name, net->proc_net);
}

void *ipvs_rs_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
		const struct genl_family *family, u8 cmd)
{
	return genlmsg_put_reply(skb, info, family, 0, cmd);
}

int ipvs_rs_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

void *ipvs_rs_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
		const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   family, NLM_F_MULTI, cmd);
}

u8 ipvs_rs_genl_dump_cmd(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->genlhdr->cmd;
}

struct nlattr *ipvs_rs_nla_nest_start_noflag(struct sk_buff *skb, int attrtype)
{
	return nla_nest_start_noflag(skb, attrtype);
}

void ipvs_rs_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_end(skb, start);
}

void ipvs_rs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

unsigned int ipvs_rs_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

struct net *ipvs_rs_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

bool ipvs_rs_sock_net_admin(const struct sock *sk)
{
	return ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN);
}

unsigned long ipvs_rs_copy_from_sockptr(void *dst, sockptr_t *src, size_t len)
{
	return copy_from_sockptr(dst, *src, len);
}

int ipvs_rs_netdev_mtu(struct net *net, const char *name)
{
	struct net_device *dev;
	int mtu = -ENODEV;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (dev)
		mtu = READ_ONCE(dev->mtu);
	rcu_read_unlock();
	return mtu;
}

int ipvs_rs_ipv6_addr_type(const struct in6_addr *addr)
{
	return ipv6_addr_type(addr);
}

/* Whether the route to addr leaves through a loopback device (the address is local). */
bool ipvs_rs_ipv6_addr_is_local(struct net *net, const struct in6_addr *addr)
{
	struct flowi6 fl6 = { .daddr = *addr };
	struct dst_entry *dst;
	bool local;

	if (!IS_ENABLED(CONFIG_IPV6))
		return false;
	dst = ip6_route_output(net, NULL, &fl6);
	local = !dst->error && dst->dev && (dst->dev->flags & IFF_LOOPBACK);
	dst_release(dst);
	return local;
}

static DEFINE_MUTEX(ipvs_rs_cpulist_lock);

/*
 * proc_handler of a CPU-list sysctl: C because cpumask parsing, printing
 * ("%*pbl") and the housekeeping mask are macros and inlines over bitmaps.
 * A read shows the written set, or the CPUs kernel threads may use until
 * one is written; a write keeps only CPUs the writer may run on. Partial
 * reads and appends (*ppos != 0) do nothing.
 */
int ipvs_rs_proc_cpulist(const struct ctl_table *table, int write, void *buffer,
		size_t *lenp, loff_t *ppos)
{
	struct ipvs_rs_cpulist *c = table->data;
	const struct cpumask *mask;
	cpumask_var_t newmask;
	int ret;

	if (*ppos || !*lenp) {
		*lenp = 0;
		return 0;
	}
	if (write) {
		if (!zalloc_cpumask_var(&newmask, GFP_KERNEL))
			return -ENOMEM;
		/* The sysctl core NUL-terminates what was written. */
		ret = cpulist_parse(buffer, newmask);
		if (!ret) {
			mutex_lock(&ipvs_rs_cpulist_lock);
			cpumask_and(&c->mask, newmask, &current->cpus_mask);
			c->valid = 1;
			mutex_unlock(&ipvs_rs_cpulist_lock);
			*ppos += *lenp;
		}
		free_cpumask_var(newmask);
		return ret;
	}
	mutex_lock(&ipvs_rs_cpulist_lock);
	rcu_read_lock();	/* the housekeeping mask may change under RCU */
	mask = c->valid ? &c->mask : housekeeping_cpumask(HK_TYPE_KTHREAD);
	/* The sysctl core allocates one byte more than *lenp, for the NUL. */
	ret = scnprintf(buffer, *lenp + 1, "%*pbl\n", cpumask_pr_args(mask));
	rcu_read_unlock();
	mutex_unlock(&ipvs_rs_cpulist_lock);
	*lenp = ret;
	*ppos += ret;
	return 0;
}

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

bool ipvs_rs_skb_route_is_input(const struct sk_buff *skb)
{
	return rt_is_input_route(skb_rtable(skb));
}

/* IPv6 routes to this host go through the loopback device (__ip_vs_is_local_route6). */
static bool ipvs_rs_dst_is_local6(const struct dst_entry *dst)
{
	return dst->dev && (dst->dev->flags & IFF_LOOPBACK);
}

bool ipvs_rs_skb_route_is_local(const struct sk_buff *skb, bool ipv6)
{
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
	return skb_cow(skb, skb_dst(skb)->dev->hard_header_len);
}

/* After an incremental transport checksum update a CHECKSUM_COMPLETE sum is stale. */
void ipvs_rs_skb_csum_rewritten(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

/* sctp_snat_handler/sctp_dnat_handler after the rewrite (see skb.rs). */
void ipvs_rs_sctp_nat_csum(struct sk_buff *skb, unsigned int offset, bool port_changed,
			   bool dnat)
{
	unsigned int off = skb_network_offset(skb) + offset;
	struct sctphdr *sh = (struct sctphdr *)(skb->data + off);
	bool partial = skb->ip_summed == CHECKSUM_PARTIAL;

	if (port_changed ||
	    (partial && (!dnat || !(skb_dst(skb)->dev->features & NETIF_F_SCTP_CRC)))) {
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
	if (from_route)
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

/* Replaces the packet's route with dst, taking over its reference. */
void ipvs_rs_skb_set_route(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
}

/* Tells the sender there is no route (ICMP host unreachable, from the current route). */
void ipvs_rs_skb_link_failure(struct sk_buff *skb)
{
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

/* Per-CPU counters: this_cpu_* and per_cpu_ptr are macros. */

struct ipvs_rs_counters __percpu *ipvs_rs_counters_alloc(void)
{
	return alloc_percpu_gfp(struct ipvs_rs_counters, GFP_KERNEL);
}

void ipvs_rs_counters_free(struct ipvs_rs_counters __percpu *c)
{
	free_percpu(c);
}

void ipvs_rs_counters_conn(struct ipvs_rs_counters __percpu *c)
{
	this_cpu_inc(c->conns);
}

void ipvs_rs_counters_in(struct ipvs_rs_counters __percpu *c, unsigned int bytes)
{
	this_cpu_inc(c->inpkts);
	this_cpu_add(c->inbytes, bytes);
}

void ipvs_rs_counters_out(struct ipvs_rs_counters __percpu *c, unsigned int bytes)
{
	this_cpu_inc(c->outpkts);
	this_cpu_add(c->outbytes, bytes);
}

void ipvs_rs_counters_read(struct ipvs_rs_counters __percpu *c, int cpu,
		struct ipvs_rs_counters *out)
{
	const struct ipvs_rs_counters *p = per_cpu_ptr(c, cpu);

	out->conns = READ_ONCE(p->conns);
	out->inpkts = READ_ONCE(p->inpkts);
	out->outpkts = READ_ONCE(p->outpkts);
	out->inbytes = READ_ONCE(p->inbytes);
	out->outbytes = READ_ONCE(p->outbytes);
}

void ipvs_rs_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *))
{
	timer_setup(timer, func, 0);
}

unsigned long ipvs_rs_jiffies(void)
{
	return jiffies;
}
