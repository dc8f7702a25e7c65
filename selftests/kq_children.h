/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Child processes.  Children (fork, clone) never run the harness's ASSERT_*
 * (they would longjmp inside the child): they check with KQ_CHILD_CHECK()
 * and KQ_CHILD_CHECK_ERR(), which print the failed condition with its line
 * to stderr (the TAP log) and _exit(1), or report with their exit code.
 * Every child arms alarm(KQ_CHILD_ALARM) so that nothing outlives a hung
 * test, and the parent waits for it with a bound (KQ_WAIT_CHILD).  The
 * parent and its children synchronise over pipes ("gates"), never sleeps.
 */
#ifndef KQ_CHILDREN_H
#define KQ_CHILDREN_H

#include "kq_fd.h"

/* A child that is left behind dies after this many seconds. */
#define KQ_CHILD_ALARM	60
/* How long the parent waits for a child (ms). */
#define KQ_CHILD_MS	30000

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif

static inline int kq_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline pid_t kq_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------------ */
/* Checks inside a child.                                              */

#define KQ_CHILD_CHECK(cond) do {					\
	if (!(cond)) {							\
		int __e = errno;					\
		fprintf(stderr, "# child %d: line %d: check failed: %s "\
			"(errno %d %s)\n", (int)getpid(), __LINE__,	\
			#cond, __e, strerror(__e));			\
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

/* expr must fail with -1 and errno err. */
#define KQ_CHILD_CHECK_ERR(expr, err) do {				\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	if (__r != -1 || errno != (err)) {				\
		int __e = errno;					\
		fprintf(stderr, "# child %d: line %d: %s = %ld errno %d "\
			"(%s), want -1 errno %d (%s)\n", (int)getpid(),	\
			__LINE__, #expr, __r, __e, strerror(__e), (err),\
			strerror(err));					\
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

/* ------------------------------------------------------------------ */
/* Waiting for children.                                               */

/* Wait for pid at most ms; 0 and *status, or -1 (then it is killed). */
static inline int kq_wait_child(pid_t pid, int *status, long ms)
{
	long long deadline = kq_now_ms() + ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG | __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (kq_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, __WALL);
			return -1;
		}
		usleep(5000);
	}
}

/* The child must exit with status 0 within KQ_CHILD_MS. */
#define KQ_WAIT_CHILD(pid) do {						\
	int __st = 0;							\
	int __w = kq_wait_child((pid), &__st, KQ_CHILD_MS);		\
	if (__w)							\
		TH_LOG("child %d did not exit in %d ms (killed)",	\
		       (int)(pid), KQ_CHILD_MS);			\
	ASSERT_EQ(0, __w);						\
	if (!WIFEXITED(__st) || WEXITSTATUS(__st) != 0)			\
		TH_LOG("child %d: wait status 0x%x (%s %d)", (int)(pid),\
		       __st, WIFEXITED(__st) ? "exit" : "signal",	\
		       WIFEXITED(__st) ? WEXITSTATUS(__st) :		\
		       WTERMSIG(__st));					\
	ASSERT_TRUE(WIFEXITED(__st));					\
	ASSERT_EQ(0, WEXITSTATUS(__st));				\
} while (0)

/* ------------------------------------------------------------------ */
/* Gates: one byte through a pipe.                                      */

struct kq_gate {
	int fd[2];
};

static inline int kq_gate_init(struct kq_gate *g)
{
	return pipe2(g->fd, O_CLOEXEC);
}

/* Open the gate (write one byte). */
static inline int kq_gate_open(struct kq_gate *g)
{
	return write(g->fd[1], "g", 1) == 1 ? 0 : -1;
}

/* Wait at the gate (blocking; a child is bounded by its alarm()). */
static inline int kq_gate_wait(struct kq_gate *g)
{
	char c;
	ssize_t r;

	do {
		r = read(g->fd[0], &c, 1);
	} while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

/* Wait at the gate for at most ms (for the parent); 0 on success. */
static inline int kq_gate_wait_ms(struct kq_gate *g, int ms)
{
	if (!(kq_wait_poll(g->fd[0], POLLIN, ms) & (POLLIN | POLLHUP)))
		return -1;
	return kq_gate_wait(g);
}

static inline void kq_gate_close(struct kq_gate *g)
{
	if (g->fd[0] >= 0)
		close(g->fd[0]);
	if (g->fd[1] >= 0)
		close(g->fd[1]);
	g->fd[0] = g->fd[1] = -1;
}

/*
 * Fork a child that waits at gate g, then exits with code (code < 0:
 * kills itself with signal -code).  Returns the pid (or -1).
 */
static inline pid_t kq_spawn_gated(struct kq_gate *g, int code)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	alarm(KQ_CHILD_ALARM);
	if (kq_gate_wait(g))
		_exit(120);
	if (code < 0) {
		signal(-code, SIG_DFL);
		kill(getpid(), -code);
		_exit(121);
	}
	_exit(code);
}

/* ------------------------------------------------------------------ */
/* Signals.                                                             */

static inline int kq_sig_block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

static inline int kq_sig_unblock(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static inline int kq_sig_set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* Take one pending sig (blocked) with a zero timeout: sig or -1. */
static inline int kq_sig_take_now(int sig)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, NULL, &zero);
}

/* ------------------------------------------------------------------ */
/* Wait statuses.                                                      */

/* A wait status as text, for diagnostics. */
static inline const char *kq_wstat_str(long st, char *buf, size_t len)
{
	int s = (int)st;

	if (WIFEXITED(s))
		snprintf(buf, len, "0x%lx (exited %d)", st, WEXITSTATUS(s));
	else if (WIFSIGNALED(s))
		snprintf(buf, len, "0x%lx (signal %d)", st, WTERMSIG(s));
	else
		snprintf(buf, len, "0x%lx (?)", st);
	return buf;
}

/* Assert that an event's data is the wait status "exited with code". */
#define KQ_ASSERT_EXITED(data, code) do {				\
	char __w[64];							\
	int __s = (int)(data);						\
	if (!WIFEXITED(__s) || WEXITSTATUS(__s) != (code))		\
		TH_LOG("status %s, want exited %d",			\
		       kq_wstat_str((data), __w, sizeof(__w)), (code));	\
	ASSERT_TRUE(WIFEXITED(__s));					\
	ASSERT_EQ((code), WEXITSTATUS(__s));				\
} while (0)

#define KQ_ASSERT_KILLED(data, sig) do {				\
	char __w[64];							\
	int __s = (int)(data);						\
	if (!WIFSIGNALED(__s) || WTERMSIG(__s) != (sig))		\
		TH_LOG("status %s, want killed by %d",			\
		       kq_wstat_str((data), __w, sizeof(__w)), (sig));	\
	ASSERT_TRUE(WIFSIGNALED(__s));					\
	ASSERT_EQ((sig), WTERMSIG(__s));				\
} while (0)

/*
 * Wait (bounded) until pid is a zombie, without reaping it (waitid with
 * WNOWAIT blocks until then; the bound is the harness's time limit).
 */
static inline int kq_wait_zombie(pid_t pid)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	do {
		r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	} while (r < 0 && errno == EINTR);
	return r == 0 && si.si_pid == pid ? 0 : -1;
}


#endif /* KQ_CHILDREN_H */
