/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "close" (harness.c runs it). */
#include "harness.h"

/* 5. close(): dup()+close() with no kqueue in this process. */

static double dup_close_loop(int fd, int iters)
{
	double t0 = now_ns();

	for (int i = 0; i < iters; i++) {
		int d = dup(fd);

		if (d < 0)
			die("dup");
		close(d);
	}
	return (now_ns() - t0) / iters;
}

static pid_t start_watcher(void)
{
	int sync[2], kq, pp[2];
	pid_t child;
	char c;

	if (pipe(sync))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		struct kevent ch;

		close(sync[0]);
		if (pipe(pp))
			die("pipe");
		kq = make_kq();
		EV_SET(&ch, pp[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
		kq_apply(kq, &ch, 1);
		if (write(sync[1], "k", 1) != 1)
			die("write");
		for (;;)
			pause();
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		die("watcher did not start");
	close(sync[0]);
	return child;
}

/*
 * Without the module (another boot): "none".  With it: "loaded" (no
 * kqueue watches a descriptor, the close probe is disarmed) and "watched"
 * (a child process holds a kqueue watching a pipe: the probe is armed and
 * runs on every close of every process), taking turns run by run.  The
 * probe is disarmed a second after the last watch goes, hence the pause.
 */
static void bench_close_runs(double v[2][MAXRUNS], bool loaded);

/*
 * On arm64 a process's dup()+close() costs about 100 instructions more
 * before its first fork() than after it (7.3; 6.12 in the module's boot
 * only); the watched runs fork (the watcher), so every run comes after one.
 */
static void settle_fork(void)
{
	pid_t c = fork();

	if (c < 0)
		die("fork");
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
}

/*
 * kq-bench --close-child FD: the measuring process, a fresh exec.  Not a
 * plain fork: this process has had kqueues (a kqueue's owner pays a hash
 * lookup per close()) and threads (pingpong), after which glibc wraps
 * every close() as a cancellation point, about 40 instructions that a
 * boot without the module, measuring close alone, does not pay.
 */
int close_child(int out)
{
	double v[2][MAXRUNS];

	bench_close_runs(v, !access("/dev/kqueue", F_OK));
	return write(out, v, sizeof(v)) != sizeof(v);
}

void bench_close(void)
{
	double v[2][MAXRUNS];
	bool loaded = !access("/dev/kqueue", F_OK);
	char fdarg[16], runarg[16];
	int p[2], st;
	pid_t pid;

	if (pipe(p))
		die("pipe");
	snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
	snprintf(runarg, sizeof(runarg), "%d", runs);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char *args[8];
		int a = 0;

		close(p[0]);
		args[a++] = "kq-bench";
		if (quick)
			args[a++] = "--quick";
		args[a++] = "--runs";
		args[a++] = runarg;
		args[a++] = "--close-child";	/* last: it returns at once */
		args[a++] = fdarg;
		args[a] = NULL;
		execv("/proc/self/exe", args);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], v, sizeof(v)) != sizeof(v) ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("close: child");
	close(p[0]);
	record("close", "dup+close", "pair", "ns", loaded ? "loaded" : "none",
	       v[0], runs);
	if (loaded)
		record("close", "dup+close", "pair", "ns", "watched", v[1],
		       runs);
}

static void bench_close_runs(double v[2][MAXRUNS], bool loaded)
{
	int iters = quick ? 20000 : 200000;
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		die("/dev/null");
	settle_fork();
	dup_close_loop(fd, iters / 4);	/* warm-up */
	for (int r = 0; r < runs; r++) {
		pid_t child;

		v[0][r] = dup_close_loop(fd, iters);
		if (!loaded)
			continue;
		child = start_watcher();
		v[1][r] = dup_close_loop(fd, iters);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		usleep(1200000);
	}
	close(fd);
}
