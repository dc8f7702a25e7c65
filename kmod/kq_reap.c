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
 * As for signals, what a task's end costs must not depend on other
 * users' watches: a kq_watchtab (kq_watchtab.c) keyed by pid number.  A
 * task nobody watches pays one lookup; with no watch anywhere, one atomic
 * read.
 *
 * Lock order: kq->mtx, the table's mutex, its entries' locks (irq-safe),
 * kq->lock.
 */
#include <linux/sched.h>
#include <linux/pid.h>
#include <linux/tracepoint.h>
#include "kq.h"

static struct kq_watchtab kq_reap_tab;
static struct tracepoint *kq_reap_tp;

static void kq_reap_probe(void *data, struct task_struct *p)
{
	struct kq_watch_entry *e;
	struct kq_reap_link *l;
	unsigned long flags;

	/* only a leader's number names a process */
	if (p->pid != p->tgid || kq_watchtab_surely_not(&kq_reap_tab, p->tgid))
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_reap_tab, p->tgid);
	if (e) {
		spin_lock_irqsave(&e->lock, flags);
		hlist_for_each_entry(l, &e->links, node)
			kq_proc_reaped(l);
		spin_unlock_irqrestore(&e->lock, flags);
	}
	rcu_read_unlock();
}

/* Watch @pid's reaping through @l; may sleep. */
int kq_reap_watch(struct kq_reap_link *l, struct pid *pid)
{
	struct kq_watch_entry *e;

	if (!kq_reap_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	e = kq_watchtab_add(&kq_reap_tab, pid_nr(pid), &l->node,
			    GFP_KERNEL_ACCOUNT);
	if (IS_ERR(e))
		return PTR_ERR(e);
	l->entry = e;
	return 0;
}

void kq_reap_unwatch(struct kq_reap_link *l)
{
	if (!l->entry)
		return;
	kq_watchtab_del(&kq_reap_tab, l->entry, &l->node);
	l->entry = NULL;
}

int kq_reap_init(void)
{
	int err = kq_watchtab_init(&kq_reap_tab);

	if (err)
		return err;
	err = kq_tp_register("sched_process_free", kq_reap_probe, &kq_reap_tp);
	if (err)
		kq_watchtab_destroy(&kq_reap_tab);
	return err;
}

void kq_reap_exit(void)
{
	kq_tp_unregister(kq_reap_tp, kq_reap_probe);
	tracepoint_synchronize_unregister();
	/* every knote is gone: the table is empty */
	kq_watchtab_destroy(&kq_reap_tab);
}
