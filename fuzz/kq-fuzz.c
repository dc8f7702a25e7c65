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
 * Exit status: 0 clean, 1 a finding (anomaly, hang, counters not back to
 * 0, a worker dying), 2 usage.
 */
#define _GNU_SOURCE
#include <sys/event.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE	(1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER		_IO('T', 0x41)
#endif

#define FD_MAX		256	/* fuzzed descriptors live below this */
#define STATS_FD	1000	/* the shared counters (a memfd), kept across exec */
#define MAX_CHANGES	24
#define MAX_EVENTS	24
#define CANARY		4	/* records past the event list that must stay untouched */
#define MAX_KIDS	8	/* children tracked per process */
#define MAX_DEPTH	3	/* worker = 0 */
#define MAX_THREADS	6	/* extra threads per process */
#define KID_LIFE_MS	1500
#define GRACE_MS	30000	/* workers past the deadline: a hang */
#define COUNTER_WAIT_MS	30000
#define NERR		134	/* errno values counted; the last one is "other" */
#define PG		4096

static const char counters_dir[] = "/sys/module/kqueue/parameters";

/* ---- operations --------------------------------------------------------- */

enum op {
	OP_KEVENT, OP_KEVENT64, OP_KEVENT_DARWIN, OP_KEVENT_BAD, OP_KFILTER,
	OP_KQ_MISC,
	OP_NEW_KQUEUE, OP_NEW_PIPE, OP_NEW_FIFO, OP_NEW_SOCKETPAIR, OP_NEW_TCP,
	OP_NEW_UDP, OP_NEW_EVENTFD, OP_NEW_TIMERFD, OP_NEW_SIGNALFD,
	OP_NEW_EPOLL, OP_NEW_PIDFD, OP_NEW_MEMFD, OP_NEW_PTY, OP_NEW_FILE,
	OP_NEW_DIR, OP_NEW_PATH,
	OP_CLOSE, OP_DUP, OP_CLOSE_RANGE, OP_REUSE, OP_CLOEXEC,
	OP_IO, OP_FS, OP_MOUNT, OP_EPOLL_CTL, OP_SCM_SEND, OP_SCM_RECV,
	OP_SIGNAL, OP_SIGMASK, OP_FORK, OP_CLONE_FILES, OP_VFORK_EXEC,
	OP_EXEC, OP_EXIT, OP_THREAD, OP_UNSHARE, OP_MPROTECT, OP_FAULT,
	OP_LIMITS, OP_NEST,
	OP_MAX
};

struct op_desc {
	const char *name;
	unsigned weight;	/* relative frequency */
	void (*fn)(void);
};

static const struct op_desc ops[OP_MAX];	/* defined after the functions */
static uint64_t ops_off;			/* --only/--skip: bit per op */

/* ---- shared counters ---------------------------------------------------- */

struct stats {
	_Atomic uint64_t ops[OP_MAX];
	_Atomic uint64_t err[OP_MAX][NERR];	/* [0]: the call succeeded */
	_Atomic uint64_t events[16];		/* harvested, by -filter */
	_Atomic uint64_t receipts[NERR];	/* EV_ERROR records, by data */
	_Atomic uint64_t kid_exit, kid_signal[65];
	_Atomic uint64_t procs, execs, threads, scm_fds;
	_Atomic uint64_t faults_injected;	/* fail-nth reached its allocation */
	_Atomic uint64_t anomalies;
	_Atomic int live_kids;			/* forked and not yet reaped */
};

static struct stats *st;

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void anomaly(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Count the result of an operation's main call; returns rc, errno kept.
 * Codes from 512 up are the kernel's own (ERESTARTSYS, ENOIOCTLCMD...):
 * they must never reach user space.
 */
static long note(enum op op, long rc)
{
	int e = rc < 0 ? errno : 0;

	if (e >= 512)
		anomaly("%s failed with errno %d, a kernel-internal code", ops[op].name, e);

	count(&st->err[op][e > 0 && e < NERR ? e : (e ? NERR - 1 : 0)]);
	errno = e;
	return rc;
}

/* ---- randomness --------------------------------------------------------- */

static __thread uint64_t rng;
/* A short-lived thread: may unshare its descriptor table (its kqueues then
 * belong to the old table, so long-lived threads do not). */
static __thread bool ephemeral;

static uint64_t mix(uint64_t *s)		/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t derive(uint64_t seed, uint64_t n)
{
	uint64_t s = seed ^ (n * 0xd1342543de82ef95ULL);

	return mix(&s);
}

static uint64_t rnd(void) { return mix(&rng); }
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static bool chance(unsigned pct) { return below(100) < pct; }
#define PICK(a) ((a)[below(sizeof(a) / sizeof((a)[0]))])

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options and this process ------------------------------------------- */

static struct {
	uint64_t seed;
	int seconds, procs, threads;
} opt = { .seconds = 600, .procs = 4, .threads = 2 };

/* One fuzzing process: a worker (depth 0) or one of its descendants. */
static struct {
	uint64_t seed;
	int64_t deadline;		/* CLOCK_MONOTONIC ms */
	int depth, id;
	bool raw;			/* clone(CLONE_FILES) child: no libc state */
	bool can_mount;
	char dir[256];			/* the worker's directory */
	char exe[PATH_MAX];
	unsigned char *shared_page;	/* mprotect()ed at random; kernel use only */
	_Atomic pid_t kids[MAX_KIDS];
	_Atomic pid_t reaped[8];
	_Atomic unsigned reaped_pos;
	_Atomic pid_t tids[MAX_THREADS + 1];
	_Atomic int nthreads;		/* extra threads alive */
	_Atomic bool stop;
} P;

static int harmless[12], nharmless;	/* signals every fuzz process handles */

static int random_harmless(void);

/* ---- findings ----------------------------------------------------------- */

static __thread unsigned char last_ops[8];
static __thread unsigned last_pos;

static void anomaly(const char *fmt, ...)
{
	char buf[1024];
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
	n += snprintf(buf + n, sizeof(buf) - n, "\n");
	if (write(2, buf, n) < 0)
		(void)0;
	count(&st->anomalies);
}

/* ---- the descriptor table ----------------------------------------------- */

enum kind {
	K_FREE, K_KQ, K_KQ_FOREIGN, K_PIPE_R, K_PIPE_W, K_UNIX, K_TCP, K_LISTEN, K_UDP,
	K_EVENTFD, K_TIMERFD, K_SIGNALFD, K_EPOLL, K_PIDFD, K_PTY, K_FILE,
	K_DIR, K_PATH, K_OTHER
};
#define KM(k)	(1u << (k))
#define K_SOCKS	(KM(K_UNIX) | KM(K_TCP) | KM(K_UDP))
/* K_KQ_FOREIGN: a kqueue another file table opened (kevent() says EBADF) */
#define K_KQS	(KM(K_KQ) | KM(K_KQ_FOREIGN))

/* What each descriptor below FD_MAX is, as far as this process knows. */
static _Atomic unsigned char fdk[FD_MAX];
static _Atomic int recent[16];		/* just closed */
static _Atomic unsigned recent_pos;

static int adopt(int fd, enum kind k)
{
	if (fd < 0)
		return -1;
	if (fd < 3 || fd >= FD_MAX) {
		if (fd >= FD_MAX && fd != STATS_FD)
			close(fd);
		return -1;
	}
	atomic_store(&fdk[fd], k);
	return fd;
}

static void forget(int fd)
{
	if (fd < 3 || fd >= FD_MAX)
		return;
	atomic_store(&fdk[fd], K_FREE);
	atomic_store(&recent[atomic_fetch_add(&recent_pos, 1) % 16], fd);
}

static enum kind kind_of(int fd)
{
	return fd >= 0 && fd < FD_MAX ? atomic_load(&fdk[fd]) : K_FREE;
}

/* A live descriptor whose kind is in mask (any kind when mask is 0), or -1. */
static int pick_fd(unsigned mask)
{
	int start = below(FD_MAX), i;

	for (i = 0; i < FD_MAX; i++) {
		int fd = (start + i) % FD_MAX;
		unsigned k = atomic_load(&fdk[fd]);

		if (k != K_FREE && (!mask || (mask & KM(k))))
			return fd;
	}
	return -1;
}

static int live_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < FD_MAX; fd++)
		n += atomic_load(&fdk[fd]) != K_FREE;
	return n;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* What a descriptor we did not open ourselves is (received, inherited). */
