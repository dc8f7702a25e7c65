// SPDX-License-Identifier: GPL-2.0
/*
 * Generic kevent() flag and changelist semantics (FreeBSD kern_event.c),
 * exercised with EVFILT_USER and pipes: EV_ONESHOT, EV_CLEAR, EV_DISPATCH,
 * EV_RECEIPT, EV_FORCEONESHOT, EV_KEEPUDATA, one report per knote per
 * call, in-order changelists, aliased change/event lists and a large
 * changelist.
 */
#include "kq_wait.h"

FIXTURE(flags) {
	int kq;
	int p[2];
};

FIXTURE_SETUP(flags)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
	ASSERT_EQ(0, pipe2(self->p, O_NONBLOCK | O_CLOEXEC));
}

FIXTURE_TEARDOWN(flags)
{
	if (self->kq >= 0)
		close(self->kq);
	close(self->p[0]);
	close(self->p[1]);
}

static int put(int fd, int n)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	return write(fd, buf, n) == n ? 0 : -1;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* EV_ONESHOT on a readable pipe: delivered once, then deleted. */
TEST_F(flags, oneshot_pipe)
{
	struct kevent ev;

	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0,
	      NULL);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(1, ev.data);
	/* Still readable, but the knote is gone. */
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->p[0], EVFILT_READ, EV_DELETE, 0, 0,
	       NULL);
}

/* EV_ONESHOT on a user event. */
TEST_F(flags, oneshot_user)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

/* Level-triggered by default: reported by each call while true. */
TEST_F(flags, level_pipe)
{
	struct kevent ev;
	int i;

	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 3));
	for (i = 0; i < 3; i++) {
		KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
		ASSERT_EQ(3, ev.data);
	}
	drain(self->p[0]);
	KQ_CHECK_NONE(self->kq);
}

/*
 * EV_CLEAR: reported once per new activation, even though the pipe stays
 * readable.
 */
TEST_F(flags, clear_pipe)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0,
	      NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(2, ev.data);
	KQ_CHECK_NONE(self->kq);
}

/*
 * EV_DISPATCH: disabled after delivery; EV_ENABLE re-arms and, when the
 * condition still holds, reports at once.
 */
TEST_F(flags, dispatch_user)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_DISPATCH, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	KQ_CHECK_NONE(self->kq);
	/* Still triggered (no EV_CLEAR): enabling reports it at once. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	KQ_CHECK_NONE(self->kq);
	/* The knote still exists (dispatch is not oneshot). */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);

	/* With EV_CLEAR: nothing to report on enable until a new trigger. */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_DISPATCH | EV_CLEAR, 0, 0,
	      NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHECK_NONE(self->kq);			/* disabled */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);	/* the trigger while disabled */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
}

TEST_F(flags, dispatch_pipe)
{
	struct kevent ev;

	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0,
	      NULL);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHECK_NONE(self->kq);			/* disabled */
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(2, ev.data);
	/* Enabled after the data is gone: nothing. */
	drain(self->p[0]);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	/* Armed: new data is reported (once). */
	ASSERT_EQ(0, put(self->p[1], 4));
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(4, ev.data);
	KQ_CHECK_NONE(self->kq);
}

/* A disabled knote is not reported; EV_ENABLE reports it at once. */
TEST_F(flags, disable_enable_pipe)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD | EV_DISABLE, 0, 0,
	      NULL);
	ASSERT_EQ(0, put(self->p[1], 5));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ(5, ev.data);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_DISABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, EINVAL, self->p[0], EVFILT_READ,
	       EV_ENABLE | EV_DISABLE, 0, 0, NULL);
}

/*
 * EV_RECEIPT: each change gets an EV_ERROR entry with data 0 (or the
 * errno), ident/filter/udata preserved, and no events are scanned.
 */
