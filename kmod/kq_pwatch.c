// SPDX-License-Identifier: GPL-2.0
/*
 * Process watches: one kqueue's hooks on one process (struct kq_pwatch, a
 * hub: kq.h), for EVFILT_PROC and EVFILT_PROCDESC (kq_proc.c).
 *
 * Each hook runs in the system call of whoever causes the event:
 *  - exit: a wait-queue entry on the process's struct pid
 *    (pid->wait_pidfd, the queue pidfds poll on), woken in exit_notify()
 *    with tasklist_lock held once the whole thread group is a zombie, so
 *    the wait(2) status is final.  Nothing here ever reaps.
 *  - fork and exec: the sched_process_fork and sched_process_exec
 *    tracepoints, with preemption off;
 *  - Darwin's NOTE_SIGNAL: signal_generate, with the target's siglock
 *    held and interrupts off;
 *  - NOTE_REAP: kq_reap.c.
 * The probes find a process's watches in kq_proc_tab (kq_watchtab.c: an
 * RCU lookup and an RCU walk, no lock), one per kqueue, never one per
 * knote; each records the event and queues the hub.  The owner's next
 * kevent() hands the events to the knotes (kq_proc_fanout).
 *
 * NOTE_TRACK: the fork probe makes the child's watch at once (atomic
 * allocations, one per kqueue tracking the parent), so that a child that
 * forks, execs or exits before the owner runs is still seen; the owner's
 * fan-out then makes the child's knotes (kq_proc.c).
 *
 * Lifetime: probes may still see a watch being removed, so watches are
 * freed after an RCU grace period, and so are kqueues (kq_main.c); a
 * removed watch's hub is dead (kq_hub_retire_locked) and never queued.
 *
 * Lock order: kq->mtx, the table entry's lock, pid->wait_pidfd's lock,
 * kq->lock.
 */
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/tracepoint.h>
#include <linux/binfmts.h>
#include <linux/oom.h>
#include "kq_compat.h"
#include "kq_proc.h"

/* signal_generate's outcomes (trace/events/signal.h) that post nothing */
#define KQ_TRACE_SIGNAL_IGNORED		1
#define KQ_TRACE_SIGNAL_OVERFLOW_FAIL	3

static struct kq_watchtab kq_proc_tab = KQ_WATCHTAB_BY_PID;

static struct tracepoint *kq_fork_tp, *kq_exec_tp, *kq_signal_tp;

/* The whole thread group has exited (6.1's thread_group_exited()). */
bool kq_group_exited(struct pid *pid)
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
 * The rule for reading another process, as ptrace's "read" access: the
 * same user and group in all three ids, and a process that has not made
 * itself non-dumpable (ssh-agent, or after a credential change), unless
 * the watcher may ptrace anyway.  The LSM part is left out.  A parent
 * may always watch a child whose ids it shares: wait(2) tells it as much,
 * and a daemon that dropped its privileges (non-dumpable, and so are its
 * children) still watches its workers.  @child: @t is the watcher's.
 */
static bool kq_creds_may_watch(struct task_struct *t, kuid_t uid, kgid_t gid,
			       bool privileged, bool child)
{
	const struct cred *tcred;
	bool ok;

	if (privileged)
		return true;
	rcu_read_lock();
	tcred = __task_cred(t);
	ok = uid_eq(uid, tcred->euid) && uid_eq(uid, tcred->suid) &&
	     uid_eq(uid, tcred->uid) && gid_eq(gid, tcred->egid) &&
	     gid_eq(gid, tcred->sgid) && gid_eq(gid, tcred->gid);
	rcu_read_unlock();
	if (ok && !child && !kq_task_dumpable(t))
		ok = false;
	return ok;
}

