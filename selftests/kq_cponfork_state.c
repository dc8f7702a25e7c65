// SPDX-License-Identifier: GPL-2.0
/*
 * KQUEUE_CPONFORK: what a knote's copy takes with it, and which knotes are
 * not copied (kq_cponfork.c is the mechanism).  The copy keeps Darwin's
 * ext[] and qos, a disabled knote stays disabled, records still on the
 * parent's hubs (signals counted, a process's exit) and vnode notes not
 * yet harvested are pending in the copy too, a timer keeps NOTE_LEEWAY.
 * Not copied: a knote on a kqueue or epoll descriptor (an aggregator:
 * FreeBSD copies none either), an EV_DISPATCH2 knote whose delete is
 * deferred (it is gone once the parent re-enables it), and the knotes
 * that would take the user over a limit of the module (max_user_timers).
 * The copy takes the kqueue's descriptor even above free ones.
 *
 * Children check with KQ_CHILD_CHECK() (kq_children.h) and exit 0; the
 * parent waits.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "kq_children.h"
#include "kq_kevent.h"
#include "kq_module.h"
#include <linux/kqueue.h>

static int cpkq(void)
{
	return kqueuex(KQUEUE_CPONFORK);
}

/* kevent64(): one triggered EVFILT_USER event, or -1. */
static int poll64(int kq, struct kevent64_s *ev)
{
	return kevent64(kq, NULL, 0, ev, 1, KEVENT_FLAG_IMMEDIATE, NULL);
}

/* Darwin's ext[] (kevent64) and qos (kevent_qos) come with the copy. */
TEST(darwin_ext_and_qos_copied)
{
	struct kevent_qos_s q, qev;
	struct kevent64_s ch, ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	EV_SET64(&ch, 1, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
		 0x11, 0xaaaa, 0xbbbb);
	ASSERT_EQ(0, kevent64(kq, &ch, 1, NULL, 0, 0, NULL));
	EV_SET_QOS(&q, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0x15, 0x22,
		   NOTE_TRIGGER, 0, 0, 10, 20, 30, 40);
	ASSERT_EQ(0, kevent_qos(kq, &q, 1, NULL, 0, NULL, NULL, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		/* the Darwin-made knotes' records, in the order they came */
		KQ_CHILD_CHECK(kevent_qos(kq, NULL, 0, &qev, 1, NULL, NULL,
					  KEVENT_FLAG_IMMEDIATE) == 1);
		if (qev.ident == 1) {
			KQ_CHILD_CHECK(qev.ext[0] == 0xaaaa && qev.ext[1] == 0xbbbb);
			KQ_CHILD_CHECK(kevent_qos(kq, NULL, 0, &qev, 1, NULL, NULL,
						  KEVENT_FLAG_IMMEDIATE) == 1);
		}
		KQ_CHILD_CHECK(qev.ident == 2 && qev.qos == 0x15 &&
			       qev.udata == 0x22 && qev.ext[0] == 10 &&
			       qev.ext[1] == 20 && qev.ext[2] == 30 &&
			       qev.ext[3] == 40);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the parent's are its own, still pending */
	ASSERT_EQ(1, poll64(kq, &ev));
	if (ev.ident == 1) {
		EXPECT_EQ(0xaaaau, ev.ext[0]);
		EXPECT_EQ(0xbbbbu, ev.ext[1]);
	}
	close(kq);
}

/* A disabled knote is disabled in the copy: EV_ENABLE there shows it. */
TEST(disabled_knote_stays_disabled)
{
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 3, EVFILT_USER, EV_ADD | EV_DISABLE, NOTE_TRIGGER, 0,
		     NULL);
	KQ_CHECK_NONE(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		KQ_CHILD_CHECK(kq_change(kq, 3, EVFILT_USER, EV_ENABLE, 0, 0,
					 NULL) == 0);
		KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_USER, 0) == 3);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the child's EV_ENABLE was its own */
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, 3, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	ASSERT_EQ(3, kq_one_event(kq, EVFILT_USER, 0));
	close(kq);
}

/*
 * Signals counted on the parent's hub and not yet harvested when it forks
 * are pending in the copy with their count, and still in the parent's.
 */
TEST(pending_signal_count_copied)
{
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, kq_sig_block(SIGUSR2));
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	pid = fork();	/* no kevent() since: the counts are on the hub */
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		KQ_CHILD_CHECK(ev.ident == SIGUSR2 && ev.data == 3);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(1, kq_poll(kq, &ev, 1, 0));
	EXPECT_EQ(SIGUSR2, ev.ident);
	EXPECT_EQ(3, ev.data);
	kq_sig_take_now(SIGUSR2);
	ASSERT_EQ(0, kq_sig_unblock(SIGUSR2));
	close(kq);
}

