// SPDX-License-Identifier: GPL-2.0
/*
 * Darwin's EV_DISPATCH2 (EV_DISPATCH | EV_UDATA_SPECIFIC): deleting such
 * a knote while it is disabled (its event handed out and not yet
 * re-enabled) is deferred: EV_DELETE reports EINPROGRESS, and the next
 * EV_ENABLE makes it report one last event with EV_DELETE set, after
 * which it is gone.  A one-shot dispatch2 knote waits the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/event.h>

#include "kselftest_harness.h"

#define ID	7
#define UD	0x5eedULL

FIXTURE(d2) {
	int kq;
};

FIXTURE_SETUP(d2)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(d2)
{
	close(self->kq);
}

/* One EVFILT_USER change on (ID, UD); returns 0 or the errno reported. */
static int change(int kq, __u16 flags, __u32 fflags)
{
	struct kevent64_s ch, ev;
	int n;

	EV_SET64(&ch, ID, EVFILT_USER, flags | EV_UDATA_SPECIFIC | EV_RECEIPT,
		 fflags, 0, UD, 0, 0);
	n = kevent64(kq, &ch, 1, &ev, 1, KEVENT_FLAG_ERROR_EVENTS, NULL);
	if (n != 1)
		return n < 0 ? errno : -1000;
	return ev.data;
}

static int harvest(int kq, struct kevent64_s *ev)
{
	return kevent64(kq, NULL, 0, ev, 2, KEVENT_FLAG_IMMEDIATE, NULL);
}

/* Add, trigger and take the event: the knote is now disabled. */
static int deliver_one(int kq, __u16 extra)
{
	struct kevent64_s ev[2];

	if (change(kq, EV_ADD | EV_DISPATCH2 | extra, 0) ||
	    change(kq, 0, NOTE_TRIGGER) || harvest(kq, ev) != 1 ||
	    ev[0].udata != UD || (ev[0].flags & EV_DELETE))
		return -1;
	return 0;
}

TEST_F(d2, delete_after_delivery_is_deferred)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, deliver_one(self->kq, 0));
	EXPECT_EQ(EINPROGRESS, change(self->kq, EV_DELETE, 0));
	EXPECT_EQ(0, harvest(self->kq, ev));
	/* still there, still disabled: a trigger reports nothing */
	EXPECT_EQ(0, change(self->kq, 0, NOTE_TRIGGER));
	EXPECT_EQ(0, harvest(self->kq, ev));
	EXPECT_EQ(EINPROGRESS, change(self->kq, EV_DELETE, 0));
	/* the enable: one last event, EV_DELETE, then the knote is gone */
	EXPECT_EQ(0, change(self->kq, EV_ENABLE, 0));
	ASSERT_EQ(1, harvest(self->kq, ev));
	EXPECT_EQ((__u64)ID, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	EXPECT_EQ(UD, ev[0].udata);
	EXPECT_EQ(EV_DELETE | EV_ONESHOT | EV_DISPATCH2,
		  ev[0].flags & (EV_DELETE | EV_ONESHOT | EV_DISPATCH2));
	EXPECT_EQ(0, harvest(self->kq, ev));
	EXPECT_EQ(ENOENT, change(self->kq, EV_DELETE, 0));
}

/* An enabled dispatch2 knote is deleted at once, with no event. */
TEST_F(d2, delete_while_enabled_is_immediate)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, change(self->kq, EV_ADD | EV_DISPATCH2, 0));
	EXPECT_EQ(0, change(self->kq, EV_DELETE, 0));
	EXPECT_EQ(0, harvest(self->kq, ev));
	EXPECT_EQ(ENOENT, change(self->kq, EV_DELETE, 0));
}

/* EV_DELETE with EV_ENABLE re-enables and deletes in one change. */
TEST_F(d2, delete_with_enable_is_immediate)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, deliver_one(self->kq, 0));
	EXPECT_EQ(0, change(self->kq, EV_DELETE | EV_ENABLE, 0));
	EXPECT_EQ(0, harvest(self->kq, ev));
	EXPECT_EQ(ENOENT, change(self->kq, EV_DELETE, 0));
}

/* Disabled by EV_DISABLE rather than by delivery: deferred too. */
TEST_F(d2, delete_of_disabled_is_deferred)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, change(self->kq, EV_ADD | EV_DISPATCH2 | EV_DISABLE, 0));
	EXPECT_EQ(EINPROGRESS, change(self->kq, EV_DELETE, 0));
	EXPECT_EQ(0, change(self->kq, EV_ENABLE, 0));
	ASSERT_EQ(1, harvest(self->kq, ev));
	EXPECT_TRUE(ev[0].flags & EV_DELETE);
	EXPECT_EQ(ENOENT, change(self->kq, EV_DELETE, 0));
}

/* EV_DISPATCH without EV_UDATA_SPECIFIC: FreeBSD's, deleted at once. */
TEST_F(d2, plain_dispatch_is_not_deferred)
{
	struct kevent64_s ch, ev[2];

	EV_SET64(&ch, ID, EVFILT_USER, EV_ADD | EV_DISPATCH, 0, 0, 0, 0, 0);
	ASSERT_EQ(0, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EV_SET64(&ch, ID, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0, 0, 0);
	ASSERT_EQ(1, kevent64(self->kq, &ch, 1, ev, 2, KEVENT_FLAG_IMMEDIATE,
			      NULL));
	EV_SET64(&ch, ID, EVFILT_USER, EV_DELETE, 0, 0, 0, 0, 0);
	EXPECT_EQ(0, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EXPECT_EQ(-1, kevent64(self->kq, &ch, 1, NULL, 0, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * A one-shot dispatch2 knote outlives its event until the next enable,
 * which reports EV_DELETE; an explicit delete before that is EINPROGRESS.
 */
TEST_F(d2, oneshot_waits_for_enable)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, deliver_one(self->kq, EV_ONESHOT));
	EXPECT_EQ(EINPROGRESS, change(self->kq, EV_DELETE, 0));
	EXPECT_EQ(0, change(self->kq, EV_ENABLE, 0));
	ASSERT_EQ(1, harvest(self->kq, ev));
	EXPECT_TRUE(ev[0].flags & EV_DELETE);
	EXPECT_EQ(UD, ev[0].udata);
	EXPECT_EQ(ENOENT, change(self->kq, EV_DELETE, 0));
}

/* The enable that ends a deferred delete changes nothing else. */
TEST_F(d2, deferred_ignores_new_parameters)
{
	struct kevent64_s ev[2];

	ASSERT_EQ(0, deliver_one(self->kq, 0));
	EXPECT_EQ(EINPROGRESS, change(self->kq, EV_DELETE, 0));
	EXPECT_EQ(0, change(self->kq, EV_ADD, NOTE_FFCOPY | 0x1234));
	EXPECT_EQ(0, harvest(self->kq, ev));
	EXPECT_EQ(0, change(self->kq, EV_ENABLE, NOTE_FFCOPY | 0x99));
	ASSERT_EQ(1, harvest(self->kq, ev));
	EXPECT_TRUE(ev[0].flags & EV_DELETE);
	EXPECT_EQ(0u, ev[0].fflags);
}

/* Closing the kqueue with a deferred delete pending frees it (no leak). */
TEST_F(d2, close_with_deferred_delete)
{
	int kq = kqueue();

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, deliver_one(kq, 0));
	EXPECT_EQ(EINPROGRESS, change(kq, EV_DELETE, 0));
	EXPECT_EQ(0, close(kq));
}

TEST_HARNESS_MAIN
