// SPDX-License-Identifier: GPL-2.0
/*
 * The socket kinds kq_read.c and kq_write.c do not use behave as their
 * IPv4 and unix-stream cousins: TCP over IPv6 (EVFILT_READ data = bytes
 * queued, EVFILT_WRITE free space, EVFILT_EMPTY once all is acknowledged,
 * EV_EOF after the peer's shutdown, a refused connect gives EV_EOF with
 * ECONNREFUSED in fflags), UDP over IPv6 and UDP-Lite (data = every byte
 * queued), and AF_UNIX SOCK_SEQPACKET (not writable before connect()).
 * A UDP socket with a pending error (ICMP: port closed) is readable.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include "kq_fd.h"
#include "kq_wait.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE	136
#endif

/* A socket of @type/@proto bound to [::1], any port; *port. -1: no IPv6. */
static int bound6(int type, int proto, unsigned short *port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sin6);
	int s = socket(AF_INET6, type | SOCK_CLOEXEC, proto);

	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    getsockname(s, (struct sockaddr *)&sin6, &len)) {
		close(s);
		return -1;
	}
	*port = ntohs(sin6.sin6_port);
	return s;
}

static struct sockaddr_in6 to6(unsigned short port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	sin6.sin6_port = htons(port);
	return sin6;
}

