// SPDX-License-Identifier: GPL-2.0
/*
 * What one unprivileged user can learn about, slow down or take from
 * another (/dev/kqueue is mode 0666).  The test runs as root and forks
 * children that become uid/gid 1000 and 1001.
 *
 * - EVFILT_PROCDESC on another user's process: EACCES, as EVFILT_PROC
 *   (pidfd_open(2) works on any visible pid); a second EV_ADD cannot widen
 *   it beyond NOTE_EXIT (FreeBSD), and it never tracks children.
 * - EVFILT_PROC follows the kernel's rule for reading a process: a
 *   same-user process that made itself non-dumpable cannot be watched
 *   (its parent still can), and NOTE_TRACK stops at a set-uid exec.
 * - EVFILT_VNODE needs read permission on the file (inotify's rule): a
 *   write-only descriptor shows nothing of others' opens and reads.
 * - max_user_timers: one user's timers do not take another's.
 * - Periodic timers nobody collects stop interrupting the machine, and
 *   still count every period exactly.
 * - The cost of a signal to a process without signal knotes does not grow
 *   with another user's signal knotes (a ratio within one run).
 * - A wide graph of kqueues watching kqueues is checked in the time of
 *   its size, not of its number of paths (the check holds a global lock).
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/prctl.h>
#include "kq_children.h"
#include "kq_users.h"
#include "kq_module.h"

/* ------------------------------------------------------------------ */
/* EVFILT_PROCDESC                                                     */

TEST(procdesc_other_users_process_eacces)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int kq, pfd, cpfd, st;
		pid_t c;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		/* pidfd_open() of root's processes works... */
		pfd = kq_pidfd_open(parent);
		KQ_CHILD_CHECK(pfd >= 0);
		/* ...but watching them does not, with any fflags */
		KQ_CHILD_CHECK_ERR(kq_change(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT,
				  0, NULL), EACCES);
		KQ_CHILD_CHECK_ERR(kq_change(kq, pfd, EVFILT_PROCDESC, EV_ADD, 0, 0,
				  NULL), EACCES);
		close(pfd);
		pfd = kq_pidfd_open(1);
		KQ_CHILD_CHECK(pfd >= 0);
		KQ_CHILD_CHECK_ERR(kq_change(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT,
				  0, NULL), EACCES);
		/* its own child: allowed */
		c = fork();
		KQ_CHILD_CHECK(c >= 0);
		if (c == 0) {
			pause();
			_exit(0);
		}
		cpfd = kq_pidfd_open(c);
		KQ_CHILD_CHECK(cpfd >= 0);
		KQ_CHILD_CHECK(kq_change(kq, cpfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0,
			      NULL) == 0);
		KQ_CHILD_CHECK(kill(c, SIGKILL) == 0);
		KQ_CHILD_CHECK(kevent(kq, NULL, 0, &ev, 1, NULL) == 1);
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)cpfd && (ev.fflags & NOTE_EXIT));
		KQ_CHILD_CHECK(WIFSIGNALED(ev.data) && WTERMSIG(ev.data) == SIGKILL);
		KQ_CHILD_CHECK(waitpid(c, &st, 0) == c);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
}

/*
 * A child forks a grandchild, execs and exits; the knote was re-added
 * with NOTE_FORK|NOTE_EXEC|NOTE_TRACK: only its exit is reported, and no
 * knote for the grandchild appears.
 */
