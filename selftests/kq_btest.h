/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for kq_timer.c, kq_user.c, kq_flags.c, kq_threads.c and
 * kq_nesting.c (prefix bt_ / BT_ so that it can coexist with kq_util.h).
 *
 * Timing: the tests run under QEMU TCG, where a syscall can take tens of
 * microseconds and a timer or a wakeup can be late by a lot.  Lower bounds
 * (a timer must not fire early) are asserted tightly; upper bounds (it must
 * fire at all, a waiter must wake) are generous.  "Nothing pending" checks
 * use a zero timeout.
 */
#ifndef KQ_BTEST_H
#define KQ_BTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <sys/event.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* Wait at most this long for an event that must come (ms). */
#define BT_WAIT_MS	10000
/* Slack allowed below a timer's nominal expiry (ms), for clock rounding. */
#define BT_EARLY_MS	5

#define BT_ACTION_FLAGS	(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE)

static inline long long bt_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline long long bt_mono_ms(void)
{
	return bt_mono_us() / 1000;
}

static inline long long bt_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleep ms milliseconds, whatever signals arrive. */
static inline void bt_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline struct timespec bt_ts(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };
	return ts;
}

/* A zero timeout: poll. */
static const struct timespec bt_zero = { 0, 0 };

/* One change, no event list.  Returns kevent()'s result (errno kept). */
static inline int bt_change(int kq, uintptr_t ident, short filter,
			    unsigned short flags, unsigned int fflags,
			    intptr_t data, void *udata)
{
	struct kevent kev;

	EV_SET(&kev, ident, filter, flags, fflags, data, udata);
	return kevent(kq, &kev, 1, NULL, 0, NULL);
}

/* Harvest up to n events; ms < 0 waits forever, 0 polls. */
static inline int bt_get(int kq, struct kevent *evs, int n, long ms)
{
	struct timespec ts = bt_ts(ms < 0 ? 0 : ms);

	return kevent(kq, NULL, 0, evs, n, ms < 0 ? NULL : &ts);
}

static inline const char *bt_str(const struct kevent *kev, char *buf,
				 size_t len)
{
	snprintf(buf, len,
		 "{ident=%lu filter=%d flags=0x%x fflags=0x%x data=%ld udata=%p}",
		 (unsigned long)kev->ident, kev->filter, kev->flags,
		 kev->fflags, (long)kev->data, kev->udata);
	return buf;
}

/* A change that must succeed. */
#define BT_OK(kq, ident, filter, flags, fflags, data, udata) do {	\
	int __r = bt_change(kq, ident, filter, flags, fflags, data,	\
			    udata);					\
	if (__r != 0)							\
		TH_LOG("kevent(ident=%lu filter=%d flags=0x%x fflags=0x%x data=%ld) = %d (%s)", \
		       (unsigned long)(ident), (int)(filter),		\
		       (unsigned)(flags), (unsigned)(fflags),		\
		       (long)(data), __r, strerror(errno));		\
	ASSERT_EQ(0, __r);						\
} while (0)

/* A change that must fail with errno err. */
#define BT_ERR(kq, err, ident, filter, flags, fflags, data, udata) do {	\
	int __r, __e;							\
	errno = 0;							\
	__r = bt_change(kq, ident, filter, flags, fflags, data, udata);	\
	__e = errno;							\
	if (__r != -1 || __e != (err))					\
		TH_LOG("kevent(ident=%lu filter=%d flags=0x%x fflags=0x%x data=%ld) = %d errno %d (%s), want -1 errno %d (%s)", \
		       (unsigned long)(ident), (int)(filter),		\
		       (unsigned)(flags), (unsigned)(fflags),		\
		       (long)(data), __r, __e, strerror(__e), (err),	\
		       strerror(err));					\
	ASSERT_EQ(-1, __r);						\
	ASSERT_EQ((err), __e);						\
} while (0)

/* A syscall-like expression that must fail with errno err. */
#define BT_FAILS(expr, err) do {					\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(expr);						\
	__e = errno;							\
	if (__r != -1 || __e != (err))					\
		TH_LOG("%s = %ld errno %d (%s), want -1 errno %d (%s)",	\
		       #expr, __r, __e, strerror(__e), (err),		\
		       strerror(err));					\
	ASSERT_EQ(-1, __r);						\
	ASSERT_EQ((err), __e);						\
} while (0)

/* Nothing may be pending right now. */
#define BT_NONE(kq) do {						\
	struct kevent __evs[8];						\
	char __b[160];							\
	int __r, __i;							\
	memset(__evs, 0, sizeof(__evs));				\
	__r = bt_get(kq, __evs, 8, 0);					\
	if (__r != 0) {							\
		TH_LOG("expected no events, kevent() = %d (%s)", __r,	\
		       __r < 0 ? strerror(errno) : "");			\
		for (__i = 0; __i < __r && __i < 8; __i++)		\
			TH_LOG("  unexpected %s",			\
			       bt_str(&__evs[__i], __b, sizeof(__b)));	\
	}								\
	ASSERT_EQ(0, __r);						\
} while (0)

/*
 * Wait up to ms for exactly one event (asks for two so that an extra one
 * is noticed) and check its ident and filter; *out gets it.
 */
#define BT_ONE(kq, out, id, filt, ms) do {				\
	struct kevent __evs[2];						\
	char __b[160];							\
	int __r, __i;							\
	memset(__evs, 0, sizeof(__evs));				\
	__r = bt_get(kq, __evs, 2, ms);					\
	if (__r != 1)							\
		TH_LOG("expected one event (ident %lu filter %d), kevent() = %d (%s)", \
		       (unsigned long)(id), (int)(filt), __r,		\
		       __r < 0 ? strerror(errno) : "");			\
	for (__i = 0; __i < __r && __i < 2; __i++)			\
		if (__r != 1 || __evs[__i].ident != (uintptr_t)(id) ||	\
		    __evs[__i].filter != (filt))			\
			TH_LOG("  got %s",				\
			       bt_str(&__evs[__i], __b, sizeof(__b)));	\
	ASSERT_EQ(1, __r);						\
	*(out) = __evs[0];						\
	ASSERT_EQ((uintptr_t)(id), (out)->ident);			\
	ASSERT_EQ((short)(filt), (out)->filter);			\
	ASSERT_EQ(0, (out)->flags & (BT_ACTION_FLAGS | EV_ERROR));	\
} while (0)

/* The same, polling (zero timeout): the event must be there already. */
#define BT_NOW(kq, out, id, filt) BT_ONE(kq, out, id, filt, 0)

#endif /* KQ_BTEST_H */
