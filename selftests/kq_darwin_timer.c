// SPDX-License-Identifier: GPL-2.0
/*
 * Darwin's EVFILT_TIMER flags: NOTE_MACHTIME (nanoseconds here, timebase
 * 1/1; absolute deadlines on CLOCK_MONOTONIC, or CLOCK_BOOTTIME with
 * NOTE_MACH_CONTINUOUS_TIME), NOTE_LEEWAY (slop in ext[1]),
 * NOTE_CRITICAL, NOTE_BACKGROUND, and NOTE_ABSOLUTE as Darwin's manual has
 * it through kevent64(): a gettimeofday deadline and an EV_ONESHOT timer.
 *
 * Timing: a timer must never fire before its deadline; how late it may
 * fire is bounded generously (QEMU TCG).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/event.h>
#include <sys/time.h>

#include "kselftest_harness.h"

/* Slack allowed for a timer's lateness under TCG, and for clock reads. */
#define LATE_NS		(2000LL * 1000 * 1000)
#define EARLY_NS	(2LL * 1000 * 1000)

FIXTURE(dt) {
	int kq;
};

FIXTURE_SETUP(dt)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(dt)
{
	close(self->kq);
}

static long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One change through kevent64(); returns 0 or the errno it reported. */
static int change(int kq, __u64 ident, __u16 flags, __u32 fflags,
		  __s64 data, __u64 ext1)
{
	struct kevent64_s ch, ev;
	int n;

	EV_SET64(&ch, ident, EVFILT_TIMER, flags | EV_RECEIPT, fflags, data,
		 0, 0, ext1);
	n = kevent64(kq, &ch, 1, &ev, 1, KEVENT_FLAG_ERROR_EVENTS, NULL);
	if (n != 1)
		return n < 0 ? errno : -1000;
	return ev.data;
}

/* Wait up to @ms for one event. */
static int wait_one(int kq, struct kevent64_s *ev, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	return kevent64(kq, NULL, 0, ev, 1, 0, &ts);
}

static int poll_one(int kq, struct kevent64_s *ev)
{
	return kevent64(kq, NULL, 0, ev, 1, KEVENT_FLAG_IMMEDIATE, NULL);
}

/* The timebase says a Mach unit is a nanosecond. */
TEST(timebase_is_one)
{
	struct kq_mach_timebase_info tb = { 0, 0 };

	ASSERT_EQ(0, kq_mach_timebase_info(&tb));
	EXPECT_EQ(1u, tb.numer);
	EXPECT_EQ(1u, tb.denom);
}

/* NOTE_MACHTIME: 300e6 units is 300 ms (not 300e6 ms nor 300 s). */
TEST_F(dt, machtime_relative_is_ns)
{
	struct kevent64_s ev;
	long long t0 = clock_ns(CLOCK_MONOTONIC), dt;

	ASSERT_EQ(0, change(self->kq, 1, EV_ADD | EV_ONESHOT, NOTE_MACHTIME,
			    300000000, 0));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	dt = clock_ns(CLOCK_MONOTONIC) - t0;
	EXPECT_EQ(1u, ev.ident);
	EXPECT_EQ(1, ev.data);
	EXPECT_LE(300000000LL - EARLY_NS, dt);
	EXPECT_GE(300000000LL + LATE_NS, dt);
}

/* A periodic NOTE_MACHTIME timer counts its periods. */
TEST_F(dt, machtime_periodic)
{
	struct kevent64_s ev;

	ASSERT_EQ(0, change(self->kq, 2, EV_ADD, NOTE_MACHTIME, 20000000, 0));
	usleep(250 * 1000);
	ASSERT_EQ(1, poll_one(self->kq, &ev));
	EXPECT_LE(5, ev.data);
	EXPECT_TRUE(ev.flags & EV_CLEAR);
}

/*
 * NOTE_ABSOLUTE | NOTE_MACHTIME: a CLOCK_MONOTONIC deadline, and the timer
 * is one-shot (kevent64()).
 */
TEST_F(dt, machtime_absolute)
{
	struct kevent64_s ev;
	long long dl = clock_ns(CLOCK_MONOTONIC) + 200000000LL;

	ASSERT_EQ(0, change(self->kq, 3, EV_ADD, NOTE_ABSOLUTE | NOTE_MACHTIME,
			    dl, 0));
	ASSERT_EQ(0, poll_one(self->kq, &ev));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	EXPECT_LE(dl - EARLY_NS, clock_ns(CLOCK_MONOTONIC));
	EXPECT_GE(dl + LATE_NS, clock_ns(CLOCK_MONOTONIC));
	EXPECT_EQ(1, ev.data);
	EXPECT_TRUE(ev.flags & EV_ONESHOT);
	EXPECT_EQ(ENOENT, change(self->kq, 3, EV_DELETE, 0, 0, 0));
}

