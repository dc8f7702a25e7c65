// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptor filters (READ, WRITE, EMPTY, EXCEPT): knotes hang on the
 * file's poll wait queues the way epoll's items do.  The wait-queue
 * callback runs in atomic context with the source's queue lock held: it
 * only marks the knote active and queues it.  The condition and the data
 * are computed at harvest, in process context (kq_fd_data.c).  A plain
 * file has no wait queue: its EVFILT_READ knotes join the kqueue's hub on
 * the inode instead (kq_fsnotify.c), and kn->fd.pw is unused.
 */
#include <linux/slab.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/pipe_fs_i.h>
#include <net/sock.h>
#include <linux/fsnotify_backend.h>
#include "kq.h"
#include "kq_fd_data.h"

static struct kmem_cache *kq_pwq_cache;

struct kq_poll_table {
	poll_table pt;
	struct knote *kn;
	int error;			/* an extra wait entry failed */
};

int kq_fd_cache_init(void)
{
	kq_pwq_cache = KMEM_CACHE(kq_pollwait, SLAB_ACCOUNT);
	return kq_pwq_cache ? 0 : -ENOMEM;
}

void kq_fd_cache_exit(void)
{
	kmem_cache_destroy(kq_pwq_cache);
}

static int kq_poll_wake(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct kq_pollwait *pwq = container_of(wait, struct kq_pollwait, wait);
	struct knote *kn = wait->private;
	__poll_t mask = key_to_poll(key);

	if (!mask || (mask & (kq_fd_interest(kn->filter) | POLLFREE)))
		kq_knote_activate_from(kn, kn->defer_wake);

	if (mask & POLLFREE) {
		/*
		 * The head is about to be freed.  Unhook; once whead is NULL
		 * nothing protects pwq or the knote from kq_fd_detach().
		 */
		list_del_init(&wait->entry);
		/* pairs with smp_load_acquire() in kq_fd_detach() */
		smp_store_release(&pwq->whead, NULL);
	}
	return 0;
}

static void kq_ptable_queue_proc(struct file *file, wait_queue_head_t *whead,
				 poll_table *pt)
{
	struct kq_poll_table *kpt = container_of(pt, struct kq_poll_table, pt);
	struct knote *kn = kpt->kn;
	struct kq_pollwait *pwq = &kn->fd.pw;

	if (kpt->error)
		return;
	if (pwq->wait.func) {
		/* a second queue (rare): its own entry, chained after the first */
		pwq = kmem_cache_alloc(kq_pwq_cache, GFP_KERNEL_ACCOUNT);
		if (!pwq) {
			kpt->error = -ENOMEM;
			return;
		}
		pwq->next = kn->fd.pw.next;
		kn->fd.pw.next = pwq;
	}
	init_waitqueue_func_entry(&pwq->wait, kq_poll_wake);
	pwq->wait.private = kn;
	pwq->whead = whead;
	add_wait_queue(whead, &pwq->wait);
}

static void kq_fd_detach(struct knote *kn)
{
	struct kq_pollwait *pwq = &kn->fd.pw, *next;

	if (kn->fd.fsmark) {
		/* a plain file: kn->fd.pw is the hub's link instead */
		kq_fs_unwatch(kn);
		return;
	}
	for (; pwq; pwq = next) {
		wait_queue_head_t *whead;

		next = pwq->next;
		/* A POLLFREE wakeup may race with us: see kq_poll_wake(). */
		rcu_read_lock();
		/* pairs with smp_store_release() in kq_poll_wake() */
		whead = smp_load_acquire(&pwq->whead);
		if (whead)
			remove_wait_queue(whead, &pwq->wait);
		rcu_read_unlock();
		if (pwq != &kn->fd.pw)
			kmem_cache_free(kq_pwq_cache, pwq);
	}
	kn->fd.pw.next = NULL;
}

/*
 * Evaluate now, and queue for harvest only a condition that holds: a
 * kqueue's pending count (its own readability) then stays exact.
 */
