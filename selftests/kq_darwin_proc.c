// SPDX-License-Identifier: GPL-2.0
/*
 * Darwin's EVFILT_PROC flags: NOTE_EXITSTATUS (the wait status in data,
 * only when asked and only for the caller's children), NOTE_EXIT_DETAIL
 * (NOTE_EXIT_MEMORY for an OOM kill), NOTE_SIGNAL (a signal posted),
 * NOTE_REAP (the zombie reaped); and kevent()'s FreeBSD exit status,
 * unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/event.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kq_users.h"

FIXTURE(dp) {
	int kq;
};

FIXTURE_SETUP(dp)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(dp)
{
	close(self->kq);
}

/* One EVFILT_PROC change through kevent64(); 0 or the errno reported. */
static int watch(int kq, pid_t pid, __u16 flags, __u32 fflags)
{
	struct kevent64_s ch, ev;
	int n;

	EV_SET64(&ch, pid, EVFILT_PROC, flags | EV_RECEIPT, fflags, 0, 0, 0,
		 0);
	n = kevent64(kq, &ch, 1, &ev, 1, KEVENT_FLAG_ERROR_EVENTS, NULL);
	if (n != 1)
		return n < 0 ? errno : -1000;
	return ev.data;
}

static int wait_ev(int kq, struct kevent64_s *ev)
{
	struct timespec ts = { 10, 0 };

	return kevent64(kq, NULL, 0, ev, 1, 0, &ts);
}

/* A child that waits for a byte on @fd, then exits with @code. */
static pid_t child_waiting(int *wfd, int code)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(code);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void release(int wfd)
{
	if (write(wfd, "x", 1) != 1)
		abort();
	close(wfd);
}

/* NOTE_EXITSTATUS on a child: data is the wait status, fflags say so. */
TEST_F(dp, exitstatus_child)
{
	struct kevent64_s ev;
	int wfd, st;
	pid_t pid = child_waiting(&wfd, 3);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT | NOTE_EXITSTATUS));
	release(wfd);
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ((__u64)pid, ev.ident);
	EXPECT_EQ(NOTE_EXIT | NOTE_EXITSTATUS, ev.fflags);
	ASSERT_TRUE(WIFEXITED((int)ev.data));
	EXPECT_EQ(3, WEXITSTATUS((int)ev.data));
	EXPECT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(st, (int)ev.data);
}

/* Through kevent64() without NOTE_EXITSTATUS, data is 0 (Darwin). */
TEST_F(dp, no_exitstatus_no_data)
{
	struct kevent64_s ev;
	int wfd;
	pid_t pid = child_waiting(&wfd, 3);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT));
	release(wfd);
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(NOTE_EXIT, ev.fflags);
	EXPECT_EQ(0, ev.data);
	waitpid(pid, NULL, 0);
}

/* Plain kevent() keeps FreeBSD's status in data, asked or not. */
TEST_F(dp, plain_kevent_status)
{
	struct kevent ch, ev;
	struct timespec ts = { 10, 0 };
	int wfd;
	pid_t pid = child_waiting(&wfd, 5);

	ASSERT_LT(0, pid);
	EV_SET(&ch, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, &ch, 1, NULL, 0, NULL));
	release(wfd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(NOTE_EXIT, ev.fflags);
	EXPECT_EQ(5, WEXITSTATUS((int)ev.data));
	waitpid(pid, NULL, 0);
}

/* A zombie child: the exit with its status, at once. */
TEST_F(dp, exitstatus_zombie)
{
	struct kevent64_s ev;
	siginfo_t si;
	int wfd;
	pid_t pid = child_waiting(&wfd, 9);

	ASSERT_LT(0, pid);
	release(wfd);
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT | NOTE_EXITSTATUS));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(9, WEXITSTATUS((int)ev.data));
	waitpid(pid, NULL, 0);
}

