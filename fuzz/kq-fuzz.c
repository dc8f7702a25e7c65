// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: randomized stress of /dev/kqueue (kmod/) through the shim.
 *
 * Worker processes (--procs), each with threads (--threads), run random
 * operations until the deadline (--seconds):
 *   - kevent() with random changelists: idents from live, just-closed and
 *     reused descriptors, pids, signal numbers, small numbers and junk;
 *     every filter the module knows (READ WRITE EMPTY EXCEPT VNODE PROC
 *     PROCDESC SIGNAL TIMER USER), the unsupported ones and random ones;
 *     random EV_* flags (unknown bits too), fflags, data and udata; random
 *     event list sizes, short timeouts (never an unbounded wait), an event
 *     list aliasing the change list, 32- and 64-byte records; every event
 *     returned is checked (known filter, EV_ERROR data a user errno,
 *     nothing written past the returned count), and no call may fail with
 *     a kernel-internal errno (>= 512);
 *   - malformed KQ_IOC_KEVENT arguments (sizes, record sizes, NULL, kernel,
 *     unmapped and read-only pointers, lists running into an unmapped
 *     page, huge and negative counts, bad timeouts, a list the kernel
 *     wrote replayed as changes) and the filter-name ioctls;
 *   - descriptor churn: kqueues, pipes, FIFOs, socketpairs, TCP and UDP
 *     loopback sockets, eventfds, timerfds, signalfds, epolls, pidfds,
 *     memfds, ptys, files, directories, O_PATH; close, dup/dup2/dup3 onto
 *     watched descriptors, close_range, close-and-reuse of a number, I/O
 *     that makes them ready or full;
 *   - file system churn in a private directory for EVFILT_VNODE (create,
 *     write, truncate, rename, link, unlink, mkdir, rmdir, chmod; a tmpfs
 *     mounted and lazily unmounted under watched files);
 *   - kqueues and epolls watching each other (random graphs, cycles
 *     attempted), kqueues passed over unix sockets (SCM_RIGHTS), left in
 *     flight or received by other processes;
 *   - on a kernel with failslab (6.1-debug): one slab allocation of a
 *     kevent(), kqueue(), close() or dup2() failed on purpose (fail-nth);
 *     the module's limits (max_user_knotes, max_user_timers, max_timers)
 *     lowered around a few calls;
 *   - processes: fork (the child fuzzes for up to 1.5 s, then exits, is
 *     killed, or execs itself), clone(CLONE_FILES), vfork+exec, exec with
 *     threads running, threads coming and going, unshare(CLONE_FILES),
 *     signals to self, threads, process group and children (SIGKILL,
 *     SIGSTOP/SIGCONT too).  Every child is alarm()-bounded.
 * At the end every process is gone and the module's live counters
 * (/sys/module/kqueue/parameters/live_kqueues and live_knotes) must read 0
 * within 30 s.  The kernel log is checked by the VM harness (scripts/kq-vm).
 *
 * Replay: the first line printed is "kq-fuzz: seed N".  Each worker, thread
 * and child derives its own seed from it, so "kq-fuzz --seed N" with the
 * same --procs and --threads repeats each thread's random choices.  The
 * interleaving of threads and processes differs from run to run: a replay
 * repeats the workload, not the schedule; run it a few times, and narrow it
 * with --only/--skip (names from --list-ops).  In the VM:
 *   scripts/kq-fuzz --kernel 6.1-debug --seconds N --seed S
 *
 *   kq-fuzz [--seed N] [--seconds N] [--procs N] [--threads N]
 *           [--only OP,...] [--skip OP,...] [--list-ops]
 * --guided (fuzz/guided.c): sequences of operations guided by the module's
 * coverage (kcov); the seed then fixes each thread's random choices, but
 * what the corpus holds depends on the coverage and the schedule, so a
 * guided run does not replay: an anomaly prints the sequence running,
 * which --sequence OP:SEED,... repeats (fuzz/guided.c).  Without kcov
 * (any kernel but 6.1-debug) --guided fails.
 * Exit status: 0 clean, 1 a finding (anomaly, hang, counters not back to
 * 0, a worker dying), 2 usage.
 */
