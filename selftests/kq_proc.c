// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_PROC: ident = pid; NOTE_EXIT (data = wait(2) status, EV_EOF |
 * EV_ONESHOT, never reaps), NOTE_FORK and NOTE_EXEC (fflags, accumulated
 * until delivered, EV_CLEAR implied), NOTE_TRACK (the watch follows fork;
 * each new child is reported with NOTE_CHILD, ident = child pid, data =
 * parent pid, as an event separate from its NOTE_EXIT).  After FreeBSD
 * tests/sys/kqueue/libkqueue/proc.c and NetBSD t_proc1, t_proc3, t_proc4.
 *
 * Children wait at gates (pipes) so that the watch is in place before they
 * act; nothing is synchronised by sleeping.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <sys/prctl.h>

#include "kq_children.h"

/* A plain fixture, for TEST_F_TIMEOUT on tests without state. */
FIXTURE(slow) {
	int unused;
};
FIXTURE_SETUP(slow) { (void)self; }
FIXTURE_TEARDOWN(slow) { (void)self; }

#define HELPER_FLAG	"--kq-proc-helper"

/*
 * The exec'd helper: argv = HELPER_FLAG statusfd gofd code.  Writes "E"
 * to statusfd (the exec is done), waits for a byte on gofd, exits with
 * code.  Runs from a constructor, before the harness.
 */
static void __attribute__((constructor))
maybe_proc_helper(int argc, char **argv)
{
	char c;

	if (argc != 5 || !argv || strcmp(argv[1], HELPER_FLAG))
		return;
	alarm(KQ_CHILD_ALARM);
	if (write(atoi(argv[2]), "E", 1) != 1)
		_exit(125);
	if (read(atoi(argv[3]), &c, 1) != 1)
		_exit(126);
	_exit(atoi(argv[4]));
}

/* In a child: exec the helper (status and go fds must survive exec). */
static void exec_helper(int statusfd, int gofd, int code)
{
	char a[3][16], *args[6];

	snprintf(a[0], sizeof(a[0]), "%d", statusfd);
	snprintf(a[1], sizeof(a[1]), "%d", gofd);
	snprintf(a[2], sizeof(a[2]), "%d", code);
	args[0] = "kq_proc";
	args[1] = HELPER_FLAG;
	args[2] = a[0];
	args[3] = a[1];
	args[4] = a[2];
	args[5] = NULL;
	execv("/proc/self/exe", args);
	_exit(124);
}

/* A pipe whose ends survive exec (no O_CLOEXEC). */
static int pipe_exec(int p[2])
{
	return pipe(p);
}

/* Wait for a NOTE_EXIT event of pid and check the status is 'exited code'. */
#define WAIT_EXIT(kq, ev, pid, code) do {				\
	KQ_WAIT_ONE(kq, ev, pid, EVFILT_PROC, KQ_WAIT_MS);		\
	ASSERT_TRUE((ev)->fflags & NOTE_EXIT);				\
	EXPECT_EQ(EV_EOF | EV_ONESHOT,					\
		  (ev)->flags & (EV_EOF | EV_ONESHOT));			\
	KQ_ASSERT_EXITED((ev)->data, code);				\
} while (0)

/* ------------------------------------------------------------------ */
/* Registration.                                                        */

TEST(no_such_pid_esrch)
{
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	/* Reaped: gone. */
	KQ_CHANGE_ERR(kq, ESRCH, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	KQ_CHANGE_ERR(kq, ESRCH, INT_MAX, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
		      NULL);
	KQ_CHANGE_ERR(kq, ENOENT, getpid(), EVFILT_PROC, EV_DELETE, 0, 0,
		      NULL);
	close(kq);
}

/*
 * FreeBSD add_and_delete: watching with no notes reports nothing; after
 * EV_DELETE the exit reports nothing.  And the kqueue is not inherited.
 */
TEST(add_and_delete)
{
	struct kq_gate go;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec zero = { 0, 0 };
		struct kevent ev;

		alarm(KQ_CHILD_ALARM);
		if (kevent(kq, NULL, 0, &ev, 1, &zero) != -1 ||
		    errno != EBADF)
			_exit(1);
		kq_gate_wait(&go);
		_exit(2);
	}
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(2, WEXITSTATUS(st)) TH_LOG("1: the kqueue was inherited");
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, pid, EVFILT_PROC, EV_DELETE, 0, 0, NULL);
	kq_gate_close(&go);
	close(kq);
}

