// SPDX-License-Identifier: GPL-2.0
/*
 * Reaping, for Darwin's NOTE_REAP: a process is reaped when its parent's
 * wait(2) (or the kernel, for an ignored SIGCHLD) releases the zombie.
 *
 * No wakeup says so on every kernel (7.x wakes pid->wait_pidfd; 6.1 does
 * not), so the sched_process_free tracepoint is used: it fires for every
 * task, in an RCU callback after release_task().  By then the task's
 * struct pid links are cleared, so watches are found by the global pid
 * number of the thread-group leader; kq_proc_reaped() then checks that
 * its own struct pid has no process left, which tells a reaped process
 * from a leader replaced by exec or a reused number.
 *
 * As for signals (kq_signal.c), what an exit costs must not depend on
 * other users' watches: one rhashtable entry per watched number, each
 * with its own lock and list.  A task nobody watches pays one lookup;
 * with no watch anywhere it pays one atomic read.
 *
 * Lock order: kq->mtx, kq_reap_mutex (creates and removes entries),
 * e->lock (its links; irq-safe), kq->lock.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/pid.h>
#include <linux/tracepoint.h>
#include "kq.h"

struct kq_reap_entry {
	struct rhash_head node;
	pid_t nr;			/* global pid number: the key */
	spinlock_t lock;		/* links */
	struct hlist_head links;	/* kq_reap_link.node */
	struct rcu_head rcu;
};

static const struct rhashtable_params kq_reap_params = {
	.key_len = sizeof(pid_t),
	.key_offset = offsetof(struct kq_reap_entry, nr),
	.head_offset = offsetof(struct kq_reap_entry, node),
	.automatic_shrinking = true,
};

static struct rhashtable kq_reap_table;
static atomic_t kq_reap_nentries = ATOMIC_INIT(0);
static DEFINE_MUTEX(kq_reap_mutex);
static struct tracepoint *kq_reap_tp;

static void kq_reap_probe(void *data, struct task_struct *p)
{
	struct kq_reap_entry *e;
	struct kq_reap_link *l;
	unsigned long flags;
	pid_t nr = p->tgid;

	/* only a leader's number names a process */
	if (!atomic_read(&kq_reap_nentries) || p->pid != nr)
		return;
	rcu_read_lock();
	e = rhashtable_lookup(&kq_reap_table, &nr, kq_reap_params);
	if (e) {
		spin_lock_irqsave(&e->lock, flags);
		hlist_for_each_entry(l, &e->links, node)
			kq_proc_reaped(l);
		spin_unlock_irqrestore(&e->lock, flags);
	}
	rcu_read_unlock();
}

static struct kq_reap_entry *kq_reap_entry_get(pid_t nr)
{
	struct kq_reap_entry *e;
	int err;

	e = rhashtable_lookup_fast(&kq_reap_table, &nr, kq_reap_params);
	if (e)
		return e;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->nr = nr;
	spin_lock_init(&e->lock);
	INIT_HLIST_HEAD(&e->links);
	err = rhashtable_insert_fast(&kq_reap_table, &e->node, kq_reap_params);
	if (err) {
		kfree(e);
		return ERR_PTR(err);
	}
	atomic_inc(&kq_reap_nentries);
	return e;
}

/* Watch @pid's reaping through @l; may sleep. */
int kq_reap_watch(struct kq_reap_link *l, struct pid *pid)
{
	struct kq_reap_entry *e;

	if (!kq_reap_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	mutex_lock(&kq_reap_mutex);
	e = kq_reap_entry_get(pid_nr(pid));
	if (!IS_ERR(e)) {
		spin_lock_irq(&e->lock);
		hlist_add_head(&l->node, &e->links);
		spin_unlock_irq(&e->lock);
		l->entry = e;
	}
	mutex_unlock(&kq_reap_mutex);
	return PTR_ERR_OR_ZERO(e);
}

void kq_reap_unwatch(struct kq_reap_link *l)
{
	struct kq_reap_entry *e = l->entry;
	bool last;

	if (!e)
		return;
	mutex_lock(&kq_reap_mutex);
	spin_lock_irq(&e->lock);
	hlist_del(&l->node);
	last = hlist_empty(&e->links);
	spin_unlock_irq(&e->lock);
	if (last) {
		rhashtable_remove_fast(&kq_reap_table, &e->node,
				       kq_reap_params);
		atomic_dec(&kq_reap_nentries);
		kfree_rcu(e, rcu);
	}
	mutex_unlock(&kq_reap_mutex);
	l->entry = NULL;
}

int kq_reap_init(void)
{
	int err = rhashtable_init(&kq_reap_table, &kq_reap_params);

	if (err)
		return err;
	kq_reap_tp = kq_tp_register("sched_process_free", kq_reap_probe);
	return 0;
}

void kq_reap_exit(void)
{
	kq_tp_unregister(kq_reap_tp, kq_reap_probe);
	tracepoint_synchronize_unregister();
	/* every knote is gone: the table is empty, entries wait for RCU */
	rcu_barrier();
	rhashtable_destroy(&kq_reap_table);
}