TEST_F(flags, receipt)
{
	struct kevent ch[3], ev[8];
	int r;

	/* A pending, level-triggered event that must not be scanned. */
	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);

	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)10);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_DELETE, 0, 0, (void *)20);
	EV_SET(&ch[2], 3, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)30);
	memset(ev, 0, sizeof(ev));
	r = kevent(self->kq, ch, 3, ev, 8, &kq_zero);
	ASSERT_EQ(3, r) TH_LOG("kevent: %d %s", r, strerror(errno));
	ASSERT_EQ(1u, ev[0].ident);
	ASSERT_EQ(EVFILT_USER, ev[0].filter);
	ASSERT_TRUE(ev[0].flags & EV_ERROR);
	ASSERT_EQ(0, ev[0].data);
	ASSERT_EQ((void *)10, ev[0].udata);
	ASSERT_EQ(2u, ev[1].ident);
	ASSERT_TRUE(ev[1].flags & EV_ERROR);
	ASSERT_EQ(ENOENT, ev[1].data);
	ASSERT_EQ((void *)20, ev[1].udata);
	ASSERT_EQ(3u, ev[2].ident);
	ASSERT_TRUE(ev[2].flags & EV_ERROR);
	ASSERT_EQ(0, ev[2].data);
	ASSERT_EQ((void *)30, ev[2].udata);

	/* Both added knotes exist. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* The pending event is still there. */
	KQ_NOW(self->kq, &ev[0], 50, EVFILT_USER);
}

/* With no room for error entries, a failure ends the call: -1/errno. */
TEST_F(flags, receipt_nevents_zero)
{
	struct kevent ch[3];

	/* nevents 0: a failing change is -1/errno and the rest is skipped. */
	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[2], 3, EVFILT_USER, EV_ADD, 0, 0, NULL);
	errno = 0;
	ASSERT_EQ(-1, kevent(self->kq, ch, 3, NULL, 0, NULL));
	ASSERT_EQ(ENOENT, errno);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);

	/* A plain receipt with nevents 0 is just a successful change. */
	EV_SET(&ch[0], 4, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, 1, NULL, 0, NULL));
	KQ_CHANGE_OK(self->kq, 4, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

/*
 * Receipts that fill the event list: the call returns them and scans no
 * event over them.  As in FreeBSD, the change whose receipt finds no room
 * is applied and the ones after it are not (FreeBSD then returns 0; the
 * count written is what a caller can use).
 */
TEST_F(flags, receipts_fill_event_list)
{
	struct kevent ch[4], ev[2];

	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)1);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)2);
	EV_SET(&ch[2], 3, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)3);
	EV_SET(&ch[3], 4, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, (void *)4);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(2, kevent(self->kq, ch, 4, ev, 2, &kq_zero));
	ASSERT_EQ(1u, ev[0].ident);
	ASSERT_TRUE(ev[0].flags & EV_ERROR);
	ASSERT_EQ(0, ev[0].data);
	ASSERT_EQ(2u, ev[1].ident);
	ASSERT_TRUE(ev[1].flags & EV_ERROR);
	ASSERT_EQ(0, ev[1].data);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 4, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* the pending event waited for the next call */
	KQ_NOW(self->kq, &ev[0], 50, EVFILT_USER);
}

/* An error entry takes the place of events: failed change, nevents > 0. */
TEST_F(flags, error_entry_no_scan)
{
	struct kevent ch[2], ev[4];

	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(self->kq, 50, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	EV_SET(&ch[0], 9, EVFILT_USER, EV_DELETE, 0, 0, (void *)9);
	EV_SET(&ch[1], 10, EVFILT_USER, EV_ADD, 0, 0, NULL);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(self->kq, ch, 2, ev, 4, &kq_zero));
	ASSERT_EQ(9u, ev[0].ident);
	ASSERT_TRUE(ev[0].flags & EV_ERROR);
	ASSERT_EQ(ENOENT, ev[0].data);
	ASSERT_EQ((void *)9, ev[0].udata);
	/* With room for the error, the following change was applied. */
	KQ_CHANGE_OK(self->kq, 10, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev[0], 50, EVFILT_USER);
}

/*
 * EV_FORCEONESHOT on an existing knote: it becomes oneshot and is
 * activated now, whether or not its condition holds.
 */