/* Registered without NOTE_EXIT: the exit drops the knote silently. */
TEST(exit_without_note_exit_is_silent)
{
	struct kq_gate go;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 3);
	ASSERT_LE(0, pid);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXEC, 0,
		     NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	KQ_CHECK_NONE(kq);
	kq_gate_close(&go);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* NOTE_EXIT.                                                           */

TEST(exit_status_and_no_reap)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 7);
	ASSERT_LE(0, pid);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
		     (void *)0x77);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, pid, 7);
	EXPECT_EQ(NOTE_EXIT, ev.fflags);
	EXPECT_EQ((void *)0x77, ev.udata);
	/* Oneshot: gone. */
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, pid, EVFILT_PROC, EV_DELETE, 0, 0, NULL);
	/* Not reaped: the parent's waitpid() gets the same status. */
	ASSERT_EQ(pid, waitpid(pid, &st, WNOHANG));
	EXPECT_EQ((int)ev.data, st);
	kq_gate_close(&go);
	close(kq);
}

TEST(killed_status)
{
	struct kevent ev;
	int kq, st, p[2];
	pid_t pid;
	char c;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		for (;;)
			if (read(p[0], &c, 1) <= 0)
				_exit(5);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	ASSERT_TRUE(ev.fflags & NOTE_EXIT);
	EXPECT_TRUE(ev.flags & EV_EOF);
	KQ_ASSERT_KILLED(ev.data, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ((int)ev.data, st);
	close(p[0]);
	close(p[1]);
	close(kq);
}

/* A zombie (exited, not reaped): NOTE_EXIT fires at once. */
TEST(zombie_fires_at_once)
{
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(42);
	ASSERT_EQ(0, kq_wait_zombie(pid));
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_NOW(kq, &ev, pid, EVFILT_PROC);
	ASSERT_TRUE(ev.fflags & NOTE_EXIT);
	EXPECT_TRUE(ev.flags & EV_EOF);
	KQ_ASSERT_EXITED(ev.data, 42);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(pid, waitpid(pid, &st, WNOHANG));
	EXPECT_EQ((int)ev.data, st);
	close(kq);
}

/* A zombie watched without NOTE_EXIT: ESRCH (there is nothing to see). */
TEST(zombie_without_note_exit_esrch)
{
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(0, kq_wait_zombie(pid));
	KQ_CHANGE_ERR(kq, ESRCH, pid, EVFILT_PROC, EV_ADD, NOTE_FORK, 0,
		      NULL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(kq);
}

/* Two kqueues watching one process both get its exit. */
TEST(two_kqueues_both_see_exit)
{
	struct kq_gate go;
	struct kevent ev;
	int kq1, kq2, st;
	pid_t pid;

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 9);
	ASSERT_LE(0, pid);
	KQ_CHANGE_OK(kq1, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHANGE_OK(kq2, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq1, &ev, pid, 9);
	WAIT_EXIT(kq2, &ev, pid, 9);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(kq1);
	close(kq2);
}

/* A thread exiting is not the process exiting. */
static void *thread_return(void *arg)
{
	return arg;
}

TEST(thread_exit_is_not_process_exit)
{
	struct kq_gate go, done;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, kq_gate_init(&done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t th;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		if (pthread_create(&th, NULL, thread_return, NULL) ||
		    pthread_join(th, NULL))
			_exit(101);
		if (kq_gate_open(&done) || kq_gate_wait(&go))
			_exit(102);
		_exit(3);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_gate_wait_ms(&done, KQ_WAIT_MS));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, pid, 3);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	kq_gate_close(&done);
	close(kq);
}

/*
 * A process that is not our child (a grandchild): NOTE_EXIT arrives with
 * its status; its parent (our child) still reaps it with that status.
 */
TEST(non_child_exit)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st, gpid = 0, info[2];
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
		g = kq_spawn_gated(&go, 9);
		if (g < 0 || kq_put_int(info[1], g))
			_exit(100);
		if (waitpid(g, &gst, 0) != g)
			_exit(101);
		/* Report the status we reaped through our exit code. */
		_exit(WIFEXITED(gst) ? WEXITSTATUS(gst) : 102);
	}
	ASSERT_EQ(0, kq_get_int_ms(info[0], &gpid, KQ_WAIT_MS));
	ASSERT_NE(pid, gpid);
	KQ_CHANGE_OK(kq, gpid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, gpid, 9);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(9, WEXITSTATUS(st)) TH_LOG("the grandchild's parent reaped %d",
					     WEXITSTATUS(st));
	KQ_CHECK_NONE(kq);
	kq_gate_close(&go);
	close(info[0]);
	close(info[1]);
	close(kq);
}

