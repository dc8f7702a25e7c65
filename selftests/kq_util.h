/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the kqueue selftests.
 *
 * Include after <sys/event.h> is reachable on the include path (the shim's
 * header) and kselftest_harness.h (KSFT_INC).  The helpers that assert take
 * the harness's _metadata and are wrapped in macros of the same shape as
 * ASSERT_*, so a failure inside a helper aborts the calling test.
 *
 * Timing: the tests run under QEMU TCG, where a syscall can take tens of
 * microseconds and timers fire late.  "Nothing pending" checks use a zero
 * timeout (they assert that an event is absent, which a slow machine cannot
 * make flaky); "an event arrives" checks wait with KQ_WAIT_MS, which is
 * generous, and return as soon as the event is there.
 */
#ifndef KQ_UTIL_H
#define KQ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/event.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

/* How long to wait for an event that must come (ms). */
#define KQ_WAIT_MS	5000
/* How long to wait for something asynchronous to settle (ms). */
#define KQ_SETTLE_MS	5000

#define KQ_ACTION_FLAGS	(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE)

/* The shared shim: installed in the VM, or next to the selftests' build. */
static inline const char *kq_shim_path(void)
{
	static const char *const paths[] = {
#ifdef __LP64__
		"/usr/lib/libkqueue.so.0", "../shim/libkqueue.so.0",
#else
		"/usr/lib32/libkqueue.so.0", "../shim32/libkqueue.so.0",
#endif
	};
	unsigned int i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], R_OK))
			return paths[i];
	return NULL;
}

static inline struct timespec kq_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };
	return ts;
}

static inline long long kq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
static inline const char *kev_str(const struct kevent *kev, char *buf,
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
	int r;

	errno = 0;
	r = kq_change(kq, ident, filter, flags, fflags, data, udata);
	if (r != -1 || errno != err)
		TH_LOG("line %d: kevent(ident=%lu filter=%s flags=0x%x) = %d errno %d (%s), want -1 errno %d (%s)",
		       line, (unsigned long)ident, kq_filter_name(filter),
		       flags, r, errno, strerror(errno), err, strerror(err));
	ASSERT_EQ(-1, r);
	ASSERT_EQ(err, errno);
}

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
			TH_LOG("  unexpected %s", kev_str(&evs[i], buf,
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
			TH_LOG("  got %s", kev_str(&evs[i], buf, sizeof(buf)));
	}
	ASSERT_EQ(1, r);
	*out = evs[0];
}

/* Assert ident/filter of an event. */
#define KQ_EXPECT_KEV(kev, id, filt) do {				\
	char __b[160];							\
	if ((kev)->ident != (uintptr_t)(id) || (kev)->filter != (filt))	\
		TH_LOG("unexpected event %s, want ident %lu filter %s",	\
		       kev_str(kev, __b, sizeof(__b)),			\
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
				TH_LOG("  last %s", kev_str(&evs[0], buf,
							     sizeof(buf)));
			if (r == 2)
				TH_LOG("  and %s", kev_str(&evs[1], buf,
							    sizeof(buf)));
			ASSERT_TRUE(0);
		}
		usleep(10000);
	}
	*out = evs[0];
}

/* Wait until ioctl(fd, FIONREAD) reports want bytes (bounded). */
#define WAIT_FIONREAD(fd, want) \
	__wait_fionread(_metadata, __LINE__, fd, want)
static inline void __wait_fionread(struct __test_metadata *_metadata, int line,
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

static inline int kq_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Write n bytes of 'x' (one write call). */
static inline ssize_t fill_bytes(int fd, size_t n)
{
	char buf[4096];

	if (n > sizeof(buf))
		n = sizeof(buf);
	memset(buf, 'x', n);
	return write(fd, buf, n);
}

/* Read and discard everything readable now (fd must be non-blocking). */
static inline ssize_t drain_fd(int fd)
{
	char buf[65536];
	ssize_t r, total = 0;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	return total;
}

/* Fill a non-blocking fd until EAGAIN; returns bytes written. */
static inline ssize_t fill_until_full(int fd)
{
	static char buf[65536];
	ssize_t r, total = 0;

	memset(buf, 'f', sizeof(buf));
	for (;;) {
		r = write(fd, buf, sizeof(buf));
		if (r > 0) {
			total += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return total;
}

/* A listening TCP socket on 127.0.0.1, any port; *port in host order. */
static inline int tcp_listener(int backlog, unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int one = 1;
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s, backlog) < 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
		close(s);
		return -1;
	}
	if (port)
		*port = ntohs(sin.sin_port);
	return s;
}

/* A TCP client connected (blocking connect) to 127.0.0.1:port. */
static inline int tcp_connect(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/*
 * A connected TCP pair over loopback: sv[0] the client, sv[1] the accepted
 * server side.  Both non-blocking, TCP_NODELAY.  Returns 0 or -1.
 */
static inline int tcp_pair(int sv[2])
{
	unsigned short port;
	int one = 1;
	int l, c, a;

	l = tcp_listener(1, &port);
	if (l < 0)
		return -1;
	c = tcp_connect(port);
	if (c < 0) {
		close(l);
		return -1;
	}
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	if (a < 0) {
		close(c);
		return -1;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	kq_set_nonblock(c);
	kq_set_nonblock(a);
	sv[0] = c;
	sv[1] = a;
	return 0;
}

/* A UDP socket bound to 127.0.0.1, any port; *port in host order. */
static inline int udp_bound(unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

/* Abortive close: SO_LINGER 0, so the peer gets a RST. */
static inline int close_rst(int s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return -1;
	return close(s);
}

/*
 * Wait (bounded) for fd to report one of the poll events in mask; returns
 * poll's revents (0 on timeout).
 */
static inline int wait_poll(int fd, short mask, int ms)
{
	struct pollfd p = { .fd = fd, .events = mask };
	int r;

	do {
		r = poll(&p, 1, ms);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? p.revents : 0;
}

/* Is fd a valid descriptor? */
static inline int fd_valid(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
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

/*
 * Open a kqueue that must succeed.  A missing module is a failure, not a
 * skip: these tests exist to exercise it.
 */
#define KQ_OPEN(kq) do {						\
	(kq) = kqueue();						\
	ASSERT_LE(0, (kq)) TH_LOG("kqueue(): %s%s", strerror(errno),	\
		errno == ENOSYS ? " (/dev/kqueue missing: module not loaded?)" : ""); \
} while (0)

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
			       r == 1 ? kev_str(&ev, buf, sizeof(buf)) : "-");
			ASSERT_TRUE(0);
		}
		usleep(10000);
	}
	*out = ev;
}

/* The module's read-only counters; -2 when absent, -1 when unreadable. */
#define KQ_LIVE_DIR	"/sys/module/kqueue/parameters/"
static inline long kq_read_live(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), KQ_LIVE_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -2;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#endif /* KQ_UTIL_H */
