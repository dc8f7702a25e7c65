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
 * 6.2 added ftrace_regs_get_argument(); 6.1's x86 struct ftrace_regs is a
 * pt_regs whose argument registers ftrace_caller saves (WITH_ARGS).
 */
#include <linux/ftrace.h>
#ifndef ftrace_regs_get_argument
#define ftrace_regs_get_argument(fregs, n) \
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

#endif /* KQ_COMPAT_H */