/*
 * An unprivileged process may not watch a process of another user
 * (pid 1, our own root-owned test process): EACCES.  It may watch
 * itself and its own child.
 */
TEST(other_user_eacces)
{
	int st, ctl[2];
	pid_t pid;
	char msg[128];
	ssize_t n;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop to uid 65534");
	ASSERT_EQ(0, pipe2(ctl, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t parent = getppid(), c;
		struct kevent ev;
		int kq, r, e, cst;

		alarm(KQ_CHILD_ALARM);
		close(ctl[0]);
		kq = kqueue();
		if (kq < 0)
			_exit(100);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(101);
		r = kq_change(kq, 1, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
		e = errno;
		if (r != -1 || e != EACCES) {
			dprintf(ctl[1], "pid 1: kevent %d errno %d (%s)", r, e,
				strerror(e));
			_exit(1);
		}
		r = kq_change(kq, parent, EVFILT_PROC, EV_ADD,
			      NOTE_EXIT | NOTE_FORK, 0, NULL);
		e = errno;
		if (r != -1 || e != EACCES) {
			dprintf(ctl[1], "root parent: kevent %d errno %d (%s)",
				r, e, strerror(e));
			_exit(2);
		}
		if (kq_change(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0,
			      NULL)) {
			dprintf(ctl[1], "self: %s", strerror(errno));
			_exit(3);
		}
		c = fork();
		if (c == 0)
			_exit(8);
		if (c < 0)
			_exit(104);
		if (kq_change(kq, c, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL)) {
			dprintf(ctl[1], "own child: %s", strerror(errno));
			_exit(4);
		}
		/* Its exit (or its zombie) is reported. */
		memset(&ev, 0, sizeof(ev));
		while (kq_poll(kq, &ev, 1, KQ_WAIT_MS) == 1 &&
		       ev.ident != (uintptr_t)c)
			;
		if (ev.ident != (uintptr_t)c || !(ev.fflags & NOTE_EXIT) ||
		    !WIFEXITED((int)ev.data) || WEXITSTATUS((int)ev.data) != 8) {
			dprintf(ctl[1], "own child's exit: ident %lu fflags 0x%x data 0x%lx",
				(unsigned long)ev.ident, ev.fflags,
				(long)ev.data);
			_exit(5);
		}
		waitpid(c, &cst, 0);
		_exit(0);
	}
	close(ctl[1]);
	memset(msg, 0, sizeof(msg));
	n = read(ctl[0], msg, sizeof(msg) - 1);
	(void)n;
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("child: %s", msg);
	close(ctl[0]);
}

/* The process state letter from /proc/pid/stat ('?' if unreadable). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static struct kq_gate leader_go;

static void *exit_later(void *arg)
{
	(void)arg;
	if (kq_gate_wait(&leader_go))
		_exit(100);
	_exit(12);
}

/*
 * The thread group leader exits first (pthread_exit); the process is not
 * gone until its last thread exits, and that thread's status is reported.
 */
TEST(leader_exits_first)
{
	struct kevent ev;
	long long deadline;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&leader_go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t th;

		alarm(KQ_CHILD_ALARM);
		if (pthread_create(&th, NULL, exit_later, NULL))
			_exit(101);
		/* The leader alone (pthread_exit needs libgcc_s). */
		syscall(SYS_exit, 0);
		_exit(102);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	/* Wait (bounded) for the leader to be a zombie. */
	deadline = kq_now_ms() + KQ_WAIT_MS;
	while (proc_state(pid) != 'Z') {
		ASSERT_LT(kq_now_ms(), deadline)
			TH_LOG("leader state %c", proc_state(pid));
		usleep(10000);
	}
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&leader_go));
	WAIT_EXIT(kq, &ev, pid, 12);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ((int)ev.data, st);
	kq_gate_close(&leader_go);
	close(kq);
}

struct exec_thread_args {
	int statusfd, gofd;
};

static void *exec_from_thread(void *arg)
{
	struct exec_thread_args *a = arg;

	exec_helper(a->statusfd, a->gofd, 14);
	return NULL;
}

