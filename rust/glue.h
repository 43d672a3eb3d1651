/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ipvs_rs needs from C beyond `kernel::bindings`: the headers bindgen
 * reads for our own pass (see Kbuild), and the `ipvs_rs_*` shims in
 * helpers.c for static inline functions and macros, which have no symbol.
 */
#ifndef IPVS_RS_GLUE_H
#define IPVS_RS_GLUE_H

#include <linux/cpumask.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/skbuff.h>
#include <net/addrconf.h>
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

#endif
