// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_SIGNAL: ident = signal number, data = how many times the signal
 * was generated for this process since the last delivery (also when it is
 * ignored or blocked, and when it was sent to one of the process's
 * threads), EV_CLEAR implied, the signal itself untouched.  After FreeBSD
 * tests/sys/kqueue/libkqueue/signal.c, kqueue_peek_signal.c and
 * kqueue_fork.c, and NetBSD tests/kernel/kqueue/t_sig.c.
 *
 * Each test runs in its own process (the harness forks), so signal
 * dispositions and masks set here do not leak into other tests.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "kq_children.h"

/* A plain fixture, for TEST_F_TIMEOUT on tests without state. */
FIXTURE(slow) {
	int unused;
};
FIXTURE_SETUP(slow) { (void)self; }
FIXTURE_TEARDOWN(slow) { (void)self; }

/* ------------------------------------------------------------------ */
/* Registration.                                                        */

TEST(bad_signal_numbers_einval)
{
	int kq;

	KQ_OPEN(kq);
	KQ_CHANGE_ERR(kq, EINVAL, 0, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EINVAL, 65, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EINVAL, 1000, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EINVAL, (uintptr_t)-1, EVFILT_SIGNAL, EV_ADD, 0, 0,
		      NULL);
#ifdef __LP64__	/* (an i386 ident has no high bits) */
	KQ_CHANGE_ERR(kq, EINVAL, (uintptr_t)1 << 32 | SIGUSR1, EVFILT_SIGNAL,
		      EV_ADD, 0, 0, NULL);
#endif
	/* Real-time signals are accepted too. */
	KQ_CHANGE_OK(kq, 1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, SIGRTMIN, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* Linux signals are 1..64 (_NSIG): 64 is SIGRTMAX, a real signal. */
TEST(sigrtmax_64_counted)
{
	struct kevent ev;
	int kq;

	ASSERT_EQ(64, SIGRTMAX);
	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(64));
	KQ_CHANGE_OK(kq, 64, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), 64));
	KQ_WAIT_ONE(kq, &ev, 64, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(64, kq_sig_take_now(64));
	close(kq);
}

/* FreeBSD test_kevent_signal_add / _del. */
TEST(add_and_delete)
{
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0, 0,
		      NULL);
	KQ_CHANGE_ERR(kq, ENOENT, SIGUSR2, EVFILT_SIGNAL, EV_ENABLE, 0, 0,
		      NULL);
	/* The signal was not consumed. */
	ASSERT_EQ(SIGUSR1, kq_sig_take_now(SIGUSR1));
	close(kq);
}

/* FreeBSD test_kevent_signal_get: blocked signal, EV_CLEAR implied. */
TEST(get_blocked_counts_and_clears)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, (void *)0x51);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ((void *)0x51, ev.udata);
	EXPECT_EQ(0, ev.fflags);
	/* Implied EV_CLEAR: nothing until the next signal. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	/* Not consumed: still pending, once (a standard signal). */
	ASSERT_EQ(SIGUSR1, kq_sig_take_now(SIGUSR1));
	ASSERT_EQ(-1, kq_sig_take_now(SIGUSR1));
	close(kq);
}

/*
 * Every generation counts, even while a standard signal is already
 * pending (the kernel merges those into one).
 */
TEST(counts_every_kill_while_pending)
{
	struct kevent ev;
	int kq, i;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR2));
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	KQ_WAIT_ONE(kq, &ev, SIGUSR2, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(3, ev.data);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(SIGUSR2, kq_sig_take_now(SIGUSR2));
	ASSERT_EQ(-1, kq_sig_take_now(SIGUSR2));
	close(kq);
}

