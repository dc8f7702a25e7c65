// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_READ: what data and EV_EOF report on each kind of descriptor, and
 * the knote life cycle (add/delete/disable/enable/oneshot/clear/dispatch)
 * after FreeBSD's tests/sys/kqueue/libkqueue/read.c.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kq_children.h"

/* ------------------------------------------------------------------ */
/* Data and EOF per descriptor type.                                   */

TEST(pipe_data_is_bytes_buffered)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(10, kq_fill_bytes(p[1], 10));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ(10, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(1000, kq_fill_bytes(p[1], 1000));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ(1010, ev.data);
	ASSERT_EQ(1010, kq_drain_fd(p[0]));
	KQ_CHECK_NONE(kq);
}

TEST(pipe_eof_when_writer_closes)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(3, kq_fill_bytes(p[1], 3));
	ASSERT_EQ(0, close(p[1]));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(3, ev.data);
	/* EOF stays reported after the data is read. */
	ASSERT_EQ(3, kq_drain_fd(p[0]));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(0, ev.data);
}

TEST(pipe_no_eof_while_writer_open)
{
	struct kevent ev;
	int kq, p[2], w2;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	w2 = dup(p[1]);
	ASSERT_LE(0, w2);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* One of two writers closing is not EOF. */
	ASSERT_EQ(0, close(p[1]));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, close(w2));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(0, ev.data);
}

/*
 * EVFILT_READ on the write end (asyncio's way to learn that a child's
 * stdin reader went away): data in the pipe is not for this end; the
 * reader's close is EV_EOF with data 0, as FreeBSD's filt_piperead.
 */
TEST(pipe_write_end_eof_when_reader_closes)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[1], EVFILT_READ, EV_ADD, 0, 0, (void *)0x77);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(5, kq_fill_bytes(p[1], 5));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, close(p[0]));
	KQ_GET_KEV(kq, &ev, p[1], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(0, ev.data);
	EXPECT_EQ((void *)0x77, ev.udata);
	close(p[1]);
	close(kq);
}

/* A pidfd is readable once its process has exited (asyncio's watcher). */
TEST(pidfd_readable_at_exit)
{
	struct kevent ev;
	int kq, pfd, st;
	pid_t pid;

	KQ_OPEN(kq);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pfd);
	KQ_CHANGE_OK(kq, pfd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	KQ_GET_KEV(kq, &ev, pfd, EVFILT_READ);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(pfd);
	close(kq);
}

