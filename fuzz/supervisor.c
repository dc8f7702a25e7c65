// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the supervisor.  main waits for the workers (reporting
 * progress, hangs and stuck processes), checks that the module's live
 * counters return to 0, and prints the summary of every operation.
 */
#include "kq-fuzz.h"

long read_counter(const char *name)
{
	char path[128], buf[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", counters_dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static uint64_t total_ops(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < OP_MAX; i++)
		n += atomic_load(&st->ops[i]);
	return n;
}

/* What every process of the fuzz is doing (for hangs). */
static void dump_processes(pid_t *workers)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int i;

	while (d && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name), pg = -1;

		if (pid <= 0 || proc_ppid(pid, &pg) < 0)
			continue;
		for (i = 0; i < opt.procs; i++)
			if (workers[i] > 0 && pg == workers[i])
				dump_pid(pid);
	}
	if (d)
		closedir(d);
}

/* Reap whatever has ended: workers (status kept) and orphaned descendants. */
static int reap_all(pid_t *workers, int *wstatus, bool *wdone)
{
	int status, i, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		for (i = 0; i < opt.procs && workers[i] != pid; i++)
			;
		if (i < opt.procs) {
			wstatus[i] = status;
			wdone[i] = true;
		} else {
			account_kid(pid, status);
		}
		n++;
	}
	return n;
}

static int workers_left(const bool *wdone)
{
	int i, n = 0;

	for (i = 0; i < opt.procs; i++)
		n += !wdone[i];
	return n;
}

/* SIGKILL every process left in the workers' groups, and any other child. */
static void kill_everything(const pid_t *workers)
{
	struct dirent *de;
	DIR *d;
	int i;

	for (i = 0; i < opt.procs; i++)
		if (workers[i] > 0)
			kill(-workers[i], SIGKILL);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && proc_ppid(pid, NULL) == getpid())
			kill(pid, SIGKILL);
	}
	if (d)
		closedir(d);
}

/*
 * Wait for the workers until the deadline plus the grace period; a worker
 * still there then is stuck (its threads' stacks are printed).  Returns
 * the number of findings.
 */
