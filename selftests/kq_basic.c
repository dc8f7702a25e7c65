// SPDX-License-Identifier: GPL-2.0
/*
 * kqueue()/kevent() basics: descriptors, timeouts, argument errors and the
 * EV_ERROR/EV_RECEIPT reporting rules (reference section 2).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "kq_fd.h"

/* A pipe with n bytes buffered; both ends non-blocking. */
static int pipe_with_data(int p[2], size_t n)
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	if (n && kq_fill_bytes(p[1], n) != (ssize_t)n)
		return -1;
	return 0;
}

/* A page the process may not touch. */
static void *bad_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST(kqueue_returns_fd_and_closes)
{
	struct kevent ev;
	int kq, kq2;

	KQ_OPEN(kq);
	ASSERT_TRUE(kq_fd_valid(kq));
	KQ_OPEN(kq2);
	ASSERT_NE(kq, kq2);
	ASSERT_EQ(0, close(kq2));
	/* A fresh kqueue has nothing pending. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, close(kq));
	ASSERT_FALSE(kq_fd_valid(kq));
	ASSERT_EQ(-1, kq_poll(kq, &ev, 1, 0));
	ASSERT_EQ(EBADF, errno);
}

TEST(kqueue_fd_is_not_cloexec)
{
	int kq;

	/* BSD kqueue() is not close-on-exec. */
	KQ_OPEN(kq);
	ASSERT_EQ(0, fcntl(kq, F_GETFD) & FD_CLOEXEC);
	close(kq);
}

TEST(empty_call_returns_zero)
{
	int kq;

	KQ_OPEN(kq);
	/* nevents == 0 returns at once, even with a NULL timeout. */
	ASSERT_EQ(0, kq_catch_alarm(0));
	ASSERT_EQ(0, kq_alarm_ms(3000));
	EXPECT_EQ(0, kevent(kq, NULL, 0, NULL, 0, NULL));
	kq_alarm_ms(0);
	EXPECT_EQ(0, kq_alarm_count);
	close(kq);
}

TEST(nevents_zero_returns_with_events_pending)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kq_catch_alarm(0));
	ASSERT_EQ(0, kq_alarm_ms(3000));
	EXPECT_EQ(0, kevent(kq, NULL, 0, NULL, 0, NULL));
	kq_alarm_ms(0);
	EXPECT_EQ(0, kq_alarm_count);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(bad_kq_descriptor_ebadf)
{
	struct timespec ts = { 0, 0 };
	struct kevent ev;
	int p[2], s[2], fd, devnull;

	/* Negative, closed, and descriptors that are not kqueues. */
	errno = 0;
	EXPECT_EQ(-1, kevent(-1, NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EBADF, errno);

	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	errno = 0;
	EXPECT_EQ(-1, kevent(fd, NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EBADF, errno);

	ASSERT_EQ(0, pipe(p));
	errno = 0;
	EXPECT_EQ(-1, kevent(p[0], NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent(p[1], NULL, 0, NULL, 0, NULL));
	EXPECT_EQ(EBADF, errno);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	errno = 0;
	EXPECT_EQ(-1, kevent(s[0], NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EBADF, errno);

	devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, devnull);
	errno = 0;
	EXPECT_EQ(-1, kevent(devnull, NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EBADF, errno);

	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	close(devnull);
}

TEST(zero_timeout_polls)
{
	struct timespec ts = { 0, 0 };
	struct kevent ev;
	long long t0;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 0));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	t0 = kq_now_ms();
	EXPECT_EQ(0, kevent(kq, NULL, 0, &ev, 1, &ts));
	/* A poll does not sleep (generous bound for emulation). */
	EXPECT_GT(2000, kq_now_ms() - t0);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(timeout_expires_returns_zero)
{
	struct timespec ts = kq_ms(200);
	struct kevent ev;
	long long t0, dt;
	int kq;

	KQ_OPEN(kq);
	t0 = kq_now_ms();
	EXPECT_EQ(0, kevent(kq, NULL, 0, &ev, 1, &ts));
	dt = kq_now_ms() - t0;
	/* Never early (1 ms of clock granularity), late by < 10 s. */
	EXPECT_LE(199, dt);
	EXPECT_GT(10000, dt);
	close(kq);
}

TEST(null_timeout_blocks_until_signal)
{
	struct kevent ev;
	long long t0, dt;
	int kq;

	KQ_OPEN(kq);
	/* SA_RESTART must not restart kevent(): BSD never restarts it. */
	ASSERT_EQ(0, kq_catch_alarm(1));
	ASSERT_EQ(0, kq_alarm_ms(500));
	t0 = kq_now_ms();
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, &ev, 1, NULL));
	EXPECT_EQ(EINTR, errno);
	dt = kq_now_ms() - t0;
	kq_alarm_ms(0);
	EXPECT_EQ(1, kq_alarm_count);
	/* It blocked until the signal, not less. */
	EXPECT_LE(450, dt);
	close(kq);
}

TEST(timed_wait_interrupted_not_restarted)
{
	struct timespec ts = kq_ms(20000);
	struct kevent ev;
	long long t0, dt;
	int kq;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_catch_alarm(1));
	ASSERT_EQ(0, kq_alarm_ms(300));
	t0 = kq_now_ms();
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, &ev, 1, &ts));
	EXPECT_EQ(EINTR, errno);
	dt = kq_now_ms() - t0;
	kq_alarm_ms(0);
	EXPECT_EQ(1, kq_alarm_count);
	/* Returned on the signal, long before the 20 s timeout. */
	EXPECT_GT(10000, dt);
}

