/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "timers" (harness.c runs it). */
#include "harness.h"

/* 4. Timers: EVFILT_TIMER vs timerfd + epoll. */

static void sleep_until(double t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1e9),
			       (long)(t_ns - (double)(time_t)(t_ns / 1e9) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bench_timers(void)
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
