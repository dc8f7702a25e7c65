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
	bool parent;			/* on the parent of a watched directory */
};

static struct fsnotify_group *kq_fs_group;

static int kq_fs_event(struct fsnotify_mark *mark, u32 mask,
		       struct inode *inode, struct inode *dir,
		       const struct qstr *name, u32 cookie)
{
	struct kq_fsmark *m = container_of(mark, struct kq_fsmark, mark);
	struct knote *kn;

	spin_lock(&m->lock);
	kn = m->kn;
	if (!kn)
		goto out;
	if (m->parent) {
		/* rmdir tells only the parent: is it our directory? */
		if ((mask & FS_DELETE) && inode == file_inode(kn->file))
			kq_vnode_event(kn, FS_DELETE_SELF);
	} else if (kn->filter == EVFILT_VNODE) {
		kq_vnode_event(kn, mask);
	} else {
		kq_knote_activate(kn);
	}
out:
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

/* A mark on @inode whose events go to @kn; NULL with *err set on failure. */
struct kq_fsmark *kq_fs_mark(struct knote *kn, struct inode *inode, u32 mask,
			     bool parent, int *err)
{
	struct kq_fsmark *m;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	spin_lock_init(&m->lock);
	m->kn = kn;
	m->parent = parent;
	fsnotify_init_mark(&m->mark, kq_fs_group);
	m->mark.mask = mask;
	*err = fsnotify_add_inode_mark(&m->mark, inode, 0);
	if (*err) {
		fsnotify_put_mark(&m->mark);
		return NULL;
	}
	return m;
}

void kq_fs_unmark(struct kq_fsmark *m)
{
	if (!m)
		return;
	spin_lock(&m->lock);
	m->kn = NULL;
	spin_unlock(&m->lock);
	fsnotify_destroy_mark(&m->mark, kq_fs_group);
	fsnotify_put_mark(&m->mark);
}

int kq_fs_watch(struct knote *kn, u32 mask)
{
	int err;

	kn->fd.fsmark = kq_fs_mark(kn, file_inode(kn->file), mask, false,
				   &err);
	return kn->fd.fsmark ? 0 : err;
}

void kq_fs_unwatch(struct knote *kn)
{
	kq_fs_unmark(kn->fd.fsmark);
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
