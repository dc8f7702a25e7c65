// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the process operations.  Children (tracked, reaped, dumped when
 * they hang), the signals every process handles, signals sent, fork,
 * clone(CLONE_FILES), vfork+exec, exec, exit, threads, unshare, mprotect.
 */
#include "kq-fuzz.h"

int harmless[12], nharmless;

/* ---- children ------------------------------------------------------------ */

static void track_kid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++) {
		pid_t zero = 0;

		if (atomic_compare_exchange_strong(&P.kids[i], &zero, pid))
			return;
	}
}

pid_t random_kid(void)
{
	return atomic_load(&P.kids[below(MAX_KIDS)]);
}

pid_t recently_reaped(void)
{
	return atomic_load(&P.reaped[below(8)]);
}

static bool fatal_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGABRT || sig == SIGFPE || sig == SIGSYS ||
	       sig == SIGTRAP;
}

static void print_file(const char *prefix, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* Each thread of a process: its state (stat) and kernel stack. */
void dump_pid(pid_t pid)
{
	char path[320];
	struct dirent *te;
	DIR *td;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	td = opendir(path);
	printf("kq-fuzz: process %d (parent %d):\n", pid, proc_ppid(pid, NULL));
	while (td && (te = readdir(td))) {
		if (te->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, te->d_name);
		print_file("kq-fuzz:   stat ", path);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, te->d_name);
		print_file("kq-fuzz:     ", path);
	}
	if (td)
		closedir(td);
	fflush(stdout);
}

/* A process and its children, grandchildren... */
static void dump_tree(pid_t root, int depth)
{
	struct dirent *de;
	DIR *d;

	dump_pid(root);
	if (depth > 4 || !(d = opendir("/proc")))
		return;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && proc_ppid(pid, NULL) == root)
			dump_tree(pid, depth + 1);
	}
	closedir(d);
}

/*
 * A child's alarm: it has run 30 s past its life.  Report what the thread
 * the signal interrupted was doing, and where this process and its
 * children are in the kernel.  (A child stopped by SIGSTOP, whose parent
 * died before the SIGCONT, never gets here: main kills it.)
 */
static void on_alarm(int sig)
{
	(void)sig;
	anomaly("a child is still running 30 s after its end: stuck in the kernel?");
	dump_tree(getpid(), 0);
	_exit(99);
}

void arm_alarm(int64_t ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(ms / 1000 + 30);
}

/* A descendant has been reaped (by its parent or, orphaned, by main). */
void account_kid(pid_t pid, int status)
{
	atomic_fetch_sub(&st->live_kids, 1);
	if (WIFEXITED(status)) {
		count(&st->kid_exit);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		count(&st->kid_signal[sig < 65 ? sig : 0]);
		if (fatal_signal(sig))
			anomaly("child %d ended by signal %d (%s)", pid, sig, strsignal(sig));
	}
}

void reap_kids(bool block)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block ? __WALL : WNOHANG | __WALL)) > 0) {
		account_kid(pid, status);
		for (i = 0; i < MAX_KIDS; i++) {
			pid_t p = pid;

			atomic_compare_exchange_strong(&P.kids[i], &p, 0);
		}
		atomic_store(&P.reaped[atomic_fetch_add(&P.reaped_pos, 1) % 8], pid);
	}
}

/* Parent pid from /proc/PID/stat; -1 when gone. */
pid_t proc_ppid(pid_t pid, pid_t *pgrp)
{
	char path[64], buf[512], *p;
	int fd, ppid = -1, pg = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d %d", &ppid, &pg) != 2)
		return -1;
	if (pgrp)
		*pgrp = pg;
	return ppid;
}

/* SIGKILL every child of this process (also those exec forgot). */
void kill_kids(void)
{
	struct dirent *de;
	DIR *d;
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		if (atomic_load(&P.kids[i]) > 0)
			kill(atomic_load(&P.kids[i]), SIGKILL);
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && proc_ppid(pid, NULL) == getpid())
			kill(pid, SIGKILL);
	}
	closedir(d);
}

/* ---- the signals every process handles ---------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
}

int random_harmless(void)
{
	return harmless[below(nharmless)];
}

void init_harmless(void)
{
	static const int fixed[] = { SIGUSR1, SIGUSR2, SIGHUP, SIGIO, SIGURG,
				     SIGWINCH, SIGCHLD, SIGCONT };
	unsigned i;

	nharmless = 0;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		harmless[nharmless++] = fixed[i];
	for (i = 0; i < 4; i++)
		harmless[nharmless++] = SIGRTMIN + i;
}

/* Terminating by default: these must always have a handler or be ignored. */
static bool needs_handler(int sig)
{
	return sig != SIGURG && sig != SIGWINCH && sig != SIGCHLD && sig != SIGCONT;
}