TEST(changes_applied_before_eintr)
{
	struct kevent ch, ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 0));
	EV_SET(&ch, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x1234);
	ASSERT_EQ(0, kq_catch_alarm(0));
	ASSERT_EQ(0, kq_alarm_ms(300));
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, &ch, 1, &ev, 1, NULL));
	EXPECT_EQ(EINTR, errno);
	kq_alarm_ms(0);
	/* The change was applied: the knote exists and fires. */
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ((void *)0x1234, ev.udata);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(bad_timeout_einval)
{
	struct timespec bad[] = {
		{ 0, 1000000000L },
		{ 1, 1000000000L },
		{ 0, -1 },
		{ -1, 0 },
		{ -1, 500 },
	};
	struct kevent ev;
	unsigned int i;
	int kq;

	KQ_OPEN(kq);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, kevent(kq, NULL, 0, &ev, 1, &bad[i]))
			TH_LOG("timeout {%ld, %ld}", (long)bad[i].tv_sec,
			       bad[i].tv_nsec);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("timeout {%ld, %ld}", (long)bad[i].tv_sec,
			       bad[i].tv_nsec);
	}
	/* The largest valid nanosecond count is fine. */
	{
		struct timespec ok = { 0, 999999999L };

		EXPECT_EQ(0, kevent(kq, NULL, 0, &ev, 1, &ok));
	}
	close(kq);
}

TEST(negative_counts_einval)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch, ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 0));
	EV_SET(&ch, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, &ch, -1, &ev, 1, &ts));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, &ev, -1, &ts));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, &ch, 1, &ev, -1, &ts));
	EXPECT_EQ(EINVAL, errno);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(bad_changelist_efault)
{
	struct timespec ts = { 0, 0 };
	struct kevent ev;
	void *bad = bad_page();
	int kq;

	ASSERT_NE(NULL, bad);
	KQ_OPEN(kq);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, bad, 1, NULL, 0, &ts));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, bad, 1, &ev, 1, &ts));
	EXPECT_EQ(EFAULT, errno);
	close(kq);
	munmap(bad, 4096);
}

TEST(bad_eventlist_efault)
{
	struct timespec ts = { 0, 0 };
	struct kevent ev;
	void *bad = bad_page();
	void *ro;
	int kq, p[2];

	ASSERT_NE(NULL, bad);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* An event is pending, and there is nowhere to write it. */
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, bad, 1, &ts));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, ro, 1, &ts));
	EXPECT_EQ(EFAULT, errno);
	/* The kqueue still works, and the event was not lost. */
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	close(kq);
	close(p[0]);
	close(p[1]);
	munmap(bad, 4096);
	munmap(ro, 4096);
}