#include "kq-fuzz.h"

const char counters_dir[] = "/sys/module/kqueue/parameters";
struct options opt = { .seconds = 600, .procs = 4, .threads = 2 };
struct fuzz_process P;
struct stats *st;
uint64_t ops_off;
__thread uint64_t rng;
__thread bool ephemeral;

/* ---- findings ----------------------------------------------------------- */

static __thread unsigned char last_ops[8];
static __thread unsigned last_pos;

/*
 * Count the result of an operation's main call; returns rc, errno kept.
 * Codes from 512 up are the kernel's own (ERESTARTSYS, ENOIOCTLCMD...):
 * they must never reach user space.
 */
long note(enum op op, long rc)
{
	int e = rc < 0 ? errno : 0;

	if (e >= 512)
		anomaly("%s failed with errno %d, a kernel-internal code", ops[op].name, e);

	count(&st->err[op][e > 0 && e < NERR ? e : (e ? NERR - 1 : 0)]);
	errno = e;
	return rc;
}

void anomaly(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n, i;

	n = snprintf(buf, sizeof(buf),
		     "kq-fuzz: ANOMALY (seed %" PRIu64 ", worker %d, depth %d, pid %d): ",
		     opt.seed, P.id, P.depth, getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	n += snprintf(buf + n, sizeof(buf) - n, "; this thread's last ops:");
	for (i = 0; i < 8 && n < (int)sizeof(buf) - 20; i++)
		n += snprintf(buf + n, sizeof(buf) - n, " %s",
			      ops[last_ops[(last_pos + i) % 8]].name);
	if (n < (int)sizeof(buf) - 100)
		n += guided_describe(buf + n, sizeof(buf) - n - 2);
	n += snprintf(buf + n, sizeof(buf) - n, "\n");
	if (write(2, buf, n) < 0)
		(void)0;
	count(&st->anomalies);
}

/* ---- the loop ----------------------------------------------------------- */

const struct op_desc ops[OP_MAX] = {
	[OP_KEVENT]		= { "kevent",		25000, op_kevent },
	[OP_KEVENT64]		= { "kevent64",		 4000, op_kevent64 },
	[OP_KEVENT_DARWIN]	= { "kevent-darwin",	 4000, op_kevent_darwin },
	[OP_KEVENT_BAD]		= { "kevent-bad",	 3000, op_kevent_bad },
	[OP_KFILTER]		= { "kfilter",		  800, op_kfilter },
	[OP_KQ_MISC]		= { "kq-misc",		 2000, op_kq_misc },
	[OP_NEW_KQUEUE]		= { "new-kqueue",	 3000, op_new_kqueue },
	[OP_NEW_PIPE]		= { "new-pipe",		 2000, op_new_pipe },
	[OP_NEW_FIFO]		= { "new-fifo",		  500, op_new_fifo },
	[OP_NEW_SOCKETPAIR]	= { "new-socketpair",	 2000, op_new_socketpair },
	[OP_NEW_TCP]		= { "new-tcp",		  800, op_new_tcp },
	[OP_NEW_UDP]		= { "new-udp",		  400, op_new_udp },
	[OP_NEW_EVENTFD]	= { "new-eventfd",	  800, op_new_eventfd },
	[OP_NEW_TIMERFD]	= { "new-timerfd",	  400, op_new_timerfd },
	[OP_NEW_SIGNALFD]	= { "new-signalfd",	  300, op_new_signalfd },
	[OP_NEW_EPOLL]		= { "new-epoll",	  800, op_new_epoll },
	[OP_NEW_PIDFD]		= { "new-pidfd",	  800, op_new_pidfd },
	[OP_NEW_MEMFD]		= { "new-memfd",	  300, op_new_memfd },
	[OP_NEW_PTY]		= { "new-pty",		  300, op_new_pty },
	[OP_NEW_FILE]		= { "new-file",		 2000, op_new_file },
	[OP_NEW_DIR]		= { "new-dir",		  800, op_new_dir },
	[OP_NEW_PATH]		= { "new-path",		  300, op_new_path },
	[OP_CLOSE]		= { "close",		 6000, op_close },
	[OP_DUP]		= { "dup",		 3500, op_dup },
	[OP_CLOSE_RANGE]	= { "close-range",	  300, op_close_range },
	[OP_REUSE]		= { "reuse",		 3000, op_reuse },
	[OP_CLOEXEC]		= { "cloexec",		  500, op_cloexec },
	[OP_IO]			= { "io",		10000, op_io },
	[OP_FS]			= { "fs",		 5000, op_fs },
	[OP_MOUNT]		= { "mount",		   50, op_mount },
	[OP_EPOLL_CTL]		= { "epoll-ctl",	 2000, op_epoll_ctl },
	[OP_SCM_SEND]		= { "scm-send",		 1500, op_scm_send },
	[OP_SCM_RECV]		= { "scm-recv",		 1500, op_scm_recv },
	[OP_SIGNAL]		= { "signal",		 2000, op_signal },
	[OP_SIGMASK]		= { "sigmask",		  500, op_sigmask },
	[OP_FORK]		= { "fork",		  150, op_fork },
	[OP_CLONE_FILES]	= { "clone-files",	   60, op_clone_files },
	[OP_VFORK_EXEC]		= { "vfork-exec",	   60, op_vfork_exec },
	[OP_EXEC]		= { "exec",		    5, op_exec },
	[OP_EXIT]		= { "exit",		   20, op_exit },
	[OP_THREAD]		= { "thread",		  100, op_thread },
	[OP_UNSHARE]		= { "unshare",		   50, op_unshare },
	[OP_MPROTECT]		= { "mprotect",		  300, op_mprotect },
	[OP_FAULT]		= { "fault",		 1500, op_fault },
	[OP_LIMITS]		= { "limits",		   50, op_limits },
	[OP_NEST]		= { "nest",		  500, op_nest },
};

/* An operation by weight, from the random number r. */
enum op pick_op(uint64_t rand)
{
	static unsigned total;
	unsigned r, i;

	if (!total)
		for (i = 0; i < OP_MAX; i++)
			total += ops_off & (1ULL << i) ? 0 : ops[i].weight;
	r = rand % total;
	for (i = 0; i < OP_MAX; i++) {
		unsigned w = ops_off & (1ULL << i) ? 0 : ops[i].weight;

		if (r < w)
			return i;
		r -= w;
	}
	return OP_KEVENT;
}

void op_run(enum op op)
{
	last_ops[last_pos++ % 8] = op;
	count(&st->ops[op]);
	ops[op].fn();
}

void fuzz_loop(int64_t until)
{
	unsigned n = 0;

	if (sequence_loop(until) || (guided_on() && guided_loop(until)))
		return;
	while (!atomic_load(&P.stop) && now_ms() < until) {
		op_run(pick_op(rnd()));
		if ((++n & 63) == 0)
			reap_kids(false);
	}
}

/* End of a fuzzing process: threads stop, children die, then exit. */
static void __attribute__((noreturn)) process_end(void)
{
	int64_t until = now_ms() + 2000;

	atomic_store(&P.stop, true);
	while (atomic_load(&P.nthreads) > 0 && now_ms() < until)
		usleep(1000);
	if (!P.raw) {
		kill_kids();
		reap_kids(true);
	}
	_exit(0);
}

void __attribute__((noreturn)) run_process(void)
{
	int n = P.depth == 0 ? opt.threads : chance(30), i;

	P.shared_page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (P.shared_page == MAP_FAILED)
		_exit(3);
	atomic_store(&P.tids[0], gettid());
	for (i = 0; i < n; i++)
		spawn_thread(derive(P.seed, 100 + i), P.deadline);
	fuzz_loop(P.deadline);
	process_end();
}

static bool map_stats(void)
{
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, STATS_FD, 0);
	return st != MAP_FAILED;
}

