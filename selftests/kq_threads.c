// SPDX-License-Identifier: GPL-2.0
/*
 * Many threads on one kqueue: wakeups, exactly-once delivery, close while
 * blocked, concurrent scans (NetBSD scan1), signals during a wait.
 *
 * Assertions are made in the main thread only (the harness longjmps out
 * of the test function); worker threads record what they saw.
 */
#include "kq_wait.h"

#define NWAITERS 4

FIXTURE(thr) {
	int kq;
};

FIXTURE_SETUP(thr)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(thr)
{
	if (self->kq >= 0)
		close(self->kq);
}

struct waiter {
	pthread_t tid;
	int kq;
	long timeout_ms;		/* < 0: NULL timeout */
	int started;
	int done;
	int ret;
	int err;
	struct kevent ev;
	long long t_ret;		/* kq_now_us() when kevent returned */
};

static void *waiter_fn(void *p)
{
	struct waiter *w = p;
	struct timespec ts = kq_ms(w->timeout_ms < 0 ? 0 : w->timeout_ms);

	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	memset(&w->ev, 0, sizeof(w->ev));
	w->ret = kevent(w->kq, NULL, 0, &w->ev, 1,
			w->timeout_ms < 0 ? NULL : &ts);
	w->err = errno;
	w->t_ret = kq_now_us();
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int start_waiters(struct waiter *w, int n, int kq, long timeout_ms)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].kq = kq;
		w[i].timeout_ms = timeout_ms;
		if (pthread_create(&w[i].tid, NULL, waiter_fn, &w[i]))
			return -1;
	}
	for (i = 0; i < n; i++)
		while (!__atomic_load_n(&w[i].started, __ATOMIC_SEQ_CST))
			kq_sleep_ms(1);
	/* Give them time to block in kevent(). */
	kq_sleep_ms(500);
	return 0;
}

/* Join with a deadline; returns 0 when the thread finished. */
static int join_within(struct waiter *w, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(w->tid, NULL, &ts);
}

static int count_done(struct waiter *w, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
	return c;
}

/*
 * NWAITERS threads blocked with a NULL timeout; NWAITERS oneshot user
 * events triggered in one kevent() call: each thread gets exactly one and
 * every event is delivered exactly once.
 */
