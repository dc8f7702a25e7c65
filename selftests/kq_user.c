// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_USER: FreeBSD tests/sys/kqueue/libkqueue/user.c, the fflags
 * control operations, Darwin's add-and-trigger and NetBSD oneshot_udata.
 */
#include "kq_wait.h"

FIXTURE(user) {
	int kq;
};

FIXTURE_SETUP(user)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(user)
{
	if (self->kq >= 0)
		close(self->kq);
}

/* kevent(EVFILT_USER, EV_ADD and EV_DELETE): no event, then gone. */
TEST_F(user, add_delete)
{
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* Triggering a knote that does not exist. */
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 1, EVFILT_USER, EV_DISABLE, 0, 0, NULL);
}

/* kevent(EVFILT_USER, wait): NOTE_TRIGGER, then one event. */
TEST_F(user, wait)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	/* No control bits, no NOTE_TRIGGER in the returned fflags. */
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);
}

struct trig_arg {
	int kq;
	uintptr_t ident;
	long delay_ms;
	int ret;
	int err;
};

static void *trigger_later(void *p)
{
	struct trig_arg *a = p;

	kq_sleep_ms(a->delay_ms);
	a->ret = kq_change(a->kq, a->ident, EVFILT_USER, 0,
			   NOTE_TRIGGER | NOTE_FFCOPY | 0x42, 0, NULL);
	a->err = errno;
	return NULL;
}

/* A trigger from another thread wakes a kevent() blocked in wait. */
TEST_F(user, wait_blocking)
{
	struct trig_arg a = { .kq = self->kq, .ident = 2, .delay_ms = 300 };
	struct kevent ev;
	pthread_t t;
	long long t0, dt;

	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, trigger_later, &a));
	t0 = kq_now_us();
	KQ_WAIT_ONE(self->kq, &ev, 2, EVFILT_USER, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	pthread_join(t, NULL);
	ASSERT_EQ(0, a.ret) TH_LOG("trigger: %s", strerror(a.err));
	ASSERT_EQ(0x42u, ev.fflags);
	ASSERT_GE(dt, 250000LL) TH_LOG("returned before the trigger");
}

/* EV_KEEPUDATA on a modify keeps the stored udata. */
TEST_F(user, keepudata)
{
	struct kevent ev;
	int a, b;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, &a);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)&a, ev.udata);
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);

	/* A re-add replaces udata... */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, &b);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)&b, ev.udata);

	/* ...and EV_ADD with EV_KEEPUDATA is a contradiction. */
	KQ_CHANGE_ERR(self->kq, EINVAL, 1, EVFILT_USER, EV_ADD | EV_KEEPUDATA, 0, 0,
	       &a);
	KQ_CHANGE_ERR(self->kq, EINVAL, 9, EVFILT_USER, EV_ADD | EV_KEEPUDATA, 0, 0,
	       &a);
	KQ_CHANGE_ERR(self->kq, ENOENT, 9, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* The failed re-add changed nothing. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)&b, ev.udata);
}

/*
 * EV_DISABLE / EV_ENABLE: a trigger while disabled is not reported;
 * enabling reports it at once (the condition is true).
 */
TEST_F(user, disable_enable)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DISABLE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);

	/* FreeBSD's sequence: enable, trigger, event. */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_DISABLE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);

	/* Both at once: EINVAL. */
	KQ_CHANGE_ERR(self->kq, EINVAL, 2, EVFILT_USER, EV_ENABLE | EV_DISABLE, 0, 0,
	       NULL);
}

/* The same with EV_KEEPUDATA on every modify (FreeBSD). */
TEST_F(user, disable_enable_keepudata)
{
	struct kevent ev;
	int a;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, &a);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DISABLE | EV_KEEPUDATA, 0, 0,
	      NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ENABLE | EV_KEEPUDATA, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)&a, ev.udata);
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);
}

/* EV_ONESHOT: one event, then the knote is gone. */
TEST_F(user, oneshot)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

/* NetBSD oneshot_udata, EVFILT_USER flavour. */
TEST_F(user, oneshot_udata)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0,
	      (void *)0xbeefcafeUL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER, 0, NULL);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, kq_poll(self->kq, &ev, 1, -1));
	ASSERT_EQ(1u, ev.ident);
	ASSERT_EQ(EVFILT_USER, ev.filter);
	ASSERT_EQ((void *)0xbeefcafeUL, ev.udata);
	KQ_CHECK_NONE(self->kq);
}

/*
 * NOTE_FFNOP / FFAND / FFOR / FFCOPY combine the low 24 bits into the
 * stored fflags; the returned fflags are the stored value, never the
 * control bits or NOTE_TRIGGER.
 */