/* With NOTE_MACH_CONTINUOUS_TIME the deadline is CLOCK_BOOTTIME's. */
TEST_F(dt, machtime_absolute_continuous)
{
	struct kevent64_s ev;
	long long dl = clock_ns(CLOCK_BOOTTIME) + 200000000LL;

	ASSERT_EQ(0, change(self->kq, 4, EV_ADD, NOTE_ABSOLUTE |
			    NOTE_MACHTIME | NOTE_MACH_CONTINUOUS_TIME, dl, 0));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	EXPECT_LE(dl - EARLY_NS, clock_ns(CLOCK_BOOTTIME));
	EXPECT_EQ(ENOENT, change(self->kq, 4, EV_DELETE, 0, 0, 0));
}

/* NOTE_MACH_CONTINUOUS_TIME alone: an interval timer like any other. */
TEST_F(dt, continuous_interval)
{
	struct kevent64_s ev;
	long long t0 = clock_ns(CLOCK_MONOTONIC);

	ASSERT_EQ(0, change(self->kq, 5, EV_ADD | EV_ONESHOT,
			    NOTE_MACH_CONTINUOUS_TIME, 100, 0));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	EXPECT_LE(100000000LL - EARLY_NS, clock_ns(CLOCK_MONOTONIC) - t0);
}

/*
 * Darwin's NOTE_ABSOLUTE: a gettimeofday deadline in the timer's unit
 * (here seconds and the default milliseconds), one-shot through kevent64().
 */
TEST_F(dt, absolute_realtime_oneshot)
{
	struct kevent64_s ev;
	struct timeval tv;
	long long dl_ms;

	gettimeofday(&tv, NULL);
	dl_ms = tv.tv_sec * 1000LL + tv.tv_usec / 1000 + 300;
	ASSERT_EQ(0, change(self->kq, 6, EV_ADD, NOTE_ABSOLUTE, dl_ms, 0));
	ASSERT_EQ(0, poll_one(self->kq, &ev));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	gettimeofday(&tv, NULL);
	EXPECT_LE(dl_ms - 2, tv.tv_sec * 1000LL + tv.tv_usec / 1000);
	EXPECT_EQ(6u, ev.ident);
	EXPECT_EQ(1, ev.data);
	/* implicit EV_ONESHOT: the knote is gone */
	EXPECT_EQ(ENOENT, change(self->kq, 6, EV_DELETE, 0, 0, 0));
	/* a deadline in the past fires at once, in seconds too */
	ASSERT_EQ(0, change(self->kq, 7, EV_ADD, NOTE_ABSOLUTE | NOTE_SECONDS,
			    tv.tv_sec - 10, 0));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 1000));
	EXPECT_EQ(7u, ev.ident);
	EXPECT_EQ(ENOENT, change(self->kq, 7, EV_DELETE, 0, 0, 0));
}

