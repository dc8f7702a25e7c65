/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Descriptors and sockets: non-blocking I/O, filling and draining, TCP and
 * UDP over loopback, one byte or one int through a pipe, SCM_RIGHTS.
 */
#ifndef KQ_FD_H
#define KQ_FD_H

#include "kq_wait.h"

static inline int kq_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Write n bytes of 'x' (one write call). */
static inline ssize_t kq_fill_bytes(int fd, size_t n)
{
	char buf[4096];

	if (n > sizeof(buf))
		n = sizeof(buf);
	memset(buf, 'x', n);
	return write(fd, buf, n);
}

/* Read and discard everything readable now (fd must be non-blocking). */
static inline ssize_t kq_drain_fd(int fd)
{
	char buf[65536];
	ssize_t r, total = 0;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	return total;
}

/* Fill a non-blocking fd until EAGAIN; returns bytes written. */
static inline ssize_t kq_fill_until_full(int fd)
{
	static char buf[65536];
	ssize_t r, total = 0;

	memset(buf, 'f', sizeof(buf));
	for (;;) {
		r = write(fd, buf, sizeof(buf));
		if (r > 0) {
			total += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return total;
}

/* A listening TCP socket on 127.0.0.1, any port; *port in host order. */
static inline int kq_tcp_listener(int backlog, unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int one = 1;
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s, backlog) < 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
		close(s);
		return -1;
	}
	if (port)
		*port = ntohs(sin.sin_port);
	return s;
}

/* A TCP client connected (blocking connect) to 127.0.0.1:port. */
static inline int kq_tcp_connect(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/*
 * A connected TCP pair over loopback: sv[0] the client, sv[1] the accepted
 * server side.  Both non-blocking, TCP_NODELAY.  Returns 0 or -1.
 */
static inline int kq_tcp_pair(int sv[2])
{
	unsigned short port;
	int one = 1;
	int l, c, a;

	l = kq_tcp_listener(1, &port);
	if (l < 0)
		return -1;
	c = kq_tcp_connect(port);
	if (c < 0) {
		close(l);
		return -1;
	}
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	if (a < 0) {
		close(c);
		return -1;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	kq_set_nonblock(c);
	kq_set_nonblock(a);
	sv[0] = c;
	sv[1] = a;
	return 0;
}

/* A UDP socket bound to 127.0.0.1, any port; *port in host order. */
static inline int kq_udp_bound(unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

/* Abortive close: SO_LINGER 0, so the peer gets a RST. */
static inline int kq_close_rst(int s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return -1;
	return close(s);
}

/* Is fd a valid descriptor? */
static inline int kq_fd_valid(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* One byte through a pipe. */
static inline int kq_send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Read one byte within ms: the byte, or -1. */
static inline int kq_recv_byte(int fd, long ms)
{
	unsigned char c;

	if (!(kq_wait_poll(fd, POLLIN, ms) & (POLLIN | POLLHUP)))
		return -1;
	if (read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* Send/receive one int over a pipe. */
static inline int kq_put_int(int fd, int v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

static inline int kq_get_int_ms(int fd, int *v, int ms)
{
	if (!(kq_wait_poll(fd, POLLIN, ms) & POLLIN))
		return -1;
	return read(fd, v, sizeof(*v)) == (ssize_t)sizeof(*v) ? 0 : -1;
}

/* SCM_RIGHTS. */
static inline int kq_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receive one descriptor within ms (-1 on failure). */
static inline int kq_recv_fd(int sock, long ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (!(kq_wait_poll(sock, POLLIN, ms) & POLLIN))
		return -1;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}


#endif /* KQ_FD_H */