static enum kind classify(int fd)
{
	char path[64], link[256] = "";
	int fl = fcntl(fd, F_GETFL), v;
	socklen_t len = sizeof(v);
	struct stat sb;
	ssize_t n;

	if (fl < 0 || fstat(fd, &sb))
		return K_FREE;
	if (fl & O_PATH)
		return K_PATH;
	if (S_ISREG(sb.st_mode))
		return K_FILE;
	if (S_ISDIR(sb.st_mode))
		return K_DIR;
	if (S_ISFIFO(sb.st_mode))
		return (fl & O_ACCMODE) == O_WRONLY ? K_PIPE_W : K_PIPE_R;
	if (S_ISSOCK(sb.st_mode)) {
		if (!getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) && v)
			return K_LISTEN;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) && v == AF_UNIX)
			return K_UNIX;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) && v == SOCK_STREAM)
			return K_TCP;
		return K_UDP;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	/* a KQUEUE_CPONFORK copy is an anonymous inode */
	if (!strcmp(link, "/dev/kqueue") || !strcmp(link, "anon_inode:[kqueue]")) {
		struct kq_kevent_args a = { .size = sizeof(a), .record_size = KQ_RECORD_KEVENT };

		return ioctl(fd, KQ_IOC_KEVENT, &a) ? K_KQ_FOREIGN : K_KQ;
	}
	if (!strcmp(link, "/dev/ptmx") || has_prefix(link, "/dev/pts/"))
		return K_PTY;
	if (strstr(link, "eventpoll"))
		return K_EPOLL;
	if (strstr(link, "eventfd"))
		return K_EVENTFD;
	if (strstr(link, "timerfd"))
		return K_TIMERFD;
	if (strstr(link, "signalfd"))
		return K_SIGNALFD;
	if (strstr(link, "pidfd"))
		return K_PIDFD;
	return K_OTHER;
}

/* After fork: the kqueues are the parent's, but KQUEUE_CPONFORK's copies. */
static void disown_kqueues(void)
{
	int fd;

	for (fd = 0; fd < FD_MAX; fd++)
		if (atomic_load(&fdk[fd]) == K_KQ)
			atomic_store(&fdk[fd], classify(fd) == K_KQ ? K_KQ : K_KQ_FOREIGN);
}

/* After exec: learn the inherited descriptors. */
static void classify_all(void)
{
	int fd;

	for (fd = 3; fd < FD_MAX; fd++)
		atomic_store(&fdk[fd], fcntl(fd, F_GETFD) < 0 ? K_FREE : classify(fd));
}

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

static pid_t random_kid(void)
{
	return atomic_load(&P.kids[below(MAX_KIDS)]);
}

static bool fatal_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGABRT || sig == SIGFPE || sig == SIGSYS ||
	       sig == SIGTRAP;
}

static pid_t proc_ppid(pid_t pid, pid_t *pgrp);

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
static void dump_pid(pid_t pid)
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

static void arm_alarm(int64_t ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(ms / 1000 + 30);
}

/* A descendant has been reaped (by its parent or, orphaned, by main). */
static void account_kid(pid_t pid, int status)
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

static void reap_kids(bool block)
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
static pid_t proc_ppid(pid_t pid, pid_t *pgrp)
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
static void kill_kids(void)
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

/* ---- signals ------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
}

static int random_harmless(void)
{
	return harmless[below(nharmless)];
}

static void init_harmless(void)
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

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nharmless; i++)
		if (needs_handler(harmless[i]))
			sigaction(harmless[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void harmless_set(sigset_t *set)
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

/* ---- descriptor creation ------------------------------------------------ */

static char *fs_path(char *buf, size_t len)
{
	static const char *const sub[] = { "a", "a", "b", "m", "a/d0", "b/d1" };
	static const char *const name[] = { "f0", "f1", "f2", "f3", "d0", "d1",
					    "p0", "l0" };

	snprintf(buf, len, "%s/%s/%s", P.dir, PICK(sub), PICK(name));
	return buf;
}

static int new_kqueue(void)
{
	int fd;

	switch (below(4)) {
	case 0:
		fd = kqueue();
		break;
	case 1:
		fd = kqueue1((chance(30) ? O_CLOEXEC : 0) | (chance(30) ? O_NONBLOCK : 0));
		break;
	case 2:
		fd = kqueuex((chance(50) ? KQUEUE_CLOEXEC : 0) |
			     (chance(30) ? KQUEUE_CPONFORK : 0));
		break;
	default:
		fd = open("/dev/kqueue", PICK(((const int[]){ O_RDWR, O_RDONLY, O_WRONLY })) |
			  (chance(30) ? O_CLOEXEC : 0));
	}
	return adopt(note(OP_NEW_KQUEUE, fd), K_KQ);
}

static int new_pipe(void)
{
	int p[2], fl = O_NONBLOCK | (chance(20) ? O_CLOEXEC : 0) | (chance(10) ? O_DIRECT : 0);

	if (note(OP_NEW_PIPE, pipe2(p, fl)))
		return -1;
	if (chance(20))
		fcntl(p[1], F_SETPIPE_SZ, PG << below(4));
	adopt(p[1], K_PIPE_W);
	return adopt(p[0], K_PIPE_R);
}

static int new_fifo(void)
{
	char path[PATH_MAX];
	int r, w;

	snprintf(path, sizeof(path), "%s/%s/p0", P.dir, chance(50) ? "a" : "b");
	mkfifo(path, 0600);
	r = adopt(note(OP_NEW_FIFO, open(path, (chance(70) ? O_RDONLY : O_RDWR) | O_NONBLOCK)),
		  K_PIPE_R);
	w = open(path, O_WRONLY | O_NONBLOCK);
	adopt(w, K_PIPE_W);
	return r;
}

static int new_socketpair(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int sv[2];

	if (note(OP_NEW_SOCKETPAIR, socketpair(AF_UNIX, PICK(types) | SOCK_NONBLOCK |
					       (chance(20) ? SOCK_CLOEXEC : 0), 0, sv)))
		return -1;
	adopt(sv[1], K_UNIX);
	return adopt(sv[0], K_UNIX);
}

static int loopback_socket(int type, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    getsockname(fd, (struct sockaddr *)sin, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A listener, a client connected to it and the accepted end. */
static int new_tcp(void)
{
	struct sockaddr_in sin;
	int l = loopback_socket(SOCK_STREAM, &sin), c, a;

	if (note(OP_NEW_TCP, l) < 0)
		return -1;
	l = adopt(l, K_LISTEN);
	if (l < 0 || listen(l, 4))
		return -1;
	c = adopt(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), K_TCP);
	if (c >= 0)
		connect(c, (struct sockaddr *)&sin, sizeof(sin));
	a = adopt(accept4(l, NULL, NULL, SOCK_NONBLOCK), K_TCP);
	if (chance(50)) {
		close(l);
		forget(l);
	}
	return a >= 0 ? a : c;
}

/* A UDP socket connected to itself. */
static int new_udp(void)
{
	struct sockaddr_in sin;
	int fd = loopback_socket(SOCK_DGRAM, &sin);

	if (note(OP_NEW_UDP, fd) < 0)
		return -1;
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	return adopt(fd, K_UDP);
}

static int new_eventfd(void)
{
	return adopt(note(OP_NEW_EVENTFD, eventfd(below(3), EFD_NONBLOCK |
				(chance(30) ? EFD_SEMAPHORE : 0))), K_EVENTFD);
}

static void arm_timerfd(int fd)
{
	struct itimerspec its = {
		.it_value = { .tv_nsec = (1 + below(20)) * 1000000 },
		.it_interval = { .tv_nsec = chance(50) ? (1 + below(10)) * 1000000 : 0 },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static int new_timerfd(void)
{
	int fd = timerfd_create(chance(50) ? CLOCK_MONOTONIC : CLOCK_REALTIME, TFD_NONBLOCK);

	if (note(OP_NEW_TIMERFD, fd) >= 0)
		arm_timerfd(fd);
	return adopt(fd, K_TIMERFD);
}

static int new_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, random_harmless());
	sigaddset(&set, SIGUSR1);
	return adopt(note(OP_NEW_SIGNALFD, signalfd(-1, &set, SFD_NONBLOCK)), K_SIGNALFD);
}

static unsigned random_epoll_events(void)
{
	static const unsigned bits[] = { EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
					 EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE,
					 EPOLLERR, EPOLLHUP, EPOLLRDNORM };
	unsigned ev = 0, i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (chance(30))
			ev |= bits[i];
	return ev;
}

static int new_epoll(void)
{
	int ep = adopt(note(OP_NEW_EPOLL, epoll_create1(chance(30) ? EPOLL_CLOEXEC : 0)),
		       K_EPOLL);
	int i;

	for (i = 0; ep >= 0 && i < (int)below(4); i++) {
		struct epoll_event e = { .events = random_epoll_events(), .data.u64 = rnd() };
		int fd = pick_fd(chance(50) ? K_KQS : 0);

		if (fd >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	}
	return ep;
}

static pid_t recently_reaped(void)
{
	return atomic_load(&P.reaped[below(8)]);
}

static int new_pidfd(void)
{
	pid_t pid;

	switch (below(6)) {
	case 0:
		pid = getpid();
		break;
	case 1:		/* the parent is a fuzz process too below the worker */
		pid = P.depth ? getppid() : getpid();
		break;
	case 2:
		pid = recently_reaped();
		break;
	default:
		pid = random_kid();
	}
	if (pid <= 0)
		pid = getpid();
	return adopt(note(OP_NEW_PIDFD, syscall(SYS_pidfd_open, pid,
						chance(20) ? O_NONBLOCK : 0)), K_PIDFD);
}

static int new_memfd(void)
{
	int fd = memfd_create("kq-fuzz", chance(30) ? MFD_CLOEXEC : 0);

	if (note(OP_NEW_MEMFD, fd) >= 0 && ftruncate(fd, below(3 * PG)))
		(void)0;
	return adopt(fd, K_FILE);
}

static int new_pty(void)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK), unlock = 0;

	if (note(OP_NEW_PTY, m) < 0)
		return -1;
	ioctl(m, TIOCSPTLCK, &unlock);
	adopt(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK), K_PTY);
	return adopt(m, K_PTY);
}

