// SPDX-License-Identifier: GPL-2.0
/*
 * A kqueue descriptor is itself pollable: poll(), select(), epoll and
 * EVFILT_READ from another kqueue see it readable while events are
 * pending.  Self-watching and cycles are refused; nesting depth is capped
 * (Darwin: 10).  FreeBSD kqueue_peek_signal, Darwin "kqueue in select"
 * and "nesting level".
 */
#include "kq_wait.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

FIXTURE(nest) {
	int kq;
};

FIXTURE_SETUP(nest)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(nest)
{
	if (self->kq >= 0)
		close(self->kq);
}

static int poll_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, ms);

	return r < 0 ? -1 : (r == 0 ? 0 : p.revents);
}

static int select_in(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	fd_set rfds;
	int r;

	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
	r = select(fd + 1, &rfds, NULL, NULL, &tv);
	if (r < 0)
		return -1;
	return r > 0 && FD_ISSET(fd, &rfds);
}

struct trig {
	int kq;
	uintptr_t ident;
	long delay_ms;
};

static void *trig_later(void *p)
{
	struct trig *t = p;

	kq_sleep_ms(t->delay_ms);
	kq_change(t->kq, t->ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	return NULL;
}

/* poll(): readable while an event is pending, not otherwise. */
TEST_F(nest, poll)
{
	struct kevent ev;
	int r;

	ASSERT_EQ(0, poll_in(self->kq, 0));
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, poll_in(self->kq, 0));
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	r = poll_in(self->kq, 0);
	ASSERT_TRUE(r & POLLIN) TH_LOG("revents 0x%x", r);
	/* Polling does not consume the event. */
	r = poll_in(self->kq, 0);
	ASSERT_TRUE(r & POLLIN);
	KQ_NOW(self->kq, &ev, 1, EVFILT_USER);
	ASSERT_EQ(0, poll_in(self->kq, 0));

	/* A disabled, triggered knote is not pending. */
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DISABLE, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, poll_in(self->kq, 0));
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	ASSERT_TRUE(poll_in(self->kq, 0) & POLLIN);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, poll_in(self->kq, 0));
}

/* A blocked poll() wakes when an event arrives. */
TEST_F_TIMEOUT(nest, poll_wakeup, 60)
{
	struct trig t = { .kq = self->kq, .ident = 2, .delay_ms = 300 };
	pthread_t th;
	long long t0, dt;
	int r;

	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, pthread_create(&th, NULL, trig_later, &t));
	t0 = kq_now_us();
	r = poll_in(self->kq, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	pthread_join(th, NULL);
	ASSERT_TRUE(r > 0 && (r & POLLIN)) TH_LOG("poll: %d after %lld us", r, dt);
	ASSERT_GE(dt, 250000LL);
}

/* A level-triggered pipe knote makes the kqueue readable too. */
TEST_F(nest, poll_pipe_level)
{
	char c;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_OK(self->kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, poll_in(self->kq, 0));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_TRUE(poll_in(self->kq, 0) & POLLIN);
	ASSERT_TRUE(poll_in(self->kq, 0) & POLLIN);
	ASSERT_EQ(1, read(p[0], &c, 1));
	/*
	 * No longer true.  (FreeBSD's kqueue_poll() only looks at the queue
	 * and may still say readable here, so only kevent() is asserted.)
	 */
	KQ_CHECK_NONE(self->kq);
	close(p[0]);
	close(p[1]);
}

/* Darwin "kqueue in select". */
TEST_F_TIMEOUT(nest, select, 60)
{
	struct trig t = { .kq = self->kq, .ident = 3, .delay_ms = 300 };
	struct kevent ev;
	pthread_t th;

	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, select_in(self->kq, 0));
	KQ_CHANGE_OK(self->kq, 3, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(1, select_in(self->kq, 0));
	KQ_NOW(self->kq, &ev, 3, EVFILT_USER);
	ASSERT_EQ(0, select_in(self->kq, 0));

	/* Blocked in select() when the event comes. */
	ASSERT_EQ(0, pthread_create(&th, NULL, trig_later, &t));
	ASSERT_EQ(1, select_in(self->kq, KQ_TIMER_WAIT_MS));
	pthread_join(th, NULL);
	KQ_NOW(self->kq, &ev, 3, EVFILT_USER);
}

