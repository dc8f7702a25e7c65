// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptor lifetime: close() (and everything that closes: dup2, dup3,
 * close_range, close-on-exec, exit) removes the knotes of that fd number,
 * and a knote never keeps the closed file open.  The "file released"
 * checks look from the peer side (EOF on the other end of a socket or
 * pipe, a port that can be bound again) without calling kevent() after
 * the close, so a module that only drops knotes lazily at the next
 * kevent() fails them.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/close_range.h>

#include "kq_fd.h"

#define HELPER_FLAG	"--kq-exec-helper"

/*
 * The peer of a released socket/pipe end sees EOF: poll says readable or
 * hung up within KQ_WAIT_MS, and a non-blocking read returns 0.
 */
#define ASSERT_PEER_EOF(fd) __assert_peer_eof(_metadata, __LINE__, fd)
static void __assert_peer_eof(struct __test_metadata *_metadata, int line,
			      int fd)
{
	char c;
	int rev;
	ssize_t r;

	ASSERT_EQ(0, kq_set_nonblock(fd));
	rev = kq_wait_poll(fd, POLLIN | POLLRDHUP, KQ_WAIT_MS);
	r = read(fd, &c, 1);
	if (r != 0)
		TH_LOG("line %d: peer fd %d: poll revents 0x%x, read = %zd (%s): the closed end is still open",
		       line, fd, rev, r, r < 0 ? strerror(errno) : "data");
	ASSERT_NE(0, rev);
	ASSERT_EQ(0, r);
}

/* A unix stream socketpair, both ends non-blocking. */
static int upair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0, sv);
}

/* Watch fd for READ and WRITE in kq (both must register). */
#define WATCH_RW(kq, fd) do {						\
	KQ_CHANGE_OK(kq, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);		\
	KQ_CHANGE_OK(kq, fd, EVFILT_WRITE, EV_ADD, 0, 0, NULL);		\
} while (0)

/* ------------------------------------------------------------------ */
/* close() releases the file at once.                                   */

TEST(close_unix_socket_peer_sees_eof)
{
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, upair(sv));
	WATCH_RW(kq, sv[0]);
	ASSERT_EQ(0, close(sv[0]));
	ASSERT_PEER_EOF(sv[1]);
	/* Writing to the peer fails: the other end is gone. */
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	EXPECT_EQ(-1, write(sv[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	close(kq);
}

TEST(close_tcp_socket_peer_sees_eof)
{
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, kq_tcp_pair(sv));
	WATCH_RW(kq, sv[0]);
	ASSERT_EQ(0, close(sv[0]));
	/* The FIN is only sent when the last reference goes. */
	ASSERT_PEER_EOF(sv[1]);
	close(kq);
}

TEST(close_watched_pipe_write_end_reader_sees_eof)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	KQ_CHANGE_OK(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, close(p[1]));
	ASSERT_PEER_EOF(p[0]);
	close(kq);
}

