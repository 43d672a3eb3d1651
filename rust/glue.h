/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ipvs_rs needs from C beyond `kernel::bindings`: the headers bindgen
 * reads for our own pass (see Kbuild), and the `ipvs_rs_*` shims in
 * helpers.c for static inline functions and macros, which have no symbol.
 */
#ifndef IPVS_RS_GLUE_H
#define IPVS_RS_GLUE_H

#include <linux/cpumask.h>
#include <linux/icmp.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/seqlock.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/sock.h>
#include <uapi/linux/ip_vs.h>

void *ipvs_rs_net_generic(const struct net *net, unsigned int id);
struct net *ipvs_rs_skb_net(const struct sk_buff *skb);
struct net *ipvs_rs_seq_file_single_net(struct seq_file *seq);
bool ipvs_rs_net_user_ns_is_init(const struct net *net);
/* enum netdev_cmd's NETDEV_DOWN (checked in net.c). */
#define IPVS_RS_NETDEV_DOWN 2
struct net_device *ipvs_rs_netdev_notifier_dev(void *info);
struct net *ipvs_rs_dev_net(const struct net_device *dev);
bool ipvs_rs_ipv6_enabled(void);
struct proc_dir_entry *ipvs_rs_proc_create_net_single(const char *name, umode_t mode,
		struct net *net, int (*show)(struct seq_file *, void *));
void ipvs_rs_remove_proc_entry(const char *name, struct net *net);

void *ipvs_rs_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
		const struct genl_family *family, u8 cmd);
int ipvs_rs_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
void *ipvs_rs_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
		const struct genl_family *family, u8 cmd);
u8 ipvs_rs_genl_dump_cmd(struct netlink_callback *cb);
struct nlattr *ipvs_rs_nla_nest_start_noflag(struct sk_buff *skb, int attrtype);
void ipvs_rs_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
void ipvs_rs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start);
unsigned int ipvs_rs_skb_len(const struct sk_buff *skb);

struct net *ipvs_rs_sock_net(const struct sock *sk);
bool ipvs_rs_sock_net_admin(const struct sock *sk);
unsigned long ipvs_rs_copy_from_sockptr(void *dst, sockptr_t *src, size_t len);

int ipvs_rs_netdev_mtu(struct net *net, const char *name);
int ipvs_rs_ipv6_addr_type(const struct in6_addr *addr);
bool ipvs_rs_ipv6_addr_is_local(struct net *net, const struct in6_addr *addr);

/* A CPU list sysctl value (see ipvs_rs_proc_cpulist). */
struct ipvs_rs_cpulist {
	int valid;		/* written at least once; until then, show the kthread CPUs */
	struct cpumask mask;
};
int ipvs_rs_proc_cpulist(const struct ctl_table *table, int write, void *buffer,
		size_t *lenp, loff_t *ppos);

/* Packets (see skb.rs): accessors for bitfields and inlines. */
bool ipvs_rs_skb_ipvs_property(const struct sk_buff *skb);
u32 ipvs_rs_skb_mark(const struct sk_buff *skb);
void ipvs_rs_skb_mark_ipvs(struct sk_buff *skb);
bool ipvs_rs_skb_host_or_local_out(const struct sk_buff *skb, unsigned int hooknum);
bool ipvs_rs_skb_has_dst(const struct sk_buff *skb);
bool ipvs_rs_skb_route_is_input(const struct sk_buff *skb);
bool ipvs_rs_skb_route_is_local(const struct sk_buff *skb, bool ipv6);
bool ipvs_rs_skb_from_loopback(const struct sk_buff *skb);
bool ipvs_rs_skb_nodefrag_socket(const struct sk_buff *skb);
bool ipvs_rs_skb_csum_partial(const struct sk_buff *skb);
void *ipvs_rs_skb_writable(struct sk_buff *skb, unsigned int len);
const void *ipvs_rs_skb_linear(struct sk_buff *skb);
int ipvs_rs_skb_cow_for_dst(struct sk_buff *skb);
void ipvs_rs_skb_csum_rewritten(struct sk_buff *skb);
void ipvs_rs_skb_csum_unnecessary(struct sk_buff *skb);
void ipvs_rs_sctp_nat_csum(struct sk_buff *skb, unsigned int offset, bool port_changed,
		bool dnat);
void ipvs_rs_skb_ignore_df(struct sk_buff *skb);
bool ipvs_rs_skb_exceeds_mtu(const struct sk_buff *skb, unsigned int mtu);
void ipvs_rs_icmp_send(struct sk_buff *skb, int type, int code, __be32 info);
bool ipvs_rs_skb_pull_to_ipv4(struct sk_buff *skb, unsigned int offset, unsigned int hlen);
void ipvs_rs_ipv4_update_pmtu(struct sk_buff *skb, struct net *net, u32 mtu);
void ipvs_rs_skb_consume(struct sk_buff *skb);
void ipvs_rs_ip_inc_inhdrerrors(struct net *net);
void ipvs_rs_icmpv6_send(struct net *net, struct sk_buff *skb, u8 type, u8 code,
		u32 info, bool from_route);
void ipvs_rs_ipv6_hop_limit_exceeded(struct net *net, struct sk_buff *skb);
int ipvs_rs_ipv6_find_transport(const struct sk_buff *skb, unsigned int *offset,
		unsigned short *fragoffs, bool *fragment_header);
int ipvs_rs_nf_defrag_ipv6_enable(struct net *net);
struct dst_entry *ipvs_rs_route_output4(struct net *net, __be32 daddr, bool known_nh,
		bool connect, __be32 *saddr, bool *local);
