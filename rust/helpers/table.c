// SPDX-License-Identifier: GPL-2.0
/*
 * Shims for the hash table of connections (hash_table.rs) and the work item that resizes it
 * (work.rs): hlist RCU operations, the writers' locks with their seqcounts, and delayed work.
 * All are inline functions or macros in C.
 */
#include "helpers.h"

void ipvs_rs_hlist_add_head_rcu(struct hlist_node *n, struct hlist_head *h)
{
	hlist_add_head_rcu(n, h);
}

/* Leaves n->next as it was, for readers standing on n. */
void ipvs_rs_hlist_del_rcu(struct hlist_node *n)
{
	hlist_del_rcu(n);
}

void ipvs_rs_stripe_init(struct ipvs_rs_stripe *s)
{
	spin_lock_init(&s->lock);
	seqcount_spinlock_init(&s->moves, &s->lock);
}

/*
 * Writers run in process context and softirq (the packet path): BHs go off with the first
 * lock. A writer holding two stripes takes them in index order, the second as nested.
 */
void ipvs_rs_stripe_lock(struct ipvs_rs_stripe *s)
{
	spin_lock_bh(&s->lock);
}

void ipvs_rs_stripe_lock_nested(struct ipvs_rs_stripe *s)
{
	spin_lock_nested(&s->lock, SINGLE_DEPTH_NESTING);
}

void ipvs_rs_stripe_unlock(struct ipvs_rs_stripe *s)
{
	spin_unlock_bh(&s->lock);
}

void ipvs_rs_stripe_unlock_nested(struct ipvs_rs_stripe *s)
{
	spin_unlock(&s->lock);
}

unsigned int ipvs_rs_stripe_read_begin(struct ipvs_rs_stripe *s)
{
	return read_seqcount_begin(&s->moves);
}

bool ipvs_rs_stripe_read_retry(struct ipvs_rs_stripe *s, unsigned int seq)
{
	return read_seqcount_retry(&s->moves, seq);
}

/* Under the stripe's lock (lockdep checks it). */
void ipvs_rs_stripe_move_begin(struct ipvs_rs_stripe *s)
{
	write_seqcount_begin(&s->moves);
}

void ipvs_rs_stripe_move_end(struct ipvs_rs_stripe *s)
{
	write_seqcount_end(&s->moves);
}

/* INIT_DELAYED_WORK is a macro with a static lock class. */
void ipvs_rs_init_delayed_work(struct delayed_work *w, work_func_t func)
{
	INIT_DELAYED_WORK(w, func);
}

/*
 * Long-running work (a resize walks the whole table) goes to the unbound long queue, as in C:
 * queued to run after `delay` unless it is queued already, or (`now`) moved to run at once.
 */
void ipvs_rs_queue_long_work(struct delayed_work *w, unsigned long delay)
{
	queue_delayed_work(system_dfl_long_wq, w, delay);
}

void ipvs_rs_run_long_work_now(struct delayed_work *w)
{
	mod_delayed_work(system_dfl_long_wq, w, 0);
}

struct delayed_work *ipvs_rs_to_delayed_work(struct work_struct *w)
{
	return to_delayed_work(w);
}

/* A resize yields between steps (cond_resched is a macro or a static call). */
void ipvs_rs_cond_resched(void)
{
	cond_resched();
}

/*
 * Slab caches (slab.rs): kmem_cache_create and kmem_cache_alloc are macros. The cache is kept
 * out of slab merging, so that it shows in /proc/slabinfo under its own name, as C's does.
 */
struct kmem_cache *ipvs_rs_kmem_cache_create(const char *name, unsigned int size,
		unsigned int align)
{
	return kmem_cache_create(name, size, align, SLAB_NO_MERGE, NULL);
}

void *ipvs_rs_kmem_cache_alloc_atomic(struct kmem_cache *s)
{
	return kmem_cache_alloc(s, GFP_ATOMIC);
}

void ipvs_rs_kmem_cache_free(struct kmem_cache *s, void *obj)
{
	kmem_cache_free(s, obj);
}

void ipvs_rs_kmem_cache_destroy(struct kmem_cache *s)
{
	kmem_cache_destroy(s);
}