TEST(bad_timeout_pointer_efault)
{
	struct kevent ev;
	void *bad = bad_page();
	int kq;

	ASSERT_NE(NULL, bad);
	KQ_OPEN(kq);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, NULL, 0, &ev, 1, bad));
	EXPECT_EQ(EFAULT, errno);
	close(kq);
	munmap(bad, 4096);
}

TEST(unknown_filter_einval)
{
	short bad[] = { -100, EVFILT_SYSCOUNT * -1 - 1, 1, 5, 100,
			EVFILT_AIO, EVFILT_NETDEV, EVFILT_FS, EVFILT_LIO };
	unsigned int i;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, kq_change(kq, p[0], bad[i], EV_ADD, 0, 0, NULL))
			TH_LOG("filter %d", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("filter %d", bad[i]);
	}
	/* Nothing was registered. */
	KQ_CHECK_NONE(kq);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(filter_zero_is_skipped)
{
	struct kevent ch[3], ev[4];
	struct timespec ts = { 0, 0 };
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	/* Garbage in a filter-0 entry is neither applied nor reported. */
	EV_SET(&ch[0], 123456, 0, EV_ADD | EV_ENABLE | EV_DISABLE, 0, 0, NULL);
	EV_SET(&ch[1], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)7);
	EV_SET(&ch[2], (uintptr_t)-1, 0, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	EXPECT_EQ(0, kevent(kq, ch, 3, NULL, 0, NULL));
	/* With room for error entries there are still none. */
	EV_SET(&ch[1], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)8);
	ASSERT_EQ(1, kevent(kq, ch, 3, ev, 4, &ts));
	KQ_EXPECT_KEV(&ev[0], p[0], EVFILT_READ);
	EXPECT_EQ((void *)8, ev[0].udata);
	EXPECT_EQ(1, ev[0].data);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(error_with_nevents_zero_stops_changelist)
{
	struct kevent ch[2];
	int kq, p[2], q[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	ASSERT_EQ(0, pipe_with_data(q, 0));
	/* ch[0] fails (no such knote); ch[1] must then not be applied. */
	EV_SET(&ch[0], q[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[1], p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, ch, 2, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* A change before the failing one is applied. */
	EV_SET(&ch[0], p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], q[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	errno = 0;
	EXPECT_EQ(-1, kevent(kq, ch, 2, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(kq);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

TEST(error_entries_reported_without_scan)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch[4], ev[8];
	int kq, p[2], q[2], r;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 3));
	ASSERT_EQ(0, pipe_with_data(q, 0));

	EV_SET(&ch[0], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0xa);
	EV_SET(&ch[1], q[0], EVFILT_READ, EV_DELETE, 0, 0, (void *)0xb);
	EV_SET(&ch[2], p[0], -100, EV_ADD, 0, 0, (void *)0xc);
	EV_SET(&ch[3], q[1], EVFILT_WRITE, EV_ADD, 0, 0, (void *)0xd);
	memset(ev, 0, sizeof(ev));
	r = kevent(kq, ch, 4, ev, 8, &ts);
	/* Two error entries, and no scan: p[0]'s pending READ not returned. */
	ASSERT_EQ(2, r);
	EXPECT_EQ((uintptr_t)q[0], ev[0].ident);
	EXPECT_EQ(EVFILT_READ, ev[0].filter);
	EXPECT_TRUE(ev[0].flags & EV_ERROR);
	EXPECT_EQ(0, ev[0].flags & KQ_ACTION_FLAGS);
	EXPECT_EQ(ENOENT, ev[0].data);
	EXPECT_EQ((void *)0xb, ev[0].udata);

	EXPECT_EQ((uintptr_t)p[0], ev[1].ident);
	EXPECT_EQ(-100, ev[1].filter);
	EXPECT_TRUE(ev[1].flags & EV_ERROR);
	EXPECT_EQ(0, ev[1].flags & KQ_ACTION_FLAGS);
	EXPECT_EQ(EINVAL, ev[1].data);
	EXPECT_EQ((void *)0xc, ev[1].udata);

	/* Changes after a failure were applied: both knotes exist. */
	memset(ev, 0, sizeof(ev));
	r = kevent(kq, NULL, 0, ev, 8, &ts);
	ASSERT_EQ(2, r);
	for (int i = 0; i < 2; i++) {
		EXPECT_FALSE(ev[i].flags & EV_ERROR);
		if (ev[i].filter == EVFILT_READ) {
			EXPECT_EQ((uintptr_t)p[0], ev[i].ident);
			EXPECT_EQ(3, ev[i].data);
			EXPECT_EQ((void *)0xa, ev[i].udata);
		} else {
			EXPECT_EQ(EVFILT_WRITE, ev[i].filter);
			EXPECT_EQ((uintptr_t)q[1], ev[i].ident);
			EXPECT_EQ((void *)0xd, ev[i].udata);
		}
	}
	close(kq);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

TEST(error_entries_limited_by_nevents)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch[2], ev[2];
	int kq, p[2], q[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	ASSERT_EQ(0, pipe_with_data(q, 0));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* One slot: it holds the error entry, not the pending event. */
	EV_SET(&ch[0], q[0], EVFILT_READ, EV_DISABLE, 0, 0, (void *)5);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(kq, ch, 1, ev, 1, &ts));
	EXPECT_TRUE(ev[0].flags & EV_ERROR);
	EXPECT_EQ(ENOENT, ev[0].data);
	EXPECT_EQ((uintptr_t)q[0], ev[0].ident);
	EXPECT_EQ((void *)5, ev[0].udata);
	/* The event is still there for the next call. */
	KQ_GET_KEV(kq, &ev[0], p[0], EVFILT_READ);
	close(kq);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

TEST(receipt_reports_data_zero)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch[2], ev[4];
	int kq, p[2], r, i, seen_r = 0, seen_w = 0;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 2));
	EV_SET(&ch[0], p[0], EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0,
	       (void *)0x11);
	EV_SET(&ch[1], p[1], EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0,
	       (void *)0x22);
	memset(ev, 0, sizeof(ev));
	r = kevent(kq, ch, 2, ev, 4, &ts);
	/* Two receipts, and no scan although both knotes are ready. */
	ASSERT_EQ(2, r);
	EXPECT_EQ((uintptr_t)p[0], ev[0].ident);
	EXPECT_EQ(EVFILT_READ, ev[0].filter);
	EXPECT_TRUE(ev[0].flags & EV_ERROR);
	EXPECT_EQ(0, ev[0].data);
	EXPECT_EQ((void *)0x11, ev[0].udata);
	EXPECT_EQ((uintptr_t)p[1], ev[1].ident);
	EXPECT_EQ(EVFILT_WRITE, ev[1].filter);
	EXPECT_TRUE(ev[1].flags & EV_ERROR);
	EXPECT_EQ(0, ev[1].data);
	EXPECT_EQ((void *)0x22, ev[1].udata);

	/* The knotes were added. */
	memset(ev, 0, sizeof(ev));
	r = kevent(kq, NULL, 0, ev, 4, &ts);
	ASSERT_EQ(2, r);
	for (i = 0; i < r; i++) {
		EXPECT_FALSE(ev[i].flags & EV_ERROR);
		if (ev[i].filter == EVFILT_READ && ev[i].ident == (uintptr_t)p[0]) {
			seen_r++;
			EXPECT_EQ(2, ev[i].data);
		}
		if (ev[i].filter == EVFILT_WRITE && ev[i].ident == (uintptr_t)p[1])
			seen_w++;
	}
	EXPECT_EQ(1, seen_r);
	EXPECT_EQ(1, seen_w);

	/* A failing change with EV_RECEIPT reports its errno. */
	EV_SET(&ch[0], p[0], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0,
	       (void *)0x33);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(kq, ch, 1, ev, 4, &ts));
	EXPECT_TRUE(ev[0].flags & EV_ERROR);
	EXPECT_EQ(ENOENT, ev[0].data);
	EXPECT_EQ((void *)0x33, ev[0].udata);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(enable_and_disable_together_einval)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EINVAL, p[0], EVFILT_READ, EV_ENABLE | EV_DISABLE,
		      0, 0, NULL);
	KQ_CHANGE_ERR(kq, EINVAL, p[0], EVFILT_READ,
		      EV_ADD | EV_ENABLE | EV_DISABLE, 0, 0, NULL);
	/* The knote is unchanged: still enabled and reporting. */
	{
		struct kevent ev;

		KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	}
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(absent_knote_enoent)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 0));
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_ENABLE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_DISABLE, 0, 0, NULL);
	/* The key includes the filter. */
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* Deleted once: a second delete finds nothing. */
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(knotes_keyed_by_kqueue)
{
	struct kevent ev;
	int kq1, kq2, p[2];

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	KQ_CHANGE_OK(kq1, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	KQ_CHANGE_ERR(kq2, ENOENT, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(kq2);
	KQ_CHANGE_OK(kq2, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)2);
	KQ_GET_KEV(kq1, &ev, p[0], EVFILT_READ);
	EXPECT_EQ((void *)1, ev.udata);
	KQ_GET_KEV(kq2, &ev, p[0], EVFILT_READ);
	EXPECT_EQ((void *)2, ev.udata);
	KQ_CHANGE_OK(kq1, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(kq1);
	KQ_GET_KEV(kq2, &ev, p[0], EVFILT_READ);
	close(kq1);
	/* Closing one kqueue leaves the other's knote alone. */
	KQ_GET_KEV(kq2, &ev, p[0], EVFILT_READ);
	close(kq2);
	close(p[0]);
	close(p[1]);
}

TEST(keepudata_with_add_einval)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	KQ_CHANGE_ERR(kq, EINVAL, p[0], EVFILT_READ, EV_ADD | EV_KEEPUDATA,
		      0, 0, NULL);
	/* Not added. */
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* Nor on an existing knote. */
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)9);
	KQ_CHANGE_ERR(kq, EINVAL, p[0], EVFILT_READ, EV_ADD | EV_KEEPUDATA,
		      0, 0, (void *)10);
	{
		struct kevent ev;

		KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
		EXPECT_EQ((void *)9, ev.udata);
	}
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(returned_flags_carry_no_actions)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch[2], ev[4];
	int kq, p[2], r, i;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 4));
	EV_SET(&ch[0], p[0], EVFILT_READ, EV_ADD | EV_ENABLE, 0, 0, NULL);
	EV_SET(&ch[1], p[1], EVFILT_WRITE, EV_ADD | EV_ENABLE, 0, 0, NULL);
	r = kevent(kq, ch, 2, ev, 4, &ts);
	ASSERT_EQ(2, r);
	for (i = 0; i < r; i++) {
		EXPECT_EQ(0, ev[i].flags & KQ_ACTION_FLAGS)
			TH_LOG("flags 0x%x", ev[i].flags);
		EXPECT_EQ(0, ev[i].flags & EV_ERROR);
		/* A plain level-triggered knote returns flags 0 (FreeBSD). */
		EXPECT_EQ(0, ev[i].flags);
	}
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(sysflags_in_input_ignored)
{
	struct kevent ch, ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 5));
	/* EV_EOF | EV_ERROR | EV_FLAG1 | 0x1000 are system flags. */
	EV_SET(&ch, p[0], EVFILT_READ, EV_ADD | EV_SYSFLAGS, 0, 0, NULL);
	ASSERT_EQ(0, kevent(kq, &ch, 1, NULL, 0, NULL));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	/* Not reported as an error, no false EOF: the writer is open. */
	EXPECT_EQ(0, ev.flags & (EV_ERROR | EV_EOF | EV_FLAG1));
	EXPECT_EQ(5, ev.data);
	/* Nor do they turn into errors with a receipt slot available. */
	EV_SET(&ch, p[0], EVFILT_READ, EV_DELETE | EV_ERROR, 0, 0, NULL);
	ASSERT_EQ(0, kevent(kq, &ch, 1, NULL, 0, NULL));
	KQ_CHECK_NONE(kq);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(add_reports_true_condition_at_once)
{
	struct timespec ts = { 0, 0 };
	struct kevent ch, ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 6));
	/* Add and harvest in one call: already true, so reported. */
	EV_SET(&ch, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)3);
	ASSERT_EQ(1, kevent(kq, &ch, 1, &ev, 1, &ts));
	KQ_EXPECT_KEV(&ev, p[0], EVFILT_READ);
	EXPECT_EQ(6, ev.data);
	EXPECT_EQ((void *)3, ev.udata);
	close(kq);
	close(p[0]);
	close(p[1]);
}

