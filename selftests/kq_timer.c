// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_TIMER: FreeBSD tests/sys/kqueue/libkqueue/timer.c and NetBSD
 * tests/kernel/kqueue/t_timer.c, plus the unit/validation rules and the
 * global timer limit.
 *
 * Timing: a timer must never fire before its period (asserted within
 * KQ_EARLY_MS); how late it may fire is bounded generously (QEMU TCG).
 * Expiration counts are checked against bounds computed from measured
 * time, not against nominal values.
 */
#include <poll.h>
#include "kq_wait.h"

FIXTURE(timer) {
	int kq;
};

FIXTURE_SETUP(timer)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(timer)
{
	if (self->kq >= 0)
		close(self->kq);
}

/* Every timer event: fflags 0 and no EV_ERROR. */
#define TIMER_EV_OK(ev) do {						\
	ASSERT_EQ(0u, (ev)->fflags);					\
	ASSERT_EQ(0, (ev)->flags & EV_ERROR);				\
} while (0)

/* kevent(EVFILT_TIMER, EV_ADD) then EV_DELETE: nothing fires afterwards. */
TEST_F_TIMEOUT(timer, add_delete, 60)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD, 0, 300, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	/* It would have fired at 300 ms. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 1000));
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* kevent(EVFILT_TIMER, wait): a 1000 ms timer fires once after ~1 s. */
TEST_F_TIMEOUT(timer, wait, 60)
{
	struct kevent ev;
	long long t0, dt;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD, 0, 1000, (void *)0x77);
	KQ_WAIT_ONE(self->kq, &ev, 1, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_EQ((void *)0x77, ev.udata);
	ASSERT_GE(dt, (1000 - KQ_EARLY_MS) * 1000LL) TH_LOG("fired after %lld us", dt);
	/* EV_CLEAR is implied: not reported again until the next expiry. */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* EV_ONESHOT: fires once, then the knote is gone. */
TEST_F_TIMEOUT(timer, oneshot, 60)
{
	struct kevent ev;
	long long t0, dt;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 3, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 500, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 3, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(dt, (500 - KQ_EARLY_MS) * 1000LL);
	KQ_CHECK_NONE(self->kq);
	/* Not again, even after more than two periods. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 1200));
	KQ_CHANGE_ERR(self->kq, ENOENT, 3, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/*
 * Periodic: fires again and again; data counts the expirations since the
 * last delivery (EV_CLEAR implied).
 */
TEST_F_TIMEOUT(timer, periodic, 60)
{
	struct kevent ev;
	long long t1, t2;

	KQ_CHANGE_OK(self->kq, 4, EVFILT_TIMER, EV_ADD, 0, 300, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 4, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	t1 = kq_now_us();
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 1);
	KQ_CHECK_NONE(self->kq);

	/* Again, without re-adding. */
	KQ_WAIT_ONE(self->kq, &ev, 4, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 1);
	t1 = kq_now_us();

	/* Three periods without harvesting: the expirations are counted. */
	kq_sleep_ms(3 * 300 + 100);
	KQ_NOW(self->kq, &ev, 4, EVFILT_TIMER);
	t2 = kq_now_us();
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 2);
	/* Cannot have expired more often than time allowed. */
	ASSERT_LE(ev.data, (t2 - t1) / 300000 + 1) TH_LOG("data %ld in %lld us", (long)ev.data, t2 - t1);
	/* Counted expirations were reset by the delivery. */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 4, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
}

/*
 * periodic_modify: re-adding a periodic timer restarts it with the new
 * period and throws away expirations not yet delivered.
 */
TEST_F_TIMEOUT(timer, periodic_modify, 60)
{
	struct kevent ev;
	long long t0, t1, dt;

	KQ_CHANGE_OK(self->kq, 5, EVFILT_TIMER, EV_ADD, 0, 100, NULL);
	kq_sleep_ms(450);			/* ~4 expirations pending */

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 5, EVFILT_TIMER, EV_ADD, 0, 2000, NULL);
	/* The undelivered expirations of the old timer are gone. */
	KQ_CHECK_NONE(self->kq);
	KQ_WAIT_ONE(self->kq, &ev, 5, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_GE(dt, (2000 - KQ_EARLY_MS) * 1000LL) TH_LOG("fired after %lld us", dt);
	ASSERT_EQ(1, ev.data);

	/* FreeBSD's periodic_modify: 500 ms, sleep past 2 periods: data 2. */
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 5, EVFILT_TIMER, EV_ADD, 0, 500, NULL);
	kq_sleep_ms(1250);
	t1 = kq_now_us();
	KQ_NOW(self->kq, &ev, 5, EVFILT_TIMER);
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 2);
	ASSERT_LE(ev.data, (t1 - t0) / 500000 + 1) TH_LOG("data %ld after %lld us", (long)ev.data, t1 - t0);
	KQ_CHANGE_OK(self->kq, 5, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/*
 * NetBSD modify: re-adding the SAME period after 2 s restarts the count:
 * only the expirations after the re-add are reported.
 */
TEST_F_TIMEOUT(timer, modify_same, 60)
{
	struct kevent ev;
	long long t0, t1;

	KQ_CHANGE_OK(self->kq, 6, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
	kq_sleep_ms(1000);			/* ~5 expirations pending */
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 6, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
	kq_sleep_ms(700);
	t1 = kq_now_us();
	KQ_NOW(self->kq, &ev, 6, EVFILT_TIMER);
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 2);
	/* At most what 200 ms periods since the re-add allow. */
	ASSERT_LE(ev.data, (t1 - t0) / 200000 + 1) TH_LOG("data %ld after %lld us", (long)ev.data, t1 - t0);
}

/* NetBSD count_expirations: data is the number of expirations. */
TEST_F_TIMEOUT(timer, count_expirations, 60)
{
	struct kevent ev;
	long long t0, t1, t2;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
	t1 = kq_now_us();
	kq_sleep_ms(5 * 200 + 100);
	t2 = kq_now_us();
	KQ_NOW(self->kq, &ev, 1, EVFILT_TIMER);
	TIMER_EV_OK(&ev);
	/* Expirations at 200, 400, ... since the add. */
	ASSERT_GE(ev.data, (t2 - t1) / 200000 - 1) TH_LOG("data %ld in %lld us", (long)ev.data, t2 - t1);
	ASSERT_LE(ev.data, (kq_now_us() - t0) / 200000) TH_LOG("data %ld", (long)ev.data);
	ASSERT_GE(ev.data, 5);
}

/*
 * EV_DISABLE / EV_ENABLE: a disabled timer is not reported but keeps
 * counting; enabling reports it at once with the count.
 */
TEST_F_TIMEOUT(timer, disable_enable, 60)
{
	struct kevent ev;
	long long t0, t1;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 7, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
	KQ_CHANGE_OK(self->kq, 7, EVFILT_TIMER, EV_DISABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	kq_sleep_ms(3 * 200 + 150);
	/* Expired three times, but disabled: nothing. */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 7, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 7, EVFILT_TIMER);
	t1 = kq_now_us();
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 2) TH_LOG("expirations while disabled were not counted");
	ASSERT_LE(ev.data, (t1 - t0) / 200000 + 1);
	KQ_CHANGE_OK(self->kq, 7, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* FreeBSD disable_and_enable: a oneshot that fired while disabled. */
TEST_F_TIMEOUT(timer, disable_enable_oneshot, 60)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 300, NULL);
	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_DISABLE, 0, 0, NULL);
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 800));
	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 8, EVFILT_TIMER);
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 8, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);

	/* Disabled before expiry and enabled before expiry: fires on time. */
	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1000, NULL);
	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_DISABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 8, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_WAIT_ONE(self->kq, &ev, 8, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_EQ(1, ev.data);
}

