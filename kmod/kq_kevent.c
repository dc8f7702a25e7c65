// SPDX-License-Identifier: GPL-2.0
/*
 * kevent(): apply the changelist in order, then wait for and harvest
 * events, with FreeBSD's semantics (kern_event.c: kqueue_register,
 * kqueue_scan).  The caller's records, of any size kq_record.h knows, are
 * read and written in place.
 */
#include <linux/uaccess.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/time64.h>
#include <linux/compat.h>
#include "kq.h"
#include "kq_record.h"

struct kq_call {
	struct kq *kq;
	u8 __user *changes;
	u8 __user *events;
	int nchanges;
	int nevents;
	unsigned int recsize;
	bool darwin;		/* kevent64(), kevent_qos() records */
	bool libkqueue_flags;	/* KQ_KEVENT_LIBKQUEUE_BEHAVIOUR */
	u64 version_str;
};

static const struct kq_filter *kq_filter_of(s16 filter)
{
	switch (filter) {
	case EVFILT_READ:
		return &kq_filter_read;
	case EVFILT_WRITE:
		return &kq_filter_write;
	case EVFILT_EMPTY:
		return &kq_filter_empty;
	case EVFILT_EXCEPT:
		return &kq_filter_except;
	case EVFILT_TIMER:
		return &kq_filter_timer;
	case EVFILT_USER:
		return &kq_filter_user;
	case EVFILT_SIGNAL:
		return &kq_filter_signal;
	case EVFILT_PROC:
		return &kq_filter_proc;
	case EVFILT_PROCDESC:
		return &kq_filter_procdesc;
	case EVFILT_VNODE:
		return &kq_filter_vnode;
	}
	return NULL;
}

static int kq_read_record(const struct kq_call *c, int i, struct kq_kev *kev)
{
	return kq_record_read(c->changes + (size_t)i * c->recsize, c->recsize,
			      kev);
}

static int kq_write_record(const struct kq_call *c, int i,
			   const struct kq_kev *kev)
{
	return kq_record_write(c->events + (size_t)i * c->recsize, c->recsize,
			       kev);
}

static void kq_queue_if_active(struct knote *kn)
{
	struct kq *kq = kn->kq;
	bool queued = false;

	spin_lock_irq(&kq->lock);
	if (kn->status & KN_ACTIVE)
		queued = kq_knote_queue_locked(kn);
	spin_unlock_irq(&kq->lock);
	if (queued)
		kq_wake_pollers(kq);
}

static void kq_set_disabled(struct knote *kn, bool disable)
{
	struct kq *kq = kn->kq;

	spin_lock_irq(&kq->lock);
	if (disable) {
		kn->status |= KN_DISABLED;
		kq_knote_dequeue_locked(kn);
	} else {
		kn->status &= ~KN_DISABLED;
	}
	spin_unlock_irq(&kq->lock);
	if (disable)
		return;
	/* descriptor filters: an enabled knote reports a condition now true */
	if (kn->fop->recheck)
		kn->fop->recheck(kn);
	kq_queue_if_active(kn);
}

/*
 * A new knote; it takes the caller's reference to *file (then NULL).
 * kq->mtx held.  *out: the knote, when not NULL.  Static and inlined in
 * the changelist's path (icount: an out-of-line call, and kq_filter_of()
 * out of line too, cost ~40 instructions an EV_ADD); kq_knote_add() is
 * the same for kq_cponfork.c.
 */
static __always_inline int kq_add(struct kq *kq, const struct kq_kev *kev,
				  const struct kq_filter *fop,
				  struct file **file, struct knote **out)
{
	struct knote *kn;
	int err;

	kn = kq_knote_alloc(kq, kev, fop, *file);
	if (!kn)
		return -ENOMEM;
	*file = NULL;
	/* before attach: from then on callbacks touch the status */
	if (kev->flags & EV_DISABLE)
		kn->status |= KN_DISABLED;
	err = fop->attach(kn, kev);
	if (err) {
		/* a callback may have queued it before attach failed */
		spin_lock_irq(&kq->lock);
		kn->status |= KN_DETACHED;
		kq_knote_dequeue_locked(kn);
		spin_unlock_irq(&kq->lock);
		kq_knote_free(kn);
		return err;
	}
	kq_knote_insert(kq, kn);
	kq_queue_if_active(kn);
	if (out)
		*out = kn;
	return 0;
}

