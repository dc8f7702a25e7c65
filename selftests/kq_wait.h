/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Clocks, sleeping, and waiting (bounded) for events and states; SIGALRM
 * for EINTR tests.
 *
 * Timing: lower bounds (a timer must not fire early) are asserted tightly,
 * with KQ_EARLY_MS of slack for clock rounding; upper bounds (it must fire
 * at all, a waiter must wake) are generous.
 */
#ifndef KQ_WAIT_H
#define KQ_WAIT_H

#include "kq_kevent.h"

/* Slack allowed below a timer's nominal expiry (ms), for clock rounding. */
#define KQ_EARLY_MS	5

static inline long long kq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline long long kq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline long long kq_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleep ms milliseconds, whatever signals arrive. */
static inline void kq_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Wait (bounded) for fd to report one of the poll events in mask; returns
 * poll's revents (0 on timeout).
 */
static inline int kq_wait_poll(int fd, short mask, int ms)
{
	struct pollfd p = { .fd = fd, .events = mask };
	int r;

	do {
		r = poll(&p, 1, ms);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? p.revents : 0;
}

/*
 * Wait (bounded) until the single pending event for (ident, filter)
 * reports data == want (for a level-triggered knote whose data settles
 * asynchronously, e.g. TCP over loopback).  Fills *out with the last event.
 */
#define KQ_WAIT_DATA(kq, out, id, filt, want) \
	__kq_wait_data(_metadata, __LINE__, kq, out, id, filt, want)
static inline void __kq_wait_data(struct __test_metadata *_metadata, int line,
				  int kq, struct kevent *out, uintptr_t ident,
				  short filter, intptr_t want)
{
	long long deadline = kq_now_ms() + KQ_SETTLE_MS;
	struct kevent evs[2];
	char buf[160];
	int r;

	for (;;) {
		memset(evs, 0, sizeof(evs));
		r = kq_poll(kq, evs, 2, 100);
		if (r == 1 && evs[0].ident == ident && evs[0].filter == filter &&
		    evs[0].data == want)
			break;
		if (r < 0 || r > 1 || kq_now_ms() > deadline) {
			TH_LOG("line %d: waiting for ident %lu filter %s data %ld: kevent() = %d (%s)",
			       line, (unsigned long)ident,
			       kq_filter_name(filter), (long)want, r,
			       r < 0 ? strerror(errno) : "");
			if (r >= 1)
				TH_LOG("  last %s", kq_kev_str(&evs[0], buf,
							     sizeof(buf)));
			if (r == 2)
				TH_LOG("  and %s", kq_kev_str(&evs[1], buf,
							    sizeof(buf)));
			ASSERT_TRUE(0);
		}
		usleep(10000);
	}
	*out = evs[0];
}

/* Wait until ioctl(fd, FIONREAD) reports want bytes (bounded). */
#define KQ_WAIT_FIONREAD(fd, want) \
	__kq_wait_fionread(_metadata, __LINE__, fd, want)
static inline void __kq_wait_fionread(struct __test_metadata *_metadata, int line,
				   int fd, int want)
{
	long long deadline = kq_now_ms() + KQ_SETTLE_MS;
	int n = -1;

	for (;;) {
		ASSERT_EQ(0, ioctl(fd, FIONREAD, &n));
		if (n == want)
			return;
		if (kq_now_ms() > deadline) {
			TH_LOG("line %d: FIONREAD stays %d, want %d", line, n,
			       want);
			ASSERT_EQ(want, n);
		}
		usleep(5000);
	}
}

/* Wait (bounded) for an event of filter on ident that carries EV_EOF. */
#define KQ_WAIT_EOF(kq, out, id, filt) \
	__kq_wait_eof(_metadata, __LINE__, kq, out, id, filt)
static inline void __kq_wait_eof(struct __test_metadata *_metadata,
				 int line, int kq, struct kevent *out,
				 uintptr_t ident, short filter)
{
	long long deadline = kq_now_ms() + KQ_WAIT_MS;
	struct kevent ev;
	char buf[160];
	int r;

	for (;;) {
		memset(&ev, 0, sizeof(ev));
		r = kq_poll(kq, &ev, 1, 100);
		if (r == 1 && ev.ident == ident && ev.filter == filter &&
		    (ev.flags & EV_EOF))
			break;
		if (r < 0 || kq_now_ms() > deadline) {
			TH_LOG("line %d: no EV_EOF on %lu: kevent() = %d, last %s",
			       line, (unsigned long)ident, r,
			       r == 1 ? kq_kev_str(&ev, buf, sizeof(buf)) : "-");
			ASSERT_TRUE(0);
		}
		usleep(10000);
	}
	*out = ev;
}

/*
 * Collect events until n have arrived, or until a kevent() call waiting
 * for what is left of ms returns nothing (ms 0: until nothing is pending
 * now).  Returns how many (or -1 on a kevent() error).
 */
static inline int kq_collect(int kq, struct kevent *evs, int n, long ms)
{
	long long deadline = kq_now_ms() + ms;
	int got = 0, r;

	while (got < n) {
		long left = (long)(deadline - kq_now_ms());

		r = kq_poll(kq, evs + got, n - got, left < 0 ? 0 : left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/* SIGALRM bookkeeping for EINTR tests. */
static volatile sig_atomic_t kq_alarm_count;

static void kq_alarm_handler(int sig)
{
	(void)sig;
	kq_alarm_count++;
}

/* Catch SIGALRM (with SA_RESTART when restart) and count deliveries. */
static inline int kq_catch_alarm(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kq_alarm_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	kq_alarm_count = 0;
	return sigaction(SIGALRM, &sa, NULL);
}

/* One SIGALRM after ms milliseconds (setitimer; 0 cancels). */
static inline int kq_alarm_ms(long ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	return setitimer(ITIMER_REAL, &it, NULL);
}


#endif /* KQ_WAIT_H */
