/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kq-bench: kqueue (the module through the static shim) against epoll and
 * poll, in the same process and the same boot, so that only ratios matter.
 *
 *   kq-bench [--quick] [--runs R] [--csv FILE] [--kernel NAME] [WORKLOAD...]
 *   kq-bench [--markdown] --report FILE.csv...   (tables from CSV files)
 *
 * Workloads (all when none is named):
 *   base      null syscall; empty non-blocking kevent()/epoll_wait()/poll()
 *   pipes     libevent's classic bench: N pipes, A active, W chained writes
 *   pingpong  two threads, one byte back and forth over a socketpair
 *   reg       add and remove K descriptors (one kevent() vs K epoll_ctl())
 *   timers    K periodic timers: EVFILT_TIMER vs timerfd + epoll
 *   close     dup()+close() loop: module absent / loaded / some kqueue watching
 *   mem       slab bytes per watched pipe (knote + kq_pollwait vs epitem + pwq)
 *   signal    kill(self) by a process watching nothing: no signal knote
 *             anywhere, one or 64,512 of another user's; with its own knote
 *
 * Every figure is measured R times (default 9, at least 5); the table shows
 * medians (close: best and median), the CSV every run.  CSV columns:
 * kernel,workload,param,metric,unit,mech,run,value  (run: 1..R, median, best).
 */
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

static int runs = 9;
static int quick;
static int only_n;		/* --n: one pipe count only */
static FILE *csv;
static const char *kernel_name = "?";

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	fprintf(stderr, "kq-bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Wait for the guest to settle: for its first second or so a freshly
 * booted VM runs other work (in instruction-count mode a null system call
 * then reads 540-1140 instead of 336, and every figure with it).  A
 * second's sleep lets that work run, then null system calls in batches
 * until two batches in a row agree within 1%, for at most 5 s.
 */
static void settle(void)
{
	double t0, first = 0, prev = 0, cur = 0;

	sleep(1);
	t0 = now_ns();

	for (int b = 0; now_ns() - t0 < 5e9; b++) {
		double s = now_ns();

		for (int i = 0; i < 20000; i++)
			syscall(SYS_getppid);
		cur = (now_ns() - s) / 20000;
		if (!b)
			first = cur;
		if (b >= 2 && cur > prev * 0.99 && cur < prev * 1.01)
			break;
		prev = cur;
	}
	printf("kq-bench: settled after 1 s + %.1f s (null syscall %.1f ns, first %.1f ns)\n",
	       (now_ns() - t0) / 1e9, cur, first);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAXRUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_dbl);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double best(const double *v, int n)
{
	double b = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < b)
			b = v[i];
	return b;
}

/* Medians kept for the table. */
struct fig {
	char kernel[32], workload[16], param[24], metric[24], unit[8], mech[12];
	double med, best;
	double v[MAXRUNS];	/* the runs, in the order taken */
	int n;
};
static struct fig figs[1024];
static int nfigs;

static void record(const char *workload, const char *param,
		   const char *metric, const char *unit, const char *mech,
		   const double *v, int n)
{
	struct fig *f = &figs[nfigs < 1023 ? nfigs++ : nfigs];

	snprintf(f->kernel, sizeof(f->kernel), "%s", kernel_name);
	snprintf(f->workload, sizeof(f->workload), "%s", workload);
	snprintf(f->param, sizeof(f->param), "%s", param);
	snprintf(f->metric, sizeof(f->metric), "%s", metric);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	snprintf(f->mech, sizeof(f->mech), "%s", mech);
	f->med = median(v, n);
	f->best = best(v, n);
	memcpy(f->v, v, n * sizeof(*v));
	f->n = n;
	if (!csv)
		return;
	for (int i = 0; i < n; i++)
		fprintf(csv, "%s,%s,%s,%s,%s,%s,%d,%.3f\n", kernel_name,
			workload, param, metric, unit, mech, i + 1, v[i]);
	fprintf(csv, "%s,%s,%s,%s,%s,%s,median,%.3f\n", kernel_name,
		workload, param, metric, unit, mech, f->med);
	fprintf(csv, "%s,%s,%s,%s,%s,%s,best,%.3f\n", kernel_name,
		workload, param, metric, unit, mech, f->best);
	fflush(csv);
}

static const struct fig *find_fig(const struct fig *like, const char *mech)
{
	for (int i = 0; i < nfigs; i++)
		if (!strcmp(figs[i].kernel, like->kernel) &&
		    !strcmp(figs[i].workload, like->workload) &&
		    !strcmp(figs[i].param, like->param) &&
		    !strcmp(figs[i].metric, like->metric) &&
		    !strcmp(figs[i].mech, mech))
			return &figs[i];
	return NULL;
}

/*
 * kqueue/epoll: the median of the runs' own ratios.  Run r of each
 * mechanism was taken back to back, so a slow spell of the host (other
 * VMs on its CPUs) cancels out of each ratio; falls back to the ratio of
 * the medians when the runs are not there.
 */
static double ratio(const struct fig *a, const struct fig *b)
{
	double r[MAXRUNS];

	if (a->n != b->n || !a->n)
		return a->med / b->med;
	for (int i = 0; i < a->n; i++)
		r[i] = a->v[i] / b->v[i];
	return median(r, a->n);
}

/* rows of cases against "none" (sig_cases): signal, proc */
static bool is_cases(const struct fig *f)
{
	return !strcmp(f->workload, "signal") || !strcmp(f->workload, "proc");
}