static void kq_fd_recheck_mask(struct knote *kn, __poll_t mask)
{
	/* Darwin's readiness for a knote its calls registered */
	struct kq_kev tmp = { .probe = true, .darwin = kn->darwin };
	bool ready = kq_fd_ready(kn, mask, &tmp);

	spin_lock_irq(&kn->kq->lock);
	if (ready)
		kn->status |= KN_ACTIVE;
	else
		kn->status &= ~KN_ACTIVE;
	spin_unlock_irq(&kn->kq->lock);
	if (!ready && tmp.park)
		kq_knote_park(kn);
}

static void kq_fd_recheck(struct knote *kn)
{
	kq_fd_recheck_mask(kn, vfs_poll(kn->file, NULL));
}

static int kq_fd_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_poll_table kpt;
	__poll_t mask;
	int err;

	err = kq_fd_validate(kn->file, kev);
	if (err)
		return err;
	kn->defer_wake = kq_file_is_aggregator(kn->file);

	if (kq_is_kqueue_file(kn->file)) {
		/* FreeBSD: a kqueue only ever becomes readable */
		if (kn->filter != EVFILT_READ)
			return -EINVAL;
		err = kq_nest_attach(kn, kn->file->private_data);
		if (err)
			return err;
	}

	/*
	 * A regular file's growth is seen through fsnotify (kq_fsnotify.c):
	 * it has no ->poll, and no wait queue to hook.
	 */
	if (kq_is_plain_file(kn->file) && kn->filter == EVFILT_READ) {
		err = kq_fs_watch(kn, FS_MODIFY);
		if (err)
			return err;
		kq_fd_recheck(kn);
		return 0;
	}

	init_poll_funcptr(&kpt.pt, kq_ptable_queue_proc);
	/*
	 * BSD reports each new write (EV_CLEAR, data): since 7.0 a pipe wakes
	 * its readers on every write only for pollers that ask with EPOLLET.
	 */
	kpt.pt._key = kq_fd_interest(kn->filter) | EPOLLET;
	kpt.kn = kn;
	kpt.error = 0;
	mask = vfs_poll(kn->file, &kpt.pt);
	if (kpt.error) {
		err = kpt.error;
		kq_fd_detach(kn);
		goto err_nest;
	}
	/* the hooking poll's mask is current: no second ->poll */
	kq_fd_recheck_mask(kn, mask);
	return 0;

err_nest:
	if (kn->nest)
		kq_nest_detach(kn);
	return err;
}

static int kq_fd_modify(struct knote *kn, const struct kq_kev *kev)
{
	int err = kq_fd_validate(kn->file, kev);

	if (err)
		return err;
	kn->sfflags = kev->fflags;
	kn->sdata = kev->data;
	kq_fd_recheck(kn);
	return 0;
}

static bool kq_fd_event(struct knote *kn, struct kq_kev *out)
{
	__poll_t mask;

	/*
	 * KN_ACTIVE was cleared as the harvest took the knote
	 * (clear_at_harvest): a wakeup racing with this poll re-queues.
	 */
	mask = vfs_poll(kn->file, NULL);
	if (!kq_fd_ready(kn, mask, out)) {
		if (out->park)
			kq_knote_park(kn);
		return false;
	}
	/* Level-triggered: stays active, re-checked at the next harvest. */
	out->level = !(kn->flags & EV_CLEAR);
	return true;
}

#define KQ_FD_FILTER(var, fname)				\
const struct kq_filter var = {					\
	.name = fname, .isfd = true, .clear_at_harvest = true,	\
	.attach = kq_fd_attach, .detach = kq_fd_detach,		\
	.modify = kq_fd_modify, .event = kq_fd_event,		\
	.recheck = kq_fd_recheck,				\
}

KQ_FD_FILTER(kq_filter_read, "EVFILT_READ");
KQ_FD_FILTER(kq_filter_write, "EVFILT_WRITE");
KQ_FD_FILTER(kq_filter_empty, "EVFILT_EMPTY");
KQ_FD_FILTER(kq_filter_except, "EVFILT_EXCEPT");
