/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "proc" (harness.c runs it). */
#include "harness.h"

/*
 * 9. What a process without a kqueue pays for fork() + exit() + waitpid()
 * and for a handled signal to itself ("none"), and the same while another
 * process holds PROC_WATCHES EVFILT_PROC watches (NOTE_TRACK, NOTE_SIGNAL,
 * NOTE_REAP, EV_UDATA_SPECIFIC: all on its own pid) ("others"): the fork,
 * exec, signal and task-free probes look up the watched process, so the
 * cost must not grow with other processes' watches.
 */
#define PROC_WATCHES	10000

static void proc_usr1(int sig)
{
	(void)sig;
}

/* A process watching itself PROC_WATCHES times; ready on @ready. */
static pid_t proc_holder(int *ready)
{
	int p[2], q[2];
	pid_t pid;
	char c;

	if (pipe(p) || pipe(q))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct kevent ch[250];
		int kq = kqueue();

		close(p[0]);
		close(q[1]);
		if (kq < 0)
			_exit(1);
		for (int i = 0; i < PROC_WATCHES; i += 250) {
			for (int j = 0; j < 250; j++)
				EV_SET(&ch[j], getpid(), EVFILT_PROC,
				       EV_ADD | EV_UDATA_SPECIFIC,
				       NOTE_EXIT | NOTE_FORK | NOTE_EXEC |
				       NOTE_TRACK | NOTE_SIGNAL | NOTE_REAP, 0,
				       (void *)(uintptr_t)(i + j + 1));
			if (kevent(kq, ch, 250, NULL, 0, NULL))
				_exit(2);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		if (read(q[0], &c, 1) < 0)	/* EOF: done */
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	if (read(p[0], &c, 1) != 1)
		die("proc: holder not ready");
	close(p[0]);
	*ready = q[1];
	return pid;
}

static double proc_fork_ns(int iters)
{
	double t0 = now_ns();

	for (int i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
	}
	return (now_ns() - t0) / iters;
}

static double proc_kill_ns(int iters)
{
	double t0 = now_ns();

	for (int i = 0; i < iters; i++)
		kill(getpid(), SIGUSR1);
	return (now_ns() - t0) / iters;
}

void bench_proc(void)
{
	const int forks = quick ? 50 : 200, kills = quick ? 500 : 2000;
	double f[2][MAXRUNS], k[2][MAXRUNS];
	char param[24];
	pid_t holder;
	int hold;

	if (access("/dev/kqueue", F_OK)) {
		fprintf(stderr, "proc: no /dev/kqueue: skipped\n");
		return;
	}
	signal(SIGUSR1, proc_usr1);
	fflush(NULL);
	for (int r = -1; r < runs; r++) {
		double fn = proc_fork_ns(forks), kn = proc_kill_ns(kills);

		holder = proc_holder(&hold);
		if (r >= 0) {
			f[0][r] = fn;
			k[0][r] = kn;
			f[1][r] = proc_fork_ns(forks);
			k[1][r] = proc_kill_ns(kills);
		}
		close(hold);
		if (waitpid(holder, NULL, 0) != holder)
			die("waitpid");
	}
	signal(SIGUSR1, SIG_DFL);
	/* the table shows param and case: the metric goes in param */
	snprintf(param, sizeof(param), "fork/W=%dk", PROC_WATCHES / 1000);
	record("proc", param, "fork+exit+wait", "ns", "none", f[0], runs);
	record("proc", param, "fork+exit+wait", "ns", "others", f[1], runs);
	snprintf(param, sizeof(param), "kill/W=%dk", PROC_WATCHES / 1000);
	record("proc", param, "kill(self)", "ns", "none", k[0], runs);
	record("proc", param, "kill(self)", "ns", "others", k[1], runs);
}