TEST_F(flags, forceoneshot)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)1);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_FORCEONESHOT, 0, 0, (void *)1);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)1, ev.udata);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);

	/* On a pipe read knote. */
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_FORCEONESHOT, 0, 0, NULL);
	ASSERT_EQ(1, kq_poll(self->kq, &ev, 1, 0));
	ASSERT_EQ((uintptr_t)self->p[0], ev.ident);
	ASSERT_EQ(EVFILT_READ, ev.filter);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->p[0], EVFILT_READ, EV_DELETE, 0, 0,
	       NULL);
}

/* EV_KEEPUDATA keeps udata on modify; without it a modify replaces it. */
TEST_F(flags, keepudata)
{
	struct kevent ev;

	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0,
	      (void *)0xa);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ((void *)0xa, ev.udata);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE | EV_KEEPUDATA, 0,
	      0, (void *)0xb);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ((void *)0xa, ev.udata);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE, 0, 0,
	      (void *)0xc);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ((void *)0xc, ev.udata);
	KQ_CHANGE_ERR(self->kq, EINVAL, self->p[0], EVFILT_READ,
	       EV_ADD | EV_KEEPUDATA, 0, 0, (void *)0xd);
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ENABLE | EV_KEEPUDATA, 0,
	      0, NULL);
	KQ_NOW(self->kq, &ev, self->p[0], EVFILT_READ);
	ASSERT_EQ((void *)0xc, ev.udata);
}

/*
 * Each knote is reported at most once per kevent() call, even when it is
 * level-triggered and the event list has room for more.
 */
TEST_F(flags, once_per_call)
{
	struct kevent ev[64];
	int i, r, seen[6] = { 0 }, pipe_seen = 0;

	for (i = 1; i <= 5; i++) {
		KQ_CHANGE_OK(self->kq, i, EVFILT_USER, EV_ADD, 0, 0, NULL);
		KQ_CHANGE_OK(self->kq, i, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	}
	ASSERT_EQ(0, put(self->p[1], 1));
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);

	for (int round = 0; round < 3; round++) {
		memset(seen, 0, sizeof(seen));
		pipe_seen = 0;
		r = kq_poll(self->kq, ev, 64, 0);
		ASSERT_EQ(6, r);
		for (i = 0; i < r; i++) {
			if (ev[i].filter == EVFILT_READ) {
				ASSERT_EQ((uintptr_t)self->p[0], ev[i].ident);
				pipe_seen++;
				continue;
			}
			ASSERT_EQ(EVFILT_USER, ev[i].filter);
			ASSERT_GE(ev[i].ident, 1u);
			ASSERT_LE(ev[i].ident, 5u);
			ASSERT_EQ(0, seen[ev[i].ident]) TH_LOG("ident %lu twice in one call", (unsigned long)ev[i].ident);
			seen[ev[i].ident] = 1;
		}
		ASSERT_EQ(1, pipe_seen);
	}
}

/* The changelist is applied in order, all of it before the scan. */
TEST_F(flags, changelist_order)
{
	struct kevent ch[4], ev[8];

	ASSERT_EQ(0, put(self->p[1], 1));

	/* ADD then DELETE of a readable pipe knote: no event, no knote. */
	EV_SET(&ch[0], self->p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], self->p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, 2, ev, 8, &kq_zero));
	KQ_CHANGE_ERR(self->kq, ENOENT, self->p[0], EVFILT_READ, EV_DELETE, 0, 0,
	       NULL);

	/* DELETE then ADD: the knote exists and is reported. */
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	EV_SET(&ch[0], self->p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[1], self->p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)2);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(self->kq, ch, 2, ev, 8, &kq_zero));
	ASSERT_EQ((uintptr_t)self->p[0], ev[0].ident);
	ASSERT_EQ((void *)2, ev[0].udata);

	/* DISABLE then ENABLE: reported; ENABLE then DISABLE: not. */
	EV_SET(&ch[0], self->p[0], EVFILT_READ, EV_DISABLE, 0, 0, (void *)2);
	EV_SET(&ch[1], self->p[0], EVFILT_READ, EV_ENABLE, 0, 0, (void *)2);
	ASSERT_EQ(1, kevent(self->kq, ch, 2, ev, 8, &kq_zero));
	EV_SET(&ch[0], self->p[0], EVFILT_READ, EV_ENABLE, 0, 0, (void *)2);
	EV_SET(&ch[1], self->p[0], EVFILT_READ, EV_DISABLE, 0, 0, (void *)2);
	ASSERT_EQ(0, kevent(self->kq, ch, 2, ev, 8, &kq_zero));
	KQ_CHANGE_OK(self->kq, self->p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);

	/* ADD, TRIGGER, ADD with another udata: one event, the last udata. */
	EV_SET(&ch[0], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)1);
	EV_SET(&ch[1], 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)2);
	EV_SET(&ch[2], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)3);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(self->kq, ch, 3, ev, 8, &kq_zero));
	ASSERT_EQ(7u, ev[0].ident);
	ASSERT_EQ((void *)3, ev[0].udata);

	/* TRIGGER, DELETE: no event. */
	EV_SET(&ch[0], 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	EV_SET(&ch[1], 7, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, 2, ev, 8, &kq_zero));
	KQ_CHECK_NONE(self->kq);
}

