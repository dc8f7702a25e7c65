// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_PROC and EVFILT_PROCDESC: a process's fork, exec and exit.
 *
 * Exit: a wait-queue entry on the process's struct pid (pid->wait_pidfd,
 * the queue pidfds poll on).  It is woken in exit_notify() once the whole
 * thread group is a zombie, with tasklist_lock held, so the wait(2)
 * status is final and the parent can already reap it.  Nothing here ever
 * reaps.
 *
 * Fork and exec: the sched_process_fork and sched_process_exec
 * tracepoints, whose probes run with preemption off: they mark and queue,
 * and for NOTE_TRACK attach a knote to the child right there (atomic
 * allocations), so that a child exiting at once is still seen.  Such a
 * knote waits on kq->newborn until the next kevent() puts it in the table.
 *
 * Darwin's NOTE_SIGNAL: the signal_generate tracepoint (as EVFILT_SIGNAL,
 * kq_signal.c), with the target's siglock held.  NOTE_REAP: kq_reap.c.
 *
 * Every fork, exec and signal in the system looks for watches, so what
 * it costs must not grow with other users' knotes: kq_proc_hash holds one
 * entry per watched process (struct pid), each with its own list of
 * watches.  Chains are as long as the number of watched processes over
 * 4096, whatever the number of knotes on each; only the watched process
 * pays for its watches.
 *
 * kq_proc_lock protects kq_proc_hash and every entry's list; it is taken
 * after a target's siglock and before pid->wait_pidfd's lock and kq->lock.
 */
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/magic.h>
#include <linux/tracepoint.h>
#include <linux/binfmts.h>
#include <linux/oom.h>
#include "kq.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC	0x50494446
#endif

#define KQ_PROC_FFLAGS	(NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK | \
			 NOTE_EXITSTATUS | NOTE_EXIT_DETAIL | NOTE_SIGNAL | \
			 NOTE_REAP)

/* signal_generate's outcomes (trace/events/signal.h) that post nothing */
#define KQ_TRACE_SIGNAL_IGNORED		1
#define KQ_TRACE_SIGNAL_OVERFLOW_FAIL	3

struct kq_proc {
	struct knote *kn;
	struct pid *pid;
	struct pid_namespace *ns;	/* numbers the children reported */
	struct hlist_node link;		/* w->procs */
	struct kq_watched *w;
	wait_queue_entry_t wait;	/* on pid->wait_pidfd */
	struct kq_reap_link reap;	/* NOTE_REAP's watch */
	u32 fflags;			/* pending, under kq->lock */
	int status;			/* wait(2) status once exited */
	u32 detail;			/* NOTE_EXIT_DETAIL's reason bits */
	pid_t ppid;			/* NOTE_CHILD: the parent */
	bool exited;
	bool reaped;			/* under kq->lock */
	bool darwin;			/* kevent64(), kevent_qos(): data */
};

/* One watched process. */
struct kq_watched {
	struct hlist_node link;		/* kq_proc_hash */
	struct pid *pid;		/* key: its watches hold the reference */
	struct hlist_head procs;	/* kq_proc.link */
};

static DEFINE_SPINLOCK(kq_proc_lock);
static DEFINE_HASHTABLE(kq_proc_hash, 12);
static unsigned int kq_proc_nwatched;	/* entries; read without the lock */
static struct tracepoint *kq_fork_tp, *kq_exec_tp, *kq_signal_tp;

/* The whole thread group has exited (6.1's thread_group_exited()). */
static bool kq_group_exited(struct pid *pid)
{
	struct task_struct *t;
	bool exited;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	exited = !t || (READ_ONCE(t->exit_state) && thread_group_empty(t));
	rcu_read_unlock();
	return exited;
}

/*
 * As wait_task_zombie() computes it; *detail: NOTE_EXIT_MEMORY for a
 * process the OOM killer chose.
 */