static int new_file(void)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	char path[PATH_MAX];
	int fl = PICK(acc) | O_NONBLOCK | O_NOCTTY, fd;

	if (chance(70))
		fl |= O_CREAT;
	if (chance(20))
		fl |= O_APPEND;
	if (chance(5))
		fl |= O_TRUNC;
	if (chance(20))
		fl |= O_CLOEXEC;
	fd = note(OP_NEW_FILE, open(fs_path(path, sizeof(path)), fl, 0644));
	return fd < 0 ? -1 : adopt(fd, classify(fd));
}

static int new_dir(void)
{
	char path[PATH_MAX];

	if (chance(30))
		snprintf(path, sizeof(path), "%s/%s", P.dir, chance(50) ? "a" : "m");
	else
		fs_path(path, sizeof(path));
	return adopt(note(OP_NEW_DIR, open(path, O_RDONLY | O_DIRECTORY |
					   (chance(20) ? O_CLOEXEC : 0))), K_DIR);
}

static int new_path(void)
{
	char path[PATH_MAX];

	return adopt(note(OP_NEW_PATH, open(fs_path(path, sizeof(path)),
					    O_PATH | (chance(50) ? O_NOFOLLOW : 0))), K_PATH);
}

static int (*const creators[])(void) = {
	new_kqueue, new_kqueue, new_kqueue, new_pipe, new_pipe, new_fifo,
	new_socketpair, new_socketpair, new_tcp, new_udp, new_eventfd,
	new_timerfd, new_signalfd, new_epoll, new_pidfd, new_memfd, new_pty,
	new_file, new_file, new_dir, new_path,
};

/* A full table only closes. */
static bool table_full(void)
{
	return live_fds() > FD_MAX - 40;
}

#define NEW_OP(fn)	static void op_##fn(void) { if (!table_full()) fn(); }
NEW_OP(new_kqueue) NEW_OP(new_pipe) NEW_OP(new_fifo) NEW_OP(new_socketpair)
NEW_OP(new_tcp) NEW_OP(new_udp) NEW_OP(new_eventfd) NEW_OP(new_timerfd)
NEW_OP(new_signalfd) NEW_OP(new_epoll) NEW_OP(new_pidfd) NEW_OP(new_memfd)
NEW_OP(new_pty) NEW_OP(new_file) NEW_OP(new_dir) NEW_OP(new_path)

/* ---- kevent changes ----------------------------------------------------- */

static const short filters[] = {
	EVFILT_READ, EVFILT_WRITE, EVFILT_EMPTY, EVFILT_EXCEPT, EVFILT_VNODE,
	EVFILT_PROC, EVFILT_PROCDESC, EVFILT_SIGNAL, EVFILT_TIMER, EVFILT_USER,
};

static bool known_filter(short f)
{
	unsigned i;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (filters[i] == f)
			return true;
	return false;
}

static short gen_filter(void)
{
	static const short bad[] = { EVFILT_AIO, EVFILT_NETDEV, EVFILT_FS,
				     EVFILT_LIO, EVFILT_LIBKQUEUE, 0, -16, 1,
				     SHRT_MIN, SHRT_MAX };

	if (chance(92))
		return PICK(filters);
	return chance(70) ? PICK(bad) : (short)rnd();
}

static uint64_t junk_ident(void)
{
	static const uint64_t v[] = { 0, 1, 2, INT_MAX, (uint64_t)INT_MAX + 1,
				      UINT32_MAX, UINT64_MAX, 1ULL << 63,
				      STATS_FD, FD_MAX, (uint64_t)-2 };

	return chance(70) ? PICK(v) : rnd();
}

static uint64_t fd_ident(unsigned prefer)
{
	int fd;

	switch (below(20)) {
	case 0: case 1: case 2:
		return atomic_load(&recent[below(16)]);
	case 3:
		return below(FD_MAX);
	case 4:
		return junk_ident();
	default:
		fd = pick_fd(chance(60) ? prefer : 0);
		return fd >= 0 ? (uint64_t)fd : below(FD_MAX);
	}
}

static uint64_t proc_ident(void)
{
	pid_t pid;

	switch (below(20)) {
	case 0: case 1: case 2:
		return getpid();
	case 3:
		return getppid();
	case 4:
		return 1;
	case 5: case 6:
		pid = recently_reaped();
		return pid > 0 ? pid : 2;
	case 7:
		return 2 + below(32768);
	case 8:
		return junk_ident();
	default:
		pid = random_kid();
		return pid > 0 ? (uint64_t)pid : (uint64_t)getpid();
	}
}

static uint64_t gen_ident(short filter)
{
	switch (filter) {
	case EVFILT_READ:
		return fd_ident(K_KQS | KM(K_PIPE_R) | K_SOCKS | KM(K_LISTEN) |
				KM(K_EVENTFD) | KM(K_EPOLL) | KM(K_FILE) | KM(K_PTY) |
				KM(K_TIMERFD) | KM(K_SIGNALFD) | KM(K_PIDFD));
	case EVFILT_WRITE:
	case EVFILT_EMPTY:
		return fd_ident(KM(K_PIPE_W) | K_SOCKS | KM(K_PTY) | KM(K_EVENTFD));
	case EVFILT_EXCEPT:
		return fd_ident(KM(K_TCP) | KM(K_UNIX) | KM(K_PTY));
	case EVFILT_VNODE:
		return fd_ident(KM(K_FILE) | KM(K_DIR) | KM(K_PIPE_R) | KM(K_PATH));
	case EVFILT_PROCDESC:
		return fd_ident(KM(K_PIDFD));
	case EVFILT_PROC:
		return proc_ident();
	case EVFILT_SIGNAL:
		return chance(85) ? (uint64_t)random_harmless() : chance(80) ? below(70) : junk_ident();
	case EVFILT_TIMER:
	case EVFILT_USER:
		return chance(95) ? below(8) : junk_ident();
	default:
		return chance(50) ? below(FD_MAX) : junk_ident();
	}
}

static unsigned short gen_flags(void)
{
	static const unsigned short action[] = {
		EV_ADD, EV_ADD, EV_ADD, EV_ADD, EV_ADD | EV_ENABLE,
		EV_ADD | EV_DISABLE, EV_DELETE, EV_DELETE, EV_ENABLE,
		EV_DISABLE, 0, EV_ADD | EV_DELETE, EV_ENABLE | EV_DISABLE,
	};
	static const unsigned short modifier[] = {
		EV_ONESHOT, EV_CLEAR, EV_RECEIPT, EV_DISPATCH, EV_FORCEONESHOT,
		EV_KEEPUDATA, EV_FLAG1, EV_ERROR, EV_EOF, EV_UDATA_SPECIFIC, EV_VANISHED, 0x1000,
	};
	unsigned short f;
	unsigned i;

	if (chance(3))
		return rnd();
	f = PICK(action);
	for (i = 0; i < sizeof(modifier) / sizeof(modifier[0]); i++)
		if (below(9) == 0)
			f |= modifier[i];
	return f;
}

