// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_VNODE on fsnotify (kq_fsnotify.c): one mark per kqueue and
 * inode, a hub, in the module's own fsnotify group, so inotify's per-user
 * limits do not apply.  A knote asks for the FS_* events its fflags need
 * (kq_vnode_fsmask()).  The handler, in the context of the task changing
 * the file, records each event in the hub as hints (kq_vnode_record());
 * the owner's kevent() gives each knote the NOTE_* bits it asked for
 * (kq_vnode_fan()).
 *
 * Directories follow the BSD rules: any entry created, removed or renamed
 * is NOTE_WRITE; a subdirectory created, removed or moved in or out
 * changes the link count (NOTE_LINK); a move across directories is
 * NOTE_EXTEND.  fsnotify reports FS_RENAME to the old directory only for a
 * rename within one directory, and before FS_MOVED_FROM/TO, all of them
 * naming the moved inode: that tells the two apart.  Renames in one
 * directory are serialized by its lock, so the hub keeps the inode being
 * renamed within it between those events (within).
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/magic.h>
#include <linux/fsnotify_backend.h>
#include "kq_fsnotify.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC	0x50494446	/* pidfs, 6.9+ */
#endif

#define KQ_VNODE_FFLAGS	(NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | \
			 NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME | NOTE_REVOKE | \
			 NOTE_TRUNCATE | NOTE_OPEN | NOTE_CLOSE | \
			 NOTE_CLOSE_WRITE | NOTE_READ)

/* a move, and whether it stays in the directory */
#define KQ_FS_MOVES	(FS_MOVED_FROM | FS_MOVED_TO | FS_RENAME)

/* The FS_* events whose hints may hold a bit of @fflags. */
static u32 kq_vnode_fsmask(u32 fflags, bool isdir)
{
	u32 mask = 0;

	if (fflags & (NOTE_WRITE | NOTE_EXTEND | NOTE_TRUNCATE))
		mask |= FS_MODIFY;
	if (fflags & (NOTE_ATTRIB | NOTE_LINK | NOTE_DELETE))
		mask |= FS_ATTRIB;
	if (fflags & NOTE_DELETE)
		mask |= FS_DELETE_SELF;
	if (fflags & NOTE_RENAME)
		mask |= FS_MOVE_SELF;
	if (fflags & NOTE_REVOKE)
		mask |= FS_UNMOUNT;
	if (fflags & NOTE_OPEN)
		mask |= FS_OPEN;
	if (fflags & NOTE_CLOSE)
		mask |= FS_CLOSE_NOWRITE;
	if (fflags & NOTE_CLOSE_WRITE)
		mask |= FS_CLOSE_WRITE;
	if (fflags & NOTE_READ)
		mask |= FS_ACCESS;
	if (!isdir)
		return mask;
	if (fflags & (NOTE_WRITE | NOTE_LINK))
		mask |= FS_CREATE | FS_DELETE;
	if (fflags & (NOTE_WRITE | NOTE_EXTEND | NOTE_LINK))
		mask |= KQ_FS_MOVES;
	return mask;
}

/* FreeBSD: link() is NOTE_LINK, any unlink() NOTE_DELETE */
static u32 kq_vnode_nlink_note(unsigned int nlink, unsigned int was)
{
	if (nlink > was)
		return NOTE_LINK;
	if (nlink < was)
		return NOTE_DELETE;
	return NOTE_ATTRIB;
}

/*
 * fsnotify handler, kq->lock held: one event on @self (@inode: the entry
 * a directory event is about) into the hub's hints.
 */
void kq_vnode_record(struct kq_fs_pend *p, struct inode **within,
		     struct inode *self, u32 mask, struct inode *inode)
{
	bool isdir = mask & FS_ISDIR;

	if (mask & FS_RENAME)
		*within = inode;
	if (mask & (FS_CREATE | FS_DELETE)) {
		if (isdir)
			p->hints |= BIT(KQ_HINT_WL);
		else
			p->notes |= NOTE_WRITE;
	}
	if (mask & (FS_MOVED_FROM | FS_MOVED_TO)) {
		if (*within && *within == inode)
			p->notes |= NOTE_WRITE;
		else
			p->hints |= BIT(isdir ? KQ_HINT_WEL : KQ_HINT_WE);
		if (mask & FS_MOVED_TO)
			*within = NULL;
	}
	if (mask & FS_MODIFY) {
		loff_t size = i_size_read(self);

		if (!p->modified) {
			p->modified = true;
			p->size = size;		/* each knote's own compare */
		} else if (size > p->last_size) {
			p->hints |= BIT(KQ_HINT_WE);
		} else if (size < p->last_size) {
			p->hints |= BIT(KQ_HINT_WT);
		} else {
			p->notes |= NOTE_WRITE;
		}
		p->last_size = size;
	}
	if (mask & FS_ATTRIB) {
		unsigned int nlink = READ_ONCE(self->i_nlink);

		if (!p->attrib) {
			p->attrib = true;
			p->nlink = nlink;	/* each knote's own compare */
		} else {
			p->notes |= kq_vnode_nlink_note(nlink, p->last_nlink);
		}
		p->last_nlink = nlink;
	}
	if (mask & FS_DELETE_SELF)
		p->notes |= NOTE_DELETE;
	if (mask & FS_MOVE_SELF)
		p->notes |= NOTE_RENAME;
	if (mask & FS_UNMOUNT)
		p->notes |= NOTE_REVOKE;
	if (mask & FS_OPEN)
		p->notes |= NOTE_OPEN;
	if (mask & FS_CLOSE_NOWRITE)
		p->notes |= NOTE_CLOSE;
	if (mask & FS_CLOSE_WRITE)
		p->notes |= NOTE_CLOSE_WRITE;
	if (mask & FS_ACCESS)
		p->notes |= NOTE_READ;
}