static bool kq_current_privileged(struct task_struct *t)
{
	bool ok;

	rcu_read_lock();
	ok = ns_capable_noaudit(__task_cred(t)->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
}

/* FreeBSD p_cansee() for the caller, with Linux's rule; under RCU. */
bool kq_may_watch(struct task_struct *t)
{
	const struct cred *cred = current_cred();
	bool ok;

	if (same_thread_group(t, current))
		return true;
	task_lock(t);
	ok = kq_creds_may_watch(t, cred->uid, cred->gid, false,
				same_thread_group(rcu_dereference(t->real_parent),
						  current));
	task_unlock(t);
	return ok || kq_current_privileged(t);
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

/* Queue the hub after a change under kq->lock; wakes the pollers. */
static void kq_pwatch_queue_unlock(struct kq_pwatch *pw, unsigned long flags)
{
	struct kq *kq = pw->hub.kq;
	bool queued = kq_hub_queue_locked(&pw->hub);

	spin_unlock_irqrestore(&kq->lock, flags);
	if (queued)
		kq_wake_pollers(kq);
}

static void kq_pwatch_post(struct kq_pwatch *pw, u32 note)
{
	unsigned long flags;

	spin_lock_irqsave(&pw->hub.kq->lock, flags);
	if (pw->exited || pw->revoked) {
		spin_unlock_irqrestore(&pw->hub.kq->lock, flags);
		return;
	}
	pw->pending |= note;
	kq_pwatch_queue_unlock(pw, flags);
}

/* Record the exit once. */
static void kq_pwatch_exited(struct kq_pwatch *pw)
{
	unsigned long flags;
	u32 detail;
	int status = kq_exit_status(pw->pid, &detail);

	spin_lock_irqsave(&pw->hub.kq->lock, flags);
	/* a watch the rule ended says nothing more, not even the status */
	if (pw->exited || pw->revoked) {
		spin_unlock_irqrestore(&pw->hub.kq->lock, flags);
		return;
	}
	pw->exited = true;
	pw->status = status;
	pw->detail = detail;
	kq_pwatch_queue_unlock(pw, flags);
}

static int kq_pwatch_wake(wait_queue_entry_t *wait, unsigned int mode,
			  int sync, void *key)
{
	struct kq_pwatch *pw = container_of(wait, struct kq_pwatch, wait);

	if (kq_group_exited(pw->pid))
		kq_pwatch_exited(pw);
	return 0;
}

/* From kq_reap.c's probe, for every task freed under a watched number. */
void kq_proc_reaped(struct kq_reap_link *l)
{
	struct kq_pwatch *pw = container_of(l, struct kq_pwatch, reap);
	unsigned long flags;
	bool gone;

	rcu_read_lock();
	gone = !pid_task(pw->pid, PIDTYPE_TGID);
	rcu_read_unlock();
	if (!gone)
		return;	/* a leader replaced by exec, or another process */
	spin_lock_irqsave(&pw->hub.kq->lock, flags);
	if (pw->reaped) {
		spin_unlock_irqrestore(&pw->hub.kq->lock, flags);
		return;
	}
	pw->reaped = true;
	kq_pwatch_queue_unlock(pw, flags);
}

/* NOTE_REAP asked for: watch the reaping too; kq->mtx held. */
int kq_pwatch_watch_reap(struct kq_pwatch *pw)
{
	bool reaped;
	int err;

	spin_lock_irq(&pw->hub.kq->lock);
	reaped = pw->reaped;
	spin_unlock_irq(&pw->hub.kq->lock);
	/* reaped: the watch went at the fan-out and is not made again */
	if (pw->reap.entry || reaped)
		return 0;
	err = kq_reap_watch(&pw->reap, pw->pid);
	if (err)
		return err;
	/* a reaping before the watch went in was seen by nobody */
	kq_proc_reaped(&pw->reap);
	return 0;
}

/* A watch's cost to its kqueue's user */
#define KQ_PWATCH_BYTES	kmalloc_size_roundup(sizeof(struct kq_pwatch))

static struct kq_pwatch *kq_pwatch_alloc(struct kq *kq, struct pid *pid,
					 gfp_t gfp)
{
	struct kq_pwatch *pw;

	pw = kq_uacct_zalloc(kq->uacct, sizeof(*pw), gfp);
	if (!pw)
		return NULL;
	kq_hub_init(&pw->hub, kq, kq_proc_fanout);
	pw->pid = get_pid(pid);
	init_waitqueue_func_entry(&pw->wait, kq_pwatch_wake);
	INIT_LIST_HEAD(&pw->knotes);
	INIT_LIST_HEAD(&pw->children);
	INIT_LIST_HEAD(&pw->sibling);
	return pw;
}

/* Into the table and on the exit queue; interrupts on, may be atomic. */
static int kq_pwatch_hook(struct kq_pwatch *pw, gfp_t gfp)
{
	struct kq_watch_entry *e;

	e = kq_watchtab_add(&kq_proc_tab, (unsigned long)pw->pid, &pw->link,
			    gfp);
	if (IS_ERR(e))
		return PTR_ERR(e);
	pw->e = e;
	add_wait_queue(&pw->pid->wait_pidfd, &pw->wait);
	return 0;
}

/* Never hooked: freed at once. */
static void kq_pwatch_free(struct kq_pwatch *pw)
{
	kq_uacct_uncharge_bytes(pw->hub.kq->uacct, KQ_PWATCH_BYTES);
	put_pid(pw->pid);
	kfree(pw);
}

/* Touches neither the kqueue nor its account: both may be gone by now. */
static void kq_pwatch_free_rcu(struct rcu_head *rcu)
{
	struct kq_pwatch *pw = container_of(rcu, struct kq_pwatch, hub.rcu);

	put_pid(pw->pid);
	kfree(pw);
}

/* Off every hook, then freed after a grace period; interrupts on. */
static void kq_pwatch_unhook_free(struct kq_pwatch *pw)
{
	remove_wait_queue(&pw->pid->wait_pidfd, &pw->wait);
	kq_watchtab_del(&kq_proc_tab, pw->e, &pw->link);
	kq_uacct_uncharge_bytes(pw->hub.kq->uacct, KQ_PWATCH_BYTES);
	call_rcu(&pw->hub.rcu, kq_pwatch_free_rcu);
}

/* This kqueue's watch on @pid, if any.  kq->mtx held (it adds them). */
static struct kq_pwatch *kq_pwatch_find(struct kq *kq, struct pid *pid)
{
	struct kq_pwatch *pw, *found = NULL;
	struct kq_watch_entry *e;

	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_proc_tab, (unsigned long)pid);
	if (e)
		hlist_for_each_entry_rcu(pw, &e->links, link)
			if (pw->hub.kq == kq && !READ_ONCE(pw->hub.dead)) {
				found = pw;
				break;
			}
	rcu_read_unlock();
	return found;
}

/*
 * The kqueue's watch on @pid, made if need be, for a new knote to join.
 * kq->mtx held.
 */
struct kq_pwatch *kq_pwatch_get(struct kq *kq, struct pid *pid)
{
	const struct cred *cred = current_cred();
	struct kq_pwatch *pw = kq_pwatch_find(kq, pid);
	int err;

	if (pw) {
		/* what came before the new knote is not its to see */
		kq_hub_flush(&pw->hub);
		return pw;
	}
	pw = kq_pwatch_alloc(kq, pid, GFP_KERNEL_ACCOUNT);
	if (!pw)
		return ERR_PTR(-ENOMEM);
	pw->uid = cred->uid;
	pw->gid = cred->gid;
	pw->privileged = kq_current_privileged(current);
	err = kq_pwatch_hook(pw, GFP_KERNEL_ACCOUNT);
	if (err) {
		kq_pwatch_free(pw);
		return ERR_PTR(err);
	}
	/* an exit before the hook went in woke nobody */
	if (kq_group_exited(pid))
		kq_pwatch_exited(pw);
	return pw;
}

/*
 * A knote joined a watch whose process is already gone: the next fan-out
 * tells it.  kq->mtx held.
 */
void kq_pwatch_requeue(struct kq_pwatch *pw)
{
	unsigned long flags;

	spin_lock_irqsave(&pw->hub.kq->lock, flags);
	if (!pw->exited && !pw->reaped && !pw->revoked) {
		spin_unlock_irqrestore(&pw->hub.kq->lock, flags);
		return;
	}
	kq_pwatch_queue_unlock(pw, flags);
}

/*
 * Its last knote left.  A child's watch the fork probe made stays for the
 * parent's fan-out, which frees it if no knote joins.  kq->mtx held.
 */
void kq_pwatch_put(struct kq_pwatch *pw)
{
	struct kq *kq = pw->hub.kq;
	struct kq_pwatch *c, *tmp;
	LIST_HEAD(children);
	bool adopted;

	spin_lock_irq(&kq->lock);
	adopted = list_empty(&pw->sibling);
	if (adopted) {
		kq_hub_retire_locked(&pw->hub);
		list_splice_init(&pw->children, &children);
	}
	spin_unlock_irq(&kq->lock);
	if (!adopted)
		return;
	list_for_each_entry_safe(c, tmp, &children, sibling) {
		list_del_init(&c->sibling);
		if (list_empty(&c->knotes))
			kq_pwatch_put(c);
	}
	kq_reap_unwatch(&pw->reap);
	kq_pwatch_unhook_free(pw);
}

/*
 * NOTE_TRACK: the child's watch, for the parent's fan-out to give knotes.
 * In the fork probe: atomic, interrupts on.
 */
static void kq_pwatch_track(struct kq_pwatch *pw, struct task_struct *child)
{
	struct kq *kq = pw->hub.kq;
	struct kq_pwatch *cpw;
	unsigned long flags;

	cpw = kq_pwatch_alloc(kq, task_tgid(child), GFP_ATOMIC | __GFP_ACCOUNT);
	if (cpw) {
		cpw->uid = pw->uid;
		cpw->gid = pw->gid;
		cpw->privileged = pw->privileged;
		/* reaping is not tracked: its watch needs a sleeping lock */
		cpw->interest = READ_ONCE(pw->interest) & ~NOTE_REAP;
		if (kq_pwatch_hook(cpw, GFP_ATOMIC | __GFP_ACCOUNT)) {
			kq_pwatch_free(cpw);
			cpw = NULL;
		}
	}
	spin_lock_irqsave(&kq->lock, flags);
	/* the rule ended the watch at an exec: its children are not ours */
	if (pw->hub.dead || pw->revoked || !cpw) {
		if (cpw) {
			spin_unlock_irqrestore(&kq->lock, flags);
			kq_pwatch_unhook_free(cpw);
			return;
		}
		pw->trackerr = true;
	} else {
		list_add_tail(&cpw->sibling, &pw->children);
	}
	kq_pwatch_queue_unlock(pw, flags);
}

static void kq_fork_probe(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	struct kq_watch_entry *e;
	struct kq_pwatch *pw;

	if (kq_watchtab_surely_not(&kq_proc_tab,
				   (unsigned long)task_tgid(parent)) ||
	    !thread_group_leader(child))
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_proc_tab, (unsigned long)task_tgid(parent));
	if (e)
		hlist_for_each_entry_rcu(pw, &e->links, link) {
			u32 want = READ_ONCE(pw->interest);

			if (want & NOTE_FORK)
				kq_pwatch_post(pw, NOTE_FORK);
			if (want & NOTE_TRACK)
				kq_pwatch_track(pw, child);
		}
	rcu_read_unlock();
}