TEST_F(user, ffctrl)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_FFCOPY | 0x00f0f0, 0, NULL);
	KQ_CHECK_NONE(self->kq);			/* no NOTE_TRIGGER yet */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_FFOR | 0x000f00, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_FFAND | 0x00ff0f, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_FFNOP | 0x123456, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	/* ((0xf0f0 | 0x0f00) & 0xff0f) = 0xff00 */
	ASSERT_EQ(0x00ff00u, ev.fflags);

	/*
	 * EV_CLEAR resets the trigger, not the stored fflags: FreeBSD's
	 * filt_usertouch() returns kn_sfflags, which only the FF* operations
	 * change.
	 */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x1, 0,
	      NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0x00ff01u, ev.fflags);

	/* All 24 bits, and nothing above them. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0,
	      NOTE_TRIGGER | NOTE_FFCOPY | NOTE_FFLAGSMASK, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((unsigned int)NOTE_FFLAGSMASK, ev.fflags);

	/* Bits between the 24 and the control bits are not stored. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0,
	      NOTE_TRIGGER | NOTE_FFCOPY | 0x02000000 | 0x00abcd, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0x00abcdu, ev.fflags);
	ASSERT_EQ(0u, ev.fflags & ~(unsigned int)NOTE_FFLAGSMASK);

	/* FFAND with 0 clears, trigger still fires. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_FFCOPY | 0x7, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFAND, 0, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0u, ev.fflags);
	KQ_CHECK_NONE(self->kq);
}

/* The fflags given at EV_ADD are combined the same way. */
TEST_F(user, ffctrl_at_add)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_FFCOPY | 0x30,
	      0, NULL);
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x3, 0,
	      NULL);
	KQ_NOW(self->kq, &ev, 3, EVFILT_USER);
	ASSERT_EQ(0x33u, ev.fflags);
}

/* data passes through from the change to the event. */
TEST_F(user, data_passthrough)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 42, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(42, ev.data);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, -7, NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(-7, ev.data);
}

/*
 * Without EV_CLEAR a triggered user event is level-triggered: reported
 * again by every kevent() call; with EV_CLEAR only once.
 */
TEST_F(user, level_vs_clear)
{
	struct kevent ev;
	int i;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x5,
	      0, NULL);
	for (i = 0; i < 3; i++) {
		KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
		ASSERT_EQ(0x5u, ev.fflags);
	}
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);

	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	KQ_CHECK_NONE(self->kq);
	KQ_CHECK_NONE(self->kq);
	/* Re-armed by the next trigger. */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	KQ_CHECK_NONE(self->kq);
}

/* Two triggers before one harvest: one event (edge, not a count). */
TEST_F(user, triggers_coalesce)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x1, 0,
	      NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x2, 0,
	      NULL);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0x3u, ev.fflags);
	KQ_CHECK_NONE(self->kq);
}

/* Darwin: EV_ADD with NOTE_TRIGGER in the same change fires at once. */
TEST_F(user, add_and_trigger)
{
	struct kevent ch, ev[2];

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
	      (void *)0x11);
	KQ_NOW(self->kq, &ev[0], 1, EVFILT_USER);
	ASSERT_EQ((void *)0x11, ev[0].udata);
	ASSERT_EQ(0u, ev[0].fflags);
	KQ_CHECK_NONE(self->kq);

	/* Changes and events in one call. */
	EV_SET(&ch, 2, EVFILT_USER, EV_ADD | EV_ONESHOT,
	       NOTE_TRIGGER | NOTE_FFCOPY | 0x99, 5, (void *)0x22);
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, kevent(self->kq, &ch, 1, ev, 2, &kq_zero));
	ASSERT_EQ(2u, ev[0].ident);
	ASSERT_EQ(EVFILT_USER, ev[0].filter);
	ASSERT_EQ(0, ev[0].flags & (EV_ERROR | KQ_ACTION_FLAGS));
	ASSERT_EQ(0x99u, ev[0].fflags);
	ASSERT_EQ((void *)0x22, ev[0].udata);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

/* Knotes with different idents are independent; udata is not the key. */
TEST_F(user, independent_idents)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)1);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)2);
	/* Same ident, other udata: a modify, not a second knote. */
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)3);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)3);
	KQ_NOW(self->kq, &ev, 2, EVFILT_USER);
	ASSERT_EQ((void *)3, ev.udata);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)1);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ((void *)1, ev.udata);
}

/* The same ident on two kqueues: two knotes, triggered separately. */
TEST_F(user, two_kqueues)
{
	struct kevent ev;
	int kq2 = kqueue();

	ASSERT_LE(0, kq2);
	KQ_CHANGE_OK(self->kq, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_NOW(kq2, &ev, 7, EVFILT_USER);
	close(kq2);
	KQ_CHANGE_OK(self->kq, 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, 7, EVFILT_USER);
}

TEST_HARNESS_MAIN