static unsigned gen_fflags(short filter)
{
	static const unsigned units[] = { 0, 0, NOTE_MSECONDS, NOTE_SECONDS,
					  NOTE_USECONDS, NOTE_NSECONDS,
					  NOTE_SECONDS | NOTE_USECONDS };
	static const unsigned ctrl[] = { NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR, NOTE_FFCOPY };
	unsigned f = 0;

	if (chance(4))
		return rnd();
	switch (filter) {
	case EVFILT_READ:
	case EVFILT_WRITE:
		return chance(30) ? NOTE_LOWAT : 0;
	case EVFILT_EXCEPT:
		return chance(70) ? NOTE_OOB : 0;
	case EVFILT_VNODE:
		return chance(30) ? 0xfff : rnd() & 0xfff;
	case EVFILT_PROC:
		f |= chance(60) ? NOTE_EXIT : 0;
		f |= chance(40) ? NOTE_FORK : 0;
		f |= chance(40) ? NOTE_EXEC : 0;
		f |= chance(25) ? NOTE_TRACK : 0;
		f |= chance(5) ? NOTE_TRACKERR : 0;
		f |= chance(5) ? NOTE_CHILD : 0;
		f |= chance(10) ? rnd() & NOTE_PDATAMASK : 0;
		/* Darwin's */
		f |= chance(15) ? NOTE_SIGNAL : 0;
		f |= chance(15) ? NOTE_REAP : 0;
		f |= chance(10) ? NOTE_EXITSTATUS : 0;
		f |= chance(10) ? NOTE_EXIT_DETAIL : 0;
		return f;
	case EVFILT_PROCDESC:
		return chance(80) ? NOTE_EXIT : rnd() & NOTE_PCTRLMASK;
	case EVFILT_TIMER:
		f = PICK(units) | (chance(10) ? NOTE_ABSOLUTE : 0);
		if (chance(20))	/* Darwin's */
			f |= rnd() & (NOTE_MACHTIME | NOTE_MACH_CONTINUOUS_TIME |
				      NOTE_LEEWAY | NOTE_CRITICAL | NOTE_BACKGROUND);
		return f;
	case EVFILT_USER:
		f = chance(50) ? rnd() & NOTE_FFLAGSMASK : 0;
		return f | PICK(ctrl) | (chance(50) ? NOTE_TRIGGER : 0);
	default:
		return chance(80) ? 0 : rnd();
	}
}

/* Timer periods: mostly milliseconds; rarely the 1 us floor. */
static int64_t timer_data(unsigned fflags)
{
	unsigned unit = fflags & (NOTE_SECONDS | NOTE_MSECONDS | NOTE_USECONDS | NOTE_NSECONDS);

	if (chance(3))
		return chance(50) ? -1 : INT64_MAX;
	if (fflags & NOTE_ABSOLUTE) {
		struct timespec ts;
		int64_t ns;

		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
		     ((int64_t)below(60) - 10) * 1000000;
		switch (unit) {
		case NOTE_SECONDS:	return ns / 1000000000;
		case NOTE_USECONDS:	return ns / 1000;
		case NOTE_NSECONDS:	return ns;
		default:		return ns / 1000000;
		}
	}
	switch (unit) {
	case NOTE_SECONDS:
		return below(2);
	case NOTE_USECONDS:
		return chance(2) ? below(20) : 200 + below(50000);
	case NOTE_NSECONDS:
		return chance(2) ? below(2000) : 200000 + below(50000000);
	default:
		return below(50);
	}
}

static int64_t gen_data(short filter, unsigned fflags)
{
	if (chance(3))
		return rnd();
	switch (filter) {
	case EVFILT_TIMER:
		return timer_data(fflags);
	case EVFILT_READ:
	case EVFILT_WRITE:
		if (chance(5))
			return -(int64_t)below(100);
		return chance(50) ? 0 : (int64_t)below(chance(10) ? 1 << 20 : 4096);
	default:
		return chance(70) ? 0 : (int64_t)below(100) - 10;
	}
}

static void gen_change(struct kevent *kev)
{
	short filter = gen_filter();
	unsigned fflags = gen_fflags(filter);

	EV_SET(kev, gen_ident(filter), filter, gen_flags(), fflags,
	       gen_data(filter, fflags), (void *)(uintptr_t)rnd());
}

static struct timespec gen_timeout(void)
{
	struct timespec ts = { 0, 0 };

	if (chance(2))		/* long enough for another thread to close the kqueue */
		ts.tv_nsec = 100000000;
	else if (chance(25))
		ts.tv_nsec = chance(70) ? 1000000 : (1 + below(20)) * 1000000;
	return ts;
}

/* The descriptor kevent() goes to: a kqueue mostly, never stdin/out/err. */
static int pick_kq(void)
{
	int kq = -1;

	if (chance(90))
		kq = pick_fd(KM(K_KQ));
	if (kq < 0 && chance(90) && !table_full())
		kq = new_kqueue();
	if (kq < 0 || chance(3))
		kq = pick_fd(KM(K_KQ_FOREIGN));
	if (kq < 0)	/* never 0-2: kq-misc writes and sets flags on it */
		kq = chance(50) ? pick_fd(0) : 3 + (int)below(FD_MAX - 3);
	return kq;
}

/* ---- checking what kevent() returns ------------------------------------- */

static void fill_canary(void *p, size_t len)
{
	memset(p, 0xa5, len);
}

static long untouched_from(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != 0xa5)
			return i;
	return -1;
}

/*
 * Records 0..n-1 are events or EV_ERROR records; the kernel writes nothing
 * at or after record n (after nev when the call failed).
 */
static void check_events(const char *what, const void *list, size_t recsize,
			 int rc, int nev, int total)
{
	int first_free = rc >= 0 ? rc : nev, i;
	long off;

	if (rc > nev) {
		anomaly("%s returned %d events for an event list of %d", what, rc, nev);
		return;
	}
	for (i = 0; i < rc; i++) {
		const struct kq_kevent *kev = (const void *)((const char *)list + i * recsize);
		int64_t data = kev->data;

		if (recsize == KQ_RECORD_KEVENT_QOS)	/* its data is elsewhere */
			data = ((const struct kq_kevent_qos *)kev)->data;
		if (kev->flags & EV_ERROR) {
			if (data < 0 || data >= 512)
				anomaly("%s: EV_ERROR record %d with data %lld", what, i,
					(long long)data);
			else
				count(&st->receipts[data < NERR ? data : NERR - 1]);
		} else if (kev->filter == EVFILT_LIBKQUEUE &&
			   (kev->flags & EV_RECEIPT)) {
			count(&st->events[-EVFILT_LIBKQUEUE]);	/* a query's answer */
		} else if (!known_filter(kev->filter)) {
			anomaly("%s: event %d of %d has filter %d (ident %llu flags 0x%x)",
				what, i, rc, kev->filter, (unsigned long long)kev->ident,
				kev->flags);
		} else {
			count(&st->events[-kev->filter]);
		}
	}
	off = untouched_from((const char *)list + first_free * recsize,
			     (total - first_free) * recsize);
	if (off >= 0)
		anomaly("%s returned %d (nevents %d) but wrote byte %ld of record %ld",
			what, rc, nev, off % (long)recsize, first_free + off / (long)recsize);
}

