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
 * by their thread-group pid in a kq_watchtab (kq_watchtab.c), which holds
 * a reference on each watched struct pid.  A process nobody watches pays
 * one lookup.
 *
 * Lock order: kq->mtx, the table's mutex, its entries' locks (irq-safe),
 * kq->lock.
 */
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/pid.h>
#include "kq.h"

/* a reference: a freed key could be reused by another process */
static void kq_sig_hold(unsigned long key)
{
	get_pid((struct pid *)key);
}

static void kq_sig_release(unsigned long key)
{
	put_pid((struct pid *)key);
}

static struct kq_watchtab kq_sig_tab = {
	.hold = kq_sig_hold, .release = kq_sig_release,
};

static struct tracepoint *kq_sig_tp;

static void kq_sig_probe(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result)
{
	struct kq_watch_entry *e;
	struct knote *kn;
	unsigned long flags;

	if (kq_watchtab_empty(&kq_sig_tab))
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_sig_tab, (unsigned long)task_tgid(task));
	if (!e)
		goto out;
	spin_lock_irqsave(&e->lock, flags);
	hlist_for_each_entry(kn, &e->links, sig.link) {
		if (kn->ident != sig)
			continue;
		spin_lock(&kn->kq->lock);
		kn->sig.count++;
		spin_unlock(&kn->kq->lock);
		kq_knote_activate(kn);
	}
	spin_unlock_irqrestore(&e->lock, flags);
out:
	rcu_read_unlock();
}

static int kq_sig_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_watch_entry *e;

	if (kev->ident < 1 || kev->ident > _NSIG)
		return -EINVAL;
	if (!kq_sig_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	kn->flags |= EV_CLEAR;
	e = kq_watchtab_add(&kq_sig_tab, (unsigned long)task_tgid(current),
			    &kn->sig.link);
	if (IS_ERR(e))
		return PTR_ERR(e);
	kn->sig.e = e;
	return 0;
}

static void kq_sig_detach(struct knote *kn)
{
	kq_watchtab_del(&kq_sig_tab, kn->sig.e, &kn->sig.link);
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
	int err = kq_watchtab_init(&kq_sig_tab);

	if (err)
		return err;
	kq_sig_tp = kq_tp_register("signal_generate", kq_sig_probe);
	return 0;
}

void kq_signal_exit(void)
{
	kq_tp_unregister(kq_sig_tp, kq_sig_probe);
	tracepoint_synchronize_unregister();
	/* every knote is gone: the table is empty */
	kq_watchtab_destroy(&kq_sig_tab);
}
