/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "pingpong" (harness.c runs it). */
#include "harness.h"

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
void bench_pingpong(void)
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
