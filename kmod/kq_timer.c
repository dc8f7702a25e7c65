// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_TIMER on hrtimers.  The hrtimer callback runs in hard interrupt
 * context: it counts the expirations and queues the knote, nothing more.
 * Relative timers use CLOCK_MONOTONIC; NOTE_ABSOLUTE deadlines are in
 * CLOCK_REALTIME, as on BSD.  Expirations keep counting while the knote
 * is disabled and are handed over (and reset) at delivery; in libkqueue's
 * mode EV_ENABLE drops them and restarts the timer instead.  An absolute
 * timer without EV_CLEAR is the exception: once fired it stays triggered,
 * reported again (data 1) by every kevent() until deleted or modified, as
 * FreeBSD, NetBSD and OpenBSD add EV_CLEAR only to relative timers.
 *
 * Darwin's flags: NOTE_MACHTIME is nanoseconds (a Mach time unit here)
 * and its absolute deadlines are CLOCK_MONOTONIC's, NOTE_MACH_CONTINUOUS_TIME
 * picks CLOCK_BOOTTIME, and the leeway (NOTE_LEEWAY, NOTE_BACKGROUND) is
 * the hrtimer's slack.  Through kevent64() and kevent_qos() a NOTE_ABSOLUTE
 * timer is EV_ONESHOT, as Darwin's manual says.
 *
 * A periodic timer is not re-armed from its callback: like timerfd, it
 * stops once it has fired, and the harvest that collects it counts the
 * periods that passed meanwhile (hrtimer_forward_now) and re-arms it.  A
 * timer nobody collects costs one interrupt, not one per period.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include "kq.h"
#include "kq_compat.h"

#define KQ_TIMER_UNITS	(NOTE_SECONDS | NOTE_MSECONDS | NOTE_USECONDS | \
			 NOTE_NSECONDS | NOTE_MACHTIME)
#define KQ_TIMER_FFLAGS	(KQ_TIMER_UNITS | NOTE_ABSOLUTE | NOTE_LEEWAY | \
			 NOTE_CRITICAL | NOTE_BACKGROUND | \
			 NOTE_MACH_CONTINUOUS_TIME)
/* A periodic timer faster than this would only burn the CPU. */
#define KQ_TIMER_MIN_PERIOD_NS	1000
/* The most slack a leeway buys: a timer is never later than this. */
#define KQ_TIMER_MAX_SLACK_NS	NSEC_PER_SEC

/* The machine's backstop; each user has max_user_timers (kq_uacct.c). */
unsigned int kq_max_timers = 65536;
module_param_named(max_timers, kq_max_timers, uint, 0644);
MODULE_PARM_DESC(max_timers, "Limit on all users' EVFILT_TIMER knotes (ENOMEM beyond)");

static atomic_t kq_nr_timers = ATOMIC_INIT(0);

/* Darwin's leeway, as hrtimer slack: NOTE_LEEWAY's, else NOTE_BACKGROUND's. */
static u64 kq_timer_slack(const struct kq_kev *kev, u64 mult, u64 ns)
{
	u64 slack = 0;

	if (kev->fflags & NOTE_LEEWAY) {
		if (check_mul_overflow(kev->ext[1], mult, &slack))
			slack = KQ_TIMER_MAX_SLACK_NS;
	} else if ((kev->fflags & (NOTE_BACKGROUND | NOTE_CRITICAL)) ==
		   NOTE_BACKGROUND && !(kev->fflags & NOTE_ABSOLUTE)) {
		slack = div_u64(ns, 10);
	}
	return min_t(u64, slack, KQ_TIMER_MAX_SLACK_NS);
}

static int kq_timer_ns(const struct kq_kev *kev, u64 *ns, u64 *slack)
{
	u32 unit = kev->fflags & KQ_TIMER_UNITS;
	u64 mult, data;

	if (kev->fflags & ~KQ_TIMER_FFLAGS)
		return -EINVAL;
	if (unit & (unit - 1))
		return -EINVAL;		/* more than one unit */
	if (kev->data < 0)
		return -EINVAL;
	switch (unit) {
	case NOTE_SECONDS:
		mult = NSEC_PER_SEC;
		break;
	case NOTE_USECONDS:
		mult = NSEC_PER_USEC;
		break;
	case NOTE_NSECONDS:
	case NOTE_MACHTIME:	/* kq_mach_timebase_info(): 1/1 */
		mult = 1;
		break;
	default:
		mult = NSEC_PER_MSEC;
	}
	/* FreeBSD: a periodic timer of 0 runs every unit, not continuously */
	data = kev->data;
	if (!data && !(kev->flags & EV_ONESHOT) &&
	    !(kev->fflags & NOTE_ABSOLUTE))
		data = 1;
	if (check_mul_overflow(data, mult, ns) || *ns > KTIME_MAX)
		*ns = KTIME_MAX;
	*slack = kq_timer_slack(kev, mult, *ns);
	return 0;
}