FIXTURE(tmpdir) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(tmpdir)
{
	strcpy(self->dir, "/tmp/kq_read.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
}

FIXTURE_TEARDOWN(tmpdir)
{
	unlink(self->path);
	rmdir(self->dir);
}

TEST_F(tmpdir, fifo_eof_only_after_a_writer_came_and_went)
{
	struct kevent ev;
	int kq, r, w;

	KQ_OPEN(kq);
	ASSERT_EQ(0, mkfifo(self->path, 0600));
	r = open(self->path, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* No writer yet: neither data nor EOF. */
	KQ_CHECK_NONE(kq);
	w = open(self->path, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, w);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(4, kq_fill_bytes(w, 4));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(4, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(0, close(w));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(4, ev.data);
}

/* A FIFO opened write-only: the read filter is accepted, never fires. */
TEST_F(tmpdir, fifo_write_only_read_filter_never_fires)
{
	int kq, r, w;

	KQ_OPEN(kq);
	ASSERT_EQ(0, mkfifo(self->path, 0600));
	r = open(self->path, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	w = open(self->path, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, w);
	KQ_CHANGE_OK(kq, w, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(3, kq_fill_bytes(w, 3));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, close(r));
	KQ_CHECK_NONE(kq);
	close(w);
	close(kq);
}

/*
 * A FIFO opened for reading and writing waits on two queues (readers' and
 * writers'): the write filter must hear the wakeup of the second one.
 */
TEST_F(tmpdir, fifo_read_write_hears_both_queues)
{
	struct kevent ev;
	char buf[4096];
	int kq, rw;

	KQ_OPEN(kq);
	ASSERT_EQ(0, mkfifo(self->path, 0600));
	rw = open(self->path, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, rw);
	KQ_CHANGE_OK(kq, rw, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_CHANGE_OK(kq, rw, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, rw, EVFILT_WRITE);
	KQ_CHECK_NONE(kq);
	ASSERT_LT(0, kq_fill_until_full(rw));
	KQ_GET_KEV(kq, &ev, rw, EVFILT_READ);
	KQ_CHECK_NONE(kq);
	/* room again: only the writers' queue is woken */
	ASSERT_EQ(sizeof(buf), read(rw, buf, sizeof(buf)));
	KQ_GET_KEV(kq, &ev, rw, EVFILT_WRITE);
	EXPECT_EQ(sizeof(buf), ev.data);
	KQ_CHANGE_OK(kq, rw, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	close(rw);
	close(kq);
}

TEST_F(tmpdir, regular_file_data_is_size_minus_offset)
{
	struct kevent ev;
	int kq, r, w;

	KQ_OPEN(kq);
	w = open(self->path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT_LE(0, w);
	ASSERT_EQ(100, kq_fill_bytes(w, 100));
	r = open(self->path, O_RDONLY);
	ASSERT_LE(0, r);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(100, ev.data);
	EXPECT_EQ((void *)1, ev.udata);
	ASSERT_EQ(40, lseek(r, 40, SEEK_SET));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(60, ev.data);
	/* Past the end the difference is negative, and still reported. */
	ASSERT_EQ(150, lseek(r, 150, SEEK_SET));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(-50, ev.data);
	/* At the end: data 0, no event. */
	ASSERT_EQ(100, lseek(r, 0, SEEK_END));
	KQ_CHECK_NONE(kq);
}

TEST_F(tmpdir, regular_file_at_end_fires_again_on_append)
{
	struct kevent ev;
	int kq, r, w;

	KQ_OPEN(kq);
	w = open(self->path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT_LE(0, w);
	ASSERT_EQ(100, kq_fill_bytes(w, 100));
	r = open(self->path, O_RDONLY);
	ASSERT_LE(0, r);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(100, ev.data);
	/* Read to the end: nothing more to report. */
	{
		char buf[128];

		ASSERT_EQ(100, read(r, buf, sizeof(buf)));
	}
	KQ_CHECK_NONE(kq);
	/* Appending makes it readable again (FreeBSD: the write activates). */
	ASSERT_EQ(10, kq_fill_bytes(w, 10));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(10, ev.data);
}

TEST_F(tmpdir, regular_file_registered_at_end_fires_on_append)
{
	struct kevent ev;
	int kq, r, w;

	KQ_OPEN(kq);
	w = open(self->path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT_LE(0, w);
	r = open(self->path, O_RDONLY);
	ASSERT_LE(0, r);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* Empty file at offset 0. */
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(7, kq_fill_bytes(w, 7));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(7, ev.data);
}

TEST(tcp_data_is_bytes_readable)
{
	struct kevent ev;
	int kq, sv[2];
	char buf[256];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(100, kq_fill_bytes(sv[0], 100));
	KQ_WAIT_DATA(kq, &ev, sv[1], EVFILT_READ, 100);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(50, kq_fill_bytes(sv[0], 50));
	KQ_WAIT_DATA(kq, &ev, sv[1], EVFILT_READ, 150);
	ASSERT_EQ(30, read(sv[1], buf, 30));
	KQ_GET_KEV(kq, &ev, sv[1], EVFILT_READ);
	EXPECT_EQ(120, ev.data);
	ASSERT_EQ(120, kq_drain_fd(sv[1]));
	KQ_CHECK_NONE(kq);
}

TEST(tcp_eof_on_peer_shutdown_with_data_pending)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(7, kq_fill_bytes(sv[0], 7));
	ASSERT_EQ(0, shutdown(sv[0], SHUT_WR));
	KQ_WAIT_EOF(kq, &ev, sv[1], EVFILT_READ);
	EXPECT_EQ(7, ev.data);
	EXPECT_EQ(0u, ev.fflags);
	/* EOF stays reported once the data is read. */
	ASSERT_EQ(7, kq_drain_fd(sv[1]));
	KQ_GET_KEV(kq, &ev, sv[1], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(0, ev.data);
}

TEST(tcp_rst_gives_eof_with_econnreset)
{
	struct kevent ev;
	int kq, sv[2];
	char c;

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, kq_close_rst(sv[0]));
	KQ_WAIT_EOF(kq, &ev, sv[1], EVFILT_READ);
	EXPECT_EQ((unsigned int)ECONNRESET, ev.fflags);
	/* Reporting the error does not consume it. */
	errno = 0;
	EXPECT_EQ(-1, read(sv[1], &c, 1));
	EXPECT_EQ(ECONNRESET, errno);
}

TEST(tcp_refused_connect_gives_eof_with_econnrefused)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct kevent ev;
	int kq, s, hole;

	KQ_OPEN(kq);
	/* A port nobody listens on: bound, never listening. */
	hole = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, hole);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(hole, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(hole, (struct sockaddr *)&sin, &len));
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_READ, EV_ADD, 0, 0, NULL);
	errno = 0;
	ASSERT_EQ(-1, connect(s, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_TRUE(errno == EINPROGRESS || errno == ECONNREFUSED);
	KQ_WAIT_EOF(kq, &ev, s, EVFILT_READ);
	EXPECT_EQ((unsigned int)ECONNREFUSED, ev.fflags);
	close(hole);
}

TEST(udp_data_is_total_bytes)
{
	struct kevent ev;
	unsigned short port;
	struct sockaddr_in to = { .sin_family = AF_INET };
	char buf[64] = { 0 };
	int kq, r, s;

	KQ_OPEN(kq);
	r = kq_udp_bound(&port);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kq_set_nonblock(r));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(10, sendto(s, buf, 10, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(20, sendto(s, buf, 20, 0, (struct sockaddr *)&to, sizeof(to)));
	/* FreeBSD reports every byte in the buffer, not the first datagram. */
	KQ_WAIT_DATA(kq, &ev, r, EVFILT_READ, 30);
	ASSERT_EQ(10, recv(r, buf, sizeof(buf), 0));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(20, ev.data);
	ASSERT_EQ(20, recv(r, buf, sizeof(buf), 0));
	KQ_CHECK_NONE(kq);
}

TEST(unix_stream_data_and_eof)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(12, kq_fill_bytes(sv[1], 12));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(12, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(0, close(sv[1]));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(12, ev.data);
	EXPECT_EQ(0u, ev.fflags);
}

TEST(unix_dgram_data)
{
	struct kevent ev;
	char buf[64] = { 0 };
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(10, send(sv[1], buf, 10, 0));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(10, ev.data);
	ASSERT_EQ(20, send(sv[1], buf, 20, 0));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(30, ev.data);
	ASSERT_EQ(10, recv(sv[0], buf, sizeof(buf), 0));
	ASSERT_EQ(20, recv(sv[0], buf, sizeof(buf), 0));
	KQ_CHECK_NONE(kq);
}

TEST(tcp_listen_data_is_backlog)
{
	struct kevent ev;
	unsigned short port;
	int kq, l, c[3], a, i;

	KQ_OPEN(kq);
	l = kq_tcp_listener(8, &port);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, kq_set_nonblock(l));
	KQ_CHANGE_OK(kq, l, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	for (i = 0; i < 3; i++) {
		c[i] = kq_tcp_connect(port);
		ASSERT_LE(0, c[i]);
	}
	KQ_WAIT_DATA(kq, &ev, l, EVFILT_READ, 3);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	KQ_GET_KEV(kq, &ev, l, EVFILT_READ);
	EXPECT_EQ(2, ev.data);
	ASSERT_LE(0, accept(l, NULL, NULL));
	ASSERT_LE(0, accept(l, NULL, NULL));
	KQ_CHECK_NONE(kq);
}

TEST(unix_listen_data_is_backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t sl;
	struct kevent ev;
	int kq, l, c[3], i;

	KQ_OPEN(kq);
	/* Abstract name: nothing to clean up in the file system. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "kq_read.%d",
		 getpid());
	sl = offsetof(struct sockaddr_un, sun_path) + 1 +
	     strlen(sun.sun_path + 1);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, sl));
	ASSERT_EQ(0, listen(l, 8));
	KQ_CHANGE_OK(kq, l, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	for (i = 0; i < 3; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, connect(c[i], (struct sockaddr *)&sun, sl));
	}
	KQ_GET_KEV(kq, &ev, l, EVFILT_READ);
	EXPECT_EQ(3, ev.data);
	ASSERT_LE(0, accept(l, NULL, NULL));
	KQ_GET_KEV(kq, &ev, l, EVFILT_READ);
	EXPECT_EQ(2, ev.data);
}

static int open_pty(int *master, int *slave)
{
	struct termios tio;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (*slave < 0)
		return -1;
	/* Raw: no echo, no line discipline buffering of input. */
	if (tcgetattr(*slave, &tio))
		return -1;
	cfmakeraw(&tio);
	return tcsetattr(*slave, TCSANOW, &tio);
}

TEST(pty_data_and_slave_close_eof)
{
	struct kevent ev;
	int kq, m, s;

	KQ_OPEN(kq);
	ASSERT_EQ(0, open_pty(&m, &s));
	KQ_CHANGE_OK(kq, m, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, s, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	/* slave -> master; the tty layer delivers asynchronously. */
	ASSERT_EQ(5, write(s, "hello", 5));
	KQ_WAIT_FIONREAD(m, 5);
	KQ_GET_KEV(kq, &ev, m, EVFILT_READ);
	EXPECT_EQ(5, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(5, kq_drain_fd(m));
	KQ_CHECK_NONE(kq);
	/* master -> slave */
	ASSERT_EQ(3, write(m, "abc", 3));
	KQ_WAIT_FIONREAD(s, 3);
	KQ_GET_KEV(kq, &ev, s, EVFILT_READ);
	EXPECT_EQ(3, ev.data);
	ASSERT_EQ(3, kq_drain_fd(s));
	KQ_CHECK_NONE(kq);
	/* NetBSD: closing the slave gives EV_EOF on the master. */
	ASSERT_EQ(0, close(s));
	KQ_WAIT_EOF(kq, &ev, m, EVFILT_READ);
}

/* Writing to a pty master whose slave closed: EVFILT_WRITE gives EV_EOF. */
TEST(pty_slave_close_write_eof)
{
	struct kevent ev;
	int kq, m, s;

	KQ_OPEN(kq);
	ASSERT_EQ(0, open_pty(&m, &s));
	KQ_CHANGE_OK(kq, m, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, m, EVFILT_WRITE);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	ASSERT_EQ(0, close(s));
	KQ_WAIT_EOF(kq, &ev, m, EVFILT_WRITE);
	close(m);
	close(kq);
}

TEST(kqueue_fd_data_is_pending_count)
{
	struct kevent ev, evs[4];
	int inner, outer, p[2], q[2];

	KQ_OPEN(inner);
	KQ_OPEN(outer);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	ASSERT_EQ(0, pipe2(q, O_NONBLOCK));
	KQ_CHANGE_OK(inner, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(inner, q[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(outer, inner, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(outer);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(outer, &ev, inner, EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(1, kq_fill_bytes(q[1], 1));
	KQ_GET_KEV(outer, &ev, inner, EVFILT_READ);
	EXPECT_EQ(2, ev.data);
	/* Drain one source; a scan of the inner queue drops its knote. */
	ASSERT_EQ(1, kq_drain_fd(p[0]));
	ASSERT_EQ(1, kq_poll(inner, evs, 4, 0));
	EXPECT_EQ((uintptr_t)q[0], evs[0].ident);
	KQ_GET_KEV(outer, &ev, inner, EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	ASSERT_EQ(1, kq_drain_fd(q[0]));
	ASSERT_EQ(0, kq_poll(inner, evs, 4, 0));
	KQ_CHECK_NONE(outer);
}

/* ------------------------------------------------------------------ */
/* NOTE_LOWAT.                                                          */

TEST(lowat_unix_stream)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, NOTE_LOWAT, 10, NULL);
	ASSERT_EQ(5, kq_fill_bytes(sv[1], 5));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(4, kq_fill_bytes(sv[1], 4));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, kq_fill_bytes(sv[1], 1));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(10, ev.data);
	/* Re-adding replaces the low-water mark and re-evaluates. */
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, NOTE_LOWAT, 20, NULL);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, NOTE_LOWAT, 8, NULL);
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(10, ev.data);
	/* Without NOTE_LOWAT, one byte is enough. */
	ASSERT_EQ(10, kq_drain_fd(sv[0]));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kq_fill_bytes(sv[1], 1));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
}

TEST(lowat_tcp)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	KQ_CHANGE_OK(kq, sv[1], EVFILT_READ, EV_ADD, NOTE_LOWAT, 10, NULL);
	ASSERT_EQ(5, kq_fill_bytes(sv[0], 5));
	/* The 5 bytes have arrived, and that is still below the mark. */
	KQ_WAIT_FIONREAD(sv[1], 5);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(5, kq_fill_bytes(sv[0], 5));
	KQ_WAIT_DATA(kq, &ev, sv[1], EVFILT_READ, 10);
}

TEST(lowat_eof_overrides)
{
	struct kevent ev;
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, NOTE_LOWAT, 100, NULL);
	ASSERT_EQ(5, kq_fill_bytes(sv[1], 5));
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, close(sv[1]));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(5, ev.data);
}

/* ------------------------------------------------------------------ */
/* Knote life cycle, after FreeBSD read.c (on a unix socketpair).      */

FIXTURE(sock) {
	int kq;
	int sv[2];
};

FIXTURE_SETUP(sock)
{
	KQ_OPEN(self->kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				self->sv));
}

FIXTURE_TEARDOWN(sock)
{
	close(self->kq);
	close(self->sv[0]);
	close(self->sv[1]);
}

TEST_F(sock, add_reports_nothing_when_empty)
{
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     &self->sv[0]);
	KQ_CHECK_NONE(self->kq);
}

TEST_F(sock, delete_stops_reports)
{
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_DELETE, 0, 0,
		     NULL);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->sv[0], EVFILT_READ, EV_DELETE,
		      0, 0, NULL);
}

TEST_F(sock, level_triggered_repeats_until_read)
{
	struct kevent ev;
	int i;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     &self->sv[0]);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	for (i = 0; i < 3; i++) {
		KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
		EXPECT_EQ(1, ev.data);
		EXPECT_EQ(0, ev.flags);
		EXPECT_EQ(0u, ev.fflags);
		EXPECT_EQ(&self->sv[0], ev.udata);
	}
	ASSERT_EQ(1, kq_drain_fd(self->sv[0]));
	KQ_CHECK_NONE(self->kq);
	/* And fires again on new data. */
	ASSERT_EQ(2, kq_fill_bytes(self->sv[1], 2));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(2, ev.data);
}

TEST_F(sock, wait_blocks_until_data)
{
	struct kevent ev;
	long long t0;
	pid_t pid;
	int st;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(200000);
		_exit(kq_fill_bytes(self->sv[1], 3) == 3 ? 0 : 1);
	}
	t0 = kq_now_ms();
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(3, ev.data);
	/* It slept until the write (loose bound: the child sleeps 200 ms). */
	EXPECT_LE(100, kq_now_ms() - t0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
}

TEST_F(sock, disable_and_enable)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_DISABLE, 0, 0,
		     NULL);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ENABLE, 0, 0,
		     NULL);
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	/* Disabling an already-reported knote hides it again. */
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_DISABLE, 0, 0,
		     NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ENABLE, 0, 0,
		     NULL);
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
}

