// SPDX-License-Identifier: GPL-2.0
/*
 * The rest of Darwin's names: EVFILT_MACHPORT and EVFILT_VM are EINVAL,
 * EV_OOBAND comes back from EVFILT_READ on a TCP socket with urgent data
 * (kevent64() only; urgent data alone fires it), EV_POLL is ignored on
 * input, and EVFILT_VNODE's NOTE_FUNLOCK and NOTE_NONE are accepted and
 * never reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/event.h>
#include <sys/file.h>
#include <sys/socket.h>

#include "kselftest_harness.h"

FIXTURE(dm) {
	int kq;
};

FIXTURE_SETUP(dm)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(dm)
{
	close(self->kq);
}

/* One change through kevent64(); 0 or the errno reported. */
static int change(int kq, __u64 ident, __s16 filter, __u16 flags,
		  __u32 fflags)
{
	struct kevent64_s ch, ev;
	int n;

	EV_SET64(&ch, ident, filter, flags | EV_RECEIPT, fflags, 0, 0, 0, 0);
	n = kevent64(kq, &ch, 1, &ev, 1, KEVENT_FLAG_ERROR_EVENTS, NULL);
	if (n != 1)
		return n < 0 ? errno : -1000;
	return ev.data;
}

static int poll64(int kq, struct kevent64_s *ev)
{
	return kevent64(kq, NULL, 0, ev, 1, KEVENT_FLAG_IMMEDIATE, NULL);
}

TEST_F(dm, machport_vm_einval)
{
	EXPECT_EQ(EINVAL, change(self->kq, 1, EVFILT_MACHPORT, EV_ADD, 0));
	EXPECT_EQ(EINVAL, change(self->kq, 1, EVFILT_VM, EV_ADD,
				 0x80000000u));
	EXPECT_EQ(EINVAL, change(self->kq, 1, EVFILT_MACHPORT, EV_DELETE, 0));
}

/* A connected TCP pair over loopback. */
static int tcp_pair(int fd[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		return -1;
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fd[0] < 0 || connect(fd[0], (void *)&a, sizeof(a)))
		return -1;
	fd[1] = accept(l, NULL, NULL);
	close(l);
	return fd[1] < 0 ? -1 : 0;
}

/*
 * Urgent data pending: kevent64() says EV_OOBAND with the bytes before the
 * mark; kevent() (FreeBSD's flags) does not; once read, it is gone.
 */
