/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kq-bench's shared harness (harness.c): timing, options, record() and
 * the report.  Each workload lives in a wl_<name>.c of its own.
 */
#ifndef KQ_BENCH_HARNESS_H
#define KQ_BENCH_HARNESS_H

#define _GNU_SOURCE
#include <sys/event.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXRUNS	32

/* options (harness.c) */
extern int runs;		/* --runs: runs per figure */
extern int quick;		/* --quick */
extern int only_n;		/* --n: one pipe count only */
extern const char *kernel_name;	/* --kernel */

/* the mechanisms compared by pipes and pingpong */
enum mech { M_KQ, M_EP, M_POLL };
extern const char *mech_name[];

/* signal's cases, in its rows of the table: "none", "one", "others", "own" */
#define SIG_CASES	4
extern const char *sig_cases[SIG_CASES];

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double now_ns(void);
/* one figure: its R runs v[0..n-1], into the table and the CSV */
void record(const char *workload, const char *param, const char *metric,
	    const char *unit, const char *mech, const double *v, int n);
void raise_nofile(rlim_t n);
int make_kq(void);
int make_ep(void);
void kq_apply(int kq, struct kevent *ch, int n);

/* the workloads (wl_<name>.c) */
void bench_base(void);
void bench_pipes(void);
void bench_pingpong(void);
void bench_reg(void);
void bench_timers(void);
void bench_close(void);
int close_child(int out);	/* kq-bench --close-child FD */
void bench_mem(void);
void bench_signal(void);
void bench_proc(void);

#endif