static int kq_exit_status(struct pid *pid, u32 *detail)
{
	struct task_struct *t;
	int status = 0;

	*detail = 0;
	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (t) {
		status = (t->signal->flags & SIGNAL_GROUP_EXIT) ?
			 t->signal->group_exit_code : t->exit_code;
		if (tsk_is_oom_victim(t))
			*detail = NOTE_EXIT_MEMORY;
	}
	rcu_read_unlock();
	return status;
}

/* Record the exit once; kq->lock not held. */
static void kq_proc_exited(struct kq_proc *ps)
{
	struct knote *kn = ps->kn;
	unsigned long flags;
	u32 detail;
	int status = kq_exit_status(ps->pid, &detail);

	spin_lock_irqsave(&kn->kq->lock, flags);
	if (!ps->exited) {
		ps->exited = true;
		ps->status = status;
		ps->detail = detail;
		if (kn->sfflags & NOTE_EXIT)
			ps->fflags |= NOTE_EXIT;
	}
	spin_unlock_irqrestore(&kn->kq->lock, flags);
	kq_knote_activate(kn);
}

static int kq_proc_wake(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct kq_proc *ps = container_of(wait, struct kq_proc, wait);

	if (kq_group_exited(ps->pid))
		kq_proc_exited(ps);
	return 0;
}

static void kq_proc_note(struct kq_proc *ps, u32 note)
{
	struct knote *kn = ps->kn;
	unsigned long flags;

	if (!(kn->sfflags & note))
		return;
	spin_lock_irqsave(&kn->kq->lock, flags);
	ps->fflags |= note;
	spin_unlock_irqrestore(&kn->kq->lock, flags);
	kq_knote_activate(kn);
}

/* From kq_reap.c's probe, for every task freed under a watched number. */
void kq_proc_reaped(struct kq_reap_link *l)
{
	struct kq_proc *ps = container_of(l, struct kq_proc, reap);
	struct knote *kn = ps->kn;
	unsigned long flags;
	bool gone;

	rcu_read_lock();
	gone = !pid_task(ps->pid, PIDTYPE_TGID);
	rcu_read_unlock();
	if (!gone)
		return;	/* a leader replaced by exec, or another process */
	spin_lock_irqsave(&kn->kq->lock, flags);
	if (!ps->reaped) {
		ps->reaped = true;
		if (kn->sfflags & NOTE_REAP)
			ps->fflags |= NOTE_REAP;
	}
	spin_unlock_irqrestore(&kn->kq->lock, flags);
	kq_knote_activate(kn);
}

/* NOTE_REAP asked for: watch the reaping too; kq->mtx held. */
static int kq_proc_watch_reap(struct kq_proc *ps)
{
	int err;

	if (ps->reap.entry)
		return 0;
	err = kq_reap_watch(&ps->reap, ps->pid);
	if (err)
		return err;
	/* a reaping before the watch went in was seen by nobody */
	kq_proc_reaped(&ps->reap);
	return 0;
}

static struct kq_proc *kq_proc_alloc(struct knote *kn, struct pid *pid,
				     struct pid_namespace *ns, gfp_t gfp)
{
	struct kq_proc *ps = kzalloc(sizeof(*ps), gfp);

	if (!ps)
		return NULL;
	ps->kn = kn;
	ps->pid = get_pid(pid);
	ps->ns = get_pid_ns(ns);
	init_waitqueue_func_entry(&ps->wait, kq_proc_wake);
	return ps;
}

/* kq_proc_lock held. */
static struct kq_watched *kq_watched_find(struct pid *pid)
{
	struct kq_watched *w;

	hash_for_each_possible(kq_proc_hash, w, link, (unsigned long)pid)
		if (w->pid == pid)
			return w;
	return NULL;
}

/*
 * kq_proc_lock held.  @spare: a new entry, used (and set to NULL) when the
 * process has none yet.
 */
