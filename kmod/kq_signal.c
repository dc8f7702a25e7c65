// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_SIGNAL: counts every generation of a signal for the process that
 * registered the knote, also when the signal is ignored or blocked and
 * when it is sent to one of its threads.  The signal itself is untouched.
 *
 * The signal_generate tracepoint fires in __send_signal_locked() for every
 * outcome (delivered, ignored, already pending), with the target's siglock
 * held and interrupts off, in the system call (or interrupt) of whoever
 * sends it.  What it costs there must not depend on anybody's knotes
 * (kq.h, "who pays"): watched processes are found by their thread-group
 * pid in a kq_watchtab (kq_watchtab.c), each with one kq_sigwatch per
 * kqueue, a hub holding a count per signal.  The probe adds one to a
 * count and queues the hub; the owner's kevent() adds the counts to the
 * knotes (kq_sig_fanout).  A process nobody watches pays one lookup.
 *
 * Lock order: kq->mtx, the entry's lock (irq-safe), kq->lock.
 */
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include "kq.h"

/* One kqueue's signal knotes on one process. */
struct kq_sigwatch {
	struct kq_hub hub;
	struct hlist_node link;		/* e->links */
	struct kq_watch_entry *e;
	struct list_head knotes;	/* kn->sig.link, under kq->mtx */
	u64 mask;			/* signals counted: bit sig - 1 */
	u32 count[_NSIG];		/* not yet fanned out, under kq->lock */
};

static struct kq_watchtab kq_sig_tab = KQ_WATCHTAB_BY_PID;

static struct tracepoint *kq_sig_tp;

static u64 kq_sig_bit(u64 sig)
{
	return 1ULL << (sig - 1);
}

static void kq_sig_probe(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result)
{
	struct kq_watch_entry *e;
	struct kq_sigwatch *sw;
	unsigned long flags;
	bool queued;

	if (kq_watchtab_surely_not(&kq_sig_tab,
				   (unsigned long)task_tgid(task)) ||
	    sig < 1 || sig > _NSIG)
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_sig_tab, (unsigned long)task_tgid(task));
	if (!e)
		goto out;
	spin_lock_irqsave(&e->lock, flags);
	hlist_for_each_entry(sw, &e->links, link) {
		if (!(READ_ONCE(sw->mask) & kq_sig_bit(sig)))
			continue;
		spin_lock(&sw->hub.kq->lock);
		sw->count[sig - 1]++;
		queued = kq_hub_queue_locked(&sw->hub);
		spin_unlock(&sw->hub.kq->lock);
		if (queued)
			kq_wake_pollers(sw->hub.kq);
	}
	spin_unlock_irqrestore(&e->lock, flags);
out:
	rcu_read_unlock();
}

/* The owner's kevent(): hand the counts to the knotes.  kq->mtx held. */
static void kq_sig_fanout(struct kq_hub *hub)
{
	struct kq_sigwatch *sw = container_of(hub, struct kq_sigwatch, hub);
	struct kq *kq = hub->kq;
	u32 count[_NSIG];
	struct knote *kn;
	u64 mask = 0;

	spin_lock_irq(&kq->lock);
	memcpy(count, sw->count, sizeof(count));
	memset(sw->count, 0, sizeof(sw->count));
	spin_unlock_irq(&kq->lock);
	list_for_each_entry(kn, &sw->knotes, sig.link) {
		/* the mask sheds the signals of deleted knotes here */
		mask |= kq_sig_bit(kn->ident);
		if (!count[kn->ident - 1])
			continue;
		spin_lock_irq(&kq->lock);
		kn->sig.count += count[kn->ident - 1];
		spin_unlock_irq(&kq->lock);
		kq_knote_activate(kn);
	}
	WRITE_ONCE(sw->mask, mask);
}

/* A watch's cost to its kqueue's user */
#define KQ_SIGWATCH_BYTES	kmalloc_size_roundup(sizeof(struct kq_sigwatch))

static void kq_sigwatch_free(struct kq_sigwatch *sw)
{
	kq_uacct_uncharge_bytes(sw->hub.kq->uacct, KQ_SIGWATCH_BYTES);
	kfree(sw);
}