TEST(procdesc_readd_keeps_exit_only)
{
	struct kq_gate go;
	struct kevent evs[8];
	int kq, pfd, n, i, st;
	long before;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_gate_init(&go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;

		alarm(KQ_CHILD_ALARM);
		if (kq_gate_wait(&go))
			_exit(120);
		g = fork();
		if (g == 0)
			_exit(0);
		waitpid(g, NULL, 0);
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(121);
	}
	pfd = kq_pidfd_open(pid);
	ASSERT_LE(0, pfd);
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
	before = kq_read_live("live_knotes");
	KQ_CHANGE_OK(kq, pfd, EVFILT_PROCDESC, EV_ADD,
		     NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK, 0, NULL);
	ASSERT_EQ(0, kq_gate_open(&go));
	n = kq_collect(kq, evs, 8, KQ_WAIT_MS);
	ASSERT_EQ(1, n) TH_LOG("%d events for one exit", n);
	for (i = 0; i < n; i++)
		TH_LOG("event ident %lu fflags %#x", (unsigned long)evs[i].ident,
		       evs[i].fflags);
	EXPECT_EQ((uintptr_t)pfd, evs[0].ident);
	EXPECT_EQ(NOTE_EXIT, evs[0].fflags);
	KQ_ASSERT_EXITED(evs[0].data, 7);
	/* no child knote was made (the exited one is gone) */
	EXPECT_EQ(before - 1, kq_read_live("live_knotes"));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	kq_gate_close(&go);
	close(pfd);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* EVFILT_PROC: the rule for reading another process                   */

/*
 * uid 1000: a sibling that made itself non-dumpable (PR_SET_DUMPABLE 0,
 * as ssh-agent does) cannot be watched, as ptrace and /proc refuse it; once
 * dumpable again it can.  Its parent, uid 1000 too, may watch it anyway.
 */
TEST(proc_nondumpable_same_user_eacces)
{
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int kq, go[2], done[2], st;
		pid_t b, c;
		char ch;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		KQ_CHILD_CHECK(pipe(go) == 0 && pipe(done) == 0);
		b = fork();
		KQ_CHILD_CHECK(b >= 0);
		if (b == 0) {
			/* dumpable, then not, on each byte */
			KQ_CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
			KQ_CHILD_CHECK(write(done[1], "d", 1) == 1);
			KQ_CHILD_CHECK(read(go[0], &ch, 1) == 1);
			KQ_CHILD_CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
			KQ_CHILD_CHECK(write(done[1], "n", 1) == 1);
			pause();
			_exit(0);
		}
		KQ_CHILD_CHECK(read(done[0], &ch, 1) == 1);
		c = fork();
		KQ_CHILD_CHECK(c >= 0);
		if (c == 0) {
			kq = kqueue();
			KQ_CHILD_CHECK(kq >= 0);
			KQ_CHILD_CHECK(kq_change(kq, b, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
				      NULL) == 0);
			KQ_CHILD_CHECK(write(go[1], "g", 1) == 1);
			KQ_CHILD_CHECK(read(done[0], &ch, 1) == 1);
			/* a new knote: an existing one is not checked again */
			close(kq);
			kq = kqueue();
			KQ_CHILD_CHECK(kq >= 0);
			KQ_CHILD_CHECK_ERR(kq_change(kq, b, EVFILT_PROC, EV_ADD,
					  NOTE_EXIT | NOTE_FORK, 0, NULL)
			       , EACCES);
			_exit(0);
		}
		KQ_CHILD_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0);
		/* the parent: allowed, non-dumpable or not */
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		KQ_CHILD_CHECK(kq_change(kq, b, EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_FORK,
			      0, NULL) == 0);
		KQ_CHILD_CHECK(kill(b, SIGKILL) == 0);
		KQ_CHILD_CHECK(waitpid(b, &st, 0) == b);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
}

/*
 * Linux's rule for reading another process (ptrace_may_access()): the
 * watcher's uid must be the target's real, effective and saved uid, and
 * its gid the three gids.  A process of user A that keeps any other id
 * (a set-uid program's saved root uid, say) is not A's to watch.
 */