/*
 * EV_DISPATCH: disabled after each delivery; keeps counting while
 * disabled; EV_ENABLE re-arms and reports at once.
 */
TEST_F_TIMEOUT(timer, dispatch, 60)
{
	struct kevent ev;
	long long t0, t1;

	KQ_CHANGE_OK(self->kq, 9, EVFILT_TIMER, EV_ADD | EV_DISPATCH, 0, 200, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 9, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	t0 = kq_now_us();
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 1);
	/* Disabled now: three more periods bring nothing. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 3 * 200 + 150));
	KQ_CHANGE_OK(self->kq, 9, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 9, EVFILT_TIMER);
	t1 = kq_now_us();
	TIMER_EV_OK(&ev);
	ASSERT_GE(ev.data, 2);
	ASSERT_LE(ev.data, (t1 - t0) / 200000 + 1);
	/* And disabled again after that delivery. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 500));
	KQ_CHANGE_OK(self->kq, 9, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/*
 * NetBSD timer_units: 1 s expressed in each unit (and the default, ms)
 * fires after 1 s.  All five run concurrently.
 */
TEST_F_TIMEOUT(timer, units, 60)
{
	static const struct { unsigned int fflags; intptr_t data; } u[] = {
		{ NOTE_SECONDS,		1 },
		{ NOTE_MSECONDS,	1000 },
		{ NOTE_USECONDS,	1000000 },
		{ NOTE_NSECONDS,	1000000000 },
		{ 0,			1000 },		/* default: ms */
	};
	struct kevent ch[5], ev;
	long long t0, dt;
	int i, got = 0, seen[5] = { 0 };

	for (i = 0; i < 5; i++)
		EV_SET(&ch[i], 10 + i, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
		       u[i].fflags, u[i].data, NULL);
	t0 = kq_now_us();
	ASSERT_EQ(0, kevent(self->kq, ch, 5, NULL, 0, NULL)) TH_LOG("%s", strerror(errno));

	while (got < 5) {
		ASSERT_EQ(1, kq_poll(self->kq, &ev, 1, KQ_TIMER_WAIT_MS)) TH_LOG("only %d of 5 timers fired", got);
		dt = kq_now_us() - t0;
		ASSERT_EQ(EVFILT_TIMER, ev.filter);
		ASSERT_GE(ev.ident, 10u);
		ASSERT_LE(ev.ident, 14u);
		i = ev.ident - 10;
		ASSERT_EQ(0, seen[i]) TH_LOG("unit 0x%x fired twice", u[i].fflags);
		seen[i] = 1;
		got++;
		TIMER_EV_OK(&ev);
		ASSERT_EQ(1, ev.data);
		ASSERT_GE(dt, (1000 - KQ_EARLY_MS) * 1000LL) TH_LOG("unit 0x%x fired after %lld us", u[i].fflags, dt);
		ASSERT_LE(dt, 1000000LL + KQ_TIMER_WAIT_MS * 1000LL);
	}
	KQ_CHECK_NONE(self->kq);
}

/* A sub-unit period really uses the unit: 200000 us is 200 ms, not 200 s. */
TEST_F_TIMEOUT(timer, units_small, 60)
{
	struct kevent ev;
	long long t0, dt;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS,
	      200000, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_NSECONDS,
	      300000000, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 1, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	ASSERT_GE(dt, (200 - KQ_EARLY_MS) * 1000LL);
	KQ_WAIT_ONE(self->kq, &ev, 2, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	ASSERT_GE(dt, (300 - KQ_EARLY_MS) * 1000LL);
	TIMER_EV_OK(&ev);
}

/*
 * A period too long for the kernel's clock is accepted and clamped to the
 * longest one (FreeBSD: SBT_MAX), whether its nanoseconds overflow 64 bits
 * or only the clock's range: the timers are armed and do not fire.
 */
TEST_F(timer, huge_periods_clamped)
{
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
		     NOTE_SECONDS, INTPTR_MAX, NULL);
	if (sizeof(intptr_t) == 8)	/* 10^19 ns: beyond KTIME_MAX, in a u64 */
		KQ_CHANGE_OK(self->kq, 2, EVFILT_TIMER, EV_ADD, NOTE_USECONDS,
			     (intptr_t)10000000000000000LL, NULL);
	usleep(50 * 1000);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	if (sizeof(intptr_t) == 8)
		KQ_CHANGE_OK(self->kq, 2, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* More than one unit flag, or a negative period: EINVAL, nothing added. */
TEST_F(timer, invalid)
{
	static const unsigned int bad[] = {
		NOTE_SECONDS | NOTE_USECONDS,
		NOTE_SECONDS | NOTE_NSECONDS,
		NOTE_USECONDS | NOTE_NSECONDS,
		NOTE_MSECONDS | NOTE_SECONDS,
		NOTE_MSECONDS | NOTE_NSECONDS,
		NOTE_MSECONDS | NOTE_USECONDS,
		NOTE_SECONDS | NOTE_USECONDS | NOTE_NSECONDS,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KQ_CHANGE_ERR(self->kq, EINVAL, 1, EVFILT_TIMER, EV_ADD, bad[i], 1000,
		       NULL);
		KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_TIMER, EV_DELETE, 0, 0,
		       NULL);
	}
	KQ_CHANGE_ERR(self->kq, EINVAL, 1, EVFILT_TIMER, EV_ADD, 0, -1, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, 1, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	       NOTE_SECONDS, -5, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, 1, EVFILT_TIMER, EV_ADD, NOTE_USECONDS,
	       INTPTR_MIN, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);

	/* Modifying an existing timer with bad values fails too. */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_TIMER, EV_ADD, 0, 60000, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, 2, EVFILT_TIMER, EV_ADD, 0, -1, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, 2, EVFILT_TIMER, EV_ADD,
	       NOTE_SECONDS | NOTE_NSECONDS, 1, NULL);
	KQ_CHECK_NONE(self->kq);
}

/* NOTE_ABSOLUTE: now + 1 s (realtime, microseconds) fires after ~1 s. */
TEST_F_TIMEOUT(timer, abstime, 60)
{
	struct kevent ev;
	long long end, now;

	if (sizeof(intptr_t) < 8)	/* i386: data is 32 bits */
		SKIP(return, "an absolute time in microseconds does not fit in data");

	end = kq_real_us() + 1000000;
	KQ_CHANGE_OK(self->kq, 20, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, end, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_WAIT_ONE(self->kq, &ev, 20, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	now = kq_real_us();
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(now, end - KQ_EARLY_MS * 1000) TH_LOG("too early: %lld us before the deadline", end - now);
	/* Not again. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 1500));
	KQ_CHANGE_ERR(self->kq, ENOENT, 20, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* NOTE_ABSTIME is the same bit; seconds unit (NetBSD abstime). */
TEST_F_TIMEOUT(timer, abstime_seconds, 60)
{
	struct kevent ev;
	struct timespec ts;
	long long now;
	time_t deadline;

	ASSERT_EQ(NOTE_ABSOLUTE, NOTE_ABSTIME);
	clock_gettime(CLOCK_REALTIME, &ts);
	deadline = ts.tv_sec + 2;
	KQ_CHANGE_OK(self->kq, 21, EVFILT_TIMER, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS,
	      deadline, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 21, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	now = kq_real_us();
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(now, (long long)deadline * 1000000 - KQ_EARLY_MS * 1000);
	/* Not periodic, and without EV_CLEAR it stays triggered: data 1. */
	KQ_NOW(self->kq, &ev, 21, EVFILT_TIMER);
	ASSERT_EQ(1, ev.data);
	KQ_CHANGE_OK(self->kq, 21, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
}

/* FreeBSD abstime epoch: deadline 0 (ms) fires at once. */
TEST_F_TIMEOUT(timer, abstime_epoch, 60)
{
	struct kevent ev;
	long long t0, dt;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 22, EVFILT_TIMER, EV_ADD, NOTE_ABSOLUTE, 0, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 22, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_LT(dt, 1000000LL) TH_LOG("a deadline in the past took %lld us", dt);
	/* Not periodic, but fired for good (no EV_CLEAR): data stays 1. */
	KQ_NOW(self->kq, &ev, 22, EVFILT_TIMER);
	ASSERT_EQ(1, ev.data);
	/* Without EV_ONESHOT the knote stays until deleted (FreeBSD). */
	KQ_CHANGE_OK(self->kq, 22, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
}

/*
 * FreeBSD, NetBSD and OpenBSD add EV_CLEAR to relative timers only: a
 * fired absolute timer registered without it stays triggered, reported
 * by every kevent() with data 1 until deleted or modified.  EV_CLEAR
 * reports it once, EV_ONESHOT deletes it, EV_DISPATCH disables it after
 * one report (and EV_ENABLE reports it again).
 */
TEST_F_TIMEOUT(timer, abstime_stays_triggered, 60)
{
	struct pollfd pfd = { .fd = self->kq, .events = POLLIN };
	struct timespec ts;
	struct kevent ev;
	int i;

	KQ_CHANGE_OK(self->kq, 40, EVFILT_TIMER, EV_ADD, NOTE_ABSOLUTE, 0, NULL);
	for (i = 0; i < 4; i++) {
		KQ_WAIT_ONE(self->kq, &ev, 40, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
		TIMER_EV_OK(&ev);
		ASSERT_EQ(1, ev.data) TH_LOG("report %d", i);
		ASSERT_EQ(0, ev.flags & (EV_CLEAR | EV_ONESHOT));
	}
	/* the kqueue stays readable */
	ASSERT_EQ(1, poll(&pfd, 1, 0));

	/* A modify starts over: nothing until the new deadline. */
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &ts));
	KQ_CHANGE_OK(self->kq, 40, EVFILT_TIMER, EV_ADD, NOTE_ABSOLUTE | NOTE_SECONDS,
	      ts.tv_sec + 3600, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 40, EVFILT_TIMER, EV_ADD, NOTE_ABSOLUTE | NOTE_SECONDS,
	      ts.tv_sec - 10, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 40, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	KQ_NOW(self->kq, &ev, 40, EVFILT_TIMER);
	ASSERT_EQ(1, ev.data);
	KQ_CHANGE_OK(self->kq, 40, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, poll(&pfd, 1, 0));

	/* EV_CLEAR: once. */
	KQ_CHANGE_OK(self->kq, 41, EVFILT_TIMER, EV_ADD | EV_CLEAR, NOTE_ABSOLUTE, 0,
	      NULL);
	KQ_WAIT_ONE(self->kq, &ev, 41, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_EQ(1, ev.data);
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 300));
	KQ_CHANGE_OK(self->kq, 41, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);

	/* EV_ONESHOT: once, and the knote is gone. */
	KQ_CHANGE_OK(self->kq, 42, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_ABSOLUTE,
	      0, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 42, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 42, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);

	/* EV_DISPATCH: one report, then disabled; EV_ENABLE: again. */
	KQ_CHANGE_OK(self->kq, 43, EVFILT_TIMER, EV_ADD | EV_DISPATCH, NOTE_ABSOLUTE,
	      0, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 43, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_EQ(1, ev.data);
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 300));
	KQ_CHANGE_OK(self->kq, 43, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 43, EVFILT_TIMER);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 43, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* FreeBSD abstime postboot / preboot: a past deadline fires at once. */
TEST_F_TIMEOUT(timer, abstime_past, 60)
{
	struct kevent ev;
	struct timespec bt;
	long long t0, dt, past, preboot;

	if (sizeof(intptr_t) < 8)	/* i386: data is 32 bits */
		SKIP(return, "an absolute time in microseconds does not fit in data");
	ASSERT_EQ(0, clock_gettime(CLOCK_BOOTTIME, &bt));
	past = kq_real_us() - 1000000;
	preboot = kq_real_us() - ((long long)bt.tv_sec + 1) * 1000000;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 23, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, past, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 23, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_LT(dt, 1000000LL);

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 24, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, preboot, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 24, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_LT(dt, 1000000LL);

	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 1000));
}

/* Updating an absolute timer moves its deadline (both directions). */
TEST_F_TIMEOUT(timer, abstime_update, 60)
{
	struct kevent ev;
	long long t0, dt, end;

	if (sizeof(intptr_t) < 8)	/* i386: data is 32 bits */
		SKIP(return, "an absolute time in microseconds does not fit in data");

	/* Far deadline, then pulled in to now + 500 ms. */
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 25, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, kq_real_us() + 60000000LL, NULL);
	end = kq_real_us() + 500000;
	KQ_CHANGE_OK(self->kq, 25, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, end, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 25, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	ASSERT_GE(kq_real_us(), end - KQ_EARLY_MS * 1000);
	ASSERT_LT(dt, 30000000LL);
	ASSERT_EQ(1, ev.data);
	TIMER_EV_OK(&ev);

	/* Near deadline pushed out: must not fire at the old one. */
	KQ_CHANGE_OK(self->kq, 26, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, kq_real_us() + 300000, NULL);
	end = kq_real_us() + 1500000;
	KQ_CHANGE_OK(self->kq, 26, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, end, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 26, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_GE(kq_real_us(), end - KQ_EARLY_MS * 1000) TH_LOG("fired at the old deadline");
	ASSERT_EQ(1, ev.data);

	/* Absolute turned into a relative timer by re-adding. */
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 27, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
	      NOTE_ABSOLUTE | NOTE_USECONDS, kq_real_us() + 60000000LL, NULL);
	KQ_CHANGE_OK(self->kq, 27, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 300, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 27, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	ASSERT_GE(dt, (300 - KQ_EARLY_MS) * 1000LL);
	KQ_CHECK_NONE(self->kq);
}

/* FreeBSD test_update: 10 s oneshot re-added as 100 ms uses the new one. */
TEST_F_TIMEOUT(timer, update, 60)
{
	struct kevent ev;
	long long t0, dt;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 30, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS,
	      10000000, (void *)1);
	KQ_CHANGE_OK(self->kq, 30, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS,
	      100000, (void *)2);
	KQ_WAIT_ONE(self->kq, &ev, 30, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_EQ((void *)2, ev.udata);
	ASSERT_GE(dt, (100 - KQ_EARLY_MS) * 1000LL);
	ASSERT_LT(dt, 9000000LL) TH_LOG("the original 10 s period was used");
	KQ_CHECK_NONE(self->kq);
}

/*
 * FreeBSD test_update_equal: re-adding with the same period restarts it.
 * Sleep for part of the period first; the event must come a full period
 * after the re-add (whether or not the first expiry already happened).
 */
TEST_F_TIMEOUT(timer, update_equal, 60)
{
	struct kevent ev;
	long long t0, dt;

	KQ_CHANGE_OK(self->kq, 31, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 400, NULL);
	kq_sleep_ms(250);
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 31, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 400, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 31, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(dt, (400 - KQ_EARLY_MS) * 1000LL) TH_LOG("fired %lld us after the re-add: not restarted", dt);
	/* Only one event from the add and the re-add. */
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 600));
}

/*
 * FreeBSD test_update_expired: re-adding a timer that expired but was not
 * delivered discards that expiry and starts over.
 */
TEST_F_TIMEOUT(timer, update_expired, 60)
{
	struct kevent ev;
	long long t0, dt;

	KQ_CHANGE_OK(self->kq, 32, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 100, NULL);
	kq_sleep_ms(400);
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 32, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 300, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_WAIT_ONE(self->kq, &ev, 32, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(dt, (300 - KQ_EARLY_MS) * 1000LL);
	ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 600));
}

/*
 * FreeBSD test_update_timing (shortened): for delays around the period,
 * the only event is the re-added timer's, a full period after the re-add.
 */
TEST_F_TIMEOUT(timer, update_timing, 120)
{
	struct kevent ev;
	long long t0, dt;
	int delay;

	for (delay = 20; delay <= 80; delay += 10) {
		KQ_CHANGE_OK(self->kq, 33, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 50,
		      NULL);
		kq_sleep_ms(delay);
		t0 = kq_now_us();
		KQ_CHANGE_OK(self->kq, 33, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 50,
		      NULL);
		KQ_WAIT_ONE(self->kq, &ev, 33, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
		dt = kq_now_us() - t0;
		ASSERT_EQ(1, ev.data);
		ASSERT_GE(dt, (50 - KQ_EARLY_MS) * 1000LL) TH_LOG("delay %d ms: fired %lld us after the re-add", delay, dt);
		ASSERT_EQ(0, kq_poll(self->kq, &ev, 1, 120)) TH_LOG("delay %d ms: a second event", delay);
	}
}

/* FreeBSD test_update_periodic: re-added period applies from the re-add. */
TEST_F_TIMEOUT(timer, update_periodic, 60)
{
	struct kevent ev;
	long long t0, dt;

	KQ_CHANGE_OK(self->kq, 34, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 34, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	KQ_WAIT_ONE(self->kq, &ev, 34, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, 34, EVFILT_TIMER, EV_ADD, 0, 1000, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 34, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	TIMER_EV_OK(&ev);
	ASSERT_EQ(1, ev.data);
	ASSERT_GE(dt, (1000 - KQ_EARLY_MS) * 1000LL);
	/* Still periodic, with the new period. */
	KQ_WAIT_ONE(self->kq, &ev, 34, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	ASSERT_GE(dt, (2000 - KQ_EARLY_MS) * 1000LL);
	KQ_CHANGE_OK(self->kq, 34, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
}

/* NetBSD oneshot_udata for timers: udata round-trips on a oneshot. */
TEST_F_TIMEOUT(timer, oneshot_udata, 60)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1,
	      (void *)0xbeefcafeUL);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kq_poll(self->kq, &ev, 1, KQ_TIMER_WAIT_MS));
	ASSERT_EQ(1u, ev.ident);
	ASSERT_EQ(EVFILT_TIMER, ev.filter);
	ASSERT_EQ(1, ev.data);
	ASSERT_EQ((void *)0xbeefcafeUL, ev.udata);
}

/* Several timers in one kqueue are independent; idents are any number. */
TEST_F_TIMEOUT(timer, many_independent, 60)
{
	struct kevent ev;
	long long t0;
	int i;

	t0 = kq_now_us();
	KQ_CHANGE_OK(self->kq, (uintptr_t)-1, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0,
	      600, NULL);
	KQ_CHANGE_OK(self->kq, 0, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 200, NULL);
	KQ_CHANGE_OK(self->kq, 123456789, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 400,
	      NULL);
	KQ_WAIT_ONE(self->kq, &ev, 0, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	KQ_WAIT_ONE(self->kq, &ev, 123456789, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_GE(kq_now_us() - t0, (400 - KQ_EARLY_MS) * 1000LL);
	KQ_WAIT_ONE(self->kq, &ev, (uintptr_t)-1, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_GE(kq_now_us() - t0, (600 - KQ_EARLY_MS) * 1000LL);
	for (i = 0; i < 3; i++)
		KQ_CHECK_NONE(self->kq);
}

/*
 * Robustness: kqueues closed (and timers deleted) while their timers are
 * firing every 500 us.  Nothing may crash or warn (kq-vm fails on a
 * kernel warning), and timers keep working afterwards.
 */
TEST_F_TIMEOUT(timer, close_while_firing, 120)
{
	struct kevent ch[16], ev;
	int i, j, kq;

	for (i = 0; i < 200; i++) {
		kq = kqueue();
		ASSERT_LE(0, kq);
		for (j = 0; j < 16; j++)
			EV_SET(&ch[j], j, EVFILT_TIMER, EV_ADD, NOTE_USECONDS,
			       500 + j, NULL);
		ASSERT_EQ(0, kevent(kq, ch, 16, NULL, 0, NULL));
		if (i % 2)
			kq_poll(kq, (struct kevent[4]){ 0 }, 4, 1);
		else
			kq_sleep_ms(1);
		/* Delete half of them, close with the rest still armed. */
		for (j = 0; j < 8; j++)
			EV_SET(&ch[j], j, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
		ASSERT_EQ(0, kevent(kq, ch, 8, NULL, 0, NULL));
		ASSERT_EQ(0, close(kq));
	}
	/* Re-adding while firing, many times. */
	for (i = 0; i < 500; i++)
		KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_ADD, NOTE_USECONDS, 200,
		      NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	kq_sleep_ms(10);
	/* Whatever fired before the delete went with the knote. */
	KQ_CHECK_NONE(self->kq);

	KQ_CHANGE_OK(self->kq, 2, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 100, NULL);
	KQ_WAIT_ONE(self->kq, &ev, 2, EVFILT_TIMER, KQ_TIMER_WAIT_MS);
	ASSERT_EQ(1, ev.data);
}

/*
 * The global timer limit (FreeBSD kern.kq_calloutmax): with max_timers
 * lowered to 10, the eleventh timer is ENOMEM; a slot freed by EV_DELETE
 * can be reused.
 */
#define MAX_TIMERS_PARAM "/sys/module/kqueue/parameters/max_timers"

FIXTURE(tlimit) {
	int kq;
	char saved[64];
	int restore;
};

FIXTURE_SETUP(tlimit)
{
	self->kq = -1;
	self->restore = 0;
}

FIXTURE_TEARDOWN(tlimit)
{
	int fd;

	if (self->kq >= 0)
		close(self->kq);
	if (self->restore) {
		fd = open(MAX_TIMERS_PARAM, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, self->saved, strlen(self->saved)) < 0)
				TH_LOG("restoring max_timers: %s",
				       strerror(errno));
			close(fd);
		}
	}
}

TEST_F_TIMEOUT(tlimit, max_timers, 60)
{
	ssize_t n;
	int fd, i, r;

	fd = open(MAX_TIMERS_PARAM, O_RDONLY);
	if (fd < 0)
		SKIP(return, MAX_TIMERS_PARAM " absent");
	n = read(fd, self->saved, sizeof(self->saved) - 1);
	close(fd);
	ASSERT_LT(0, n);
	self->saved[n] = '\0';

	fd = open(MAX_TIMERS_PARAM, O_WRONLY);
	if (fd < 0)
		SKIP(return, MAX_TIMERS_PARAM " not writable: %s",
		     strerror(errno));
	r = write(fd, "10", 2);
	close(fd);
	if (r != 2)
		SKIP(return, "writing " MAX_TIMERS_PARAM ": %s",
		     strerror(errno));
	self->restore = 1;

	self->kq = kqueue();
	ASSERT_LE(0, self->kq);
	for (i = 0; i < 10; i++)
		KQ_CHANGE_OK(self->kq, 100 + i, EVFILT_TIMER, EV_ADD, 0, 600000,
		      NULL);
	KQ_CHANGE_ERR(self->kq, ENOMEM, 110, EVFILT_TIMER, EV_ADD, 0, 600000, NULL);
	/* Modifying one of the ten is not a new timer. */
	KQ_CHANGE_OK(self->kq, 105, EVFILT_TIMER, EV_ADD, 0, 500000, NULL);
	KQ_CHANGE_OK(self->kq, 100, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 110, EVFILT_TIMER, EV_ADD, 0, 600000, NULL);
	KQ_CHANGE_ERR(self->kq, ENOMEM, 111, EVFILT_TIMER, EV_ADD, 0, 600000, NULL);
	/* Closing the kqueue releases its timers. */
	close(self->kq);
	self->kq = kqueue();
	ASSERT_LE(0, self->kq);
	for (i = 0; i < 10; i++)
		KQ_CHANGE_OK(self->kq, 200 + i, EVFILT_TIMER, EV_ADD, 0, 600000,
		      NULL);
	KQ_CHANGE_ERR(self->kq, ENOMEM, 210, EVFILT_TIMER, EV_ADD, 0, 600000, NULL);
}

TEST_HARNESS_MAIN