/* KQ_IOC_KEVENT with explicit records and argument block. */
static long raw_kevent(int kq, const void *chg, int nch, void *ev, int nev,
		       const struct timespec *ts, unsigned recsize)
{
	struct kq_kevent_args a = {
		.size = sizeof(a), .record_size = recsize,
		.changelist = (uintptr_t)chg, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)ts,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

/* ---- kevent operations -------------------------------------------------- */

static int gen_changes(struct kevent *chg)
{
	int n = chance(25) ? 0 : chance(60) ? 1 + below(3) : below(MAX_CHANGES + 1), i;

	for (i = 0; i < n; i++)
		gen_change(&chg[i]);
	return n;
}

static void op_kevent(void)
{
	struct kevent chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	int kq = pick_kq(), nch = gen_changes(chg), nev = below(MAX_EVENTS + 1), rc;
	struct timespec ts = gen_timeout();

	if (chance(8)) {	/* the event list is the change list (BSD allows it) */
		nev = below(MAX_CHANGES + 1);
		note(OP_KEVENT, kevent(kq, chg, nch, chg, nev, &ts));
		return;
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT, kevent(kq, chg, nch, ev, nev, &ts));
	check_events("kevent", ev, sizeof(ev[0]), rc, nev, MAX_EVENTS + CANARY);
}

static void op_kevent64(void)
{
	struct kevent chg32[MAX_CHANGES];
	struct kq_kevent64 chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	int kq = pick_kq(), nch = gen_changes(chg32), nev = below(MAX_EVENTS + 1), i, rc;
	struct timespec ts = gen_timeout();

	for (i = 0; i < nch; i++) {
		memcpy(&chg[i], &chg32[i], sizeof(chg32[i]));
		chg[i].ext[0] = chance(80) ? 0 : rnd();
		chg[i].ext[1] = chance(80) ? 0 : rnd();
		chg[i].ext[2] = rnd();
		chg[i].ext[3] = rnd();
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT64, raw_kevent(kq, chg, nch, ev, nev, &ts, KQ_RECORD_KEVENT64));
	if (rc < 0 && errno == ENOTTY)
		return;		/* not a kqueue: nothing was written */
	check_events("kevent64", ev, sizeof(ev[0]), rc, nev, MAX_EVENTS + CANARY);
}

/*
 * Darwin's records (kevent64(), kevent_qos()): 48 or 72 bytes, random
 * ext[], qos and xflags, and now and then KEVENT_FLAG_ERROR_EVENTS's
 * changes-only mode.
 */
static void op_kevent_darwin(void)
{
	struct kevent k[MAX_CHANGES];
	struct kq_kevent_qos chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	struct kq_kevent_qos *c;
	struct kq_kevent64_s *c64;
	int kq = pick_kq(), nch = gen_changes(k), nev = below(MAX_EVENTS + 1), i, rc;
	bool qos = chance(50);
	unsigned recsize = qos ? KQ_RECORD_KEVENT_QOS : KQ_RECORD_KEVENT64_S;
	struct timespec ts = gen_timeout();
	struct kq_kevent_args a = {
		.size = sizeof(a), .record_size = recsize,
		.changelist = (uintptr_t)chg, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)&ts,
		.flags = chance(15) ? KQ_KEVENT_CHANGES_ONLY : 0,
	};

	for (i = 0; i < nch; i++) {
		if (qos) {
			c = &chg[i];
			c->ident = k[i].ident;
			c->filter = k[i].filter;
			c->flags = k[i].flags;
			c->qos = chance(70) ? 0 : rnd();
			c->udata = (uintptr_t)k[i].udata;
			c->fflags = k[i].fflags;
			c->xflags = chance(70) ? 0 : rnd();
			c->data = k[i].data;
			c->ext[0] = chance(70) ? 0 : rnd();
			c->ext[1] = chance(70) ? 0 : rnd();
			c->ext[2] = rnd();
			c->ext[3] = rnd();
		} else {
			c64 = (struct kq_kevent64_s *)chg + i;
			c64->ident = k[i].ident;
			c64->filter = k[i].filter;
			c64->flags = k[i].flags;
			c64->fflags = k[i].fflags;
			c64->data = k[i].data;
			c64->udata = (uintptr_t)k[i].udata;
			c64->ext[0] = chance(70) ? 0 : rnd();
			c64->ext[1] = chance(70) ? 0 : rnd();
		}
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT_DARWIN, ioctl(kq, KQ_IOC_KEVENT, &a));
	if (rc < 0 && errno == ENOTTY)
		return;		/* not a kqueue: nothing was written */
	check_events(qos ? "kevent_qos" : "kevent64_s", ev, recsize, rc, nev,
		     (MAX_EVENTS + CANARY) * sizeof(ev[0]) / recsize);
}

/*
 * Per thread: two writable pages, an unmapped one and a read-only one
 * holding random changes, for lists that run into a fault.
 */
static __thread unsigned char *guard;

static unsigned char *guard_pages(void)
{
	struct kevent *ro;
	unsigned i;

	if (guard)
		return guard;
	guard = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED) {
		guard = NULL;
		return NULL;
	}
	ro = (struct kevent *)(guard + 3 * PG);
	for (i = 0; i < PG / sizeof(*ro); i++)
		gen_change(&ro[i]);
	mprotect(guard + 2 * PG, PG, PROT_NONE);
	mprotect(guard + 3 * PG, PG, PROT_READ);
	return guard;
}

/* n records of random changes ending at the unmapped page (misaligned maybe). */
static void *before_hole(int n, unsigned recsize)
{
	unsigned char *g = guard_pages(), *p;
	int i;

	p = g + 2 * PG - (size_t)n * recsize - (chance(30) ? below(recsize) : 0);
	for (i = 0; i < n; i++) {
		struct kevent kev;

		gen_change(&kev);
		memcpy(p + (size_t)i * recsize, &kev, sizeof(kev));
	}
	return p;
}

static void *bad_pointer(void)
{
	unsigned char *g = guard_pages();
	const uintptr_t v[] = { 0, 1, 0xffffffff81000000ULL, 0xffff888000000000ULL,
				(uintptr_t)-1, 0x7ffffffff000ULL,
				(uintptr_t)(g + 2 * PG), (uintptr_t)(g + 3 * PG),
				(uintptr_t)(g + 2 * PG - 7) };

	return (void *)PICK(v);
}

/*
 * One malformed KQ_IOC_KEVENT; variants 0-2 and 4-6 must fail.  The timeout
 * is always a zero one or an invalid one: nothing here may wait.
 */
static void op_kevent_bad(void)
{
	static const unsigned recsizes[] = { 0, 1, 16, 31, 33, 47, 49, 63, 65, 71, 73, 128, 4096 };
	unsigned char argbuf[PG + 64] __attribute__((aligned(8)));
	struct kq_kevent_args *a = (void *)argbuf;
	struct timespec ts = { 0, 0 };
	int kq = pick_kq(), variant = below(14), n = 1 + below(8);
	void *arg = a;
	long rc;

	if (!guard_pages())
		return;
	memset(argbuf, 0, sizeof(argbuf));
	*a = (struct kq_kevent_args){
		.size = sizeof(*a), .record_size = KQ_RECORD_KEVENT,
		.changelist = (uintptr_t)before_hole(n, KQ_RECORD_KEVENT),
		.nchanges = n, .timeout = (uintptr_t)&ts,
	};
	switch (variant) {
	case 0:		/* too small */
		a->size = below(KQ_KEVENT_ARGS_SIZE_VER0);
		break;
	case 1:		/* too large */
		a->size = chance(50) ? PG + 1 + below(64) : (uint32_t)rnd() | 0x80000000u;
		break;
	case 2:		/* larger, with a non-zero tail */
		a->size = sizeof(*a) + 1 + below(sizeof(argbuf) - sizeof(*a) - 1);
		argbuf[sizeof(*a) + below(a->size - sizeof(*a))] = 1 + below(255);
		break;
	case 3:		/* the argument block itself is bad or runs into the hole */
		arg = chance(50) ? bad_pointer() : guard + 2 * PG - 4 - below(sizeof(*a) - 4);
		break;
	case 4:
		a->record_size = PICK(recsizes);
		break;
	case 5:
		a->flags = (rnd() & ~(uint64_t)KQ_KEVENT_FLAGS_ALL) |
			   (KQ_KEVENT_FLAGS_ALL + 1);	/* an unknown bit */
		break;
	case 6:
		a->nchanges = chance(50) ? -1 - (int)below(INT_MAX) : n;
		a->nevents = a->nchanges < 0 && chance(50) ? n : INT_MIN;
		break;
	case 7:		/* a bad change list pointer */
		a->changelist = (uintptr_t)bad_pointer();
		a->nchanges = 1 + below(INT_MAX);
		break;
	case 8:		/* a bad timeout */
		ts.tv_sec = chance(50) ? -1 : 0;
		ts.tv_nsec = ts.tv_sec ? 0 : chance(50) ? -1 : 1000000000 + (long)below(1000);
		if (chance(30))		/* never NULL or readable: those could wait */
			a->timeout = (uintptr_t)PICK(((void *const[]){ guard + 2 * PG,
				guard + 2 * PG - 7, (void *)0xffffffff81000000ULL }));
		a->nevents = 1;
		a->eventlist = (uintptr_t)guard;
		break;
	case 9:		/* huge change count: runs into the hole */
		a->nchanges = chance(50) ? INT_MAX : n + 1 + below(64);
		break;
	case 10:	/* events into the hole or a read-only page */
		a->eventlist = (uintptr_t)(chance(50) ? before_hole(1 + below(3), 32)
						       : guard + 3 * PG);
		a->nevents = chance(50) ? INT_MAX : 1 + below(64);
		break;
	case 11:	/* 64-byte records running into the hole */
		a->record_size = KQ_RECORD_KEVENT64;
		a->changelist = (uintptr_t)before_hole(n, KQ_RECORD_KEVENT64);
		a->eventlist = (uintptr_t)guard;
		a->nevents = below(64);
		break;
	case 12:	/* the changes and events share the page before the hole */
		a->eventlist = a->changelist;
		a->nevents = n + below(4);
		break;
	default:	/* the randomly protected page: what the kernel wrote, replayed */
		a->changelist = a->eventlist = (uintptr_t)P.shared_page;
		a->nchanges = below(PG / 32 + 4);
		a->nevents = below(PG / 32 + 4);
		break;
	}
	rc = note(OP_KEVENT_BAD, ioctl(kq, KQ_IOC_KEVENT, arg));
	if (rc >= 0 && variant <= 6 && variant != 3)
		anomaly("malformed KQ_IOC_KEVENT (variant %d, size %u record_size %u "
			"nchanges %d nevents %d flags 0x%llx) returned %ld", variant,
			a->size, a->record_size, a->nchanges, a->nevents,
			(unsigned long long)a->flags, rc);
}

