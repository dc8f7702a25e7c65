// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_VNODE on fsnotify marks (kq_fsnotify.c): one mark per knote, in
 * the module's own fsnotify group, so inotify's per-user limits do not
 * apply.  The handler runs in the context of the task changing the file;
 * it translates the fsnotify event to NOTE_* bits, accumulates them and
 * queues the knote.
 *
 * Directories follow the BSD rules: any entry created, removed or renamed
 * is NOTE_WRITE; a subdirectory created, removed or moved in or out
 * changes the link count (NOTE_LINK); a move across directories is
 * NOTE_EXTEND.  fsnotify reports FS_RENAME to the old directory only for a
 * rename within one directory, and before FS_MOVED_FROM/TO: that tells
 * the two apart.
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/magic.h>
#include <linux/fsnotify_backend.h>
#include "kq.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC	0x50494446	/* pidfs, 6.9+ */
#endif

#define KQ_VNODE_FFLAGS	(NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | \
			 NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME | NOTE_REVOKE | \
			 NOTE_TRUNCATE | NOTE_OPEN | NOTE_CLOSE | \
			 NOTE_CLOSE_WRITE | NOTE_READ)

#define KQ_VNODE_FSMASK	(FS_MODIFY | FS_ATTRIB | FS_DELETE_SELF | \
			 FS_MOVE_SELF | FS_UNMOUNT | FS_OPEN | FS_ACCESS | \
			 FS_CLOSE_WRITE | FS_CLOSE_NOWRITE | FS_CREATE | \
			 FS_DELETE | FS_MOVED_FROM | FS_MOVED_TO | FS_RENAME)

static u32 kq_vnode_dir_notes(struct knote *kn, u32 mask)
{
	bool isdir = mask & FS_ISDIR;
	u32 note = 0;

	if (mask & FS_RENAME)
		kn->fd.vn.within = true;
	if (mask & (FS_CREATE | FS_DELETE))
		note |= NOTE_WRITE | (isdir ? NOTE_LINK : 0);
	if (mask & (FS_MOVED_FROM | FS_MOVED_TO)) {
		note |= NOTE_WRITE;
		if (!kn->fd.vn.within)
			note |= NOTE_EXTEND | (isdir ? NOTE_LINK : 0);
		if (mask & FS_MOVED_TO)
			kn->fd.vn.within = false;
	}
	return note;
}

static u32 kq_vnode_notes(struct knote *kn, u32 mask, struct inode *inode)
{
	u32 note = kq_vnode_dir_notes(kn, mask);

	if (mask & FS_MODIFY) {
		loff_t size = i_size_read(inode);

		note |= NOTE_WRITE;
		if (size > kn->fd.vn.size)
			note |= NOTE_EXTEND;
		else if (size < kn->fd.vn.size)
			note |= NOTE_TRUNCATE;
		kn->fd.vn.size = size;
	}
	if (mask & FS_ATTRIB) {
		unsigned int nlink = READ_ONCE(inode->i_nlink);

		/* FreeBSD: link() is NOTE_LINK, any unlink() NOTE_DELETE */
		if (nlink > kn->fd.vn.nlink)
			note |= NOTE_LINK;
		else if (nlink < kn->fd.vn.nlink)
			note |= NOTE_DELETE;
		else
			note |= NOTE_ATTRIB;
		kn->fd.vn.nlink = nlink;
	}
	if (mask & FS_DELETE_SELF)
		note |= NOTE_DELETE;
	if (mask & FS_MOVE_SELF)
		note |= NOTE_RENAME;
	if (mask & FS_UNMOUNT)
		note |= NOTE_REVOKE;
	if (mask & FS_OPEN)
		note |= NOTE_OPEN;
	if (mask & FS_CLOSE_NOWRITE)
		note |= NOTE_CLOSE;
	if (mask & FS_CLOSE_WRITE)
		note |= NOTE_CLOSE_WRITE;
	if (mask & FS_ACCESS)
		note |= NOTE_READ;
	return note;
}

/* fsnotify handler, under the mark's lock: translate and queue. */
void kq_vnode_event(struct knote *kn, u32 mask)
{
	struct inode *inode = file_inode(kn->file);
	unsigned long flags;
	u32 note;

	spin_lock_irqsave(&kn->kq->lock, flags);
	note = kq_vnode_notes(kn, mask, inode);
	/* BSD: any asked-for bit posts the whole hint (NOTE_WRITE|NOTE_EXTEND) */
	if (!(note & kn->sfflags))
		note = 0;
	kn->fd.vn.fflags |= note;
	spin_unlock_irqrestore(&kn->kq->lock, flags);
	if (note)
		kq_knote_activate(kn);
}

