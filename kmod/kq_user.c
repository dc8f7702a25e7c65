// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_USER: events triggered from userland with NOTE_TRIGGER.  The low
 * 24 bits of fflags are combined into the stored value by FFAND, FFOR or
 * FFCOPY; data passes through.  EV_CLEAR resets the trigger at delivery.
 */
#include "kq.h"

static void kq_user_touch(struct knote *kn, const struct kq_kev *kev)
{
	u32 v = kev->fflags & NOTE_FFLAGSMASK;

	switch (kev->fflags & NOTE_FFCTRLMASK) {
	case NOTE_FFAND:
		kn->user.fflags &= v;
		break;
	case NOTE_FFOR:
		kn->user.fflags |= v;
		break;
	case NOTE_FFCOPY:
		kn->user.fflags = v;
		break;
	}
	kn->sdata = kev->data;
	if (kev->fflags & NOTE_TRIGGER) {
		kn->user.triggered = true;
		kn->status |= KN_ACTIVE;
	}
}

static int kq_user_attach(struct knote *kn, const struct kq_kev *kev)
{
	kn->user.fflags = 0;
	kq_user_touch(kn, kev);
	return 0;
}

static void kq_user_detach(struct knote *kn)
{
}

static int kq_user_modify(struct knote *kn, const struct kq_kev *kev)
{
	spin_lock_irq(&kn->kq->lock);
	kq_user_touch(kn, kev);
	spin_unlock_irq(&kn->kq->lock);
	return 0;
}

static bool kq_user_event(struct knote *kn, struct kq_kev *out)
{
	bool ready;

	spin_lock_irq(&kn->kq->lock);
	ready = kn->user.triggered;
	out->fflags = kn->user.fflags;
	out->data = kn->sdata;
	if (!ready || (kn->flags & EV_CLEAR)) {
		kn->user.triggered = false;
		kn->status &= ~KN_ACTIVE;
	}
	spin_unlock_irq(&kn->kq->lock);
	return ready;
}

/* EV_CLEAR took the trigger: an event the caller never got keeps it. */
static void kq_user_unsend(struct knote *kn, const struct kq_kev *ev)
{
	spin_lock_irq(&kn->kq->lock);
	kn->user.triggered = true;
	spin_unlock_irq(&kn->kq->lock);
}

static void kq_user_copy(struct knote *dst, struct knote *src)
{
	u32 fflags;
	bool triggered;

	spin_lock_irq(&src->kq->lock);
	fflags = src->user.fflags;
	triggered = src->user.triggered;
	spin_unlock_irq(&src->kq->lock);
	spin_lock_irq(&dst->kq->lock);
	dst->user.fflags = fflags;
	dst->user.triggered = triggered;
	spin_unlock_irq(&dst->kq->lock);
}

const struct kq_filter kq_filter_user = {
	.name = "EVFILT_USER",
	.attach = kq_user_attach, .detach = kq_user_detach,
	.modify = kq_user_modify, .event = kq_user_event,
	.unsend = kq_user_unsend,
	.copy = kq_user_copy,
};
