/* SPDX-License-Identifier: BSD-2-Clause */
/* kq-bench workload "base" (harness.c runs it). */
#include "harness.h"

/*
 * 0. Baselines, to read the others by: a null system call, and an empty
 * non-blocking wait on a kqueue, an epoll and poll() (one idle pipe each).
 */

void bench_base(void)
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
