// SPDX-License-Identifier: GPL-2.0
/*
 * Darwin's kevent64() (48-byte struct kevent64_s) and kevent_qos()
 * (72-byte struct kevent_qos_s): records in place, ext[] and qos kept per
 * knote and returned, receipts and errors with the caller's flags plus
 * EV_ERROR, and the KEVENT_FLAG_* call flags with their error paths.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/event.h>

#include "kselftest_harness.h"

FIXTURE(k64) {
	int kq;
};

FIXTURE_SETUP(k64)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(k64)
{
	close(self->kq);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM without SA_RESTART: a call that blocks ends with EINTR. */
static void arm_alarm(unsigned int seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/* EVFILT_USER through kevent64(): ext[] and udata come back as registered. */
TEST_F(k64, user_round_trip_keeps_ext)
{
	struct kevent64_s ch[2], ev[3];

	EV_SET64(&ch[0], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, 0x1234,
		 0xaaaa, 0xbbbb);
	EV_SET64(&ch[1], 7, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x55,
		 0, 0x5678, 0, 0);
	memset(ev, 0xff, sizeof(ev));
	ASSERT_EQ(1, kevent64(self->kq, ch, 2, ev, 3, 0, NULL));
	EXPECT_EQ(7u, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	EXPECT_EQ(0x55u, ev[0].fflags);
	EXPECT_EQ(0x5678u, ev[0].udata);
	/* Darwin keeps the registration's flags, EV_ADD included */
	EXPECT_EQ(EV_ADD | EV_CLEAR, ev[0].flags);
	EXPECT_EQ(0xaaaau, ev[0].ext[0]);
	EXPECT_EQ(0xbbbbu, ev[0].ext[1]);
	/* exactly 48 bytes written: the next slot is untouched */
	EXPECT_EQ(~0ull, ev[1].ident);
	ASSERT_EQ(0, kevent64(self->kq, NULL, 0, ev, 3, KEVENT_FLAG_IMMEDIATE,
			      NULL));
}

/* A receipt: the change's flags with EV_ERROR, data 0, ext[] as given. */
TEST_F(k64, receipt_keeps_callers_flags)
{
	struct kevent64_s ch, ev;

	EV_SET64(&ch, 1, EVFILT_USER, EV_ADD | EV_RECEIPT | EV_DISPATCH, 0, 0,
		 42, 1, 2);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent64(self->kq, &ch, 1, &ev, 1, 0, NULL));
	EXPECT_EQ(EV_ADD | EV_RECEIPT | EV_DISPATCH | EV_ERROR, ev.flags);
	EXPECT_EQ(0, ev.data);
	EXPECT_EQ(1u, ev.ident);
	EXPECT_EQ(42u, ev.udata);
	EXPECT_EQ(1u, ev.ext[0]);
	EXPECT_EQ(2u, ev.ext[1]);
}

/* A failed change with room: an error record, EV_ERROR added to its flags. */
TEST_F(k64, error_record)
{
	struct kevent64_s ch, ev;

	EV_SET64(&ch, 99, EVFILT_USER, EV_DELETE, 0, 0, 0xabc, 3, 4);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent64(self->kq, &ch, 1, &ev, 1, 0, NULL));
	EXPECT_EQ(EV_DELETE | EV_ERROR, ev.flags);
	EXPECT_EQ(ENOENT, ev.data);
	EXPECT_EQ(99u, ev.ident);
	EXPECT_EQ(0xabcu, ev.udata);
	EXPECT_EQ(3u, ev.ext[0]);
	EXPECT_EQ(4u, ev.ext[1]);
}

/* A failed change without room: the call fails with its errno. */
TEST_F(k64, error_without_room)
{
	struct kevent64_s ch;

	EV_SET64(&ch, 99, EVFILT_USER, EV_DELETE, 0, 0, 0, 0, 0);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	EV_SET64(&ch, 0, EVFILT_READ, EV_ADD, 0, 0, 0, 0, 0);
	ch.ident = 987654;
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EXPECT_EQ(EBADF, errno);
	EV_SET64(&ch, 1, -100, EV_ADD, 0, 0, 0, 0, 0);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
}