int supervise(pid_t *workers, int64_t deadline)
{
	int wstatus[opt.procs], findings = 0, i;
	bool wdone[opt.procs];
	int64_t next_report = now_ms() + 60000, stall_since = now_ms(), next_cont = 0, t;
	uint64_t last_ops = 0;

	memset(wdone, 0, sizeof(wdone));
	while (workers_left(wdone)) {
		reap_all(workers, wstatus, wdone);
		t = now_ms();
		if (t >= next_cont) {
			/*
			 * A child stopped by a parent that died before its SIGCONT
			 * (op_signal) would stay stopped: not a hang, so go on.
			 */
			for (i = 0; i < opt.procs; i++)
				if (workers[i] > 0)
					kill(-workers[i], SIGCONT);
			next_cont = t + 1000;
		}
		if (t >= next_report) {
			char guided[128];

			guided_progress(guided, sizeof(guided));
			printf("kq-fuzz: %" PRId64 " s, %" PRIu64 " operations, %d children alive%s\n",
			       (t - deadline) / 1000 + opt.seconds, total_ops(),
			       atomic_load(&st->live_kids), guided);
			fflush(stdout);
			next_report += 60000;
		}
		if (total_ops() != last_ops) {
			last_ops = total_ops();
			stall_since = t;
		} else if (t - stall_since > 60000 && t < deadline) {
			printf("kq-fuzz: FINDING: no operation completed for 60 s (a hang?)\n");
			dump_processes(workers);
			findings++;
			stall_since = t;
		}
		if (t > deadline + GRACE_MS) {
			printf("kq-fuzz: FINDING: %d worker(s) still running %d s after the deadline\n",
			       workers_left(wdone), GRACE_MS / 1000);
			dump_processes(workers);
			findings++;
			break;
		}
		usleep(50000);
	}
	for (i = 0; i < opt.procs; i++) {
		if (!wdone[i])
			continue;
		if (WIFEXITED(wstatus[i]) && WEXITSTATUS(wstatus[i]) == 0)
			continue;
		printf("kq-fuzz: FINDING: worker %d (pid %d) ended with %s %d\n", i, workers[i],
		       WIFEXITED(wstatus[i]) ? "exit status" : "signal",
		       WIFEXITED(wstatus[i]) ? WEXITSTATUS(wstatus[i]) : WTERMSIG(wstatus[i]));
		findings++;
	}
	/* everything left: kill, reap, for at most 10 s */
	for (t = now_ms() + 10000; now_ms() < t;) {
		kill_everything(workers);
		reap_all(workers, wstatus, wdone);
		if (waitid(P_ALL, 0, NULL, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 &&
		    errno == ECHILD)
			break;
		usleep(20000);
	}
	if (waitid(P_ALL, 0, NULL, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 ||
	    errno != ECHILD) {
		printf("kq-fuzz: FINDING: processes that SIGKILL does not end:\n");
		dump_processes(workers);
		findings++;
	}
	return findings;
}

/* live_kqueues and live_knotes back to 0 within COUNTER_WAIT_MS. */
int check_counters(void)
{
	int64_t start = now_ms();
	long kqs, kns;

	for (;;) {
		int sv[2];

		kqs = read_counter("live_kqueues");
		kns = read_counter("live_knotes");
		if ((kqs == 0 && kns == 0) || now_ms() - start > COUNTER_WAIT_MS)
			break;
		/* a unix socket's release runs the garbage collector of in-flight fds */
		if (!socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			close(sv[0]);
			close(sv[1]);
		}
		usleep(100000);
	}
	printf("kq-fuzz: live_kqueues %ld, live_knotes %ld (after %.1f s)\n", kqs, kns,
	       (now_ms() - start) / 1000.0);
	if (kqs == 0 && kns == 0)
		return 0;
	printf("kq-fuzz: FINDING: %s did not return to 0 within %d s\n",
	       kqs < 0 ? "the counters could not be read, and they" : "the live counters",
	       COUNTER_WAIT_MS / 1000);
	return 1;
}

static const char *errname(int e)
{
	const char *s = e == NERR - 1 ? "other" : strerrorname_np(e);

	return s ? s : "?";
}

void print_summary(void)
{
	static const char *const fnames[16] = { "", "READ", "WRITE", "AIO", "VNODE",
		"PROC", "SIGNAL", "TIMER", "NETDEV", "FS", "LIO", "USER",
		"LIBKQUEUE", "EMPTY", "PROCDESC", "EXCEPT" };
	int i, e;

	printf("kq-fuzz: operations (count: results)\n");
	for (i = 0; i < OP_MAX; i++) {
		uint64_t n = atomic_load(&st->ops[i]);

		if (!n)
			continue;
		printf("  %-15s %10" PRIu64 ":", ops[i].name, n);
		for (e = 0; e < NERR; e++) {
			uint64_t c = atomic_load(&st->err[i][e]);

			if (c)
				printf(" %s %" PRIu64, e ? errname(e) : "ok", c);
		}
		printf("\n");
	}
	printf("kq-fuzz: events harvested:");
	for (i = 1; i < 16; i++)
		if (atomic_load(&st->events[i]))
			printf(" %s %" PRIu64, fnames[i], atomic_load(&st->events[i]));
	printf("\nkq-fuzz: EV_ERROR records:");
	for (e = 0; e < NERR; e++)
		if (atomic_load(&st->receipts[e]))
			printf(" %s %" PRIu64, e ? errname(e) : "0 (receipt)",
			       atomic_load(&st->receipts[e]));
	printf("\nkq-fuzz: %" PRIu64 " processes, %" PRIu64 " execs, %" PRIu64
	       " threads, %" PRIu64 " descriptors received, %" PRIu64
	       " allocations failed on purpose; children ended: exit %" PRIu64,
	       atomic_load(&st->procs), atomic_load(&st->execs), atomic_load(&st->threads),
	       atomic_load(&st->scm_fds), atomic_load(&st->faults_injected),
	       atomic_load(&st->kid_exit));
	for (i = 1; i < 65; i++)
		if (atomic_load(&st->kid_signal[i]))
			printf(", %s %" PRIu64, sigabbrev_np(i) ? sigabbrev_np(i) : "?",
			       atomic_load(&st->kid_signal[i]));
	printf("\nkq-fuzz: anomalies: %" PRIu64 "\n", atomic_load(&st->anomalies));
}