static void op_kfilter(void)
{
	static const char *const names[] = { "EVFILT_READ", "EVFILT_USER",
					     "EVFILT_PROCDESC", "EVFILT_AIO", "",
					     "EVFILT_", "evfilt_read", "EVFILT_READX" };
	char name[64];
	struct kfilter_mapping m = { .name = name, .len = sizeof(name) };
	int fd = chance(90) ? pick_kq() : pick_fd(0);
	unsigned long cmd = chance(50) ? KFILTER_BYFILTER : KFILTER_BYNAME;

	if (cmd == KFILTER_BYFILTER) {
		m.filter = chance(80) ? (uint32_t)gen_filter() : (uint32_t)rnd();
		memset(name, 'x', sizeof(name));
	} else {
		snprintf(name, sizeof(name), "%s", PICK(names));
		if (chance(10))
			memset(name, 'E', sizeof(name));	/* no terminator */
	}
	if (chance(20))
		m.len = chance(50) ? below(4) : rnd();
	if (chance(10))
		m.name = bad_pointer();
	if (chance(5))
		cmd = _IOC(below(4), KQ_IOC_MAGIC, below(16), below(64));
	note(OP_KFILTER, ioctl(fd, cmd, chance(5) ? bad_pointer() : &m));
}

/* The kqueue as a file: poll, select, fdinfo, read/write, fcntl. */
static void op_kq_misc(void)
{
	char path[64], buf[PG];
	int kq = pick_kq(), fd;
	struct pollfd pfd[4];
	fd_set rfds;
	struct timeval tv = { 0, 0 };
	int i;

	memset(buf, 'q', 64);
	switch (below(7)) {
	case 0:
		for (i = 0; i < 4; i++) {
			pfd[i].fd = i ? pick_fd(0) : kq;
			pfd[i].events = POLLIN | POLLOUT | POLLPRI;
		}
		note(OP_KQ_MISC, poll(pfd, 4, chance(80) ? 0 : 1));
		break;
	case 1:
		if (kq < 0 || kq >= FD_SETSIZE)
			break;
		FD_ZERO(&rfds);
		FD_SET(kq, &rfds);
		note(OP_KQ_MISC, select(kq + 1, &rfds, NULL, NULL, &tv));
		break;
	case 2:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kq);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (note(OP_KQ_MISC, fd) >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		break;
	case 3:
		note(OP_KQ_MISC, chance(50) ? read(kq, buf, below(64)) : write(kq, buf, below(64)));
		break;
	case 4:
		/* never clears O_NONBLOCK: kq may be any descriptor */
		note(OP_KQ_MISC, fcntl(kq, chance(50) ? F_GETFL : F_SETFL, O_NONBLOCK));
		break;
	case 5:
		i = 1;
		note(OP_KQ_MISC, ioctl(kq, chance(50) ? FIONREAD : FIONBIO, &i));
		break;
	default: {
		void *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, kq, 0);

		note(OP_KQ_MISC, p == MAP_FAILED ? -1 : 0);
		if (p != MAP_FAILED)
			munmap(p, PG);
	}
	}
}

/* ---- descriptor operations ---------------------------------------------- */

static void op_close(void)
{
	int fd = pick_fd(chance(30) ? K_KQS : 0);

	if (fd >= 0 && note(OP_CLOSE, close(fd)) == 0)
		forget(fd);
}

static void op_dup(void)
{
	int old = pick_fd(0), target = 3 + below(FD_MAX - 3), fd;
	enum kind k = kind_of(old);

	if (old < 0)
		return;
	if (chance(60)) {	/* onto something we have, often watched */
		int t = pick_fd(chance(50) ? K_KQS : 0);

		if (t >= 0)
			target = t;
	}
	switch (below(5)) {
	case 0:
		fd = dup(old);
		break;
	case 1:
		fd = dup2(old, target);
		break;
	case 2:
		fd = dup3(old, target, chance(50) ? O_CLOEXEC : 0);
		break;
	case 3:
		fd = fcntl(old, F_DUPFD_CLOEXEC, target);
		break;
	default:
		fd = fcntl(old, F_DUPFD, target);
	}
	if (note(OP_DUP, fd) >= 0)
		adopt(fd, k != K_FREE ? k : classify(fd));
}

static void op_close_range(void)
{
	unsigned lo = 3 + below(FD_MAX - 3), hi = lo + below(chance(10) ? 64 : 4), fd;
	unsigned flags = chance(70) ? 0 : chance(70) || !ephemeral ? CLOSE_RANGE_CLOEXEC
								  : CLOSE_RANGE_UNSHARE;

	if (hi >= FD_MAX)
		hi = FD_MAX - 1;
	if (note(OP_CLOSE_RANGE, syscall(SYS_close_range, lo, hi, flags)) == 0 &&
	    !(flags & CLOSE_RANGE_CLOEXEC))
		for (fd = lo; fd <= hi; fd++)
			if (kind_of(fd) != K_FREE)
				forget(fd);
}

/* Close a number, open something else there, and point kevent at it. */
static void op_reuse(void)
{
	int fd = pick_fd(0), kq = pick_kq(), nch = 1 + below(4), i;
	struct kevent chg[4], ev[8];
	struct timespec ts = { 0, 0 };

	if (fd < 0 || fd == kq)
		return;
	for (i = 0; i < nch; i++) {	/* a change on the old file first, maybe */
		gen_change(&chg[i]);
		if (chance(70))
			chg[i].ident = fd;
	}
	if (chance(50))
		kevent(kq, chg, nch, NULL, 0, &ts);
	close(fd);
	forget(fd);
	PICK(creators)();
	for (i = 0; i < nch; i++)
		if (chance(70))
			chg[i].ident = fd;
	note(OP_REUSE, kevent(kq, chg, nch, ev, below(9), &ts));
}

static void op_cloexec(void)
{
	int fd = pick_fd(0);

	if (fd >= 0)
		note(OP_CLOEXEC, fcntl(fd, F_SETFD, chance(50) ? FD_CLOEXEC : 0));
}

/* ---- I/O that changes readiness ---------------------------------------- */