void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nharmless; i++)
		if (needs_handler(harmless[i]))
			sigaction(harmless[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void harmless_set(sigset_t *set)
{
	int i;

	sigemptyset(set);
	for (i = 0; i < nharmless; i++)
		sigaddset(set, harmless[i]);
}

/* ---- exec ---------------------------------------------------------------- */

/* argv for "--exec-child": the process carries on fuzzing after exec. */
struct exec_args {
	char master[24], seed[24], deadline[24], depth[8], id[8], threads[8], off[24];
	char *argv[11];
};

static void exec_args(struct exec_args *a, uint64_t seed, int64_t deadline, int depth)
{
	snprintf(a->master, sizeof(a->master), "%" PRIu64, opt.seed);
	snprintf(a->seed, sizeof(a->seed), "%" PRIu64, seed);
	snprintf(a->deadline, sizeof(a->deadline), "%" PRId64, deadline);
	snprintf(a->depth, sizeof(a->depth), "%d", depth);
	snprintf(a->id, sizeof(a->id), "%d", P.id);
	snprintf(a->threads, sizeof(a->threads), "%d", opt.threads);
	snprintf(a->off, sizeof(a->off), "%" PRIx64, ops_off);
	a->argv[0] = P.exe;
	a->argv[1] = "--exec-child";
	a->argv[2] = a->master;
	a->argv[3] = a->seed;
	a->argv[4] = a->deadline;
	a->argv[5] = a->depth;
	a->argv[6] = a->id;
	a->argv[7] = a->threads;
	a->argv[8] = a->off;
	a->argv[9] = P.dir;
	a->argv[10] = NULL;
}

/* ---- signals sent, masks, handlers ------------------------------------- */

void op_signal(void)
{
	int sig = random_harmless(), i;
	pid_t kid = random_kid(), tid;
	union sigval v = { .sival_int = (int)rnd() };

	switch (below(7)) {
	case 0: case 1:
		note(OP_SIGNAL, kill(getpid(), sig));
		break;
	case 2:
		tid = atomic_load(&P.tids[below(MAX_THREADS + 1)]);
		note(OP_SIGNAL, syscall(SYS_tgkill, getpid(), tid > 0 ? tid : getpid(), sig));
		break;
	case 3:
		note(OP_SIGNAL, sigqueue(getpid(), sig, v));
		break;
	case 4:		/* the process group: this worker's processes */
		note(OP_SIGNAL, kill(0, sig));
		break;
	default:
		if (kid <= 0)
			break;
		switch (below(6)) {
		case 0:
			note(OP_SIGNAL, kill(kid, SIGKILL));
			break;
		case 1:
			note(OP_SIGNAL, kill(kid, SIGTERM));
			break;
		case 2:		/* stopped for a moment only */
			if (note(OP_SIGNAL, kill(kid, SIGSTOP)) == 0) {
				for (i = below(1000); i > 0; i--)
					sched_yield();
				kill(kid, SIGCONT);
			}
			break;
		default:
			note(OP_SIGNAL, kill(kid, sig));
		}
	}
}

void op_sigmask(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sig = random_harmless(), i;
	sigset_t set;

	if (chance(50)) {
		sigemptyset(&set);
		for (i = 0; i < nharmless; i++)
			if (chance(30))
				sigaddset(&set, harmless[i]);
		note(OP_SIGMASK, pthread_sigmask(PICK(((const int[]){ SIG_BLOCK,
			SIG_UNBLOCK, SIG_UNBLOCK, SIG_SETMASK })), &set, NULL) ? -1 : 0);
		return;
	}
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = chance(50) ? SA_RESTART : 0;
	if (sig != SIGCHLD && chance(30))	/* SIGCHLD ignored would auto-reap */
		sa.sa_handler = SIG_IGN;
	else if (!needs_handler(sig) && chance(30))
		sa.sa_handler = SIG_DFL;
	note(OP_SIGMASK, sigaction(sig, &sa, NULL));
}

/* ---- processes and threads ---------------------------------------------- */

static bool may_spawn(void)
{
	int cap = opt.procs * 6 < 48 ? opt.procs * 6 : 48;

	return !P.raw && P.depth < MAX_DEPTH && atomic_load(&st->live_kids) < cap;
}

/* In a new child (fork or clone): its own seed, a short life. */
static void __attribute__((noreturn)) child_start(uint64_t seed, bool raw)
{
	int64_t life = 20 + below(KID_LIFE_MS), i;

	rng = seed;
	ephemeral = false;
	P.seed = seed;
	P.depth++;
	P.raw = raw;
	for (i = 0; i < MAX_KIDS; i++)
		atomic_store(&P.kids[i], 0);
	for (i = 0; i <= MAX_THREADS; i++)
		atomic_store(&P.tids[i], 0);
	atomic_store(&P.nthreads, 0);
	atomic_store(&P.stop, false);
	if (!raw)	/* a CLONE_FILES child shares the table, and the kqueues */
		disown_kqueues();
	if (P.deadline > now_ms() + life)
		P.deadline = now_ms() + life;
	arm_alarm(life);
	count(&st->procs);
	run_process();
}

/* Watch a new child at once, the way a real program would. */
static void watch_kid(pid_t pid)
{
	struct kevent kev;
	struct timespec ts = { 0, 0 };
	int kq = pick_fd(KM(K_KQ));

	if (kq < 0 || chance(50))
		return;
	EV_SET(&kev, pid, EVFILT_PROC, EV_ADD | (chance(30) ? EV_ONESHOT : 0),
	       gen_fflags(EVFILT_PROC) | NOTE_EXIT, 0, NULL);
	kevent(kq, &kev, 1, NULL, 0, &ts);
}

void op_fork(void)
{
	uint64_t seed = rnd();
	pid_t pid;

	if (!may_spawn())
		return;
	atomic_fetch_add(&st->live_kids, 1);
	pid = fork();
	if (pid == 0)
		child_start(seed, false);
	if (note(OP_FORK, pid) < 0) {
		atomic_fetch_sub(&st->live_kids, 1);
		return;
	}
	track_kid(pid);
	watch_kid(pid);
}

/* A child sharing our descriptor table: owner of the same kqueues. */
void op_clone_files(void)
{
	uint64_t seed = rnd();
	long pid;

	if (!may_spawn())
		return;
	atomic_fetch_add(&st->live_kids, 1);
	pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		child_start(seed, true);
	if (note(OP_CLONE_FILES, pid) < 0) {
		atomic_fetch_sub(&st->live_kids, 1);
		return;
	}
	track_kid(pid);
	watch_kid(pid);
}

/* Blocked across exec so the new image never dies of one before its handlers. */
static void block_harmless(sigset_t *old)
{
	sigset_t set;

	harmless_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static pid_t __attribute__((noinline)) vfork_exec(const char *path, char *const *argv)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execve(path, argv, environ);
		_exit(127);
	}
	return pid;
}

void op_vfork_exec(void)
{
	static char *const exit_now[] = { "kq-fuzz", "--exit-now", NULL };
	struct exec_args a;
	char *const *argv = exit_now;
	const char *path = P.exe;
	sigset_t old;
	pid_t pid;

	if (!may_spawn())
		return;
	switch (below(3)) {
	case 0:
		exec_args(&a, rnd(), now_ms() + 20 + (int64_t)below(KID_LIFE_MS) < P.deadline ?
			  now_ms() + 20 + (int64_t)below(KID_LIFE_MS) : P.deadline, P.depth + 1);
		argv = a.argv;
		break;
	case 1:
		path = "/nonexistent/kq-fuzz";
		break;
	}
	block_harmless(&old);
	atomic_fetch_add(&st->live_kids, 1);
	pid = vfork_exec(path, argv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (note(OP_VFORK_EXEC, pid) < 0) {
		atomic_fetch_sub(&st->live_kids, 1);
		return;
	}
	count(&st->execs);
	track_kid(pid);
	watch_kid(pid);
}

/* Exec ourselves with threads running; the new image carries on fuzzing. */
void op_exec(void)
{
	struct exec_args a;
	sigset_t old;

	if (P.raw)
		return;
	exec_args(&a, rnd(), P.deadline, P.depth);
	block_harmless(&old);
	count(&st->execs);
	guided_before_exec();
	execve(P.exe, a.argv, environ);
	note(OP_EXEC, -1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void op_exit(void)
{
	if (P.depth == 0)
		return;		/* workers end at the deadline */
	note(OP_EXIT, 0);
	if (chance(30))
		kill(getpid(), SIGKILL);
	_exit(below(3));
}

struct thread_arg {
	uint64_t seed;
	int64_t until;
};

static void *thread_main(void *p)
{
	struct thread_arg a = *(struct thread_arg *)p;
	int slot = -1, i;

	free(p);
	rng = a.seed;
	ephemeral = a.until < P.deadline;
	for (i = 1; i <= MAX_THREADS && slot < 0; i++) {
		pid_t zero = 0;

		if (atomic_compare_exchange_strong(&P.tids[i], &zero, gettid()))
			slot = i;
	}
	fuzz_loop(a.until);
	guided_thread_end();
	if (slot > 0)
		atomic_store(&P.tids[slot], 0);
	atomic_fetch_sub(&P.nthreads, 1);
	return NULL;
}

void spawn_thread(uint64_t seed, int64_t until)
{
	struct thread_arg *a;
	pthread_attr_t attr;
	pthread_t t;

	if (P.raw || atomic_fetch_add(&P.nthreads, 1) >= MAX_THREADS) {
		atomic_fetch_sub(&P.nthreads, 1);
		return;
	}
	a = malloc(sizeof(*a));
	if (!a) {
		atomic_fetch_sub(&P.nthreads, 1);
		return;
	}
	a->seed = seed;
	a->until = until;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	errno = pthread_create(&t, &attr, thread_main, a);
	if (note(OP_THREAD, errno ? -1 : 0) < 0) {
		free(a);
		atomic_fetch_sub(&P.nthreads, 1);
	} else {
		count(&st->threads);
	}
	pthread_attr_destroy(&attr);
}

void op_thread(void)
{
	int64_t until = now_ms() + 5 + below(300);

	spawn_thread(rnd(), until < P.deadline ? until : P.deadline);
}

void op_unshare(void)
{
	if (ephemeral)
		note(OP_UNSHARE, unshare(CLONE_FILES));
}

void op_mprotect(void)
{
	static const int prot[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };

	note(OP_MPROTECT, mprotect(P.shared_page, PG, PICK(prot)));
}