static int kq_proc_hook_locked(struct kq_proc *ps, struct kq_watched **spare)
{
	struct kq_watched *w = kq_watched_find(ps->pid);

	if (!w) {
		w = *spare;
		if (!w)
			return -ENOMEM;
		*spare = NULL;
		w->pid = ps->pid;
		INIT_HLIST_HEAD(&w->procs);
		hash_add(kq_proc_hash, &w->link, (unsigned long)w->pid);
		WRITE_ONCE(kq_proc_nwatched, kq_proc_nwatched + 1);
	}
	hlist_add_head(&ps->link, &w->procs);
	ps->w = w;
	add_wait_queue(&ps->pid->wait_pidfd, &ps->wait);
	ps->kn->proc.ps = ps;
	return 0;
}

/* kq_proc_lock held.  Returns the entry to free when it was the last. */
static struct kq_watched *kq_proc_unhook_locked(struct kq_proc *ps)
{
	struct kq_watched *w = ps->w;

	remove_wait_queue(&ps->pid->wait_pidfd, &ps->wait);
	hlist_del(&ps->link);
	if (!hlist_empty(&w->procs))
		return NULL;
	hash_del(&w->link);
	WRITE_ONCE(kq_proc_nwatched, kq_proc_nwatched - 1);
	return w;
}

static void kq_proc_free(struct kq_proc *ps)
{
	put_pid_ns(ps->ns);
	put_pid(ps->pid);
	kfree(ps);
}

/* Hook @pid to @kn; fires at once if it already exited. kq->mtx held. */
static int kq_proc_watch(struct knote *kn, struct pid *pid)
{
	struct kq_watched *spare;
	struct kq_proc *ps;
	int err;

	ps = kq_proc_alloc(kn, pid, task_active_pid_ns(current),
			   GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!ps || !spare) {
		kfree(spare);
		if (ps)
			kq_proc_free(ps);
		return -ENOMEM;
	}
	kn->flags |= EV_CLEAR;
	spin_lock_irq(&kq_proc_lock);
	err = kq_proc_hook_locked(ps, &spare);
	spin_unlock_irq(&kq_proc_lock);
	kfree(spare);
	if (WARN_ON_ONCE(err)) {
		kq_proc_free(ps);
		return err;
	}
	/* an exit before the hook went in woke nobody */
	if (kq_group_exited(pid))
		kq_proc_exited(ps);
	return 0;
}

static void kq_proc_detach(struct knote *kn)
{
	struct kq_proc *ps = kn->proc.ps;
	struct kq_watched *w;

	if (!ps)
		return;
	kq_reap_unwatch(&ps->reap);
	spin_lock_irq(&kq_proc_lock);
	w = kq_proc_unhook_locked(ps);
	spin_unlock_irq(&kq_proc_lock);
	kfree(w);
	kn->proc.ps = NULL;
	kq_proc_free(ps);
}

/* FreeBSD p_cansee(), as ptrace "read" access without the LSM part. */
static bool kq_may_watch(struct task_struct *t)
{
	const struct cred *cred = current_cred(), *tcred;
	bool ok;

	if (same_thread_group(t, current))
		return true;
	rcu_read_lock();
	tcred = __task_cred(t);
	ok = uid_eq(cred->uid, tcred->euid) && uid_eq(cred->uid, tcred->suid) &&
	     uid_eq(cred->uid, tcred->uid) && gid_eq(cred->gid, tcred->egid) &&
	     gid_eq(cred->gid, tcred->sgid) && gid_eq(cred->gid, tcred->gid);
	if (!ok)
		ok = ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
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
	if (!err) {
		kn->proc.ps->darwin = kev->darwin;
		if (kn->sfflags & NOTE_REAP)
			err = kq_proc_watch_reap(kn->proc.ps);
		if (err)
			kq_proc_detach(kn);
	}
	put_pid(pid);
	return err;
}

