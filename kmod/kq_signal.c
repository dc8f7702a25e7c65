// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_SIGNAL: counts every generation of a signal for the process that
 * registered the knote, also when the signal is ignored or blocked and
 * when it is sent to one of its threads.  The signal itself is untouched.
 *
 * The signal_generate tracepoint fires in __send_signal_locked() for every
 * outcome (delivered, ignored, already pending), with the target's siglock
 * held and interrupts off: the probe only counts and queues.  Knotes are
 * found by the target's thread-group pid, shared by all its threads, and are
 * kept in kq_sig_hash under kq_sig_lock (taken before kq->lock).
 */
#include <linux/hashtable.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/pid.h>
#include "kq.h"

static DEFINE_SPINLOCK(kq_sig_lock);
static DEFINE_HASHTABLE(kq_sig_hash, 6);
static struct tracepoint *kq_sig_tp;

static void kq_sig_probe(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result)
{
	struct pid *key = task_tgid(task);
	struct knote *kn;
	unsigned long flags;

	if (hash_empty(kq_sig_hash))
		return;
	spin_lock_irqsave(&kq_sig_lock, flags);
	hash_for_each_possible(kq_sig_hash, kn, sig.link, (unsigned long)key) {
		if (kn->sig.key != key || kn->ident != sig)
			continue;
		spin_lock(&kn->kq->lock);
		kn->sig.count++;
		spin_unlock(&kn->kq->lock);
		kq_knote_activate(kn);
	}
	spin_unlock_irqrestore(&kq_sig_lock, flags);
}

static int kq_sig_attach(struct knote *kn, const struct kq_kev *kev)
{
	if (kev->ident < 1 || kev->ident > _NSIG)
		return -EINVAL;
	if (!kq_sig_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	kn->flags |= EV_CLEAR;
	/* a reference: a freed key could be reused by another process */
	kn->sig.key = get_pid(task_tgid(current));
	spin_lock_irq(&kq_sig_lock);
	hash_add(kq_sig_hash, &kn->sig.link, (unsigned long)kn->sig.key);
	spin_unlock_irq(&kq_sig_lock);
	return 0;
}

static void kq_sig_detach(struct knote *kn)
{
	spin_lock_irq(&kq_sig_lock);
	hash_del(&kn->sig.link);
	spin_unlock_irq(&kq_sig_lock);
	put_pid(kn->sig.key);
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
	kq_sig_tp = kq_tp_register("signal_generate", kq_sig_probe);
	return 0;
}

void kq_signal_exit(void)
{
	kq_tp_unregister(kq_sig_tp, kq_sig_probe);
	tracepoint_synchronize_unregister();
}