/*
 * The fan-out, kq->mtx held: the notes @kn gets from @p.  BSD posts a
 * hint whole when any asked-for bit is in it (NOTE_WRITE|NOTE_EXTEND).
 */
u32 kq_vnode_fan(struct knote *kn, const struct kq_fs_pend *p)
{
	static const u32 hint[KQ_NHINTS] = {
		[KQ_HINT_WL] = NOTE_WRITE | NOTE_LINK,
		[KQ_HINT_WE] = NOTE_WRITE | NOTE_EXTEND,
		[KQ_HINT_WEL] = NOTE_WRITE | NOTE_EXTEND | NOTE_LINK,
		[KQ_HINT_WT] = NOTE_WRITE | NOTE_TRUNCATE,
	};
	u32 want = kn->sfflags, note = p->notes & want, h;
	unsigned int i;

	for (i = 0; i < KQ_NHINTS; i++)
		if ((p->hints & BIT(i)) && (hint[i] & want))
			note |= hint[i];
	if (p->modified) {
		h = NOTE_WRITE;
		if (p->size > kn->fd.vn.size)
			h |= NOTE_EXTEND;
		else if (p->size < kn->fd.vn.size)
			h |= NOTE_TRUNCATE;
		if (h & want)
			note |= h;
		kn->fd.vn.size = p->last_size;
	}
	if (p->attrib) {
		note |= kq_vnode_nlink_note(p->nlink, kn->fd.vn.nlink) & want;
		kn->fd.vn.nlink = p->last_nlink;
	}
	return note;
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
	err = kq_fs_watch(kn, kq_vnode_fsmask(kn->sfflags,
					      S_ISDIR(kq_inode_type(inode))));
	if (err)
		return err;
	kq_vnode_recheck(kn);
	return 0;
}

static void kq_vnode_detach(struct knote *kn)
{
	kq_fs_unwatch(kn);
}

static int kq_vnode_modify(struct knote *kn, const struct kq_kev *kev)
{
	struct inode *inode = file_inode(kn->file);
	u32 fflags = kev->fflags & KQ_VNODE_FFLAGS;
	u32 mask = kq_vnode_fsmask(fflags, S_ISDIR(kq_inode_type(inode)));
	int err;

	/* what happened so far is judged by the fflags it happened under */
	kq_fs_flush(kn);
	/* events the hub did not hear for this knote: start from now */
	if (mask & ~kn->fd.fsmask & FS_MODIFY)
		kn->fd.vn.size = i_size_read(inode);
	if (mask & ~kn->fd.fsmask & FS_ATTRIB)
		kn->fd.vn.nlink = READ_ONCE(inode->i_nlink);
	err = kq_fs_rewatch(kn, mask);
	if (err)
		return err;
	kn->sfflags = fflags;
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
	kq_vnode_recheck(kn);
	return ready;
}

/* EV_CLEAR took the fflags: those not delivered are pending again. */
static void kq_vnode_unsend(struct knote *kn, const struct kq_kev *ev)
{
	spin_lock_irq(&kn->kq->lock);
	kn->fd.vn.fflags |= ev->fflags;
	spin_unlock_irq(&kn->kq->lock);
}

/* KQUEUE_CPONFORK: what @src gathered and has not reported. */
static void kq_vnode_copy(struct knote *dst, struct knote *src)
{
	u32 fflags;

	spin_lock_irq(&src->kq->lock);
	fflags = src->fd.vn.fflags;
	spin_unlock_irq(&src->kq->lock);
	spin_lock_irq(&dst->kq->lock);
	dst->fd.vn.fflags |= fflags;
	if (fflags)
		dst->status |= KN_ACTIVE;
	spin_unlock_irq(&dst->kq->lock);
}

const struct kq_filter kq_filter_vnode = {
	.name = "EVFILT_VNODE", .isfd = true,
	.attach = kq_vnode_attach, .detach = kq_vnode_detach,
	.modify = kq_vnode_modify, .event = kq_vnode_event_harvest,
	.unsend = kq_vnode_unsend,
	.recheck = kq_vnode_recheck, .copy = kq_vnode_copy,
};