static long sock_io(int fd, char *buf, size_t len, enum kind k)
{
	int v;

	switch (below(8)) {
	case 0: case 1: case 2:
		return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case 3: case 4:
		return recv(fd, buf, len, MSG_DONTWAIT);
	case 5:
		return shutdown(fd, PICK(((const int[]){ SHUT_RD, SHUT_WR, SHUT_RDWR })));
	case 6:
		if (k == K_TCP)
			return send(fd, buf, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
		return recv(fd, buf, len, MSG_DONTWAIT | MSG_PEEK);
	default:
		v = below(3) ? (int)below(8192) : 1 + (int)below(1 << 20);
		return setsockopt(fd, SOL_SOCKET, PICK(((const int[]){ SO_RCVLOWAT,
			SO_SNDLOWAT, SO_SNDBUF, SO_RCVBUF })), &v, sizeof(v));
	}
}

static long file_io(int fd, char *buf, size_t len)
{
	struct stat sb;

	switch (below(6)) {
	case 0:
		if (!fstat(fd, &sb) && sb.st_size > 64 * 1024)	/* tmpfs is RAM */
			return ftruncate(fd, 0);
		return write(fd, buf, len);
	case 1:
		return pwrite(fd, buf, len, below(16 * 1024));
	case 2:
		return ftruncate(fd, below(16 * 1024));
	case 3:
		return fchmod(fd, 0600 | (chance(50) ? 044 : 0));
	case 4:
		return lseek(fd, below(8192), SEEK_SET);
	default:
		return read(fd, buf, len);
	}
}

static void op_io(void)
{
	char buf[8192];
	int fd = pick_fd(0), acc;
	size_t len = chance(80) ? 1 + below(512) : 1 + below(sizeof(buf));
	uint64_t one = 1;
	enum kind k = kind_of(fd);
	long rc;

	if (fd < 0)
		return;
	memset(buf, 'k', len);
	switch (k) {
	case K_PIPE_W:
		rc = write(fd, buf, len);
		break;
	case K_PIPE_R:
		acc = fcntl(fd, F_GETFL) & O_ACCMODE;
		rc = acc == O_RDWR && chance(50) ? write(fd, buf, len) : read(fd, buf, len);
		break;
	case K_UNIX: case K_TCP: case K_UDP:
		rc = sock_io(fd, buf, len, k);
		break;
	case K_LISTEN:
		rc = adopt(accept4(fd, NULL, NULL, SOCK_NONBLOCK), K_TCP);
		break;
	case K_EVENTFD:
		rc = chance(50) ? write(fd, &one, 8) : read(fd, &one, 8);
		break;
	case K_TIMERFD:
		if (chance(50))
			arm_timerfd(fd);
		rc = read(fd, &one, 8);
		break;
	case K_SIGNALFD:
		rc = read(fd, buf, sizeof(struct signalfd_siginfo));
		break;
	case K_PTY:
		rc = chance(50) ? write(fd, buf, len) : read(fd, buf, len);
		break;
	case K_FILE:
		rc = file_io(fd, buf, len);
		break;
	case K_EPOLL: {
		struct epoll_event ev[4];

		rc = epoll_wait(fd, ev, 4, 0);
		break;
	}
	case K_PIDFD:
		rc = syscall(SYS_pidfd_send_signal, fd, random_harmless(), NULL, 0);
		break;
	default:
		rc = read(fd, buf, len);
	}
	note(OP_IO, rc);
}

/* ---- file system churn (EVFILT_VNODE) ----------------------------------- */

static long fs_write(const char *p, int extra)
{
	char buf[512];
	struct stat sb;
	int fd = open(p, O_WRONLY | O_NONBLOCK | extra, 0644);
	long rc;

	if (fd < 0)
		return -1;
	memset(buf, 'v', sizeof(buf));
	rc = !fstat(fd, &sb) && sb.st_size > 64 * 1024 ? ftruncate(fd, 0)
						       : write(fd, buf, 1 + below(sizeof(buf)));
	close(fd);
	return rc;
}

static long fs_read(const char *p)
{
	char buf[256];
	int fd = open(p, O_RDONLY | O_NONBLOCK);
	long rc;

	if (fd < 0)
		return -1;
	rc = read(fd, buf, sizeof(buf));
	close(fd);
	return rc;
}

static void op_fs(void)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	long rc;

	fs_path(p, sizeof(p));
	fs_path(q, sizeof(q));
	switch (below(15)) {
	case 0:  rc = fs_write(p, O_CREAT | (chance(20) ? O_TRUNC : 0)); break;
	case 1:  rc = fs_write(p, O_APPEND); break;
	case 2:  rc = truncate(p, below(8192)); break;
	case 3:  rc = rename(p, q); break;
	case 4:  rc = syscall(SYS_renameat2, AT_FDCWD, p, AT_FDCWD, q,
			      chance(50) ? RENAME_EXCHANGE : RENAME_NOREPLACE); break;
	case 5:  rc = link(p, q); break;
	case 6:  rc = unlink(p); break;
	case 7:  rc = mkdir(p, 0755); break;
	case 8:  rc = rmdir(p); break;
	case 9:  rc = chmod(p, chance(50) ? 0644 : 0600); break;
	case 10: rc = utimensat(AT_FDCWD, p, times, 0); break;
	case 11: rc = symlink(p, q); break;
	case 12: rc = mkfifo(p, 0600); break;
	case 13: rc = fs_read(p); break;
	default: rc = fs_write(p, 0); break;
	}
	note(OP_FS, rc);
}

/* A tmpfs over m/, mounted and lazily unmounted under watched files. */
static void op_mount(void)
{
	char m[PATH_MAX];

	if (!P.can_mount)
		return;
	snprintf(m, sizeof(m), "%s/m", P.dir);
	if (chance(50))
		note(OP_MOUNT, mount("kq-fuzz", m, "tmpfs", 0, "size=256k"));
	else
		note(OP_MOUNT, umount2(m, MNT_DETACH));
}

/* ---- aggregators, passing ----------------------------------------------- */

/*
 * A graph of kqueues (and epolls) watching each other: each new one watches
 * some of the others or is watched by them, cycles included (refused, also
 * through an epoll, whose own loop check does not see into a kqueue); an
 * EVFILT_USER trigger at the bottom, harvests at every level, then the
 * descriptors close in random order.
 */
static void op_nest(void)
{
	struct kevent kev[2], ev[4];
	struct timespec ts = { 0, 0 };
	int fd[6], n = 2 + below(5), i, j;
	bool ep[6];

	if (table_full())
		return;
	for (i = 0; i < n; i++) {
		ep[i] = i > 0 && chance(25);
		fd[i] = ep[i] ? adopt(epoll_create1(0), K_EPOLL) : new_kqueue();
		if (fd[i] < 0) {
			n = i;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			struct epoll_event e = { .events = EPOLLIN | (chance(30) ? EPOLLET : 0) };

			if (i == j || !chance(j < i ? 70 : 20))	/* mostly downwards */
				continue;
			if (ep[i]) {
				epoll_ctl(fd[i], EPOLL_CTL_ADD, fd[j], &e);
				continue;
			}
			EV_SET(&kev[0], fd[j], EVFILT_READ, EV_ADD | (chance(20) ? EV_CLEAR : 0) |
			       (chance(10) ? EV_DISPATCH : 0), 0, 0, NULL);
			note(OP_NEST, kevent(fd[i], kev, 1, NULL, 0, &ts));
		}
	}
	if (n && !ep[0]) {
		EV_SET(&kev[0], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
		EV_SET(&kev[1], 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		kevent(fd[0], kev, 2, NULL, 0, &ts);
	}
	for (i = n - 1; i >= 0; i--) {
		struct epoll_event e[4];

		if (ep[i])
			epoll_wait(fd[i], e, 4, 0);
		else
			kevent(fd[i], NULL, 0, ev, 4, &ts);
	}
	for (i = 0; i < n; i++) {	/* close some, in random order */
		j = below(n);
		if (fd[j] >= 0 && chance(60)) {
			close(fd[j]);
			forget(fd[j]);
			fd[j] = -1;
		}
	}
}

static void op_epoll_ctl(void)
{
	int ep = pick_fd(KM(K_EPOLL)), fd = pick_fd(chance(40) ? K_KQS | KM(K_EPOLL) : 0);
	struct epoll_event e = { .events = random_epoll_events(), .data.u64 = rnd() };
	struct epoll_event ev[4];

	if (ep < 0 || fd < 0)
		return;
	if (chance(30)) {
		note(OP_EPOLL_CTL, epoll_wait(ep, ev, 4, 0));
		return;
	}
	note(OP_EPOLL_CTL, epoll_ctl(ep, PICK(((const int[]){ EPOLL_CTL_ADD, EPOLL_CTL_ADD,
				    EPOLL_CTL_MOD, EPOLL_CTL_DEL })), fd, &e));
}

static void op_scm_send(void)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'k';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
	int s = pick_fd(KM(K_UNIX)), n = 1 + below(8), fds[8], i;
	struct cmsghdr *cm;

	if (s < 0)
		return;
	for (i = 0; i < n; i++) {
		fds[i] = chance(10) ? s : pick_fd(chance(50) ? K_KQS : 0);
		if (fds[i] < 0)
			fds[i] = s;
	}
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	note(OP_SCM_SEND, sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL));
}

