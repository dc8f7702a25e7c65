/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "reg" (harness.c runs it). */
#include "harness.h"

/* 3. Registration: add and remove K descriptors. */

void bench_reg(void)
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
