// SPDX-License-Identifier: GPL-2.0
/*
 * Knotes: the per-kqueue table, allocation, activation and removal.
 *
 * A knote is keyed by (ident, filter), and by udata too when it has
 * EV_UDATA_SPECIFIC (Darwin).  Descriptor knotes are hashed by
 * their struct file, so that a close() of that file finds them in O(1)
 * (kq_close.c); the ident is compared too, because dup()ed descriptors
 * share a file but own separate knotes.  Other knotes hash by ident.
 * The table doubles when it gets dense; it is only touched under kq->mtx.
 */
#include <linux/slab.h>
#include <linux/hash.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/rcupdate.h>
#include "kq.h"

#define KQ_HBITS_MIN	4
#define KQ_HBITS_MAX	20

/*
 * Knotes by kind, each as long as the union member it uses: descriptor
 * filters (kn->fd, or kn->proc for a pidfd), timers (kn->timer, with its
 * struct hrtimer), the others (kn->user, kn->proc, kn->sig).
 */
/* kn->user, kn->proc, kn->sig: as long as the longest */
#define KQ_KNOTE_OTHER_SIZE	max3(offsetofend(struct knote, user),	\
				     offsetofend(struct knote, proc),	\
				     offsetofend(struct knote, sig))

/* What each costs its user (kq_uacct.c), known once the caches exist */
static size_t kq_knote_fd_bytes, kq_knote_timer_bytes, kq_knote_other_bytes,
	      kq_knote_ext_bytes;

static struct kmem_cache *kq_knote_fd_cache, *kq_knote_timer_cache,
			 *kq_knote_cache;

int kq_knote_cache_init(void)
{
	kq_knote_fd_cache = kmem_cache_create("kq_knote_fd",
					      offsetofend(struct knote, fd),
					      0, SLAB_ACCOUNT, NULL);
	kq_knote_timer_cache = kmem_cache_create("kq_knote_timer",
						 sizeof(struct knote), 0,
						 SLAB_ACCOUNT, NULL);
	kq_knote_cache = kmem_cache_create("kq_knote", KQ_KNOTE_OTHER_SIZE,
					   0, SLAB_ACCOUNT, NULL);
	if (kq_knote_fd_cache && kq_knote_timer_cache && kq_knote_cache) {
		kq_knote_fd_bytes = kmem_cache_size(kq_knote_fd_cache);
		kq_knote_timer_bytes = kmem_cache_size(kq_knote_timer_cache);
		kq_knote_other_bytes = kmem_cache_size(kq_knote_cache);
		kq_knote_ext_bytes =
			kmalloc_size_roundup(sizeof(struct kq_knote_ext));
		return 0;
	}
	kq_knote_cache_exit();
	return -ENOMEM;
}

void kq_knote_cache_exit(void)
{
	kmem_cache_destroy(kq_knote_cache);
	kmem_cache_destroy(kq_knote_timer_cache);
	kmem_cache_destroy(kq_knote_fd_cache);
}

static struct kmem_cache *kq_knote_cache_of(const struct kq_filter *fop)
{
	BUILD_BUG_ON(offsetofend(struct knote, proc) >
		     offsetofend(struct knote, fd));
	if (fop->isfd)
		return kq_knote_fd_cache;
	if (fop == &kq_filter_timer)
		return kq_knote_timer_cache;
	return kq_knote_cache;
}

/*
 * Descriptor knotes hash by file (kq_bucket_for_file), the others by key;
 * a udata-specific one's udata is part of that key.
 */
static u32 kq_key_hash(s16 filter, u64 ident, struct file *file, u16 flags,
		       u64 udata, unsigned int bits)
{
	u64 key = ident ^ ((u64)(u16)filter << 48);

	if (file)
		return hash_ptr(file, bits);
	if (flags & EV_UDATA_SPECIFIC)
		key ^= udata * GOLDEN_RATIO_64;
	return hash_64(key, bits);
}