/* The clock a timer runs on (its deadline's, when absolute). */
static clockid_t kq_timer_clock(u32 fflags)
{
	if ((fflags & NOTE_ABSOLUTE) && !(fflags & NOTE_MACHTIME))
		return CLOCK_REALTIME;
	if (fflags & NOTE_MACH_CONTINUOUS_TIME)
		return CLOCK_BOOTTIME;
	return CLOCK_MONOTONIC;
}

static enum hrtimer_restart kq_timer_fire(struct hrtimer *t)
{
	struct knote *kn = container_of(t, struct knote, timer.timer);
	struct kq *kq = kn->kq;
	unsigned long flags;
	bool queued;

	spin_lock_irqsave(&kq->lock, flags);
	kn->timer.count++;
	kn->timer.ticking = false;	/* the harvest re-arms */
	kn->status |= KN_ACTIVE;
	queued = kq_knote_queue_locked(kn);
	spin_unlock_irqrestore(&kq->lock, flags);
	if (queued)
		kq_wake_pollers(kq);
	return HRTIMER_NORESTART;
}

static void kq_timer_start(struct knote *kn, u64 ns, u64 slack)
{
	bool absolute = kn->sfflags & NOTE_ABSOLUTE;

	hrtimer_setup(&kn->timer.timer, kq_timer_fire,
		      kq_timer_clock(kn->sfflags), absolute ?
		      HRTIMER_MODE_ABS : HRTIMER_MODE_REL);
	kn->timer.period = 0;
	if (!absolute && !(kn->flags & EV_ONESHOT))
		kn->timer.period = ns_to_ktime(max_t(u64, ns,
						     KQ_TIMER_MIN_PERIOD_NS));
	kn->timer.ticking = true;
	/* the periodic re-arm (hrtimer_forward_now) keeps the slack */
	hrtimer_start_range_ns(&kn->timer.timer, ns_to_ktime(ns), slack,
			       absolute ? HRTIMER_MODE_ABS : HRTIMER_MODE_REL);
}

/*
 * KQUEUE_CPONFORK: the copy runs to the same deadline (attach started it
 * from now), with what the original counted, so a timer racing the fork
 * fires once in each process.
 */
static void kq_timer_copy(struct knote *dst, struct knote *src)
{
	ktime_t soft, hard;
	bool ticking;
	u64 count;

	spin_lock_irq(&src->kq->lock);
	count = src->timer.count;
	ticking = src->timer.ticking;
	soft = hrtimer_get_softexpires(&src->timer.timer);
	hard = hrtimer_get_expires(&src->timer.timer);
	spin_unlock_irq(&src->kq->lock);

	hrtimer_cancel(&dst->timer.timer);
	spin_lock_irq(&dst->kq->lock);
	dst->timer.count = count;
	dst->timer.ticking = ticking;
	if (count)
		dst->status |= KN_ACTIVE;
	spin_unlock_irq(&dst->kq->lock);
	if (ticking)
		hrtimer_start_range_ns(&dst->timer.timer, soft,
				       ktime_to_ns(ktime_sub(hard, soft)),
				       HRTIMER_MODE_ABS);
	else	/* fired: the harvest forwards it from there */
		hrtimer_set_expires_range_ns(&dst->timer.timer, soft,
					     ktime_to_ns(ktime_sub(hard, soft)));
}

/* Darwin (kevent64(), kevent_qos()): an absolute timer is EV_ONESHOT. */
static void kq_timer_darwin_oneshot(struct knote *kn, const struct kq_kev *kev)
{
	if (kev->darwin && (kev->fflags & NOTE_ABSOLUTE))
		kn->flags |= EV_ONESHOT;
}

static int kq_timer_attach(struct knote *kn, const struct kq_kev *kev)
{
	u64 ns, slack;
	int err = kq_timer_ns(kev, &ns, &slack);

	if (err)
		return err;
	if (!kq_uacct_charge_timer(kn->kq->uacct))
		return -ENOMEM;
	if (atomic_inc_return(&kq_nr_timers) > READ_ONCE(kq_max_timers)) {
		atomic_dec(&kq_nr_timers);
		kq_uacct_uncharge_timer(kn->kq->uacct);
		return -ENOMEM;
	}
	/* BSD: periodic timers behave as EV_CLEAR; absolute ones do not. */
	if (!(kev->fflags & NOTE_ABSOLUTE))
		kn->flags |= EV_CLEAR;
	kq_timer_darwin_oneshot(kn, kev);
	kq_timer_start(kn, ns, slack);
	return 0;
}