/* Mounting is safe only in the worker's own mount namespace. */
static bool private_mounts(void)
{
	char mine[64] = "", init[64] = "";

	return readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1) > 0 &&
	       readlink("/proc/1/ns/mnt", init, sizeof(init) - 1) > 0 &&
	       strcmp(mine, init);
}

/* A worker: its own process group, directory and mount namespace. */
static void __attribute__((noreturn)) worker(int id)
{
	static const char *const subdirs[] = { "a", "b", "m", "a/d0", "b/d1" };
	char path[PATH_MAX];
	unsigned i;

	setpgid(0, 0);
	P.id = id;
	P.seed = derive(opt.seed, id + 1);
	rng = P.seed;
	snprintf(P.dir + strlen(P.dir), sizeof(P.dir) - strlen(P.dir), "/w%d", id);
	mkdir(P.dir, 0755);
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", P.dir, subdirs[i]);
		mkdir(path, 0755);
	}
	/* mounts stay in the worker's namespace and go with it */
	P.can_mount = !unshare(CLONE_NEWNS) &&
		      !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
		      private_mounts();
	run_process();
}

/* "--exec-child MASTER SEED DEADLINE DEPTH ID THREADS OPS_OFF DIR" */
static int exec_child(int argc, char **argv)
{
	sigset_t set;

	if (argc != 10 || !map_stats())
		return 3;
	opt.seed = strtoull(argv[2], NULL, 10);
	P.seed = strtoull(argv[3], NULL, 10);
	P.deadline = strtoll(argv[4], NULL, 10);
	P.depth = atoi(argv[5]);
	P.id = atoi(argv[6]);
	opt.threads = atoi(argv[7]);
	ops_off = strtoull(argv[8], NULL, 16);
	snprintf(P.dir, sizeof(P.dir), "%s", argv[9]);
	P.can_mount = private_mounts();
	inherit_knobs();
	guided_inherit();
	rng = P.seed;
	init_harmless();
	install_signals();
	harmless_set(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (P.depth)
		arm_alarm(P.deadline - now_ms());
	count(&st->procs);
	classify_all();
	run_process();
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The binary is copied next to the workers' directories: exec reads tmpfs. */
static bool copy_exe(const char *dst)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return false;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return false;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return n == 0;
}

static bool setup_stats(void)
{
	struct rlimit rl;
	int fd;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur <= STATS_FD) {
		rl.rlim_cur = rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fd = memfd_create("kq-fuzz-stats", 0);
	if (fd < 0 || ftruncate(fd, sizeof(*st)) || dup2(fd, STATS_FD) != STATS_FD)
		return false;
	close(fd);
	return map_stats();
}

static bool parse_ops(const char *list, bool only)
{
	char *copy = strdup(list), *name, *save = NULL;
	uint64_t mask = 0;
	int i;

	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < OP_MAX && strcmp(ops[i].name, name); i++)
			;
		if (i == OP_MAX) {
			fprintf(stderr, "kq-fuzz: unknown operation %s (see --list-ops)\n", name);
			free(copy);
			return false;
		}
		mask |= 1ULL << i;
	}
	free(copy);
	ops_off |= only ? ~mask & ((1ULL << OP_MAX) - 1) : mask;
	return true;
}

