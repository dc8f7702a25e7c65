// SPDX-License-Identifier: GPL-2.0
/*
 * Darwin's EV_UDATA_SPECIFIC: udata is part of a knote's key, so one
 * (ident, filter) carries several knotes told apart by udata, and every
 * change with the flag names one of them by its udata.  A change without
 * the flag never matches such a knote, nor one with it a plain knote.
 * Also EV_VANISHED's validation (only with EV_ADD and EV_DISPATCH2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/event.h>

#include "kselftest_harness.h"

FIXTURE(us) {
	int kq;
	int p[2];
};

FIXTURE_SETUP(us)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
	ASSERT_EQ(0, pipe2(self->p, O_NONBLOCK));
}

FIXTURE_TEARDOWN(us)
{
	close(self->kq);
	close(self->p[0]);
	close(self->p[1]);
}

/* One change through kevent64(); returns 0 or the errno it reported. */
static int change(int kq, __u64 ident, __s16 filter, __u16 flags,
		  __u32 fflags, __u64 udata)
{
	struct kevent64_s ch, ev;
	int n;

	EV_SET64(&ch, ident, filter, flags | EV_RECEIPT, fflags, 0, udata, 0,
		 0);
	n = kevent64(kq, &ch, 1, &ev, 1, KEVENT_FLAG_ERROR_EVENTS, NULL);
	if (n != 1)
		return n < 0 ? errno : -1000;
	return ev.data;
}

/* Harvest without waiting; returns the count, events in @ev. */
static int harvest(int kq, struct kevent64_s *ev, int n)
{
	return kevent64(kq, NULL, 0, ev, n, KEVENT_FLAG_IMMEDIATE, NULL);
}

static int has_udata(const struct kevent64_s *ev, int n, __u64 udata)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += ev[i].udata == udata;
	return c;
}

/* Two EVFILT_USER knotes on one ident, triggered one at a time by udata. */
TEST_F(us, user_knotes_by_udata)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, 1, EVFILT_USER,
			    EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, 0, 0xa));
	ASSERT_EQ(0, change(self->kq, 1, EVFILT_USER,
			    EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, 0, 0xb));
	ASSERT_EQ(0, change(self->kq, 1, EVFILT_USER, EV_UDATA_SPECIFIC,
			    NOTE_TRIGGER, 0xb));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(0xbu, ev[0].udata);
	EXPECT_EQ(1u, ev[0].ident);
	/* the flag is kept in returned events, as Darwin does */
	EXPECT_TRUE(ev[0].flags & EV_UDATA_SPECIFIC);
	ASSERT_EQ(0, change(self->kq, 1, EVFILT_USER, EV_UDATA_SPECIFIC,
			    NOTE_TRIGGER, 0xa));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(0xau, ev[0].udata);
	/* an unknown udata names no knote */
	EXPECT_EQ(ENOENT, change(self->kq, 1, EVFILT_USER, EV_UDATA_SPECIFIC,
				 NOTE_TRIGGER, 0xc));
	EXPECT_EQ(0, harvest(self->kq, ev, 4));
}

/* A readable pipe: every knote on the descriptor reports, each its udata. */
TEST_F(us, read_knotes_share_a_descriptor)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ, EV_ADD, 0, 3));
	EXPECT_EQ(0, harvest(self->kq, ev, 4));
	ASSERT_EQ(3, write(self->p[1], "abc", 3));
	ASSERT_EQ(3, harvest(self->kq, ev, 4));
	EXPECT_EQ(1, has_udata(ev, 3, 1));
	EXPECT_EQ(1, has_udata(ev, 3, 2));
	EXPECT_EQ(1, has_udata(ev, 3, 3));
	EXPECT_EQ(3, ev[0].data);
	EXPECT_EQ(3, ev[2].data);
}

/* EV_ADD twice with the same udata: one knote, modified. */
TEST_F(us, same_udata_is_same_knote)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 7));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 7));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(7u, ev[0].udata);
}

