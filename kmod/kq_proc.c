// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_PROC and EVFILT_PROCDESC: a process's fork, exec, exit, Darwin's
 * signals and reaping, reported to the knotes of a process watch
 * (kq_pwatch.c: the hooks, one per kqueue and process).
 *
 * The hooks only record into the watch; kq_proc_fanout(), in the owner's
 * kevent(), tells each knote what it asked for, and makes the knotes of
 * the children NOTE_TRACK followed (the fork probe made their watches).
 * A knote's own state (pending fflags, exited, reaped) is under kq->lock.
 */
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/magic.h>
#include "kq_proc.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC	0x50494446
#endif

/* The union of what the watch's knotes ask; kq->mtx held. */
static void kq_proc_update_interest(struct kq_pwatch *pw)
{
	struct knote *kn;
	u32 want = 0;

	list_for_each_entry(kn, &pw->knotes, proc.link)
		want |= kn->sfflags;
	WRITE_ONCE(pw->interest, want);
}

static void kq_proc_join(struct knote *kn, struct kq_pwatch *pw)
{
	list_add_tail(&kn->proc.link, &pw->knotes);
	kn->proc.pw = pw;
	WRITE_ONCE(pw->interest, pw->interest | kn->sfflags);
	kq_pwatch_requeue(pw);
}

/* Watch @pid for @kn; fires at once if it already exited.  kq->mtx held. */
static int kq_proc_watch(struct knote *kn, struct pid *pid)
{
	struct kq_pwatch *pw = kq_pwatch_get(kn->kq, pid);

	if (IS_ERR(pw))
		return PTR_ERR(pw);
	kn->flags |= EV_CLEAR;
	kq_proc_join(kn, pw);
	return 0;
}

static void kq_proc_detach(struct knote *kn)
{
	struct kq_pwatch *pw = kn->proc.pw;

	if (!pw)
		return;
	list_del(&kn->proc.link);
	kn->proc.pw = NULL;
	/* the interest keeps the knote's bits until the next fan-out */
	if (list_empty(&pw->knotes))
		kq_pwatch_put(pw);
}

/* Darwin's NOTE_EXITSTATUS: for the caller's own children only. */
static bool kq_is_child(struct task_struct *t)
{
	return same_thread_group(rcu_dereference(t->real_parent), current);
}

static bool kq_wants_status(u32 fflags)
{
	return (fflags & (NOTE_EXIT | NOTE_EXITSTATUS)) ==
	       (NOTE_EXIT | NOTE_EXITSTATUS);
}

static int kq_proc_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct task_struct *t;
	struct pid *pid;
	int err = 0;

	if (kev->ident == 0 || kev->ident > PID_MAX_LIMIT)
		return -ESRCH;
	kn->sfflags &= KQ_PROC_FFLAGS;
	kn->proc.darwin = kev->darwin;
	pid = find_get_pid(kev->ident);
	if (!pid)
		return -ESRCH;
	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (!t)
		err = -ESRCH;
	else if (!kq_may_watch(t) ||
		 (kq_wants_status(kn->sfflags) && !kq_is_child(t)))
		err = -EACCES;
	rcu_read_unlock();
	/* BSD: a zombie can only be watched for its exit */
	if (!err && !(kn->sfflags & NOTE_EXIT) && kq_group_exited(pid))
		err = -ESRCH;
	if (!err)
		err = kq_proc_watch(kn, pid);
	if (!err && (kn->sfflags & NOTE_REAP)) {
		err = kq_pwatch_watch_reap(kn->proc.pw);
		if (err)
			kq_proc_detach(kn);
	}
	put_pid(pid);
	return err;
}

