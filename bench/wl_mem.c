/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "mem" (harness.c runs it). */
#include "harness.h"

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
 * Free objects that SLUB keeps for quick reuse count as in use until the
 * cache is shrunk: the per-CPU slabs and partial lists on 6.1 and 6.12, the
 * per-CPU "sheaves" and the node's "barn" on 7.3 (sheaves came in 6.18; 7.3
 * has no per-CPU partial slabs), which absorbed a --quick run's allocations
 * whole (7.3 read 0 slab bytes and 0.7 objects per descriptor without the
 * shrink).  Shrinking returns them to their slabs and frees the empty
 * slabs, so the counts read next are the objects really allocated and the
 * slabs that hold them.
 */
static void slab_shrink(const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	if (!(f = fopen(path, "w")))
		return;
	fputs("1", f);
	fclose(f);
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
	FILE *f;

	slab_shrink(name);
	f = fopen("/proc/slabinfo", "r");

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

void bench_mem(void)
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
	 * slab-bytes: growth of the caches' slab pages, each read after a
	 * shrink (slab_shrink()); obj-bytes: objects added times the object's
	 * slot size (the steady-state cost, without the last slab's slack).
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