static bool is_row_head(const struct fig *f)
{
	if (is_cases(f))
		return !strcmp(f->mech, "none");
	return !strcmp(f->mech, "kqueue") || !strcmp(f->mech, "watched") ||
	       (!strcmp(f->workload, "close") && !find_fig(f, "watched") &&
		!strcmp(f->mech, find_fig(f, "loaded") ? "loaded" : "none"));
}

static void fmt(char *buf, size_t len, const struct fig *f, bool usebest)
{
	if (!f)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", usebest ? f->best : f->med);
}

/* close(): best of the runs, relative to the boot without the module. */
static void close_cells(const struct fig *f, const char *mech, char *v,
			char *r, size_t len)
{
	const struct fig *x = find_fig(f, mech), *n = find_fig(f, "none");

	fmt(v, len, x, true);
	if (x && n && strcmp(mech, "none"))
		snprintf(r, len, "%+.1f%%", (x->best / n->best - 1) * 100);
	else
		snprintf(r, len, "-");
}

/*
 * signal: one process's kill(self) with no signal knote anywhere ("none"),
 * while another user holds one ("one") or many ("others"), while it holds
 * one itself ("own"); each against "none" (median of the runs' ratios).
 */
#define SIG_CASES	4
static const char *sig_cases[SIG_CASES] = { "none", "one", "others", "own" };
static const char *sig_labels[SIG_CASES] = { "no knotes", "1 other's knote",
					     "others' knotes", "own knote" };

static void signal_cells(const struct fig *f, int c, char *v, char *r,
			 size_t len, int prec)
{
	const struct fig *x = find_fig(f, sig_cases[c]),
			 *n = find_fig(f, "none");

	fmt(v, len, x, false);
	if (x && n && c)
		snprintf(r, len, "%.*f", prec, ratio(x, n));
	else
		snprintf(r, len, "-");
}

static void print_table(const char *kernel)
{
	const char *last = "";

	printf("\nLinux %s: medians of %d runs (close: best); kq/epoll: median of the runs' ratios (signal: to no knotes)\n",
	       kernel, runs);
	printf("%-9s %-10s %-16s %4s %11s %11s %11s %9s\n", "workload",
	       "param", "metric", "unit", "kqueue", "epoll", "poll",
	       "kq/epoll");
	for (int i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i], *e, *p;
		char kq[16], ep[16], po[16], r[16] = "-";

		if (strcmp(f->kernel, kernel) || !is_row_head(f))
			continue;
		if (strcmp(last, f->workload))
			printf("\n");
		last = f->workload;
		if (!strcmp(f->workload, "close")) {
			static const char *cases[] = { "none", "loaded",
						       "watched" };

			for (int c = 0; c < 3; c++) {
				close_cells(f, cases[c], kq, r, sizeof(kq));
				printf("%-9s %-10s %-16s %4s %11s %11s %11s %9s\n",
				       "close", f->param, cases[c], f->unit,
				       kq, "", "", r);
			}
			continue;
		}
		if (is_cases(f)) {
			for (int c = 0; c < SIG_CASES; c++) {
				if (!find_fig(f, sig_cases[c]))
					continue;
				signal_cells(f, c, kq, r, sizeof(kq), 3);
				printf("%-9s %-10s %-16s %4s %11s %11s %11s %9s\n",
				       f->workload, f->param, sig_labels[c],
				       f->unit, kq, "", "", r);
			}
			continue;
		}
		fmt(kq, sizeof(kq), f, false);
		fmt(ep, sizeof(ep), e = find_fig(f, "epoll"), false);
		fmt(po, sizeof(po), find_fig(f, "poll"), false);
		if (e)
			snprintf(r, sizeof(r), "%.3f", ratio(f, e));
		printf("%-9s %-10s %-16s %4s %11s %11s %11s %9s\n",
		       f->workload, f->param, f->metric, f->unit, kq, ep, po, r);
		if ((p = find_fig(f, "kqueue1")))
			printf("%-9s %-10s %-16s %4s %11.1f %11s %11s %9.3f\n",
			       "", "", "(1 per kevent)", "", p->med, "", "",
			       e ? ratio(p, e) : 0);
	}
	printf("\n");
}

/* Markdown, kernels side by side: kqueue | epoll | ratio for each. */
static void print_markdown(char **kernels, int nk)
{
	const struct fig *head;

	printf("| workload | param | metric | unit |");
	for (int k = 0; k < nk; k++)
		printf(" %s kqueue | %s epoll | %s kq/epoll |", kernels[k],
		       kernels[k], kernels[k]);
	printf("\n|---|---|---|---|");
	for (int k = 0; k < nk; k++)
		printf("--:|--:|--:|");
	printf("\n");
	for (int i = 0; i < nfigs; i++) {
		head = &figs[i];
		if (strcmp(head->kernel, kernels[0]) || !is_row_head(head))
			continue;
		for (int variant = 0; variant < SIG_CASES; variant++) {
			static const char *cases[] = { "none", "loaded",
						       "watched" };
			bool isclose = !strcmp(head->workload, "close");
			bool issig = is_cases(head);

			if (!isclose && !issig && variant == 1 &&
			    !find_fig(head, "kqueue1"))
				break;
			if (!issig && variant == (isclose ? 3 : 2))
				break;
			if (issig && !find_fig(head, sig_cases[variant]))
				continue;
			printf("| %s | %s | %s | %s |", head->workload,
			       head->param,
			       isclose ? cases[variant] :
			       issig ? sig_labels[variant] :
			       variant ? "1 change per kevent()" : head->metric,
			       head->unit);
			for (int k = 0; k < nk; k++) {
				struct fig like = *head;
				const struct fig *f, *e;
				char a[16], b[16] = "", r[16] = "-";

				snprintf(like.kernel, sizeof(like.kernel), "%s",
					 kernels[k]);
				if (isclose) {
					close_cells(&like, cases[variant], a, r,
						    sizeof(a));
					printf(" %s | | %s |", a, r);
					continue;
				}
				if (issig) {
					signal_cells(&like, variant, a, r,
						     sizeof(a), 2);
					printf(" %s | | %s |", a, r);
					continue;
				}
				f = find_fig(&like, variant ? "kqueue1" : "kqueue");
				e = find_fig(&like, "epoll");
				fmt(a, sizeof(a), f, false);
				fmt(b, sizeof(b), e, false);
				if (f && e)
					snprintf(r, sizeof(r), "%.2f", ratio(f, e));
				printf(" %s | %s | %s |", a, b, r);
			}
			printf("\n");
		}
	}
}