/* A process's exit on the parent's hub when it forks: both report it. */
TEST(pending_process_exit_copied)
{
	struct kevent ev;
	int kq = cpkq(), st;
	pid_t w, pid;

	ASSERT_LE(0, kq);
	w = fork();
	ASSERT_LE(0, w);
	if (w == 0) {
		pause();
		_exit(0);
	}
	KQ_CHANGE_OK(kq, w, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kill(w, SIGTERM));
	ASSERT_EQ(0, kq_wait_zombie(w));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)w &&
			       (ev.fflags & NOTE_EXIT) &&
			       WIFSIGNALED((int)ev.data) &&
			       WTERMSIG((int)ev.data) == SIGTERM);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(1, kq_poll(kq, &ev, 1, 0));
	EXPECT_EQ((uintptr_t)w, ev.ident);
	EXPECT_TRUE(ev.fflags & NOTE_EXIT);
	ASSERT_EQ(w, waitpid(w, &st, 0));
	close(kq);
}

/*
 * A vnode knote's notes not yet harvested are pending in the copy; a
 * vnode knote with none has none there, and sees the child's writes.
 */
TEST(vnode_notes_copied)
{
	char path[64];
	struct kevent ev;
	int kq = cpkq(), a, b;
	pid_t pid;

	ASSERT_LE(0, kq);
	snprintf(path, sizeof(path), "/tmp/kq_cponfork_state.%d", getpid());
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, a);
	b = open(path, O_RDONLY);
	ASSERT_LE(0, b);
	unlink(path);
	KQ_CHANGE_OK(kq, a, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_WRITE, 0, NULL);
	KQ_CHANGE_OK(kq, b, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_ATTRIB, 0,
		     NULL);
	ASSERT_EQ(1, write(a, "x", 1));	/* NOTE_WRITE for a, nothing for b */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		/* (a write that extends is NOTE_WRITE | NOTE_EXTEND, as BSD) */
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)a &&
			       (ev.fflags & NOTE_WRITE));
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		KQ_CHILD_CHECK(fchmod(a, 0644) == 0);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)b &&
			       ev.fflags == NOTE_ATTRIB);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the parent's NOTE_WRITE, and the child's chmod seen here too */
	ASSERT_EQ(2, kq_poll(kq, (struct kevent[2]){}, 2, 0));
	KQ_CHECK_NONE(kq);
	close(a);
	close(b);
	close(kq);
}

/*
 * A timer with NOTE_LEEWAY (ext[1], Darwin) is copied with its slop: the
 * copy fires once in the child, reporting its ext[1].
 */
