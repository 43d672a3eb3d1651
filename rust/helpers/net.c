// SPDX-License-Identifier: GPL-2.0
/*
 * Shims for static inline kernel functions and macros that Rust cannot call directly,
 * for namespaces, /proc, generic netlink, socket options, sysctls,
 * per-CPU counters and timers. Most are one line; the few longer ones say why they are in C.
 */
#include "helpers.h"

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

/* The device a netdevice notifier's event is about (rust/netdev.rs), and its namespace. */
struct net_device *ipvs_rs_netdev_notifier_dev(void *info)
{
	return netdev_notifier_info_to_dev(info);
}

struct net *ipvs_rs_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

static_assert(IPVS_RS_NETDEV_DOWN == NETDEV_DOWN);
