// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_WRITE on pipes, sockets and files; EVFILT_EMPTY (FreeBSD) and
 * EVFILT_EXCEPT NOTE_OOB (Darwin) on TCP.
 */
#define _GNU_SOURCE
#include <limits.h>

#include "kq_fd.h"

/* ------------------------------------------------------------------ */
/* Pipes.                                                               */

TEST(pipe_data_is_free_space)
{
	struct kevent ev;
	int kq, p[2], size;
	intptr_t empty;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	size = fcntl(p[1], F_GETPIPE_SZ);
	ASSERT_LT(PIPE_BUF, size);
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	/* An empty pipe: all of it is free. */
	EXPECT_EQ(size, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	empty = ev.data;
	ASSERT_EQ(100, kq_fill_bytes(p[1], 100));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_GE(empty - 100, ev.data);
	EXPECT_LE(PIPE_BUF, ev.data);
	ASSERT_EQ(100, kq_drain_fd(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_EQ(empty, ev.data);
}

TEST(pipe_full_no_event_until_drained)
{
	struct kevent ev;
	ssize_t n;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	n = kq_fill_until_full(p[1]);
	ASSERT_LT(0, n);
	/* Less than PIPE_BUF free: not writable. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(n, kq_drain_fd(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_EQ(n, ev.data);
}

TEST(pipe_full_wait_wakes_on_drain)
{
	struct kevent ev;
	pid_t pid;
	int kq, p[2], st;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	ASSERT_LT(0, kq_fill_until_full(p[1]));
	KQ_CHECK_NONE(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(200000);
		_exit(kq_drain_fd(p[0]) > 0 ? 0 : 1);
	}
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_LE(PIPE_BUF, ev.data);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
}

TEST(pipe_clear_fires_on_new_edge)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_EQ(EV_CLEAR, ev.flags);
	/* Still writable, but no new activation. */
	KQ_CHECK_NONE(kq);
	ASSERT_LT(0, kq_fill_until_full(p[1]));
	KQ_CHECK_NONE(kq);
	ASSERT_LT(0, kq_drain_fd(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	KQ_CHECK_NONE(kq);
}

TEST(pipe_lowat)
{
	struct kevent ev;
	int kq, p[2], size;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	size = fcntl(p[1], F_GETPIPE_SZ);
	ASSERT_LT(0, size);
	/* Fires only with at least NOTE_LOWAT bytes free. */
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, NOTE_LOWAT, size, NULL);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_EQ(size, ev.data);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, NOTE_LOWAT, size + 1,
		     NULL);
	ASSERT_EQ(1, kq_drain_fd(p[0]));
	KQ_CHECK_NONE(kq);
	/* Back to the default: PIPE_BUF. */
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
}

TEST(pipe_without_reader_epipe)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	ASSERT_EQ(0, close(p[0]));
	KQ_CHANGE_ERR(kq, EPIPE, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	/* Not registered. */
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, p[1], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
}

TEST(pipe_reader_closes_eof)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, (void *)42);
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(0, close(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ((void *)42, ev.udata);
}

TEST(pipe_full_reader_closes_eof)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	ASSERT_LT(0, kq_fill_until_full(p[1]));
	KQ_CHECK_NONE(kq);
	/* No free space, but the reader going away is still reported. */
	ASSERT_EQ(0, close(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_WRITE);
	EXPECT_TRUE(ev.flags & EV_EOF);
}

/* ------------------------------------------------------------------ */
/* Sockets.                                                             */

TEST(tcp_connected_data_is_free_space)
{
	struct kevent ev;
	socklen_t sl = sizeof(int);
	int kq, sv[2], sndbuf;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	ASSERT_EQ(0, getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_GE(sndbuf, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	EXPECT_EQ(0u, ev.fflags);
}

TEST(tcp_unconnected_no_event_until_connected)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned short port;
	struct kevent ev;
	int kq, s, l;

	KQ_OPEN(kq);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	/* A fresh, unconnected TCP socket is not writable. */
	KQ_CHECK_NONE(kq);
	l = kq_tcp_listener(1, &port);
	ASSERT_LE(0, l);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	errno = 0;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		ASSERT_EQ(EINPROGRESS, errno);
	}
	/* Connecting completes: now it is. */
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
}

TEST(unix_stream_unconnected_no_event_until_connected)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct kevent ev;
	socklen_t sl;
	int kq, l, s;

	KQ_OPEN(kq);
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "kq_write.%d",
		 getpid());
	sl = offsetof(struct sockaddr_un, sun_path) + 1 +
	     strlen(sun.sun_path + 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, sl));
	ASSERT_EQ(0, listen(l, 1));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&sun, sl));
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
}

/*
 * A wakeup of the unconnected socket (SO_SNDBUF calls its write-space
 * callback) does not make it writable; the connect() after it does.
 */
TEST(unix_stream_unconnected_wakeup_no_event)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int kq, l, s, sz = 65536;
	struct kevent ev;
	socklen_t sl;

	KQ_OPEN(kq);
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "kq_write.w%d",
		 getpid());
	sl = offsetof(struct sockaddr_un, sun_path) + 1 +
	     strlen(sun.sun_path + 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, sl));
	ASSERT_EQ(0, listen(l, 1));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&sun, sl));
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	close(s);
	close(l);
	close(kq);
}

