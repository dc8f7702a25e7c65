/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "pipes" (harness.c runs it). */
#include "harness.h"

/* 1. libevent's bench: N pipes, A active, W chained writes per round. */

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

void bench_pipes(void)
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
