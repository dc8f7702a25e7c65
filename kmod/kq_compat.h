/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kqueue for Linux: what differs between the kernels the module builds for
 * (6.1, 6.12, 7.3).  One entry per change, saying which release made it;
 * the code elsewhere uses the newest interface.  kmod/Kbuild looks for each
 * interface in the kernel's headers (KQ_HAVE_*), so that a stable kernel
 * with a backport takes the new path.  Probe points, tracepoints and
 * fsnotify are found at load time instead (kq_close.c, kq_tracepoint.c,
 * kq_fsnotify.c).
 */
#ifndef KQ_COMPAT_H
#define KQ_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/workqueue.h>
#include <net/sock.h>

/*
 * 6.13 added hrtimer_setup(), which sets the callback with the clock and
 * mode; 6.15 removed hrtimer_init().
 */
#ifndef KQ_HAVE_HRTIMER_SETUP
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * 6.15 moved unix_inq_len()'s declaration from <net/af_unix.h> to
 * net/unix/af_unix.h, out of modules' reach; it is still exported.
 */
#ifndef KQ_HAVE_UNIX_INQ_LEN
long unix_inq_len(struct sock *sk);
#endif

/*
 * 6.17 named the unbound system workqueue system_dfl_wq (6.12.y has the
 * name too); 7.x logs a deprecation line for work queued on system_wq.
 */
#ifndef KQ_HAVE_SYSTEM_DFL_WQ
#define system_dfl_wq system_unbound_wq
#endif

/*
 * 6.2 added ftrace_regs_get_argument() (a macro on x86, a function on
 * arm64); 6.1's struct ftrace_regs is a pt_regs whose argument registers
 * ftrace_caller saves (x86: WITH_ARGS; arm64: WITH_REGS).
 */
#include <linux/ftrace.h>
#if !defined(ftrace_regs_get_argument) && !defined(KQ_HAVE_FTRACE_REGS_GET_ARGUMENT_FN)
#define ftrace_regs_get_argument(fregs, n) \
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/*
 * 7.x moved a process's dumpability from its mm (mm->flags, get_dumpable())
 * to task->exec_state, whose accessors are not exported.  True when the
 * owner may read the process (SUID_DUMP_USER, TASK_DUMPABLE_OWNER); a
 * process without either (a zombie) has only its ids to go by.  On 6.x
 * the caller holds task_lock(@t) or @t is current.
 */
#ifdef KQ_HAVE_TASK_EXEC_STATE
#include <linux/sched/exec_state.h>
static inline bool kq_task_dumpable(struct task_struct *t)
{
	struct task_exec_state *es;
	bool ok;

	rcu_read_lock();
	es = rcu_dereference(t->exec_state);
	ok = !es || es->dumpable == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return ok;
}
#else
#include <linux/sched/coredump.h>
static inline bool kq_task_dumpable(struct task_struct *t)
{
	return !t->mm || get_dumpable(t->mm) == SUID_DUMP_USER;
}
#endif

#endif /* KQ_COMPAT_H */