TEST(proc_every_id_must_match)
{
	enum { A = KQ_USER_A };
	static const struct {
		unsigned int uid[3], gid[3];	/* real, effective, saved */
		int err;
	} t[] = {
		{ { A, A, A }, { A, A, A }, 0 },
		{ { 0, A, A }, { A, A, A }, EACCES },
		{ { A, 0, A }, { A, A, A }, EACCES },
		{ { A, A, 0 }, { A, A, A }, EACCES },
		{ { A, A, A }, { 0, A, A }, EACCES },
		{ { A, A, A }, { A, 0, A }, EACCES },
		{ { A, A, A }, { A, A, 0 }, EACCES },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ready[2], st;
		pid_t target, watcher;
		char ch;

		ASSERT_EQ(0, pipe(ready));
		target = fork();
		ASSERT_LE(0, target);
		if (target == 0) {
			alarm(KQ_CHILD_ALARM);
			KQ_CHILD_CHECK(setgroups(0, NULL) == 0);
			KQ_CHILD_CHECK(setresgid(t[i].gid[0], t[i].gid[1],
						 t[i].gid[2]) == 0);
			KQ_CHILD_CHECK(setresuid(t[i].uid[0], t[i].uid[1],
						 t[i].uid[2]) == 0);
			/* an id change made it non-dumpable: not the point */
			KQ_CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
			KQ_CHILD_CHECK(write(ready[1], "r", 1) == 1);
			pause();
			_exit(0);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &ch, 1));
		close(ready[0]);
		watcher = fork();
		ASSERT_LE(0, watcher);
		if (watcher == 0) {
			int kq, r;

			alarm(KQ_CHILD_ALARM);
			KQ_CHILD_CHECK(kq_become(A) == 0);
			kq = kqueue();
			KQ_CHILD_CHECK(kq >= 0);
			r = kq_change(kq, target, EVFILT_PROC, EV_ADD,
				      NOTE_EXIT, 0, NULL);
			_exit(r ? errno : 0);
		}
		ASSERT_EQ(watcher, waitpid(watcher, &st, 0));
		EXPECT_TRUE(WIFEXITED(st));
		EXPECT_EQ(t[i].err, WEXITSTATUS(st))
			TH_LOG("target ids %u/%u/%u, gids %u/%u/%u", t[i].uid[0],
			       t[i].uid[1], t[i].uid[2], t[i].gid[0],
			       t[i].gid[1], t[i].gid[2]);
		ASSERT_EQ(0, kill(target, SIGKILL));
		ASSERT_EQ(target, waitpid(target, &st, 0));
	}
}

#define SUID_SHELL	"/tmp/kq-suid-busybox"

/*
 * uid 1000 watches its child with NOTE_TRACK | NOTE_EXIT | NOTE_FORK |
 * NOTE_EXEC; the child execs a set-uid-root program that forks.  The
 * watch ends at the exec with EV_EOF, like a vanished process: no
 * NOTE_CHILD for root's children, no exit status, nothing after.
 */
TEST(track_stops_at_setuid_exec)
{
	struct stat sb;
	pid_t pid;
	int in, out;
	char buf[4096];
	ssize_t n;

	in = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		SKIP(return, "no /bin/busybox to make set-uid");
	out = open(SUID_SHELL, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	ASSERT_LE(0, out);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ASSERT_EQ(n, write(out, buf, n));
	close(in);
	close(out);
	ASSERT_EQ(0, chmod(SUID_SHELL, 04755));
	ASSERT_EQ(0, stat(SUID_SHELL, &sb));
	ASSERT_EQ(0, sb.st_uid);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent evs[8];
		int kq, go[2], st, r, i, eof = 0;
		long long deadline;
		pid_t c;
		char ch;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		KQ_CHILD_CHECK(pipe(go) == 0);
		c = fork();
		KQ_CHILD_CHECK(c >= 0);
		if (c == 0) {
			close(go[1]);
			if (read(go[0], &ch, 1) != 1)
				_exit(100);
			execl(SUID_SHELL, "sh", "-c",
			      "/bin/true & wait; /bin/true & wait; exit 3",
			      (char *)NULL);
			_exit(101);
		}
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		KQ_CHILD_CHECK(kq_change(kq, c, EVFILT_PROC, EV_ADD,
			      NOTE_TRACK | NOTE_EXIT | NOTE_FORK | NOTE_EXEC,
			      0, NULL) == 0);
		KQ_CHILD_CHECK(write(go[1], "g", 1) == 1);
		KQ_CHILD_CHECK(waitpid(c, &st, 0) == c);
		KQ_CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
		/* all has happened: collect for a while */
		deadline = kq_now_ms() + 1000;
		while (kq_now_ms() < deadline) {
			r = kq_poll(kq, evs, 8, 200);
			KQ_CHILD_CHECK(r >= 0);
			for (i = 0; i < r; i++) {
				fprintf(stderr, "# event ident %lu flags %#x fflags %#x data %ld\n",
					(unsigned long)evs[i].ident,
					evs[i].flags, evs[i].fflags,
					(long)evs[i].data);
				KQ_CHILD_CHECK(evs[i].ident == (uintptr_t)c);
				KQ_CHILD_CHECK(!(evs[i].fflags & (NOTE_CHILD | NOTE_EXIT)));
				if (evs[i].flags & EV_EOF)
					eof++;
			}
		}
		KQ_CHILD_CHECK(eof == 1);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	unlink(SUID_SHELL);
}

/* ------------------------------------------------------------------ */
/* EVFILT_VNODE                                                        */

TEST(vnode_needs_read_permission)
{
	char path[] = "/tmp/kq_isolation.XXXXXX";
	int fd, st;
	pid_t pid;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, chmod(path, 0622));	/* others may write, not read */

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int kq, wfd;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		wfd = open(path, O_WRONLY | O_CLOEXEC);
		KQ_CHILD_CHECK(wfd >= 0);
		KQ_CHILD_CHECK_ERR(kq_change(kq, wfd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
				  NOTE_OPEN | NOTE_READ | NOTE_CLOSE, 0, NULL),
		       EACCES);
		KQ_CHILD_CHECK_ERR(kq_change(kq, wfd, EVFILT_VNODE, EV_ADD, NOTE_WRITE,
				  0, NULL), EACCES);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);

	/* readable by others: allowed, and it sees root's open */
	ASSERT_EQ(0, chmod(path, 0644));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int kq, rfd;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		KQ_CHILD_CHECK(rfd >= 0);
		KQ_CHILD_CHECK(kq_change(kq, rfd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
			      NOTE_OPEN, 0, NULL) == 0);
		{
			struct timespec ts = kq_ms(KQ_WAIT_MS);

			KQ_CHILD_CHECK(kevent(kq, NULL, 0, &ev, 1, &ts) == 1);
		}
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)rfd && (ev.fflags & NOTE_OPEN));
		_exit(0);
	}
	/* open it until the child has seen one (it registers first) */
	{
		long long deadline = kq_now_ms() + KQ_WAIT_MS;
		pid_t r = 0;

		while (r == 0 && kq_now_ms() < deadline) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
			usleep(20000);
			r = waitpid(pid, &st, WNOHANG);
		}
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