/* This kqueue's watch on @pid, if any.  kq->mtx held (it adds them). */
static struct kq_sigwatch *kq_sigwatch_find(struct kq *kq, struct pid *pid)
{
	struct kq_sigwatch *sw, *found = NULL;
	struct kq_watch_entry *e;

	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_sig_tab, (unsigned long)pid);
	if (e) {
		spin_lock_irq(&e->lock);
		hlist_for_each_entry(sw, &e->links, link)
			if (sw->hub.kq == kq) {
				found = sw;
				break;
			}
		spin_unlock_irq(&e->lock);
	}
	rcu_read_unlock();
	return found;
}

static struct kq_sigwatch *kq_sigwatch_get(struct kq *kq, struct pid *pid)
{
	struct kq_sigwatch *sw = kq_sigwatch_find(kq, pid);
	struct kq_watch_entry *e;

	if (sw) {
		/* what came before this knote is not its to count */
		kq_hub_flush(&sw->hub);
		return sw;
	}
	sw = kq_uacct_zalloc(kq->uacct, sizeof(*sw), GFP_KERNEL_ACCOUNT);
	if (!sw)
		return ERR_PTR(-ENOMEM);
	kq_hub_init(&sw->hub, kq, kq_sig_fanout);
	INIT_LIST_HEAD(&sw->knotes);
	e = kq_watchtab_add(&kq_sig_tab, (unsigned long)pid, &sw->link,
			    GFP_KERNEL_ACCOUNT);
	if (IS_ERR(e)) {
		kq_sigwatch_free(sw);
		return ERR_CAST(e);
	}
	sw->e = e;
	return sw;
}

static int kq_sig_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_sigwatch *sw;

	if (kev->ident < 1 || kev->ident > _NSIG)
		return -EINVAL;
	if (!kq_sig_tp)
		return -EINVAL;	/* no tracepoint on this kernel */
	kn->flags |= EV_CLEAR;
	/* a KQUEUE_CPONFORK copy counts the child's signals */
	sw = kq_sigwatch_get(kn->kq, kev->sigpid ? kev->sigpid :
						 task_tgid(current));
	if (IS_ERR(sw))
		return PTR_ERR(sw);
	list_add_tail(&kn->sig.link, &sw->knotes);
	kn->sig.sw = sw;
	WRITE_ONCE(sw->mask, sw->mask | kq_sig_bit(kn->ident));
	return 0;
}

static void kq_sig_detach(struct knote *kn)
{
	struct kq_sigwatch *sw = kn->sig.sw;

	list_del(&kn->sig.link);
	if (!list_empty(&sw->knotes))
		return;
	kq_hub_retire(&sw->hub);
	/* the probe walks under the entry's lock: none reaches it after */
	kq_watchtab_del(&kq_sig_tab, sw->e, &sw->link);
	kq_sigwatch_free(sw);
}

static int kq_sig_modify(struct knote *kn, const struct kq_kev *kev)
{
	return 0;
}

static void kq_sig_copy(struct knote *dst, struct knote *src)
{
	u64 count;

	spin_lock_irq(&src->kq->lock);
	count = src->sig.count;
	spin_unlock_irq(&src->kq->lock);
	spin_lock_irq(&dst->kq->lock);
	dst->sig.count = count;
	spin_unlock_irq(&dst->kq->lock);
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

/* Deliveries not reported count again, with those since. */
static void kq_sig_unsend(struct knote *kn, const struct kq_kev *ev)
{
	spin_lock_irq(&kn->kq->lock);
	kn->sig.count += ev->data;
	spin_unlock_irq(&kn->kq->lock);
}

const struct kq_filter kq_filter_signal = {
	.name = "EVFILT_SIGNAL",
	.attach = kq_sig_attach, .detach = kq_sig_detach,
	.modify = kq_sig_modify, .event = kq_sig_event,
	.unsend = kq_sig_unsend,
	.copy = kq_sig_copy,
};

int kq_signal_init(void)
{
	int err = kq_watchtab_init(&kq_sig_tab);

	if (err)
		return err;
	err = kq_tp_register("signal_generate", kq_sig_probe, &kq_sig_tp);
	if (err)
		kq_watchtab_destroy(&kq_sig_tab);
	return err;
}

void kq_signal_exit(void)
{
	kq_tp_unregister(kq_sig_tp, kq_sig_probe);
	tracepoint_synchronize_unregister();
	/* every knote is gone: the table is empty */
	kq_watchtab_destroy(&kq_sig_tab);
}