/* EV_DELETE by udata removes that knote only. */
TEST_F(us, delete_by_udata)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 2));
	EXPECT_EQ(ENOENT, change(self->kq, self->p[0], EVFILT_READ,
				 EV_DELETE | EV_UDATA_SPECIFIC, 0, 3));
	EXPECT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_DELETE | EV_UDATA_SPECIFIC, 0, 1));
	EXPECT_EQ(ENOENT, change(self->kq, self->p[0], EVFILT_READ,
				 EV_DELETE | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(2u, ev[0].udata);
}

/* Plain changes and udata-specific knotes never meet, either way round. */
TEST_F(us, namespaces_are_separate)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, 5, EVFILT_USER,
			    EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, 0, 0x50));
	/* no plain knote: a plain change finds nothing */
	EXPECT_EQ(ENOENT, change(self->kq, 5, EVFILT_USER, EV_DELETE, 0,
				 0x50));
	EXPECT_EQ(ENOENT, change(self->kq, 5, EVFILT_USER, 0, NOTE_TRIGGER,
				 0x50));
	/* a plain EV_ADD makes a second knote beside it */
	ASSERT_EQ(0, change(self->kq, 5, EVFILT_USER, EV_ADD | EV_CLEAR, 0,
			    0x60));
	ASSERT_EQ(0, change(self->kq, 5, EVFILT_USER, 0, NOTE_TRIGGER, 0x61));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	/* the plain knote's udata follows the change, as always */
	EXPECT_EQ(0x61u, ev[0].udata);
	EXPECT_FALSE(ev[0].flags & EV_UDATA_SPECIFIC);
	/* a udata-specific change with the plain knote's udata: no match */
	EXPECT_EQ(ENOENT, change(self->kq, 5, EVFILT_USER, EV_UDATA_SPECIFIC,
				 NOTE_TRIGGER, 0x61));
	EXPECT_EQ(0, change(self->kq, 5, EVFILT_USER, EV_DELETE, 0, 0));
	EXPECT_EQ(0, change(self->kq, 5, EVFILT_USER,
			    EV_DELETE | EV_UDATA_SPECIFIC, 0, 0x50));
	EXPECT_EQ(0, harvest(self->kq, ev, 4));
}

