// SPDX-License-Identifier: GPL-2.0
/*
 * The 64-byte kevent record (FreeBSD >= 12, with ext[4]) through the raw
 * ioctl: changes and events use the caller's 64-byte array in place, ext[]
 * is kept with the knote, an error record keeps the change's ext[], and a
 * bad record size is EINVAL.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/event.h>
#include <linux/kqueue.h>

#include "kselftest_harness.h"

static int raw_kevent(int kq, struct kq_kevent64 *ch, int nch,
		      struct kq_kevent64 *ev, int nev, unsigned int recsize)
{
	struct timespec zero = { 0, 0 };
	struct kq_kevent_args a = {
		.size = sizeof(a),
		.record_size = recsize,
		.changelist = (__u64)(uintptr_t)ch,
		.eventlist = (__u64)(uintptr_t)ev,
		.nchanges = nch,
		.nevents = nev,
		.timeout = (__u64)(uintptr_t)&zero,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

FIXTURE(rec64) {
	int kq;
};

FIXTURE_SETUP(rec64)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq);
}

FIXTURE_TEARDOWN(rec64)
{
	close(self->kq);
}

TEST_F(rec64, user_event_round_trip)
{
	struct kq_kevent64 ch[2], ev[4];

	memset(ch, 0, sizeof(ch));
	ch[0].ident = 7;
	ch[0].filter = EVFILT_USER;
	ch[0].flags = EV_ADD | EV_CLEAR;
	ch[0].udata = 0x1234;
	ch[1].ident = 7;
	ch[1].filter = EVFILT_USER;
	ch[1].fflags = NOTE_TRIGGER | NOTE_FFCOPY | 0x55;
	ch[1].data = 99;
	ch[1].udata = 0x5678;
	memset(ev, 0xff, sizeof(ev));
	ASSERT_EQ(1, raw_kevent(self->kq, ch, 2, ev, 4, KQ_RECORD_KEVENT64));
	EXPECT_EQ(7u, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	EXPECT_EQ(0x55u, ev[0].fflags);
	EXPECT_EQ(99, ev[0].data);
	EXPECT_EQ(0x5678u, ev[0].udata);
	EXPECT_EQ(EV_CLEAR, ev[0].flags & ~EV_SYSFLAGS);
	/* the whole 64-byte slot is written, the next one is not */
	EXPECT_EQ(0u, ev[0].ext[3]);
	EXPECT_EQ(~0ull, ev[1].ident);
	ASSERT_EQ(0, raw_kevent(self->kq, NULL, 0, ev, 4, KQ_RECORD_KEVENT64));
}

TEST_F(rec64, error_record_keeps_ext)
{
	struct kq_kevent64 ch, ev;

	memset(&ch, 0, sizeof(ch));
	ch.ident = 42;
	ch.filter = EVFILT_USER;
	ch.flags = EV_DELETE;
	ch.udata = 0xabc;
	ch.ext[0] = 1;
	ch.ext[3] = 0xdeadbeef;
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, raw_kevent(self->kq, &ch, 1, &ev, 1, KQ_RECORD_KEVENT64));
	EXPECT_EQ(EV_ERROR, ev.flags);
	EXPECT_EQ(ENOENT, ev.data);
	EXPECT_EQ(42u, ev.ident);
	EXPECT_EQ(0xabcu, ev.udata);
	EXPECT_EQ(1u, ev.ext[0]);
	EXPECT_EQ(0xdeadbeefu, ev.ext[3]);
}

/* ext[] is kept with the knote as registered and returned with events. */
TEST_F(rec64, ext_kept_with_knote)
{
	struct kq_kevent64 ch[2], ev;

	memset(ch, 0, sizeof(ch));
	ch[0].ident = 8;
	ch[0].filter = EVFILT_USER;
	ch[0].flags = EV_ADD | EV_CLEAR;
	ch[0].ext[0] = 10;
	ch[0].ext[1] = 11;
	ch[0].ext[2] = 12;
	ch[0].ext[3] = 13;
	ch[1].ident = 8;
	ch[1].filter = EVFILT_USER;
	ch[1].fflags = NOTE_TRIGGER;
	ch[1].ext[3] = 99;	/* a later change does not replace them */
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, raw_kevent(self->kq, ch, 2, &ev, 1, KQ_RECORD_KEVENT64));
	EXPECT_EQ(10u, ev.ext[0]);
	EXPECT_EQ(11u, ev.ext[1]);
	EXPECT_EQ(12u, ev.ext[2]);
	EXPECT_EQ(13u, ev.ext[3]);
}

TEST_F(rec64, bad_record_size)
{
	struct kq_kevent64 ev;

	errno = 0;
	EXPECT_EQ(-1, raw_kevent(self->kq, NULL, 0, &ev, 1, 40));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, raw_kevent(self->kq, NULL, 0, &ev, 1, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