/*
 * A non-leader thread execs: the process keeps its pid (the thread takes
 * the leader's place).  NOTE_EXEC, no NOTE_EXIT for the old leader, and
 * the watch still reports the final exit.
 */
TEST(exec_from_thread_keeps_watch)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st, stp[2], gop[2];
	pid_t pid;
	char c;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, pipe(stp));
	ASSERT_EQ(0, pipe(gop));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct exec_thread_args a = { stp[1], gop[0] };
		pthread_t th;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		if (pthread_create(&th, NULL, exec_from_thread, &a))
			_exit(101);
		pthread_join(th, NULL);
		_exit(102);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXEC | NOTE_EXIT, 0,
		     NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_TRUE(kq_wait_poll(stp[0], POLLIN, KQ_WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(stp[0], &c, 1));
	ASSERT_EQ('E', c);
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	EXPECT_EQ(NOTE_EXEC, ev.fflags);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, write(gop[1], "g", 1));
	WAIT_EXIT(kq, &ev, pid, 14);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ((int)ev.data, st);
	kq_gate_close(&go);
	close(stp[0]);
	close(stp[1]);
	close(gop[0]);
	close(gop[1]);
	close(kq);
}

/* With SIGCHLD ignored the child is reaped at once; NOTE_EXIT still comes. */
TEST(autoreaped_child_exit)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_NE(SIG_ERR, signal(SIGCHLD, SIG_IGN));
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = kq_spawn_gated(&go, 13);
	ASSERT_LE(0, pid);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, pid, 13);
	ASSERT_EQ(-1, waitpid(pid, &st, 0));
	ASSERT_EQ(ECHILD, errno);
	KQ_CHECK_NONE(kq);
	kq_gate_close(&go);
	close(kq);
}

/* Closing a kqueue that watches processes, before or after they exit. */
TEST(close_kqueue_while_watching)
{
	struct kq_gate go;
	int kq, st, i;
	pid_t pid;

	ASSERT_EQ(0, kq_gate_init(&go));
	for (i = 0; i < 20; i++) {
		KQ_OPEN(kq);
		pid = kq_spawn_gated(&go, 0);
		ASSERT_LE(0, pid);
		KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD,
			     NOTE_EXIT | NOTE_FORK | NOTE_TRACK, 0, NULL);
		if (i & 1) {
			ASSERT_EQ(0, close(kq));
			ASSERT_EQ(0, kq_gate_open(&go));
			ASSERT_EQ(pid, waitpid(pid, &st, 0));
		} else {
			ASSERT_EQ(0, kq_gate_open(&go));
			ASSERT_EQ(0, kq_wait_zombie(pid));
			ASSERT_EQ(0, close(kq));
			ASSERT_EQ(pid, waitpid(pid, &st, 0));
		}
	}
	kq_gate_close(&go);
}

/* ------------------------------------------------------------------ */
/* NOTE_FORK, NOTE_EXEC.                                                */

/*
 * The child forks (twice) at the gate: one event with NOTE_FORK (both
 * forks accumulated), EV_CLEAR implied, then its exit.
 */
TEST(note_fork)
{
	struct kq_gate go, done;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, kq_gate_init(&done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i, gst;
		pid_t g;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		for (i = 0; i < 2; i++) {
			g = fork();
			if (g == 0)
				_exit(0);
			if (g < 0 || waitpid(g, &gst, 0) != g)
				_exit(101);
		}
		if (kq_gate_open(&done) || kq_gate_wait(&go))
			_exit(102);
		_exit(4);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0,
		     NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_gate_wait_ms(&done, KQ_WAIT_MS));
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	EXPECT_EQ(NOTE_FORK, ev.fflags);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	/* Implied EV_CLEAR. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, pid, 4);
	EXPECT_EQ(0, ev.fflags & NOTE_FORK);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	kq_gate_close(&done);
	close(kq);
}

/* The child execs the helper: NOTE_EXEC, then its exit. */
TEST(note_exec)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st, stp[2], gop[2];
	pid_t pid;
	char c;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, pipe_exec(stp));
	ASSERT_EQ(0, pipe_exec(gop));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		exec_helper(stp[1], gop[0], 6);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXEC | NOTE_EXIT, 0,
		     NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_TRUE(kq_wait_poll(stp[0], POLLIN, KQ_WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(stp[0], &c, 1));
	ASSERT_EQ('E', c);
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	EXPECT_EQ(NOTE_EXEC, ev.fflags);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, write(gop[1], "g", 1));
	WAIT_EXIT(kq, &ev, pid, 6);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(stp[0]);
	close(stp[1]);
	close(gop[0]);
	close(gop[1]);
	close(kq);
}