/* Through plain kevent(), NOTE_ABSOLUTE keeps FreeBSD's meaning: it stays. */
TEST_F(dt, absolute_plain_kevent_stays)
{
	struct kevent ch, ev;
	struct timespec zero = { 0, 0 }, wait = { 2, 0 };
	struct timeval tv;

	gettimeofday(&tv, NULL);
	EV_SET(&ch, 8, EVFILT_TIMER, EV_ADD, NOTE_ABSOLUTE | NOTE_SECONDS,
	       tv.tv_sec - 10, NULL);
	ASSERT_EQ(1, kevent(self->kq, &ch, 1, &ev, 1, &wait));
	EV_SET(&ch, 8, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	EXPECT_EQ(0, kevent(self->kq, &ch, 1, NULL, 0, &zero));
}

/*
 * NOTE_LEEWAY: ext[1] (in the timer's unit) is slop after the deadline:
 * never early, and never later than the leeway (plus scheduling).
 */
TEST_F(dt, leeway)
{
	struct kevent64_s ev;
	long long t0 = clock_ns(CLOCK_MONOTONIC), dt;

	ASSERT_EQ(0, change(self->kq, 9, EV_ADD | EV_ONESHOT, NOTE_LEEWAY,
			    200, 300));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	dt = clock_ns(CLOCK_MONOTONIC) - t0;
	EXPECT_LE(200000000LL - EARLY_NS, dt);
	EXPECT_GE(500000000LL + LATE_NS, dt);
	/* ext[1] comes back as given */
	EXPECT_EQ(300u, ev.ext[1]);
}

/*
 * A huge leeway is accepted and capped at a second: the timer still fires,
 * also when the leeway in its unit overflows 64 bits of nanoseconds.
 */
TEST_F(dt, leeway_huge)
{
	static const __u32 unit[] = { NOTE_NSECONDS, NOTE_USECONDS };
	static const __s64 period[] = { 100000000, 100000 };	/* 100 ms */
	struct kevent64_s ev;
	long long t0, dt;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		ASSERT_EQ(0, change(self->kq, 10 + i, EV_ADD | EV_ONESHOT,
				    NOTE_LEEWAY | unit[i], period[i], ~0ull));
		ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
		dt = clock_ns(CLOCK_MONOTONIC) - t0;
		EXPECT_EQ(10u + i, ev.ident);
		EXPECT_LE(100000000LL - EARLY_NS, dt);
		EXPECT_GE(1100000000LL + LATE_NS, dt);
	}
}

/* A periodic timer with leeway keeps its period on average. */
TEST_F(dt, leeway_periodic)
{
	struct kevent64_s ev;

	ASSERT_EQ(0, change(self->kq, 11, EV_ADD, NOTE_LEEWAY, 20, 5));
	usleep(300 * 1000);
	ASSERT_EQ(1, poll_one(self->kq, &ev));
	EXPECT_LE(8, ev.data);
}

/* NOTE_CRITICAL and NOTE_BACKGROUND: accepted, alone or together. */
TEST_F(dt, critical_background)
{
	static const __u32 ff[] = {
		NOTE_CRITICAL, NOTE_BACKGROUND, NOTE_CRITICAL | NOTE_BACKGROUND,
		NOTE_BACKGROUND | NOTE_LEEWAY, NOTE_CRITICAL | NOTE_LEEWAY,
	};
	struct kevent64_s ev;
	long long t0 = clock_ns(CLOCK_MONOTONIC);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ff); i++)
		ASSERT_EQ(0, change(self->kq, 20 + i, EV_ADD | EV_ONESHOT,
				    ff[i], 100, 10)) TH_LOG("fflags %#x", ff[i]);
	for (i = 0; i < ARRAY_SIZE(ff); i++) {
		ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
		EXPECT_EQ(1, ev.data);
	}
	EXPECT_LE(100000000LL - EARLY_NS, clock_ns(CLOCK_MONOTONIC) - t0);
}

/* Re-adding with other flags restarts the timer with them. */
TEST_F(dt, readd_changes_unit)
{
	struct kevent64_s ev;
	long long t0;

	ASSERT_EQ(0, change(self->kq, 30, EV_ADD | EV_ONESHOT, NOTE_SECONDS,
			    100, 0));
	t0 = clock_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, change(self->kq, 30, EV_ADD | EV_ONESHOT,
			    NOTE_MACHTIME | NOTE_LEEWAY, 100000000, 1000));
	ASSERT_EQ(1, wait_one(self->kq, &ev, 5000));
	EXPECT_LE(100000000LL - EARLY_NS, clock_ns(CLOCK_MONOTONIC) - t0);
}

/* Bad combinations: EINVAL, as for any bad timer. */
TEST_F(dt, invalid)
{
	EXPECT_EQ(EINVAL, change(self->kq, 40, EV_ADD,
				 NOTE_MACHTIME | NOTE_NSECONDS, 1, 0));
	EXPECT_EQ(EINVAL, change(self->kq, 40, EV_ADD,
				 NOTE_MACHTIME | NOTE_SECONDS, 1, 0));
	EXPECT_EQ(EINVAL, change(self->kq, 40, EV_ADD, NOTE_MACHTIME, -1, 0));
	EXPECT_EQ(EINVAL, change(self->kq, 40, EV_ADD, 0x400, 1, 0));
	EXPECT_EQ(EINVAL, change(self->kq, 40, EV_ADD, 0x80000000u, 1, 0));
	EXPECT_EQ(ENOENT, change(self->kq, 40, EV_DELETE, 0, 0, 0));
}

TEST_HARNESS_MAIN
