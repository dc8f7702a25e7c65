// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits, like epoll's max_user_watches: each kqueue charges its
 * knotes, the hubs they hang on (process and signal watches, fsnotify
 * marks) and among them its timers to the user who opened it, so one user
 * cannot take what another needs.  Three limits: max_user_bytes, the
 * memory all of it really takes (slab object sizes, 4% of memory by
 * default); max_user_knotes, a count (4% of memory at a nominal 256 bytes
 * a knote); max_user_timers.  The accounts are found by uid under
 * kq_uacct_lock (kqueue open and close only); the counters are atomic.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include "kq.h"

unsigned long kq_max_user_knotes;
module_param_named(max_user_knotes, kq_max_user_knotes, ulong, 0644);
MODULE_PARM_DESC(max_user_knotes, "Limit on one user's knotes (ENOMEM beyond)");

static unsigned long kq_max_user_bytes;
module_param_named(max_user_bytes, kq_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes, "Limit on the memory one user's knotes and watches take, in bytes (ENOMEM beyond)");

/* A quarter of the machine's backstop (max_timers): four users to fill it. */
unsigned int kq_max_user_timers = 16384;
module_param_named(max_user_timers, kq_max_user_timers, uint, 0644);
MODULE_PARM_DESC(max_user_timers, "Limit on one user's EVFILT_TIMER knotes (ENOMEM beyond)");

static DEFINE_SPINLOCK(kq_uacct_lock);
static DEFINE_HASHTABLE(kq_uaccts, 6);

/* 4% of memory; as a count, at a nominal 256 bytes a knote (epoll: ~200) */
void kq_uacct_init(void)
{
	kq_max_user_bytes = (totalram_pages() / 25) << PAGE_SHIFT;
	kq_max_user_knotes = kq_max_user_bytes / 256;
}

struct kq_uacct *kq_uacct_get(void)
{
	kuid_t uid = current_uid();
	struct kq_uacct *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	spin_lock(&kq_uacct_lock);
	hash_for_each_possible(kq_uaccts, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid)) {
			refcount_inc(&u->ref);
			goto out;
		}
	u = fresh;
	fresh = NULL;
	if (u) {
		u->uid = uid;
		refcount_set(&u->ref, 1);
		hash_add(kq_uaccts, &u->node, __kuid_val(uid));
	}
out:
	spin_unlock(&kq_uacct_lock);
	kfree(fresh);
	return u;
}

void kq_uacct_put(struct kq_uacct *u)
{
	if (!refcount_dec_and_lock(&u->ref, &kq_uacct_lock))
		return;
	hash_del(&u->node);
	spin_unlock(&kq_uacct_lock);
	/*
	 * A NOTE_TRACK fork probe walking under RCU may still charge (and
	 * then uncharge) a watch to a kqueue being released: kq_pwatch_track.
	 */
	kfree_rcu(u, rcu);
}

/* Memory of @bytes; any context. */
bool kq_uacct_charge_bytes(struct kq_uacct *u, size_t bytes)
{
	if (atomic_long_add_return(bytes, &u->bytes) <=
	    READ_ONCE(kq_max_user_bytes))
		return true;
	atomic_long_sub(bytes, &u->bytes);
	return false;
}

void kq_uacct_uncharge_bytes(struct kq_uacct *u, size_t bytes)
{
	atomic_long_sub(bytes, &u->bytes);
}

/*
 * A hub's memory (a process or signal watch, an fsnotify mark), charged
 * to @u as kmalloc's size class of @size; kq_uacct_uncharge_bytes() with
 * kmalloc_size_roundup(@size) when it goes.  Any context @gfp allows.
 */
void *kq_uacct_zalloc(struct kq_uacct *u, size_t size, gfp_t gfp)
{
	void *p;

	if (!kq_uacct_charge_bytes(u, kmalloc_size_roundup(size)))
		return NULL;
	p = kzalloc(size, gfp);
	if (!p)
		kq_uacct_uncharge_bytes(u, kmalloc_size_roundup(size));
	return p;
}

/*
 * A knote's bytes come from its kqueue's credit (kq_credit_take(), kq.h):
 * the account is charged a chunk at a time, so that a registration pays
 * no atomic operation for them.  A kqueue holds at most two chunks
 * unused (8 KiB over the limit, at worst).  kq->mtx held.
 */
bool kq_credit_refill(struct kq *kq, size_t bytes)
{
	size_t want = max_t(size_t, bytes, KQ_CREDIT_CHUNK);

	lockdep_assert_held(&kq->mtx);
	/* near the limit, the bytes alone may still fit */
	if (!kq_uacct_charge_bytes(kq->uacct, want)) {
		if (want == bytes || !kq_uacct_charge_bytes(kq->uacct, bytes))
			return false;
		want = bytes;
	}
	kq->credit += want - bytes;
	return true;
}

void kq_credit_trim(struct kq *kq)
{
	lockdep_assert_held(&kq->mtx);
	kq_uacct_uncharge_bytes(kq->uacct, kq->credit - KQ_CREDIT_CHUNK);
	kq->credit = KQ_CREDIT_CHUNK;
}

/* The kqueue goes: what it holds unused goes back. */
void kq_credit_return(struct kq *kq)
{
	kq_uacct_uncharge_bytes(kq->uacct, kq->credit);
	kq->credit = 0;
}