/*
 * NetBSD proc1: NOTE_EXIT | NOTE_FORK | NOTE_EXEC on a child that forks
 * and then execs: the fork and exec accumulate into one event, then the
 * exit comes with its status.
 */
TEST(proc1_fork_exec_exit)
{
	struct kq_gate go;
	struct kevent ev;
	int kq, st, stp[2], gop[2];
	pid_t pid;
	char c;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, pipe_exec(stp));
	ASSERT_EQ(0, pipe_exec(gop));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int gst;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		g = fork();
		if (g == 0)
			_exit(0);
		if (g < 0 || waitpid(g, &gst, 0) != g)
			_exit(101);
		exec_helper(stp[1], gop[0], 11);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD,
		     NOTE_EXIT | NOTE_FORK | NOTE_EXEC, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_TRUE(kq_wait_poll(stp[0], POLLIN, KQ_WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(stp[0], &c, 1));
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	EXPECT_EQ(NOTE_FORK | NOTE_EXEC, ev.fflags);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, write(gop[1], "g", 1));
	WAIT_EXIT(kq, &ev, pid, 11);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ((int)ev.data, st);
	kq_gate_close(&go);
	close(stp[0]);
	close(stp[1]);
	close(gop[0]);
	close(gop[1]);
	close(kq);
}

