// SPDX-License-Identifier: GPL-2.0
/*
 * A kqueue passed over SCM_RIGHTS to another process: the receiver holds a
 * valid descriptor, but every kevent() on it fails with EBADF; it can
 * neither see nor change the owner's knotes, and its close() or exit does
 * nothing to the owner, whose kqueue keeps working.  poll() on the passed
 * descriptor reports readiness like any descriptor (it is asserted only
 * to return, bounded, without a crash).  Passed within the owner's own
 * file table (to itself, or back from the receiver) it is the same kqueue
 * and works.  A kqueue left in flight in a closed socket is freed.  A
 * creator that gives its kqueue away and exits with no descriptor left
 * still ends it: its knotes go (a table that closes nothing on exit must
 * not stay known under an address a later process can get).
 */
#define _GNU_SOURCE
#include "kq_children.h"
#include "kq_module.h"

#include <sys/epoll.h>

struct owner {
	int kq;
	int pfd[2];
	int sv[2];	/* sv[0]: the owner's end, sv[1]: the receiver's */
};

/* USER 1 pending, USER 2 armed, EVFILT_READ on an empty pipe. */
static int owner_setup(struct owner *o)
{
	struct kevent ch[3];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, o->sv))
		return -1;
	o->kq = kqueue();
	if (o->kq < 0 || pipe2(o->pfd, O_NONBLOCK | O_CLOEXEC))
		return -1;
	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
	       (void *)0x111);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)0x222);
	EV_SET(&ch[2], o->pfd[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x333);
	return kevent(o->kq, ch, 3, NULL, 0, NULL);
}

static void owner_close(struct owner *o)
{
	close(o->kq);
	close(o->pfd[0]);
	close(o->pfd[1]);
	close(o->sv[0]);
	close(o->sv[1]);
}

/* The owner's kqueue (through descriptor kq) is as owner_setup() left it. */
#define CHECK_OWNER_KQ(o, kq) __check_owner_kq(_metadata, o, kq)
static void __check_owner_kq(struct __test_metadata *_metadata,
			     struct owner *o, int kq)
{
	struct kevent ev;
	char c;

	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 1, EVFILT_USER);
	EXPECT_EQ((void *)0x111, ev.udata);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x222);
	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 2, EVFILT_USER);
	KQ_CHANGE_ERR(kq, ENOENT, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(1, write(o->pfd[1], "x", 1));
	KQ_GET_ONE(kq, &ev, KQ_WAIT_MS);
	KQ_EXPECT_KEV(&ev, o->pfd[0], EVFILT_READ);
	EXPECT_EQ((void *)0x333, ev.udata);
	ASSERT_EQ(1, read(o->pfd[0], &c, 1));
	KQ_CHECK_NONE(kq);
	/* Re-arm USER 1 for the next check. */
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x111);
}