/* Load the median and best rows of CSV files written by --csv. */
static void load_csv(const char *path)
{
	static int maxrun;
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s", path);
	while (fgets(line, sizeof(line), f)) {
		struct fig x = {}, *t = NULL;
		char run[16];
		double v;

		if (sscanf(line, "%31[^,],%15[^,],%23[^,],%23[^,],%7[^,],%11[^,],%15[^,],%lf",
			   x.kernel, x.workload, x.param, x.metric, x.unit,
			   x.mech, run, &v) != 8)
			continue;
		for (int i = 0; i < nfigs && !t; i++)
			if (!strcmp(figs[i].kernel, x.kernel) &&
			    !strcmp(figs[i].workload, x.workload) &&
			    !strcmp(figs[i].param, x.param) &&
			    !strcmp(figs[i].metric, x.metric) &&
			    !strcmp(figs[i].mech, x.mech))
				t = &figs[i];
		if (!t) {
			if (nfigs >= 1023)
				break;
			t = &figs[nfigs++];
			*t = x;
		}
		if (!strcmp(run, "median")) {
			t->med = v;
		} else if (!strcmp(run, "best")) {
			t->best = v;
		} else if (atoi(run) >= 1 && atoi(run) <= MAXRUNS) {
			t->v[atoi(run) - 1] = v;
			if (atoi(run) > t->n)
				t->n = atoi(run);
			if (atoi(run) > maxrun)
				maxrun = atoi(run);
		}
	}
	if (maxrun)
		runs = maxrun;
	fclose(f);
}

static void raise_nofile(rlim_t n)
{
	struct rlimit rl = { n, n };
	FILE *f;

	/* root may go past fs.nr_open after raising it */
	if ((f = fopen("/proc/sys/fs/nr_open", "r+"))) {
		unsigned long cur = 0;

		if (fscanf(f, "%lu", &cur) == 1 && cur < n) {
			rewind(f);
			fprintf(f, "%lu\n", (unsigned long)n);
		}
		fclose(f);
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE, %lu)", (unsigned long)n);
}

static int make_kq(void)
{
	int kq = kqueue();

	if (kq < 0)
		die("kqueue");
	return kq;
}

static int make_ep(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		die("epoll_create1");
	return ep;
}

/* kevent() with a changelist of any length, in chunks. */
static void kq_apply(int kq, struct kevent *ch, int n)
{
	while (n > 0) {
		int c = n > 65536 ? 65536 : n;

		if (kevent(kq, ch, c, NULL, 0, NULL) < 0)
			die("kevent(changes)");
		ch += c;
		n -= c;
	}
}

/* ------------------------------------------------------------------ */
/*
 * 0. Baselines, to read the others by: a null system call, and an empty
 * non-blocking wait on a kqueue, an epoll and poll() (one idle pipe each).
 */

static void bench_base(void)
{
	static const struct timespec zero;
	const int iters = quick ? 5000 : 20000;
	static const char *names[] = { "syscall", "kqueue", "epoll", "poll" };
	double v[4][MAXRUNS];
	struct kevent ch, ev;
	struct epoll_event eev = { .events = EPOLLIN };
	struct pollfd pfd;
	int pp[2], kq, ep;

	if (pipe2(pp, O_NONBLOCK | O_CLOEXEC))
		die("pipe2");
	kq = make_kq();
	ep = make_ep();
	EV_SET(&ch, pp[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	kq_apply(kq, &ch, 1);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &eev))
		die("epoll_ctl");
	pfd = (struct pollfd){ pp[0], POLLIN, 0 };
	for (int r = -1; r < runs; r++)
		for (int m = 0; m < 4; m++) {
			double t0 = now_ns();

			for (int i = 0; i < iters; i++)
				switch (m) {
				case 0:
					syscall(SYS_getppid);
					break;
				case 1:
					if (kevent(kq, NULL, 0, &ev, 1, &zero))
						die("kevent");
					break;
				case 2:
					if (epoll_wait(ep, &eev, 1, 0))
						die("epoll_wait");
					break;
				default:
					if (poll(&pfd, 1, 0))
						die("poll");
				}
			if (r >= 0)
				v[m][r] = (now_ns() - t0) / iters;
		}
	for (int m = 1; m < 4; m++)
		record("base", "1 idle fd", "empty wait", "ns", names[m],
		       v[m], runs);
	record("base", "getppid", "null syscall", "ns", "kqueue", v[0], runs);
	record("base", "getppid", "null syscall", "ns", "epoll", v[0], runs);
	close(kq);
	close(ep);
	close(pp[0]);
	close(pp[1]);
}