TEST(tcp6_read_write_empty_eof)
{
	unsigned short port;
	struct sockaddr_in6 sin6;
	struct kevent ev;
	int kq, l, c, a;

	KQ_OPEN(kq);
	l = bound6(SOCK_STREAM, 0, &port);
	if (l < 0)
		SKIP(return, "no IPv6 loopback: %s", strerror(errno));
	ASSERT_EQ(0, listen(l, 1));
	c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c);
	sin6 = to6(port);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin6, sizeof(sin6)));
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ASSERT_LE(0, a);
	KQ_CHANGE_OK(kq, c, EVFILT_WRITE, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, c, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	KQ_CHANGE_OK(kq, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(5, write(c, "hello", 5));
	KQ_WAIT_DATA(kq, &ev, a, EVFILT_READ, 5);
	KQ_CHANGE_OK(kq, a, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	/* loopback acknowledges at once: nothing unsent */
	KQ_CHANGE_OK(kq, c, EVFILT_EMPTY, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, c, EVFILT_EMPTY);
	EXPECT_EQ(0, ev.data);
	KQ_CHANGE_OK(kq, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	KQ_WAIT_EOF(kq, &ev, a, EVFILT_READ);
	EXPECT_EQ(5, ev.data);
	close(a);
	close(c);
	close(l);
	close(kq);
}

/* FreeBSD: a failed connect() is EV_EOF with so_error in fflags. */
TEST(tcp6_refused_connect_eof_with_error)
{
	unsigned short port;
	struct sockaddr_in6 sin6;
	struct kevent ev;
	int kq, l, c, r;

	KQ_OPEN(kq);
	l = bound6(SOCK_STREAM, 0, &port);	/* bound, not listening */
	if (l < 0)
		SKIP(return, "no IPv6 loopback: %s", strerror(errno));
	c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	KQ_CHANGE_OK(kq, c, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	sin6 = to6(port);
	r = connect(c, (struct sockaddr *)&sin6, sizeof(sin6));
	ASSERT_TRUE(r == 0 || errno == EINPROGRESS || errno == ECONNREFUSED);
	KQ_WAIT_EOF(kq, &ev, c, EVFILT_WRITE);
	EXPECT_EQ((unsigned int)ECONNREFUSED, ev.fflags);
	close(c);
	close(l);
	close(kq);
}

/* UDP over IPv6 and UDP-Lite: every byte queued, not the first datagram. */
static void datagrams_total(struct __test_metadata *_metadata, int family,
			    int proto)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_storage to;
	socklen_t len = sizeof(sin);
	unsigned short port;
	char buf[64] = { 0 };
	struct kevent ev;
	int kq, r, s;

	KQ_OPEN(kq);
	if (family == AF_INET6) {
		r = bound6(SOCK_DGRAM, proto, &port);
		if (r < 0)
			SKIP(return, "no IPv6 loopback: %s", strerror(errno));
		*(struct sockaddr_in6 *)&to = to6(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, proto);
		if (r < 0)
			SKIP(return, "protocol %d: %s", proto, strerror(errno));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ASSERT_EQ(0, bind(r, (struct sockaddr *)&sin, sizeof(sin)));
		ASSERT_EQ(0, getsockname(r, (struct sockaddr *)&sin, &len));
		memcpy(&to, &sin, sizeof(sin));
	}
	ASSERT_EQ(0, kq_set_nonblock(r));
	s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, r, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(10, sendto(s, buf, 10, 0, (struct sockaddr *)&to, len));
	ASSERT_EQ(20, sendto(s, buf, 20, 0, (struct sockaddr *)&to, len));
	KQ_WAIT_DATA(kq, &ev, r, EVFILT_READ, 30);
	ASSERT_EQ(10, recv(r, buf, sizeof(buf), 0));
	KQ_GET_KEV(kq, &ev, r, EVFILT_READ);
	EXPECT_EQ(20, ev.data);
	ASSERT_EQ(20, recv(r, buf, sizeof(buf), 0));
	KQ_CHECK_NONE(kq);
	close(s);
	close(r);
	close(kq);
}

TEST(udp6_data_is_total_bytes)
{
	datagrams_total(_metadata, AF_INET6, 0);
}

TEST(udplite_data_is_total_bytes)
{
	datagrams_total(_metadata, AF_INET, IPPROTO_UDPLITE);
}

/*
 * A connected UDP socket told by ICMP that the port is closed: readable
 * with data 0 and no EV_EOF (FreeBSD's so_error); recv() gives the error,
 * and then nothing is pending.
 */
TEST(udp_refused_is_readable)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct kevent ev;
	int kq, s, gone;
	char b;

	KQ_OPEN(kq);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	gone = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, gone);
	ASSERT_EQ(0, bind(gone, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(gone, (struct sockaddr *)&sin, &len));
	close(gone);		/* its port is closed now */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&sin, sizeof(sin)));
	KQ_CHANGE_OK(kq, s, EVFILT_READ, EV_ADD, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(1, send(s, "x", 1, 0));
	KQ_WAIT_ONE(kq, &ev, s, EVFILT_READ, 5000);
	EXPECT_EQ(0, ev.data);
	EXPECT_EQ(0, ev.flags & EV_EOF);
	errno = 0;
	EXPECT_EQ(-1, recv(s, &b, 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	KQ_CHECK_NONE(kq);
	close(s);
	close(kq);
}

/* AF_UNIX SOCK_SEQPACKET: writable once connected; data = bytes queued. */
TEST(unix_seqpacket_connect_and_data)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct kevent ev;
	int kq, l, s, a;
	socklen_t sl;

	KQ_OPEN(kq);
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "kq_sockets.%d",
		 getpid());
	sl = offsetof(struct sockaddr_un, sun_path) + 1 +
	     strlen(sun.sun_path + 1);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, sl));
	ASSERT_EQ(0, listen(l, 1));
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_OK(kq, s, EVFILT_WRITE, EV_ADD | EV_ONESHOT, 0, 0, NULL);
	KQ_CHECK_NONE(kq);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&sun, sl));
	KQ_GET_KEV(kq, &ev, s, EVFILT_WRITE);
	EXPECT_LT(0, ev.data);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ASSERT_LE(0, a);
	KQ_CHANGE_OK(kq, a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(3, write(s, "abc", 3));
	ASSERT_EQ(4, write(s, "defg", 4));
	KQ_WAIT_DATA(kq, &ev, a, EVFILT_READ, 7);
	close(s);
	KQ_WAIT_EOF(kq, &ev, a, EVFILT_READ);
	close(a);
	close(l);
	close(kq);
}

TEST_HARNESS_MAIN