/* EV_DISABLE and EV_ENABLE name one knote by udata. */
TEST_F(us, disable_enable_by_udata)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_DISABLE | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(1u, ev[0].udata);
	ASSERT_EQ(0, change(self->kq, self->p[0], EVFILT_READ,
			    EV_ENABLE | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(2, harvest(self->kq, ev, 4));
	EXPECT_EQ(1, has_udata(ev, 2, 2));
	EXPECT_EQ(ENOENT, change(self->kq, self->p[0], EVFILT_READ,
				 EV_ENABLE | EV_UDATA_SPECIFIC, 0, 9));
}

/* EV_ONESHOT drops only the knote that fired. */
TEST_F(us, oneshot_drops_one)
{
	struct kevent64_s ev[4];

	ASSERT_EQ(0, change(self->kq, 9, EVFILT_USER,
			    EV_ADD | EV_ONESHOT | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(0, change(self->kq, 9, EVFILT_USER,
			    EV_ADD | EV_ONESHOT | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(0, change(self->kq, 9, EVFILT_USER, EV_UDATA_SPECIFIC,
			    NOTE_TRIGGER, 1));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(1u, ev[0].udata);
	EXPECT_EQ(ENOENT, change(self->kq, 9, EVFILT_USER,
				 EV_DELETE | EV_UDATA_SPECIFIC, 0, 1));
	EXPECT_EQ(0, change(self->kq, 9, EVFILT_USER,
			    EV_DELETE | EV_UDATA_SPECIFIC, 0, 2));
}

/* Through plain kevent() too: the flag is in the uapi, not the call. */
TEST_F(us, plain_kevent)
{
	struct kevent ch[3], ev[3];
	struct timespec zero = { 0, 0 };

	EV_SET(&ch[0], 4, EVFILT_USER, EV_ADD | EV_UDATA_SPECIFIC, 0, 0,
	       (void *)1);
	EV_SET(&ch[1], 4, EVFILT_USER, EV_ADD | EV_UDATA_SPECIFIC, 0, 0,
	       (void *)2);
	EV_SET(&ch[2], 4, EVFILT_USER, EV_UDATA_SPECIFIC, NOTE_TRIGGER, 0,
	       (void *)2);
	ASSERT_EQ(1, kevent(self->kq, ch, 3, ev, 3, &zero));
	EXPECT_EQ((void *)2, ev[0].udata);
}

/* Many knotes on one ident: each found, each deleted, by its udata. */
TEST_F(us, many_on_one_ident)
{
	struct kevent64_s ev[8];
	__u64 u;

	for (u = 1; u <= 2000; u++)
		ASSERT_EQ(0, change(self->kq, 3, EVFILT_USER,
				    EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, 0,
				    u * 0x10001));
	ASSERT_EQ(0, change(self->kq, 3, EVFILT_USER, EV_UDATA_SPECIFIC,
			    NOTE_TRIGGER, 1234 * 0x10001));
	ASSERT_EQ(1, harvest(self->kq, ev, 8));
	EXPECT_EQ(1234u * 0x10001, ev[0].udata);
	for (u = 1; u <= 2000; u++)
		ASSERT_EQ(0, change(self->kq, 3, EVFILT_USER,
				    EV_DELETE | EV_UDATA_SPECIFIC, 0,
				    u * 0x10001));
	EXPECT_EQ(ENOENT, change(self->kq, 3, EVFILT_USER,
				 EV_DELETE | EV_UDATA_SPECIFIC, 0, 0x10001));
}

/* Closing the descriptor ends every knote on it, udata-specific or not. */
TEST_F(us, close_drops_all)
{
	struct kevent64_s ev[4];
	int fd = dup(self->p[0]);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, change(self->kq, fd, EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 1));
	ASSERT_EQ(0, change(self->kq, fd, EVFILT_READ,
			    EV_ADD | EV_UDATA_SPECIFIC, 0, 2));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(0, harvest(self->kq, ev, 4));
}

/* EV_VANISHED: only with EV_ADD and EV_DISPATCH2, and never reported. */
TEST_F(us, vanished_validation)
{
	struct kevent64_s ev[4];

	EXPECT_EQ(EINVAL, change(self->kq, 6, EVFILT_USER,
				 EV_ADD | EV_VANISHED, 0, 1));
	EXPECT_EQ(EINVAL, change(self->kq, 6, EVFILT_USER,
				 EV_ADD | EV_DISPATCH | EV_VANISHED, 0, 1));
	EXPECT_EQ(EINVAL, change(self->kq, 6, EVFILT_USER,
				 EV_ADD | EV_UDATA_SPECIFIC | EV_VANISHED, 0,
				 1));
	ASSERT_EQ(0, change(self->kq, 6, EVFILT_USER,
			    EV_ADD | EV_DISPATCH2 | EV_VANISHED, 0, 1));
	/* on an existing knote, without EV_ADD */
	EXPECT_EQ(EINVAL, change(self->kq, 6, EVFILT_USER,
				 EV_DISPATCH2 | EV_VANISHED, NOTE_TRIGGER, 1));
	ASSERT_EQ(0, change(self->kq, 6, EVFILT_USER, EV_UDATA_SPECIFIC,
			    NOTE_TRIGGER, 1));
	ASSERT_EQ(1, harvest(self->kq, ev, 4));
	EXPECT_EQ(1u, ev[0].udata);
	EXPECT_FALSE(ev[0].flags & EV_VANISHED);
	EXPECT_TRUE(ev[0].flags & EV_DISPATCH);
}

TEST_HARNESS_MAIN