/*
 * Conditions no fsnotify event announces: a lazily unmounted file system
 * (its superblock, and FS_UNMOUNT, wait for the last open file) is
 * NOTE_REVOKE, a removed directory NOTE_DELETE.  Such knotes stay parked
 * and are looked at by every kevent() call.  kq->mtx held.
 */
static void kq_vnode_recheck(struct knote *kn)
{
	u32 note = 0;

	if (kn->fd.vn.gone)
		return;
	if ((kn->sfflags & NOTE_REVOKE) &&
	    (READ_ONCE(kn->file->f_path.mnt->mnt_flags) & MNT_UMOUNT))
		note |= NOTE_REVOKE;
	if ((kn->sfflags & NOTE_DELETE) && IS_DEADDIR(file_inode(kn->file)))
		note |= NOTE_DELETE;
	if (note) {
		spin_lock_irq(&kn->kq->lock);
		kn->fd.vn.fflags |= note;
		kn->fd.vn.gone = true;
		kn->status |= KN_ACTIVE;
		spin_unlock_irq(&kn->kq->lock);
	} else if (kn->sfflags & (NOTE_REVOKE | NOTE_DELETE)) {
		kq_knote_park(kn);
	}
}

/*
 * Linux tells a removed directory nothing while it is open: only its
 * parent sees FS_DELETE.  Watch the parent too; after the directory moves
 * the mark follows it at the next harvest.  Best effort: without the mark
 * only NOTE_DELETE of a removed directory is missed.
 */
static void kq_vnode_mark_parent(struct knote *kn)
{
	struct dentry *parent = dget_parent(kn->file->f_path.dentry);
	int err;

	kq_fs_unmark(kn->fd.vn.pmark);
	kn->fd.vn.pmark = NULL;
	if (parent != kn->file->f_path.dentry && d_inode(parent))
		kn->fd.vn.pmark = kq_fs_mark(kn, d_inode(parent), FS_DELETE,
					     true, &err);
	dput(parent);
}

static int kq_vnode_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct inode *inode = file_inode(kn->file);
	int err;

	switch (inode->i_sb->s_magic) {
	case SOCKFS_MAGIC:
	case PIPEFS_MAGIC:
	case ANON_INODE_FS_MAGIC:
	case PID_FS_MAGIC:	/* pidfds: anonymous inodes before 6.9 */
		return -EINVAL;
	}
	/*
	 * inotify's rule: watching a file needs read permission on it.  A
	 * write-only descriptor would otherwise show another user's opens,
	 * reads and closes.
	 */
	err = path_permission(&kn->file->f_path, MAY_READ);
	if (err)
		return err;
	kn->sfflags &= KQ_VNODE_FFLAGS;
	kn->fd.vn.size = i_size_read(inode);
	kn->fd.vn.nlink = READ_ONCE(inode->i_nlink);
	err = kq_fs_watch(kn, KQ_VNODE_FSMASK);
	if (err)
		return err;
	if (S_ISDIR(inode->i_mode))
		kq_vnode_mark_parent(kn);
	kq_vnode_recheck(kn);
	return 0;
}

static void kq_vnode_detach(struct knote *kn)
{
	kq_fs_unwatch(kn);
	kq_fs_unmark(kn->fd.vn.pmark);
	kn->fd.vn.pmark = NULL;
}

static int kq_vnode_modify(struct knote *kn, const struct kq_kev *kev)
{
	kn->sfflags = kev->fflags & KQ_VNODE_FFLAGS;
	kq_vnode_recheck(kn);
	return 0;
}

/* fflags accumulate until delivered; only EV_CLEAR resets them (BSD). */
static bool kq_vnode_event_harvest(struct knote *kn, struct kq_kev *out)
{
	bool ready;

	spin_lock_irq(&kn->kq->lock);
	out->fflags = kn->fd.vn.fflags;
	ready = out->fflags != 0;
	if (out->fflags & NOTE_REVOKE)
		out->flags |= EV_EOF;
	if (!ready || (kn->flags & EV_CLEAR)) {
		kn->fd.vn.fflags = 0;
		kn->status &= ~KN_ACTIVE;
	}
	spin_unlock_irq(&kn->kq->lock);
	if ((out->fflags & NOTE_RENAME) && kn->fd.vn.pmark)
		kq_vnode_mark_parent(kn);
	kq_vnode_recheck(kn);
	return ready;
}

const struct kq_filter kq_filter_vnode = {
	.name = "EVFILT_VNODE", .isfd = true,
	.attach = kq_vnode_attach, .detach = kq_vnode_detach,
	.modify = kq_vnode_modify, .event = kq_vnode_event_harvest,
	.recheck = kq_vnode_recheck,
};