/* The command line that replays this run. */
static void print_replay(void)
{
	int i, n = 0;

	printf("kq-fuzz: %d processes with %d threads each, %d s; replay with: kq-fuzz "
	       "--seed %" PRIu64 " --seconds %d --procs %d --threads %d", opt.procs,
	       opt.threads + 1, opt.seconds, opt.seed, opt.seconds, opt.procs, opt.threads);
	for (i = 0; i < OP_MAX; i++)
		if (ops_off & (1ULL << i))
			printf("%s%s", n++ ? "," : " --skip ", ops[i].name);
	printf("%s%s%s\n", opt.guided ? " --guided" : "", opt.sequence ? " --sequence " : "",
	       opt.sequence ? opt.sequence : "");
}

static void usage(void)
{
	fprintf(stderr, "usage: kq-fuzz [--seed N] [--seconds N] [--procs N] [--threads N]\n"
			"               [--only OP,...] [--skip OP,...] [--guided]\n"
			"               [--sequence OP:SEED,...] [--list-ops]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	bool seeded = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--list-ops")) {
			for (i = 0; i < OP_MAX; i++)
				printf("%s\n", ops[i].name);
			exit(0);
		}
		if (!v && strcmp(a, "--guided"))
			usage();
		if (!strcmp(a, "--seed")) {
			opt.seed = strtoull(v, NULL, 0);
			seeded = true;
		} else if (!strcmp(a, "--seconds")) {
			opt.seconds = atoi(v);
		} else if (!strcmp(a, "--procs")) {
			opt.procs = atoi(v);
		} else if (!strcmp(a, "--guided")) {
			opt.guided = true;
			continue;
		} else if (!strcmp(a, "--threads")) {
			opt.threads = atoi(v);
		} else if (!strcmp(a, "--sequence")) {
			if (!sequence_parse(v))
				exit(2);
			opt.sequence = v;
		} else if (!strcmp(a, "--only") || !strcmp(a, "--skip")) {
			if (!parse_ops(v, !strcmp(a, "--only")))
				exit(2);
		} else {
			usage();
		}
		i++;
	}
	if (opt.seconds < 1 || opt.procs < 1 || opt.procs > 64 ||
	    opt.threads < 0 || opt.threads > MAX_THREADS)
		usage();
	if (!seeded && getrandom(&opt.seed, sizeof(opt.seed), 0) != sizeof(opt.seed))
		opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	opt.seed &= (1ULL << 53) - 1;	/* short enough to retype */
}