/* Queued real-time signals: each counts, each is still delivered. */
TEST(realtime_sigqueue_counts)
{
	union sigval v = { .sival_int = 7 };
	struct kevent ev;
	int kq, i, sig = SIGRTMIN + 1;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(sig));
	KQ_CHANGE_OK(kq, sig, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, sigqueue(getpid(), sig, v));
	KQ_WAIT_ONE(kq, &ev, sig, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(4, ev.data);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(sig, kq_sig_take_now(sig));
	ASSERT_EQ(-1, kq_sig_take_now(sig));
	/* Taking them generated nothing new. */
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* NetBSD t_sig: 5 ignored SIGUSR1 are counted (data 5). */
TEST(ignored_signals_counted)
{
	struct kevent ev;
	int kq, i;

	KQ_OPEN(kq);
	ASSERT_NE(SIG_ERR, signal(SIGUSR1, SIG_IGN));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(5, ev.data);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* SIGCHLD is ignored by default (SIG_DFL) and still counted. */
TEST(default_ignored_sigchld_counted)
{
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_NE(SIG_ERR, signal(SIGCHLD, SIG_DFL));
	KQ_CHANGE_OK(kq, SIGCHLD, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	KQ_WAIT_ONE(kq, &ev, SIGCHLD, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	close(kq);
}

static volatile sig_atomic_t handled;

static void count_handler(int sig)
{
	(void)sig;
	handled++;
}

/* A handler still runs; the knote counts alongside it. */
TEST(handler_still_runs)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	handled = 0;
	ASSERT_EQ(0, kq_sig_set_handler(SIGUSR2, count_handler));
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	/* A signal to self is handled before kill() returns. */
	EXPECT_EQ(1, handled);
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	EXPECT_EQ(2, handled);
	KQ_WAIT_ONE(kq, &ev, SIGUSR2, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* A blocked signal still reaches sigwait()/sigtimedwait(). */
TEST(sigwait_still_gets_blocked_signal)
{
	struct timespec ts = kq_ms(KQ_WAIT_MS);
	struct kevent ev;
	sigset_t set;
	int kq, sig = 0;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigwait(&set, &sig));
	ASSERT_EQ(SIGUSR1, sig);
	/* And the other way round: sigtimedwait first, then the event. */
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(SIGUSR1, sigtimedwait(&set, NULL, &ts));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* Signals the kernel generates count too: SIGPIPE, SIGALRM. */
TEST(kernel_generated_signals_counted)
{
	struct timespec ts = kq_ms(KQ_WAIT_MS);
	struct itimerval it;
	struct kevent ev;
	sigset_t set;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_NE(SIG_ERR, signal(SIGPIPE, SIG_IGN));
	ASSERT_EQ(0, kq_sig_block(SIGALRM));
	KQ_CHANGE_OK(kq, SIGPIPE, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, SIGALRM, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, pipe(p));
	close(p[0]);
	ASSERT_EQ(-1, write(p[1], "x", 1));
	ASSERT_EQ(EPIPE, errno);
	KQ_WAIT_ONE(kq, &ev, SIGPIPE, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 10000;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_EQ(SIGALRM, sigtimedwait(&set, NULL, &ts));
	KQ_WAIT_ONE(kq, &ev, SIGALRM, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	close(p[1]);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Threads.                                                             */

struct sig_thread {
	struct kq_gate go;	/* main -> thread: take the signal */
	int taken;
};

static void *sig_thread_fn(void *arg)
{
	struct sig_thread *t = arg;

	if (kq_gate_wait(&t->go) == 0)
		t->taken = kq_sig_take_now(SIGUSR1);
	return NULL;
}

/* pthread_kill() to another thread of the process counts. */
TEST(thread_directed_pthread_kill_counts)
{
	struct sig_thread t = { .taken = 0 };
	struct kevent ev;
	pthread_t th;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));	/* inherited by the thread */
	ASSERT_EQ(0, kq_gate_init(&t.go));
	ASSERT_EQ(0, pthread_create(&th, NULL, sig_thread_fn, &t));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, pthread_kill(th, SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	/* It is pending for that thread, untouched. */
	ASSERT_EQ(-1, kq_sig_take_now(SIGUSR1));
	ASSERT_EQ(0, kq_gate_open(&t.go));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(SIGUSR1, t.taken);
	kq_gate_close(&t.go);
	close(kq);
}

/* tgkill() to the calling thread, and kill() from another thread. */
TEST(tgkill_counts)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR2));
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, syscall(SYS_tgkill, getpid(), kq_gettid(), SIGUSR2));
	ASSERT_EQ(0, syscall(SYS_tgkill, getpid(), kq_gettid(), SIGUSR2));
	KQ_WAIT_ONE(kq, &ev, SIGUSR2, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	ASSERT_EQ(SIGUSR2, kq_sig_take_now(SIGUSR2));
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Knote life cycle.                                                    */

/* Two kqueues watching one signal count independently. */
TEST(two_kqueues_count_independently)
{
	struct kevent ev;
	int kq1, kq2;

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_NE(SIG_ERR, signal(SIGUSR1, SIG_IGN));
	KQ_CHANGE_OK(kq1, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq1, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq1, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	/* kq2 was not harvested: it has both. */
	KQ_WAIT_ONE(kq2, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	KQ_CHECK_NONE(kq1);
	KQ_CHECK_NONE(kq2);
	/* Deleting from one leaves the other counting. */
	KQ_CHANGE_OK(kq1, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq1);
	KQ_WAIT_ONE(kq2, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	close(kq1);
	close(kq2);
}

/* Two signals in one kqueue are two knotes. */
TEST(two_signals_two_knotes)
{
	struct kevent evs[4];
	int kq, r, i, seen1 = 0, seen2 = 0;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	ASSERT_EQ(0, kq_sig_block(SIGUSR2));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	r = kq_collect(kq, evs, 2, KQ_WAIT_MS);
	ASSERT_EQ(2, r);
	for (i = 0; i < r; i++) {
		ASSERT_EQ(EVFILT_SIGNAL, evs[i].filter);
		if (evs[i].ident == SIGUSR1) {
			seen1++;
			EXPECT_EQ(1, evs[i].data);
		} else if (evs[i].ident == SIGUSR2) {
			seen2++;
			EXPECT_EQ(2, evs[i].data);
		}
	}
	EXPECT_EQ(1, seen1);
	EXPECT_EQ(1, seen2);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/*
 * FreeBSD test_kevent_signal_disable/_enable: a disabled knote keeps
 * counting, and EV_ENABLE reports the count at once.
 */
TEST(disable_keeps_counting)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_DISABLE, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ENABLE, 0, 0, NULL);
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	KQ_CHECK_NONE(kq);
	/* FreeBSD's sequence: one while disabled, one after enabling. */
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_DISABLE, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ENABLE, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0, 0, NULL);
	close(kq);
}

/* FreeBSD test_kevent_signal_oneshot. */
TEST(oneshot)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD | EV_ONESHOT, 0, 0,
		     NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0, 0,
		      NULL);
	close(kq);
}

/* EV_DISPATCH: disabled after delivery, counting meanwhile. */
TEST(dispatch)
{
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD | EV_DISPATCH, 0, 0,
		     NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ENABLE, 0, 0, NULL);
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(2, ev.data);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* Closing the kqueue with a signal knote, then signals: nothing breaks. */
TEST(close_kqueue_with_signal_knotes)
{
	int kq, i;

	ASSERT_NE(SIG_ERR, signal(SIGUSR1, SIG_IGN));
	for (i = 0; i < 20; i++) {
		KQ_OPEN(kq);
		KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
		ASSERT_EQ(0, kill(getpid(), SIGUSR1));
		ASSERT_EQ(0, close(kq));
		ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	}
}

/* ------------------------------------------------------------------ */
/* Nesting: FreeBSD kqueue_peek_signal.                                 */

/*
 * An outer kqueue watches (EV_CLEAR) an inner one that watches SIGUSR1
 * (blocked).  100 rounds: kill(self) is visible through the outer kqueue
 * at once with a zero timeout, and sigtimedwait() still gets the signal.
 */
TEST_F_TIMEOUT(slow, peek_signal, 120)
{
	struct timespec zero = { 0, 0 }, ts = kq_ms(KQ_WAIT_MS);
	struct kevent ev;
	sigset_t set;
	int outer, inner, i, r;

	KQ_OPEN(outer);
	KQ_OPEN(inner);
	ASSERT_EQ(0, kq_sig_block(SIGUSR1));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	KQ_CHANGE_OK(inner, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(outer, inner, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0,
		     NULL);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, kill(getpid(), SIGUSR1));
		memset(&ev, 0, sizeof(ev));
		r = kevent(outer, NULL, 0, &ev, 1, &zero);
		ASSERT_EQ(1, r) TH_LOG("round %d: outer kevent() = %d", i, r);
		ASSERT_EQ((uintptr_t)inner, ev.ident);
		ASSERT_EQ(EVFILT_READ, ev.filter);
		ASSERT_EQ(SIGUSR1, sigtimedwait(&set, NULL, &ts))
			TH_LOG("round %d: %s", i, strerror(errno));
		memset(&ev, 0, sizeof(ev));
		ASSERT_EQ(1, kevent(inner, NULL, 0, &ev, 1, &zero))
			TH_LOG("round %d", i);
		ASSERT_EQ(SIGUSR1, ev.ident);
		ASSERT_EQ(EVFILT_SIGNAL, ev.filter);
		ASSERT_EQ(1, ev.data);
		ASSERT_EQ(0, kevent(outer, NULL, 0, &ev, 1, &zero));
		ASSERT_EQ(0, kevent(inner, NULL, 0, &ev, 1, &zero));
	}
	close(inner);
	close(outer);
}

/* A thread blocked in kevent() wakes for a signal sent from another. */
struct killer {
	struct kq_gate go;
	pid_t pid;
};

static void *killer_fn(void *arg)
{
	struct killer *k = arg;

	if (kq_gate_wait(&k->go) == 0)
		kill(k->pid, SIGUSR2);
	return NULL;
}

TEST(blocked_kevent_wakes_for_signal)
{
	struct killer k = { .pid = getpid() };
	struct kevent ev;
	pthread_t th;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR2));
	ASSERT_EQ(0, kq_gate_init(&k.go));
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, pthread_create(&th, NULL, killer_fn, &k));
	ASSERT_EQ(0, kq_gate_open(&k.go));
	KQ_WAIT_ONE(kq, &ev, SIGUSR2, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(SIGUSR2, kq_sig_take_now(SIGUSR2));
	kq_gate_close(&k.go);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Processes: FreeBSD kqueue_fork.                                      */

/*
 * The parent's kqueue is not usable in a fork child, and a signal knote
 * counts the signals of the process that registered it only: the child's
 * own kqueue sees the signal sent to the child (once), the parent's sees
 * the one sent to the parent (once).
 */
TEST(fork_child_counts_its_own_signals)
{
	struct kq_gate ready, go;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_NE(SIG_ERR, signal(SIGUSR1, SIG_IGN));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kq_gate_init(&ready));
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec zero = { 0, 0 };
		int ckq;

		alarm(KQ_CHILD_ALARM);
		/* Not shared with the child. */
		if (kevent(kq, NULL, 0, &ev, 1, &zero) != -1 ||
		    errno != EBADF)
			_exit(10);
		ckq = kqueue();
		if (ckq < 0 ||
		    kq_change(ckq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL))
			_exit(11);
		if (kq_gate_open(&ready) || kq_gate_wait(&go))
			_exit(12);
		memset(&ev, 0, sizeof(ev));
		if (kevent(ckq, NULL, 0, &ev, 1, &zero) != 1)
			_exit(13);
		if (ev.ident != SIGUSR1 || ev.filter != EVFILT_SIGNAL)
			_exit(14);
		if (ev.data != 1)
			_exit(20 + (ev.data > 20 ? 20 : (int)ev.data));
		_exit(0);
	}
	ASSERT_EQ(0, kq_gate_wait_ms(&ready, KQ_WAIT_MS));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("child: 10 inherited kqueue usable, 11 register, 13 no event, 2x data = x-20");
	KQ_WAIT_ONE(kq, &ev, SIGUSR1, EVFILT_SIGNAL, KQ_WAIT_MS);
	EXPECT_EQ(1, ev.data);
	KQ_CHECK_NONE(kq);
	kq_gate_close(&ready);
	kq_gate_close(&go);
	close(kq);
}