/* Not the caller's child: NOTE_EXITSTATUS is EACCES, NOTE_EXIT alone is not. */
TEST_F(dp, exitstatus_not_child)
{
	int p[2], hold[2], wfd = -1;
	pid_t pid, grandchild = 0;
	char c;

	EXPECT_EQ(EACCES, watch(self->kq, getpid(), EV_ADD,
				NOTE_EXIT | NOTE_EXITSTATUS));
	EXPECT_EQ(EACCES, watch(self->kq, getppid(), EV_ADD,
				NOTE_EXIT | NOTE_EXITSTATUS));
	/* a grandchild */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(hold));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;

		close(p[0]);
		close(hold[1]);
		g = child_waiting(&wfd, 0);
		if (write(p[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		/* keep the grandchild until the test closes hold[1] */
		while (read(hold[0], &c, 1) > 0)
			;
		release(wfd);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	close(hold[0]);
	ASSERT_EQ(sizeof(grandchild),
		  read(p[0], &grandchild, sizeof(grandchild)));
	EXPECT_EQ(EACCES, watch(self->kq, grandchild, EV_ADD,
				NOTE_EXIT | NOTE_EXITSTATUS));
	EXPECT_EQ(0, watch(self->kq, grandchild, EV_ADD, NOTE_EXIT));
	/* and re-adding with it: EACCES too, the knote stays as it was */
	EXPECT_EQ(EACCES, watch(self->kq, grandchild, EV_ADD,
				NOTE_EXIT | NOTE_EXITSTATUS));
	EXPECT_EQ(0, watch(self->kq, grandchild, EV_DELETE, 0));
	close(hold[1]);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

/* NOTE_EXIT_DETAIL on a plain SIGKILL: no reason bit, the signal status. */
TEST_F(dp, exit_detail_signal)
{
	struct kevent64_s ev;
	int wfd;
	pid_t pid = child_waiting(&wfd, 0);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD,
			   NOTE_EXIT | NOTE_EXITSTATUS | NOTE_EXIT_DETAIL));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(NOTE_EXIT | NOTE_EXITSTATUS | NOTE_EXIT_DETAIL, ev.fflags);
	EXPECT_EQ(0, ev.data & NOTE_EXIT_DETAIL_MASK);
	EXPECT_TRUE(WIFSIGNALED((int)(ev.data & 0xffff)));
	EXPECT_EQ(SIGKILL, WTERMSIG((int)(ev.data & 0xffff)));
	close(wfd);
	waitpid(pid, NULL, 0);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * NOTE_EXIT_DETAIL on an OOM kill (a memory cgroup too small for the
 * child): NOTE_EXIT_MEMORY in data.
 */
TEST_F(dp, exit_detail_oom)
{
	char root[] = "/tmp/kq-cg-XXXXXX", cg[64], procs[96], path[96];
	struct kevent64_s ev;
	pid_t pid;
	int st;

	ASSERT_NE(NULL, mkdtemp(root));
	if (mount("none", root, "cgroup2", 0, NULL)) {
		rmdir(root);
		SKIP(return, "no cgroup2 here: %s", strerror(errno));
	}
	snprintf(cg, sizeof(cg), "%s/kq-oom", root);
	rmdir(cg);
	write_file(strcat(strcpy(path, root), "/cgroup.subtree_control"),
		   "+memory");
	if (mkdir(cg, 0755) ||
	    write_file(strcat(strcpy(path, cg), "/memory.max"), "8M")) {
		umount(root);
		rmdir(root);
		SKIP(return, "no memory controller");
	}
	write_file(strcat(strcpy(path, cg), "/memory.swap.max"), "0");
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);

	pid = fork();
	if (pid == 0) {
		/* in the cgroup, eat memory until killed */
		size_t n = 256 << 20, i;
		char *m;

		if (write_file(procs, "0"))
			_exit(2);
		m = malloc(n);
		for (i = 0; m && i < n; i += 4096)
			m[i] = 1;
		_exit(3);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD,
			   NOTE_EXIT | NOTE_EXITSTATUS | NOTE_EXIT_DETAIL));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ((__u64)pid, ev.ident);
	EXPECT_EQ(NOTE_EXIT_MEMORY, ev.data & NOTE_EXIT_DETAIL_MASK);
	EXPECT_EQ(SIGKILL, WTERMSIG((int)(ev.data & 0xffff)));
	EXPECT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	rmdir(cg);
	umount(root);
	rmdir(root);
}