TEST(close_watched_pipe_read_end_writer_gets_epipe)
{
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	ASSERT_EQ(0, close(p[0]));
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	EXPECT_EQ(-1, write(p[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	close(kq);
}

TEST(closed_listener_port_can_be_bound_again)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned short port;
	int kq, l, l2, c, one = 1;

	KQ_OPEN(kq);
	l = kq_tcp_listener(4, &port);
	ASSERT_LE(0, l);
	KQ_CHANGE_OK(kq, l, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, close(l));
	/* Nobody listens any more. */
	c = kq_tcp_connect(port);
	EXPECT_EQ(-1, c);
	EXPECT_EQ(ECONNREFUSED, errno);
	/* And the port is free (a live listener would make this fail). */
	l2 = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, setsockopt(l2, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	EXPECT_EQ(0, bind(l2, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind port %u: %s", port, strerror(errno));
	EXPECT_EQ(0, listen(l2, 1));
	close(l2);
	close(kq);
}

TEST(close_kqueue_then_fd_releases)
{
	int kq, sv[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, upair(sv));
	WATCH_RW(kq, sv[0]);
	ASSERT_EQ(0, close(kq));
	ASSERT_EQ(0, close(sv[0]));
	ASSERT_PEER_EOF(sv[1]);
}

TEST(close_in_one_of_two_kqueues_releases)
{
	int kq1, kq2, sv[2];

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, upair(sv));
	WATCH_RW(kq1, sv[0]);
	WATCH_RW(kq2, sv[0]);
	ASSERT_EQ(0, close(sv[0]));
	ASSERT_PEER_EOF(sv[1]);
	close(kq1);
	close(kq2);
}

/* The knote's state at close time must not matter. */
TEST(close_releases_in_any_knote_state)
{
	int kq, sv[5][2], i;

	KQ_OPEN(kq);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, upair(sv[i]));
	/* 0: disabled */
	KQ_CHANGE_OK(kq, sv[0][0], EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0,
		     NULL);
	/* 1: queued, event pending and never harvested */
	KQ_CHANGE_OK(kq, sv[1][0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	/* 2: EV_DISPATCH, delivered and so disabled */
	KQ_CHANGE_OK(kq, sv[2][0], EVFILT_WRITE, EV_ADD | EV_DISPATCH, 0, 0,
		     NULL);
	/* 3: EV_CLEAR, delivered */
	KQ_CHANGE_OK(kq, sv[3][0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0,
		     NULL);
	/* 4: EV_ONESHOT, not yet fired (READ, nothing to read) */
	KQ_CHANGE_OK(kq, sv[4][0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0,
		     NULL);
	KQ_CHANGE_OK(kq, sv[2][0], EVFILT_WRITE, EV_DISABLE, 0, 0, NULL);
	KQ_CHANGE_OK(kq, sv[2][0], EVFILT_WRITE, EV_ENABLE, 0, 0, NULL);
	/* Harvest the dispatch and clear knotes (the queued one may come too). */
	{
		struct kevent evs[8];
		int n, j, got2 = 0, got3 = 0;

		KQ_CHANGE_OK(kq, sv[1][0], EVFILT_WRITE, EV_DISABLE, 0, 0,
			     NULL);
		n = kq_poll(kq, evs, 8, KQ_WAIT_MS);
		for (j = 0; j < n; j++) {
			got2 += evs[j].ident == (uintptr_t)sv[2][0];
			got3 += evs[j].ident == (uintptr_t)sv[3][0];
		}
		ASSERT_EQ(1, got2);
		ASSERT_EQ(1, got3);
		KQ_CHANGE_OK(kq, sv[1][0], EVFILT_WRITE, EV_ENABLE, 0, 0,
			     NULL);
	}
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, close(sv[i][0]));
	for (i = 0; i < 5; i++)
		ASSERT_PEER_EOF(sv[i][1]);
	close(kq);
}

TEST(high_fd_number)
{
	struct rlimit rl;
	int kq, sv[2], num = 1000;

	/* Past the initial descriptor table, if the limit allows. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max >= 2048) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			num = rl.rlim_cur - 1;
	} else if (rl.rlim_cur < 1001) {
		num = rl.rlim_cur - 1;
	}
	KQ_OPEN(kq);
	ASSERT_EQ(0, upair(sv));
	ASSERT_EQ(num, dup2(sv[0], num));
	ASSERT_EQ(0, close(sv[0]));
	WATCH_RW(kq, num);
	{
		struct kevent ev;

		KQ_GET_KEV(kq, &ev, num, EVFILT_WRITE);
	}
	ASSERT_EQ(0, close(num));
	ASSERT_PEER_EOF(sv[1]);
	KQ_CHANGE_ERR(kq, EBADF, num, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
}

/* ------------------------------------------------------------------ */
/* close() deletes the fd's knotes; dups are separate.                  */

TEST(close_deletes_knotes_in_every_kqueue)
{
	int kq1, kq2, p[2], r;

	KQ_OPEN(kq1);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	r = p[0];
	KQ_CHANGE_OK(kq1, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	ASSERT_EQ(0, close(r));
	KQ_CHECK_NONE(kq1);
	KQ_CHECK_NONE(kq2);
	/* FreeBSD: EV_DELETE of a closed descriptor is EBADF. */
	KQ_CHANGE_ERR(kq1, EBADF, r, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq2, EBADF, r, EVFILT_READ, EV_DELETE, 0, 0, NULL);
}

TEST(close_drops_already_queued_event)
{
	struct kevent ev;
	int kq, p[2], r;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	r = p[0];
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	/* Reported once: the level-triggered knote stays queued. */
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	ASSERT_EQ(0, close(r));
	KQ_CHECK_NONE(kq);
}

TEST(dup_has_its_own_knote)
{
	struct kevent ev;
	int kq, p[2], orig, d;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	orig = p[0];
	d = dup(orig);
	ASSERT_LE(0, d);
	KQ_CHANGE_OK(kq, orig, EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	KQ_CHANGE_OK(kq, d, EVFILT_READ, EV_ADD, 0, 0, (void *)2);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	{
		struct kevent evs[4];

		/* Two knotes on one file: two events. */
		ASSERT_EQ(2, kq_poll(kq, evs, 4, KQ_WAIT_MS));
	}
	/* Closing the original drops only its knote; the dup keeps the file. */
	ASSERT_EQ(0, close(orig));
	KQ_GET_KEV(kq, &ev, d, EVFILT_READ);
	EXPECT_EQ((void *)2, ev.udata);
	EXPECT_EQ(1, ev.data);
	KQ_CHANGE_ERR(kq, EBADF, orig, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq, d, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
}

TEST(close_dup_keeps_original_knote)
{
	struct kevent ev;
	int kq, p[2], d;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	d = dup(p[0]);
	ASSERT_LE(0, d);
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	KQ_CHANGE_OK(kq, d, EVFILT_READ, EV_ADD, 0, 0, (void *)2);
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ((void *)1, ev.udata);
	KQ_CHANGE_ERR(kq, EBADF, d, EVFILT_READ, EV_DELETE, 0, 0, NULL);
}

TEST(close_deletes_knote_even_when_dup_keeps_file)
{
	int kq, p[2], d, r;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	r = p[0];
	d = dup(r);
	ASSERT_LE(0, d);
	/* Only the original is watched; the dup keeps the pipe open. */
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, close(r));
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, EBADF, r, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(d);
}

TEST(reused_fd_number_no_stale_event)
{
	struct kevent ev;
	int kq, p1[2], p2[2], num, keep;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p1, O_NONBLOCK | O_CLOEXEC));
	num = p1[0];
	KQ_CHANGE_OK(kq, num, EVFILT_READ, EV_ADD, 0, 0, (void *)0x51);
	ASSERT_EQ(4, kq_fill_bytes(p1[1], 4));
	KQ_GET_KEV(kq, &ev, num, EVFILT_READ);
	/* Keep the old pipe alive (and readable) through another number. */
	keep = fcntl(num, F_DUPFD_CLOEXEC, 100);
	ASSERT_LE(100, keep);
	ASSERT_EQ(0, close(num));
	/* A new pipe takes the lowest free number: the old one. */
	ASSERT_EQ(0, pipe2(p2, O_NONBLOCK | O_CLOEXEC));
	if (p2[0] != num) {
		ASSERT_EQ(num, dup2(p2[0], num));
		close(p2[0]);
		p2[0] = num;
	}
	ASSERT_EQ(5, kq_fill_bytes(p2[1], 5));
	ASSERT_EQ(1, kq_fill_bytes(p1[1], 1));
	/* Neither the old pipe's data nor the new file is reported. */
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, num, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* A fresh registration watches the new file. */
	KQ_CHANGE_OK(kq, num, EVFILT_READ, EV_ADD, 0, 0, (void *)0x52);
	KQ_GET_KEV(kq, &ev, num, EVFILT_READ);
	EXPECT_EQ(5, ev.data);
	EXPECT_EQ((void *)0x52, ev.udata);
	close(keep);
}

TEST(close_range_drops_knotes_and_releases)
{
	int kq, sv[3][2], i, base = 400;

	KQ_OPEN(kq);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, upair(sv[i]));
		ASSERT_EQ(base + i, dup2(sv[i][0], base + i));
		close(sv[i][0]);
		WATCH_RW(kq, base + i);
	}
	ASSERT_EQ(0, syscall(__NR_close_range, base, base + 2, 0))
		TH_LOG("close_range: %s", strerror(errno));
	for (i = 0; i < 3; i++)
		ASSERT_PEER_EOF(sv[i][1]);
	for (i = 0; i < 3; i++) {
		KQ_CHANGE_ERR(kq, EBADF, base + i, EVFILT_READ, EV_DELETE, 0,
			      0, NULL);
	}
	KQ_CHECK_NONE(kq);
}

TEST(close_range_cloexec_keeps_knotes)
{
	struct kevent ev;
	int kq, p[2], num = 410;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	ASSERT_EQ(num, dup2(p[0], num));
	close(p[0]);
	KQ_CHANGE_OK(kq, num, EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* Only marking close-on-exec closes nothing. */
	ASSERT_EQ(0, syscall(__NR_close_range, num, num, CLOSE_RANGE_CLOEXEC))
		TH_LOG("close_range: %s", strerror(errno));
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(kq, &ev, num, EVFILT_READ);
}

static void dup_over_watched(struct __test_metadata *_metadata, int use_dup3)
{
	int kq, sv[2], q[2], num;

	KQ_OPEN(kq);
	ASSERT_EQ(0, upair(sv));
	ASSERT_EQ(0, pipe2(q, O_NONBLOCK | O_CLOEXEC));
	num = sv[0];
	WATCH_RW(kq, num);
	/* Replace the watched socket by the pipe's read end. */
	if (use_dup3) {
		ASSERT_EQ(num, dup3(q[0], num, O_CLOEXEC));
	} else {
		ASSERT_EQ(num, dup2(q[0], num));
	}
	/* The socket end is released at once... */
	ASSERT_PEER_EOF(sv[1]);
	/* ...and its knotes are gone, not transferred to the new file. */
	ASSERT_EQ(1, kq_fill_bytes(q[1], 1));
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_ERR(kq, ENOENT, num, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOENT, num, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	close(kq);
}

TEST(dup2_over_watched_fd)
{
	dup_over_watched(_metadata, 0);
}

TEST(dup3_over_watched_fd)
{
	dup_over_watched(_metadata, 1);
}

TEST(dup2_onto_itself_keeps_knote)
{
	struct kevent ev;
	int kq, p[2];

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	/* dup2(fd, fd) is a no-op and closes nothing. */
	ASSERT_EQ(p[0], dup2(p[0], p[0]));
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
}

/* ------------------------------------------------------------------ */
/* Processes: another process's close, exec, exit.                      */

TEST(close_in_forked_child_keeps_parent_knote)
{
	struct kevent ev;
	pid_t pid;
	int kq, p[2], st;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)9);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Another descriptor table: its close is not ours. */
		close(p[0]);
		close(kq);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, kq_fill_bytes(p[1], 1));
	KQ_GET_KEV(kq, &ev, p[0], EVFILT_READ);
	EXPECT_EQ((void *)9, ev.udata);
}

TEST(exit_of_forked_child_keeps_parent_knote)
{
	struct kevent ev;
	pid_t pid;
	int kq, sv[2], st;

	KQ_OPEN(kq);
	ASSERT_EQ(0, upair(sv));
	KQ_CHANGE_OK(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, (void *)10);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);	/* its copies of every fd go with it */
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(1, kq_fill_bytes(sv[1], 1));
	KQ_GET_KEV(kq, &ev, sv[0], EVFILT_READ);
	EXPECT_EQ((void *)10, ev.udata);
	/*
	 * And closing in the parent still releases the file.  (Read the
	 * byte first: closing a unix socket with unread data is a reset.)
	 */
	ASSERT_EQ(1, kq_drain_fd(sv[0]));
	ASSERT_EQ(0, close(sv[0]));
	ASSERT_PEER_EOF(sv[1]);
}

/*
 * The exec'd helper: argv = HELPER_FLAG kq watched status go.
 * Reports "started", waits for "go" (the parent has checked EOF by then),
 * then checks from its side that the knote is gone and reports "ok" or
 * what was wrong.  Runs from a constructor, before the harness.
 */
static void helper_report(int fd, const char *msg)
{
	ssize_t r = write(fd, msg, strlen(msg));

	(void)r;
}

static void exec_helper(int kq, int watched, int status, int go)
{
	struct timespec ts = { 0, 0 };
	struct kevent ev[4], ch;
	char c, msg[160];
	int r;

	helper_report(status, "S");
	if (read(go, &c, 1) != 1)
		_exit(3);
	if (fcntl(watched, F_GETFD) != -1 || errno != EBADF) {
		helper_report(status, "watched fd survived exec");
		_exit(1);
	}
	r = kevent(kq, NULL, 0, ev, 4, &ts);
	if (r != 0) {
		snprintf(msg, sizeof(msg),
			 "kevent after exec: %d (%s), ident %lu filter %d",
			 r, r < 0 ? strerror(errno) : "events",
			 r > 0 ? (unsigned long)ev[0].ident : 0ul,
			 r > 0 ? ev[0].filter : 0);
		helper_report(status, msg);
		_exit(1);
	}
	EV_SET(&ch, watched, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	r = kevent(kq, &ch, 1, NULL, 0, NULL);
	if (r != -1 || errno != EBADF) {
		snprintf(msg, sizeof(msg), "EV_DELETE after exec: %d (%s)", r,
			 r < 0 ? strerror(errno) : "succeeded");
		helper_report(status, msg);
		_exit(1);
	}
	helper_report(status, "ok");
	_exit(0);
}

static void __attribute__((constructor))
maybe_exec_helper(int argc, char **argv)
{
	if (argc == 6 && argv && !strcmp(argv[1], HELPER_FLAG))
		exec_helper(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
			    atoi(argv[5]));
}

TEST(exec_closes_cloexec_fd_and_releases)
{
	int kq, p[2], st[2], go[2], wst;
	char c, msg[200];
	ssize_t n;
	pid_t pid;

	/* p: the watched pipe; st: helper -> parent; go: parent -> helper. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, pipe(st));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char a[4][16], *args[7];
		struct kevent ev;

		close(p[0]);
		close(st[0]);
		close(go[1]);
		kq = kqueue();
		if (kq < 0 ||
		    kq_change(kq, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL) ||
		    kq_poll(kq, &ev, 1, KQ_WAIT_MS) != 1) {
			helper_report(st[1], "child: could not watch the pipe");
			_exit(2);
		}
		snprintf(a[0], 16, "%d", kq);
		snprintf(a[1], 16, "%d", p[1]);
		snprintf(a[2], 16, "%d", st[1]);
		snprintf(a[3], 16, "%d", go[0]);
		args[0] = "kq_lifetime";
		args[1] = HELPER_FLAG;
		args[2] = a[0];
		args[3] = a[1];
		args[4] = a[2];
		args[5] = a[3];
		args[6] = NULL;
		execv("/proc/self/exe", args);
		helper_report(st[1], "execv failed");
		_exit(2);
	}
	close(p[1]);
	close(st[1]);
	close(go[0]);
	/* The helper is running: exec is done. */
	n = read(st[0], &c, 1);
	if (n != 1 || c != 'S') {
		memset(msg, 0, sizeof(msg));
		msg[0] = n == 1 ? c : 0;
		if (read(st[0], msg + (n == 1), sizeof(msg) - 2) < 0)
			msg[0] = 0;
		TH_LOG("helper did not start: %s", msg);
		ASSERT_TRUE(0);
	}
	/* The exec closed the child's write end, watched by a live kqueue. */
	ASSERT_PEER_EOF(p[0]);
	/* And it was the exec, not an exit. */
	ASSERT_EQ(0, waitpid(pid, &wst, WNOHANG));
	/* Now let the helper check its side. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	memset(msg, 0, sizeof(msg));
	n = read(st[0], msg, sizeof(msg) - 1);
	ASSERT_EQ(pid, waitpid(pid, &wst, 0));
	EXPECT_STREQ("ok", msg);
	EXPECT_TRUE(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
}

TEST(exit_releases_watched_socket)
{
	int sv[2], wst;
	pid_t pid;
	char c;

	ASSERT_EQ(0, upair(sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int kq = kqueue();

		close(sv[1]);
		if (kq < 0 ||
		    kq_change(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL) ||
		    kq_change(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL))
			_exit(2);
		/* Registered: tell the parent, then exit holding both. */
		if (write(sv[0], "R", 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(sv[0]);
	ASSERT_TRUE(kq_wait_poll(sv[1], POLLIN, KQ_WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(sv[1], &c, 1));
	ASSERT_EQ('R', c);
	ASSERT_EQ(pid, waitpid(pid, &wst, 0));
	ASSERT_TRUE(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	ASSERT_PEER_EOF(sv[1]);
}

TEST(killed_while_waiting_releases_watched_socket)
{
	int sv[2], wst;
	pid_t pid;
	char c;

	ASSERT_EQ(0, upair(sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int kq = kqueue();

		close(sv[1]);
		if (kq < 0 ||
		    kq_change(kq, sv[0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0,
			      NULL) ||
		    kq_change(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL))
			_exit(2);
		if (kq_poll(kq, &ev, 1, 0) != 1 || write(sv[0], "R", 1) != 1)
			_exit(3);
		/* Block in kevent() until killed (bounded by the harness). */
		for (;;)
			kq_poll(kq, &ev, 1, 60000);
	}
	close(sv[0]);
	ASSERT_TRUE(kq_wait_poll(sv[1], POLLIN, KQ_WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(sv[1], &c, 1));
	usleep(50000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &wst, 0));
	ASSERT_TRUE(WIFSIGNALED(wst));
	ASSERT_PEER_EOF(sv[1]);
}

/* Send fd over a unix socket (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

TEST(exit_releases_even_if_kqueue_lives_on)
{
	int sv[2], ctl[2], wst, kq;
	pid_t pid;

	/*
	 * The child watches its socket end, hands its kqueue to the parent
	 * and exits.  The kqueue outlives the child's descriptor table, and
	 * must not keep the child's socket open.
	 */
	ASSERT_EQ(0, upair(sv));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int k = kqueue();

		close(sv[1]);
		close(ctl[0]);
		if (k < 0 ||
		    kq_change(k, sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL) ||
		    kq_change(k, sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL))
			_exit(2);
		if (send_fd(ctl[1], k))
			_exit(3);
		_exit(0);
	}
	close(sv[0]);
	close(ctl[1]);
	kq = recv_fd(ctl[0]);
	ASSERT_LE(0, kq);
	ASSERT_EQ(pid, waitpid(pid, &wst, 0));
	ASSERT_TRUE(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	ASSERT_PEER_EOF(sv[1]);
	close(kq);
}

/*
 * A signalfd waits on the signal handlers of whoever polls it: a knote
 * that a process sharing our descriptors (clone(CLONE_FILES)) added hangs
 * on that process's queue, freed when it exits (POLLFREE).  The knote lets
 * go of the queue in time (KASAN would see the use after free); it is
 * still there, reports nothing, and deleting it works.
 */
TEST(signalfd_knote_outlives_the_adders_handlers)
{
	sigset_t mask;
	int kq, sfd, st;
	pid_t pid;

	kq = kqueue();
	ASSERT_LE(0, kq);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ASSERT_LE(0, sfd);
	pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, NULL);
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kq_change(kq, sfd, EVFILT_READ, EV_ADD, 0, 0, NULL) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	KQ_CHECK_NONE(kq);
	KQ_CHANGE_OK(kq, sfd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	close(sfd);
	close(kq);
}

TEST_HARNESS_MAIN