/* A receiver's every kevent() on the passed descriptor fails with EBADF. */
static void receiver_all_ebadf(int rfd, int pipe_rd)
{
	struct kevent ch[3], evs[8];
	struct kq_kevent64 ev64[2];
	struct timespec ts = kq_ms(50);

	KQ_CHILD_CHECK(kq_fd_valid(rfd));
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, NULL, 0, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, NULL, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, evs, 8, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, evs, 8, &ts), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, evs, 8, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(rfd, 3, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL),
	       EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(rfd, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(rfd, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL),
	       EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(rfd, 2, EVFILT_USER, EV_DISABLE, 0, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(rfd, pipe_rd, EVFILT_READ, EV_DELETE, 0, 0, NULL),
	       EBADF);
	EV_SET(&ch[0], 1, EVFILT_USER, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[2], 5, EVFILT_TIMER, EV_ADD, 0, 1, NULL);
	KQ_CHILD_CHECK_ERR(kevent(rfd, ch, 3, evs, 8, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kq_raw_kevent(rfd, NULL, 0, ev64, 2, &kq_zero,
			      KQ_RECORD_KEVENT64), EBADF);
}

/* Fork a receiver running fn(rfd, arg); returns its pid. */
static pid_t spawn_receiver(struct owner *o, void (*fn)(struct owner *, int))
{
	pid_t pid = fork();
	int rfd;

	if (pid != 0)
		return pid;
	alarm(KQ_CHILD_ALARM);
	/* The child's inherited copy goes first: only the passed one is left. */
	close(o->kq);
	close(o->sv[0]);
	rfd = kq_recv_fd(o->sv[1], KQ_CHILD_MS);
	KQ_CHILD_CHECK(rfd >= 0);
	fn(o, rfd);
	_exit(0);
}

static void recv_basic(struct owner *o, int rfd)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	int r;

	receiver_all_ebadf(rfd, o->pfd[0]);
	/*
	 * poll() returns what the kqueue's poll reports (USER 1 is pending
	 * in the owner's kqueue); only that it returns, bounded, matters.
	 */
	do {
		r = poll(&p, 1, 200);
	} while (r < 0 && errno == EINTR);
	KQ_CHILD_CHECK(r >= 0);
	fprintf(stderr, "# receiver: poll() on the passed kqueue = %d, revents 0x%x\n",
		r, p.revents);
	receiver_all_ebadf(rfd, o->pfd[0]);
	KQ_CHILD_CHECK(close(rfd) == 0);
	KQ_CHILD_CHECK_ERR(kevent(rfd, NULL, 0, NULL, 0, &kq_zero), EBADF);
}

TEST(receiver_gets_ebadf)
{
	struct owner o;
	pid_t pid;

	ASSERT_EQ(0, owner_setup(&o)) TH_LOG("setup: %s", strerror(errno));
	pid = spawn_receiver(&o, recv_basic);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	KQ_WAIT_CHILD(pid);
	/* The owner's kqueue is untouched and works. */
	CHECK_OWNER_KQ(&o, o.kq);
	/* Its own poll still reports the pending event. */
	EXPECT_TRUE(kq_wait_poll(o.kq, POLLIN, 0) & POLLIN);
	owner_close(&o);
}

/* The receiver holds the descriptor while the owner keeps working. */
static void recv_hold(struct owner *o, int rfd)
{
	receiver_all_ebadf(rfd, o->pfd[0]);
	KQ_CHILD_CHECK(kq_send_byte(o->sv[1], 'r') == 0);
	/* Wait for the owner's go, then try again and exit without close. */
	KQ_CHILD_CHECK(kq_recv_byte(o->sv[1], KQ_CHILD_MS) == 'g');
	receiver_all_ebadf(rfd, o->pfd[0]);
}