struct dst_entry *ipvs_rs_route_output6(struct net *net, const struct in6_addr *daddr,
		bool known_nh, bool want_saddr, struct in6_addr *saddr, bool *local);
unsigned int ipvs_rs_dst_mtu(const struct dst_entry *dst);
bool ipvs_rs_dst_pmtu4_learnt(const struct dst_entry *dst);
bool ipvs_rs_dst_still_valid(struct dst_entry *dst, u32 cookie);
u32 ipvs_rs_dst_cookie(const struct dst_entry *dst, bool ipv6);
bool ipvs_rs_dst_hold_safe(struct dst_entry *dst);
bool ipvs_rs_dst_dev_down(struct dst_entry *dst);
bool ipvs_rs_dst_uses_dev(struct dst_entry *dst, const struct net_device *dev);
void ipvs_rs_skb_set_route(struct sk_buff *skb, struct dst_entry *dst);
void ipvs_rs_skb_link_failure(struct sk_buff *skb);
void ipvs_rs_skb_local_out(struct net *net, struct sk_buff *skb, bool orphan, u8 pf);
int ipvs_rs_skb_cow_head(struct sk_buff *skb, unsigned int headroom);
bool ipvs_rs_skb_csum_partial_offsets(const struct sk_buff *skb, int *start, u16 *offset);
int ipvs_rs_skb_tunnel_offloads(struct sk_buff *skb, int gso_type, u8 inner_proto);
void ipvs_rs_skb_csum_remote(struct sk_buff *skb);
void *ipvs_rs_skb_push_transport(struct sk_buff *skb, unsigned int len);
__be16 ipvs_rs_udp_flow_src_port(struct net *net, struct sk_buff *skb);
void ipvs_rs_udp_tunnel_csum(struct sk_buff *skb, bool nocheck, __be32 saddr, __be32 daddr);
void ipvs_rs_udp6_tunnel_csum(struct sk_buff *skb, bool nocheck, const struct in6_addr *saddr,
		const struct in6_addr *daddr);
int ipvs_rs_skb_push_ipv6(struct sk_buff *skb, const void *hdr);
int ipvs_rs_skb_push_gre(struct sk_buff *skb, bool csum, __be16 proto);
int ipvs_rs_skb_push_ipv4(struct net *net, struct sk_buff *skb, const void *hdr);
void ipvs_rs_skb_update_pmtu(struct sk_buff *skb, unsigned int mtu);
void ipvs_rs_skb_tunnel_out(struct net *net, struct sk_buff *skb, bool ipv6);
int ipvs_rs_skb_reroute(struct net *net, struct sk_buff *skb, bool ipv6);
int ipvs_rs_skb_defrag4(struct net *net, struct sk_buff *skb, unsigned int hooknum);

/* Per-CPU traffic counters (see percpu.rs). */
struct ipvs_rs_counters {
	u64 conns, inpkts, outpkts, inbytes, outbytes;
};
struct ipvs_rs_counters __percpu *ipvs_rs_counters_alloc(void);
void ipvs_rs_counters_free(struct ipvs_rs_counters __percpu *c);
void ipvs_rs_counters_conn(struct ipvs_rs_counters __percpu *c);
void ipvs_rs_counters_in(struct ipvs_rs_counters __percpu *c, unsigned int bytes);
void ipvs_rs_counters_out(struct ipvs_rs_counters __percpu *c, unsigned int bytes);
void ipvs_rs_counters_read(struct ipvs_rs_counters __percpu *c, int cpu,
		struct ipvs_rs_counters *out);

/* Timers (see timer.rs): timer_setup is a macro with a static lock class. */
void ipvs_rs_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *));
unsigned long ipvs_rs_jiffies(void);

/* The connection table (see hash_table.rs): a writers' lock and the seqcount of its moves. */
struct ipvs_rs_stripe {
	spinlock_t lock;
	seqcount_spinlock_t moves;
};
void ipvs_rs_hlist_add_head_rcu(struct hlist_node *n, struct hlist_head *h);
void ipvs_rs_hlist_del_rcu(struct hlist_node *n);
void ipvs_rs_stripe_init(struct ipvs_rs_stripe *s);
void ipvs_rs_stripe_lock(struct ipvs_rs_stripe *s);
void ipvs_rs_stripe_lock_nested(struct ipvs_rs_stripe *s);
void ipvs_rs_stripe_unlock(struct ipvs_rs_stripe *s);
void ipvs_rs_stripe_unlock_nested(struct ipvs_rs_stripe *s);
unsigned int ipvs_rs_stripe_read_begin(struct ipvs_rs_stripe *s);
bool ipvs_rs_stripe_read_retry(struct ipvs_rs_stripe *s, unsigned int seq);
void ipvs_rs_stripe_move_begin(struct ipvs_rs_stripe *s);
void ipvs_rs_stripe_move_end(struct ipvs_rs_stripe *s);
void ipvs_rs_cond_resched(void);

/* Slab caches (see slab.rs). */
struct kmem_cache *ipvs_rs_kmem_cache_create(const char *name, unsigned int size,
		unsigned int align);
void *ipvs_rs_kmem_cache_alloc_atomic(struct kmem_cache *s);
void ipvs_rs_kmem_cache_free(struct kmem_cache *s, void *obj);
void ipvs_rs_kmem_cache_destroy(struct kmem_cache *s);

/* Delayed work (see work.rs). */
void ipvs_rs_init_delayed_work(struct delayed_work *w, work_func_t func);
void ipvs_rs_queue_long_work(struct delayed_work *w, unsigned long delay);
void ipvs_rs_run_long_work_now(struct delayed_work *w);
struct delayed_work *ipvs_rs_to_delayed_work(struct work_struct *w);

#endif
