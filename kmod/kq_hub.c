// SPDX-License-Identifier: GPL-2.0
/*
 * Hubs: one kqueue's hook on one watched object (kq.h says who pays).
 *
 * A hub is queued on kq->hubq by the object's hook, under kq->lock, with
 * whatever it records (pending notes, signal counts) written under the
 * same lock.  The owner's kevent() takes the hubs off the queue and calls
 * each one's fanout(), which walks the hub's own knotes under kq->mtx with
 * interrupts on, taking kq->lock for each knote as the harvest does.
 *
 * While hubs are being fanned out they are counted in neither nactive nor
 * the queue: the scan sequence is odd meanwhile, as in a harvest, so that
 * a lockless poll (kq_surely_empty) does not take them for an empty queue.
 */
#include "kq.h"

void kq_hub_init(struct kq_hub *hub, struct kq *kq,
		 void (*fanout)(struct kq_hub *hub))
{
	hub->kq = kq;
	INIT_LIST_HEAD(&hub->qlink);
	hub->fanout = fanout;
}

/*
 * kq->lock held.  Returns true when newly queued: the caller wakes the
 * kqueue's pollers once the lock is dropped (kq_wake_pollers).
 */
bool kq_hub_queue_locked(struct kq_hub *hub)
{
	struct kq *kq = hub->kq;

	lockdep_assert_held(&kq->lock);
	if (!list_empty(&hub->qlink) || hub->dead || kq->closing)
		return false;
	list_add_tail(&hub->qlink, &kq->hubq);
	kq->nactive++;
	/* pairs with prepare_to_wait() in kq_wait(), as for knotes */
	if (wq_has_sleeper(&kq->wq))
		wake_up(&kq->wq);
	return true;
}

static void kq_hub_dequeue_locked(struct kq_hub *hub)
{
	lockdep_assert_held(&hub->kq->lock);
	if (list_empty(&hub->qlink))
		return;
	list_del_init(&hub->qlink);
	hub->kq->nactive--;
}

/*
 * Off the queue for good, before its hooks go: a hook that still finds it
 * (under RCU) cannot queue it again.  kq->lock held.
 */
void kq_hub_retire_locked(struct kq_hub *hub)
{
	kq_hub_dequeue_locked(hub);
	hub->dead = true;
}

void kq_hub_retire(struct kq_hub *hub)
{
	spin_lock_irq(&hub->kq->lock);
	kq_hub_retire_locked(hub);
	spin_unlock_irq(&hub->kq->lock);
}

/*
 * Fan out one hub now if it is queued: before a knote joins it, so that
 * the new knote sees only what happens after it was registered.  kq->mtx
 * held.
 */
void kq_hub_flush(struct kq_hub *hub)
{
	struct kq *kq = hub->kq;
	bool queued;

	lockdep_assert_held(&kq->mtx);
	spin_lock_irq(&kq->lock);
	queued = !list_empty(&hub->qlink);
	if (queued) {
		kq_scan_begin_locked(kq);
		kq_hub_dequeue_locked(hub);
	}
	spin_unlock_irq(&kq->lock);
	if (!queued)
		return;
	hub->fanout(hub);
	spin_lock_irq(&kq->lock);
	kq_scan_end_locked(kq);
	spin_unlock_irq(&kq->lock);
}

/* Every queued hub, including those queued meanwhile.  kq->mtx held. */
void kq_hubs_fanout(struct kq *kq)
{
	struct kq_hub *hub;

	lockdep_assert_held(&kq->mtx);
	spin_lock_irq(&kq->lock);
	kq_scan_begin_locked(kq);
	for (;;) {
		hub = list_first_entry_or_null(&kq->hubq, struct kq_hub, qlink);
		if (!hub)
			break;
		kq_hub_dequeue_locked(hub);
		spin_unlock_irq(&kq->lock);
		hub->fanout(hub);
		cond_resched();
		spin_lock_irq(&kq->lock);
	}
	kq_scan_end_locked(kq);
	spin_unlock_irq(&kq->lock);
}
