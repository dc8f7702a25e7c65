// SPDX-License-Identifier: GPL-2.0
/*
 * KQUEUE_CPONFORK (FreeBSD 15, kqueuex(2)): a fork(2) child finds a copy
 * of the kqueue at the same descriptor, with a copy of each knote and the
 * parent's active events active in it; afterwards the two are
 * independent.  Without the flag the child gets EBADF (kq_fork.c).
 *
 * Children check with KQ_CHILD_CHECK() (kq_children.h) and exit 0; the parent waits.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <spawn.h>
#include "kq_children.h"
#include "kq_module.h"

static int cpkq(void)
{
	return kqueuex(KQUEUE_CPONFORK);
}

TEST(flags_checked)
{
	uint32_t bad = 0x4;
	int kq;

	errno = 0;
	EXPECT_EQ(-1, kqueuex(0x4));
	EXPECT_EQ(EINVAL, errno);
	kq = cpkq();
	ASSERT_LE(0, kq);
	errno = 0;
	EXPECT_EQ(-1, ioctl(kq, KQ_IOC_SET_FLAGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	close(kq);
}

/* Without the flag nothing changes: the child gets EBADF. */
TEST(without_flag_child_gets_ebadf)
{
	int kq = kqueue();
	pid_t pid;

	ASSERT_LE(0, kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK_ERR(kq_poll(kq, NULL, 0, 0), EBADF);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	close(kq);
}

/*
 * A triggered EVFILT_USER is active in both; each harvests its own, and
 * what one registers afterwards the other never sees.
 */
TEST(active_event_in_both_then_independent)
{
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x5,
		     0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		KQ_CHILD_CHECK(ev.ident == 1 && ev.filter == EVFILT_USER &&
		   (ev.fflags & 0x5) == 0x5);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		/* the child's own registration stays its own */
		KQ_CHILD_CHECK(kq_change(kq, 2, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
			     NULL) == 0);
		KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_USER, 0) == 2);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(1, kq_one_event(kq, EVFILT_USER, 0));
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* A pipe's knote fires in both; the child's close leaves the parent's. */
TEST(descriptor_knote_copied_child_close_harmless)
{
	int kq = cpkq(), p[2];
	pid_t pid;

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, NULL, 0, 0) == 0);
		KQ_CHILD_CHECK(write(p[1], "x", 1) == 1);
		KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_READ, 5000) == p[0]);
		close(kq);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the child's byte is there; the parent's knote sees it */
	ASSERT_EQ(p[0], kq_one_event(kq, EVFILT_READ, 5000));
	close(p[0]);
	close(p[1]);
	close(kq);
}

/* A timer armed just before the fork fires once in each process. */
TEST(timer_fires_once_in_each)
{
	struct kevent ev[4];
	int kq = cpkq(), n;
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 7, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 200, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, ev, 4, 5000) == 1);
		KQ_CHILD_CHECK(ev[0].ident == 7 && ev[0].data == 1);
		KQ_CHILD_CHECK(kq_poll(kq, ev, 4, 500) == 0);
		_exit(0);
	}
	n = kq_poll(kq, ev, 4, 5000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(7, ev[0].ident);
	EXPECT_EQ(1, ev[0].data);
	EXPECT_EQ(0, kq_poll(kq, ev, 4, 500));
	KQ_WAIT_CHILD(pid);
	close(kq);
}

/* A periodic timer keeps its period in the copy, counting on its own. */
TEST(periodic_timer_copied)
{
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 3, EVFILT_TIMER, EV_ADD, 0, 20, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 5000) == 1 && ev.ident == 3);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 5000) == 1 && ev.ident == 3);
		KQ_CHILD_CHECK(kq_change(kq, 3, EVFILT_TIMER, EV_DELETE, 0, 0, NULL) == 0);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 100) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the child's delete did not touch ours */
	ASSERT_EQ(3, kq_one_event(kq, EVFILT_TIMER, 5000));
	close(kq);
}

/* EVFILT_SIGNAL's copy counts the child's own signals. */
TEST(signal_knote_counts_childs_signals)
{
	sigset_t usr1, old;
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &usr1, &old));
	KQ_CHANGE_OK(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
		KQ_CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 5000) == 1);
		KQ_CHILD_CHECK(ev.ident == SIGUSR1 && ev.data == 2);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the child's signals were not the parent's */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(SIGUSR1, kq_one_event(kq, EVFILT_SIGNAL, 5000));
	/* the pending one, taken before the mask lets it kill us */
	ASSERT_EQ(SIGUSR1, sigtimedwait(&usr1, NULL, &(struct timespec){ 0 }));
	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, &old, NULL));
	close(kq);
}