int kq_knote_add(struct kq *kq, const struct kq_kev *kev,
		 const struct kq_filter *fop, struct file **file,
		 struct knote **out)
{
	return kq_add(kq, kev, fop, file, out);
}

/*
 * Darwin's EV_DISPATCH2: a knote disabled after its delivery may still
 * be in use by the thread that got the event, so a delete waits for the
 * EV_ENABLE that says it is done (EINPROGRESS); the knote then reports
 * one last event, EV_DELETE, and goes.
 */
static bool kq_is_dispatch2(const struct knote *kn)
{
	return (kn->flags & EV_DISPATCH2) == EV_DISPATCH2;
}

static bool kq_defer_delete(struct knote *kn, const struct kq_kev *kev)
{
	struct kq *kq = kn->kq;
	bool defer;

	if (!kq_is_dispatch2(kn) || (kev->flags & EV_ENABLE))
		return false;
	spin_lock_irq(&kq->lock);
	defer = kn->status & KN_DISABLED;
	if (defer)
		kn->status |= KN_DEFERDELETE;
	spin_unlock_irq(&kq->lock);
	return defer;
}

/* EV_ENABLE of a deferred delete: queue its EV_DELETE event. */
static void kq_enable_deferred(struct knote *kn)
{
	spin_lock_irq(&kn->kq->lock);
	kn->status &= ~KN_DISABLED;
	kn->status |= KN_ACTIVE;
	spin_unlock_irq(&kn->kq->lock);
	kq_queue_if_active(kn);
}

/* An existing knote: BSD's "touch" (every change but EV_DELETE). */
static int kq_modify(struct knote *kn, const struct kq_kev *kev)
{
	int err;

	/* its last event was delivered: nothing left to change (Darwin) */
	if (kq_knote_deferdelete(kn)) {
		if (kev->flags & EV_ENABLE)
			kq_enable_deferred(kn);
		return 0;
	}

	if (!(kev->flags & EV_KEEPUDATA))
		kn->udata = kev->udata;
	err = kn->fop->modify(kn, kev);
	if (err)
		return err;
	if (kev->flags & EV_FORCEONESHOT) {
		kn->flags |= EV_ONESHOT;
		kn->forced = true;
		spin_lock_irq(&kn->kq->lock);
		kn->status |= KN_ACTIVE;
		spin_unlock_irq(&kn->kq->lock);
	}
	if (kev->flags & EV_DISABLE)
		kq_set_disabled(kn, true);
	else if (kev->flags & EV_ENABLE)
		kq_set_disabled(kn, false);
	kq_queue_if_active(kn);
	return 0;
}

/* Apply one change; kq->mtx held. */
static int kq_register(struct kq *kq, const struct kq_kev *kev)
{
	const struct kq_filter *fop = kq_filter_of(kev->filter);
	struct file *file = NULL;
	struct knote *kn;
	int err;

	if (!fop)
		return -EINVAL;
	if ((kev->flags & (EV_ENABLE | EV_DISABLE)) ==
	    (EV_ENABLE | EV_DISABLE))
		return -EINVAL;
	if ((kev->flags & (EV_ADD | EV_KEEPUDATA)) ==
	    (EV_ADD | EV_KEEPUDATA))
		return -EINVAL;
	/* Darwin: only a udata-specific dispatch knote may say it vanished */
	if ((kev->flags & EV_VANISHED) &&
	    (kev->flags & (EV_ADD | EV_DISPATCH2)) != (EV_ADD | EV_DISPATCH2))
		return -EINVAL;
	if (fop->isfd) {
		if (kev->ident > INT_MAX)
			return -EBADF;
		/* a reference only for a knote that may be made */
		file = (kev->flags & EV_ADD) ?
		       fget(kev->ident) : kq_fd_peek(current->files, kev->ident);
		if (!file)
			return -EBADF;
	}

	kn = kq_knote_find(kq, kev->filter, kev->ident, file, kev->flags,
			   kev->udata);
	if (!kn) {
		err = (kev->flags & EV_ADD) ?
		      kq_add(kq, kev, fop, &file, NULL) : -ENOENT;
		goto out;
	}
	if (kev->flags & EV_DELETE) {
		err = 0;
		if (kq_defer_delete(kn, kev))
			err = -EINPROGRESS;
		else
			kq_knote_drop(kn);
		goto out;
	}
	err = kq_modify(kn, kev);
out:
	if (file && (kev->flags & EV_ADD))
		fput(file);
	return err;
}

