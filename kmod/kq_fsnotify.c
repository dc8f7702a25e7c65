// SPDX-License-Identifier: GPL-2.0
/*
 * fsnotify marks: EVFILT_VNODE (kq_vnode.c), and wakeups for plain files.
 * A regular file has no poll wait queue, yet BSD's EVFILT_READ on it fires
 * again when the file grows past the read offset: FS_MODIFY plays the wait
 * queue's part.
 *
 * One mark per (kqueue, inode), whatever the number of knotes: struct
 * kq_fsmark, a hub (kq.h, "who pays").  The handler runs in the system
 * call of whoever touches the file; it records the event in the hub
 * (struct kq_fs_pend, kq_vnode_record()) and queues the hub, a constant
 * cost.  The owner's next kevent() hands the events to the knotes
 * (kq_fs_fanout()).  A knote joining a hub flushes it first: it sees only
 * what happens after it was registered.
 *
 * The mark's mask is the union of what its knotes want (kn->fd.fsmask,
 * from each knote's fflags: EVFILT_READ wants FS_MODIFY only), kept by a
 * count per FS_* bit, so that adding or removing a knote is O(1) and
 * touches fsnotify only when a bit comes or goes.  A bit that comes must
 * reach inode->i_fsnotify_mask, which fsnotify recomputes as marks come
 * and go: fsnotify_modify_mark_mask() where the kernel exports it (7.x),
 * else a mark of a second group added and removed (kq_fs_kick(), as
 * fsnotify_recalc_mask() is not exported).  A bit that goes needs no
 * recomputation to be right, since fsnotify checks each mark's own mask:
 * the inode's stays a superset until the next one.
 *
 * Finding this kqueue's hub on an inode: fsnotify_find_mark() finds one
 * mark per group, and a group per kqueue would cost every kqueue one.  The
 * hubs are in one rhashtable keyed by (kqueue, inode) instead: O(1), no
 * memory for kqueues that watch no file, resized by itself.  Only
 * registration looks there; the handler has its mark.
 *
 * Directories: Linux tells a removed directory nothing while it is open;
 * only its parent sees FS_DELETE.  A directory's hub with knotes is a
 * child of this kqueue's hub on its parent (made if need be), whose mask
 * then has FS_DELETE: a removed subdirectory there makes the parent's
 * fan-out look for its children that are dead (IS_DEADDIR).  A child's
 * own mask has FS_MOVE_SELF: moved, it changes parents at its fan-out.
 * Best effort: without the parent's hub only the wakeup for NOTE_DELETE
 * of a removed directory is missed (kq_vnode_recheck() still sees it).
 *
 * A hub is charged to its kqueue's user (max_user_bytes) as the process
 * and signal watches are.
 *
 * Lifetime: the handler runs under fsnotify's SRCU and may race with the
 * hub's removal: m->lock and m->live keep it from the kqueue once the hub
 * is gone.  The mark, and the hub in it, is freed by fsnotify after its
 * SRCU grace period, and then after an RCU grace period, for the
 * rhashtable's lockless readers (kq_fs_free_mark()).
 *
 * Lock order: kq->mtx (registration, fan-out, removal), the group's
 * mark_mutex (fsnotify), m->lock, kq->lock.
 */
#include <linux/fsnotify_backend.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include "kq_fsnotify.h"

struct kq_fs_key {
	struct kq *kq;
	struct inode *inode;
};

struct kq_fsmark {
	struct fsnotify_mark mark;
	struct kq_hub hub;
	struct kq_fs_key key;
	struct rhash_head node;		/* kq_fs_tab */
	/* under kq->mtx */
	struct list_head knotes;	/* kn->fd.fslink */
	struct list_head children;	/* hubs on subdirectories */
	struct list_head child_link;	/* parent->children */
	struct kq_fsmark *parent;	/* the hub on the parent directory */
	bool armed;			/* the mark is on the inode */
	bool said_dead;			/* removed directory: told */
	u32 own;			/* FS_* the knotes want; the handler reads */
	u32 count[32];			/* knotes wanting each FS_* bit */
	/* the handler against the hub's removal */
	spinlock_t lock;
	bool live;
	/* under kq->lock */
	struct kq_fs_pend pend;
	struct inode *within;		/* being renamed within this directory */
};

static const struct rhashtable_params kq_fs_params = {
	.key_len = sizeof(struct kq_fs_key),
	.key_offset = offsetof(struct kq_fsmark, key),
	.head_offset = offsetof(struct kq_fsmark, node),
	.automatic_shrinking = true,
};

static struct rhashtable kq_fs_tab;
static struct fsnotify_group *kq_fs_group, *kq_fs_kick_group;