/* NOTE_SIGNAL: a posted signal is reported, an ignored one is not. */
TEST_F(dp, note_signal)
{
	struct kevent64_s ev;
	struct timespec zero = { 0, 0 };
	int wfd;
	pid_t pid = child_waiting(&wfd, 4);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT | NOTE_SIGNAL));
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero));
	/* SIGCONT's default action is taken: it is posted, nothing dies */
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ((__u64)pid, ev.ident);
	EXPECT_EQ(NOTE_SIGNAL, ev.fflags);
	EXPECT_FALSE(ev.flags & EV_EOF);
	/* SIGWINCH is ignored by default: not posted, not reported */
	ASSERT_EQ(0, kill(pid, SIGWINCH));
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero));
	release(wfd);
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(NOTE_EXIT, ev.fflags);
	EXPECT_TRUE(ev.flags & EV_EOF);
	waitpid(pid, NULL, 0);
}

/* Without NOTE_SIGNAL, signals say nothing. */
TEST_F(dp, no_note_signal)
{
	struct kevent64_s ev;
	struct timespec zero = { 0, 0 };
	int wfd;
	pid_t pid = child_waiting(&wfd, 4);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero));
	release(wfd);
	waitpid(pid, NULL, 0);
}

/*
 * The fflags of every event up to the reaping (the exit and the reaping
 * may come as one event or two); without it, what came before the wait
 * that failed.  @ev: the last event.
 */
static __u32 until_reaped(int kq, struct kevent64_s *ev)
{
	__u32 got = 0;

	while (!(got & NOTE_REAP)) {
		if (wait_ev(kq, ev) != 1)
			break;
		got |= ev->fflags;
	}
	return got;
}

/*
 * NOTE_REAP (Darwin): the exit comes without EV_EOF, and the reaping by
 * waitpid() is the last event, with EV_EOF and EV_ONESHOT.
 */
TEST_F(dp, note_reap)
{
	struct kevent64_s ev;
	struct timespec zero = { 0, 0 };
	int wfd, st;
	pid_t pid = child_waiting(&wfd, 5);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD,
			   NOTE_EXIT | NOTE_EXITSTATUS | NOTE_REAP));
	release(wfd);
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(NOTE_EXIT | NOTE_EXITSTATUS, ev.fflags);
	EXPECT_EQ(5, WEXITSTATUS((int)ev.data));
	EXPECT_FALSE(ev.flags & (EV_EOF | EV_ONESHOT));
	/* a zombie is not reaped: nothing more until waitpid() */
	usleep(100000);
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ((__u64)pid, ev.ident);
	EXPECT_EQ(NOTE_REAP, ev.fflags & NOTE_REAP);
	EXPECT_FALSE(ev.fflags & NOTE_EXIT);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_TRUE(ev.flags & EV_ONESHOT);
	/* one-shot: the knote is gone */
	EXPECT_EQ(ENOENT, watch(self->kq, pid, EV_DELETE, 0));
}

/* NOTE_REAP added to a watch of a zombie; the reap comes with the exit. */
TEST_F(dp, note_reap_zombie_added_late)
{
	struct kevent64_s ev;
	int wfd;
	pid_t pid = child_waiting(&wfd, 6);
	siginfo_t si;

	ASSERT_LT(0, pid);
	release(wfd);
	/* a zombie, not reaped: WNOWAIT leaves it */
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT));
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT | NOTE_REAP));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(NOTE_EXIT | NOTE_REAP, until_reaped(self->kq, &ev));
	EXPECT_TRUE(ev.flags & EV_EOF);
}

/* A process whose parent ignores SIGCHLD is reaped by the kernel. */
TEST_F(dp, note_reap_autoreap)
{
	struct kevent64_s ev;
	int wfd;
	__u32 got;
	pid_t pid;

	signal(SIGCHLD, SIG_IGN);
	pid = child_waiting(&wfd, 0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD, NOTE_EXIT | NOTE_REAP));
	release(wfd);
	got = until_reaped(self->kq, &ev);
	signal(SIGCHLD, SIG_DFL);
	EXPECT_EQ(NOTE_EXIT | NOTE_REAP, got);
	EXPECT_TRUE(ev.flags & EV_EOF);
}