TEST_F(sock, add_disabled)
{
	struct kevent ev;

	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD | EV_DISABLE,
		     0, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ENABLE, 0, 0,
		     NULL);
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
}

TEST_F(sock, oneshot)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD | EV_ONESHOT,
		     0, 0, &self->sv[0]);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ(EV_ONESHOT, ev.flags);
	EXPECT_EQ(&self->sv[0], ev.udata);
	/* Gone, although the data is still there. */
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->sv[0], EVFILT_READ, EV_DELETE,
		      0, 0, NULL);
}

TEST_F(sock, clear_is_edge_triggered)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0,
		     0, &self->sv[0]);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(2, ev.data);
	EXPECT_EQ(EV_CLEAR, ev.flags);
	/* Data remains, but no new activation: nothing. */
	KQ_CHECK_NONE(self->kq);
	{
		char c;

		ASSERT_EQ(1, read(self->sv[0], &c, 1));
	}
	KQ_CHECK_NONE(self->kq);
	/* New data is a new edge; data counts all buffered bytes. */
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(2, ev.data);
	KQ_CHECK_NONE(self->kq);
}

TEST_F(sock, dispatch_disables_after_delivery)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD | EV_DISPATCH,
		     0, 0, &self->sv[0]);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ(EV_DISPATCH, ev.flags);
	/* Delivered once, although EV_CLEAR is not set. */
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	KQ_CHECK_NONE(self->kq);
	/*
	 * EV_ENABLE re-arms and re-evaluates: reported at once.  (Any
	 * modify replaces udata unless EV_KEEPUDATA: pass the same one.)
	 */
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ENABLE, 0, 0,
		     &self->sv[0]);
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(2, ev.data);
	EXPECT_EQ(&self->sv[0], ev.udata);
	KQ_CHECK_NONE(self->kq);
	/* Still registered (disabled): delete works. */
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_DELETE, 0, 0,
		     NULL);
}