/* The new image's credentials are in place: is the watcher still allowed? */
static void kq_pwatch_exec(struct kq_pwatch *pw, struct task_struct *p)
{
	unsigned long flags;

	if (kq_creds_may_watch(p, pw->uid, pw->gid, pw->privileged, false)) {
		if (READ_ONCE(pw->interest) & NOTE_EXEC)
			kq_pwatch_post(pw, NOTE_EXEC);
		return;
	}
	spin_lock_irqsave(&pw->hub.kq->lock, flags);
	if (pw->revoked || pw->exited) {
		spin_unlock_irqrestore(&pw->hub.kq->lock, flags);
		return;
	}
	pw->revoked = true;
	kq_pwatch_queue_unlock(pw, flags);
}

static void kq_exec_probe(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	struct kq_watch_entry *e;
	struct kq_pwatch *pw;

	if (kq_watchtab_surely_not(&kq_proc_tab, (unsigned long)task_tgid(p)))
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_proc_tab, (unsigned long)task_tgid(p));
	if (e)
		hlist_for_each_entry_rcu(pw, &e->links, link)
			kq_pwatch_exec(pw, p);
	rcu_read_unlock();
}

/* NOTE_SIGNAL: a signal was posted to the process (Darwin: not ignored). */
static void kq_signal_probe(void *data, int sig, struct kernel_siginfo *info,
			    struct task_struct *task, int group, int result)
{
	struct kq_watch_entry *e;
	struct kq_pwatch *pw;