/* kq->mtx held; see kq_apply_changes(). */
static int kq_apply_changes_locked(const struct kq_call *c, int *nevents)
{
	struct kq_kev kev;
	int i, err, nerrors = 0;
	u16 caller_flags;

	for (i = 0; i < c->nchanges; i++) {
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
		err = kq_read_record(c, i, &kev);
		if (err)
			return err;
		if (!kev.filter)
			continue;
		caller_flags = kev.flags;
		kev.flags &= ~EV_SYSFLAGS;
		/* Darwin's records take libkqueue's flags, not its filters' ways */
		kev.libkqueue = c->libkqueue_flags && !c->darwin;
		if (kev.filter == EVFILT_LIBKQUEUE) {
			err = kq_libkqueue_change(&kev, c->version_str);
			if (err > 0) {
				/* a query with no room for its answer (libkqueue) */
				if (*nevents == 0)
					return -EFAULT;
				if (kq_write_record(c, nerrors, &kev))
					return -EFAULT;
				nerrors++;
				(*nevents)--;
				continue;
			}
		} else {
			/* NOTE_TRACK's children are made by the fan-out */
			if (kev.filter == EVFILT_PROC && kq_hubs_queued(c->kq))
				kq_hubs_fanout(c->kq);
			err = kq_register(c->kq, &kev);
		}
		if (!err && !(kev.flags & EV_RECEIPT))
			continue;
		/*
		 * No room to report: stop here (FreeBSD).  Receipts already
		 * written are the result; an error is the call's errno.
		 */
		if (*nevents == 0)
			return err ? err : nerrors;
		/* the record: FreeBSD's bare EV_ERROR, or libkqueue's */
		kev.flags = c->libkqueue_flags ? caller_flags | EV_ERROR :
						 EV_ERROR;
		kev.data = -err;
		if (kq_write_record(c, nerrors, &kev))
			return -EFAULT;
		nerrors++;
		(*nevents)--;
	}
	return nerrors;
}

/*
 * Returns the number of error records written, or a negative errno when
 * the call must end with -1 (a failure with no room to report it).
 * kq->mtx is held across the changelist, once per call: the records are
 * read and the receipts written under it, as the harvest writes events.
 */
static int kq_apply_changes(const struct kq_call *c, int *nevents)
{
	int ret;

	if (!c->nchanges)
		return 0;
	mutex_lock(&c->kq->mtx);
	ret = kq_apply_changes_locked(c, nevents);
	mutex_unlock(&c->kq->mtx);
	return ret;
}

/*
 * A harvest takes knotes off its private list and settles the reported
 * ones in batches, one kq->lock round trip per batch instead of two per
 * event.  A taken knote is on no list and not KN_QUEUED, exactly as one
 * taken alone: a wakeup meanwhile queues it on kq->active for the next
 * call.  Only the knote being reported is ever dropped during a harvest,
 * so the others of its batch stay valid.
 */
#define KQ_HARVEST_BATCH	16

enum kq_outcome {
	KQ_SKIPPED,		/* not reported (or dropped already) */
	KQ_SENT,		/* reported */
	KQ_SENT_LEVEL,		/* reported, and still true */
	KQ_UNSENT,		/* not written: back in the queue */
};

/* Up to @max knotes of @txlist into @batch. */
static int kq_take_locked(struct list_head *txlist, struct knote **batch,
			  int max)
{
	struct knote *kn;
	int k = 0;

	while (k < max && !list_empty(txlist)) {
		kn = list_first_entry(txlist, struct knote, alink);
		kq_knote_dequeue_locked(kn);
		if (kn->fop->clear_at_harvest)
			kn->status &= ~KN_ACTIVE;
		if (!(kn->status & KN_DISABLED))
			batch[k++] = kn;
	}
	return k;
}