static int kq_proc_modify(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_pwatch *pw = kn->proc.pw;
	struct task_struct *t;
	int err = 0;

	if (!(kev->flags & EV_ADD))
		return 0;
	if (kq_wants_status(kev->fflags)) {
		rcu_read_lock();
		/* a zombie's parent is still its parent; a reaped one has none */
		t = pid_task(pw->pid, PIDTYPE_TGID);
		if (!t || !kq_is_child(t))
			err = -EACCES;
		rcu_read_unlock();
	}
	if (!err && (kev->fflags & NOTE_REAP))
		err = kq_pwatch_watch_reap(pw);
	if (err)
		return err;
	kn->sfflags = kev->fflags & KQ_PROC_FFLAGS;
	kn->proc.darwin = kev->darwin;
	/* bits no knote wants any more go at the next fan-out */
	WRITE_ONCE(pw->interest, pw->interest | kn->sfflags);
	return 0;
}

/*
 * An exit's data: the wait(2) status (FreeBSD's kevent(); Darwin's only
 * with NOTE_EXITSTATUS) and NOTE_EXIT_DETAIL's reasons; kq->lock held.
 */
static s64 kq_proc_exit_data(struct knote *kn, u32 *fflags)
{
	struct kq_pwatch *pw = kn->proc.pw;
	s64 data = 0;

	if (!kn->proc.darwin || (kn->sfflags & NOTE_EXITSTATUS))
		data = pw->status;
	*fflags |= kn->sfflags & NOTE_EXITSTATUS;
	if (kn->sfflags & NOTE_EXIT_DETAIL) {
		*fflags |= NOTE_EXIT_DETAIL;
		data |= pw->detail;
	}
	return data;
}

/* FreeBSD: a process descriptor only ever reports its exit. */
static int kq_procdesc_modify(struct knote *kn, const struct kq_kev *kev)
{
	if (kev->flags & EV_ADD)
		kn->sfflags = kev->fflags & NOTE_EXIT;
	return 0;
}

static bool kq_proc_event(struct knote *kn, struct kq_kev *out)
{
	bool ready = true;
	u32 f;

	spin_lock_irq(&kn->kq->lock);
	f = kn->proc.fflags;
	if (f & NOTE_CHILD) {
		/* reported apart from whatever the child does next */
		out->fflags = NOTE_CHILD;
		out->data = kn->proc.pw->ppid;
		kn->proc.fflags &= ~NOTE_CHILD;
		if (!kn->proc.fflags && !kn->proc.exited)
			kn->status &= ~KN_ACTIVE;
	} else if (kn->proc.exited && (kn->sfflags & NOTE_REAP) &&
		   !kn->proc.reaped) {
		/* Darwin: the exit is not the end when the reaping is asked */
		out->data = (f & NOTE_EXIT) ? kq_proc_exit_data(kn, &f) : 0;
		out->fflags = f;
		kn->proc.fflags = 0;
		kn->status &= ~KN_ACTIVE;
		ready = f != 0;
	} else if (kn->proc.exited) {
		out->data = (f & NOTE_EXIT) ? kq_proc_exit_data(kn, &f) : 0;
		out->fflags = f;
		out->flags |= EV_EOF | EV_ONESHOT;
		kn->flags |= EV_ONESHOT;
		kn->proc.fflags = 0;
		/*
		 * Exited with nothing asked for: gone without an event; one
		 * the rule no longer allows to watch ends with EV_EOF.
		 */
		ready = f != 0 || kn->proc.pw->revoked;
		out->drop = !ready;
	} else {
		out->fflags = f;
		kn->proc.fflags = 0;
		kn->status &= ~KN_ACTIVE;
		ready = f != 0;
	}
	spin_unlock_irq(&kn->kq->lock);
	return ready;
}

/*
 * The fflags taken and not delivered are pending again (not the exit's
 * NOTE_EXITSTATUS and NOTE_EXIT_DETAIL: the next report derives them).
 */
static void kq_proc_unsend(struct knote *kn, const struct kq_kev *ev)
{
	spin_lock_irq(&kn->kq->lock);
	kn->proc.fflags |= ev->fflags & ~(NOTE_EXITSTATUS | NOTE_EXIT_DETAIL);
	spin_unlock_irq(&kn->kq->lock);
}

/* What @src was told and has not reported; its exit the watch tells. */
static void kq_proc_copy(struct knote *dst, struct knote *src)
{
	u32 fflags;

	spin_lock_irq(&src->kq->lock);
	fflags = src->proc.fflags & ~NOTE_EXIT;
	spin_unlock_irq(&src->kq->lock);
	spin_lock_irq(&dst->kq->lock);
	dst->proc.fflags |= fflags;
	spin_unlock_irq(&dst->kq->lock);
}

