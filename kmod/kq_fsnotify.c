// SPDX-License-Identifier: GPL-2.0
/*
 * fsnotify marks: EVFILT_VNODE (kq_vnode.c), and wakeups for regular
 * files.  A regular file has no poll wait queue, yet BSD's EVFILT_READ on
 * it fires again when the file grows past the read offset: an FS_MODIFY
 * mark plays the wait queue's part, and its handler only queues.
 *
 * The handler may run while the knote is being dropped: m->lock and the
 * NULLed m->kn keep it from touching a freed knote; the mark itself is
 * freed by fsnotify after its SRCU grace period (kq_fs_free_mark).
 */
#include <linux/fsnotify_backend.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include "kq.h"

struct kq_fsmark {
	struct fsnotify_mark mark;
	spinlock_t lock;		/* kn against a racing handler */
	struct knote *kn;
};

static struct fsnotify_group *kq_fs_group;

static int kq_fs_event(struct fsnotify_mark *mark, u32 mask,
		       struct inode *inode, struct inode *dir,
		       const struct qstr *name, u32 cookie)
{
	struct kq_fsmark *m = container_of(mark, struct kq_fsmark, mark);

	spin_lock(&m->lock);
	if (m->kn && m->kn->filter == EVFILT_VNODE)
		kq_vnode_event(m->kn, mask);
	else if (m->kn)
		kq_knote_activate(m->kn);
	spin_unlock(&m->lock);
	return 0;
}

static void kq_fs_free_mark(struct fsnotify_mark *mark)
{
	kfree(container_of(mark, struct kq_fsmark, mark));
}

static const struct fsnotify_ops kq_fs_ops = {
	.handle_inode_event = kq_fs_event,
	.free_mark = kq_fs_free_mark,
};

int kq_fs_watch(struct knote *kn, u32 mask)
{
	struct kq_fsmark *m;
	int err;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	spin_lock_init(&m->lock);
	m->kn = kn;
	fsnotify_init_mark(&m->mark, kq_fs_group);
	m->mark.mask = mask;
	err = fsnotify_add_inode_mark(&m->mark, file_inode(kn->file), 0);
	if (err) {
		fsnotify_put_mark(&m->mark);
		return err;
	}
	kn->fd.fsmark = m;
	return 0;
}

void kq_fs_unwatch(struct knote *kn)
{
	struct kq_fsmark *m = kn->fd.fsmark;

	if (!m)
		return;
	spin_lock(&m->lock);
	m->kn = NULL;
	spin_unlock(&m->lock);
	fsnotify_destroy_mark(&m->mark, kq_fs_group);
	fsnotify_put_mark(&m->mark);
	kn->fd.fsmark = NULL;
}

int kq_fs_init(void)
{
	kq_fs_group = fsnotify_alloc_group(&kq_fs_ops, FSNOTIFY_GROUP_DUPS);
	return IS_ERR(kq_fs_group) ? PTR_ERR(kq_fs_group) : 0;
}

void kq_fs_exit(void)
{
	/* every mark is destroyed; wait until fsnotify has freed them */
	fsnotify_wait_marks_destroyed();
	fsnotify_put_group(kq_fs_group);
}