TEST_F(sock, readd_modifies_udata)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     (void *)0x100);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     (void *)0x200);
	ASSERT_EQ(1, kq_fill_bytes(self->sv[1], 1));
	/* One knote (KQ_GET_ONE insists on exactly one event), new udata. */
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ((void *)0x200, ev.udata);
	/* Re-add while it is pending: still one knote. */
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     (void *)0x300);
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ((void *)0x300, ev.udata);
}

TEST_F(sock, eof_on_peer_close)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0,
		     &self->sv[0]);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, close(self->sv[1]));
	self->sv[1] = -1;
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_EQ(EV_EOF, ev.flags);
	EXPECT_EQ(0, ev.data);
	EXPECT_EQ(0u, ev.fflags);
	EXPECT_EQ(&self->sv[0], ev.udata);
	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_DELETE, 0, 0,
		     NULL);
}

TEST_F(sock, eof_on_peer_shutdown)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(2, kq_fill_bytes(self->sv[1], 2));
	ASSERT_EQ(0, shutdown(self->sv[1], SHUT_WR));
	KQ_GET_KEV(self->kq, &ev, self->sv[0], EVFILT_READ);
	EXPECT_TRUE(ev.flags & EV_EOF);
	EXPECT_EQ(2, ev.data);
}

TEST_HARNESS_MAIN