/* A timer through kevent64(): data counts the expirations. */
TEST_F(k64, timer_counts)
{
	struct kevent64_s ch, ev;
	struct timespec ts = { 2, 0 };

	EV_SET64(&ch, 5, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 20, 9, 0, 0);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent64(self->kq, &ch, 1, &ev, 1, 0, &ts));
	EXPECT_EQ(5u, ev.ident);
	EXPECT_EQ(EVFILT_TIMER, ev.filter);
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ(9u, ev.udata);
}

/* The timeout is honoured: nothing happens, 0 after about that long. */
TEST_F(k64, timeout_expires)
{
	struct kevent64_s ev;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	double t0 = now_s();

	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, 0, &ts));
	EXPECT_LE(0.09, now_s() - t0);
}

/* KEVENT_FLAG_IMMEDIATE: a poll even with no timeout given. */
TEST_F(k64, flag_immediate_polls)
{
	struct kevent64_s ev;

	arm_alarm(5);
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1, KEVENT_FLAG_IMMEDIATE,
			      NULL));
	alarm(0);
}

/* Without KEVENT_FLAG_IMMEDIATE and no timeout, it waits (here: EINTR). */
TEST_F(k64, no_timeout_waits)
{
	struct kevent64_s ev;
	double t0 = now_s();

	arm_alarm(1);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, NULL, 0, &ev, 1, 0, NULL));
	EXPECT_EQ(EINTR, errno);
	EXPECT_LE(0.5, now_s() - t0);
}

/*
 * KEVENT_FLAG_ERROR_EVENTS: the changes are applied, a pending event is
 * not harvested (nor waited for), an error is reported.
 */
TEST_F(k64, flag_error_events)
{
	struct kevent64_s ch[2], ev[2];

	EV_SET64(&ch[0], 3, EVFILT_USER, EV_ADD, 0, 0, 0, 0, 0);
	EV_SET64(&ch[1], 3, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0, 0, 0);
	arm_alarm(5);
	EXPECT_EQ(0, kevent64(self->kq, ch, 2, ev, 2,
			      KEVENT_FLAG_ERROR_EVENTS, NULL));
	alarm(0);
	/* applied: the trigger is there for the next call */
	ASSERT_EQ(1, kevent64(self->kq, NULL, 0, ev, 2, KEVENT_FLAG_IMMEDIATE,
			      NULL));
	EXPECT_EQ(3u, ev[0].ident);
	/* an error (and a receipt) are still reported */
	EV_SET64(&ch[0], 4, EVFILT_USER, EV_DELETE, 0, 0, 0, 0, 0);
	EV_SET64(&ch[1], 3, EVFILT_USER, EV_RECEIPT, NOTE_TRIGGER, 0, 0, 0, 0);
	ASSERT_EQ(2, kevent64(self->kq, ch, 2, ev, 2,
			      KEVENT_FLAG_ERROR_EVENTS, NULL));
	EXPECT_EQ(EV_DELETE | EV_ERROR, ev[0].flags);
	EXPECT_EQ(ENOENT, ev[0].data);
	EXPECT_EQ(EV_RECEIPT | EV_ERROR, ev[1].flags);
	EXPECT_EQ(0, ev[1].data);
}

/* KEVENT_FLAG_STACK_DATA is accepted. */
TEST_F(k64, flag_stack_data_accepted)
{
	struct kevent64_s ch, ev;

	EV_SET64(&ch, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, 0, 0, 0);
	EXPECT_EQ(1, kevent64(self->kq, &ch, 1, &ev, 1,
			      KEVENT_FLAG_STACK_DATA | KEVENT_FLAG_IMMEDIATE,
			      NULL));
}