/* A disabled knote keeps the notes; EV_ENABLE reports them. */
TEST(disable_keeps_notes)
{
	struct kq_gate go, done;
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, kq_gate_init(&done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int gst;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		g = fork();
		if (g == 0)
			_exit(0);
		if (g < 0 || waitpid(g, &gst, 0) != g)
			_exit(101);
		if (kq_gate_open(&done) || kq_gate_wait(&go))
			_exit(102);
		_exit(0);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0,
		     NULL);
	/* The fflags of a modification replace the mask (FreeBSD). */
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_DISABLE, NOTE_FORK | NOTE_EXIT,
		     0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_gate_wait_ms(&done, KQ_WAIT_MS));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ENABLE, NOTE_FORK | NOTE_EXIT,
		     0, NULL);
	KQ_WAIT_ONE(kq, &ev, pid, EVFILT_PROC, KQ_WAIT_MS);
	EXPECT_EQ(NOTE_FORK, ev.fflags);
	ASSERT_EQ(0, kq_gate_open(&go));
	WAIT_EXIT(kq, &ev, pid, 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	kq_gate_close(&done);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* NOTE_TRACK.                                                          */

/*
 * FreeBSD proc_track: watch a child with NOTE_TRACK | NOTE_EXEC |
 * NOTE_EXIT | NOTE_FORK; it forks a grandchild that exits.  Exactly these
 * events: child FORK, grandchild CHILD (data = child pid), grandchild
 * EXIT, child EXIT.  The child's FORK and EXIT may share one event; the
 * grandchild's CHILD and EXIT must not.  hold: the grandchild waits until
 * its NOTE_CHILD was seen before exiting (else it races it).
 */
static void proc_track(struct __test_metadata *_metadata, int hold)
{
	struct kq_gate go, ghold;
	struct kevent evs[8];
	int kq, st, i, r, info[2], reported = 0;
	int child_fork = 0, child_exit = 0, g_child = 0, g_exit = 0;
	pid_t pid, gpid = -1;
	long long deadline;
	char b[160];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, kq_gate_init(&ghold));
	ASSERT_EQ(0, pipe2(info, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int gst;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		g = fork();
		if (g == 0) {
			if (hold && kq_gate_wait(&ghold))
				_exit(100);
			_exit(1);
		}
		if (g < 0 || kq_put_int(info[1], g))
			_exit(101);
		if (hold && (waitpid(g, &gst, 0) != g))
			_exit(102);
		_exit(0);
	}
	KQ_CHANGE_OK(kq, pid, EVFILT_PROC, EV_ADD | EV_ENABLE,
		     NOTE_TRACK | NOTE_EXEC | NOTE_EXIT | NOTE_FORK, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_get_int_ms(info[0], &reported, KQ_WAIT_MS));

	deadline = kq_now_ms() + 2 * KQ_WAIT_MS;
	while (!(child_fork && child_exit && g_child && g_exit)) {
		long left = (long)(deadline - kq_now_ms());

		ASSERT_LT(0, left) TH_LOG("fork %d exit %d gchild %d gexit %d",
					  child_fork, child_exit, g_child,
					  g_exit);
		r = kq_poll(kq, evs, 8, left);
		ASSERT_LE(0, r);
		for (i = 0; i < r; i++) {
			struct kevent *e = &evs[i];
			int handled = 0;

			TH_LOG("event %s", kq_kev_str(e, b, sizeof(b)));
			ASSERT_EQ(EVFILT_PROC, e->filter);
			ASSERT_EQ(0, e->fflags & NOTE_TRACKERR);
			ASSERT_FALSE((e->fflags & NOTE_CHILD) &&
				     (e->fflags & NOTE_EXIT))
				TH_LOG("NOTE_CHILD and NOTE_EXIT in one event");
			if (e->fflags & NOTE_CHILD) {
				ASSERT_EQ(0, g_child) TH_LOG("second NOTE_CHILD");
				ASSERT_EQ(pid, e->data);
				ASSERT_EQ((uintptr_t)reported, e->ident);
				gpid = e->ident;
				g_child++;
				handled++;
				if (hold)
					ASSERT_EQ(0, kq_gate_open(&ghold));
			}
			if (e->fflags & NOTE_EXIT) {
				if (e->ident == (uintptr_t)pid && !child_exit) {
					KQ_ASSERT_EXITED(e->data, 0);
					child_exit++;
				} else if (e->ident == (uintptr_t)gpid &&
					   !g_exit) {
					KQ_ASSERT_EXITED(e->data, 1);
					g_exit++;
				} else {
					ASSERT_TRUE(0) TH_LOG("spurious NOTE_EXIT");
				}
				EXPECT_TRUE(e->flags & EV_EOF);
				handled++;
			}
			if (e->fflags & NOTE_FORK) {
				ASSERT_EQ((uintptr_t)pid, e->ident)
					TH_LOG("spurious NOTE_FORK");
				ASSERT_EQ(0, child_fork);
				child_fork++;
				handled++;
			}
			ASSERT_NE(0, handled) TH_LOG("spurious event");
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("child status 0x%x", st);
	KQ_CHECK_NONE(kq);
	kq_gate_close(&go);
	kq_gate_close(&ghold);
	close(info[0]);
	close(info[1]);
	close(kq);
}

TEST_F_TIMEOUT(slow, track_grandchild_exits_at_once, 60)
{
	proc_track(_metadata, 0);
}

TEST_F_TIMEOUT(slow, track_grandchild_exits_later, 60)
{
	proc_track(_metadata, 1);
}

/* NetBSD proc3: NOTE_TRACK on self; a fork gives NOTE_CHILD for the child. */
TEST(proc3_track_self)
{
	struct timespec zero = { 0, 0 };
	struct kevent ev;
	int kq, st;
	pid_t pid;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(kq, NULL, 0, &ev, 1, &zero));
	ASSERT_EQ(EVFILT_PROC, ev.filter);
	ASSERT_TRUE(ev.fflags & NOTE_CHILD);
	ASSERT_EQ(0, ev.fflags & NOTE_TRACKERR);
	ASSERT_EQ((uintptr_t)pid, ev.ident);
	ASSERT_EQ(getpid(), ev.data);
	/* NOTE_EXIT was not asked for: nothing more. */
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* The tracked child gets the same fflags: its own forks are reported. */
TEST(track_child_inherits_fflags)
{
	struct kq_gate go, done;
	struct kevent evs[8];
	int kq, st, r, i, n = 0, saw_child = 0, saw_cfork = 0;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	ASSERT_EQ(0, kq_gate_init(&done));
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK | NOTE_FORK,
		     0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int gst;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(100);
		g = fork();
		if (g == 0)
			_exit(0);
		if (g < 0 || waitpid(g, &gst, 0) != g)
			_exit(101);
		if (kq_gate_open(&done) || kq_gate_wait(&go))
			_exit(102);
		_exit(0);
	}
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(0, kq_gate_wait_ms(&done, KQ_WAIT_MS));
	/* self FORK, child CHILD (+FORK, maybe merged), child FORK, gchild CHILD */
	r = kq_collect(kq, evs, 8, 0);
	ASSERT_LE(0, r);
	for (i = 0; i < r; i++) {
		char b[160];

		TH_LOG("event %s", kq_kev_str(&evs[i], b, sizeof(b)));
		if (evs[i].ident == (uintptr_t)pid) {
			if (evs[i].fflags & NOTE_CHILD)
				saw_child++;
			if (evs[i].fflags & NOTE_FORK)
				saw_cfork++;
		}
		if ((evs[i].fflags & NOTE_CHILD) && evs[i].data == pid)
			n++;	/* the grandchild */
	}
	EXPECT_EQ(1, saw_child);
	EXPECT_EQ(1, saw_cfork);
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, kq_gate_open(&go));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	kq_gate_close(&done);
	close(kq);
}

/*
 * Pid namespaces: idents are pids as the watcher sees them.  We watch
 * ourselves with NOTE_TRACK and fork the init of a new pid namespace; its
 * NOTE_CHILD carries our view of its pid.  Inside, it watches itself
 * (pid 1) and sees its own child as pid 2.
 */
TEST(track_across_pid_namespace)
{
	struct kevent evs[8];
	int kq, st, r, i, child = 0, cexit = 0;
	pid_t pid;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD,
		     NOTE_TRACK | NOTE_EXIT, 0, NULL);
	if (unshare(CLONE_NEWPID))
		SKIP(return, "unshare(CLONE_NEWPID): %s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int ckq, gst;
		pid_t g;

		alarm(KQ_CHILD_ALARM);
		if (getpid() != 1)
			_exit(100);
		ckq = kqueue();
		if (ckq < 0 ||
		    kq_change(ckq, 1, EVFILT_PROC, EV_ADD, NOTE_TRACK, 0,
			      NULL))
			_exit(101);
		g = fork();
		if (g == 0)
			_exit(0);
		if (g != 2 || waitpid(g, &gst, 0) != g)
			_exit(102);
		memset(&ev, 0, sizeof(ev));
		if (kq_poll(ckq, &ev, 1, KQ_WAIT_MS) != 1)
			_exit(103);
		if (!(ev.fflags & NOTE_CHILD))
			_exit(104);
		if (ev.ident != 2)
			_exit(105);
		if (ev.data != 1)
			_exit(106);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st))
		TH_LOG("inside: 103 no event, 104 not NOTE_CHILD, 105 ident not 2, 106 data not 1");
	/*
	 * Outside: NOTE_CHILD and NOTE_EXIT of pid and of the grandchild,
	 * in our numbers (a NOTE_EXIT may come in a later call than its
	 * NOTE_CHILD).
	 */
	r = kq_collect(kq, evs, 4, KQ_WAIT_MS);
	for (i = 0; i < r; i++) {
		char b[160];

		TH_LOG("event %s", kq_kev_str(&evs[i], b, sizeof(b)));
		if (evs[i].fflags & NOTE_CHILD) {
			/* pid's parent is us; the grandchild's is pid. */
			if (evs[i].ident == (uintptr_t)pid) {
				EXPECT_EQ(getpid(), evs[i].data);
			} else {
				EXPECT_EQ(pid, evs[i].data);
			}
			child++;
		}
		if (evs[i].fflags & NOTE_EXIT) {
			if (evs[i].ident == (uintptr_t)pid) {
				EXPECT_EQ(st, (int)evs[i].data);
			} else {
				KQ_ASSERT_EXITED(evs[i].data, 0);
			}
			cexit++;
		}
	}
	/* The grandchild (tracked too) has our number for it as well. */
	EXPECT_EQ(2, child);
	EXPECT_EQ(2, cexit);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/*
 * NetBSD proc4: NOTE_TRACK | NOTE_EXIT | NOTE_FORK on self; 10 children
 * each fork 10 grandchildren.  Exactly 110 NOTE_CHILD and 110 NOTE_EXIT
 * (children exit 66, grandchildren 76), never NOTE_TRACKERR, never CHILD
 * and EXIT in one event.  Each child's status is still there for wait4.
 */