/* A reported knote's state after delivery; true: drop it. */
static bool kq_after_delivery_locked(struct knote *kn, bool level,
				     struct list_head *requeue)
{
	struct kq *kq = kn->kq;

	if (level)
		kn->status |= KN_ACTIVE;
	if ((kn->status & KN_DEFERDELETE) ||
	    ((kn->flags & EV_ONESHOT) && !kq_is_dispatch2(kn)))
		return true;
	if (kn->flags & EV_ONESHOT) {
		/* Darwin: a dispatch2 one-shot goes at its next EV_ENABLE */
		kn->status |= KN_DISABLED | KN_DEFERDELETE;
		kq_knote_dequeue_locked(kn);
	} else if (kn->flags & EV_DISPATCH) {
		kn->status |= KN_DISABLED;
		kq_knote_dequeue_locked(kn);	/* no longer parked either */
	} else if ((kn->status & (KN_ACTIVE | KN_QUEUED)) == KN_ACTIVE) {
		kq_knote_dequeue_locked(kn);	/* the requeue replaces a park */
		/* level-triggered: back in the queue after this call */
		kn->status |= KN_QUEUED;
		list_add_tail(&kn->alink, requeue);
		kq->nactive++;
	}
	return false;
}

/* Evaluate a taken knote and write its event to slot @i. */
static enum kq_outcome kq_report(const struct kq_call *c, struct knote *kn,
				 int i, int *err)
{
	struct kq_kev kev = {};
	bool forced = kn->forced, ready = false;

	/* A closed or replaced descriptor never reports. */
	if (kn->file && !kq_knote_fd_current(kn, current->files)) {
		kq_knote_drop(kn);
		return KQ_SKIPPED;
	}
	kev.uscratch = c->events + (size_t)i * c->recsize +
		       kq_record_data_offset(c->recsize);
	kev.darwin = c->darwin;
	if (kq_knote_deferdelete(kn)) {
		/* Darwin's last event of a deferred delete */
		kev.flags = EV_DELETE | EV_ONESHOT;
	} else {
		ready = kn->fop->event(kn, &kev);
		if (!ready && !forced) {
			if (kev.drop)
				kq_knote_drop(kn);
			return KQ_SKIPPED;
		}
	}
	kn->forced = false;
	kev.ident = kn->ident;
	kev.filter = kn->filter;
	kev.flags |= kn->flags;
	if (c->libkqueue_flags)
		kev.flags |= EV_ADD;	/* libkqueue keeps it */
	kev.udata = kn->udata;
	if (c->recsize > KQ_RECORD_KEVENT && kn->x) {
		memcpy(kev.ext, kn->x->ext, sizeof(kev.ext));
		kev.qos = kn->x->qos;	/* and xflags 0, as Darwin */
	}
	*err = kq_write_record(c, i, &kev);
	if (*err) {
		/* not delivered: kept, as it was, for the next call */
		kn->forced = forced;
		if (ready && kn->fop->unsend)
			kn->fop->unsend(kn, &kev);
		return KQ_UNSENT;
	}
	return kev.level ? KQ_SENT_LEVEL : KQ_SENT;
}

/*
 * Harvest up to @max events into slots @first.. of the event list.  Only
 * knotes queued when the scan starts are looked at, so each is reported
 * at most once per call.  kq->mtx held.
 */