/* Any other flag bit: EINVAL, and no change is applied. */
TEST_F(k64, unknown_flags_einval)
{
	static const unsigned int bad[] = { 0x4, 0x10, 0x20, 0x400,
					    0x80000000u };
	struct kevent64_s ch, ev;
	unsigned int i;

	EV_SET64(&ch, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, 0, 0, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, &ev, 1, bad[i], NULL));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flag %#x", bad[i]);
	}
	EXPECT_EQ(0, kevent64(self->kq, NULL, 0, &ev, 1,
			      KEVENT_FLAG_IMMEDIATE, NULL));
}

/* Bad descriptors, counts and pointers: BSD's errno values. */
TEST_F(k64, bad_arguments)
{
	struct kevent64_s ch, ev;
	int p[2];

	errno = 0;
	EXPECT_EQ(-1, kevent64(-1, NULL, 0, &ev, 1, KEVENT_FLAG_IMMEDIATE,
			       NULL));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, pipe(p));
	errno = 0;
	EXPECT_EQ(-1, kevent64(p[0], NULL, 0, &ev, 1, KEVENT_FLAG_IMMEDIATE,
			       NULL));
	EXPECT_EQ(EBADF, errno);
	close(p[0]);
	close(p[1]);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, NULL, -1, &ev, 1,
			       KEVENT_FLAG_IMMEDIATE, NULL));
	EXPECT_EQ(EINVAL, errno);
	EV_SET64(&ch, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, 0, 0, 0);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, (void *)8, 1,
			       KEVENT_FLAG_IMMEDIATE, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, kevent64(self->kq, (void *)8, 1, &ev, 1,
			       KEVENT_FLAG_IMMEDIATE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * kevent_qos(): qos and ext[4] kept with the knote and returned, xflags 0
 * in events; data_out and data_available are left alone.
 */
TEST_F(k64, qos_round_trip)
{
	struct kevent_qos_s ch[2], ev[2];
	char out[16];
	size_t avail = 1234;

	EV_SET_QOS(&ch[0], 11, EVFILT_USER, EV_ADD | EV_CLEAR, 0x15, 0x77, 0,
		   0x99, 0, 10, 20, 30, 40);
	EV_SET_QOS(&ch[1], 11, EVFILT_USER, 0, 0, 0x77,
		   NOTE_TRIGGER | NOTE_FFCOPY | 0x3, 0, 0, 0, 0, 0, 0);
	memset(ev, 0xee, sizeof(ev));
	memset(out, 0x5a, sizeof(out));
	ASSERT_EQ(1, kevent_qos(self->kq, ch, 2, ev, 2, out, &avail,
				KEVENT_FLAG_IMMEDIATE));
	EXPECT_EQ(11u, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	EXPECT_EQ(EV_ADD | EV_CLEAR, ev[0].flags);
	EXPECT_EQ(0x15, ev[0].qos);
	EXPECT_EQ(0x77u, ev[0].udata);
	EXPECT_EQ(0x3u, ev[0].fflags);
	EXPECT_EQ(0u, ev[0].xflags);
	EXPECT_EQ(10u, ev[0].ext[0]);
	EXPECT_EQ(20u, ev[0].ext[1]);
	EXPECT_EQ(30u, ev[0].ext[2]);
	EXPECT_EQ(40u, ev[0].ext[3]);
	/* 72 bytes written, not more */
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeull, ev[1].ident);
	EXPECT_EQ(1234u, avail);
	EXPECT_EQ(0x5a, out[0]);
	EXPECT_EQ(0x5a, out[15]);
}

/* kevent_qos() receipts and errors echo qos and xflags as given. */
TEST_F(k64, qos_receipt_and_error)
{
	struct kevent_qos_s ch[2], ev[2];

	EV_SET_QOS(&ch[0], 12, EVFILT_USER, EV_ADD | EV_RECEIPT, 0x21, 5, 0,
		   0x1234, 0, 1, 2, 3, 4);
	EV_SET_QOS(&ch[1], 13, EVFILT_USER, EV_ENABLE, 0x22, 6, 0, 0x4321, 0,
		   0, 0, 0, 9);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(2, kevent_qos(self->kq, ch, 2, ev, 2, NULL, NULL, 0));
	EXPECT_EQ(EV_ADD | EV_RECEIPT | EV_ERROR, ev[0].flags);
	EXPECT_EQ(0, ev[0].data);
	EXPECT_EQ(0x21, ev[0].qos);
	EXPECT_EQ(0x1234u, ev[0].xflags);
	EXPECT_EQ(4u, ev[0].ext[3]);
	EXPECT_EQ(EV_ENABLE | EV_ERROR, ev[1].flags);
	EXPECT_EQ(ENOENT, ev[1].data);
	EXPECT_EQ(0x22, ev[1].qos);
	EXPECT_EQ(0x4321u, ev[1].xflags);
	EXPECT_EQ(9u, ev[1].ext[3]);
}

/* kevent_qos() has no timeout: it waits for an event. */
TEST_F(k64, qos_waits_for_event)
{
	struct kevent_qos_s ch, ev;
	double t0 = now_s();

	EV_SET_QOS(&ch, 1, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 0, 0, 0, 100,
		   0, 0, 0, 0);
	arm_alarm(5);
	ASSERT_EQ(1, kevent_qos(self->kq, &ch, 1, &ev, 1, NULL, NULL, 0));
	alarm(0);
	EXPECT_EQ(EVFILT_TIMER, ev.filter);
	EXPECT_EQ(1, ev.data);
	EXPECT_LE(0.09, now_s() - t0);
}

/* kevent_qos() with KEVENT_FLAG_IMMEDIATE and nothing pending: 0. */
TEST_F(k64, qos_immediate_and_flags)
{
	struct kevent_qos_s ch, ev;

	arm_alarm(5);
	EXPECT_EQ(0, kevent_qos(self->kq, NULL, 0, &ev, 1, NULL, NULL,
				KEVENT_FLAG_IMMEDIATE));
	alarm(0);
	EV_SET_QOS(&ch, 1, EVFILT_USER, EV_ADD, 0, 0, NOTE_TRIGGER, 0, 0, 0, 0,
		   0, 0);
	errno = 0;
	EXPECT_EQ(-1, kevent_qos(self->kq, &ch, 1, &ev, 1, NULL, NULL, 0x40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kevent_qos(self->kq, &ch, 1, &ev, 1, NULL, NULL,
				KEVENT_FLAG_ERROR_EVENTS));
	EXPECT_EQ(1, kevent_qos(self->kq, NULL, 0, &ev, 1, NULL, NULL,
				KEVENT_FLAG_IMMEDIATE | KEVENT_FLAG_STACK_DATA));
}

/* One kqueue, three record sizes: the same knote seen through each. */
TEST_F(k64, record_sizes_mix)
{
	struct kevent k;
	struct kevent64_s e64;
	struct kevent_qos_s eq;
	struct timespec zero = { 0, 0 };

	EV_SET64(&e64, 2, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0, 0x10, 0x20,
		 0x30);
	ASSERT_EQ(0, kevent64(self->kq, &e64, 1, NULL, 0, 0, NULL));
	EV_SET(&k, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x11);
	ASSERT_EQ(0, kevent(self->kq, &k, 1, NULL, 0, NULL));
	ASSERT_EQ(1, kevent_qos(self->kq, NULL, 0, &eq, 1, NULL, NULL,
				KEVENT_FLAG_IMMEDIATE));
	EXPECT_EQ(2u, eq.ident);
	EXPECT_EQ(0x11u, eq.udata);
	EXPECT_EQ(0x20u, eq.ext[0]);
	EXPECT_EQ(0x30u, eq.ext[1]);
	EXPECT_EQ(0u, eq.ext[2]);
	/* EV_ONESHOT: gone */
	EXPECT_EQ(0, kevent(self->kq, NULL, 0, &k, 1, &zero));
}

TEST_HARNESS_MAIN
