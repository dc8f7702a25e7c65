// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits, like epoll's max_user_watches: each kqueue charges its
 * knotes, and among them its timers, to the user who opened it, so one
 * user cannot take what another needs.  The default allows knotes worth
 * 4% of memory, and max_user_timers timers.  The accounts are found by uid under kq_uacct_lock
 * (kqueue open and close only); the counters are atomic.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include "kq.h"

struct kq_uacct {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_long_t knotes;
	atomic_t timers;
};

static unsigned long kq_max_user_knotes;
module_param_named(max_user_knotes, kq_max_user_knotes, ulong, 0644);
MODULE_PARM_DESC(max_user_knotes, "Limit on one user's knotes (ENOMEM beyond)");

/* A quarter of the machine's backstop (max_timers): four users to fill it. */
static unsigned int kq_max_user_timers = 16384;
module_param_named(max_user_timers, kq_max_user_timers, uint, 0644);
MODULE_PARM_DESC(max_user_timers, "Limit on one user's EVFILT_TIMER knotes (ENOMEM beyond)");

static DEFINE_SPINLOCK(kq_uacct_lock);
static DEFINE_HASHTABLE(kq_uaccts, 6);

/* Knotes worth 4% of memory, at a nominal 256 bytes each (epoll: ~200). */
void kq_uacct_init(void)
{
	kq_max_user_knotes = ((totalram_pages() / 25) << PAGE_SHIFT) / 256;
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
	kfree(u);
}

bool kq_uacct_charge(struct kq_uacct *u)
{
	if (atomic_long_inc_return(&u->knotes) <= READ_ONCE(kq_max_user_knotes))
		return true;
	atomic_long_dec(&u->knotes);
	return false;
}

void kq_uacct_uncharge(struct kq_uacct *u)
{
	atomic_long_dec(&u->knotes);
}

bool kq_uacct_charge_timer(struct kq_uacct *u)
{
	if (atomic_inc_return(&u->timers) <= READ_ONCE(kq_max_user_timers))
		return true;
	atomic_dec(&u->timers);
	return false;
}

void kq_uacct_uncharge_timer(struct kq_uacct *u)
{
	atomic_dec(&u->timers);
}