/* ------------------------------------------------------------------ */
/* 1. libevent's bench: N pipes, A active, W chained writes per round. */

enum mech { M_KQ, M_EP, M_POLL };
static const char *mech_name[] = { "kqueue", "epoll", "poll" };

struct pipes {
	int n, *fd;		/* fd[2i] read end, fd[2i+1] write end */
	int count, fired, writes;
	long calls;		/* wait calls in this round */
	enum mech m;
	int q;			/* kqueue or epoll */
	struct pollfd *pfd;
	struct kevent *kev;
	struct epoll_event *eev;
};

#define PIPES_EVENTS	1024

static void pipes_cb(struct pipes *p, int idx)
{
	char c;

	if (read(p->fd[2 * idx], &c, 1) != 1)
		die("read pipe %d", idx);
	p->count++;
	if (p->writes) {
		int w = idx + 1 == p->n ? 0 : idx + 1;

		if (write(p->fd[2 * w + 1], "e", 1) != 1)
			die("write pipe %d", w);
		p->writes--;
		p->fired++;
	}
}

static void pipes_dispatch(struct pipes *p)
{
	static const struct timespec zero;
	int n, i;

	p->calls++;
	switch (p->m) {
	case M_KQ:
		n = kevent(p->q, NULL, 0, p->kev, PIPES_EVENTS, &zero);
		if (n < 0)
			die("kevent");
		for (i = 0; i < n; i++)
			pipes_cb(p, (int)(intptr_t)p->kev[i].udata);
		break;
	case M_EP:
		n = epoll_wait(p->q, p->eev, PIPES_EVENTS, 0);
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			pipes_cb(p, p->eev[i].data.u32);
		break;
	case M_POLL:
		n = poll(p->pfd, p->n, 0);
		if (n < 0)
			die("poll");
		for (i = 0; i < p->n && n; i++)
			if (p->pfd[i].revents) {
				n--;
				pipes_cb(p, i);
			}
		break;
	}
}

static double pipes_round(struct pipes *p, int active, int nwrites)
{
	int space = p->n / active, i;
	double t0;

	p->fired = p->count = 0;
	p->calls = 0;
	p->writes = nwrites;
	for (i = 0; i < active; i++, p->fired++)
		if (write(p->fd[2 * (i * space) + 1], "e", 1) != 1)
			die("write");
	t0 = now_ns();
	do
		pipes_dispatch(p);
	while (p->count != p->fired);
	return now_ns() - t0;
}

static void pipes_register(struct pipes *p)
{
	if (p->m == M_KQ) {
		p->q = make_kq();
		for (int i = 0; i < p->n; i++)
			EV_SET(&p->kev[i], p->fd[2 * i], EVFILT_READ, EV_ADD, 0,
			       0, (void *)(intptr_t)i);
		kq_apply(p->q, p->kev, p->n);
	} else if (p->m == M_EP) {
		p->q = make_ep();
		for (int i = 0; i < p->n; i++) {
			struct epoll_event ev = {
				.events = EPOLLIN,
				.data.u32 = i,
			};

			if (epoll_ctl(p->q, EPOLL_CTL_ADD, p->fd[2 * i], &ev))
				die("epoll_ctl");
		}
	} else {
		for (int i = 0; i < p->n; i++)
			p->pfd[i] = (struct pollfd){ p->fd[2 * i], POLLIN, 0 };
	}
}

static void bench_pipes(void)
{
	static const int full[] = { 10, 100, 1000, 10000, 100000 };
	static const int small[] = { 10, 100, 1000 };
	const int *ns = quick ? small : full;
	int nn = quick ? 3 : 5, nwrites = quick ? 200 : 1000;
	int poll_max = 10000;

	for (int k = 0; k < nn; k++) {
		struct pipes p = { .n = only_n ? only_n : ns[k] };
		int active = p.n < 100 ? p.n : 100;
		char param[24];
		double t0;

		raise_nofile(2 * (rlim_t)p.n + 256);
		p.fd = malloc(2 * sizeof(int) * p.n);
		p.pfd = calloc(p.n, sizeof(*p.pfd));
		p.kev = calloc(p.n > PIPES_EVENTS ? p.n : PIPES_EVENTS,
			       sizeof(*p.kev));
		p.eev = calloc(PIPES_EVENTS, sizeof(*p.eev));
		if (!p.fd || !p.pfd || !p.kev || !p.eev)
			die("malloc");
		t0 = now_ns();
		for (int i = 0; i < p.n; i++)
			if (pipe2(&p.fd[2 * i], O_NONBLOCK | O_CLOEXEC))
				die("pipe2 (pipe %d of %d)", i, p.n);
		fprintf(stderr, "pipes: N=%d created in %.0f ms\n", p.n,
			(now_ns() - t0) / 1e6);
		snprintf(param, sizeof(param), "N=%d", p.n);

		/*
		 * Mechanisms take turns, run by run (register, a warm-up
		 * round, the measured round, unregister), so that a slow
		 * spell of the host (other VMs on the same CPUs) hits all
		 * of them alike instead of one.
		 */
		double round[3][MAXRUNS], per[3][MAXRUNS], calls[3][MAXRUNS];
		int events = active + nwrites;

		for (int r = 0; r < runs; r++)
			for (int m = M_KQ; m <= M_POLL; m++) {
				if (m == M_POLL && p.n > poll_max)
					continue;
				p.m = m;
				t0 = now_ns();
				pipes_register(&p);
				if (r == 0)
					fprintf(stderr, "pipes: N=%d %s registered in %.0f ms\n",
						p.n, mech_name[m], (now_ns() - t0) / 1e6);
				pipes_round(&p, active, nwrites);	/* warm-up */
				round[m][r] = pipes_round(&p, active, nwrites) / 1e3;
				per[m][r] = round[m][r] * 1e3 / events;
				calls[m][r] = p.calls;
				if (m != M_POLL)
					close(p.q);
			}
		for (int m = M_KQ; m <= M_POLL; m++) {
			if (m == M_POLL && p.n > poll_max)
				continue;
			record("pipes", param, "per-round", "us",
			       mech_name[m], round[m], runs);
			record("pipes", param, "per-event", "ns",
			       mech_name[m], per[m], runs);
			record("pipes", param, "waits/round", "n",
			       mech_name[m], calls[m], runs);
		}
		for (int i = 0; i < 2 * p.n; i++)
			close(p.fd[i]);
		free(p.fd);
		free(p.pfd);
		free(p.kev);
		free(p.eev);
		if (only_n)
			break;
	}
}