static int kq_fs_event(struct fsnotify_mark *mark, u32 mask,
		       struct inode *inode, struct inode *dir,
		       const struct qstr *name, u32 cookie)
{
	struct kq_fsmark *m = container_of(mark, struct kq_fsmark, mark);
	bool rmdir = (mask & (FS_DELETE | FS_ISDIR)) == (FS_DELETE | FS_ISDIR);
	unsigned long flags;
	struct kq *kq;
	bool queued;

	/* an unlink, when only the removal of subdirectories is asked for */
	if ((mask & FS_DELETE) && !rmdir && !(READ_ONCE(m->own) & FS_DELETE))
		return 0;
	spin_lock(&m->lock);
	if (!m->live)
		goto out;
	kq = m->hub.kq;
	spin_lock_irqsave(&kq->lock, flags);
	kq_vnode_record(&m->pend, &m->within, m->key.inode, mask, inode);
	m->pend.rmdir |= rmdir;
	queued = kq_hub_queue_locked(&m->hub);
	spin_unlock_irqrestore(&kq->lock, flags);
	/* under m->lock: the kqueue outlives the hub */
	if (queued)
		kq_wake_pollers(kq);
out:
	spin_unlock(&m->lock);
	return 0;
}

static void kq_fs_free_mark(struct fsnotify_mark *mark)
{
	struct kq_fsmark *m = container_of(mark, struct kq_fsmark, mark);

	kfree_rcu(m, hub.rcu);
}

static const struct fsnotify_ops kq_fs_ops = {
	.handle_inode_event = kq_fs_event,
	.free_mark = kq_fs_free_mark,
};

static int kq_fs_kick_event(struct fsnotify_mark *mark, u32 mask,
			    struct inode *inode, struct inode *dir,
			    const struct qstr *name, u32 cookie)
{
	return 0;
}

static void kq_fs_kick_free_mark(struct fsnotify_mark *mark)
{
	kfree(mark);
}

static const struct fsnotify_ops kq_fs_kick_ops = {
	.handle_inode_event = kq_fs_kick_event,
	.free_mark = kq_fs_kick_free_mark,
};

#ifndef KQ_HAVE_FSNOTIFY_MODIFY_MARK_MASK
/*
 * Have fsnotify recompute @inode's mask from its marks' (which adding a
 * mark does) with a mark of the kick group, removed at once.
 */
static int kq_fs_kick(struct inode *inode, u32 mask)
{
	struct fsnotify_mark *mark;
	int err;

	mark = kzalloc(sizeof(*mark), GFP_KERNEL_ACCOUNT);
	if (!mark)
		return -ENOMEM;
	fsnotify_init_mark(mark, kq_fs_kick_group);
	mark->mask = mask;
	err = fsnotify_add_inode_mark(mark, inode, 0);
	if (!err)
		fsnotify_destroy_mark(mark, kq_fs_kick_group);
	fsnotify_put_mark(mark);
	return err;
}
#endif

/* What the mark must hear: its knotes, its children, its own moves. */
static u32 kq_fs_mask(struct kq_fsmark *m)
{
	u32 mask = m->own;

	if (!list_empty(&m->children))
		mask |= FS_DELETE;
	if (m->parent)
		mask |= FS_MOVE_SELF;
	return mask;
}

/* Give the mark the mask it must have, adding it the first time. */
static int kq_fs_sync(struct kq_fsmark *m)
{
	u32 mask = kq_fs_mask(m), old;
	int err;

	if (!m->armed) {
		m->mark.mask = mask;
		err = fsnotify_add_inode_mark(&m->mark, m->key.inode, 0);
		if (!err)
			m->armed = true;
		return err;
	}
	spin_lock(&m->mark.lock);
	old = m->mark.mask;
#ifndef KQ_HAVE_FSNOTIFY_MODIFY_MARK_MASK
	WRITE_ONCE(m->mark.mask, mask);
#endif
	spin_unlock(&m->mark.lock);
	if (mask == old)
		return 0;
	if (!(mask & FS_RENAME)) {
		/* a rename it saw start will not be seen ending */
		spin_lock_irq(&m->hub.kq->lock);
		m->within = NULL;
		spin_unlock_irq(&m->hub.kq->lock);
	}
#ifdef KQ_HAVE_FSNOTIFY_MODIFY_MARK_MASK
	fsnotify_modify_mark_mask(&m->mark, mask & ~old, old & ~mask);
	return 0;
#else
	return mask & ~old ? kq_fs_kick(m->key.inode, mask & ~old) : 0;
#endif
}

/* Knotes wanting @del no longer, and wanting @add. */
static void kq_fs_count(struct kq_fsmark *m, u32 del, u32 add)
{
	unsigned long bits;
	u32 own = m->own;
	unsigned int b;

	bits = del;
	for_each_set_bit(b, &bits, 32)
		if (!--m->count[b])
			own &= ~BIT(b);
	bits = add;
	for_each_set_bit(b, &bits, 32)
		if (!m->count[b]++)
			own |= BIT(b);
	WRITE_ONCE(m->own, own);
}

