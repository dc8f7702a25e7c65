/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the process, signal and vnode filter tests (kq_signal.c,
 * kq_proc.c, kq_procdesc.c, kq_vnode.c).  Include after kq_util.h.
 *
 * Processes: a forked child never runs the harness's ASSERT_* (they would
 * longjmp inside the child); it reports with its exit code instead, and
 * every child arms alarm() so that nothing outlives a hung test.  The
 * parent and its children synchronise over pipes ("gates"), never sleeps.
 */
#ifndef KQ_CHILD_H
#define KQ_CHILD_H

#include <pthread.h>
#include <sys/syscall.h>

/* A child that is left behind dies after this many seconds. */
#define KQ_CHILD_ALARM	60

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
/* Gates: one byte through a pipe.                                      */

struct kq_gate {
	int fd[2];
};

static inline int gate_init(struct kq_gate *g)
{
	return pipe2(g->fd, O_CLOEXEC);
}

/* Open the gate (write one byte). */
static inline int gate_open(struct kq_gate *g)
{
	return write(g->fd[1], "g", 1) == 1 ? 0 : -1;
}

/* Wait at the gate (blocking; a child is bounded by its alarm()). */
static inline int gate_wait(struct kq_gate *g)
{
	char c;
	ssize_t r;

	do {
		r = read(g->fd[0], &c, 1);
	} while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

/* Wait at the gate for at most ms (for the parent); 0 on success. */
static inline int gate_wait_ms(struct kq_gate *g, int ms)
{
	if (!(wait_poll(g->fd[0], POLLIN, ms) & (POLLIN | POLLHUP)))
		return -1;
	return gate_wait(g);
}

static inline void gate_close(struct kq_gate *g)
{
	if (g->fd[0] >= 0)
		close(g->fd[0]);
	if (g->fd[1] >= 0)
		close(g->fd[1]);
	g->fd[0] = g->fd[1] = -1;
}

/* Send/receive one int over a pipe. */
static inline int pipe_put_int(int fd, int v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

static inline int pipe_get_int_ms(int fd, int *v, int ms)
{
	if (!(wait_poll(fd, POLLIN, ms) & POLLIN))
		return -1;
	return read(fd, v, sizeof(*v)) == (ssize_t)sizeof(*v) ? 0 : -1;
}

/*
 * Fork a child that waits at gate g, then exits with code (code < 0:
 * kills itself with signal -code).  Returns the pid (or -1).
 */
static inline pid_t spawn_gated(struct kq_gate *g, int code)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	alarm(KQ_CHILD_ALARM);
	if (gate_wait(g))
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

static inline int sig_block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

static inline int sig_unblock(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static inline int sig_set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* Take one pending sig (blocked) with a zero timeout: sig or -1. */
static inline int sig_take_now(int sig)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, NULL, &zero);
}

/* ------------------------------------------------------------------ */
/* Events.                                                              */

/*
 * Wait (bounded by ms) for one event of (ident, filter); other events
 * are a failure.  Fills *out.
 */
#define KQ_WAIT_ONE(kq, out, id, filt, ms) do {			\
	KQ_GET_ONE(kq, out, ms);					\
	KQ_EXPECT_KEV(out, id, filt);					\
} while (0)

/* The event is there at once (zero timeout). */
#define KQ_NOW(kq, out, id, filt) KQ_WAIT_ONE(kq, out, id, filt, 0)

/*
 * Collect events until n have arrived, or until a kevent() call waiting
 * for what is left of ms returns nothing (ms 0: until nothing is pending
 * now).  Returns how many (or -1 on a kevent() error).
 */
static inline int kq_collect(int kq, struct kevent *evs, int n, long ms)
{
	long long deadline = kq_now_ms() + ms;
	int got = 0, r;

	while (got < n) {
		long left = (long)(deadline - kq_now_ms());

		r = kq_poll(kq, evs + got, n - got, left < 0 ? 0 : left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/* A wait status as text, for diagnostics. */
static inline const char *wstat_str(long st, char *buf, size_t len)
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
#define ASSERT_EXITED(data, code) do {					\
	char __w[64];							\
	int __s = (int)(data);						\
	if (!WIFEXITED(__s) || WEXITSTATUS(__s) != (code))		\
		TH_LOG("status %s, want exited %d",			\
		       wstat_str((data), __w, sizeof(__w)), (code));	\
	ASSERT_TRUE(WIFEXITED(__s));					\
	ASSERT_EQ((code), WEXITSTATUS(__s));				\
} while (0)

#define ASSERT_KILLED(data, sig) do {					\
	char __w[64];							\
	int __s = (int)(data);						\
	if (!WIFSIGNALED(__s) || WTERMSIG(__s) != (sig))		\
		TH_LOG("status %s, want killed by %d",			\
		       wstat_str((data), __w, sizeof(__w)), (sig));	\
	ASSERT_TRUE(WIFSIGNALED(__s));					\
	ASSERT_EQ((sig), WTERMSIG(__s));				\
} while (0)

/*
 * Wait (bounded) until pid is a zombie, without reaping it (waitid with
 * WNOWAIT blocks until then; the bound is the harness's time limit).
 */
static inline int wait_zombie(pid_t pid)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	do {
		r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	} while (r < 0 && errno == EINTR);
	return r == 0 && si.si_pid == pid ? 0 : -1;
}

/* A plain fixture, for TEST_F_TIMEOUT on tests without state. */
FIXTURE(slow) {
	int unused;
};
FIXTURE_SETUP(slow) { (void)self; }
FIXTURE_TEARDOWN(slow) { (void)self; }

#endif /* KQ_CHILD_H */