static void op_scm_recv(void)
{
	union {
		char buf[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte[16];
	struct iovec iov = { .iov_base = byte, .iov_len = sizeof(byte) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
	int s = pick_fd(KM(K_UNIX));
	struct cmsghdr *cm;

	if (s < 0)
		return;
	/* a short control buffer: the kernel closes what does not fit */
	msg.msg_controllen = chance(20) ? CMSG_SPACE(sizeof(int)) : sizeof(u.buf);
	if (note(OP_SCM_RECV, recvmsg(s, &msg, MSG_DONTWAIT |
				      (chance(30) ? MSG_CMSG_CLOEXEC : 0))) < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int n, i, fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			count(&st->scm_fds);
			if (table_full() && fd >= 3 && fd < FD_MAX)
				close(fd);
			else
				adopt(fd, classify(fd));
		}
	}
}

/* ---- signals ------------------------------------------------------------ */

static void op_signal(void)
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

static void op_sigmask(void)
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

static void fuzz_loop(int64_t until);
static void run_process(void) __attribute__((noreturn));

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

static void op_fork(void)
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
static void op_clone_files(void)
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

static void op_vfork_exec(void)
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
static void op_exec(void)
{
	struct exec_args a;
	sigset_t old;

	if (P.raw)
		return;
	exec_args(&a, rnd(), P.deadline, P.depth);
	block_harmless(&old);
	count(&st->execs);
	execve(P.exe, a.argv, environ);
	note(OP_EXEC, -1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void op_exit(void)
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
	if (slot > 0)
		atomic_store(&P.tids[slot], 0);
	atomic_fetch_sub(&P.nthreads, 1);
	return NULL;
}

static void spawn_thread(uint64_t seed, int64_t until)
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

static void op_thread(void)
{
	int64_t until = now_ms() + 5 + below(300);

	spawn_thread(rnd(), until < P.deadline ? until : P.deadline);
}

static void op_unshare(void)
{
	if (ephemeral)
		note(OP_UNSHARE, unshare(CLONE_FILES));
}

static void op_mprotect(void)
{
	static const int prot[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };

	note(OP_MPROTECT, mprotect(P.shared_page, PG, PICK(prot)));
}

/* ---- fault injection and limits ----------------------------------------- */

static const char failslab_dir[] = "/sys/kernel/debug/failslab";
static bool can_fail;		/* failslab configured by main: fail-nth works */

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static bool read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

/*
 * One kqueue operation with its Nth slab allocation failing
 * (/proc/thread-self/fail-nth): error paths, and what they leak.  Only
 * calls whose allocations are mostly the module's: kevent(), kqueue(),
 * close() and dup2() (knotes dropped).
 */
static void op_fault(void)
{
	static const enum op victims[] = { OP_KEVENT, OP_KEVENT, OP_KEVENT64,
					   OP_KEVENT_DARWIN, OP_NEW_KQUEUE,
					   OP_CLOSE, OP_DUP };
	enum op victim = PICK(victims);
	char nth[16], left[16] = "";
	int fd;

	if (!can_fail)
		return;
	fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (note(OP_FAULT, fd) < 0)
		return;
	snprintf(nth, sizeof(nth), "%d", 1 + (int)below(chance(70) ? 4 : 40));
	if (write(fd, nth, strlen(nth)) > 0) {
		count(&st->ops[victim]);
		ops[victim].fn();
		if (pread(fd, left, sizeof(left) - 1, 0) > 0 && atoi(left) == 0)
			count(&st->faults_injected);
		if (pwrite(fd, "0", 1, 0) < 0)
			(void)0;
	}
	close(fd);
}

/* The module's limits, lowered for a few kevent() calls (of every thread). */
static const char *const limits[] = { "max_user_knotes", "max_user_timers", "max_timers" };
static char limit_orig[3][32];

static void op_limits(void)
{
	static const char *const low[] = { "0", "1", "4", "64", "1000" };
	unsigned i = below(3);
	char path[128];

	int n;

	if (!limit_orig[i][0])
		return;
	snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
	if (note(OP_LIMITS, write_file(path, PICK(low)) ? 0 : -1) < 0)
		return;
	for (n = 1 + below(4); n > 0; n--)
		op_kevent();
	write_file(path, limit_orig[i]);	/* main restores them at the end too */
}

/* main: remember the limits; configure failslab for fail-nth only. */
static void setup_knobs(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (!read_file(path, limit_orig[i], sizeof(limit_orig[i])))
			limit_orig[i][0] = '\0';
	}
	/*
	 * Probability 0: nothing fails at random; fail-nth fails exactly one
	 * allocation of the one thread that asked, sleeping ones included.
	 */
	snprintf(path, sizeof(path), "%s/probability", failslab_dir);
	can_fail = write_file(path, "0");
	snprintf(path, sizeof(path), "%s/ignore-gfp-wait", failslab_dir);
	can_fail = can_fail && write_file(path, "N");
	snprintf(path, sizeof(path), "%s/verbose", failslab_dir);
	if (can_fail)
		write_file(path, "0");
	if (access("/proc/thread-self/fail-nth", W_OK))
		can_fail = false;
}

static void restore_knobs(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (limit_orig[i][0])
			write_file(path, limit_orig[i]);
	}
	snprintf(path, sizeof(path), "%s/ignore-gfp-wait", failslab_dir);
	if (can_fail)
		write_file(path, "Y");
}

/* ---- the loop ----------------------------------------------------------- */

static const struct op_desc ops[OP_MAX] = {
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

static enum op pick_op(void)
{
	static unsigned total;
	unsigned r, i;

	if (!total)
		for (i = 0; i < OP_MAX; i++)
			total += ops_off & (1ULL << i) ? 0 : ops[i].weight;
	r = below(total);
	for (i = 0; i < OP_MAX; i++) {
		unsigned w = ops_off & (1ULL << i) ? 0 : ops[i].weight;

		if (r < w)
			return i;
		r -= w;
	}
	return OP_KEVENT;
}

static void fuzz_loop(int64_t until)
{
	unsigned n = 0;

	while (!atomic_load(&P.stop) && now_ms() < until) {
		enum op op = pick_op();

		last_ops[last_pos++ % 8] = op;
		count(&st->ops[op]);
		ops[op].fn();
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

static void __attribute__((noreturn)) run_process(void)
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
	char path[128];
	sigset_t set;
	int i;

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
	can_fail = !access("/proc/thread-self/fail-nth", W_OK) &&
		   read_file("/sys/kernel/debug/failslab/ignore-gfp-wait", path, sizeof(path)) &&
		   path[0] == 'N';
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (!read_file(path, limit_orig[i], sizeof(limit_orig[i])))
			limit_orig[i][0] = '\0';
	}
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

/* ---- the supervisor (main) ---------------------------------------------- */

static long read_counter(const char *name)
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
static int supervise(pid_t *workers, int64_t deadline)
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
			printf("kq-fuzz: %" PRId64 " s, %" PRIu64 " operations, %d children alive\n",
			       (t - deadline) / 1000 + opt.seconds, total_ops(),
			       atomic_load(&st->live_kids));
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
static int check_counters(void)
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

static void print_summary(void)
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
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: kq-fuzz [--seed N] [--seconds N] [--procs N] [--threads N]\n"
			"               [--only OP,...] [--skip OP,...] [--list-ops]\n");
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
		if (!v)
			usage();
		if (!strcmp(a, "--seed")) {
			opt.seed = strtoull(v, NULL, 0);
			seeded = true;
		} else if (!strcmp(a, "--seconds")) {
			opt.seconds = atoi(v);
		} else if (!strcmp(a, "--procs")) {
			opt.procs = atoi(v);
		} else if (!strcmp(a, "--threads")) {
			opt.threads = atoi(v);
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
	if (!setup_stats() || !mkdtemp(base)) {
		perror("kq-fuzz: setup");
		return 1;
	}
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
	if (!can_fail) {
		printf("kq-fuzz: note: no %s or fail-nth: no fault injection\n", failslab_dir);
		ops_off |= 1ULL << OP_FAULT;
	}

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
	findings += atomic_load(&st->anomalies) > 0;
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("kq-fuzz: seed %" PRIu64 ": %s\n", opt.seed, findings ? "FAIL" : "PASS");
	return findings ? 1 : 0;
}