int kq_table_init(struct kq *kq)
{
	kq->hbits = KQ_HBITS_MIN;
	kq->table = kvcalloc(1U << kq->hbits, sizeof(*kq->table),
			     GFP_KERNEL_ACCOUNT);
	return kq->table ? 0 : -ENOMEM;
}

void kq_table_free(struct kq *kq)
{
	kvfree(kq->table);
	kq->table = NULL;
}

static struct hlist_head *kq_bucket(struct kq *kq, struct knote *kn)
{
	return &kq->table[kq_key_hash(kn->filter, kn->ident, kn->file,
				      kn->flags, kn->udata, kq->hbits)];
}

struct hlist_head *kq_bucket_for_file(struct kq *kq, struct file *file)
{
	return &kq->table[hash_ptr(file, kq->hbits)];
}

/* Grow the table; on allocation failure keep the old one (still correct). */
static void kq_table_grow(struct kq *kq)
{
	unsigned int bits = kq->hbits + 1, i;
	struct hlist_head *old = kq->table, *new;
	struct hlist_node *tmp;
	struct knote *kn;

	if (bits > KQ_HBITS_MAX)
		return;
	new = kvcalloc(1U << bits, sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return;
	kq->table = new;
	kq->hbits = bits;
	for (i = 0; i < (1U << (bits - 1)); i++)
		hlist_for_each_entry_safe(kn, tmp, &old[i], hnode) {
			hlist_del(&kn->hnode);
			hlist_add_head(&kn->hnode, kq_bucket(kq, kn));
		}
	kvfree(old);
}

/*
 * The knote a change with @flags names: a udata-specific change matches
 * only a udata-specific knote with the same udata, any other change only a
 * knote that is not.  The usual lookup costs one more comparison.
 */
struct knote *kq_knote_find(struct kq *kq, s16 filter, u64 ident,
			    struct file *file, u16 flags, u64 udata)
{
	u16 specific = flags & EV_UDATA_SPECIFIC;
	struct knote *kn;
	u32 h = kq_key_hash(filter, ident, file, flags, udata, kq->hbits);

	lockdep_assert_held(&kq->mtx);
	hlist_for_each_entry(kn, &kq->table[h], hnode)
		if (kn->filter == filter && kn->ident == ident &&
		    kn->file == file &&
		    (kn->flags & EV_UDATA_SPECIFIC) == specific &&
		    (!specific || kn->udata == udata))
			return kn;
	return NULL;
}

/* ext[] and qos out of line, only when some are set: most records have none */
static int kq_knote_set_ext(struct knote *kn, const u64 *ext, s32 qos,
			    gfp_t gfp)
{
	if (!qos && !memchr_inv(ext, 0, sizeof(kn->x->ext)))
		return 0;
	kn->x = kmalloc(sizeof(*kn->x), gfp);
	if (!kn->x)
		return -ENOMEM;
	memcpy(kn->x->ext, ext, sizeof(kn->x->ext));
	kn->x->qos = qos;
	return 0;
}

/* What a knote costs its user: its slab object and its ext block. */
static size_t kq_knote_bytes(const struct kq_filter *fop, bool ext)
{
	size_t bytes = fop->isfd ? kq_knote_fd_bytes :
		       fop == &kq_filter_timer ? kq_knote_timer_bytes :
		       kq_knote_other_bytes;

	return bytes + (ext ? kq_knote_ext_bytes : 0);
}

struct knote *kq_knote_alloc(struct kq *kq, const struct kq_kev *kev,
			     const struct kq_filter *fop, struct file *file)
{
	struct knote *kn;

	lockdep_assert_held(&kq->mtx);
	if (!kq_uacct_charge(kq->uacct))
		return NULL;
	if (!kq_credit_take(kq, kq_knote_bytes(fop, false)))
		goto err_uncharge;
	kn = kmem_cache_zalloc(kq_knote_cache_of(fop), GFP_KERNEL_ACCOUNT);
	if (!kn)
		goto err_credit;
	if (kq_knote_set_ext(kn, kev->ext, kev->qos, GFP_KERNEL_ACCOUNT))
		goto err_free;
	if (kn->x && !kq_credit_take(kq, kq_knote_ext_bytes)) {
		kfree(kn->x);
		goto err_free;
	}
	kn->kq = kq;
	kn->fop = fop;
	kn->ident = kev->ident;
	kn->filter = kev->filter;
	kn->udata = kev->udata;
	kn->sfflags = kev->fflags;
	kn->sdata = kev->data;
	kn->darwin = kev->darwin;
	kn->flags = kev->flags & (EV_ONESHOT | EV_CLEAR | EV_DISPATCH |
				  EV_RECEIPT | EV_UDATA_SPECIFIC);
	INIT_LIST_HEAD(&kn->alink);
	kn->file = file;	/* the caller's reference, now the knote's */
	atomic_inc(&kq_live_knotes);
	return kn;

err_free:
	kmem_cache_free(kq_knote_cache_of(fop), kn);
err_credit:
	kq_credit_give(kq, kq_knote_bytes(fop, false));
err_uncharge:
	kq_uacct_uncharge(kq->uacct);
	return NULL;
}

/* Free a knote that was never attached or inserted.  kq->mtx held. */
void kq_knote_free(struct knote *kn)
{
	size_t bytes = kq_knote_bytes(kn->fop, false);

	if (kn->file)
		fput(kn->file);
	if (kn->x) {	/* rare: the usual knote pays no kfree() call */
		bytes += kq_knote_ext_bytes;
		kfree(kn->x);
	}
	kq_credit_give(kn->kq, bytes);
	kq_uacct_uncharge(kn->kq->uacct);
	atomic_dec(&kq_live_knotes);
	kmem_cache_free(kq_knote_cache_of(kn->fop), kn);
}

void kq_knote_insert(struct kq *kq, struct knote *kn)
{
	lockdep_assert_held(&kq->mtx);
	if (kq->nknotes >= (2U << kq->hbits))
		kq_table_grow(kq);
	hlist_add_head(&kn->hnode, kq_bucket(kq, kn));
	kq->nknotes++;
	if (kn->file)
		kq_owner_fd_knote(kq, 1);
}

/*
 * Queue an enabled knote for harvest and wake kevent() sleepers; kq->lock
 * held.  Returns true when the knote was newly queued.
 */
bool kq_knote_queue_locked(struct knote *kn)
{
	struct kq *kq = kn->kq;

	lockdep_assert_held(&kq->lock);
	if (kn->status & (KN_QUEUED | KN_DISABLED | KN_DETACHED))
		return false;
	if (kn->status & KN_PARKED) {
		list_del_init(&kn->alink);
		kn->status &= ~KN_PARKED;
	}
	kn->status |= KN_QUEUED;
	list_add_tail(&kn->alink, &kq->active);
	kq->nactive++;
	/* pairs with prepare_to_wait() in kq_wait(): as epoll, no wq lock */
	if (wq_has_sleeper(&kq->wq))
		wake_up(&kq->wq);
	return true;
}

/*
 * Park a knote whose condition is false and whose source will not wake us
 * when it turns true (a unix stream socket's own connect() wakes nobody):
 * every kevent() call re-checks it.  kq->mtx held.
 */
void kq_knote_park(struct knote *kn)
{
	struct kq *kq = kn->kq;

	spin_lock_irq(&kq->lock);
	if (!(kn->status & (KN_QUEUED | KN_PARKED | KN_DISABLED |
			    KN_DETACHED))) {
		kn->status |= KN_PARKED;
		list_add_tail(&kn->alink, &kq->parked);
	}
	spin_unlock_irq(&kq->lock);
}

/*
 * kq->mtx held.  Knotes stay KN_PARKED until popped, so a wakeup racing
 * with us moves them to the active queue cleanly (kq_knote_queue_locked).
 */
void kq_recheck_parked(struct kq *kq)
{
	LIST_HEAD(list);
	struct knote *kn;
	bool queued = false;

	spin_lock_irq(&kq->lock);
	kq_scan_begin_locked(kq);
	list_splice_init(&kq->parked, &list);
	spin_unlock_irq(&kq->lock);

	for (;;) {
		spin_lock_irq(&kq->lock);
		kn = list_first_entry_or_null(&list, struct knote, alink);
		if (kn)
			kq_knote_dequeue_locked(kn);
		else
			kq_scan_end_locked(kq);
		spin_unlock_irq(&kq->lock);
		if (!kn)
			break;
		kn->fop->recheck(kn);
		spin_lock_irq(&kq->lock);
		if (kn->status & KN_ACTIVE)
			queued |= kq_knote_queue_locked(kn);
		spin_unlock_irq(&kq->lock);
	}
	if (queued)
		kq_wake_pollers(kq);
}

/*
 * Mark a knote active and queue it.  Safe from any context, including
 * wait-queue callbacks and hrtimers: it only marks, queues and wakes.
 */
void kq_knote_activate_from(struct knote *kn, bool deferred)
{
	struct kq *kq = kn->kq;
	unsigned long flags;
	bool queued;

	spin_lock_irqsave(&kq->lock, flags);
	kn->status |= KN_ACTIVE;
	queued = kq_knote_queue_locked(kn);
	spin_unlock_irqrestore(&kq->lock, flags);
	if (!queued)
		return;
	if (deferred)
		kq_wake_pollers_deferred(kq);
	else
		kq_wake_pollers(kq);
}

void kq_knote_activate(struct knote *kn)
{
	kq_knote_activate_from(kn, false);
}

/*
 * Detach and free a knote.  kq->mtx held.  After fop->detach returns no
 * callback can reach the knote any more, so it can be freed at once.
 */
void kq_knote_drop(struct knote *kn)
{
	struct kq *kq = kn->kq;

	lockdep_assert_held(&kq->mtx);
	spin_lock_irq(&kq->lock);
	kn->status |= KN_DETACHED;
	kq_knote_dequeue_locked(kn);
	spin_unlock_irq(&kq->lock);

	kn->fop->detach(kn);
	if (kn->nest)
		kq_nest_detach(kn);
	hlist_del(&kn->hnode);
	kq->nknotes--;
	if (kn->file)
		kq_owner_fd_knote(kq, -1);
	kq_knote_free(kn);
}

/* Drop every knote.  kq->mtx held. */
void kq_knote_drop_all(struct kq *kq)
{
	struct hlist_node *tmp;
	struct knote *kn;
	unsigned int i;

	for (i = 0; i < (1U << kq->hbits); i++)
		hlist_for_each_entry_safe(kn, tmp, &kq->table[i], hnode)
			kq_knote_drop(kn);
}

/*
 * The descriptor table of @files no longer maps some fd to @file: drop
 * this kqueue's knotes whose ident no longer names their file.  kq->mtx
 * held; @files must be alive (the caller is a task using it).
 */
void kq_drop_file_knotes(struct kq *kq, struct files_struct *files,
			 struct file *file)
{
	struct hlist_node *tmp;
	struct knote *kn;

	hlist_for_each_entry_safe(kn, tmp, kq_bucket_for_file(kq, file),
				  hnode)
		if (kn->file == file && !kq_knote_fd_current(kn, files))
			kq_knote_drop(kn);
}

/*
 * Without the close probe (close_probe=0, or no probe point on this
 * kernel) a closed descriptor's knote would hold its file until the
 * kqueue goes: each kevent() call looks for such knotes, at most once a
 * second.  Called by the owner, whose descriptor table is current.
 */
void kq_drop_closed_fd_knotes(struct kq *kq)
{
	struct hlist_node *tmp;
	struct knote *kn;
	unsigned int i;

	if (time_before(jiffies, READ_ONCE(kq->closed_scan_at)))
		return;
	mutex_lock(&kq->mtx);
	WRITE_ONCE(kq->closed_scan_at, jiffies + HZ);
	for (i = 0; i < (1U << kq->hbits); i++) {
		hlist_for_each_entry_safe(kn, tmp, &kq->table[i], hnode)
			if (kn->file &&
			    !kq_knote_fd_current(kn, current->files))
				kq_knote_drop(kn);
		cond_resched();
	}
	mutex_unlock(&kq->mtx);
}
