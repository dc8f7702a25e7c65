// SPDX-License-Identifier: GPL-2.0
/*
 * KQUEUE_CPONFORK (FreeBSD 15, kqueuex(2)): a fork(2) child finds, at the
 * descriptor of each such kqueue, a new kqueue holding a copy of every
 * knote that can be copied, with the parent's active events active in it
 * too.  Afterwards the two are independent.
 *
 * The copy must be the parent's state at the fork, and the child must
 * never see the parent's kqueue at that descriptor (it would get EBADF),
 * yet the fork tracepoint cannot sleep.  So the probe, in the parent's
 * fork(), queues two task_works:
 *  - on the parent, run before fork() returns to it, hence before it can
 *    harvest anything: it copies each flagged kqueue into a new file
 *    (kq_file_create), charged to the same user as the child's;
 *  - on the child, run before its first return to userland: it waits for
 *    the copies, then puts each at the descriptors that named the
 *    original (a dup()ed one at each of them), and owns them.
 * Threads (CLONE_FILES) share the table, hence the kqueue; vfork()
 * children, and so posix_spawn()'s (any CLONE_VM child), get nothing
 * (FreeBSD copies nothing for them either).  A parent stopped by a
 * tracer at the fork (PTRACE_EVENT_FORK) holds its child back until it
 * goes on.  A copy that fails for memory leaves out the knotes
 * it could not make, as FreeBSD does.
 *
 * Not copied: knotes on another kqueue or an epoll (their source is the
 * parent's; the child's descriptor will name a copy or nothing).
 *
 * Lock order: the owner's lock, the original's kq->mtx, the copy's
 * kq->mtx (nested).
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/tracepoint.h>
#include "kq.h"

/* kqueues with the flag: 0, and a fork pays one atomic read */
static atomic_t kq_cponfork_kqs = ATOMIC_INIT(0);
static struct tracepoint *kq_cponfork_tp;

struct kq_copy {
	struct kq *orig;		/* compared only */
	struct file *file;		/* the copy; our reference */
};

struct kq_fork {
	struct kq_each each;		/* kq_owner_visit_kqs() */
	refcount_t ref;
	struct completion copied;
	struct callback_head parent_cb, child_cb;
	struct pid *child;		/* its signals are the copies' */
	int ncopies, size;
	struct kq_copy *copies;
};

long kq_ioctl_set_flags(struct kq *kq, u32 __user *uarg)
{
	u32 flags;

	if (get_user(flags, uarg))
		return -EFAULT;
	if (flags & ~KQ_FLAGS_ALL)
		return -EINVAL;
	if (!kq_owner_is_current(kq))
		return -EBADF;
	mutex_lock(&kq->mtx);
	if (!!(flags & KQ_FLAG_CPONFORK) != kq->cponfork) {
		kq->cponfork = flags & KQ_FLAG_CPONFORK;
		if (kq->cponfork)
			atomic_inc(&kq_cponfork_kqs);
		else
			atomic_dec(&kq_cponfork_kqs);
	}
	mutex_unlock(&kq->mtx);
	return 0;
}

/* kq_release(): the flag counts no more. */
void kq_cponfork_release(struct kq *kq)
{
	if (kq->cponfork)
		atomic_dec(&kq_cponfork_kqs);
}

static void kq_fork_put(struct kq_fork *f)
{
	int i;

	if (!refcount_dec_and_test(&f->ref))
		return;
	for (i = 0; i < f->ncopies; i++)
		fput(f->copies[i].file);
	kfree(f->copies);
	put_pid(f->child);
	kfree(f);
}

