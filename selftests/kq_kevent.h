/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' helpers, by what they help with (one prefix: kq_ / KQ_):
 *   kq_kevent.h    kqueue() and kevent(): changes, harvests, assertions
 *   kq_wait.h      clocks, sleeping, waiting for events and states, alarms
 *   kq_fd.h        descriptors and sockets: pipes, TCP/UDP, SCM_RIGHTS
 *   kq_children.h  child processes: checks inside them, waiting for them,
 *                  gates, wait statuses, signals
 *   kq_users.h     privileges and users
 *   kq_module.h    the module's parameters and the shim's path
 * Each includes what it builds on (all of them this one).
 *
 * Include after <sys/event.h> is reachable on the include path (the shim's
 * header) and kselftest_harness.h (KSFT_INC).  The helpers that assert take
 * the harness's _metadata and are wrapped in macros of the same shape as
 * ASSERT_*, so a failure inside a helper aborts the calling test.
 *
 * Timing: the tests run under QEMU TCG, where a syscall can take tens of
 * microseconds and timers fire late.  "Nothing pending" checks use a zero
 * timeout (they assert that an event is absent, which a slow machine cannot
 * make flaky); "an event arrives" checks wait with KQ_WAIT_MS (timers and
 * wakeups: KQ_TIMER_WAIT_MS), which is generous, and return as soon as the
 * event is there.
 */
#ifndef KQ_KEVENT_H
#define KQ_KEVENT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/event.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

/* How long to wait for an event that must come (ms). */
#define KQ_WAIT_MS	5000
/* How long to wait for something asynchronous to settle (ms). */
#define KQ_SETTLE_MS	5000
/* How long to wait for a timer or a wakeup that must come (ms). */
#define KQ_TIMER_WAIT_MS	10000

#define KQ_ACTION_FLAGS	(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE)

static inline struct timespec kq_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };
	return ts;
}

/* A zero timeout: poll. */
static const struct timespec kq_zero = { 0, 0 };

static inline const char *kq_filter_name(int filter)
{
	switch (filter) {
	case EVFILT_READ:	return "READ";
	case EVFILT_WRITE:	return "WRITE";
	case EVFILT_VNODE:	return "VNODE";
	case EVFILT_PROC:	return "PROC";
	case EVFILT_SIGNAL:	return "SIGNAL";
	case EVFILT_TIMER:	return "TIMER";
	case EVFILT_USER:	return "USER";
	case EVFILT_EMPTY:	return "EMPTY";
	case EVFILT_EXCEPT:	return "EXCEPT";
	default:		return "?";
	}
}

/* Format a kevent for diagnostics (a static buffer per call site is fine). */
static inline const char *kq_kev_str(const struct kevent *kev, char *buf,
				  size_t len)
{
	snprintf(buf, len,
		 "{ident=%lu filter=%d(%s) flags=0x%x fflags=0x%x data=%ld udata=%p}",
		 (unsigned long)kev->ident, kev->filter,
		 kq_filter_name(kev->filter), kev->flags, kev->fflags,
		 (long)kev->data, kev->udata);
	return buf;
}

/* kevent() with only changes, nevents 0: returns kevent()'s result. */
static inline int kq_change(int kq, uintptr_t ident, short filter,
			    unsigned short flags, unsigned int fflags,
			    intptr_t data, void *udata)
{
	struct kevent kev;

	EV_SET(&kev, ident, filter, flags, fflags, data, udata);
	return kevent(kq, &kev, 1, NULL, 0, NULL);
}

/* Harvest with a timeout in ms (< 0: wait forever). */
static inline int kq_poll(int kq, struct kevent *evs, int n, long ms)
{
	struct timespec ts = kq_ms(ms < 0 ? 0 : ms);

	return kevent(kq, NULL, 0, evs, n, ms < 0 ? NULL : &ts);
}

/* The one event @kq has within @ms: its ident, or -1 (none, more, or another filter). */
static inline long kq_one_event(int kq, short filter, long ms)
{
	struct kevent ev[4];
	int n = kq_poll(kq, ev, 4, ms);

	if (n != 1 || ev[0].filter != filter)
		return -1;
	return (long)ev[0].ident;
}

/* Apply one change that must succeed. */
#define KQ_CHANGE_OK(kq, ident, filter, flags, fflags, data, udata) \
	__kq_change_ok(_metadata, __LINE__, kq, ident, filter, flags, fflags, \
		       data, udata)
static inline void __kq_change_ok(struct __test_metadata *_metadata, int line,
				  int kq, uintptr_t ident, short filter,
				  unsigned short flags, unsigned int fflags,
				  intptr_t data, void *udata)
{
	int r = kq_change(kq, ident, filter, flags, fflags, data, udata);

	if (r != 0)
		TH_LOG("line %d: kevent(ident=%lu filter=%s flags=0x%x) = %d (%s)",
		       line, (unsigned long)ident, kq_filter_name(filter),
		       flags, r, strerror(errno));
	ASSERT_EQ(0, r);
}

/* Apply one change that must fail with errno err (nevents 0: -1/errno). */
#define KQ_CHANGE_ERR(kq, err, ident, filter, flags, fflags, data, udata) \
	__kq_change_err(_metadata, __LINE__, kq, err, ident, filter, flags, \
			fflags, data, udata)