static int kq_harvest(const struct kq_call *c, int first, int max)
{
	struct knote *batch[KQ_HARVEST_BATCH], *drop[KQ_HARVEST_BATCH];
	u8 outcome[KQ_HARVEST_BATCH];
	struct kq *kq = c->kq;
	LIST_HEAD(txlist);
	LIST_HEAD(requeue);
	int n = 0, err = 0, nb = 0, ndrop, i;

	if (kq_hubs_queued(kq))
		kq_hubs_fanout(kq);
	spin_lock_irq(&kq->lock);
	kq_scan_begin_locked(kq);
	list_splice_init(&kq->active, &txlist);
	for (;;) {
		/* settle the last batch, take the next */
		ndrop = 0;
		for (i = 0; i < nb; i++) {
			struct knote *kn = batch[i];
			bool level = outcome[i] == KQ_SENT_LEVEL;

			if (outcome[i] == KQ_UNSENT) {
				kn->status |= KN_ACTIVE;
				kq_knote_queue_locked(kn);
			} else if (outcome[i] != KQ_SKIPPED &&
				   kq_after_delivery_locked(kn, level, &requeue)) {
				drop[ndrop++] = kn;
			}
		}
		nb = err ? 0 : kq_take_locked(&txlist, batch,
					      min(max - n, KQ_HARVEST_BATCH));
		if (!nb)
			break;
		spin_unlock_irq(&kq->lock);
		for (i = 0; i < ndrop; i++)
			kq_knote_drop(drop[i]);
		for (i = 0; i < nb; i++) {
			outcome[i] = err ? KQ_UNSENT :
				     kq_report(c, batch[i], first + n, &err);
			if (outcome[i] == KQ_SENT || outcome[i] == KQ_SENT_LEVEL)
				n++;
		}
		spin_lock_irq(&kq->lock);
	}
	list_splice(&txlist, &kq->active);
	list_splice_tail(&requeue, &kq->active);
	kq_scan_end_locked(kq);
	/* others waiting on this kqueue see the requeued (level) knotes */
	if (!list_empty(&kq->active) && wq_has_sleeper(&kq->wq))
		wake_up(&kq->wq);
	spin_unlock_irq(&kq->lock);
	for (i = 0; i < ndrop; i++)
		kq_knote_drop(drop[i]);
	return n ? n : err;
}

static bool kq_ready_or_closing(struct kq *kq)
{
	return READ_ONCE(kq->nactive) || READ_ONCE(kq->closing);
}

/* Sleep until events, close, signal or deadline; 0 when woken by events. */
static int kq_wait(struct kq *kq, ktime_t *deadline)
{
	DEFINE_WAIT(wait);
	int err = 0;

	for (;;) {
		prepare_to_wait(&kq->wq, &wait, TASK_INTERRUPTIBLE);
		if (kq_ready_or_closing(kq))
			break;
		if (signal_pending(current)) {
			err = -EINTR;
			break;
		}
		if (!schedule_hrtimeout_range(deadline, 0, HRTIMER_MODE_ABS)) {
			err = -ETIMEDOUT;
			break;
		}
	}
	finish_wait(&kq->wq, &wait);
	return err;
}

static int kq_scan(const struct kq_call *c, int first, int max,
		   ktime_t *deadline, bool poll)
{
	struct kq *kq = c->kq;
	int n, err;

	if (!list_empty(&kq->parked)) {
		mutex_lock(&kq->mtx);
		kq_recheck_parked(kq);
		mutex_unlock(&kq->mtx);
	}
	for (;;) {
		if (READ_ONCE(kq->closing))
			return -EBADF;
		/*
		 * A poll of an empty queue returns without a lock (epoll's
		 * way), unless a concurrent scan holds knotes it may requeue
		 * (a level-triggered one: NetBSD scan1), which it waits for.
		 */
		if (poll && kq_surely_empty(kq))
			return 0;
		if (poll || READ_ONCE(kq->nactive)) {
			mutex_lock(&kq->mtx);
			n = kq_harvest(c, first, max);
			mutex_unlock(&kq->mtx);
			if (n)
				return n;
		}
		if (poll)
			return 0;
		/*
		 * Knotes queued and then found not ready (a low-water mark
		 * not reached on a busy socket) send us round again: keep
		 * to the deadline and to signals even if kq_wait() never
		 * sleeps.
		 */
		if (signal_pending(current))
			return -EINTR;
		if (deadline && ktime_compare(ktime_get(), *deadline) >= 0)
			return 0;
		err = kq_wait(kq, deadline);
		if (err == -ETIMEDOUT)
			return 0;
		if (err)
			return err;
	}
}

