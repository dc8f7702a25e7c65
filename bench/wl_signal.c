/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "signal" (harness.c runs it). */
#include "harness.h"

/*
 * 7. Signals under other users' EVFILT_SIGNAL knotes.  Every signal in the
 * system passes through the module's signal_generate probe, so what it
 * costs a process that watches nothing must not depend on anybody's
 * knotes.  A victim (uid 1001, SIGURG ignored) times kill(getpid(),
 * SIGURG):
 *   none    no signal knote anywhere (the probe returns at once);
 *   one     another user (uid 1000) holds one signal knote (the probe
 *           looks the victim up and does not find it);
 *   others  SIG_ATTACKERS processes of uid 1000 hold SIG_KQS kqueues x 63
 *           signal knotes each (64,512): others/one near 1 is the point.
 *           Many processes, few knotes each: before the per-process hash
 *           table, knotes were chained in 64 buckets by process, and the
 *           victim's bucket held none of 64 processes' a third of the
 *           time (then nothing showed); with 256 it is almost never empty;
 *   own     the victim itself holds one EVFILT_SIGNAL knote for SIGURG
 *           (kqueue's own per-signal cost).
 * The attackers (and their empty kqueues) live through all runs and add or
 * delete their knotes between samples, so the cases take turns run by run
 * like the mechanisms of the other workloads; the ratios are to "none".
 */

#define SIG_ATTACKERS	256
#define SIG_KQS		4
#define SIG_KNOTES	(SIG_ATTACKERS * SIG_KQS * 63)
#define SIG_UID_ATTACK	1000
#define SIG_UID_VICTIM	1001
/* a sample: ns per kill of the fastest of SIG_BATCHES batches */
#define SIG_BATCHES	40

static int sig_become(unsigned int id)
{
	if (setgroups(0, NULL) || setresgid(id, id, id) ||
	    setresuid(id, id, id))
		return -1;
	return geteuid() == id && getegid() == id ? 0 : -1;
}

/* Children: stop at the first failure, never flush the parent's stdio. */
static void sig_child_fail(const char *who, const char *what)
{
	fprintf(stderr, "kq-bench: signal: %s: %s: %s\n", who, what,
		strerror(errno));
	_exit(1);
}

/*
 * Each command byte: 'm' times kill(self) ('o': with its own knote); the
 * answer is ns per kill of the fastest batch (a batch during which the
 * host ran another VM on the CPU does not count).
 */