/* epoll: EPOLLIN while pending; level and edge wakeups. */
TEST_F_TIMEOUT(nest, epoll, 60)
{
	struct epoll_event ee = { .events = EPOLLIN }, out[2];
	struct kevent ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	KQ_CHANGE_OK(self->kq, 4, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ee.data.u64 = 0x1234;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->kq, &ee)) TH_LOG("epoll_ctl: %s", strerror(errno));
	ASSERT_EQ(0, epoll_wait(ep, out, 2, 0));
	KQ_CHANGE_OK(self->kq, 4, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	ASSERT_TRUE((out[0].events & EPOLLIN) != 0);
	ASSERT_EQ(0x1234u, out[0].data.u64);
	/* Level-triggered epoll: still there. */
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	KQ_NOW(self->kq, &ev, 4, EVFILT_USER);
	ASSERT_EQ(0, epoll_wait(ep, out, 2, 0));
	close(ep);
}

struct epwait {
	int ep;
	int ret;
	int err;
	struct epoll_event ev;
	long long t_ret;
};

static void *epwait_fn(void *p)
{
	struct epwait *w = p;

	w->ret = epoll_wait(w->ep, &w->ev, 1, KQ_TIMER_WAIT_MS);
	w->err = errno;
	w->t_ret = kq_now_us();
	return NULL;
}

/* EPOLLET: a thread blocked in epoll_wait() wakes when an event arrives. */
TEST_F_TIMEOUT(nest, epoll_edge_wakeup, 60)
{
	struct epoll_event ee = { .events = EPOLLIN | EPOLLET };
	struct epwait w;
	struct kevent ev;
	pthread_t th;
	long long t0;
	int round;

	KQ_CHANGE_OK(self->kq, 5, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	memset(&w, 0, sizeof(w));
	w.ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, w.ep);
	ASSERT_EQ(0, epoll_ctl(w.ep, EPOLL_CTL_ADD, self->kq, &ee));

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, pthread_create(&th, NULL, epwait_fn, &w));
		kq_sleep_ms(300);
		t0 = kq_now_us();
		KQ_CHANGE_OK(self->kq, 5, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		pthread_join(th, NULL);
		ASSERT_EQ(1, w.ret) TH_LOG("round %d: epoll_wait %d (%s)", round, w.ret, strerror(w.err));
		ASSERT_TRUE((w.ev.events & EPOLLIN) != 0);
		ASSERT_LT(w.t_ret - t0, 5000000LL);
		KQ_NOW(self->kq, &ev, 5, EVFILT_USER);
	}
	close(w.ep);
}

/*
 * A kqueue in a kqueue via EVFILT_READ: readable while the inner kqueue
 * has events; data = number of pending events.
 */
TEST_F(nest, kq_in_kq)
{
	struct kevent ev;
	int inner = kqueue();
	int i;

	ASSERT_LE(0, inner);
	for (i = 1; i <= 3; i++)
		KQ_CHANGE_OK(inner, i, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, inner, EVFILT_READ, EV_ADD, 0, 0, (void *)0x99);
	KQ_CHECK_NONE(self->kq);

	for (i = 1; i <= 3; i++)
		KQ_CHANGE_OK(inner, i, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, inner, EVFILT_READ);
	ASSERT_EQ(3, ev.data);
	ASSERT_EQ((void *)0x99, ev.udata);

	/* Harvest one of the three: two left. */
	ASSERT_EQ(1, kq_poll(inner, &ev, 1, 0));
	KQ_NOW(self->kq, &ev, inner, EVFILT_READ);
	ASSERT_EQ(2, ev.data);

	/* Harvest the rest: the outer knote is no longer true. */
	ASSERT_EQ(2, kq_poll(inner, (struct kevent[4]){ 0 }, 4, 0));
	KQ_CHECK_NONE(self->kq);

	/*
	 * Closing the inner kqueue removes the outer knote.  (EV_DELETE on
	 * the closed descriptor is EBADF, as in FreeBSD, where the fd lookup
	 * comes first.)
	 */
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	close(inner);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, EBADF, inner, EVFILT_READ, EV_DELETE, 0, 0, NULL);
}

