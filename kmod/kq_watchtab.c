// SPDX-License-Identifier: GPL-2.0
/*
 * Watches found from a tracepoint probe by a key (a process): EVFILT_SIGNAL
 * (kq_signal.c, by struct pid) and NOTE_REAP (kq_reap.c, by pid number).
 *
 * Every signal or task in the system passes through those probes, so what
 * they cost must not depend on anybody else's knotes: one entry per key
 * in an rhashtable (RCU lookup, no lock, resized to keep chains short),
 * each with its own lock and list of links.  A key nobody watches costs
 * one lookup; with no entry at all, one atomic read.
 *
 * Lock order: kq->mtx, t->mutex (creates and removes entries), e->lock
 * (its links; irq-safe, taken by probes), kq->lock.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "kq.h"

static const struct rhashtable_params kq_watch_params = {
	.key_len = sizeof(unsigned long),
	.key_offset = offsetof(struct kq_watch_entry, key),
	.head_offset = offsetof(struct kq_watch_entry, node),
	.automatic_shrinking = true,
};

int kq_watchtab_init(struct kq_watchtab *t)
{
	mutex_init(&t->mutex);
	atomic_set(&t->nentries, 0);
	return rhashtable_init(&t->ht, &kq_watch_params);
}

/* Every link is gone; entries may still wait for RCU. */
void kq_watchtab_destroy(struct kq_watchtab *t)
{
	rcu_barrier();
	rhashtable_destroy(&t->ht);
}

/* The entry of @key, or NULL; under rcu_read_lock(), any context. */
struct kq_watch_entry *kq_watchtab_lookup(struct kq_watchtab *t,
					  unsigned long key)
{
	return rhashtable_lookup(&t->ht, &key, kq_watch_params);
}

/* t->mutex held. */
static struct kq_watch_entry *kq_watchtab_get(struct kq_watchtab *t,
					      unsigned long key)
{
	struct kq_watch_entry *e;
	int err;

	e = rhashtable_lookup_fast(&t->ht, &key, kq_watch_params);
	if (e)
		return e;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->key = key;
	spin_lock_init(&e->lock);
	INIT_HLIST_HEAD(&e->links);
	err = rhashtable_insert_fast(&t->ht, &e->node, kq_watch_params);
	if (err) {
		kfree(e);
		return ERR_PTR(err);
	}
	if (t->hold)
		t->hold(key);
	atomic_inc(&t->nentries);
	return e;
}

/* Link @link under @key; may sleep.  The entry, or an ERR_PTR. */
struct kq_watch_entry *kq_watchtab_add(struct kq_watchtab *t,
				       unsigned long key,
				       struct hlist_node *link)
{
	struct kq_watch_entry *e;

	mutex_lock(&t->mutex);
	e = kq_watchtab_get(t, key);
	if (!IS_ERR(e)) {
		spin_lock_irq(&e->lock);
		hlist_add_head(link, &e->links);
		spin_unlock_irq(&e->lock);
	}
	mutex_unlock(&t->mutex);
	return e;
}

/* Unlink @link from @e, and remove @e with its last link; may sleep. */
void kq_watchtab_del(struct kq_watchtab *t, struct kq_watch_entry *e,
		     struct hlist_node *link)
{
	bool last;

	mutex_lock(&t->mutex);
	spin_lock_irq(&e->lock);
	hlist_del(link);
	last = hlist_empty(&e->links);
	spin_unlock_irq(&e->lock);
	if (last) {
		rhashtable_remove_fast(&t->ht, &e->node, kq_watch_params);
		atomic_dec(&t->nentries);
		/* lookups compare the key only: it may be released now */
		if (t->release)
			t->release(e->key);
		kfree_rcu(e, rcu);
	}
	mutex_unlock(&t->mutex);
}