/* EV_SYSFLAGS bits in a change are ignored; filter 0 is skipped. */
TEST_F(flags, sysflags_and_filter0)
{
	struct kevent ch[2], ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR | EV_EOF | EV_FLAG1,
	      0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0, ev.flags & EV_FLAG1);

	EV_SET(&ch[0], 2, 0, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], 3, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, 2, NULL, 0, NULL)) TH_LOG("%s", strerror(errno));
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

/*
 * nevents 0 returns right after applying the changes, even with events
 * pending and a NULL (infinite) timeout.
 */
TEST_F_TIMEOUT(flags, nevents_zero_no_wait, 30)
{
	long long t0 = kq_now_us();

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, NULL, 0, NULL, 0, NULL));
	ASSERT_LT(kq_now_us() - t0, 5000000LL);
}

/* The event list may be the change list (same buffer), as BSD allows. */
TEST_F(flags, alias)
{
	struct kevent buf[32];
	int i, r, seen_pipe = 0, seen_user = 0;

	ASSERT_EQ(0, put(self->p[1], 2));
	KQ_CHANGE_OK(self->kq, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)7);

	EV_SET(&buf[0], self->p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x50);
	EV_SET(&buf[1], 7, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x77,
	       0, (void *)0x70);
	r = kevent(self->kq, buf, 2, buf, 4, &kq_zero);
	ASSERT_EQ(2, r) TH_LOG("kevent: %d %s", r, strerror(errno));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, buf[i].flags & (EV_ERROR | KQ_ACTION_FLAGS));
		if (buf[i].filter == EVFILT_READ) {
			ASSERT_EQ((uintptr_t)self->p[0], buf[i].ident);
			ASSERT_EQ(2, buf[i].data);
			ASSERT_EQ((void *)0x50, buf[i].udata);
			seen_pipe++;
		} else {
			ASSERT_EQ(EVFILT_USER, buf[i].filter);
			ASSERT_EQ(7u, buf[i].ident);
			ASSERT_EQ(0x77u, buf[i].fflags);
			ASSERT_EQ((void *)0x70, buf[i].udata);
			seen_user++;
		}
	}
	ASSERT_EQ(1, seen_pipe);
	ASSERT_EQ(1, seen_user);

	/* Receipts written over the changes they answer (32 changes). */
	for (i = 0; i < 32; i++)
		EV_SET(&buf[i], 100 + i, EVFILT_USER,
		       (i == 13 ? EV_DELETE : EV_ADD) | EV_RECEIPT, 0, 0,
		       (void *)(uintptr_t)(1000 + i));
	r = kevent(self->kq, buf, 32, buf, 32, &kq_zero);
	ASSERT_EQ(32, r) TH_LOG("kevent: %d %s", r, strerror(errno));
	for (i = 0; i < 32; i++) {
		ASSERT_EQ((uintptr_t)(100 + i), buf[i].ident);
		ASSERT_EQ(EVFILT_USER, buf[i].filter);
		ASSERT_TRUE(buf[i].flags & EV_ERROR);
		ASSERT_EQ(i == 13 ? ENOENT : 0, buf[i].data);
		ASSERT_EQ((void *)(uintptr_t)(1000 + i), buf[i].udata);
	}
}

