// SPDX-License-Identifier: GPL-2.0
/*
 * The module cannot go while a kqueue exists: delete_module("kqueue",
 * O_NONBLOCK) fails with EWOULDBLOCK (or EBUSY) while a kqueue is open in
 * this process, only in a child, or only in flight in a unix socket, and
 * /dev/kqueue and the open kqueue still work afterwards.  An unprivileged
 * caller gets EPERM.
 *
 * Only ever tried while a kqueue is open: if a removal unexpectedly
 * succeeds, the test fails loudly (and every later test will too).
 */
#define _GNU_SOURCE
#include "kq_children.h"
#include "kq_users.h"

static int try_unload(void)
{
	return (int)syscall(SYS_delete_module, "kqueue", O_NONBLOCK);
}

static long long refcnt(void)
{
	char buf[32];
	ssize_t n;
	int fd = open("/sys/module/kqueue/refcnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

#define ASSERT_UNLOAD_BUSY() do {					\
	int __r, __e;							\
	ASSERT_EQ(0, access("/sys/module/kqueue", F_OK))		\
		TH_LOG("module kqueue is not loaded");			\
	errno = 0;							\
	__r = try_unload();						\
	__e = errno;							\
	if (__r == 0) {							\
		TH_LOG("!!! delete_module(\"kqueue\") SUCCEEDED while a kqueue was open: the module is gone !!!"); \
		fprintf(stderr, "# kq_unload: THE MODULE WAS REMOVED WHILE IN USE (line %d)\n", __LINE__); \
	} else if (__e != EWOULDBLOCK && __e != EBUSY) {		\
		TH_LOG("delete_module: errno %d (%s), want EWOULDBLOCK or EBUSY", \
		       __e, strerror(__e));				\
	}								\
	ASSERT_EQ(-1, __r);						\
	ASSERT_TRUE(__e == EWOULDBLOCK || __e == EBUSY);		\
	ASSERT_EQ(0, access("/sys/module/kqueue", F_OK));		\
} while (0)

/* /dev/kqueue works: a new kqueue, a user event round trip. */
#define CHECK_DEVICE_WORKS() do {					\
	struct kevent __ev;						\
	int __kq;							\
	KQ_OPEN(__kq);							\
	KQ_CHANGE_OK(__kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL); \
	KQ_GET_ONE(__kq, &__ev, 0);					\
	KQ_EXPECT_KEV(&__ev, 1, EVFILT_USER);				\
	close(__kq);							\
} while (0)

TEST(busy_while_open)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	EXPECT_LT(0, refcnt());
	ASSERT_UNLOAD_BUSY();
	CHECK_DEVICE_WORKS();
	/* The open kqueue is unharmed. */
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 1, EVFILT_USER);
	close(kq);

	/* With knotes of several kinds armed. */
	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 2, EVFILT_TIMER, EV_ADD, 0, 20, NULL);
	KQ_CHANGE_OK(kq, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_FORK,
		     0, NULL);
	KQ_CHANGE_OK(kq, 3, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_UNLOAD_BUSY();
	ASSERT_EQ(1, write(p[1], "x", 1));
	{
		struct kevent evs[8];
		long long deadline = kq_now_ms() + KQ_WAIT_MS;
		int seen_read = 0, seen_timer = 0, n, i;

		while ((!seen_read || !seen_timer) && kq_now_ms() < deadline) {
			n = kq_poll(kq, evs, 8, 100);
			ASSERT_LE(0, n);
			for (i = 0; i < n; i++) {
				seen_read |= evs[i].filter == EVFILT_READ;
				seen_timer |= evs[i].filter == EVFILT_TIMER;
			}
		}
		EXPECT_TRUE(seen_read);
		EXPECT_TRUE(seen_timer);
	}
	close(kq);
	close(p[0]);
	close(p[1]);
	CHECK_DEVICE_WORKS();
}

/* The only reference is a child's inherited descriptor. */
TEST(busy_while_child_holds)
{
	int go[2], kq;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		close(go[1]);
		KQ_CHILD_CHECK(kq_recv_byte(go[0], KQ_CHILD_MS) == 'x');
		KQ_CHILD_CHECK(close(kq) == 0);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(0, close(kq));
	ASSERT_UNLOAD_BUSY();
	ASSERT_EQ(0, kq_send_byte(go[1], 'x'));
	KQ_WAIT_CHILD(pid);
	close(go[1]);
	CHECK_DEVICE_WORKS();
}

/* The only reference is in flight in a unix socket. */
TEST(busy_while_in_flight)
{
	struct kevent ev;
	int sv[2], kq, got;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 4, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, kq_send_fd(sv[0], kq));
	ASSERT_EQ(0, close(kq));
	ASSERT_UNLOAD_BUSY();
	got = kq_recv_fd(sv[1], KQ_WAIT_MS);
	ASSERT_LE(0, got);
	/*
	 * Received back into the owner's table after the owner closed its
	 * last descriptor: the module treats that close as closing the
	 * kqueue (EBADF from now on); either way nothing may crash.
	 */
	errno = 0;
	{
		int r = kq_poll(got, &ev, 1, 0);

		TH_LOG("kevent() on the kqueue received back = %d (%s)", r,
		       r < 0 ? strerror(errno) : "works");
		EXPECT_TRUE(r == 1 || (r == -1 && errno == EBADF));
	}
	close(got);
	close(sv[0]);
	close(sv[1]);
	CHECK_DEVICE_WORKS();
}

/* Without CAP_SYS_MODULE: EPERM (tried with a kqueue open, to be safe). */
TEST(unprivileged_eperm)
{
	int kq;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
		KQ_CHILD_CHECK_ERR(try_unload(), EPERM);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	ASSERT_EQ(0, access("/sys/module/kqueue", F_OK));
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	close(kq);
}

TEST_HARNESS_MAIN