static int kq_proc_modify(struct knote *kn, const struct kq_kev *kev)
{
	struct task_struct *t;
	int err = 0;

	if (!(kev->flags & EV_ADD))
		return 0;
	if (kq_wants_status(kev->fflags)) {
		rcu_read_lock();
		/* a zombie's parent is still its parent; a reaped one has none */
		t = pid_task(kn->proc.ps->pid, PIDTYPE_TGID);
		if (!t || !kq_is_child(t))
			err = -EACCES;
		rcu_read_unlock();
	}
	if (!err && (kev->fflags & NOTE_REAP))
		err = kq_proc_watch_reap(kn->proc.ps);
	if (err)
		return err;
	kn->sfflags = kev->fflags & KQ_PROC_FFLAGS;
	kn->proc.ps->darwin = kev->darwin;
	return 0;
}

/*
 * An exit's data: the wait(2) status (FreeBSD's kevent(); Darwin's only
 * with NOTE_EXITSTATUS) and NOTE_EXIT_DETAIL's reasons; kq->lock held.
 */
static s64 kq_proc_exit_data(struct knote *kn, u32 *fflags)
{
	struct kq_proc *ps = kn->proc.ps;
	s64 data = 0;

	if (!ps->darwin || (kn->sfflags & NOTE_EXITSTATUS))
		data = ps->status;
	*fflags |= kn->sfflags & NOTE_EXITSTATUS;
	if (kn->sfflags & NOTE_EXIT_DETAIL) {
		*fflags |= NOTE_EXIT_DETAIL;
		data |= ps->detail;
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
	struct kq_proc *ps = kn->proc.ps;
	bool ready = true;
	u32 f;

	spin_lock_irq(&kn->kq->lock);
	f = ps->fflags;
	if (f & NOTE_CHILD) {
		/* reported apart from whatever the child does next */
		out->fflags = NOTE_CHILD;
		out->data = ps->ppid;
		ps->fflags &= ~NOTE_CHILD;
		if (!ps->fflags && !ps->exited)
			kn->status &= ~KN_ACTIVE;
	} else if (ps->exited && (kn->sfflags & NOTE_REAP) && !ps->reaped) {
		/* Darwin: the exit is not the end when the reaping is asked */
		out->data = (f & NOTE_EXIT) ? kq_proc_exit_data(kn, &f) : 0;
		out->fflags = f;
		ps->fflags = 0;
		kn->status &= ~KN_ACTIVE;
		ready = f != 0;
	} else if (ps->exited) {
		out->data = (f & NOTE_EXIT) ? kq_proc_exit_data(kn, &f) : 0;
		out->fflags = f;
		out->flags |= EV_EOF | EV_ONESHOT;
		kn->flags |= EV_ONESHOT;
		ps->fflags = 0;
		/* exited with nothing asked for: gone without an event */
		ready = f != 0;
		out->drop = !ready;
	} else {
		out->fflags = f;
		ps->fflags = 0;
		kn->status &= ~KN_ACTIVE;
		ready = f != 0;
	}
	spin_unlock_irq(&kn->kq->lock);
	return ready;
}

const struct kq_filter kq_filter_proc = {
	.name = "EVFILT_PROC",
	.attach = kq_proc_attach, .detach = kq_proc_detach,
	.modify = kq_proc_modify, .event = kq_proc_event,
};

/* NOTE_TRACK: watch the new child too, from the fork tracepoint. */
static void kq_proc_track(struct kq_proc *ps, struct task_struct *parent,
			  struct task_struct *child)
{
	struct knote *kn = ps->kn, *ckn;
	struct kq *kq = kn->kq;
	struct kq_watched *spare = NULL;
	struct kq_proc *cps;
	unsigned long flags;

	ckn = kq_knote_alloc_atomic(kq, kn);
	cps = ckn ? kq_proc_alloc(ckn, task_tgid(child), ps->ns,
				  GFP_ATOMIC | __GFP_ACCOUNT) : NULL;
	if (cps && !kq_watched_find(cps->pid))
		spare = kzalloc(sizeof(*spare), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!cps || kq_proc_hook_locked(cps, &spare)) {
		if (cps)
			kq_proc_free(cps);
		if (ckn)
			kq_knote_free(ckn);
		kq_proc_note(ps, NOTE_TRACKERR);
		return;
	}
	/* reaping is not tracked: a watch cannot be made in atomic context */
	ckn->sfflags &= ~NOTE_REAP;
	ckn->ident = pid_nr_ns(task_tgid(child), ps->ns);
	cps->ppid = pid_nr_ns(task_tgid(parent), ps->ns);
	cps->fflags = NOTE_CHILD;
	cps->darwin = ps->darwin;

	spin_lock_irqsave(&kq->lock, flags);
	if (kq->closing) {
		spin_unlock_irqrestore(&kq->lock, flags);
		kfree(kq_proc_unhook_locked(cps));
		kq_proc_free(cps);
		kq_knote_free(ckn);
		return;
	}
	kq_knote_newborn_locked(ckn);
	spin_unlock_irqrestore(&kq->lock, flags);
	kq_knote_activate(ckn);
}

static void kq_fork_probe(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	struct pid *key = task_tgid(parent);
	struct kq_watched *w;
	struct kq_proc *ps;
	unsigned long flags;

	if (!READ_ONCE(kq_proc_nwatched) || !thread_group_leader(child))
		return;
	spin_lock_irqsave(&kq_proc_lock, flags);
	w = kq_watched_find(key);
	if (!w)
		goto out;
	hlist_for_each_entry(ps, &w->procs, link) {
		if (ps->exited)
			continue;
		kq_proc_note(ps, NOTE_FORK);
		if ((ps->kn->sfflags & NOTE_TRACK) &&
		    ps->kn->filter == EVFILT_PROC)
			kq_proc_track(ps, parent, child);
	}
out:
	spin_unlock_irqrestore(&kq_proc_lock, flags);
}

static void kq_exec_probe(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	struct kq_watched *w;
	struct kq_proc *ps;
	unsigned long flags;

	if (!READ_ONCE(kq_proc_nwatched))
		return;
	spin_lock_irqsave(&kq_proc_lock, flags);
	w = kq_watched_find(task_tgid(p));
	if (w)
		hlist_for_each_entry(ps, &w->procs, link)
			kq_proc_note(ps, NOTE_EXEC);
	spin_unlock_irqrestore(&kq_proc_lock, flags);
}

/* NOTE_SIGNAL: a signal was posted to the process (Darwin: not ignored). */
static void kq_proc_signal_probe(void *data, int sig,
				 struct kernel_siginfo *info,
				 struct task_struct *task, int group,
				 int result)
{
	struct kq_watched *w;
	struct kq_proc *ps;
	unsigned long flags;

	if (!READ_ONCE(kq_proc_nwatched) ||
	    result == KQ_TRACE_SIGNAL_OVERFLOW_FAIL)
		return;
	/* BSD's ignored signals: SIG_IGN and default-ignore, but SIGCONT */
	if (result == KQ_TRACE_SIGNAL_IGNORED && sig != SIGCONT)
		return;
	spin_lock_irqsave(&kq_proc_lock, flags);
	w = kq_watched_find(task_tgid(task));
	if (w)
		hlist_for_each_entry(ps, &w->procs, link)
			if (!ps->exited)
				kq_proc_note(ps, NOTE_SIGNAL);
	spin_unlock_irqrestore(&kq_proc_lock, flags);
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
};

int kq_proc_init(void)
{
	int err = kq_reap_init();

	if (err)
		return err;
	kq_fork_tp = kq_tp_register("sched_process_fork", kq_fork_probe);
	kq_exec_tp = kq_tp_register("sched_process_exec", kq_exec_probe);
	kq_signal_tp = kq_tp_register("signal_generate", kq_proc_signal_probe);
	return 0;
}

void kq_proc_exit(void)
{
	kq_tp_unregister(kq_signal_tp, kq_proc_signal_probe);
	kq_tp_unregister(kq_exec_tp, kq_exec_probe);
	kq_tp_unregister(kq_fork_tp, kq_fork_probe);
	tracepoint_synchronize_unregister();
	kq_reap_exit();
}