static void waiters_check(struct __test_metadata *_metadata, int kq,
			  int batch)
{
	struct waiter w[NWAITERS];
	struct kevent ch[NWAITERS];
	int i, seen[NWAITERS + 1] = { 0 };

	for (i = 1; i <= NWAITERS; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	ASSERT_EQ(0, start_waiters(w, NWAITERS, kq, -1));
	ASSERT_EQ(0, count_done(w, NWAITERS)) TH_LOG("a waiter returned with nothing pending");

	if (batch) {
		for (i = 0; i < NWAITERS; i++)
			EV_SET(&ch[i], i + 1, EVFILT_USER, 0, NOTE_TRIGGER, 0,
			       NULL);
		ASSERT_EQ(0, kevent(kq, ch, NWAITERS, NULL, 0, NULL));
	} else {
		for (i = 1; i <= NWAITERS; i++) {
			KQ_CHANGE_OK(kq, i, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
			kq_sleep_ms(50);
		}
	}

	for (i = 0; i < NWAITERS; i++) {
		int r = join_within(&w[i], KQ_TIMER_WAIT_MS);

		ASSERT_EQ(0, r) TH_LOG("waiter %d still blocked: %d of %d woke", i, count_done(w, NWAITERS), NWAITERS);
		ASSERT_EQ(1, w[i].ret) TH_LOG("waiter %d: %d (%s)", i, w[i].ret, strerror(w[i].err));
		ASSERT_EQ(EVFILT_USER, w[i].ev.filter);
		ASSERT_GE(w[i].ev.ident, 1u);
		ASSERT_LE(w[i].ev.ident, (uintptr_t)NWAITERS);
		ASSERT_EQ(0, seen[w[i].ev.ident]) TH_LOG("event %lu delivered twice", (unsigned long)w[i].ev.ident);
		seen[w[i].ev.ident] = 1;
	}
	KQ_CHECK_NONE(kq);
	for (i = 1; i <= NWAITERS; i++)
		KQ_CHANGE_ERR(kq, ENOENT, i, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

TEST_F_TIMEOUT(thr, waiters_batch, 60)
{
	waiters_check(_metadata, self->kq, 1);
}

TEST_F_TIMEOUT(thr, waiters_serial, 60)
{
	waiters_check(_metadata, self->kq, 0);
}

/*
 * With EV_CLEAR (not oneshot) and nevents 1: one trigger wakes at least
 * one waiter and is delivered exactly once; the others stay blocked.
 */
TEST_F_TIMEOUT(thr, one_event_one_waiter, 60)
{
	struct waiter w[NWAITERS];
	int i, got = 0;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, start_waiters(w, NWAITERS, self->kq, 3000));
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	for (i = 0; i < NWAITERS; i++) {
		ASSERT_EQ(0, join_within(&w[i], KQ_TIMER_WAIT_MS));
		if (w[i].ret == 1) {
			ASSERT_EQ(1u, w[i].ev.ident);
			got++;
		} else {
			/* The others time out (3 s). */
			ASSERT_EQ(0, w[i].ret) TH_LOG("waiter %d: %d (%s)", i, w[i].ret, strerror(w[i].err));
		}
	}
	ASSERT_EQ(1, got);
}

/*
 * close(kq) while another thread is blocked in kevent() on it.  FreeBSD's
 * kqueue_close() sets KQ_CLOSING and wakes the sleepers, whose kevent()
 * then fails with EBADF; the reference says closing a kqueue wakes the
 * threads blocked on it.  Asserted: the waiter returns within 2 s with
 * -1/EBADF.
 */
TEST_F_TIMEOUT(thr, close_wakes_waiter, 60)
{
	struct waiter w;
	long long t0;
	int r;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, start_waiters(&w, 1, self->kq, -1));
	ASSERT_EQ(0, count_done(&w, 1));
	t0 = kq_now_us();
	ASSERT_EQ(0, close(self->kq));
	self->kq = -1;
	r = join_within(&w, 2000);
	ASSERT_EQ(0, r) TH_LOG("kevent() still blocked 2 s after close(kq)");
	ASSERT_LT(w.t_ret - t0, 2000000LL);
	ASSERT_EQ(-1, w.ret) TH_LOG("kevent() returned %d after close", w.ret);
	ASSERT_EQ(EBADF, w.err);
}

/* The same with NWAITERS waiters: all of them wake. */
TEST_F_TIMEOUT(thr, close_wakes_all, 60)
{
	struct waiter w[NWAITERS];
	int i;

	ASSERT_EQ(0, start_waiters(w, NWAITERS, self->kq, -1));
	ASSERT_EQ(0, close(self->kq));
	self->kq = -1;
	for (i = 0; i < NWAITERS; i++) {
		ASSERT_EQ(0, join_within(&w[i], 2000)) TH_LOG("%d of %d waiters woke", count_done(w, NWAITERS), NWAITERS);
		ASSERT_EQ(-1, w[i].ret);
		ASSERT_EQ(EBADF, w[i].err);
	}
}

/*
 * Closing a dup of the kqueue descriptor does not close the kqueue: a
 * waiter on the other descriptor stays blocked and still gets its event.
 */
TEST_F_TIMEOUT(thr, close_dup_keeps_waiter, 60)
{
	struct waiter w;
	int dupfd;

	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)5);
	dupfd = dup(self->kq);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, start_waiters(&w, 1, self->kq, 8000));
	ASSERT_EQ(0, close(dupfd));
	kq_sleep_ms(300);
	ASSERT_EQ(0, count_done(&w, 1)) TH_LOG("closing a dup woke the waiter: ret %d (%s)", w.ret, strerror(w.err));
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)5);
	ASSERT_EQ(0, join_within(&w, KQ_TIMER_WAIT_MS));
	ASSERT_EQ(1, w.ret) TH_LOG("waiter: %d (%s)", w.ret, strerror(w.err));
	ASSERT_EQ(1u, w.ev.ident);
	ASSERT_EQ((void *)5, w.ev.udata);
}

/* A waiter on a dup is woken by an event registered through the original. */
TEST_F_TIMEOUT(thr, waiter_on_dup, 60)
{
	struct waiter w;
	int dupfd = dup(self->kq);

	ASSERT_LE(0, dupfd);
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, start_waiters(&w, 1, dupfd, -1));
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, join_within(&w, KQ_TIMER_WAIT_MS));
	ASSERT_EQ(1, w.ret);
	ASSERT_EQ(3u, w.ev.ident);
	close(dupfd);
}

/*
 * NetBSD scan1 (PR kern/50094): two threads, 10,000 zero-timeout kevent()
 * calls each, on a kqueue with one level-triggered, always-ready knote:
 * every call returns exactly that one event.
 */
#define NSCAN 10000

struct scanner {
	int kq;
	int calls;		/* calls that returned 1 */
	int bad_ret;
	int err;
};