static inline void __kq_change_err(struct __test_metadata *_metadata, int line,
				   int kq, int err, uintptr_t ident,
				   short filter, unsigned short flags,
				   unsigned int fflags, intptr_t data,
				   void *udata)
{
	int r, e;

	errno = 0;
	r = kq_change(kq, ident, filter, flags, fflags, data, udata);
	e = errno;
	if (r != -1 || e != err)
		TH_LOG("line %d: kevent(ident=%lu filter=%s flags=0x%x fflags=0x%x data=%ld) = %d errno %d (%s), want -1 errno %d (%s)",
		       line, (unsigned long)ident, kq_filter_name(filter),
		       flags, fflags, (long)data, r, e, strerror(e), err,
		       strerror(err));
	ASSERT_EQ(-1, r);
	ASSERT_EQ(err, e);
}

/* A syscall-like expression that must fail with errno err. */
#define KQ_FAILS(expr, err) do {					\
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

/* Assert that nothing is pending right now (zero timeout). */
#define KQ_CHECK_NONE(kq) __kq_check_none(_metadata, __LINE__, kq)
static inline void __kq_check_none(struct __test_metadata *_metadata, int line,
				   int kq)
{
	struct kevent evs[8];
	char buf[160];
	int i, r;

	r = kq_poll(kq, evs, 8, 0);
	if (r != 0) {
		TH_LOG("line %d: expected no events, kevent() = %d (%s)", line,
		       r, r < 0 ? strerror(errno) : "");
		for (i = 0; i < r; i++)
			TH_LOG("  unexpected %s", kq_kev_str(&evs[i], buf,
							   sizeof(buf)));
	}
	ASSERT_EQ(0, r);
}

/*
 * Wait up to ms for events; exactly one must come back.  Fills *out.
 * (Asks for two, so that a second pending event is noticed.)
 */
#define KQ_GET_ONE(kq, out, ms) __kq_get_one(_metadata, __LINE__, kq, out, ms)
static inline void __kq_get_one(struct __test_metadata *_metadata, int line,
				int kq, struct kevent *out, long ms)
{
	struct kevent evs[2];
	char buf[160];
	int i, r;

	memset(evs, 0, sizeof(evs));
	r = kq_poll(kq, evs, 2, ms);
	if (r != 1) {
		TH_LOG("line %d: expected exactly one event, kevent() = %d (%s)",
		       line, r, r < 0 ? strerror(errno) : "");
		for (i = 0; i < r && i < 2; i++)
			TH_LOG("  got %s", kq_kev_str(&evs[i], buf, sizeof(buf)));
	}
	ASSERT_EQ(1, r);
	*out = evs[0];
}

/* Assert ident/filter of an event. */
#define KQ_EXPECT_KEV(kev, id, filt) do {				\
	char __b[160];							\
	if ((kev)->ident != (uintptr_t)(id) || (kev)->filter != (filt))	\
		TH_LOG("unexpected event %s, want ident %lu filter %s",	\
		       kq_kev_str(kev, __b, sizeof(__b)),		\
		       (unsigned long)(id), kq_filter_name(filt));	\
	ASSERT_EQ((uintptr_t)(id), (kev)->ident);			\
	ASSERT_EQ((filt), (kev)->filter);				\
	ASSERT_EQ(0, (kev)->flags & (KQ_ACTION_FLAGS | EV_ERROR));	\
} while (0)

/* Get exactly one event and check its ident and filter. */
#define KQ_GET_KEV(kq, out, id, filt) do {				\
	KQ_GET_ONE(kq, out, KQ_WAIT_MS);				\
	KQ_EXPECT_KEV(out, id, filt);					\
} while (0)

/*
 * Wait (bounded by ms) for one event of (ident, filter); other events
 * are a failure.  Fills *out.
 */
#define KQ_WAIT_ONE(kq, out, id, filt, ms) do {				\
	KQ_GET_ONE(kq, out, ms);					\
	KQ_EXPECT_KEV(out, id, filt);					\
} while (0)

/* The event is there at once (zero timeout). */
#define KQ_NOW(kq, out, id, filt) KQ_WAIT_ONE(kq, out, id, filt, 0)

/*
 * Open a kqueue that must succeed.  A missing module is a failure, not a
 * skip: these tests exist to exercise it.
 */
#define KQ_OPEN(kq) do {						\
	(kq) = kqueue();						\
	ASSERT_LE(0, (kq)) TH_LOG("kqueue(): %s%s", strerror(errno),	\
		errno == ENOSYS ? " (/dev/kqueue missing: module not loaded?)" : ""); \
} while (0)

/* Raw KQ_IOC_KEVENT. */
static inline int kq_raw_kevent(int kq, const void *changes, int nchanges,
				 void *events, int nevents,
				 const struct timespec *ts, unsigned int recsize)
{
	struct kq_kevent_args a = {
		.size = sizeof(a),
		.record_size = recsize,
		.changelist = (uint64_t)(uintptr_t)changes,
		.eventlist = (uint64_t)(uintptr_t)events,
		.nchanges = nchanges,
		.nevents = nevents,
		.timeout = (uint64_t)(uintptr_t)ts,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

/* Is errno one of the values BSD's kevent() may report? */
static inline int kq_bsd_errno(int e)
{
	switch (e) {
	case EBADF: case EINVAL: case ENOENT: case ESRCH: case ENOMEM:
	case EFAULT: case EINTR: case EPIPE: case EACCES: case E2BIG:
		return 1;
	}
	return 0;
}


#endif /* KQ_KEVENT_H */