/* ------------------------------------------------------------------ */
/* 2. Ping-pong between two threads over a socketpair. */

struct waiter {
	enum mech m;
	int q, fd;
};

static void waiter_init(struct waiter *w, enum mech m, int fd)
{
	w->m = m;
	w->fd = fd;
	if (m == M_KQ) {
		struct kevent ch;

		w->q = make_kq();
		EV_SET(&ch, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
		kq_apply(w->q, &ch, 1);
	} else if (m == M_EP) {
		struct epoll_event ev = { .events = EPOLLIN };

		w->q = make_ep();
		if (epoll_ctl(w->q, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl");
	}
}

static void waiter_wait(struct waiter *w)
{
	struct kevent kev;
	struct epoll_event eev;
	struct pollfd pfd = { w->fd, POLLIN, 0 };
	int n;

	do {
		switch (w->m) {
		case M_KQ:
			n = kevent(w->q, NULL, 0, &kev, 1, NULL);
			break;
		case M_EP:
			n = epoll_wait(w->q, &eev, 1, -1);
			break;
		default:
			n = poll(&pfd, 1, -1);
			break;
		}
	} while (n == 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		die("wait");
}

struct pong {
	enum mech m;
	int fd, cpu;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static void *pong_thread(void *arg)
{
	struct pong *pg = arg;
	struct waiter w;
	char c;

	pin(pg->cpu);
	waiter_init(&w, pg->m, pg->fd);
	for (;;) {
		waiter_wait(&w);
		if (read(pg->fd, &c, 1) != 1)
			die("pong read");
		if (write(pg->fd, &c, 1) != 1)
			die("pong write");
		if (c == 'q')
			break;
	}
	if (w.m != M_POLL)
		close(w.q);
	return NULL;
}

/*
 * Same CPU: both threads pinned to CPU 0, so a round trip is two wakeups
 * and two context switches with no IPI.  Two CPUs: one thread on each; under
 * TCG this mostly measures how fast QEMU gets an idle vCPU going again.
 */
/* One measured run: a fresh pong thread, a warm-up, @trips round trips. */
static double pingpong_run(enum mech m, int cpu, int trips)
{
	struct waiter w;
	struct pong pg;
	pthread_t th;
	double t0 = 0;
	int sv[2];
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		die("socketpair");
	pg = (struct pong){ m, sv[1], cpu };
	if (pthread_create(&th, NULL, pong_thread, &pg))
		die("pthread_create");
	waiter_init(&w, m, sv[0]);
	for (int i = -trips / 10; i < trips; i++) {
		if (i == 0)
			t0 = now_ns();
		if (write(sv[0], "p", 1) != 1)
			die("ping write");
		waiter_wait(&w);
		if (read(sv[0], &c, 1) != 1)
			die("ping read");
	}
	t0 = now_ns() - t0;
	if (write(sv[0], "q", 1) != 1)
		die("write");
	pthread_join(th, NULL);
	if (m != M_POLL)
		close(w.q);
	close(sv[0]);
	close(sv[1]);
	return t0;
}

/*
 * Same CPU: both threads pinned to CPU 0, so a round trip is two wakeups
 * and two context switches with no IPI.  Two CPUs: one thread on each; under
 * TCG this mostly measures how fast QEMU gets an idle vCPU going again.
 */
static void bench_pingpong(void)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	for (int mode = 0; mode < (ncpu > 1 ? 2 : 1); mode++) {
		int trips = mode == 0 ? (quick ? 500 : 3000) : (quick ? 100 : 400);
		const char *param = mode == 0 ? "same-cpu" : "two-cpus";
		double us[3][MAXRUNS], rate[3][MAXRUNS];

		pin(0);
		for (int r = 0; r < runs; r++)
			for (int m = M_KQ; m <= M_POLL; m++) {
				double dt = pingpong_run(m, mode == 0 ? 0 : 1,
							 trips);

				us[m][r] = dt / 1e3 / trips;
				rate[m][r] = trips / (dt / 1e9);
			}
		for (int m = M_KQ; m <= M_POLL; m++) {
			record("pingpong", param, "round-trip", "us",
			       mech_name[m], us[m], runs);
			record("pingpong", param, "trips/s", "1/s",
			       mech_name[m], rate[m], runs);
		}
	}
	pin(-1);
}

/* ------------------------------------------------------------------ */
/* 3. Registration: add and remove K descriptors. */

static void bench_reg(void)
{
	static const int ks[] = { 1, 64, 4096 };
	const int maxk = 4096, per_sample = quick ? 4096 : 16384;
	struct kevent *ch = calloc(maxk, sizeof(*ch));
	int *fd = malloc(2 * maxk * sizeof(int));

	if (!ch || !fd)
		die("malloc");
	raise_nofile(2 * maxk + 256);
	for (int i = 0; i < maxk; i++)
		if (pipe2(&fd[2 * i], O_NONBLOCK | O_CLOEXEC))
			die("pipe2");

	for (int k = 0; k < 3; k++) {
		int K = ks[k], iters = per_sample / K;
		char param[24];

		snprintf(param, sizeof(param), "K=%d", K);
		/* kqueue (one kevent() per changelist), kqueue1 (one per
		 * change), epoll */
		static const char *names[] = { "kqueue", "kqueue1", "epoll" };
		double add[3][MAXRUNS], del[3][MAXRUNS];

		/* mechanisms take turns, run by run (see bench_pipes) */
		for (int r = -1; r < runs; r++)
			for (int m = 0; m < 3; m++) {
				int q = m < 2 ? make_kq() : make_ep();
				double ta = 0, td = 0, t0;

				for (int it = 0; it < iters; it++) {
					for (int ph = 0; ph < 2; ph++) {
						u_short fl = ph ? EV_DELETE : EV_ADD;

						t0 = now_ns();
						if (m == 0) {
							for (int i = 0; i < K; i++)
								EV_SET(&ch[i], fd[2 * i],
								       EVFILT_READ, fl, 0, 0, NULL);
							kq_apply(q, ch, K);
						} else if (m == 1) {
							for (int i = 0; i < K; i++) {
								EV_SET(&ch[0], fd[2 * i],
								       EVFILT_READ, fl, 0, 0, NULL);
								kq_apply(q, ch, 1);
							}
						} else {
							for (int i = 0; i < K; i++) {
								struct epoll_event ev = {
									.events = EPOLLIN,
									.data.u32 = i,
								};

								if (epoll_ctl(q, ph ? EPOLL_CTL_DEL : EPOLL_CTL_ADD,
									      fd[2 * i], &ev))
									die("epoll_ctl");
							}
						}
						if (ph)
							td += now_ns() - t0;
						else
							ta += now_ns() - t0;
					}
				}
				close(q);
				if (r < 0)
					continue;	/* warm-up */
				add[m][r] = ta / ((double)iters * K);
				del[m][r] = td / ((double)iters * K);
			}
		for (int m = 0; m < 3; m++) {
			record("reg", param, "add/fd", "ns", names[m], add[m],
			       runs);
			record("reg", param, "del/fd", "ns", names[m], del[m],
			       runs);
		}
	}
	for (int i = 0; i < 2 * maxk; i++)
		close(fd[i]);
	free(fd);
	free(ch);
}

/* ------------------------------------------------------------------ */
/* 4. Timers: EVFILT_TIMER vs timerfd + epoll. */

static void sleep_until(double t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1e9),
			       (long)(t_ns - (double)(time_t)(t_ns / 1e9) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void bench_timers(void)
{
	static const int ks[] = { 1, 10, 100, 1000, 10000 };
	int nk = quick ? 4 : 5;
	int maxk = ks[nk - 1];
	struct kevent *kev = calloc(maxk, sizeof(*kev));
	struct epoll_event *eev = calloc(maxk, sizeof(*eev));
	int *tfd = malloc(maxk * sizeof(int));

	if (!kev || !eev || !tfd)
		die("malloc");
	raise_nofile(maxk + 256);
	for (int k = 0; k < nk; k++) {
		int K = ks[k];
		/* long enough that arming K timers takes well under a period */
		int period_ms = K >= 1000 ? 1000 : 250;
		char param[24];

		snprintf(param, sizeof(param), "K=%d", K);
		double arm[2][MAXRUNS], harvest[2][MAXRUNS], t0, t1;
		int armmax[2] = { 0, 0 };

		/* mechanisms take turns, run by run (see bench_pipes) */
		for (int r = 0; r < runs; r++)
			for (int m = M_KQ; m <= M_EP; m++) {
				int q, got = 0;

				q = m == M_KQ ? make_kq() : make_ep();
				t0 = now_ns();
				if (m == M_KQ) {
					for (int i = 0; i < K; i++)
						EV_SET(&kev[i], i + 1, EVFILT_TIMER,
						       EV_ADD, 0, period_ms, NULL);
					kq_apply(q, kev, K);
				} else {
					struct itimerspec its = {
						.it_interval.tv_sec = period_ms / 1000,
						.it_interval.tv_nsec = period_ms % 1000 * 1000000L,
						.it_value.tv_sec = period_ms / 1000,
						.it_value.tv_nsec = period_ms % 1000 * 1000000L,
					};

					for (int i = 0; i < K; i++) {
						struct epoll_event ev = {
							.events = EPOLLIN,
							.data.u32 = i,
						};

						tfd[i] = timerfd_create(CLOCK_MONOTONIC,
									TFD_NONBLOCK | TFD_CLOEXEC);
						if (tfd[i] < 0)
							die("timerfd_create");
						if (timerfd_settime(tfd[i], 0, &its, NULL))
							die("timerfd_settime");
						if (epoll_ctl(q, EPOLL_CTL_ADD, tfd[i], &ev))
							die("epoll_ctl");
					}
				}
				t1 = now_ns();
				arm[m][r] = (t1 - t0) / K;
				if ((t1 - t0) / 1e6 > armmax[m])
					armmax[m] = (t1 - t0) / 1e6;
				/* every timer has expired once, none twice */
				sleep_until(t1 + period_ms * 1e6 + 20e6);
				t0 = now_ns();
				while (got < K) {
					static const struct timespec zero;
					int n;

					if (m == M_KQ) {
						n = kevent(q, NULL, 0, kev, K, &zero);
						if (n < 0)
							die("kevent");
					} else {
						n = epoll_wait(q, eev, K, 0);
						if (n < 0)
							die("epoll_wait");
						for (int i = 0; i < n; i++) {
							uint64_t c;

							if (read(tfd[eev[i].data.u32], &c,
								 sizeof(c)) != sizeof(c))
								die("read timerfd");
						}
					}
					got += n;
				}
				harvest[m][r] = (now_ns() - t0) / K;
				close(q);
				if (m == M_EP)
					for (int i = 0; i < K; i++)
						close(tfd[i]);
			}
		for (int m = M_KQ; m <= M_EP; m++) {
			if (armmax[m] > period_ms / 2)
				fprintf(stderr, "timers: K=%d %s: arming took %d ms of a %d ms period\n",
					K, mech_name[m], armmax[m], period_ms);
			record("timers", param, "arm/timer", "ns", mech_name[m],
			       arm[m], runs);
			record("timers", param, "harvest/timer", "ns",
			       mech_name[m], harvest[m], runs);
		}
	}
	free(kev);
	free(eev);
	free(tfd);
}

/* ------------------------------------------------------------------ */
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
 * kq-bench --close-child FD: the measuring process, a fresh exec.  Not a
 * plain fork: this process has had kqueues (a kqueue's owner pays a hash
 * lookup per close()) and threads (pingpong), after which glibc wraps
 * every close() as a cancellation point, about 40 instructions that a
 * boot without the module, measuring close alone, does not pay.
 */
static int close_child(int out)
{
	double v[2][MAXRUNS];

	bench_close_runs(v, !access("/dev/kqueue", F_OK));
	return write(out, v, sizeof(v)) != sizeof(v);
}

static void bench_close(void)
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

/* ------------------------------------------------------------------ */
/* 6. Memory per watched descriptor. */

struct slabv {
	double objs, bytes;	/* objects in use; bytes of slab pages */
	int objsize;
};

static long read_long(const char *dir, const char *file)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", dir, file);
	if (!(f = fopen(path, "r")))
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * /proc/slabinfo has a line only for caches that SLUB did not merge into
 * another; /sys/kernel/slab/<name> works for both (an alias is a link to
 * the cache that holds its objects).  Merged caches share their counts
 * with their other users, so the deltas are taken with nothing else running.
 */
static struct slabv slab_read(const char *name)
{
	struct slabv s = { -1, -1, 0 };
	char line[512], n[64];
	unsigned long act, num, osz, opp, pps, a, b, c, nslabs;
	FILE *f = fopen("/proc/slabinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : slabdata %lu %lu",
			   n, &act, &num, &osz, &opp, &pps, &a, &b, &c,
			   &nslabs, &nslabs) == 11 && !strcmp(n, name)) {
			s.objs = act;
			s.bytes = (double)nslabs * pps * 4096;
			s.objsize = osz;
		}
	if (f)
		fclose(f);
	if (s.objs < 0) {
		long objs = read_long(name, "objects"),
		     slabs = read_long(name, "slabs"),
		     order = read_long(name, "order");

		s.objsize = read_long(name, "slab_size");
		if (objs >= 0 && slabs >= 0 && order >= 0) {
			s.objs = objs;
			s.bytes = (double)slabs * (4096L << order);
		}
	}
	return s;
}

static void bench_mem(void)
{
	static const char *caches[] = { "kq_knote_fd", "kq_pollwait",
					"eventpoll_epi", "eventpoll_pwq" };
	const int N = quick ? 2000 : 10000;
	int *fd = malloc(2 * N * sizeof(int));
	struct kevent *ch = calloc(N, sizeof(*ch));
	char param[24];

	if (!fd || !ch)
		die("malloc");
	if (access("/proc/slabinfo", R_OK)) {
		fprintf(stderr, "mem: /proc/slabinfo unreadable (not root?): skipped\n");
		return;
	}
	raise_nofile(2 * N + 256);
	for (int i = 0; i < N; i++)
		if (pipe2(&fd[2 * i], O_NONBLOCK | O_CLOEXEC))
			die("pipe2");
	snprintf(param, sizeof(param), "N=%d", N);
	for (int c = 0; c < 4; c++) {
		struct slabv s = slab_read(caches[c]);
		char link[128], path[128];
		ssize_t l;

		snprintf(path, sizeof(path), "/sys/kernel/slab/%s", caches[c]);
		l = readlink(path, link, sizeof(link) - 1);
		link[l > 0 ? l : 0] = 0;
		fprintf(stderr, "mem: cache %s: slot %d bytes%s%s\n",
			caches[c], s.objsize, l > 0 ? ", sysfs alias of " : "",
			link);
	}
	/*
	 * slab-bytes: growth of the caches' slab pages (what the brief asks;
	 * pages left empty by an earlier run are reused, so later runs can
	 * read low).  obj-bytes: objects added times the object's slot size
	 * (the steady-state cost, immune to that).
	 */
	for (int m = M_KQ; m <= M_EP; m++) {
		double slab[MAXRUNS], obj[MAXRUNS], per[2][MAXRUNS],
		       objs[2][MAXRUNS];
		const char **cn = &caches[m == M_KQ ? 0 : 2];

		for (int r = 0; r < runs; r++) {
			struct slabv b0, b1, a0, a1;
			int q = m == M_KQ ? make_kq() : make_ep();

			usleep(20000);
			b0 = slab_read(cn[0]);
			b1 = slab_read(cn[1]);
			if (m == M_KQ) {
				for (int i = 0; i < N; i++)
					EV_SET(&ch[i], fd[2 * i], EVFILT_READ,
					       EV_ADD, 0, 0, NULL);
				kq_apply(q, ch, N);
			} else {
				for (int i = 0; i < N; i++) {
					struct epoll_event ev = {
						.events = EPOLLIN };

					if (epoll_ctl(q, EPOLL_CTL_ADD,
						      fd[2 * i], &ev))
						die("epoll_ctl");
				}
			}
			a0 = slab_read(cn[0]);
			a1 = slab_read(cn[1]);
			per[0][r] = (a0.bytes - b0.bytes) / N;
			per[1][r] = (a1.bytes - b1.bytes) / N;
			objs[0][r] = (a0.objs - b0.objs) / N;
			objs[1][r] = (a1.objs - b1.objs) / N;
			slab[r] = per[0][r] + per[1][r];
			obj[r] = objs[0][r] * a0.objsize + objs[1][r] * a1.objsize;
			close(q);
		}
		record("mem", param, "slab-bytes/fd", "B", mech_name[m], slab,
		       runs);
		record("mem", param, "obj-bytes/fd", "B", mech_name[m], obj,
		       runs);
		record("mem", param, "item-slab/fd", "B", mech_name[m], per[0],
		       runs);
		record("mem", param, "pollwait-slab/fd", "B", mech_name[m],
		       per[1], runs);
		record("mem", param, "items/fd", "n", mech_name[m], objs[0],
		       runs);
		record("mem", param, "pollwaits/fd", "n", mech_name[m], objs[1],
		       runs);
	}
	for (int i = 0; i < 2 * N; i++)
		close(fd[i]);
	free(fd);
	free(ch);
}

/* ------------------------------------------------------------------ */
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

static void bench_signal(void)
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

/* ------------------------------------------------------------------ */
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

static void bench_proc(void)
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

/* ------------------------------------------------------------------ */

static void print_machine(void)
{
	struct utsname u;
	char line[256], model[128] = "?";
	long mem = 0;
	FILE *f;

	uname(&u);
	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				snprintf(model, sizeof(model), "%s",
					 strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	if ((f = fopen("/proc/meminfo", "r"))) {
		if (fscanf(f, "MemTotal: %ld", &mem) != 1)
			mem = 0;
		fclose(f);
	}
	printf("kq-bench: kernel %s %s, cpu \"%s\" x%ld, %ld MiB, emulation %s, %d runs per figure (median)\n",
	       u.release, u.machine, model, sysconf(_SC_NPROCESSORS_ONLN),
	       mem / 1024,
	       strstr(model, "TCG") ? "TCG" : strstr(model, "QEMU") ||
	       !access("/sys/module/kvm_intel", F_OK) ? "KVM?" : "KVM/native",
	       runs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} wl[] = {
		{ "base", bench_base },
		{ "pipes", bench_pipes }, { "pingpong", bench_pingpong },
		{ "reg", bench_reg }, { "timers", bench_timers },
		{ "close", bench_close }, { "mem", bench_mem },
		{ "signal", bench_signal }, { "proc", bench_proc },
	};
	const int nwl = sizeof(wl) / sizeof(wl[0]);
	const char *sel[8];
	char *reports[8];
	int nsel = 0, nrep = 0, markdown = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
			if (runs < 1 || runs > MAXRUNS)
				runs = 9;
		} else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
			const char *path = argv[++i];
			int fresh = access(path, F_OK) != 0;

			if (!(csv = fopen(path, "a")))
				die("%s", path);
			if (fresh)
				fprintf(csv, "kernel,workload,param,metric,unit,mech,run,value\n");
		} else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
			if (nrep < 8)
				reports[nrep++] = argv[++i];
		} else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
			only_n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--markdown")) {
			markdown = 1;
		} else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
			kernel_name = argv[++i];
		} else if (!strcmp(argv[i], "--close-child") && i + 1 < argc) {
			return close_child(atoi(argv[++i]));
		} else if (argv[i][0] != '-' && nsel < 8) {
			sel[nsel++] = argv[i];
		} else {
			fprintf(stderr, "usage: kq-bench [--quick] [--runs R] [--csv FILE] [--kernel NAME] [base|pipes|pingpong|reg|timers|close|mem|signal|proc]...\n"
					"       kq-bench [--markdown] --report FILE.csv...\n");
			return 2;
		}
	}
	if (nrep) {
		/* host side: tables from CSV files (kernel names from them) */
		char *kernels[8];
		int nk = 0;

		for (int i = 0; i < nrep; i++)
			load_csv(reports[i]);
		for (int i = 0; i < nfigs; i++) {
			int seen = 0;

			for (int k = 0; k < nk; k++)
				seen |= !strcmp(kernels[k], figs[i].kernel);
			if (!seen && nk < 8)
				kernels[nk++] = figs[i].kernel;
		}
		if (markdown) {
			print_markdown(kernels, nk);
		} else {
			for (int k = 0; k < nk; k++)
				print_table(kernels[k]);
		}
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	print_machine();
	settle();
	for (int w = 0; w < nwl; w++) {
		int on = !nsel;

		for (int s = 0; s < nsel; s++)
			on |= !strcmp(sel[s], wl[w].name);
		if (!on)
			continue;
		fprintf(stderr, "kq-bench: %s...\n", wl[w].name);
		wl[w].fn();
	}
	print_table(kernel_name);
	if (csv)
		fclose(csv);
	return 0;
}
