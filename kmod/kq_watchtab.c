// SPDX-License-Identifier: GPL-2.0
/*
 * Watches found from a tracepoint probe by a key (a process): EVFILT_PROC
 * (kq_pwatch.c) and EVFILT_SIGNAL (kq_signal.c) by struct pid, NOTE_REAP
 * (kq_reap.c) by pid number.
 *
 * Every signal or task in the system passes through those probes, so what
 * they cost must not depend on anybody else's knotes: one entry per key
 * in an rhashtable (RCU lookup, no lock, resized to keep chains short),
 * each with its own lock and list of links, one link per kqueue (a hub,
 * kq.h), never one per knote.  In front of it a counting filter, entries
 * by a hash of their key: a key nobody watches mostly costs a multiply
 * and a load, else one lookup.
 *
 * Links are added and removed under the entry's lock, and RCU lists:
 * a probe may walk them under the lock or under RCU alone (kq_pwatch.c),
 * and then must free what it finds after a grace period.
 *
 * No table-wide lock: a fork probe adds links too (NOTE_TRACK).  An entry
 * losing its last link is marked dead under its lock and then removed;
 * an adder that finds a dead entry helps remove it and looks again.  The
 * table's own bucket locks disable only bottom halves on 6.1, so nothing
 * here calls into it with interrupts off.
 *
 * Lock order: e->lock (irq-safe, taken by probes), kq->lock.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include "kq.h"

void kq_watchtab_get_pid(unsigned long key)
{
	get_pid((struct pid *)key);
}

void kq_watchtab_put_pid(unsigned long key)
{
	put_pid((struct pid *)key);
}

static const struct rhashtable_params kq_watch_params = {
	.key_len = sizeof(unsigned long),
	.key_offset = offsetof(struct kq_watch_entry, key),
	.head_offset = offsetof(struct kq_watch_entry, node),
	.automatic_shrinking = true,
};

int kq_watchtab_init(struct kq_watchtab *t)
{
	int i, j;

	for (i = 0; i < ARRAY_SIZE(t->maybe); i++)
		for (j = 0; j < ARRAY_SIZE(t->maybe[i]); j++)
			atomic_set(&t->maybe[i][j], 0);
	return rhashtable_init(&t->ht, &kq_watch_params);
}

/* Every link is gone; entries may still wait for RCU. */
void kq_watchtab_destroy(struct kq_watchtab *t)
{
	rcu_barrier();
	rhashtable_destroy(&t->ht);
}

/* The filter's two counters of @key, up or down by @delta. */
static void kq_watchtab_count(struct kq_watchtab *t, unsigned long key,
			      int delta)
{
	u32 h = kq_watchtab_hash(key);

	atomic_add(delta, kq_watchtab_counter(t, h, 0));
	atomic_add(delta, kq_watchtab_counter(t, h, 1));
}

/* The entry of @key, or NULL; under rcu_read_lock(), any context. */
struct kq_watch_entry *kq_watchtab_lookup(struct kq_watchtab *t,
					  unsigned long key)
{
	return rhashtable_lookup(&t->ht, &key, kq_watch_params);
}

static struct kq_watch_entry *kq_watch_entry_new(struct kq_watchtab *t,
						 unsigned long key, gfp_t gfp)
{
	struct kq_watch_entry *e = kzalloc(sizeof(*e), gfp);

	if (!e)
		return NULL;
	e->key = key;
	spin_lock_init(&e->lock);
	INIT_HLIST_HEAD(&e->links);
	if (t->hold)
		t->hold(key);
	return e;
}

static void kq_watch_entry_discard(struct kq_watchtab *t,
				   struct kq_watch_entry *e)
{
	if (t->release)
		t->release(e->key);
	kfree(e);
}

/*
 * Link @link under @key.  With @gfp atomic, callable from a probe with
 * interrupts on.  The entry, or an ERR_PTR.
 */
struct kq_watch_entry *kq_watchtab_add(struct kq_watchtab *t,
				       unsigned long key,
				       struct hlist_node *link, gfp_t gfp)
{
	struct kq_watch_entry *e, *fresh;
	unsigned long flags;

	/* allocated first: nothing below may sleep */
	fresh = kq_watch_entry_new(t, key, gfp);
	if (!fresh)
		return ERR_PTR(-ENOMEM);
	rcu_read_lock();
	for (;;) {
		e = rhashtable_lookup(&t->ht, &key, kq_watch_params);
		if (!e) {
			e = rhashtable_lookup_get_insert_fast(&t->ht,
							      &fresh->node,
							      kq_watch_params);
			if (IS_ERR(e))
				break;
			if (!e) {
				e = fresh;
				fresh = NULL;
				kq_watchtab_count(t, key, 1);
			}
		}
		spin_lock_irqsave(&e->lock, flags);
		if (!e->dead) {
			hlist_add_head_rcu(link, &e->links);
			spin_unlock_irqrestore(&e->lock, flags);
			break;
		}
		spin_unlock_irqrestore(&e->lock, flags);
		/* its last link went: take it out for its remover, again */
		rhashtable_remove_fast(&t->ht, &e->node, kq_watch_params);
	}
	rcu_read_unlock();
	if (fresh)
		kq_watch_entry_discard(t, fresh);
	return e;
}

/* Unlink @link from @e, and remove @e with its last link; irqs on. */
void kq_watchtab_del(struct kq_watchtab *t, struct kq_watch_entry *e,
		     struct hlist_node *link)
{
	unsigned long flags;
	bool last;

	spin_lock_irqsave(&e->lock, flags);
	hlist_del_rcu(link);
	last = hlist_empty(&e->links);
	if (last)
		e->dead = true;
	spin_unlock_irqrestore(&e->lock, flags);
	if (!last)
		return;
	/* an adder may have taken it out already: -ENOENT then */
	rhashtable_remove_fast(&t->ht, &e->node, kq_watch_params);
	kq_watchtab_count(t, e->key, -1);
	/* lookups compare the key only: it may be released now */
	if (t->release)
		t->release(e->key);
	kfree_rcu(e, rcu);
}