static void *scan1_fn(void *p)
{
	struct scanner *s = p;
	struct timespec ts = { 0, 0 };
	struct kevent ev;
	int i, r;

	for (i = 0; i < NSCAN; i++) {
		r = kevent(s->kq, NULL, 0, &ev, 1, &ts);
		if (r != 1) {
			s->bad_ret = r;
			s->err = errno;
			break;
		}
		s->calls++;
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, scan1, 300)
{
	struct scanner s1 = { .kq = self->kq }, s2 = { .kq = self->kq };
	pthread_t t1, t2;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_OK(self->kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, write(p[1], p, 1));
	ASSERT_EQ(0, pthread_create(&t1, NULL, scan1_fn, &s1));
	ASSERT_EQ(0, pthread_create(&t2, NULL, scan1_fn, &s2));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ASSERT_EQ(NSCAN, s1.calls) TH_LOG("thread 1: call %d returned %d (%s)", s1.calls, s1.bad_ret, strerror(s1.err));
	ASSERT_EQ(NSCAN, s2.calls) TH_LOG("thread 2: call %d returned %d (%s)", s2.calls, s2.bad_ret, strerror(s2.err));
	close(p[0]);
	close(p[1]);
}

/*
 * Two scanning threads (10,000 zero-timeout calls each) while a third
 * triggers NTRIG oneshot user events one at a time: every event is
 * delivered exactly once across the scanners and a final drain.
 */
#define NTRIG 2000

struct scan2 {
	int kq;
	int *count;		/* per ident, atomically incremented */
	int bad;		/* unexpected result */
	int err;
	volatile int *stop;
};

static void *scan2_fn(void *p)
{
	struct scan2 *s = p;
	struct timespec ts = { 0, 0 };
	struct kevent ev[8];
	int i, j, r;

	for (i = 0; i < NSCAN; i++) {
		r = kevent(s->kq, NULL, 0, ev, 8, &ts);
		if (r < 0) {
			s->bad = -1;
			s->err = errno;
			return NULL;
		}
		for (j = 0; j < r; j++) {
			if (ev[j].filter != EVFILT_USER ||
			    ev[j].ident >= NTRIG || (ev[j].flags & EV_ERROR)) {
				s->bad = 1;
				continue;
			}
			__atomic_fetch_add(&s->count[ev[j].ident], 1,
					   __ATOMIC_SEQ_CST);
		}
	}
	return NULL;
}

struct trigger {
	int kq;
	int fails;
	int err;
};

static void *trigger_fn(void *p)
{
	struct trigger *t = p;
	int i;

	for (i = 0; i < NTRIG; i++) {
		if (kq_change(t->kq, i, EVFILT_USER, 0, NOTE_TRIGGER, 0,
			      NULL)) {
			t->fails++;
			t->err = errno;
		}
		if (i % 16 == 0)
			sched_yield();
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, scan_while_triggering, 300)
{
	struct kevent *ch, ev[64];
	int *count, i, r;
	struct scan2 s1, s2;
	struct trigger tr = { .kq = self->kq };
	pthread_t t1, t2, t3;

	count = calloc(NTRIG, sizeof(*count));
	ch = calloc(NTRIG, sizeof(*ch));
	ASSERT_NE(NULL, count);
	ASSERT_NE(NULL, ch);
	for (i = 0; i < NTRIG; i++)
		EV_SET(&ch[i], i, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0,
		       NULL);
	ASSERT_EQ(0, kevent(self->kq, ch, NTRIG, NULL, 0, NULL));

	memset(&s1, 0, sizeof(s1));
	s1.kq = self->kq;
	s1.count = count;
	s2 = s1;
	ASSERT_EQ(0, pthread_create(&t1, NULL, scan2_fn, &s1));
	ASSERT_EQ(0, pthread_create(&t2, NULL, scan2_fn, &s2));
	ASSERT_EQ(0, pthread_create(&t3, NULL, trigger_fn, &tr));
	pthread_join(t3, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ASSERT_EQ(0, tr.fails) TH_LOG("trigger failed: %s", strerror(tr.err));
	ASSERT_EQ(0, s1.bad) TH_LOG("scanner 1: %s", strerror(s1.err));
	ASSERT_EQ(0, s2.bad) TH_LOG("scanner 2: %s", strerror(s2.err));

	/* Drain what the scanners left. */
	while ((r = kq_poll(self->kq, ev, 64, 0)) > 0)
		for (i = 0; i < r; i++) {
			ASSERT_LT(ev[i].ident, (uintptr_t)NTRIG);
			count[ev[i].ident]++;
		}
	ASSERT_EQ(0, r);
	for (i = 0; i < NTRIG; i++) {
		ASSERT_EQ(1, count[i]) TH_LOG("event %d delivered %d times", i, count[i]);
	}
	free(count);
	free(ch);
}

/*
 * Threads adding, triggering and deleting their own knotes while another
 * scans: every change succeeds and nothing is left behind.
 */
struct churn {
	int kq;
	int base;
	int fails;
	int err;
};

#define NCHURN 3000

static void *churn_fn(void *p)
{
	struct churn *c = p;
	struct kevent ch[3];
	int i;

	for (i = 0; i < NCHURN; i++) {
		uintptr_t id = c->base + (i % 64);

		EV_SET(&ch[0], id, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
		EV_SET(&ch[1], id, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		EV_SET(&ch[2], id, EVFILT_USER, EV_DELETE, 0, 0, NULL);
		if (kevent(c->kq, ch, 3, NULL, 0, NULL) != 0) {
			c->fails++;
			c->err = errno;
		}
	}
	return NULL;
}

static void *churn_scan_fn(void *p)
{
	struct scan2 *s = p;
	struct timespec ts = { 0, 0 };
	struct kevent ev[16];
	int r, j;

	while (!*s->stop) {
		r = kevent(s->kq, NULL, 0, ev, 16, &ts);
		if (r < 0) {
			s->bad = -1;
			s->err = errno;
			return NULL;
		}
		for (j = 0; j < r; j++)
			if (ev[j].filter != EVFILT_USER ||
			    (ev[j].flags & EV_ERROR))
				s->bad = 1;
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, churn, 300)
{
	struct churn c1 = { .kq = self->kq, .base = 1000 };
	struct churn c2 = { .kq = self->kq, .base = 2000 };
	volatile int stop = 0;
	struct scan2 s = { .kq = self->kq, .stop = &stop };
	pthread_t t1, t2, t3;
	int i;

	ASSERT_EQ(0, pthread_create(&t3, NULL, churn_scan_fn, &s));
	ASSERT_EQ(0, pthread_create(&t1, NULL, churn_fn, &c1));
	ASSERT_EQ(0, pthread_create(&t2, NULL, churn_fn, &c2));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	stop = 1;
	pthread_join(t3, NULL);
	ASSERT_EQ(0, c1.fails) TH_LOG("churn 1: %s", strerror(c1.err));
	ASSERT_EQ(0, c2.fails) TH_LOG("churn 2: %s", strerror(c2.err));
	ASSERT_EQ(0, s.bad) TH_LOG("scanner: %s", strerror(s.err));
	KQ_CHECK_NONE(self->kq);
	for (i = 0; i < 64; i++) {
		KQ_CHANGE_ERR(self->kq, ENOENT, 1000 + i, EVFILT_USER, EV_DELETE, 0,
		       0, NULL);
		KQ_CHANGE_ERR(self->kq, ENOENT, 2000 + i, EVFILT_USER, EV_DELETE, 0,
		       0, NULL);
	}
}

/*
 * A signal during a wait: -1/EINTR, not restarted even with SA_RESTART,
 * and the changes of that call were applied.
 */
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

struct killer {
	pthread_t target;
	int kq;
	long delay_ms;
	volatile int cancel;
};

static void *killer_fn(void *p)
{
	struct killer *k = p;
	int i;

	kq_sleep_ms(k->delay_ms);
	pthread_kill(k->target, SIGUSR1);
	/*
	 * Fallback so that a kevent() that wrongly restarts still returns
	 * (with an event instead of EINTR) and the test fails cleanly.
	 */
	for (i = 0; i < 300 && !k->cancel; i++)
		kq_sleep_ms(10);
	if (!k->cancel)
		kq_change(k->kq, 9, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	return NULL;
}

static void eintr_check(struct __test_metadata *_metadata, int kq,
			long timeout_ms)
{
	struct sigaction sa;
	struct killer k = { .target = pthread_self(), .kq = kq,
			    .delay_ms = 300 };
	struct kevent ch, ev;
	struct timespec ts = kq_ms(timeout_ms);
	pthread_t t;
	long long t0, dt;
	int r, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	got_usr1 = 0;

	EV_SET(&ch, 9, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, killer_fn, &k));
	t0 = kq_now_us();
	errno = 0;
	r = kevent(kq, &ch, 1, &ev, 1, timeout_ms < 0 ? NULL : &ts);
	e = errno;
	dt = kq_now_us() - t0;
	k.cancel = 1;
	pthread_join(t, NULL);

	ASSERT_EQ(1, got_usr1);
	ASSERT_EQ(-1, r) TH_LOG("kevent() = %d after %lld us: restarted or not interrupted", r, dt);
	ASSERT_EQ(EINTR, e);
	ASSERT_LT(dt, 2500000LL);
	/* The change was applied before the wait. */
	KQ_CHANGE_OK(kq, 9, EVFILT_USER, EV_DELETE, 0, 0, NULL);
}

TEST_F_TIMEOUT(thr, eintr_infinite, 60)
{
	eintr_check(_metadata, self->kq, -1);
}

TEST_F_TIMEOUT(thr, eintr_timeout, 60)
{
	eintr_check(_metadata, self->kq, 20000);
}

TEST_HARNESS_MAIN