/* One knote into @dst, with its state; both kq->mtx held. */
static void kq_copy_knote(struct kq *dst, struct knote *src, struct pid *child)
{
	struct kq_kev kev = {
		.ident = src->ident, .filter = src->filter,
		.flags = EV_ADD | (src->flags & (EV_ONESHOT | EV_CLEAR |
						 EV_DISPATCH | EV_RECEIPT |
						 EV_UDATA_SPECIFIC)),
		.fflags = src->sfflags, .data = src->sdata,
		.udata = src->udata, .darwin = src->darwin, .sigpid = child,
	};
	struct file *file = NULL;
	struct knote *kn;
	unsigned int status;

	if (src->file) {
		if (kq_file_is_aggregator(src->file))
			return;
		file = get_file(src->file);
	}
	if (src->x) {
		memcpy(kev.ext, src->x->ext, sizeof(kev.ext));
		kev.qos = src->x->qos;
	}
	spin_lock_irq(&src->kq->lock);
	status = src->status;
	spin_unlock_irq(&src->kq->lock);
	if (status & (KN_DETACHED | KN_DEFERDELETE))
		goto out;
	if (status & KN_DISABLED)
		kev.flags |= EV_DISABLE;
	if (kq_knote_add(dst, &kev, src->fop, &file, &kn))
		goto out;
	if (src->fop->copy)
		src->fop->copy(kn, src);
	/* the parent's active events are active in the copy */
	spin_lock_irq(&dst->lock);
	if (status & KN_ACTIVE)
		kn->status |= KN_ACTIVE;
	kn->forced = src->forced;
	spin_unlock_irq(&dst->lock);
	if (status & KN_ACTIVE) {
		spin_lock_irq(&dst->lock);
		kq_knote_queue_locked(kn);
		spin_unlock_irq(&dst->lock);
	}
out:
	if (file)
		fput(file);
}

/* A copy of @src as a new file, or an ERR_PTR.  May sleep. */
static struct file *kq_copy_kqueue(struct kq *src, struct pid *child)
{
	struct file *file = kq_file_create();
	struct hlist_node *tmp;
	struct knote *kn;
	struct kq *dst;
	unsigned int i;

	if (IS_ERR(file))
		return file;
	dst = file->private_data;
	dst->cponfork = true;
	atomic_inc(&kq_cponfork_kqs);
	mutex_lock(&src->mtx);
	/* what the hubs hold is the knotes' too */
	if (kq_hubs_queued(src))
		kq_hubs_fanout(src);
	mutex_lock_nested(&dst->mtx, SINGLE_DEPTH_NESTING);
	for (i = 0; i < (1U << src->hbits); i++) {
		hlist_for_each_entry_safe(kn, tmp, &src->table[i], hnode)
			kq_copy_knote(dst, kn, child);
		cond_resched();
	}
	mutex_unlock(&dst->mtx);
	mutex_unlock(&src->mtx);
	return file;
}

static void kq_fork_count(struct kq *kq, struct kq_each *each)
{
	struct kq_fork *f = container_of(each, struct kq_fork, each);

	if (kq->cponfork)
		f->size++;
}

static void kq_fork_copy_one(struct kq *kq, struct kq_each *each)
{
	struct kq_fork *f = container_of(each, struct kq_fork, each);
	struct file *file;

	if (!kq->cponfork || f->ncopies == f->size || READ_ONCE(kq->closing))
		return;
	file = kq_copy_kqueue(kq, f->child);
	if (IS_ERR(file))
		return;
	f->copies[f->ncopies].orig = kq;
	f->copies[f->ncopies].file = file;
	f->ncopies++;
}

/* In the parent, before fork() returns to it. */
static void kq_fork_copy_fn(struct callback_head *cb)
{
	struct kq_fork *f = container_of(cb, struct kq_fork, parent_cb);

	if (!(current->flags & PF_EXITING)) {
		f->each.fn = kq_fork_count;
		kq_owner_visit_kqs(current->files, &f->each);
		f->copies = kcalloc(f->size, sizeof(*f->copies),
				    GFP_KERNEL_ACCOUNT);
		f->each.fn = kq_fork_copy_one;
		if (f->copies)
			kq_owner_visit_kqs(current->files, &f->each);
	}
	complete_all(&f->copied);
	kq_fork_put(f);
	kq_cb_done();
}