const struct kq_filter kq_filter_proc = {
	.name = "EVFILT_PROC",
	.attach = kq_proc_attach, .detach = kq_proc_detach,
	.modify = kq_proc_modify, .event = kq_proc_event,
	.unsend = kq_proc_unsend,
	.copy = kq_proc_copy,
};

/* What the watch saw, taken off it; under kq->lock. */
struct kq_proc_news {
	u32 notes;
	bool exited, reaped, revoked, trackerr;
};

/* Tell one knote; returns true when it has something new. */
static bool kq_proc_tell(struct knote *kn, const struct kq_proc_news *n)
{
	struct kq *kq = kn->kq;
	bool news;
	u32 f;

	spin_lock_irq(&kq->lock);
	f = n->notes & kn->sfflags;
	if (n->trackerr && (kn->sfflags & NOTE_TRACK) &&
	    kn->filter == EVFILT_PROC)
		f |= NOTE_TRACKERR;
	if (kn->proc.exited)
		f = 0;
	kn->proc.fflags |= f;
	news = f != 0;
	if ((n->exited || n->revoked) && !kn->proc.exited) {
		kn->proc.exited = true;
		if (!n->revoked && (kn->sfflags & NOTE_EXIT))
			kn->proc.fflags |= NOTE_EXIT;
		news = true;
	}
	if (n->reaped && !kn->proc.reaped) {
		kn->proc.reaped = true;
		if (kn->sfflags & NOTE_REAP)
			kn->proc.fflags |= NOTE_REAP;
		news = true;
	}
	spin_unlock_irq(&kq->lock);
	return news;
}

/* A record for a tracked child's knote: like @parent's, in the owner's ns. */
static struct knote *kq_proc_child_knote(struct knote *parent, u64 ident)
{
	struct kq_kev kev = {
		.ident = ident, .filter = EVFILT_PROC,
		.flags = parent->flags & ~EV_ONESHOT,
		/* reaping is not tracked: see kq_pwatch_track() */
		.fflags = parent->sfflags & ~NOTE_REAP,
		.udata = parent->udata,
	};

	if (parent->x) {
		memcpy(kev.ext, parent->x->ext, sizeof(kev.ext));
		kev.qos = parent->x->qos;
	}
	return kq_knote_alloc(parent->kq, &kev, &kq_filter_proc, NULL);
}

/*
 * NOTE_TRACK: give the child's watch, made by the fork probe, a knote for
 * each tracking knote of the parent's watch.  kq->mtx held.
 */
static void kq_proc_adopt(struct kq_pwatch *pw, struct kq_pwatch *cpw)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct kq *kq = pw->hub.kq;
	struct knote *kn, *ckn;
	bool err = false;
	u64 ident = pid_nr_ns(cpw->pid, ns);

	cpw->ppid = pid_nr_ns(pw->pid, ns);

	list_for_each_entry(kn, &pw->knotes, proc.link) {
		if (!(kn->sfflags & NOTE_TRACK) || kn->filter != EVFILT_PROC)
			continue;
		/* not visible here, or a reused pid already watched */
		if (!ident || kq_knote_find(kq, EVFILT_PROC, ident, NULL,
					    kn->flags, kn->udata))
			continue;
		ckn = kq_proc_child_knote(kn, ident);
		if (!ckn) {
			err = true;
			continue;
		}
		ckn->proc.fflags = NOTE_CHILD;
		ckn->proc.darwin = kn->proc.darwin;
		ckn->flags |= EV_CLEAR;
		kq_knote_insert(kq, ckn);
		kq_proc_join(ckn, cpw);
		kq_knote_activate(ckn);
	}
	if (err) {
		spin_lock_irq(&kq->lock);
		pw->trackerr = true;
		kq_hub_queue_locked(&pw->hub);
		spin_unlock_irq(&kq->lock);
	}
	if (list_empty(&cpw->knotes)) {
		kq_pwatch_put(cpw);
		return;
	}
	kq_proc_update_interest(cpw);
	/* what the child did before its knotes existed is theirs */
	spin_lock_irq(&kq->lock);
	if (cpw->pending || cpw->exited || cpw->revoked)
		kq_hub_queue_locked(&cpw->hub);
	spin_unlock_irq(&kq->lock);
}

