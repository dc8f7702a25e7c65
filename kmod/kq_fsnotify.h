/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hubs on inodes (kq_fsnotify.c), and what EVFILT_VNODE makes of their
 * events (kq_vnode.c).
 */
#ifndef KQ_FSNOTIFY_H
#define KQ_FSNOTIFY_H

#include "kq.h"

/*
 * What a hub's events left for its knotes since its last fan-out, in a
 * form that does not depend on the knote; under kq->lock.
 *
 * BSD posts an event's whole hint (NOTE_WRITE | NOTE_EXTEND) to a knote
 * that asked for any bit of it, so the hints are kept apart, not merged:
 * the one-bit hints as NOTE_* bits in notes, the others as one bit each
 * in hints (BIT(KQ_HINT_*)).  A knote's first FS_MODIFY and FS_ATTRIB are
 * compared with its own last size and link count at the fan-out (size,
 * nlink); the later ones with the event before, here.
 */
struct kq_fs_pend {
	u32 notes;			/* one-bit hints: NOTE_* */
	u32 hints;			/* BIT(KQ_HINT_*) */
	bool modified;			/* FS_MODIFY: size, last_size */
	bool attrib;			/* FS_ATTRIB: nlink, last_nlink */
	bool rmdir;			/* a subdirectory removed */
	unsigned int nlink, last_nlink;	/* at the first and last FS_ATTRIB */
	loff_t size, last_size;		/* at the first and last FS_MODIFY */
};

enum {
	KQ_HINT_WL,			/* NOTE_WRITE | NOTE_LINK */
	KQ_HINT_WE,			/* NOTE_WRITE | NOTE_EXTEND */
	KQ_HINT_WEL,			/* NOTE_WRITE | NOTE_EXTEND | NOTE_LINK */
	KQ_HINT_WT,			/* NOTE_WRITE | NOTE_TRUNCATE */
	KQ_NHINTS
};

int kq_fs_rewatch(struct knote *kn, u32 mask);
void kq_fs_flush(struct knote *kn);

/* kq_vnode.c */
void kq_vnode_record(struct kq_fs_pend *p, struct inode **within,
		     struct inode *self, u32 mask, struct inode *inode);
u32 kq_vnode_fan(struct knote *kn, const struct kq_fs_pend *p);

#endif /* KQ_FSNOTIFY_H */