TEST(udp_writable_without_connect)
{
	struct kevent ev;
	int kq, s;

	KQ_OPEN(kq);
	/* Connectionless: writable as soon as it exists. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
}

TEST(tcp_listening_never_writable)
{
	unsigned short port;
	int kq, l, c;

	KQ_OPEN(kq);
	l = kq_tcp_listener(4, &port);
	ASSERT_LE(0, l);
	KQ_CHANGE_OK(kq, l, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	c = kq_tcp_connect(port);
	ASSERT_LE(0, c);
	usleep(50000);
	KQ_CHECK_NONE(kq);
}

TEST(tcp_peer_reset_eof)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, sv[1], EVFILT_WRITE);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(0, kq_close_rst(sv[0]));
	KQ_WAIT_EOF(kq, &ev, sv[1], EVFILT_WRITE);
	EXPECT_EQ((unsigned int)ECONNRESET, ev.fflags);
}

TEST(tcp_full_send_buffer_no_event)
{
	struct kevent ev;
	int kq, sv[2], small = 4096;
	long long deadline;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	ASSERT_EQ(0, setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				sizeof(small)));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	/* The peer does not read: sooner or later nothing fits. */
	deadline = kq_now_ms() + KQ_SETTLE_MS;
	for (;;) {
		ASSERT_LE(0, kq_fill_until_full(sv[0]));
		usleep(20000);
		if (kq_poll(kq, &ev, 1, 0) == 0)
			break;
		ASSERT_GT(deadline, kq_now_ms());
	}
	KQ_CHECK_NONE(kq);
	/* The peer reads: writable again. */
	deadline = kq_now_ms() + KQ_WAIT_MS;
	for (;;) {
		kq_drain_fd(sv[1]);
		if (kq_poll(kq, &ev, 1, 50) == 1)
			break;
		ASSERT_GT(deadline, kq_now_ms());
	}
	KQ_EXPECT_KEV(&ev, sv[0], EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
}

TEST(unix_stream_write)
{
	struct kevent ev;
	int kq, sv[2];
	ssize_t n;

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	n = kq_fill_until_full(sv[0]);
	ASSERT_LT(0, n);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(n, kq_drain_fd(sv[1]));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	ASSERT_EQ(0, close(sv[1]));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	EXPECT_TRUE(ev.flags & EV_EOF);
}

TEST(unix_dgram_write)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
}

TEST(regular_file_always_writable)
{
	char path[] = "/tmp/kq_write.XXXXXX";
	struct kevent ev;
	int kq, fd;

	KQ_OPEN(kq);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	KQ_CHANGE_OK(kq, fd, EVFILT_WRITE, EV_ADD, 0, 0, (void *)5);
	KQ_GET_KEV(kq, &ev, fd, EVFILT_WRITE);
	EXPECT_EQ((void *)5, ev.udata);
	/* Level-triggered and always true. */
	ASSERT_EQ(100, kq_fill_bytes(fd, 100));
	KQ_GET_KEV(kq, &ev, fd, EVFILT_WRITE);
	KQ_GET_KEV(kq, &ev, fd, EVFILT_WRITE);
}

/* ------------------------------------------------------------------ */
/* EVFILT_EMPTY and EVFILT_EXCEPT.                                      */

TEST(empty_tcp)
{
	struct kevent ev;
	int kq, sv[2], small = 8192;
	long long deadline;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	/* Bounded buffers keep the fill short under emulation. */
	ASSERT_EQ(0, setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				sizeof(small)));
	ASSERT_EQ(0, setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_EMPTY, EV_ADD, 0, 0, (void *)7);
	/* Nothing queued on an idle connection: empty. */
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_EMPTY);
	EXPECT_EQ(0, ev.data);
	EXPECT_EQ((void *)7, ev.udata);
	/* The peer does not read: data stays queued, not empty. */
	ASSERT_LT(0, kq_fill_until_full(sv[0]));
	KQ_CHECK_NONE(kq);
	/* The peer reads everything: empty again (TCP needs a moment). */
	deadline = kq_now_ms() + KQ_WAIT_MS;
	for (;;) {
		kq_drain_fd(sv[1]);
		if (kq_poll(kq, &ev, 1, 50) == 1)
			break;
		ASSERT_GT(deadline, kq_now_ms());
	}
	KQ_EXPECT_KEV(&ev, sv[0], EVFILT_EMPTY);
	EXPECT_EQ(0, ev.data);
}

TEST(empty_not_for_pipes)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe(p));
	KQ_CHANGE_ERR(kq, EINVAL, p[1], EVFILT_EMPTY, EV_ADD, 0, 0, NULL);
}

TEST(except_oob_tcp)
{
	struct kevent ev;
	int kq, sv[2];
	long long deadline;
	int r;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_EXCEPT, EV_ADD, NOTE_OOB, 0, NULL);
	ASSERT_EQ(3, kq_fill_bytes(sv[0], 3));
	KQ_WAIT_FIONREAD(sv[1], 3);
	/* In-band data is not an exception. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, send(sv[0], "!", 1, MSG_OOB));
	deadline = kq_now_ms() + KQ_WAIT_MS;
	do {
		r = kq_poll(kq, &ev, 1, 100);
		ASSERT_LE(0, r);
		ASSERT_GT(deadline, kq_now_ms());
	} while (r == 0);
	KQ_EXPECT_KEV(&ev, sv[1], EVFILT_EXCEPT);
	EXPECT_TRUE(ev.fflags & NOTE_OOB);
	/* Level-triggered until the urgent byte is read. */
	KQ_GET_KEV(kq, &ev, sv[1], EVFILT_EXCEPT);
	{
		char c;

		ASSERT_EQ(1, recv(sv[1], &c, 1, MSG_OOB));
		ASSERT_EQ('!', c);
	}
	KQ_CHECK_NONE(kq);
}

TEST_HARNESS_MAIN