TEST(timer_with_leeway_copied)
{
	struct kevent64_s ch, ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	EV_SET64(&ch, 8, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_LEEWAY, 100,
		 0, 0, 20);
	ASSERT_EQ(0, kevent64(kq, &ch, 1, NULL, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec t = kq_ms(KQ_TIMER_WAIT_MS);

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kevent64(kq, NULL, 0, &ev, 1, 0, &t) == 1);
		KQ_CHILD_CHECK(ev.ident == 8 && ev.filter == EVFILT_TIMER &&
			       ev.data == 1 && ev.ext[1] == 20);
		KQ_CHILD_CHECK(poll64(kq, &ev) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(8, kq_one_event(kq, EVFILT_TIMER, KQ_TIMER_WAIT_MS));
	close(kq);
}

/* Knotes on a kqueue and on an epoll are not copied: EV_DELETE says so. */
TEST(aggregator_knotes_not_copied)
{
	int kq = cpkq(), inner = kqueue(), ep = epoll_create1(0);
	pid_t pid;

	ASSERT_LE(0, kq);
	ASSERT_LE(0, inner);
	ASSERT_LE(0, ep);
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(kq, inner, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, ep, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 9, EVFILT_USER, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK_ERR(kq_change(kq, inner, EVFILT_READ, EV_DELETE,
					     0, 0, NULL), ENOENT);
		KQ_CHILD_CHECK_ERR(kq_change(kq, ep, EVFILT_READ, EV_DELETE,
					     0, 0, NULL), ENOENT);
		KQ_CHILD_CHECK(kq_change(kq, 9, EVFILT_USER, EV_DELETE, 0, 0,
					 NULL) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* the parent's are there */
	ASSERT_EQ((long)inner, kq_one_event(kq, EVFILT_READ, 0));
	KQ_CHANGE_OK(kq, inner, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq, ep, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 9, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	close(ep);
	close(inner);
	close(kq);
}

/*
 * An EV_DISPATCH2 knote whose delete waits for EV_ENABLE is not copied:
 * the child has no such knote, the parent still gets its last event.
 */
TEST(deferred_delete_not_copied)
{
	struct kevent ev;
	int kq = cpkq();
	pid_t pid;

	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 4, EVFILT_USER, EV_ADD | EV_DISPATCH2, NOTE_TRIGGER,
		     0, NULL);
	ASSERT_EQ(4, kq_one_event(kq, EVFILT_USER, 0));
	KQ_CHANGE_ERR(kq, EINPROGRESS, 4, EVFILT_USER, EV_DELETE | EV_UDATA_SPECIFIC,
		      0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK_ERR(kq_change(kq, 4, EVFILT_USER,
					     EV_ENABLE | EV_UDATA_SPECIFIC, 0,
					     0, NULL), ENOENT);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	KQ_CHANGE_OK(kq, 4, EVFILT_USER, EV_ENABLE | EV_UDATA_SPECIFIC, 0, 0,
		     NULL);
	ASSERT_EQ(1, kq_poll(kq, &ev, 1, 0));
	EXPECT_EQ(4, ev.ident);
	EXPECT_TRUE(ev.flags & EV_DELETE);
	close(kq);
}

/*
 * The kqueue's descriptor has free ones below it: the child's copy is at
 * the same number, and the free ones stay free.
 */
TEST(copy_at_same_descriptor_above_free_ones)
{
	int kq = cpkq(), hi = 60, lowest;
	pid_t pid;

	ASSERT_LE(0, kq);
	ASSERT_EQ(hi, dup2(kq, hi));
	close(kq);
	KQ_CHANGE_OK(hi, 6, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	lowest = dup(0);
	ASSERT_LT(0, lowest);
	ASSERT_GT(hi, lowest);
	close(lowest);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_one_event(hi, EVFILT_USER, 0) == 6);
		fd = dup(0);
		KQ_CHILD_CHECK(fd == lowest);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(6, kq_one_event(hi, EVFILT_USER, 0));
	close(hi);
}

/* Copies over max_user_timers are left out; the parent keeps its own. */
TEST(copies_over_the_timer_limit_left_out)
{
	long long old;
	int kq = cpkq(), i;
	pid_t pid;

	ASSERT_LE(0, kq);
	if (kq_param_read("max_user_timers", &old))
		SKIP(return, "no max_user_timers parameter");
	for (i = 1; i <= 3; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_TIMER, EV_ADD, 0, 60000, NULL);
	/* room for the parent's three and one copy */
	ASSERT_EQ(0, kq_param_write("max_user_timers", 4));
	pid = fork();
	if (pid == 0) {
		int kept = 0;

		alarm(KQ_CHILD_ALARM);
		for (i = 1; i <= 3; i++)
			if (kq_change(kq, i, EVFILT_TIMER, EV_DELETE, 0, 0,
				      NULL) == 0)
				kept++;
			else
				KQ_CHILD_CHECK(errno == ENOENT);
		KQ_CHILD_CHECK(kept == 1);
		_exit(0);
	}
	kq_param_write("max_user_timers", old);
	ASSERT_LE(0, pid);
	KQ_WAIT_CHILD(pid);
	for (i = 1; i <= 3; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	close(kq);
}

/*
 * KQ_IOC_SET_FLAGS (what kqueuex() sets): a bad pointer is EFAULT; the
 * flag can be set on a plain kqueue and cleared again, and each fork
 * follows what it is then (a copy, or EBADF in the child).
 */
TEST(set_flags_on_and_off)
{
	uint32_t on = KQ_FLAG_CPONFORK, off = 0;
	int kq = kqueue();
	pid_t pid;

	ASSERT_LE(0, kq);
	errno = 0;
	EXPECT_EQ(-1, ioctl(kq, KQ_IOC_SET_FLAGS, NULL));
	EXPECT_EQ(EFAULT, errno);
	KQ_CHANGE_OK(kq, 2, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, ioctl(kq, KQ_IOC_SET_FLAGS, &on));
	ASSERT_EQ(0, ioctl(kq, KQ_IOC_SET_FLAGS, &on));	/* again: no change */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_one_event(kq, EVFILT_USER, 0) == 2);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(0, ioctl(kq, KQ_IOC_SET_FLAGS, &off));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK_ERR(kq_poll(kq, NULL, 0, 0), EBADF);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(2, kq_one_event(kq, EVFILT_USER, 0));
	close(kq);
}

TEST_HARNESS_MAIN