/* A process watch is copied: both hear the watched process's exit. */
TEST(proc_watch_copied)
{
	struct kevent ev;
	int kq = cpkq(), go[2], st;
	pid_t w, pid;
	char c;

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, pipe(go));
	w = fork();
	ASSERT_LE(0, w);
	if (w == 0) {
		alarm(KQ_CHILD_ALARM);
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(9);
	}
	close(go[0]);
	KQ_CHANGE_OK(kq, w, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		close(go[1]);	/* the parent's close lets it go */
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 10000) == 1);
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)w && (ev.fflags & NOTE_EXIT) &&
		   WIFEXITED((int)ev.data) && WEXITSTATUS((int)ev.data) == 9);
		_exit(0);
	}
	close(go[1]);
	ASSERT_EQ(1, kq_poll(kq, &ev, 1, 10000));
	EXPECT_EQ((uintptr_t)w, ev.ident);
	EXPECT_TRUE(ev.fflags & NOTE_EXIT);
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(w, waitpid(w, &st, 0));
	close(kq);
}

/* Two descriptors of the kqueue name one copy; CLOEXEC is kept. */
TEST(dup_and_cloexec_kept)
{
	int kq = kqueuex(KQUEUE_CPONFORK | KQUEUE_CLOEXEC), kq2;
	pid_t pid;

	ASSERT_LE(0, kq);
	kq2 = dup(kq);
	ASSERT_LE(0, kq2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(fcntl(kq, F_GETFD) == FD_CLOEXEC);
		KQ_CHILD_CHECK(fcntl(kq2, F_GETFD) == 0);
		KQ_CHILD_CHECK(kq_change(kq, 4, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
			     NULL) == 0);
		KQ_CHILD_CHECK(kq_one_event(kq2, EVFILT_USER, 0) == 4);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	KQ_CHECK_NONE(kq);
	close(kq2);
	close(kq);
}

/* A grandchild gets a copy of the copy. */
TEST(copy_of_the_copy)
{
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 5, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int st;

		alarm(KQ_CHILD_ALARM);
		g = fork();
		KQ_CHILD_CHECK(g >= 0);
		if (g == 0) {
			KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_USER, 0) == 5);
			_exit(0);
		}
		KQ_CHILD_CHECK(waitpid(g, &st, 0) == g && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0);
		KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_USER, 0) == 5);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(5, kq_one_event(kq, EVFILT_USER, 0));
	close(kq);
}

/*
 * vfork() and posix_spawn() children get no copy (their parent waits for
 * them before it could make one): they run, exec and exit as usual.
 */
TEST(vfork_and_spawn_children_unaffected)
{
	char *argv[] = { "true", NULL };
	int kq = cpkq(), st;
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	pid = vfork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kq_poll(kq, NULL, 0, 0) == -1 && errno == EBADF ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(0, posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* and ours is untouched */
	ASSERT_EQ(1, kq_one_event(kq, EVFILT_USER, 0));
	close(kq);
}

/* Many forks: every copy goes with its child. */
TEST(many_forks_leave_nothing)
{
	long kqs0, knotes0;
	int kq = cpkq(), i, p[2];
	pid_t pid;

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 1, EVFILT_TIMER, EV_ADD, 0, 1000, NULL);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	kqs0 = kq_read_live("live_kqueues");
	knotes0 = kq_read_live("live_knotes");
	for (i = 0; i < 200; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			KQ_CHILD_CHECK(kq_poll(kq, NULL, 0, 0) == 0);
			_exit(0);
		}
		KQ_WAIT_CHILD(pid);
	}
	/* the last child's copy is released by its exit (task_work, RCU) */
	for (i = 0; i < 100 && kq_read_live("live_kqueues") != kqs0; i++)
		usleep(10000);
	EXPECT_EQ(kqs0, kq_read_live("live_kqueues"));
	EXPECT_EQ(knotes0, kq_read_live("live_knotes"));
	close(p[0]);
	close(p[1]);
	close(kq);
}

TEST_HARNESS_MAIN