TEST(invalid_ident_ebadf)
{
	int kq, fd;

	KQ_OPEN(kq);
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EBADF, 100000, EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* without EV_ADD too: the descriptor is looked at before the knote */
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_READ, EV_ENABLE, 0, 0, NULL);
	/* an O_PATH descriptor is no descriptor to poll (fget()'s rule) */
	fd = open("/dev/null", O_PATH);
	ASSERT_LE(0, fd);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, EBADF, fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(fd);
	close(kq);
}

TEST(changelist_and_eventlist_may_be_one_array)
{
	struct timespec ts = { 0, 0 };
	struct kevent kev[3], ev[4];
	int kq, p[2], q[2], r, i;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 2));
	ASSERT_EQ(0, pipe_with_data(q, 0));
	EV_SET(&kev[0], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	EV_SET(&kev[1], q[0], EVFILT_READ, EV_DELETE, 0, 0, (void *)2);
	EV_SET(&kev[2], q[1], EVFILT_WRITE, EV_ADD, 0, 0, (void *)3);
	/* The error entry overwrites kev[0]; kev[2] must still be applied. */
	ASSERT_EQ(1, kevent(kq, kev, 3, kev, 3, &ts));
	EXPECT_EQ((uintptr_t)q[0], kev[0].ident);
	EXPECT_TRUE(kev[0].flags & EV_ERROR);
	EXPECT_EQ(ENOENT, kev[0].data);
	EXPECT_EQ((void *)2, kev[0].udata);
	r = kq_poll(kq, ev, 4, 0);
	ASSERT_EQ(2, r);
	for (i = 0; i < r; i++)
		EXPECT_EQ(ev[i].filter == EVFILT_READ ? (void *)1 : (void *)3,
			  ev[i].udata);
	/* The usual one-change, one-event call on one struct. */
	EV_SET(&kev[0], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)4);
	ASSERT_EQ(1, kevent(kq, kev, 1, kev, 1, &ts));
	EXPECT_EQ((void *)4, kev[0].udata);
	EXPECT_FALSE(kev[0].flags & EV_ERROR);
	close(kq);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

