/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kq-fuzz: what its files share (kq-fuzz.c says what the fuzzer does).
 * The operations, the counters every process adds to, the random
 * generator, this process's state and the kinds of descriptors; each
 * function declared here is defined in the file named above it, each
 * variable in kq-fuzz.c unless said otherwise.
 */
#ifndef KQ_FUZZ_H
#define KQ_FUZZ_H

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
#define GUIDE_FD	1001	/* --guided: PCs seen and the corpus (a memfd), same */
#define FAIL_NTH_FD	1020	/* and above: a thread's fail-nth while armed */
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

extern const char counters_dir[];	/* the module's parameters */

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

extern const struct op_desc ops[OP_MAX];	/* kq-fuzz.c */
extern uint64_t ops_off;			/* --only/--skip: bit per op */

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

extern struct stats *st;			/* a memfd's map, shared */

static inline void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* kq-fuzz.c: the findings and the counting of results */
void anomaly(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long note(enum op op, long rc);

/* ---- randomness --------------------------------------------------------- */

extern __thread uint64_t rng;
/* A short-lived thread: may unshare its descriptor table (its kqueues then
 * belong to the old table, so long-lived threads do not). */
extern __thread bool ephemeral;
extern __thread bool fault_armed;	/* op_fault: fail-nth set for this op */

static inline uint64_t mix(uint64_t *s)		/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t derive(uint64_t seed, uint64_t n)
{
	uint64_t s = seed ^ (n * 0xd1342543de82ef95ULL);

	return mix(&s);
}

static inline uint64_t rnd(void) { return mix(&rng); }
static inline uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static inline bool chance(unsigned pct) { return below(100) < pct; }
#define PICK(a) ((a)[below(sizeof(a) / sizeof((a)[0]))])

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options and this process ------------------------------------------- */

extern struct options {
	uint64_t seed;
	int seconds, procs, threads;
	bool guided;
	const char *sequence;	/* --sequence: the steps to repeat */
} opt;

/* One fuzzing process: a worker (depth 0) or one of its descendants. */
extern struct fuzz_process {
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

extern int harmless[12], nharmless;	/* the signals every process handles (process-ops.c) */

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

/* ---- declared here, defined in ------------------------------------------ */

/* kq-fuzz.c: the loop every fuzzing thread runs */
void fuzz_loop(int64_t until);
enum op pick_op(uint64_t rand);
void op_run(enum op op);
void run_process(void) __attribute__((noreturn));

/* supervisor.c */
long read_counter(const char *name);
int supervise(pid_t *workers, int64_t deadline);
int check_counters(void);
void print_summary(void);

/* descriptors.c: the table of what each descriptor is */
extern _Atomic int recent[16];		/* just closed */
int adopt(int fd, enum kind k);
void forget(int fd);
enum kind kind_of(int fd);
int pick_fd(unsigned mask);
enum kind classify(int fd);
void disown_kqueues(void);
void classify_all(void);
bool table_full(void);
/* descriptors.c: the creators */
char *fs_path(char *buf, size_t len);
int new_kqueue(void);
void new_any(void);
void arm_timerfd(int fd);
unsigned random_epoll_events(void);
void op_new_kqueue(void), op_new_pipe(void), op_new_fifo(void), op_new_socketpair(void);
void op_new_tcp(void), op_new_udp(void), op_new_eventfd(void), op_new_timerfd(void);
void op_new_signalfd(void), op_new_epoll(void), op_new_pidfd(void), op_new_memfd(void);
void op_new_pty(void), op_new_file(void), op_new_dir(void), op_new_path(void);

/* changes.c: the changelist generator */
bool known_filter(short f);
short gen_filter(void);
unsigned gen_fflags(short filter);
void gen_change(struct kevent *kev);
int gen_changes(struct kevent *chg);
struct timespec gen_timeout(void);
int pick_kq(void);

/* kevent-ops.c */
void op_kevent(void), op_kevent64(void), op_kevent_darwin(void), op_kevent_bad(void);
void op_kfilter(void), op_kq_misc(void);

/* fd-ops.c */
void op_close(void), op_dup(void), op_close_range(void), op_reuse(void), op_cloexec(void);
void op_io(void), op_fs(void), op_mount(void), op_nest(void), op_epoll_ctl(void);
void op_scm_send(void), op_scm_recv(void);

/* process-ops.c: children and signals */
pid_t random_kid(void);
pid_t recently_reaped(void);
pid_t proc_ppid(pid_t pid, pid_t *pgrp);
void dump_pid(pid_t pid);
void arm_alarm(int64_t ms);
void account_kid(pid_t pid, int status);
void reap_kids(bool block);
void kill_kids(void);
int random_harmless(void);
void init_harmless(void);
void install_signals(void);
void harmless_set(sigset_t *set);
void spawn_thread(uint64_t seed, int64_t until);
/* process-ops.c: the operations */
void op_signal(void), op_sigmask(void), op_fork(void), op_clone_files(void);
void op_vfork_exec(void), op_exec(void), op_exit(void), op_thread(void);
void op_unshare(void), op_mprotect(void);

/* guided.c: --guided, sequences kept by the module's coverage (kcov) */
bool guided_on(void);
bool guided_setup(void);
void guided_inherit(void);
bool guided_probe(void);
bool guided_loop(int64_t until);
void guided_before_exec(void);
void guided_thread_end(void);
int guided_describe(char *buf, size_t len);
void guided_progress(char *buf, size_t len);
void guided_summary(void);
bool sequence_parse(const char *list);
bool sequence_loop(int64_t until);

/* faults.c */
void op_fault(void), op_limits(void);
void setup_knobs(void);
void inherit_knobs(void);
void restore_knobs(void);

#endif