/* EV_CLEAR on the outer knote: reported on each new inner activity. */
TEST_F(nest, kq_in_kq_clear)
{
	struct kevent ev;
	int inner = kqueue();

	ASSERT_LE(0, inner);
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(inner, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, inner, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, inner, EVFILT_READ);
	ASSERT_EQ(1, ev.data);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(inner, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_NOW(self->kq, &ev, inner, EVFILT_READ);
	ASSERT_EQ(2, ev.data);
	KQ_CHECK_NONE(self->kq);
	close(inner);
}

/*
 * FreeBSD kqueue_peek_signal with EVFILT_USER as the inner source (the
 * EVFILT_SIGNAL form comes with that filter): 100 rounds, a zero-timeout
 * kevent() on the outer kqueue sees the inner activity at once.
 */
TEST_F_TIMEOUT(nest, peek_user, 120)
{
	struct timespec zero = { 0, 0 };
	struct kevent ev;
	int inner, i, r;

	inner = kqueue();
	ASSERT_LE(0, inner);
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, inner, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, NULL);
	for (i = 0; i < 100; i++) {
		KQ_CHANGE_OK(inner, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		r = kevent(self->kq, NULL, 0, &ev, 1, &zero);
		ASSERT_EQ(1, r) TH_LOG("round %d: outer kevent() = %d", i, r);
		ASSERT_EQ((uintptr_t)inner, ev.ident);
		ASSERT_EQ(0, kevent(self->kq, NULL, 0, &ev, 1, &zero));
		ASSERT_EQ(1, kevent(inner, NULL, 0, &ev, 1, &zero));
		ASSERT_EQ(0, kevent(inner, NULL, 0, &ev, 1, &zero));
	}
	close(inner);
}

/* A thread blocked on the outer kqueue wakes for inner activity. */
TEST_F_TIMEOUT(nest, nested_wakeup, 60)
{
	struct kevent ev;
	struct trig t;
	pthread_t th;
	long long t0, dt;
	int inner = kqueue();

	ASSERT_LE(0, inner);
	KQ_CHANGE_OK(inner, 6, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, inner, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, NULL);
	t.kq = inner;
	t.ident = 6;
	t.delay_ms = 300;
	ASSERT_EQ(0, pthread_create(&th, NULL, trig_later, &t));
	t0 = kq_now_us();
	KQ_WAIT_ONE(self->kq, &ev, inner, EVFILT_READ, KQ_TIMER_WAIT_MS);
	dt = kq_now_us() - t0;
	pthread_join(th, NULL);
	ASSERT_GE(dt, 250000LL);
	close(inner);
}

/* Adding a kqueue to itself: EINVAL. */
TEST_F(nest, self_add)
{
	KQ_CHANGE_ERR(self->kq, EINVAL, self->kq, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->kq, EVFILT_READ, EV_DELETE, 0, 0,
	       NULL);
	/* Through a dup: the same kqueue. */
	{
		int d = dup(self->kq);

		ASSERT_LE(0, d);
		KQ_CHANGE_ERR(self->kq, EINVAL, d, EVFILT_READ, EV_ADD, 0, 0, NULL);
		close(d);
	}
}

/* A watches B, then B watches A: EINVAL.  Also a three-kqueue cycle. */
TEST_F(nest, cycle)
{
	int a = self->kq, b = kqueue(), c = kqueue();

	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	KQ_CHANGE_OK(a, b, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(b, EINVAL, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(b, ENOENT, a, EVFILT_READ, EV_DELETE, 0, 0, NULL);

	/* a -> b -> c, then c -> a closes a cycle. */
	KQ_CHANGE_OK(b, c, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(c, EINVAL, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(c, EINVAL, b, EVFILT_READ, EV_ADD, 0, 0, NULL);

	/* Once the edge is deleted the reverse direction is fine. */
	KQ_CHANGE_OK(a, b, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(b, c, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(b, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	close(b);
	close(c);
}

/*
 * A chain of kqueues, each watching the previous one: a chain of 3 works
 * (and propagates readiness); extending it to 16 is refused with EINVAL
 * at some depth.
 */
#define NCHAIN 16

TEST_F(nest, depth_cap)
{
	struct kevent ev;
	int kq[NCHAIN], i, r = 0, e = 0, refused_at = -1;

	for (i = 0; i < NCHAIN; i++) {
		kq[i] = kqueue();
		ASSERT_LE(0, kq[i]);
	}
	KQ_CHANGE_OK(kq[0], 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	for (i = 1; i < NCHAIN; i++) {
		errno = 0;
		r = kq_change(kq[i], kq[i - 1], EVFILT_READ, EV_ADD, 0, 0,
			      NULL);
		e = errno;
		if (r != 0) {
			refused_at = i;
			break;
		}
	}
	TH_LOG("nesting refused when adding kqueue #%d to #%d", refused_at - 1, refused_at);
	/* kq[2] watches kq[1] watches kq[0]: chain of 3 accepted. */
	ASSERT_TRUE(refused_at == -1 || refused_at >= 3) TH_LOG("a chain of 3 kqueues was refused at %d: %s", refused_at, strerror(e));
	ASSERT_NE(-1, refused_at) TH_LOG("a chain of %d kqueues was accepted", NCHAIN);
	ASSERT_EQ(-1, r);
	ASSERT_EQ(EINVAL, e);

	/* Readiness propagates up the accepted chain. */
	KQ_CHANGE_OK(kq[0], 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	for (i = 1; i < refused_at; i++) {
		KQ_NOW(kq[i], &ev, kq[i - 1], EVFILT_READ);
		ASSERT_EQ(1, ev.data);
	}
	for (i = 0; i < NCHAIN; i++)
		close(kq[i]);
}

/*
 * The same chain built top-down (each new link's watcher already watched
 * by the rest of the chain): the cap must still hold.
 */
TEST_F(nest, depth_cap_top_down)
{
	int kq[NCHAIN], i, r = 0, e = 0, refused_at = -1;

	for (i = 0; i < NCHAIN; i++) {
		kq[i] = kqueue();
		ASSERT_LE(0, kq[i]);
	}
	/* kq[i] watches kq[i + 1]; add the links from the top. */
	for (i = 0; i < NCHAIN - 1; i++) {
		errno = 0;
		r = kq_change(kq[i], kq[i + 1], EVFILT_READ, EV_ADD, 0, 0,
			      NULL);
		e = errno;
		if (r != 0) {
			refused_at = i + 1;
			break;
		}
	}
	ASSERT_NE(-1, refused_at) TH_LOG("a chain of %d kqueues was accepted (built top-down)", NCHAIN);
	ASSERT_GE(refused_at, 3) TH_LOG("a chain of 3 refused: %s", strerror(e));
	ASSERT_EQ(-1, r);
	ASSERT_EQ(EINVAL, e);
	for (i = 0; i < NCHAIN; i++)
		close(kq[i]);
}

/* Two chains joined in the middle: the combined depth is what counts. */
TEST_F(nest, depth_cap_join)
{
	int lo[NCHAIN / 2], hi[NCHAIN / 2], i, r, e;

	for (i = 0; i < NCHAIN / 2; i++) {
		lo[i] = kqueue();
		hi[i] = kqueue();
		ASSERT_LE(0, lo[i]);
		ASSERT_LE(0, hi[i]);
	}
	/* Two chains of 2: always fine. */
	KQ_CHANGE_OK(lo[1], lo[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(hi[1], hi[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* Join: hi[0] watches lo[1] gives lo0 <- lo1 <- hi0 <- hi1: 4. */
	r = kq_change(hi[0], lo[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	e = errno;
	if (r != 0) {
		/* Refused at 4: allowed only if the cap is 3 or less. */
		ASSERT_EQ(EINVAL, e);
	}
	/* Grow both chains to 8 and join them: 16 deep must be refused. */
	for (i = 2; i < NCHAIN / 2; i++) {
		kq_change(lo[i], lo[i - 1], EVFILT_READ, EV_ADD, 0, 0, NULL);
		kq_change(hi[i], hi[i - 1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	}
	if (r == 0)
		KQ_CHANGE_OK(hi[0], lo[1], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* hi[0] watches lo[7]: lo0..lo7 <- hi0..hi7 would be 16 deep. */
	KQ_CHANGE_ERR(hi[0], EINVAL, lo[NCHAIN / 2 - 1], EVFILT_READ, EV_ADD, 0, 0,
	       NULL);
	for (i = 0; i < NCHAIN / 2; i++) {
		close(lo[i]);
		close(hi[i]);
	}
}

/*
 * A cycle through epoll: an epoll instance watching the kqueue and the
 * kqueue watching the epoll instance (either order).  It may be refused
 * (EINVAL or ELOOP); if accepted, triggering, scanning, polling and
 * closing must all return (no recursion without end, no hang).
 */
TEST_F_TIMEOUT(nest, epoll_cycle, 60)
{
	struct epoll_event ee = { .events = EPOLLIN }, out[2];
	struct kevent ev[4];
	int order, ep, r, e;

	for (order = 0; order < 2; order++) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
		if (order == 0) {
			ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->kq, &ee));
			errno = 0;
			r = kq_change(self->kq, ep, EVFILT_READ, EV_ADD, 0, 0,
				      NULL);
		} else {
			ASSERT_EQ(0, kq_change(self->kq, ep, EVFILT_READ,
					       EV_ADD, 0, 0, NULL));
			errno = 0;
			r = epoll_ctl(ep, EPOLL_CTL_ADD, self->kq, &ee);
		}
		e = errno;
		TH_LOG("order %d: cycle %s (%s)", order,
		       r ? "refused" : "accepted", r ? strerror(e) : "");
		if (r) {
			ASSERT_TRUE(e == EINVAL || e == ELOOP);
		}

		KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		r = kq_poll(self->kq, ev, 4, 0);
		ASSERT_LE(1, r);
		ASSERT_LE(r, 2);
		ASSERT_GE(poll_in(self->kq, 0), 0);
		ASSERT_GE(poll_in(ep, 0), 0);
		ASSERT_GE(epoll_wait(ep, out, 2, 0), 0);
		ASSERT_EQ(0, close(ep));
		KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
		/* The knote on the closed epoll descriptor is gone. */
		KQ_CHECK_NONE(self->kq);
	}
}

struct outer_wait {
	int kq;
	int ret;
	int err;
	struct kevent ev;
};

static void *outer_wait_fn(void *p)
{
	struct outer_wait *w = p;
	struct timespec ts = kq_ms(KQ_TIMER_WAIT_MS);

	w->ret = kevent(w->kq, NULL, 0, &w->ev, 1, &ts);
	w->err = errno;
	return NULL;
}

/*
 * Nested lifetimes: the inner kqueue closed while a thread waits on the
 * outer one (the outer knote goes away, the waiter keeps waiting and is
 * released by another event); the outer kqueue closed while the inner
 * one keeps getting events (nothing may touch the freed outer knote).
 */
TEST_F_TIMEOUT(nest, nested_close, 60)
{
	struct outer_wait w = { .kq = self->kq };
	struct kevent ev;
	pthread_t th;
	int inner, outer, i;

	inner = kqueue();
	ASSERT_LE(0, inner);
	KQ_CHANGE_OK(inner, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, inner, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	ASSERT_EQ(0, pthread_create(&th, NULL, outer_wait_fn, &w));
	kq_sleep_ms(300);
	ASSERT_EQ(0, close(inner));
	kq_sleep_ms(300);
	KQ_CHANGE_OK(self->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	pthread_join(th, NULL);
	ASSERT_EQ(1, w.ret) TH_LOG("outer waiter: %d (%s)", w.ret, strerror(w.err));
	ASSERT_EQ(2u, w.ev.ident);
	ASSERT_EQ(EVFILT_USER, w.ev.filter);
	KQ_CHECK_NONE(self->kq);

	/* Outer closed first; the inner one lives on. */
	for (i = 0; i < 50; i++) {
		inner = kqueue();
		outer = kqueue();
		ASSERT_LE(0, inner);
		ASSERT_LE(0, outer);
		KQ_CHANGE_OK(inner, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
		KQ_CHANGE_OK(outer, inner, EVFILT_READ, EV_ADD, 0, 0, NULL);
		if (i % 2)
			KQ_CHANGE_OK(inner, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		ASSERT_EQ(0, close(outer));
		KQ_CHANGE_OK(inner, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		KQ_NOW(inner, &ev, 1, EVFILT_USER);
		ASSERT_EQ(0, poll_in(inner, 0));
		ASSERT_EQ(0, close(inner));
	}
}

TEST_HARNESS_MAIN