#define NKN 100

TEST(many_changes_and_events)
{
	struct timespec ts = { 0, 0 };
	static struct kevent ch[NKN], ev[NKN + 1];
	int kq, p[2], fds[NKN], seen[NKN], i, r;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe_with_data(p, 1));
	/* NKN descriptors for one pipe: NKN separate knotes. */
	for (i = 0; i < NKN; i++) {
		fds[i] = dup(p[0]);
		ASSERT_LE(0, fds[i]);
		EV_SET(&ch[i], fds[i], EVFILT_READ, EV_ADD, 0, 0,
		       (void *)(uintptr_t)i);
	}
	ASSERT_EQ(0, kevent(kq, ch, NKN, NULL, 0, NULL));
	/* All of them in one call, each once. */
	memset(seen, 0, sizeof(seen));
	r = kevent(kq, NULL, 0, ev, NKN + 1, &ts);
	ASSERT_EQ(NKN, r);
	for (i = 0; i < r; i++) {
		uintptr_t u = (uintptr_t)ev[i].udata;

		ASSERT_GT(NKN, u);
		EXPECT_EQ((uintptr_t)fds[u], ev[i].ident);
		seen[u]++;
	}
	for (i = 0; i < NKN; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("knote %d", i);
	/*
	 * In slices of 7: a reported level-triggered knote goes to the back
	 * of the queue (FreeBSD), so 100 events in slices reach every knote
	 * once; none is starved by the ones reported before it.
	 */
	memset(seen, 0, sizeof(seen));
	for (i = NKN; i > 0; i -= r) {
		int j, n = i < 7 ? i : 7;

		r = kevent(kq, NULL, 0, ev, n, &ts);
		ASSERT_EQ(n, r);
		for (j = 0; j < r; j++)
			seen[(uintptr_t)ev[j].udata]++;
	}
	for (i = 0; i < NKN; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("knote %d (level-triggered knotes take turns)", i);
	close(kq);
}

/*
 * /proc/self/fdinfo/<kq> lists the knotes, one "knote:" line each with
 * "ident:N filter:N ... udata:0xN" fields, after a "knotes:" count.
 * Counts the knote lines for (ident, filter); *udata gets the last one's.
 */
static int fdinfo_knote_lines(int kq, unsigned long ident, int filter,
			      unsigned long *udata, int *total)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*total = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long id, ud;
		char *p;
		int fl;

		if (sscanf(line, "knotes: %d", &fl) == 1) {
			*total = fl;
			continue;
		}
		if (strncmp(line, "knote:", 6))
			continue;
		p = strstr(line, "ident:");
		if (!p || sscanf(p, "ident:%lu", &id) != 1)
			continue;
		p = strstr(line, "filter:");
		if (!p || sscanf(p, "filter:%d", &fl) != 1)
			continue;
		if (id != ident || fl != filter)
			continue;
		p = strstr(line, "udata:");
		if (p && sscanf(p, "udata:%lx", &ud) == 1)
			*udata = ud;
		n++;
	}
	fclose(f);
	return n;
}