/*
 * Take descriptor @fd for @file: the slot is freed and taken again; the
 * slots below it that are free are taken meanwhile (the table gives the
 * lowest), then given back.  The child runs nothing else yet.
 */
static int kq_fd_replace(unsigned int fd, struct file *file, bool cloexec)
{
	unsigned int flags = cloexec ? O_CLOEXEC : 0;
	int *held, n = 0, got, err = 0;

	held = kvmalloc_array(fd + 1, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	close_fd(fd);
	for (;;) {
		got = get_unused_fd_flags(flags);
		if (got < 0 || got >= fd) {
			err = got < 0 ? got : 0;
			break;
		}
		held[n++] = got;
	}
	if (got == fd)
		fd_install(fd, get_file(file));
	else if (got > (int)fd)
		put_unused_fd(got);	/* cannot happen: it was free */
	while (n--)
		put_unused_fd(held[n]);
	kvfree(held);
	return err;
}

/* The descriptors of the child's table that name @orig. */
static void kq_fork_install(struct kq_copy *c)
{
	struct files_struct *files = current->files;
	unsigned int fd, max;
	struct fdtable *fdt;
	struct file *file;
	bool cloexec;

	if (kq_owner_attach(c->file->private_data))
		return;
	for (fd = 0;; fd++) {
		rcu_read_lock();
		fdt = files_fdtable(files);
		max = fdt->max_fds;
		file = fd < max ? files_lookup_fd_raw(files, fd) : NULL;
		cloexec = fd < max && test_bit(fd, fdt->close_on_exec);
		rcu_read_unlock();
		if (fd >= max)
			break;
		if (file && kq_is_kqueue_file(file) &&
		    file->private_data == c->orig)
			kq_fd_replace(fd, c->file, cloexec);
	}
}

/* In the child, before its first return to userland. */
static void kq_fork_install_fn(struct callback_head *cb)
{
	struct kq_fork *f = container_of(cb, struct kq_fork, child_cb);
	int i;

	wait_for_completion(&f->copied);
	if (!(current->flags & PF_EXITING))
		for (i = 0; i < f->ncopies; i++)
			kq_fork_install(&f->copies[i]);
	kq_fork_put(f);
	kq_cb_done();
}

static void kq_cponfork_probe(void *data, struct task_struct *parent,
			      struct task_struct *child)
{
	struct kq_fork *f;

	if (likely(!atomic_read(&kq_cponfork_kqs)))
		return;
	/*
	 * Threads share the table.  A vfork() child (CLONE_VM; vfork_done
	 * is not set yet here) gets nothing: its parent waits for it to
	 * exec or exit before returning to userland, so the copy would
	 * never be made while the child waited for it.
	 */
	if (child->files == parent->files || child->mm == parent->mm ||
	    !thread_group_leader(child) || !kq_owner_exists(parent->files))
		return;
	f = kzalloc(sizeof(*f), GFP_ATOMIC);
	if (!f)
		return;
	refcount_set(&f->ref, 2);
	init_completion(&f->copied);
	f->child = get_pid(task_tgid(child));
	init_task_work(&f->parent_cb, kq_fork_copy_fn);
	init_task_work(&f->child_cb, kq_fork_install_fn);
	kq_cb_get();
	if (task_work_add(current, &f->parent_cb, TWA_RESUME)) {
		kq_cb_done();
		put_pid(f->child);
		kfree(f);
		return;
	}
	kq_cb_get();
	if (task_work_add(child, &f->child_cb, TWA_RESUME)) {
		kq_cb_done();
		kq_fork_put(f);
	}
}

int kq_cponfork_init(void)
{
	return kq_tp_register("sched_process_fork", kq_cponfork_probe,
			      &kq_cponfork_tp);
}

void kq_cponfork_exit(void)
{
	kq_tp_unregister(kq_cponfork_tp, kq_cponfork_probe);
	tracepoint_synchronize_unregister();
}