FIXTURE(timers) {
	long long old_user;
	int have_user;
};

FIXTURE_SETUP(timers)
{
	self->have_user = !kq_param_read("max_user_timers", &self->old_user);
}

FIXTURE_TEARDOWN(timers)
{
	if (self->have_user)
		kq_param_write("max_user_timers", self->old_user);
}

#define USER_TIMERS	8

/* uid 1000 takes all it may; uid 1001 still gets timers. */
TEST_F(timers, per_user_limit)
{
	int sync[2];
	pid_t a, b;

	ASSERT_TRUE(self->have_user) TH_LOG("no max_user_timers parameter");
	ASSERT_EQ(0, kq_param_write("max_user_timers", USER_TIMERS));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync));
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int kq, kq2, i;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
		kq = kqueue();
		kq2 = kqueue();
		KQ_CHILD_CHECK(kq >= 0 && kq2 >= 0);
		for (i = 0; i < USER_TIMERS; i++)
			KQ_CHILD_CHECK(kq_change(kq, i, EVFILT_TIMER, EV_ADD,
				      NOTE_SECONDS, 60, NULL) == 0);
		KQ_CHILD_CHECK_ERR(kq_change(kq, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS,
				  60, NULL), ENOMEM);
		KQ_CHILD_CHECK_ERR(kq_change(kq2, 100, EVFILT_TIMER, EV_ADD,
				  NOTE_SECONDS, 60, NULL), ENOMEM);
		/* hold them while the other user adds its own */
		KQ_CHILD_CHECK(kq_send_byte(sync[1], 'f') == 0);
		KQ_CHILD_CHECK(kq_recv_byte(sync[1], KQ_CHILD_MS) == 'g');
		_exit(0);
	}
	ASSERT_EQ('f', kq_recv_byte(sync[0], KQ_CHILD_MS));
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int kq, i;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_become(KQ_USER_B) == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		for (i = 0; i < USER_TIMERS; i++)
			KQ_CHILD_CHECK(kq_change(kq, i, EVFILT_TIMER, EV_ADD,
				      NOTE_SECONDS, 60, NULL) == 0);
		KQ_CHILD_CHECK_ERR(kq_change(kq, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS,
				  60, NULL), ENOMEM);
		_exit(0);
	}
	KQ_WAIT_CHILD(b);
	ASSERT_EQ(0, kq_send_byte(sync[0], 'g'));
	KQ_WAIT_CHILD(a);
	close(sync[0]);
	close(sync[1]);
}