int main(int argc, char **argv)
{
	char base[] = "/tmp/kq-fuzz.XXXXXX";
	int findings = 0, i;
	int64_t deadline;
	pid_t *workers;

	if (argc > 1 && !strcmp(argv[1], "--exit-now"))
		return 0;
	if (readlink("/proc/self/exe", P.exe, sizeof(P.exe) - 1) < 0)
		return 3;
	if (argc > 1 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argc, argv);
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kq-fuzz: seed %" PRIu64 "\n", opt.seed);
	print_replay();
	if (access("/dev/kqueue", F_OK) || read_counter("live_kqueues") < 0) {
		printf("kq-fuzz: FAIL: no /dev/kqueue or %s/live_kqueues: is the module loaded?\n",
		       counters_dir);
		return 1;
	}
	if (read_counter("live_kqueues") || read_counter("live_knotes"))
		printf("kq-fuzz: note: the live counters are not 0 before the run\n");
	if (!setup_stats() || !mkdtemp(base) || (opt.guided && !guided_setup())) {
		perror("kq-fuzz: setup");
		return 1;
	}
	if (opt.guided && !guided_probe())
		return 1;
	snprintf(P.exe, sizeof(P.exe), "%s/kq-fuzz", base);
	if (!copy_exe(P.exe) && readlink("/proc/self/exe", P.exe, sizeof(P.exe) - 1) < 0)
		return 3;
	snprintf(P.dir, sizeof(P.dir), "%s", base);
	init_harmless();
	for (i = 0; i < nharmless; i++)	/* a stray signal must not end the supervisor */
		if (harmless[i] != SIGCHLD)
			signal(harmless[i], SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	setup_knobs();

	deadline = now_ms() + (int64_t)opt.seconds * 1000;
	workers = calloc(opt.procs, sizeof(*workers));
	for (i = 0; i < opt.procs; i++) {
		workers[i] = fork();
		if (workers[i] == 0) {
			install_signals();
			P.deadline = deadline;
			worker(i);
		}
		if (workers[i] < 0)
			perror("kq-fuzz: fork");
	}
	findings += supervise(workers, deadline);
	restore_knobs();
	findings += check_counters();
	print_summary();
	guided_summary();
	findings += atomic_load(&st->anomalies) > 0;
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("kq-fuzz: seed %" PRIu64 ": %s\n", opt.seed, findings ? "FAIL" : "PASS");
	return findings ? 1 : 0;
}