TEST(receiver_holds_and_exits)
{
	struct owner o;
	struct kevent ev;
	pid_t pid;

	ASSERT_EQ(0, owner_setup(&o));
	pid = spawn_receiver(&o, recv_hold);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	ASSERT_EQ('r', kq_recv_byte(o.sv[0], KQ_CHILD_MS));
	/* Both hold it: the owner adds, triggers and waits as usual. */
	KQ_CHANGE_OK(o.kq, 6, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
		     NULL);
	{
		struct kevent evs[4];

		ASSERT_EQ(2, kq_poll(o.kq, evs, 4, 0));
	}
	KQ_CHANGE_OK(o.kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x111);
	ASSERT_EQ(0, kq_send_byte(o.sv[0], 'g'));
	KQ_WAIT_CHILD(pid);
	CHECK_OWNER_KQ(&o, o.kq);
	KQ_CHANGE_OK(o.kq, 6, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(o.kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* A blocking kevent() in the owner still wakes. */
	KQ_CHANGE_OK(o.kq, 7, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 20, NULL);
	KQ_GET_ONE(o.kq, &ev, KQ_WAIT_MS);
	KQ_EXPECT_KEV(&ev, 7, EVFILT_TIMER);
	owner_close(&o);
}

/* The owner closes its descriptor; the receiver's copy is still useless. */
static void recv_after_owner_close(struct owner *o, int rfd)
{
	KQ_CHILD_CHECK(kq_recv_byte(o->sv[1], KQ_CHILD_MS) == 'c');
	receiver_all_ebadf(rfd, o->pfd[0]);
	KQ_CHILD_CHECK(close(rfd) == 0);
}

TEST(owner_closes_receiver_still_ebadf)
{
	long long base = -1, now;
	struct owner o;
	pid_t pid;
	int kq2;

	ASSERT_EQ(0, kq_param_read("live_kqueues", &base));
	ASSERT_EQ(0, owner_setup(&o));
	pid = spawn_receiver(&o, recv_after_owner_close);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	ASSERT_EQ(0, close(o.kq));
	o.kq = -1;
	ASSERT_EQ(0, kq_send_byte(o.sv[0], 'c'));
	KQ_WAIT_CHILD(pid);
	/* The last reference is gone: the kqueue is freed. */
	now = kq_param_wait("live_kqueues", base, 2000);
	EXPECT_EQ(base, now);
	/* A new kqueue of the owner works. */
	KQ_OPEN(kq2);
	KQ_CHANGE_OK(kq2, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	{
		struct kevent ev;

		KQ_GET_ONE(kq2, &ev, 0);
	}
	close(kq2);
	owner_close(&o);
}

/* Passed within the same file table: the same kqueue, fully usable. */
TEST(pass_to_self)
{
	struct owner o;
	int kq2;

	ASSERT_EQ(0, owner_setup(&o));
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	kq2 = kq_recv_fd(o.sv[1], KQ_WAIT_MS);
	ASSERT_LE(0, kq2);
	ASSERT_NE(o.kq, kq2);
	/* The knotes added through the first descriptor, seen via the second. */
	CHECK_OWNER_KQ(&o, kq2);
	/* And the other way round. */
	KQ_CHANGE_OK(kq2, 8, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
		     NULL);
	{
		struct kevent evs[4];

		ASSERT_EQ(2, kq_poll(o.kq, evs, 4, 0));
	}
	KQ_CHANGE_OK(o.kq, 8, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(o.kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x111);
	/* Closing the first descriptor: the second still works. */
	ASSERT_EQ(0, close(o.kq));
	o.kq = kq2;
	CHECK_OWNER_KQ(&o, kq2);
	owner_close(&o);
}

/* The receiver sends it back: in the owner's table again, it works. */
static void recv_send_back(struct owner *o, int rfd)
{
	receiver_all_ebadf(rfd, o->pfd[0]);
	KQ_CHILD_CHECK(kq_send_fd(o->sv[1], rfd) == 0);
	KQ_CHILD_CHECK(close(rfd) == 0);
}

TEST(passed_back_to_owner)
{
	struct owner o;
	pid_t pid;
	int back;

	ASSERT_EQ(0, owner_setup(&o));
	pid = spawn_receiver(&o, recv_send_back);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	back = kq_recv_fd(o.sv[0], KQ_CHILD_MS);
	ASSERT_LE(0, back);
	KQ_WAIT_CHILD(pid);
	CHECK_OWNER_KQ(&o, back);
	CHECK_OWNER_KQ(&o, o.kq);
	close(back);
	owner_close(&o);
}

/*
 * The receiver watches the passed kqueue from its own kqueue and from an
 * epoll: whatever that gives (the passed kqueue's readiness or an error),
 * nothing hangs or crashes, the receiver's own kqueue works, and the
 * owner's is untouched.
 */
static void recv_watch(struct owner *o, int rfd)
{
	struct epoll_event ee = { .events = EPOLLIN }, eo[2];
	struct kevent evs[4];
	int own, ep, r;

	own = kqueue();
	KQ_CHILD_CHECK(own >= 0);
	errno = 0;
	r = kq_change(own, rfd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	fprintf(stderr, "# receiver: EVFILT_READ on the passed kqueue = %d (%s)\n",
		r, r ? strerror(errno) : "ok");
	KQ_CHILD_CHECK(r == 0 || kq_bsd_errno(errno));
	r = kevent(own, NULL, 0, evs, 4, &kq_zero);
	KQ_CHILD_CHECK(r >= 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	KQ_CHILD_CHECK(ep >= 0);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ee);
	if (r == 0) {
		r = epoll_wait(ep, eo, 2, 100);
		KQ_CHILD_CHECK(r >= 0);
	}
	receiver_all_ebadf(rfd, o->pfd[0]);
	/* The receiver's own kqueue works. */
	KQ_CHILD_CHECK(kq_change(own, 9, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL) == 0);
	r = kevent(own, NULL, 0, evs, 4, &kq_zero);
	KQ_CHILD_CHECK(r >= 1);
	/* Closing the passed one while watched, then the rest. */
	KQ_CHILD_CHECK(close(rfd) == 0);
	r = kevent(own, NULL, 0, evs, 4, &kq_zero);
	KQ_CHILD_CHECK(r >= 1);
	KQ_CHILD_CHECK(close(ep) == 0);
	KQ_CHILD_CHECK(close(own) == 0);
}

TEST(receiver_watches_passed_kqueue)
{
	struct owner o;
	pid_t pid;

	ASSERT_EQ(0, owner_setup(&o));
	pid = spawn_receiver(&o, recv_watch);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kq_send_fd(o.sv[0], o.kq));
	KQ_WAIT_CHILD(pid);
	CHECK_OWNER_KQ(&o, o.kq);
	owner_close(&o);
}

/* A kqueue left in flight in a socket that is closed is freed. */
TEST(in_flight_kqueue_freed)
{
	long long base = -1, now;
	struct owner o;
	int sv[2], kq2;

	ASSERT_EQ(0, kq_param_read("live_kqueues", &base));
	ASSERT_EQ(0, owner_setup(&o));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	KQ_OPEN(kq2);
	KQ_CHANGE_OK(kq2, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kq_send_fd(sv[0], kq2));
	ASSERT_EQ(0, kq_send_fd(sv[0], o.kq));
	ASSERT_EQ(0, close(kq2));
	/* The owner's kqueue still works while a copy is in flight. */
	CHECK_OWNER_KQ(&o, o.kq);
	close(sv[0]);
	close(sv[1]);
	CHECK_OWNER_KQ(&o, o.kq);
	owner_close(&o);
	now = kq_param_wait("live_kqueues", base, 2000);
	EXPECT_EQ(base, now);
}

#ifndef SYS_close_range
#define SYS_close_range	436
#endif

TEST(creator_exits_with_empty_table)
{
	long long base = -1, now;
	int sv[2], rfd, st;
	struct kevent ev;
	pid_t pid;

	ASSERT_EQ(0, kq_param_read("live_knotes", &base));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int kq;

		alarm(KQ_CHILD_ALARM);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		KQ_CHILD_CHECK(kq_change(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL) == 0);
		KQ_CHILD_CHECK(kq_change(kq, 2, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60,
			      NULL) == 0);
		KQ_CHILD_CHECK(kq_change(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0,
			      NULL) == 0);
		KQ_CHILD_CHECK(kq_send_fd(sv[1], kq) == 0);
		/* nothing left open, not even stdio */
		syscall(SYS_close_range, 0, ~0U, 0);
		_exit(0);
	}
	rfd = kq_recv_fd(sv[0], KQ_CHILD_MS);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, kq_wait_child(pid, &st, KQ_CHILD_MS));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the creator's exit ended its knotes, though the kqueue lives on */
	now = kq_param_wait("live_knotes", base, 5000);
	EXPECT_EQ(base, now);
	ASSERT_EQ(-1, kevent(rfd, NULL, 0, &ev, 1, &(struct timespec){0, 0}));
	EXPECT_EQ(EBADF, errno);
	close(rfd);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