	if (kq_watchtab_surely_not(&kq_proc_tab,
				   (unsigned long)task_tgid(task)) ||
	    result == KQ_TRACE_SIGNAL_OVERFLOW_FAIL)
		return;
	/* BSD's ignored signals: SIG_IGN and default-ignore, but SIGCONT */
	if (result == KQ_TRACE_SIGNAL_IGNORED && sig != SIGCONT)
		return;
	rcu_read_lock();
	e = kq_watchtab_lookup(&kq_proc_tab, (unsigned long)task_tgid(task));
	if (e)
		hlist_for_each_entry_rcu(pw, &e->links, link)
			if (READ_ONCE(pw->interest) & NOTE_SIGNAL)
				kq_pwatch_post(pw, NOTE_SIGNAL);
	rcu_read_unlock();
}

int kq_proc_init(void)
{
	int err = kq_watchtab_init(&kq_proc_tab);

	if (err)
		return err;
	err = kq_reap_init();
	if (err) {
		kq_watchtab_destroy(&kq_proc_tab);
		return err;
	}
	err = kq_tp_register("sched_process_fork", kq_fork_probe, &kq_fork_tp);
	if (!err)
		err = kq_tp_register("sched_process_exec", kq_exec_probe,
				     &kq_exec_tp);
	if (!err)
		err = kq_tp_register("signal_generate", kq_signal_probe,
				     &kq_signal_tp);
	if (err)
		kq_proc_exit();	/* what was registered, the reap watch, the table */
	return err;
}

void kq_proc_exit(void)
{
	kq_tp_unregister(kq_signal_tp, kq_signal_probe);
	kq_tp_unregister(kq_exec_tp, kq_exec_probe);
	kq_tp_unregister(kq_fork_tp, kq_fork_probe);
	tracepoint_synchronize_unregister();
	kq_reap_exit();
	/* every knote is gone; call_rcu callbacks are waited for here */
	kq_watchtab_destroy(&kq_proc_tab);
}
