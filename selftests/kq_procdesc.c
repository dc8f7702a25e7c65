// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_PROCDESC: ident = a process descriptor, here a Linux pidfd
 * (pidfd_open(2)).  NOTE_EXIT reports the exit with data = the wait(2)
 * status (EV_EOF, as FreeBSD's filt_procdesc sets it) and never reaps.
 * A descriptor that is not a pidfd: EINVAL; a closed one: EBADF.  Like
 * every descriptor knote, closing the pidfd removes it.
 */
#define _GNU_SOURCE
#include <sys/eventfd.h>
#include "kq_children.h"

/* Open a pidfd for pid; the test is skipped on a kernel without them. */
#define PIDFD_OPEN(fd, pid) do {					\
	(fd) = kq_pidfd_open(pid);					\
	if ((fd) < 0 && errno == ENOSYS)				\
		SKIP(return, "pidfd_open(2) not available");		\
	ASSERT_LE(0, (fd)) TH_LOG("pidfd_open: %s", strerror(errno));	\
} while (0)

#define WAIT_PD_EXIT(kq, ev, pfd) do {					\
	KQ_WAIT_ONE(kq, ev, pfd, EVFILT_PROCDESC, KQ_WAIT_MS);		\
	ASSERT_TRUE((ev)->fflags & NOTE_EXIT);				\
	EXPECT_TRUE((ev)->flags & EV_EOF);				\
} while (0)

TEST(exit_status)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 5);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		     (void *)0x5d);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_PD_EXIT(kq, &ev, pfd);
	EXPECT_EQ(NOTE_EXIT, ev.fflags);
	EXPECT_EQ((void *)0x5d, ev.udata);
	KQ_ASSERT_EXITED(ev.data, 5);
	/* Never reaps: the status is still the parent's. */
	ASSERT_EQ(pid, waitpid(pid, &st, WNOHANG));
	EXPECT_EQ((int)ev.data, st);
	kq_gate_close(&go);
	close(pfd);
	close(kq);
}

/* An exit while the knote is disabled is reported once it is enabled. */
TEST(exit_while_disabled)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 7);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_DISABLE, 0, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_wait_zombie(pid));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ENABLE, 0, 0, NULL);
	WAIT_PD_EXIT(kq, &ev, pfd);
	KQ_ASSERT_EXITED(ev.data, 7);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(pfd);
	close(kq);
}

TEST(killed_status)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, -SIGTERM);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_PD_EXIT(kq, &ev, pfd);
	KQ_ASSERT_KILLED(ev.data, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ((int)ev.data, st);
	/* SIGKILL through the pidfd itself. */
	pid = kq_spawn_gated(&go, 0);
	ASSERT_LE(0, pid);
	close(pfd);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0));
	WAIT_PD_EXIT(kq, &ev, pfd);
	KQ_ASSERT_KILLED(ev.data, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(pfd);
	close(kq);
}

/* Registered on an exited, unreaped process: fires at once. */
TEST(zombie_fires_at_once)
{
	struct kevent ev;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(17);
	PIDFD_OPEN(pfd, pid);
	ASSERT_EQ(0, kq_wait_zombie(pid));
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_NOW(kq, &ev, pfd, EVFILT_PROCDESC);
	ASSERT_TRUE(ev.fflags & NOTE_EXIT);
	KQ_ASSERT_EXITED(ev.data, 17);
	ASSERT_EQ(pid, waitpid(pid, &st, WNOHANG));
	close(pfd);
	close(kq);
}

/* Not our child: a grandchild's pidfd reports its exit too. */
TEST(non_child)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, pfd, st, gpid = 0, info[2];
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, pipe2(info, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int gst;

		alarm(KQ_CHILD_ALARM);
		g = kq_spawn_gated(&go, 23);
		if (g < 0 || kq_put_int(info[1], g))
			_exit(100);
		if (waitpid(g, &gst, 0) != g)
			_exit(101);
		_exit(WIFEXITED(gst) ? WEXITSTATUS(gst) : 102);
	}
	ASSERT_EQ(0, kq_get_int_ms(info[0], &gpid, KQ_WAIT_MS));
	PIDFD_OPEN(pfd, gpid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_PD_EXIT(kq, &ev, pfd);
	KQ_ASSERT_EXITED(ev.data, 23);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 23);
	kq_gate_close(&go);
	close(info[0]);
	close(info[1]);
	close(pfd);
	close(kq);
}

/* One process, two pidfds, two kqueues: each knote fires. */
TEST(two_pidfds)
{
	struct kq_gate go;
	struct kevent ev;
	int kq1, kq2, p1, p2, st;
	pid_t pid;

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 2);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(p1, pid);
	PIDFD_OPEN(p2, pid);
	KQ_CHANGE_OK(kq1, p1, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHANGE_OK(kq1, p2, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHANGE_OK(kq2, p1, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	{
		struct kevent evs[4];
		int r = kq_collect(kq1, evs, 2, KQ_WAIT_MS);

		ASSERT_EQ(2, r);
		ASSERT_NE(evs[0].ident, evs[1].ident);
		KQ_ASSERT_EXITED(evs[0].data, 2);
		KQ_ASSERT_EXITED(evs[1].data, 2);
	}
	WAIT_PD_EXIT(kq2, &ev, p1);
	KQ_ASSERT_EXITED(ev.data, 2);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(p1);
	close(p2);
	close(kq1);
	close(kq2);
}

TEST(delete_then_exit_is_silent)
{
	struct kq_gate go;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 0);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOENT, pfd, EVFILT_PROCDESC, EV_DELETE, 0, 0,
		      NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	KQ_CHECK_NONE(kq);
	kq_gate_close(&go);
	close(pfd);
	close(kq);
}

/* Closing the pidfd removes the knote (a descriptor knote). */
TEST(close_pidfd_removes_knote)
{
	struct kq_gate go;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 0);
	ASSERT_LE(0, pid);
	PIDFD_OPEN(pfd, pid);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, close(pfd));
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, EBADF, pfd, EVFILT_PROCDESC, EV_DELETE, 0, 0, NULL);
	kq_gate_close(&go);
	close(kq);
}

/* Not a pidfd: EINVAL.  A closed descriptor: EBADF. */
TEST(bad_descriptors)
{
	int kq, p[2], fd, sv[2];
	char path[] = "/tmp/kq_procdesc.XXXXXX";

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_ERR(kq, EINVAL, p[0], EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	KQ_CHANGE_ERR(kq, EINVAL, sv[0], EVFILT_PROCDESC, EV_ADD, NOTE_EXIT,
		      0, NULL);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	KQ_CHANGE_ERR(kq, EINVAL, fd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	/* A kqueue is not a process descriptor either. */
	KQ_CHANGE_ERR(kq, EINVAL, kq, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	close(fd);
	/* nor another anonymous-inode descriptor, as a pidfd is */
	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fd);
	KQ_CHANGE_ERR(kq, EINVAL, fd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	close(fd);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	KQ_CHANGE_ERR(kq, EBADF, 100000, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT,
		      0, NULL);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(kq);
}

/* The pidfd of the calling process itself: nothing while it lives. */
TEST(self_pidfd_no_event)
{
	int kq, pfd;

	KQ_OPEN(kq);
	PIDFD_OPEN(pfd, getpid());
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_DELETE, 0, 0, NULL);
	close(pfd);
	close(kq);
}

TEST_HARNESS_MAIN