static void sig_victim(int sock, int iters)
{
	struct kevent ch;
	char c;

	if (sig_become(SIG_UID_VICTIM))
		sig_child_fail("victim", "setresuid(1001)");
	signal(SIGURG, SIG_IGN);
	while (read(sock, &c, 1) == 1) {
		int kq = -1;
		double ns = 0;

		if (c == 'o') {
			if ((kq = kqueue()) < 0)
				sig_child_fail("victim", "kqueue");
			EV_SET(&ch, SIGURG, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
			if (kevent(kq, &ch, 1, NULL, 0, NULL))
				sig_child_fail("victim", "EV_ADD EVFILT_SIGNAL");
		}
		for (int b = 0; b < SIG_BATCHES; b++) {
			double t0 = now_ns(), t;

			for (int i = 0; i < iters; i++)
				kill(getpid(), SIGURG);
			t = (now_ns() - t0) / iters;
			if (!b || t < ns)
				ns = t;
		}
		if (kq >= 0)
			close(kq);
		if (write(sock, &ns, sizeof(ns)) != sizeof(ns))
			sig_child_fail("victim", "write");
	}
	_exit(0);
}

/*
 * 'A' adds 63 signal knotes (1..63) to each of its kqueues, 'D' deletes
 * them; '1' adds one (SIGUSR1, first kqueue), '0' deletes it.
 */
static void sig_attacker(int sock)
{
	struct kevent ch[63];
	int kq[SIG_KQS];
	char c;

	if (sig_become(SIG_UID_ATTACK))
		sig_child_fail("attacker", "setresuid(1000)");
	for (int i = 0; i < SIG_KQS; i++)
		if ((kq[i] = kqueue()) < 0)
			sig_child_fail("attacker", "kqueue");
	while (read(sock, &c, 1) == 1) {
		u_short fl = c == 'A' || c == '1' ? EV_ADD : EV_DELETE;

		for (int i = 0; i < (c == 'A' || c == 'D' ? SIG_KQS : 1); i++) {
			int n = c == 'A' || c == 'D' ? 63 : 1;

			for (int s = 1; s <= n; s++)
				EV_SET(&ch[s - 1], n == 1 ? SIGUSR1 : s,
				       EVFILT_SIGNAL, fl, 0, 0, NULL);
			if (kevent(kq[i], ch, n, NULL, 0, NULL))
				sig_child_fail("attacker", fl == EV_ADD ?
					       "EV_ADD EVFILT_SIGNAL" :
					       "EV_DELETE EVFILT_SIGNAL");
		}
		if (write(sock, &c, 1) != 1)
			sig_child_fail("attacker", "write");
	}
	_exit(0);
}

/*
 * The first n attackers carry out cmd; ms taken.  After all of them, a
 * pause for what the changes left to do later (RCU frees, the hash table
 * resizing itself), which would otherwise run during the next sample.
 */
static double sig_toggle(const int *att, int n, char cmd)
{
	double t0 = now_ns(), ms;
	char c;

	for (int i = 0; i < n; i++)
		if (write(att[i], &cmd, 1) != 1)
			die("signal: command to attacker %d", i);
	for (int i = 0; i < n; i++)
		if (read(att[i], &c, 1) != 1 || c != cmd)
			die("signal: attacker %d failed", i);
	ms = (now_ns() - t0) / 1e6;
	if (n > 1)
		usleep(20000);
	return ms;
}

static double sig_measure(int victim, char cmd)
{
	double ns;

	if (write(victim, &cmd, 1) != 1 ||
	    read(victim, &ns, sizeof(ns)) != sizeof(ns))
		die("signal: victim failed");
	return ns;
}

/* "one": while the first attacker holds a single signal knote. */
static double sig_measure_one(int victim, const int *att)
{
	double ns;

	sig_toggle(att, 1, '1');
	ns = sig_measure(victim, 'm');
	sig_toggle(att, 1, '0');
	return ns;
}

static long live_knotes(void)
{
	FILE *f = fopen("/sys/module/kqueue/parameters/live_knotes", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

void bench_signal(void)
{
	const int iters = quick ? 50 : 100;	/* per batch */
	double v[SIG_CASES][MAXRUNS], add_ms = 0, del_ms = 0;
	int att[SIG_ATTACKERS], sock[2], victim = -1;
	pid_t pids[SIG_ATTACKERS + 1];
	long k0, k1 = -1;
	char param[24];
	double t0 = now_ns();

	if (access("/dev/kqueue", F_OK)) {
		fprintf(stderr, "signal: no /dev/kqueue: skipped\n");
		return;
	}
	if (geteuid()) {
		fprintf(stderr, "signal: needs root (setresuid to 1000 and 1001): skipped\n");
		return;
	}
	fflush(NULL);	/* nothing buffered twice by the children */
	for (int i = 0; i <= SIG_ATTACKERS; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
			die("socketpair");
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			/* only its own socket: EOF when the parent goes */
			for (int j = 0; j < i; j++)
				close(att[j]);
			close(sock[0]);
			if (i < SIG_ATTACKERS)
				sig_attacker(sock[1]);
			sig_victim(sock[1], iters);
		}
		close(sock[1]);
		if (i < SIG_ATTACKERS)
			att[i] = sock[0];
		else
			victim = sock[0];
	}
	k0 = live_knotes();
	/*
	 * Run -1: warm-up, without the attackers.  Even runs: own, one, none,
	 * then the attackers add their knotes, others; odd runs: others, the
	 * attackers delete their knotes, none, one, own.  "none" and "others"
	 * are always one add or delete apart, in both orders (a slow spell of
	 * the host leans on either side alike), and each run costs one add or
	 * one delete, not both.
	 */
	for (int r = -1; r < runs; r++) {
		double a, o, one, b = 0, t;

		if (r >= 0 && r % 2) {
			b = sig_measure(victim, 'm');
			t = sig_toggle(att, SIG_ATTACKERS, 'D');
			if (r == 1)
				del_ms = t;
			a = sig_measure(victim, 'm');
			one = sig_measure_one(victim, att);
			o = sig_measure(victim, 'o');
		} else {
			o = sig_measure(victim, 'o');
			one = sig_measure_one(victim, att);
			a = sig_measure(victim, 'm');
			if (r < 0)
				continue;
			t = sig_toggle(att, SIG_ATTACKERS, 'A');
			if (r == 0) {
				add_ms = t;
				k1 = live_knotes();
			}
			b = sig_measure(victim, 'm');
		}
		v[0][r] = a;
		v[1][r] = one;
		v[2][r] = b;
		v[3][r] = o;
	}
	fprintf(stderr, "signal: %d x %d x 63 = %d signal knotes of uid %d (live_knotes +%ld): added in %.0f ms, deleted in %.0f ms; %d runs in %.1f s\n",
		SIG_ATTACKERS, SIG_KQS, SIG_KNOTES, SIG_UID_ATTACK,
		k0 >= 0 && k1 >= 0 ? k1 - k0 : -1L, add_ms, del_ms, runs,
		(now_ns() - t0) / 1e9);
	for (int i = 0; i < SIG_ATTACKERS; i++)
		close(att[i]);
	close(victim);
	for (int i = 0; i <= SIG_ATTACKERS; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			fprintf(stderr, "signal: child %d ended badly\n", i);
	}
	snprintf(param, sizeof(param), "N=%d", SIG_KNOTES);
	for (int c = 0; c < SIG_CASES; c++)
		record("signal", param, "kill(self)", "ns", sig_cases[c], v[c],
		       runs);
}