static void kq_timer_detach(struct knote *kn)
{
	hrtimer_cancel(&kn->timer.timer);
	atomic_dec(&kq_nr_timers);
	kq_uacct_uncharge_timer(kn->kq->uacct);
}

/* Stop the timer and drop what it counted; kq->mtx held. */
static void kq_timer_stop(struct knote *kn)
{
	hrtimer_cancel(&kn->timer.timer);
	spin_lock_irq(&kn->kq->lock);
	kn->timer.count = 0;
	kn->status &= ~KN_ACTIVE;
	kq_knote_dequeue_locked(kn);
	spin_unlock_irq(&kn->kq->lock);
}

/*
 * libkqueue's EV_ENABLE (kevent() in its mode): a disabled timer starts
 * over from now with its registered values, and what it counted while
 * disabled is dropped, as libkqueue re-arms its timerfd.  FreeBSD instead
 * reports those expirations at once.
 */
static void kq_timer_libkqueue_enable(struct knote *kn)
{
	struct kq_kev kev = { .flags = kn->flags, .fflags = kn->sfflags,
			      .data = kn->sdata };
	bool disabled;
	u64 ns, slack;

	spin_lock_irq(&kn->kq->lock);
	disabled = kn->status & KN_DISABLED;
	spin_unlock_irq(&kn->kq->lock);
	if (!disabled)
		return;
	if (kn->x)
		kev.ext[1] = kn->x->ext[1];	/* NOTE_LEEWAY */
	if (kq_timer_ns(&kev, &ns, &slack))
		return;		/* validated at registration */
	kq_timer_stop(kn);
	kq_timer_start(kn, ns, slack);
}

/* Re-adding restarts with the new values and drops what was undelivered. */
static int kq_timer_modify(struct knote *kn, const struct kq_kev *kev)
{
	u64 ns, slack;
	int err;

	if (!(kev->flags & EV_ADD)) {
		if ((kev->flags & EV_ENABLE) && kev->libkqueue)
			kq_timer_libkqueue_enable(kn);
		return 0;
	}
	err = kq_timer_ns(kev, &ns, &slack);
	if (err)
		return err;
	kq_timer_stop(kn);
	kn->sfflags = kev->fflags;
	kn->sdata = kev->data;
	kq_timer_darwin_oneshot(kn, kev);
	kq_timer_start(kn, ns, slack);
	return 0;
}

/*
 * An absolute timer without EV_CLEAR stays triggered once it has fired
 * (FreeBSD's filt_timer: its data, 1, is never reset).  Through Darwin's
 * calls it is EV_ONESHOT and goes at its first delivery anyway.
 */
static bool kq_timer_stays(const struct knote *kn)
{
	return (kn->sfflags & NOTE_ABSOLUTE) && !(kn->flags & EV_CLEAR);
}

static bool kq_timer_event(struct knote *kn, struct kq_kev *out)
{
	bool ready;

	spin_lock_irq(&kn->kq->lock);
	if (kn->timer.period && !kn->timer.ticking) {
		/* the expiry that stopped it is counted already */
		kn->timer.count += hrtimer_forward_now(&kn->timer.timer,
						       kn->timer.period) - 1;
		hrtimer_restart(&kn->timer.timer);
		kn->timer.ticking = true;
	}
	ready = kn->timer.count > 0;
	out->data = kn->timer.count;
	out->fflags = 0;
	if (ready && kq_timer_stays(kn)) {
		/* fired for good: reported again at every harvest */
		out->level = true;
	} else {
		kn->timer.count = 0;
		kn->status &= ~KN_ACTIVE;
	}
	spin_unlock_irq(&kn->kq->lock);
	return ready;
}

/* Expiries not delivered count again, with those since. */
static void kq_timer_unsend(struct knote *kn, const struct kq_kev *ev)
{
	if (ev->level)
		return;		/* fired for good: nothing was taken */
	spin_lock_irq(&kn->kq->lock);
	kn->timer.count += ev->data;
	spin_unlock_irq(&kn->kq->lock);
}

const struct kq_filter kq_filter_timer = {
	.name = "EVFILT_TIMER",
	.attach = kq_timer_attach, .detach = kq_timer_detach,
	.modify = kq_timer_modify, .event = kq_timer_event,
	.unsend = kq_timer_unsend,
	.copy = kq_timer_copy,
};
