// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_SIGNAL: counts every generation of a signal for the process that
 * registered the knote, also when the signal is ignored or blocked and
 * when it is sent to one of its threads.  The signal itself is untouched.
 *
 * The signal_generate tracepoint fires in __send_signal_locked() for every
 * outcome (delivered, ignored, already pending), with the target's siglock
 * held and interrupts off: the probe only counts and queues.
 *
 * Every signal in the system passes through the probe, so what it costs
 * must not depend on anybody else's knotes: watched processes are found
 * by their thread-group pid in an rhashtable (RCU lookup, no lock, resized
 * to keep chains short), and each watched process has its own lock and
 * list of knotes.  A process nobody watches pays one lookup.
 *
 * Lock order: kq->mtx, kq_sig_mutex (creates and removes entries),
 * sp->lock (its knotes; irq-safe), kq->lock.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/pid.h>
#include "kq.h"

struct kq_sigproc {
	struct rhash_head node;
	struct pid *key;		/* the process (tgid): a reference */
	spinlock_t lock;		/* knotes */
	struct hlist_head knotes;	/* knote.sig.link */
	struct rcu_head rcu;
};

static const struct rhashtable_params kq_sig_params = {
	.key_len = sizeof(struct pid *),
	.key_offset = offsetof(struct kq_sigproc, key),
	.head_offset = offsetof(struct kq_sigproc, node),
	.automatic_shrinking = true,
};

static struct rhashtable kq_sig_procs;
static atomic_t kq_sig_nprocs = ATOMIC_INIT(0);
static DEFINE_MUTEX(kq_sig_mutex);
static struct tracepoint *kq_sig_tp;

static void kq_sig_probe(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result)
{
	struct pid *key = task_tgid(task);
	struct kq_sigproc *sp;
	struct knote *kn;
	unsigned long flags;

	if (!atomic_read(&kq_sig_nprocs))
		return;
	rcu_read_lock();
	sp = rhashtable_lookup(&kq_sig_procs, &key, kq_sig_params);
	if (!sp)
		goto out;
	spin_lock_irqsave(&sp->lock, flags);
	hlist_for_each_entry(kn, &sp->knotes, sig.link) {
		if (kn->ident != sig)
			continue;
		spin_lock(&kn->kq->lock);
		kn->sig.count++;
		spin_unlock(&kn->kq->lock);
		kq_knote_activate(kn);
	}
	spin_unlock_irqrestore(&sp->lock, flags);
out:
	rcu_read_unlock();
}

/* The entry of the calling process, created if needed; kq_sig_mutex held. */
static struct kq_sigproc *kq_sigproc_get(struct pid *key)
{
	struct kq_sigproc *sp;
	int err;

	sp = rhashtable_lookup_fast(&kq_sig_procs, &key, kq_sig_params);
	if (sp)
		return sp;
	sp = kzalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	if (!sp)
		return ERR_PTR(-ENOMEM);
	/* a reference: a freed key could be reused by another process */
	sp->key = get_pid(key);
	spin_lock_init(&sp->lock);
	INIT_HLIST_HEAD(&sp->knotes);
	err = rhashtable_insert_fast(&kq_sig_procs, &sp->node, kq_sig_params);
	if (err) {
		put_pid(sp->key);
		kfree(sp);
		return ERR_PTR(err);
	}
	atomic_inc(&kq_sig_nprocs);
	return sp;
}

static int kq_sig_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_sigproc *sp;

	if (kev->ident < 1 || kev->ident > _NSIG)
		return -EINVAL;
	if (!kq_sig_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	kn->flags |= EV_CLEAR;
	mutex_lock(&kq_sig_mutex);
	sp = kq_sigproc_get(task_tgid(current));
	if (!IS_ERR(sp)) {
		spin_lock_irq(&sp->lock);
		hlist_add_head(&kn->sig.link, &sp->knotes);
		spin_unlock_irq(&sp->lock);
		kn->sig.sp = sp;
	}
	mutex_unlock(&kq_sig_mutex);
	return PTR_ERR_OR_ZERO(sp);
}

static void kq_sig_detach(struct knote *kn)
{
	struct kq_sigproc *sp = kn->sig.sp;
	bool last;

	mutex_lock(&kq_sig_mutex);
	spin_lock_irq(&sp->lock);
	hlist_del(&kn->sig.link);
	last = hlist_empty(&sp->knotes);
	spin_unlock_irq(&sp->lock);
	if (last) {
		rhashtable_remove_fast(&kq_sig_procs, &sp->node,
				       kq_sig_params);
		atomic_dec(&kq_sig_nprocs);
		/* lookups compare the key's address only */
		put_pid(sp->key);
		kfree_rcu(sp, rcu);
	}
	mutex_unlock(&kq_sig_mutex);
}

static int kq_sig_modify(struct knote *kn, const struct kq_kev *kev)
{
	return 0;
}

static bool kq_sig_event(struct knote *kn, struct kq_kev *out)
{
	bool ready;

	spin_lock_irq(&kn->kq->lock);
	ready = kn->sig.count > 0;
	out->data = kn->sig.count;
	kn->sig.count = 0;
	kn->status &= ~KN_ACTIVE;
	spin_unlock_irq(&kn->kq->lock);
	return ready;
}

const struct kq_filter kq_filter_signal = {
	.name = "EVFILT_SIGNAL",
	.attach = kq_sig_attach, .detach = kq_sig_detach,
	.modify = kq_sig_modify, .event = kq_sig_event,
};

int kq_signal_init(void)
{
	int err = rhashtable_init(&kq_sig_procs, &kq_sig_params);

	if (err)
		return err;
	kq_sig_tp = kq_tp_register("signal_generate", kq_sig_probe);
	return 0;
}

void kq_signal_exit(void)
{
	kq_tp_unregister(kq_sig_tp, kq_sig_probe);
	tracepoint_synchronize_unregister();
	/* every knote is gone: the table is empty, entries wait for RCU */
	rcu_barrier();
	rhashtable_destroy(&kq_sig_procs);
}