TEST(fdinfo_lists_knotes)
{
	unsigned long ud = 0;
	int kq, p[2], total;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(0, fdinfo_knote_lines(kq, p[0], EVFILT_READ, &ud, &total));
	EXPECT_EQ(0, total);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0xabc1);
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0,
		     (void *)0xabc2);
	EXPECT_EQ(1, fdinfo_knote_lines(kq, p[0], EVFILT_READ, &ud, &total));
	EXPECT_EQ(0xabc1ul, ud);
	EXPECT_EQ(2, total);
	EXPECT_EQ(1, fdinfo_knote_lines(kq, p[1], EVFILT_WRITE, &ud, &total));
	EXPECT_EQ(0xabc2ul, ud);
	EXPECT_EQ(0, fdinfo_knote_lines(kq, p[1], EVFILT_READ, &ud, &total));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	EXPECT_EQ(0, fdinfo_knote_lines(kq, p[0], EVFILT_READ, &ud, &total));
	EXPECT_EQ(1, total);
	EXPECT_EQ(1, fdinfo_knote_lines(kq, p[1], EVFILT_WRITE, &ud, &total));
	/* close() removes the knote from the listing too. */
	ASSERT_EQ(0, close(p[1]));
	EXPECT_EQ(0, fdinfo_knote_lines(kq, p[1], EVFILT_WRITE, &ud, &total));
	EXPECT_EQ(0, total);
	close(kq);
	close(p[0]);
}

/* Many knotes, the table grown: each listed once, after the right count. */
TEST(fdinfo_lists_many_knotes)
{
	char path[64], line[512];
	int kq, i, n = 0, total = -1;
	FILE *f;

	KQ_OPEN(kq);
	for (i = 1; i <= 300; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_USER, EV_ADD, 0, 0, NULL);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kq);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "knotes: %d", &i) == 1)
			total = i;
		else if (!strncmp(line, "knote:", 6))
			n++;
	}
	fclose(f);
	EXPECT_EQ(300, total);
	EXPECT_EQ(300, n);
	close(kq);
}

TEST_HARNESS_MAIN