/* The owner's kevent(): hand the watch's news to its knotes.  kq->mtx held. */
void kq_proc_fanout(struct kq_hub *hub)
{
	struct kq_pwatch *pw = container_of(hub, struct kq_pwatch, hub);
	struct kq_pwatch *cpw, *tmp;
	struct kq *kq = hub->kq;
	struct kq_proc_news n;
	LIST_HEAD(children);
	struct knote *kn;

	if (list_empty(&pw->knotes))
		return;	/* a tracked child's, before adoption: keep it */
	spin_lock_irq(&kq->lock);
	n.notes = pw->pending;
	n.exited = pw->exited;
	n.reaped = pw->reaped;
	n.revoked = pw->revoked;
	n.trackerr = pw->trackerr;
	pw->pending = 0;
	pw->trackerr = false;
	list_splice_init(&pw->children, &children);
	spin_unlock_irq(&kq->lock);

	list_for_each_entry(kn, &pw->knotes, proc.link)
		if (kq_proc_tell(kn, &n))
			kq_knote_activate(kn);
	kq_proc_update_interest(pw);
	/* a reaped number may be reused: a new process there walks nothing */
	if (n.reaped)
		kq_reap_unwatch(&pw->reap);
	list_for_each_entry_safe(cpw, tmp, &children, sibling) {
		list_del_init(&cpw->sibling);
		if (n.revoked)
			kq_pwatch_put(cpw);	/* the fork probe raced the exec */
		else
			kq_proc_adopt(pw, cpw);
	}
}

/* EVFILT_PROCDESC: ident is a pidfd; only NOTE_EXIT. */
struct kq_pidfd_table {
	poll_table pt;
	struct pid *pid;
};

/* A pidfd polls on pid->wait_pidfd: that names its struct pid. */
static void kq_pidfd_queue_proc(struct file *file, wait_queue_head_t *whead,
				poll_table *pt)
{
	struct kq_pidfd_table *t = container_of(pt, struct kq_pidfd_table, pt);

	t->pid = container_of(whead, struct pid, wait_pidfd);
}

static bool kq_is_pidfd(struct file *file)
{
	struct super_block *sb = file_inode(file)->i_sb;

	if (sb->s_magic == PID_FS_MAGIC)
		return true;
	return sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[pidfd]");
}

static int kq_procdesc_attach(struct knote *kn, const struct kq_kev *kev)
{
	struct kq_pidfd_table t = { .pid = NULL };
	struct task_struct *task;
	int err = 0;

	/* a thread pidfd (PIDFD_THREAD, 6.9+) is not a process */
	if (!kq_is_pidfd(kn->file) || (kn->file->f_flags & O_EXCL))
		return -EINVAL;
	kn->sfflags &= NOTE_EXIT;
	init_poll_funcptr(&t.pt, kq_pidfd_queue_proc);
	vfs_poll(kn->file, &t.pt);
	if (!t.pid)
		return -EINVAL;
	/*
	 * pidfd_open() works on any visible process: the descriptor proves
	 * nothing, so the rule of EVFILT_PROC applies.  A process already
	 * reaped has no task left to ask; its exit is all there is to see.
	 */
	rcu_read_lock();
	task = pid_task(t.pid, PIDTYPE_TGID);
	if (task && !kq_may_watch(task))
		err = -EACCES;
	rcu_read_unlock();
	if (err)
		return err;
	return kq_proc_watch(kn, t.pid);
}

const struct kq_filter kq_filter_procdesc = {
	.name = "EVFILT_PROCDESC", .isfd = true,
	.attach = kq_procdesc_attach, .detach = kq_proc_detach,
	.modify = kq_procdesc_modify, .event = kq_proc_event,
	.unsend = kq_proc_unsend,
};
