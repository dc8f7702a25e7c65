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
 *
 * This file is the harness: options, timing, record(), the CSV and the
 * tables; each workload is in wl_<name>.c.
 */
#include "harness.h"

int runs = 9;
int quick;
int only_n;
static FILE *csv;
const char *kernel_name = "?";

void die(const char *fmt, ...)
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

double now_ns(void)
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

void record(const char *workload, const char *param,
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
const char *sig_cases[SIG_CASES] = { "none", "one", "others", "own" };
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

void raise_nofile(rlim_t n)
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

int make_kq(void)
{
	int kq = kqueue();

	if (kq < 0)
		die("kqueue");
	return kq;
}

int make_ep(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		die("epoll_create1");
	return ep;
}

/* kevent() with a changelist of any length, in chunks. */
void kq_apply(int kq, struct kevent *ch, int n)
{
	while (n > 0) {
		int c = n > 65536 ? 65536 : n;

		if (kevent(kq, ch, c, NULL, 0, NULL) < 0)
			die("kevent(changes)");
		ch += c;
		n -= c;
	}
}

const char *mech_name[] = { "kqueue", "epoll", "poll" };

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
	/* arm64 has no "model name": QEMU's virt machine names itself here */
	if (!strcmp(model, "?") && (f = fopen("/proc/device-tree/compatible", "r"))) {
		if (fgets(line, sizeof(line), f) && !strcmp(line, "linux,dummy-virt"))
			snprintf(model, sizeof(model), "QEMU virt");
		fclose(f);
	}
	printf("kq-bench: kernel %s %s, cpu \"%s\" x%ld, %ld MiB, emulation %s, %d runs per figure (median)\n",
	       u.release, u.machine, model, sysconf(_SC_NPROCESSORS_ONLN),
	       mem / 1024,
	       strstr(model, "TCG") ? "TCG" :
	       !strcmp(model, "QEMU virt") ? "QEMU (TCG or KVM)" : strstr(model, "QEMU") ||
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
	const char *sel[16];
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
		} else if (argv[i][0] != '-' && nsel < 16) {
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