static void kq_fs_fanout(struct kq_hub *hub);

/* A hub's cost to its kqueue's user */
#define KQ_FSMARK_BYTES	kmalloc_size_roundup(sizeof(struct kq_fsmark))

/* This kqueue's hub on @inode, made if need be (not yet armed). */
static struct kq_fsmark *kq_fs_hub(struct kq *kq, struct inode *inode,
				   bool flush)
{
	struct kq_fs_key key = { .kq = kq, .inode = inode };
	struct kq_fsmark *m;
	int err;

	lockdep_assert_held(&kq->mtx);
	m = rhashtable_lookup_fast(&kq_fs_tab, &key, kq_fs_params);
	if (m) {
		/* what came before a new knote is not its to see */
		if (flush)
			kq_hub_flush(&m->hub);
		return m;
	}
	m = kq_uacct_zalloc(kq->uacct, sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	kq_hub_init(&m->hub, kq, kq_fs_fanout);
	m->key = key;
	INIT_LIST_HEAD(&m->knotes);
	INIT_LIST_HEAD(&m->children);
	INIT_LIST_HEAD(&m->child_link);
	spin_lock_init(&m->lock);
	m->live = true;
	fsnotify_init_mark(&m->mark, kq_fs_group);
	err = rhashtable_insert_fast(&kq_fs_tab, &m->node, kq_fs_params);
	if (err) {
		kq_uacct_uncharge_bytes(kq->uacct, KQ_FSMARK_BYTES);
		fsnotify_put_mark(&m->mark);
		return ERR_PTR(err);
	}
	return m;
}

static void kq_fs_hub_drop(struct kq_fsmark *m)
{
	kq_hub_retire(&m->hub);
	rhashtable_remove_fast(&kq_fs_tab, &m->node, kq_fs_params);
	spin_lock(&m->lock);
	m->live = false;
	spin_unlock(&m->lock);
	if (m->armed)
		fsnotify_destroy_mark(&m->mark, kq_fs_group);
	/* freed later (kq_fs_free_mark), but no longer the kqueue's */
	kq_uacct_uncharge_bytes(m->hub.kq->uacct, KQ_FSMARK_BYTES);
	fsnotify_put_mark(&m->mark);
}

/* Something left the hub: gone with its last knote and child. */
static void kq_fs_hub_put(struct kq_fsmark *m)
{
	if (list_empty(&m->knotes) && list_empty(&m->children))
		kq_fs_hub_drop(m);
	else
		kq_fs_sync(m);	/* a narrower mask: no error */
}

static void kq_fs_unlink_parent(struct kq_fsmark *m)
{
	struct kq_fsmark *p = m->parent;

	if (!p)
		return;
	list_del_init(&m->child_link);
	m->parent = NULL;
	kq_fs_hub_put(p);
}

/*
 * A directory's hub with knotes: a child of the hub on @dentry's parent.
 * Called again after a move.  m has knotes, so nothing here drops it.
 */
static void kq_fs_link_parent(struct kq_fsmark *m, struct dentry *dentry)
{
	struct dentry *parent = dget_parent(dentry);
	struct inode *dir = d_inode(parent);
	struct kq_fsmark *p;

	if (m->parent && m->parent->key.inode == dir)
		goto out;
	kq_fs_unlink_parent(m);
	if (parent == dentry || !dir)
		goto out;
	p = kq_fs_hub(m->hub.kq, dir, false);
	if (IS_ERR(p))
		goto out;
	list_add_tail(&m->child_link, &p->children);
	m->parent = p;
	if (kq_fs_sync(p)) {
		list_del_init(&m->child_link);
		m->parent = NULL;
		kq_fs_hub_put(p);
	}
out:
	dput(parent);
}

/* Hand @p to the hub's knotes.  kq->mtx held. */
static void kq_fs_deliver(struct kq_fsmark *m, const struct kq_fs_pend *p)
{
	struct kq *kq = m->hub.kq;
	bool queued = false;
	struct knote *kn;
	u32 note = 0;

	list_for_each_entry(kn, &m->knotes, fd.fslink) {
		cond_resched();
		if (kn->filter == EVFILT_VNODE) {
			note = kq_vnode_fan(kn, p);
			if (!note)
				continue;
		} else if (!p->modified) {
			continue;	/* EVFILT_READ: the file may have grown */
		}
		spin_lock_irq(&kq->lock);
		if (kn->filter == EVFILT_VNODE)
			kn->fd.vn.fflags |= note;
		kn->status |= KN_ACTIVE;
		queued |= kq_knote_queue_locked(kn);
		spin_unlock_irq(&kq->lock);
	}
	if (queued)
		kq_wake_pollers(kq);
}

/* A subdirectory was removed: which of the children is it? */
static void kq_fs_children_removed(struct kq_fsmark *m)
{
	static const struct kq_fs_pend deleted = { .notes = NOTE_DELETE };
	struct kq_fsmark *c;

	list_for_each_entry(c, &m->children, child_link)
		if (!c->said_dead && IS_DEADDIR(c->key.inode)) {
			c->said_dead = true;
			kq_fs_deliver(c, &deleted);
		}
}

/* The owner's kevent(): the hub's events to its knotes.  kq->mtx held. */
static void kq_fs_fanout(struct kq_hub *hub)
{
	struct kq_fsmark *m = container_of(hub, struct kq_fsmark, hub);
	struct kq *kq = hub->kq;
	struct kq_fs_pend p;
	struct knote *kn;

	spin_lock_irq(&kq->lock);
	p = m->pend;
	memset(&m->pend, 0, sizeof(m->pend));
	spin_unlock_irq(&kq->lock);
	if (p.rmdir)
		kq_fs_children_removed(m);
	kq_fs_deliver(m, &p);
	/* moved (NOTE_RENAME): follow it to its new parent */
	if ((p.notes & NOTE_RENAME) && m->parent) {
		kn = list_first_entry(&m->knotes, struct knote, fd.fslink);
		kq_fs_link_parent(m, kn->file->f_path.dentry);
		kq_fs_sync(m);
	}
}

/*
 * @kn joins its kqueue's hub on its file's inode, wanting the FS_* events
 * in @mask.  kq->mtx held.
 */
int kq_fs_watch(struct knote *kn, u32 mask)
{
	struct inode *inode = file_inode(kn->file);
	struct kq_fsmark *m;
	int err;

	BUILD_BUG_ON(offsetofend(struct knote, fd.vn) >
		     offsetofend(struct knote, fd.pw));
	m = kq_fs_hub(kn->kq, inode, true);
	if (IS_ERR(m))
		return PTR_ERR(m);
	list_add_tail(&kn->fd.fslink, &m->knotes);
	kn->fd.fsmark = m;
	kn->fd.fsmask = mask;
	kq_fs_count(m, 0, mask);
	if (S_ISDIR(kq_inode_type(inode)) && !m->parent)
		kq_fs_link_parent(m, kn->file->f_path.dentry);
	err = kq_fs_sync(m);
	if (err)
		kq_fs_unwatch(kn);
	return err;
}

void kq_fs_unwatch(struct knote *kn)
{
	struct kq_fsmark *m = kn->fd.fsmark;

	if (!m)
		return;
	kn->fd.fsmark = NULL;
	list_del(&kn->fd.fslink);
	kq_fs_count(m, kn->fd.fsmask, 0);
	if (list_empty(&m->knotes))
		kq_fs_unlink_parent(m);
	kq_fs_hub_put(m);
}

/* @kn now wants @mask.  kq->mtx held. */
int kq_fs_rewatch(struct knote *kn, u32 mask)
{
	struct kq_fsmark *m = kn->fd.fsmark;
	u32 old = kn->fd.fsmask;
	int err;

	if (mask == old)
		return 0;
	kq_fs_count(m, old, mask);
	kn->fd.fsmask = mask;
	err = kq_fs_sync(m);
	if (err) {
		kq_fs_count(m, mask, old);
		kn->fd.fsmask = old;
		kq_fs_sync(m);
	}
	return err;
}

/* Hand what the hub holds to its knotes now.  kq->mtx held. */
void kq_fs_flush(struct knote *kn)
{
	if (kn->fd.fsmark)
		kq_hub_flush(&kn->fd.fsmark->hub);
}

int kq_fs_init(void)
{
	int err = rhashtable_init(&kq_fs_tab, &kq_fs_params);

	if (err)
		return err;
	kq_fs_group = fsnotify_alloc_group(&kq_fs_ops, FSNOTIFY_GROUP_DUPS);
	if (IS_ERR(kq_fs_group)) {
		err = PTR_ERR(kq_fs_group);
		goto err_tab;
	}
	kq_fs_kick_group = fsnotify_alloc_group(&kq_fs_kick_ops,
						FSNOTIFY_GROUP_DUPS);
	if (IS_ERR(kq_fs_kick_group)) {
		err = PTR_ERR(kq_fs_kick_group);
		goto err_group;
	}
	return 0;

err_group:
	fsnotify_put_group(kq_fs_group);
err_tab:
	rhashtable_destroy(&kq_fs_tab);
	return err;
}

void kq_fs_exit(void)
{
	/* every mark is destroyed; wait until fsnotify has freed them */
	fsnotify_wait_marks_destroyed();
	fsnotify_put_group(kq_fs_kick_group);
	fsnotify_put_group(kq_fs_group);
	/* every hub is gone with its knotes: the table is empty */
	rhashtable_destroy(&kq_fs_tab);
}