/*
 * A large changelist: 10,000 user knotes added in one call and triggered
 * in another, then retrieved in batches of 1000: no duplicates, none lost.
 */
#define NBIG 10000
TEST_F_TIMEOUT(flags, large_changelist, 120)
{
	struct kevent *ch, *ev;
	unsigned char *seen;
	int i, j, r, total = 0;

	ch = calloc(NBIG, sizeof(*ch));
	ev = calloc(1000, sizeof(*ev));
	seen = calloc(NBIG, 1);
	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, ev);
	ASSERT_NE(NULL, seen);

	for (i = 0; i < NBIG; i++)
		EV_SET(&ch[i], 1000 + i, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
		       (void *)(uintptr_t)i);
	r = kevent(self->kq, ch, NBIG, NULL, 0, NULL);
	ASSERT_EQ(0, r) TH_LOG("add: %s", strerror(errno));
	KQ_CHECK_NONE(self->kq);

	for (i = 0; i < NBIG; i++)
		EV_SET(&ch[i], 1000 + i, EVFILT_USER, EV_KEEPUDATA,
		       NOTE_TRIGGER, 0, NULL);
	r = kevent(self->kq, ch, NBIG, NULL, 0, NULL);
	ASSERT_EQ(0, r) TH_LOG("trigger: %s", strerror(errno));

	for (j = 0; j < NBIG / 1000; j++) {
		memset(ev, 0, 1000 * sizeof(*ev));
		r = kq_poll(self->kq, ev, 1000, 0);
		ASSERT_EQ(1000, r) TH_LOG("batch %d: %d (%s)", j, r, r < 0 ? strerror(errno) : "");
		for (i = 0; i < r; i++) {
			uintptr_t k = ev[i].ident - 1000;

			ASSERT_EQ(EVFILT_USER, ev[i].filter);
			ASSERT_LT(k, (uintptr_t)NBIG);
			ASSERT_EQ((void *)k, ev[i].udata);
			ASSERT_EQ(0, seen[k]) TH_LOG("ident %lu twice", (unsigned long)ev[i].ident);
			seen[k] = 1;
			total++;
		}
	}
	ASSERT_EQ(NBIG, total);
	KQ_CHECK_NONE(self->kq);

	/* Delete them all in one call. */
	for (i = 0; i < NBIG; i++)
		EV_SET(&ch[i], 1000 + i, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, NBIG, NULL, 0, NULL));
	KQ_CHANGE_ERR(self->kq, ENOENT, 1000, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1000 + NBIG - 1, EVFILT_USER, EV_DELETE, 0,
	       0, NULL);
	free(ch);
	free(ev);
	free(seen);
}

/* Same, level-triggered: every batch call sees distinct knotes. */
TEST_F_TIMEOUT(flags, large_level_batches, 120)
{
	struct kevent *ch, *ev;
	unsigned char *seen;
	int i, r;

	ch = calloc(NBIG, sizeof(*ch));
	ev = calloc(NBIG + 1, sizeof(*ev));
	seen = calloc(NBIG, 1);
	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, ev);
	ASSERT_NE(NULL, seen);

	for (i = 0; i < NBIG; i++)
		EV_SET(&ch[i], i, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, NBIG, NULL, 0, NULL));
	for (i = 0; i < NBIG; i++)
		EV_SET(&ch[i], i, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, NBIG, NULL, 0, NULL));

	/* One call with room for all (and one more): each exactly once. */
	r = kq_poll(self->kq, ev, NBIG + 1, 0);
	ASSERT_EQ(NBIG, r);
	for (i = 0; i < r; i++) {
		ASSERT_LT(ev[i].ident, (uintptr_t)NBIG);
		ASSERT_EQ(0, seen[ev[i].ident]);
		seen[ev[i].ident] = 1;
	}
	/* Level-triggered: all still pending. */
	r = kq_poll(self->kq, ev, 1000, 0);
	ASSERT_EQ(1000, r);
	free(ch);
	free(ev);
	free(seen);
}

TEST_HARNESS_MAIN