/* A second thread execs a shell that waits for EOF on @fd (stdin). */
static void *exec_thread(void *arg)
{
	int fd = *(int *)arg;

	dup2(fd, 0);
	execl("/bin/sh", "sh", "-c", "read x", (char *)NULL);
	_exit(98);
}

/*
 * A child whose second thread execs: the old leader is freed without the
 * process being reaped, so no NOTE_REAP until waitpid().
 */
TEST_F(dp, note_reap_not_on_exec)
{
	struct kevent64_s ev;
	struct timespec zero = { 0, 0 };
	int go[2], in[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(in));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t t;
		char c;

		close(go[1]);
		close(in[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(97);
		if (pthread_create(&t, NULL, exec_thread, &in[0]))
			_exit(96);
		for (;;)
			pause();
	}
	close(go[0]);
	close(in[0]);
	ASSERT_EQ(0, watch(self->kq, pid, EV_ADD,
			   NOTE_EXEC | NOTE_EXIT | NOTE_REAP));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, wait_ev(self->kq, &ev));
	EXPECT_EQ(NOTE_EXEC, ev.fflags);
	/* the old leader's release has passed its RCU grace period */
	usleep(300000);
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero));
	close(in[1]);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(NOTE_EXIT | NOTE_REAP, until_reaped(self->kq, &ev));
}

/*
 * Another user learns nothing: EVFILT_PROC on root's process, from uid
 * 65534, is EACCES with the Darwin flags as without them (no exit status,
 * no OOM detail, no signals, no reaping); its own process it may watch.
 */
TEST_F(dp, other_user_gets_no_exit_detail)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t root_pid = getppid();
		int kq;

		if (kq_drop_to_nobody())
			_exit(10);
		kq = kqueue();
		if (kq < 0)
			_exit(11);
		if (watch(kq, root_pid, EV_ADD,
			  NOTE_EXIT | NOTE_EXIT_DETAIL) != EACCES)
			_exit(12);
		if (watch(kq, root_pid, EV_ADD,
			  NOTE_EXIT | NOTE_EXITSTATUS) != EACCES)
			_exit(13);
		if (watch(kq, root_pid, EV_ADD, NOTE_EXIT) != EACCES)
			_exit(14);
		if (watch(kq, root_pid, EV_ADD, NOTE_SIGNAL) != EACCES)
			_exit(15);
		if (watch(kq, root_pid, EV_ADD,
			  NOTE_EXIT | NOTE_REAP) != EACCES)
			_exit(16);
		if (watch(kq, getpid(), EV_ADD, NOTE_SIGNAL | NOTE_REAP))
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: could not drop privileges; 11: kqueue(); 12-16: not EACCES; 17: own process refused");
}

/*
 * NOTE_TRACK through kevent64(): the knote made for the child keeps the
 * tracking knote's ext[] and udata, as its NOTE_CHILD event shows.
 */
TEST_F(dp, track_child_keeps_ext)
{
	struct kevent64_s ch, ev;
	struct timespec zero = { 0, 0 };
	int st, n, seen = 0;
	pid_t pid;

	EV_SET64(&ch, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK, 0, 0x77,
		 0x1234, 0x5678);
	ASSERT_EQ(0, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	while ((n = kevent64(self->kq, NULL, 0, &ev, 1, 0, &zero)) == 1) {
		if (ev.ident != (__u64)pid || !(ev.fflags & NOTE_CHILD))
			continue;
		seen = 1;
		EXPECT_EQ(getpid(), ev.data);
		EXPECT_EQ(0x77u, ev.udata);
		EXPECT_EQ(0x1234u, ev.ext[0]);
		EXPECT_EQ(0x5678u, ev.ext[1]);
	}
	EXPECT_EQ(0, n);
	EXPECT_TRUE(seen);
}

TEST_HARNESS_MAIN