#define P4_CHILDREN	10
#define P4_TOTAL	(P4_CHILDREN + P4_CHILDREN * P4_CHILDREN)
#define P4_EXIT_CHILD	66
#define P4_EXIT_GCHILD	76

static void p4_child(void)
{
	int i, st;
	pid_t pid;

	alarm(KQ_CHILD_ALARM);
	for (i = 0; i < P4_CHILDREN; i++) {
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid == 0)
			_exit(P4_EXIT_GCHILD);
	}
	for (i = 0; i < P4_CHILDREN; i++)
		if (wait(&st) < 0)
			_exit(2);
	_exit(P4_EXIT_CHILD);
}

TEST_F_TIMEOUT(slow, proc4_track_110, 120)
{
	pid_t children[P4_CHILDREN], me = getpid();
	pid_t tracked[P4_TOTAL], exited[P4_TOTAL];
	int kq, i, j, r, st, tracks = 0, cexits = 0, gexits = 0;
	struct timespec zero = { 0, 0 };
	struct kevent evs[16];
	long long deadline;
	char b[160];

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, me, EVFILT_PROC, EV_ADD,
		     NOTE_TRACK | NOTE_EXIT | NOTE_FORK, 0, NULL);
	for (i = 0; i < P4_CHILDREN; i++) {
		children[i] = fork();
		ASSERT_LE(0, children[i]);
		if (children[i] == 0)
			p4_child();
	}
	deadline = kq_now_ms() + 30000;
	while (tracks < P4_TOTAL || cexits < P4_CHILDREN ||
	       gexits < P4_CHILDREN * P4_CHILDREN) {
		long left = (long)(deadline - kq_now_ms());

		ASSERT_LT(0, left)
			TH_LOG("after 30 s: %d NOTE_CHILD, %d child exits, %d grandchild exits",
			       tracks, cexits, gexits);
		r = kq_poll(kq, evs, 16, left);
		ASSERT_LE(0, r);
		for (i = 0; i < r; i++) {
			struct kevent *e = &evs[i];

			ASSERT_EQ(EVFILT_PROC, e->filter);
			ASSERT_EQ(0, e->fflags & NOTE_TRACKERR)
				TH_LOG("%s", kq_kev_str(e, b, sizeof(b)));
			ASSERT_FALSE((e->fflags & NOTE_CHILD) &&
				     (e->fflags & NOTE_EXIT))
				TH_LOG("%s", kq_kev_str(e, b, sizeof(b)));
			if (e->fflags & NOTE_CHILD) {
				ASSERT_LT(tracks, P4_TOTAL);
				ASSERT_NE((uintptr_t)me, e->ident);
				for (j = 0; j < tracks; j++)
					ASSERT_NE((pid_t)e->ident, tracked[j]);
				tracked[tracks++] = e->ident;
				/* data: the parent, us or one of our children */
				for (j = 0; j < P4_CHILDREN; j++)
					if (e->data == children[j])
						break;
				ASSERT_TRUE(e->data == me || j < P4_CHILDREN)
					TH_LOG("%s", kq_kev_str(e, b, sizeof(b)));
			}
			if (e->fflags & NOTE_EXIT) {
				int s = (int)e->data;

				ASSERT_TRUE(e->flags & EV_EOF);
				ASSERT_NE((uintptr_t)me, e->ident);
				ASSERT_TRUE(WIFEXITED(s))
					TH_LOG("%s", kq_kev_str(e, b, sizeof(b)));
				for (j = 0; j < cexits + gexits; j++)
					ASSERT_NE((pid_t)e->ident, exited[j]);
				exited[cexits + gexits] = e->ident;
				if (WEXITSTATUS(s) == P4_EXIT_CHILD) {
					ASSERT_LT(cexits, P4_CHILDREN);
					cexits++;
					ASSERT_EQ((pid_t)e->ident,
						  wait4((pid_t)e->ident, &st,
							WNOHANG, NULL));
					ASSERT_EQ(s, st);
				} else {
					ASSERT_EQ(P4_EXIT_GCHILD,
						  WEXITSTATUS(s));
					ASSERT_LT(gexits,
						  P4_CHILDREN * P4_CHILDREN);
					gexits++;
				}
			}
		}
	}
	/* Anything left may only be a NOTE_FORK. */
	while ((r = kevent(kq, NULL, 0, evs, 16, &zero)) > 0)
		for (i = 0; i < r; i++)
			ASSERT_EQ(0, evs[i].fflags & ~NOTE_FORK)
				TH_LOG("left over %s",
				       kq_kev_str(&evs[i], b, sizeof(b)));
	ASSERT_EQ(0, r);
	close(kq);
}

TEST_HARNESS_MAIN