/* get_timespec64() with one user access window instead of a copy */
static int kq_get_timespec(struct timespec64 *ts, u64 uptr)
{
	struct __kernel_timespec __user *u = u64_to_user_ptr(uptr);

	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(ts->tv_sec, &u->tv_sec, efault);
	unsafe_get_user(ts->tv_nsec, &u->tv_nsec, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int kq_get_compat_timespec(struct timespec64 *ts, u64 uptr, u64 flags)
{
	/* get_timespec64() drops the padding above a 32-bit tv_nsec */
	if (flags & KQ_KEVENT_TIME64)
		return get_timespec64(ts, u64_to_user_ptr(uptr));
	return get_old_timespec32(ts, u64_to_user_ptr(uptr));
}

static int kq_read_timeout(u64 uptr, u64 flags, ktime_t *deadline, bool *poll)
{
	struct timespec64 ts;

	*poll = false;
	if (!uptr)
		return 0;
	/* a 32-bit caller's time_t: 32 bits (i386, old armhf) or 64 (TIME64) */
	if (in_compat_syscall() ?
	    kq_get_compat_timespec(&ts, uptr, flags) :
	    kq_get_timespec(&ts, uptr))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	if (!ts.tv_sec && !ts.tv_nsec) {
		*poll = true;
		return 0;
	}
	*deadline = ktime_add_safe(ktime_get(), timespec64_to_ktime(ts));
	return 0;
}

/*
 * The argument block: this module's size in one user access window (the
 * hot path: no copy routine, no usercopy check), any other through
 * copy_struct_from_user() (E2BIG: newer than this module; the caller may
 * retry smaller).
 */
static int kq_read_args(struct kq_kevent_args *a, void __user *uarg)
{
	struct kq_kevent_args __user *u = uarg;
	u32 usize;

	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(usize, &u->size, efault);
	if (likely(usize == sizeof(*u))) {
		a->size = usize;
		unsafe_get_user(a->record_size, &u->record_size, efault);
		unsafe_get_user(a->changelist, &u->changelist, efault);
		unsafe_get_user(a->eventlist, &u->eventlist, efault);
		unsafe_get_user(a->nchanges, &u->nchanges, efault);
		unsafe_get_user(a->nevents, &u->nevents, efault);
		unsafe_get_user(a->timeout, &u->timeout, efault);
		unsafe_get_user(a->flags, &u->flags, efault);
		unsafe_get_user(a->version_str, &u->version_str, efault);
		user_access_end();
		return 0;
	}
	user_access_end();
	if (usize < KQ_KEVENT_ARGS_SIZE_VER0 || usize > PAGE_SIZE)
		return -EINVAL;
	return copy_struct_from_user(a, sizeof(*a), uarg, usize);
efault:
	user_access_end();
	return -EFAULT;
}

long kq_ioctl_kevent(struct kq *kq, void __user *uarg)
{
	struct kq_kevent_args args;
	struct kq_call c = { .kq = kq };
	ktime_t deadline = KTIME_MAX, *dl = NULL;
	bool poll;
	int err, nerrors, nevents;

	err = kq_read_args(&args, uarg);
	if (err)
		return err;
	if ((args.flags & ~KQ_KEVENT_FLAGS_ALL) ||
	    !kq_record_size_ok(args.record_size))
		return -EINVAL;
	if (args.nchanges < 0 || args.nevents < 0)
		return -EINVAL;
	if (!kq_owner_is_current(kq) || READ_ONCE(kq->closing))
		return -EBADF;
	if (unlikely(!kq_close_tracked()))
		kq_drop_closed_fd_knotes(kq);
	err = kq_read_timeout(args.timeout, args.flags, &deadline, &poll);
	if (err)
		return err;
	if (args.timeout && !poll)
		dl = &deadline;

	c.changes = u64_to_user_ptr(args.changelist);
	c.events = u64_to_user_ptr(args.eventlist);
	c.nchanges = args.nchanges;
	c.nevents = args.nevents;
	c.recsize = args.record_size;
	c.darwin = kq_record_is_darwin(c.recsize);
	c.libkqueue_flags = args.flags & KQ_KEVENT_LIBKQUEUE_BEHAVIOUR;
	c.version_str = args.version_str;

	nevents = c.nevents;
	nerrors = kq_apply_changes(&c, &nevents);
	if (nerrors < 0)
		return nerrors;
	if (nerrors || (args.flags & KQ_KEVENT_CHANGES_ONLY))
		return nerrors;
	if (!c.nevents)
		return 0;
	return kq_scan(&c, 0, c.nevents, dl, poll);
}

unsigned int kq_pending(struct kq *kq)
{
	return READ_ONCE(kq->nactive);
}