/*
 * FreeBSD shared_table_filt_sig: a process that shares its parent's
 * descriptor table (rfork(RFPROC) there, clone(CLONE_FILES) here) watches
 * an ignored SIGINT with its own kqueue; kill() from the parent wakes it.
 * A signal to the parent is not counted by the child's knote.
 */
struct shared_child {
	struct kq_gate ready, go;
	int result;
};

static int shared_child_fn(void *arg)
{
	struct shared_child *c = arg;
	struct kevent ev;
	int kq;

	alarm(KQ_CHILD_ALARM);
	kq = kqueue();
	if (kq < 0 ||
	    kq_change(kq, SIGINT, EVFILT_SIGNAL, EV_ADD | EV_ENABLE, 0, 0,
		      NULL))
		_exit(11);
	if (kq_gate_open(&c->ready) || kq_gate_wait(&c->go))
		_exit(12);
	/* Blocks until the signal was counted (bounded by the alarm). */
	memset(&ev, 0, sizeof(ev));
	if (kq_poll(kq, &ev, 1, 30000) != 1)
		_exit(13);
	if (ev.ident != SIGINT || ev.filter != EVFILT_SIGNAL)
		_exit(14);
	if (ev.data != 1)
		_exit(20 + (ev.data > 20 ? 20 : (int)ev.data));
	close(kq);
	_exit(0);
}

TEST(shared_fd_table_filt_sig)
{
	struct shared_child c;
	size_t stack_size = 256 * 1024;
	char *stack;
	int st;
	pid_t pid;

	ASSERT_NE(SIG_ERR, signal(SIGINT, SIG_IGN));
	ASSERT_EQ(0, kq_gate_init(&c.ready));
	ASSERT_EQ(0, kq_gate_init(&c.go));
	stack = malloc(stack_size);
	ASSERT_NE(NULL, stack);
	pid = clone(shared_child_fn, stack + stack_size,
		    CLONE_FILES | SIGCHLD, &c);
	ASSERT_LE(0, pid) TH_LOG("clone: %s", strerror(errno));
	ASSERT_EQ(0, kq_gate_wait_ms(&c.ready, KQ_WAIT_MS));
	/* Ours (ignored) is not the child's. */
	ASSERT_EQ(0, kill(getpid(), SIGINT));
	ASSERT_EQ(0, kill(pid, SIGINT));
	ASSERT_EQ(0, kq_gate_open(&c.go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("child: 11 register, 13 no event, 2x data = x-20");
	free(stack);
}

TEST_HARNESS_MAIN