TEST_F(dm, oob_on_tcp)
{
	struct pollfd pfd;
	struct kevent64_s ev;
	struct kevent k;
	struct timespec zero = { 0, 0 };
	int fd[2];
	char buf[8];

	ASSERT_EQ(0, tcp_pair(fd));
	ASSERT_EQ(3, send(fd[0], "abc", 3, 0));
	ASSERT_EQ(1, send(fd[0], "!", 1, MSG_OOB));
	pfd.fd = fd[1];
	pfd.events = POLLPRI;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, change(self->kq, fd[1], EVFILT_READ, EV_ADD, 0));
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_TRUE(ev.flags & EV_OOBAND);
	EXPECT_EQ(3, ev.data);
	/* FreeBSD's kevent(): no such flag */
	EV_SET(&k, fd[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kevent(self->kq, &k, 1, &k, 1, &zero));
	EXPECT_EQ(0, k.flags & EV_OOBAND);
	/* read up to the mark, then the urgent byte: no more EV_OOBAND */
	ASSERT_EQ(3, recv(fd[1], buf, 3, 0));
	ASSERT_EQ(1, recv(fd[1], buf, 1, MSG_OOB));
	EXPECT_EQ('!', buf[0]);
	/* past the mark (Linux counts nothing readable while at it) */
	ASSERT_EQ(2, send(fd[0], "de", 2, 0));
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(2, recv(fd[1], buf, sizeof(buf), 0));
	ASSERT_EQ(2, send(fd[0], "fg", 2, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_EQ(2, ev.data);
	EXPECT_EQ(0, ev.flags & EV_OOBAND);
	close(fd[0]);
	close(fd[1]);
}

/*
 * Urgent data alone, the read position at the mark (SO_OOBINLINE off):
 * Linux counts nothing readable, but XNU's filt_soread fires EVFILT_READ
 * with EV_OOBAND (data 0), level-triggered until the urgent byte is read.
 * kevent()'s knotes (FreeBSD) leave urgent data to EVFILT_EXCEPT.
 */
TEST_F(dm, oob_alone_wakes_darwin_reader)
{
	struct timespec zero = { 0, 0 }, wait = { 5, 0 };
	struct kevent64_s ev;
	struct kevent k;
	struct pollfd pfd;
	int fd[2], late[2], bsd;
	char c;

	ASSERT_EQ(0, tcp_pair(fd));
	ASSERT_EQ(0, tcp_pair(late));
	bsd = kqueue();
	ASSERT_LE(0, bsd);
	/* registered before the urgent byte comes: its arrival wakes */
	ASSERT_EQ(0, change(self->kq, late[1], EVFILT_READ, EV_ADD, 0));
	ASSERT_EQ(0, poll64(self->kq, &ev));
	ASSERT_EQ(1, send(late[0], "!", 1, MSG_OOB));
	ASSERT_EQ(1, kevent64(self->kq, NULL, 0, &ev, 1, 0, &wait));
	EXPECT_EQ((__u64)late[1], ev.ident);
	EXPECT_TRUE(ev.flags & EV_OOBAND);
	EXPECT_EQ(0, ev.data);
	ASSERT_EQ(0, change(self->kq, late[1], EVFILT_READ, EV_DELETE, 0));

	/* registered after: fires at once */
	ASSERT_EQ(1, send(fd[0], "?", 1, MSG_OOB));
	pfd.fd = fd[1];
	pfd.events = POLLPRI;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, change(self->kq, fd[1], EVFILT_READ, EV_ADD, 0));
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_EQ((__u64)fd[1], ev.ident);
	EXPECT_EQ(EVFILT_READ, ev.filter);
	EXPECT_TRUE(ev.flags & EV_OOBAND);
	EXPECT_EQ(0, ev.data);
	/* level-triggered: still there */
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_TRUE(ev.flags & EV_OOBAND);

	/* FreeBSD's kevent(): nothing to read in band, no event */
	EV_SET(&k, fd[1], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kevent(bsd, &k, 1, &k, 1, &zero));

	/* the urgent byte read: nothing more */
	ASSERT_EQ(1, recv(fd[1], &c, 1, MSG_OOB));
	EXPECT_EQ('?', c);
	EXPECT_EQ(0, poll64(self->kq, &ev));
	EXPECT_EQ(0, kevent(bsd, NULL, 0, &k, 1, &zero));
	close(bsd);
	close(late[0]);
	close(late[1]);
	close(fd[0]);
	close(fd[1]);
}

/* EV_POLL on input is ignored (a system flag); nothing else changes. */
TEST_F(dm, ev_poll_ignored)
{
	struct kevent64_s ev;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, change(self->kq, p[0], EVFILT_READ, EV_ADD | EV_POLL, 0));
	ASSERT_EQ(0, poll64(self->kq, &ev));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ(0, ev.flags & EV_POLL);
	close(p[0]);
	close(p[1]);
}

/* NOTE_FUNLOCK and NOTE_NONE: accepted, never reported. */
TEST_F(dm, vnode_funlock_none)
{
	char path[] = "/tmp/kq-dm-XXXXXX";
	struct kevent64_s ev;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, change(self->kq, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
			    NOTE_FUNLOCK | NOTE_NONE | NOTE_WRITE));
	ASSERT_EQ(0, flock(fd, LOCK_EX));
	ASSERT_EQ(0, flock(fd, LOCK_UN));
	EXPECT_EQ(0, poll64(self->kq, &ev));
	ASSERT_EQ(1, write(fd, "x", 1));
	ASSERT_EQ(1, poll64(self->kq, &ev));
	EXPECT_TRUE(ev.fflags & NOTE_WRITE);
	EXPECT_EQ(0, ev.fflags & (NOTE_FUNLOCK | NOTE_NONE));
	close(fd);
}

TEST_HARNESS_MAIN