/* Local timer interrupts, all CPUs (/proc/interrupts "LOC:"; arm64: arch_timer). */
static long long loc_interrupts(void)
{
	char line[4096];
	long long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		while (*p == ' ')
			p++;
		if (!strncmp(p, "LOC:", 4)) {
			p += 4;
		} else if (strstr(p, "arch_timer")) {
			/* arm64: "11: <per CPU> GICv3 27 Level arch_timer" */
			p = strchr(p, ':');
			if (!p)
				continue;
			p++;
		} else {
			continue;
		}
		for (sum = 0;; p = e) {
			long long v = strtoll(p, &e, 10);

			if (e == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define FAST_TIMERS	32

/*
 * 32 periodic timers of 1 us that nobody collects for 0.6 s: the local
 * timer interrupts they cause stay near an idle machine's, and the count
 * each one reports at last is still every period that passed.
 */
TEST(uncollected_periodic_timers_stop)
{
	struct kevent ch[FAST_TIMERS], evs[FAST_TIMERS];
	const struct timespec zero = { 0, 0 };
	long long l0, idle, busy, t0, t1, t2, t3;
	int kq, i, n;

	l0 = loc_interrupts();
	if (l0 < 0)
		SKIP(return, "no local timer line (LOC, arch_timer) in /proc/interrupts");
	usleep(300000);
	idle = loc_interrupts() - l0;

	KQ_OPEN(kq);
	for (i = 0; i < FAST_TIMERS; i++)
		EV_SET(&ch[i], i, EVFILT_TIMER, EV_ADD, NOTE_USECONDS, 1, NULL);
	t0 = now_ns();
	ASSERT_EQ(0, kevent(kq, ch, FAST_TIMERS, NULL, 0, NULL));
	t1 = now_ns();
	usleep(300000);
	l0 = loc_interrupts();
	usleep(300000);
	busy = loc_interrupts() - l0;
	TH_LOG("local timer interrupts in 0.3 s: idle %lld, with %d uncollected 1 us timers %lld",
	       idle, FAST_TIMERS, busy);
	EXPECT_LE(busy, 4 * idle + 100);

	t2 = now_ns();
	n = kevent(kq, NULL, 0, evs, FAST_TIMERS, &zero);
	t3 = now_ns();
	ASSERT_EQ(FAST_TIMERS, n);
	for (i = 0; i < n; i++) {
		long long lo = (t2 - t1) / 1000 - 1, hi = (t3 - t0) / 1000 + 1;

		ASSERT_EQ(EVFILT_TIMER, evs[i].filter);
		EXPECT_LE(lo, evs[i].data)
			TH_LOG("timer %lu: %lld expirations, want >= %lld",
			       (unsigned long)evs[i].ident,
			       (long long)evs[i].data, lo);
		EXPECT_GE(hi, evs[i].data)
			TH_LOG("timer %lu: %lld expirations, want <= %lld",
			       (unsigned long)evs[i].ident,
			       (long long)evs[i].data, hi);
	}
	/* collected: they run again */
	usleep(20000);
	t0 = now_ns();
	n = kevent(kq, NULL, 0, evs, FAST_TIMERS, &zero);
	t1 = now_ns();
	ASSERT_EQ(FAST_TIMERS, n);
	for (i = 0; i < n; i++) {
		EXPECT_LE(1000 * 10, evs[i].data);
		EXPECT_GE((t1 - t2) / 1000 + 1, evs[i].data);
	}
	(void)t0;
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Signals                                                             */

/*
 * Many processes with few knotes each: a table keyed by process puts
 * some of them in whatever slot the victim's lookup goes to.
 */
#define SIG_ATTACKERS	256
#define SIG_KQS		4	/* per attacker, 63 signals each: 64,512 */
#define KILL_BATCH	1000
#define KILL_ROUNDS	15

static long long lowest(const long long *v, int n)
{
	long long m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/*
 * ns per kill(self, SIGURG): the fastest of KILL_ROUNDS batches, since
 * whatever else the host runs only ever adds time.
 */
static long long kill_cost(void)
{
	long long r[KILL_ROUNDS];
	int i, k;

	for (i = 0; i < KILL_ROUNDS; i++) {
		long long t = now_ns();

		for (k = 0; k < KILL_BATCH; k++)
			kill(getpid(), SIGURG);
		r[i] = (now_ns() - t) / KILL_BATCH;
	}
	return lowest(r, KILL_ROUNDS);
}

/* uid 1001 measures on each 'm' and answers with ns; 'q' ends it. */
static void sig_victim(int sock)
{
	int c;

	alarm(KQ_CHILD_ALARM * 4);
	KQ_CHILD_CHECK(kq_become(KQ_USER_B) == 0);
	signal(SIGURG, SIG_IGN);
	while ((c = kq_recv_byte(sock, KQ_CHILD_MS * 4)) == 'm') {
		long long ns = kill_cost();

		KQ_CHILD_CHECK(write(sock, &ns, sizeof(ns)) == sizeof(ns));
	}
	_exit(c == 'q' ? 0 : 1);
}

/* uid 1000 holds SIG_KQS * 63 signal knotes until its pipe closes. */
static void sig_attacker(int ready, int hold)
{
	struct kevent ch[63];
	char c;
	int i, s;

	alarm(KQ_CHILD_ALARM * 4);
	KQ_CHILD_CHECK(kq_become(KQ_USER_A) == 0);
	for (i = 0; i < SIG_KQS; i++) {
		int kq = kqueue();

		KQ_CHILD_CHECK(kq >= 0);
		for (s = 1; s <= 63; s++)
			EV_SET(&ch[s - 1], s, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
		KQ_CHILD_CHECK(kevent(kq, ch, 63, NULL, 0, NULL) == 0);
	}
	KQ_CHILD_CHECK(write(ready, "r", 1) == 1);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static long long victim_measure_once(struct __test_metadata *_metadata,
				     int sock)
{
	long long ns = -1;

	ASSERT_EQ(0, kq_send_byte(sock, 'm'));
	ASSERT_EQ((ssize_t)sizeof(ns), read(sock, &ns, sizeof(ns)));
	return ns;
}

/*
 * The fastest of three measurements 0.3 s apart: another VM or build on
 * the host slows a whole measurement (seen: 2x for seconds), not one batch.
 */
static long long victim_measure(struct __test_metadata *_metadata, int sock)
{
	long long best = -1, ns;
	int i;

	for (i = 0; i < 3; i++) {
		if (i)
			usleep(300000);
		ns = victim_measure_once(_metadata, sock);
		if (best < 0 || (ns >= 0 && ns < best))
			best = ns;
	}
	return best;
}

/* The tests below take minutes on the debug kernel. */
FIXTURE(heavy) {
	int unused;
};

FIXTURE_SETUP(heavy)
{
}

FIXTURE_TEARDOWN(heavy)
{
}

TEST_F_TIMEOUT(heavy, signal_cost_ignores_other_users_knotes, 300)
{
	pid_t victim, att[SIG_ATTACKERS];
	int sv[2], ready[2], hold[2], i;
	long long base1, loaded, base2, base;
	long knotes0;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	victim = fork();
	ASSERT_LE(0, victim);
	if (victim == 0)
		sig_victim(sv[1]);
	base1 = victim_measure(_metadata, sv[0]);
	/* after the victim: only the attackers may hold the pipes */
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));

	knotes0 = kq_read_live("live_knotes");
	for (i = 0; i < SIG_ATTACKERS; i++) {
		att[i] = fork();
		ASSERT_LE(0, att[i]);
		if (att[i] == 0) {
			close(hold[1]);
			sig_attacker(ready[1], hold[0]);
		}
	}
	close(hold[0]);
	for (i = 0; i < SIG_ATTACKERS; i++)
		ASSERT_EQ(1, read(ready[0], &c, 1));
	TH_LOG("other user's signal knotes: %ld",
	       kq_read_live("live_knotes") - knotes0);
	loaded = victim_measure(_metadata, sv[0]);
	close(hold[1]);
	for (i = 0; i < SIG_ATTACKERS; i++)
		KQ_WAIT_CHILD(att[i]);
	base2 = victim_measure(_metadata, sv[0]);
	ASSERT_EQ(0, kq_send_byte(sv[0], 'q'));
	KQ_WAIT_CHILD(victim);

	base = base1 < base2 ? base1 : base2;
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		SKIP(return, "timing under KASAN and lockdep says nothing: %lld ns, %lld ns loaded, %lld ns after (the stock kernels assert it)",
		     base1, loaded, base2);
	TH_LOG("kill() of an unwatched process: %lld ns, %lld ns with %d x %d signal knotes elsewhere (%.2fx), %lld ns after",
	       base1, loaded, SIG_ATTACKERS, SIG_KQS * 63,
	       (double)loaded / base, base2);
	EXPECT_LT(loaded, 2 * base);
	close(sv[0]);
	close(sv[1]);
	close(ready[0]);
	close(ready[1]);
}

/* ------------------------------------------------------------------ */
/* Kqueues watching kqueues                                            */

#define NEST_WIDTH	160
/* KASAN and lockdep make each step 30 times dearer: a smaller graph */
#define NEST_WIDTH_DEBUG	80

static int nest_width(void)
{
	return access("/sys/kernel/debug/kmemleak", F_OK) ? NEST_WIDTH :
							    NEST_WIDTH_DEBUG;
}

static void watch_layer(struct __test_metadata *_metadata, int *outer,
			int *inner, int n)
{
	struct kevent ch[NEST_WIDTH];
	int a, b;

	for (a = 0; a < n; a++) {
		for (b = 0; b < n; b++)
			EV_SET(&ch[b], inner[b], EVFILT_READ, EV_ADD, 0, 0,
			       NULL);
		ASSERT_EQ(0, kevent(outer[a], ch, n, NULL, 0, NULL))
			TH_LOG("kqueue %d: %s", a, strerror(errno));
	}
}

/*
 * Four layers of 160 kqueues, each watching every kqueue of the next
 * (76,800 knotes), built in an order where each check is cheap; then one
 * kqueue on top watches each of the first layer.  Each of those 160
 * checks walks below a first-layer kqueue: 160^3 paths (twice: loop and
 * depth), but 51,360 edges.  Walking paths took minutes (on 6.1 under
 * TCG: killed at 45 s; walking the graph: 0.6-2.2 s); the limit is 30 s
 * (the walks hold a global mutex that every user's nesting needs).  The
 * debug kernel gets 80 kqueues a layer (0.15-0.3 s).
 */
TEST_F_TIMEOUT(heavy, wide_nesting_graph, 240)
{
	static int kqs[4][NEST_WIDTH];
	struct kevent ch[NEST_WIDTH];
	int l, a, top, w = nest_width();
	long long t;

	for (l = 0; l < 4; l++)
		for (a = 0; a < w; a++)
			KQ_OPEN(kqs[l][a]);
	KQ_OPEN(top);
	watch_layer(_metadata, kqs[0], kqs[1], w);
	watch_layer(_metadata, kqs[2], kqs[3], w);
	watch_layer(_metadata, kqs[1], kqs[2], w);
	t = kq_now_ms();
	for (a = 0; a < w; a++)
		EV_SET(&ch[a], kqs[0][a], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kevent(top, ch, w, NULL, 0, NULL))
		TH_LOG("top: %s", strerror(errno));
	t = kq_now_ms() - t;
	TH_LOG("%d checks under %d^3 paths each: %lld ms", w, w, t);
	EXPECT_LT(t, 30000);
	/* still checked: a cycle, and a sixth level */
	KQ_CHANGE_ERR(kqs[3][0], EINVAL, top, EVFILT_READ, EV_ADD, 0, 0,
		      NULL);
	{
		int higher;

		KQ_OPEN(higher);
		KQ_CHANGE_ERR(higher, EINVAL, top, EVFILT_READ, EV_ADD, 0, 0,
			      NULL);
		close(higher);
	}
	close(top);
	for (l = 0; l < 4; l++)
		for (a = 0; a < w; a++)
			close(kqs[l][a]);
}

TEST_HARNESS_MAIN
