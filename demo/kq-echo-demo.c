/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kq-echo-demo: a TCP echo server driven by kqueue(2).
 *
 * The server listens on 127.0.0.1 (ephemeral port).  A few client threads
 * connect, send some lines with a short pause between them, check the
 * echoes and close.  One kqueue watches:
 *
 *	EVFILT_READ	the listening socket (data = pending connections)
 *			and every accepted connection (data = bytes readable)
 *	EVFILT_TIMER	a periodic tick (data = expirations since last seen)
 *	EVFILT_USER	triggered by the last client when it is done
 *
 * Every event is printed as it arrives.  The program exits 0 once the
 * shutdown event has arrived and every connection has been closed, and 1
 * on any unexpected error, bad echo or timeout.
 *
 * Written against <sys/event.h> only, as on a BSD.
 */
#include <sys/types.h>
#include <sys/event.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCLIENTS	3
#define NLINES		3
#define LINE_PAUSE_MS	150	/* between lines: lets the timer tick */
#define TIMER_ID	1
#define TIMER_MS	200
#define SHUTDOWN_ID	42
#define SOFT_LIMIT_MS	10000	/* give up after this many ms of ticks */
#define HARD_LIMIT_S	20	/* SIGALRM kills us if the loop wedges */
#define NEVENTS		16

static int		kq;
static in_port_t	port;
static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static int		clients_done;
static int		clients_failed;

static const char *
filter_name(short filter)
{

	switch (filter) {
	case EVFILT_READ:	return ("READ");
	case EVFILT_WRITE:	return ("WRITE");
	case EVFILT_AIO:	return ("AIO");
	case EVFILT_VNODE:	return ("VNODE");
	case EVFILT_PROC:	return ("PROC");
	case EVFILT_SIGNAL:	return ("SIGNAL");
	case EVFILT_TIMER:	return ("TIMER");
	case EVFILT_USER:	return ("USER");
	default:		return ("?");
	}
}

/* Render the flags a returned event may carry, e.g. "EV_CLEAR|EV_EOF". */
static const char *
flags_str(unsigned short flags, char *buf, size_t len)
{
	static const struct {
		unsigned short	flag;
		const char	*name;
	} names[] = {
		{ EV_ONESHOT,	"EV_ONESHOT" },
		{ EV_CLEAR,	"EV_CLEAR" },
		{ EV_RECEIPT,	"EV_RECEIPT" },
		{ EV_DISPATCH,	"EV_DISPATCH" },
		{ EV_ERROR,	"EV_ERROR" },
		{ EV_EOF,	"EV_EOF" },
	};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		if (buf[0] != '\0')
			strncat(buf, "|", len - strlen(buf) - 1);
		strncat(buf, names[i].name, len - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "0");
	return (buf);
}

static void
print_event(const struct kevent *kev, int lfd)
{
	char fbuf[96];

	flags_str(kev->flags, fbuf, sizeof(fbuf));
	switch (kev->filter) {
	case EVFILT_READ:
		if ((int)kev->ident == lfd)
			printf("READ fd=%d (listener) connections=%jd\n",
			    (int)kev->ident, (intmax_t)kev->data);
		else if ((kev->flags & EV_EOF) != 0 && kev->data == 0)
			printf("EOF fd=%d (client closed) flags=%s\n",
			    (int)kev->ident, fbuf);
		else
			printf("READ fd=%d data=%jd flags=%s\n",
			    (int)kev->ident, (intmax_t)kev->data, fbuf);
		break;
	case EVFILT_TIMER:
		printf("TIMER id=%ju expirations=%jd\n",
		    (uintmax_t)kev->ident, (intmax_t)kev->data);
		break;
	case EVFILT_USER:
		printf("USER id=%ju fflags=%#x (shutdown)\n",
		    (uintmax_t)kev->ident, kev->fflags);
		break;
	default:
		printf("%s ident=%ju flags=%s fflags=%#x data=%jd\n",
		    filter_name(kev->filter), (uintmax_t)kev->ident, fbuf,
		    kev->fflags, (intmax_t)kev->data);
		break;
	}
	fflush(stdout);
}

/*
 * Apply a changelist with EV_RECEIPT so that each change reports its own
 * status in the eventlist instead of failing the whole call part way.
 */
static void
apply_changes(struct kevent *chg, int n)
{
	struct kevent res[NEVENTS];
	int i, nr;

	if (n > NEVENTS)
		errx(1, "too many changes");
	for (i = 0; i < n; i++)
		chg[i].flags |= EV_RECEIPT;
	nr = kevent(kq, chg, n, res, n, NULL);
	if (nr == -1)
		err(1, "kevent (register)");
	if (nr != n)
		errx(1, "kevent (register): %d receipts for %d changes", nr, n);
	for (i = 0; i < nr; i++) {
		if ((res[i].flags & EV_ERROR) == 0)
			errx(1, "kevent (register): no EV_ERROR in receipt");
		if (res[i].data != 0) {
			errno = (int)res[i].data;
			err(1, "kevent (register) %s ident=%ju",
			    filter_name(res[i].filter), (uintmax_t)res[i].ident);
		}
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
client_session(int id)
{
	struct sockaddr_in sin;
	char line[64], echo[64];
	ssize_t n;
	size_t len, got;
	int fd, i;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		warn("client %d: socket", id);
		return (-1);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		warn("client %d: connect", id);
		close(fd);
		return (-1);
	}
	for (i = 0; i < NLINES; i++) {
		len = (size_t)snprintf(line, sizeof(line),
		    "client %d line %d\n", id, i);
		if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
			warn("client %d: send", id);
			close(fd);
			return (-1);
		}
		/* TCP may split the echo: read until the whole line is back. */
		for (got = 0; got < len; got += (size_t)n) {
			n = recv(fd, echo + got, len - got, 0);
			if (n <= 0) {
				if (n == 0)
					warnx("client %d: early EOF", id);
				else
					warn("client %d: recv", id);
				close(fd);
				return (-1);
			}
		}
		if (memcmp(line, echo, len) != 0) {
			warnx("client %d: bad echo", id);
			close(fd);
			return (-1);
		}
		sleep_ms(LINE_PAUSE_MS);
	}
	close(fd);
	return (0);
}

static void *
client(void *arg)
{
	struct kevent kev;
	int id = (int)(intptr_t)arg;
	int failed, last;

	failed = client_session(id) != 0;

	pthread_mutex_lock(&lock);
	clients_failed += failed;
	last = ++clients_done == NCLIENTS;
	pthread_mutex_unlock(&lock);

	/*
	 * The last client wakes the server through the shared kqueue.
	 * Its socket is already closed, so the server sees that EOF too.
	 */
	if (last) {
		EV_SET(&kev, SHUTDOWN_ID, EVFILT_USER, 0, NOTE_TRIGGER, 0,
		    NULL);
		if (kevent(kq, &kev, 1, NULL, 0, NULL) == -1)
			err(1, "kevent (trigger)");
	}
	return (NULL);
}

static int
listen_loopback(void)
{
	struct sockaddr_in sin;
	socklen_t slen;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = 0;		/* ephemeral */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	if (listen(fd, NCLIENTS) == -1)
		err(1, "listen");
	slen = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "getsockname");
	port = sin.sin_port;
	/* Non-blocking, so accepting "data" connections never blocks. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(1, "fcntl");
	return (fd);
}

/* Accept up to n pending connections and watch each for input. */
static int
accept_clients(int lfd, intptr_t n)
{
	struct kevent kev;
	int cfd, accepted = 0;

	while (n-- > 0) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd == -1) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;	/* that one is gone; try the next */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			err(1, "accept");
		}
		printf("  accepted fd=%d\n", cfd);
		EV_SET(&kev, cfd, EVFILT_READ, EV_ADD, 0, 0, NULL);
		apply_changes(&kev, 1);
		accepted++;
	}
	return (accepted);
}

/*
 * Echo what is readable.  Returns 1 when the connection is finished (EOF
 * and nothing left to read): closing the descriptor also removes its knote.
 */
static int
serve_client(const struct kevent *kev)
{
	char buf[512];
	ssize_t n, off, w;
	int fd = (int)kev->ident;

	if (kev->data > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			err(1, "recv fd=%d", fd);
		}
		for (off = 0; off < n; off += w) {
			w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (w == -1)
				err(1, "send fd=%d", fd);
		}
		printf("  echoed %zd bytes on fd=%d\n", n, fd);
		/* More may be buffered: level-triggered, it shows up again. */
		return (0);
	}
	if ((kev->flags & EV_EOF) != 0) {
		if (close(fd) == -1)
			err(1, "close fd=%d", fd);
		return (1);
	}
	return (0);
}

int
main(void)
{
	struct kevent chg[3], ev[NEVENTS];
	pthread_t tid[NCLIENTS];
	intmax_t ticks = 0;
	int lfd, conns = 0, finished = 0, stopping = 0;
	int i, n, rc;

	/* A wedged kevent() must not hang a test run. */
	alarm(HARD_LIMIT_S);

	if ((kq = kqueue()) == -1)
		err(1, "kqueue%s", errno == ENOSYS ?
		    " (is the kqueue module loaded?)" : "");

	lfd = listen_loopback();
	printf("listening on 127.0.0.1:%u, kq=%d\n", (unsigned)ntohs(port), kq);

	EV_SET(&chg[0], lfd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	EV_SET(&chg[1], TIMER_ID, EVFILT_TIMER, EV_ADD, 0, TIMER_MS, NULL);
	/* EV_CLEAR: one trigger, one event. */
	EV_SET(&chg[2], SHUTDOWN_ID, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
	    NULL);
	apply_changes(chg, 3);

	for (i = 0; i < NCLIENTS; i++) {
		rc = pthread_create(&tid[i], NULL, client, (void *)(intptr_t)i);
		if (rc != 0) {
			errno = rc;
			err(1, "pthread_create");
		}
	}

	while (!stopping || conns > 0) {
		n = kevent(kq, NULL, 0, ev, NEVENTS, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "kevent (wait)");
		}
		for (i = 0; i < n; i++) {
			print_event(&ev[i], lfd);
			if ((ev[i].flags & EV_ERROR) != 0) {
				errno = (int)ev[i].data;
				err(1, "event error");
			}
			switch (ev[i].filter) {
			case EVFILT_READ:
				if ((int)ev[i].ident == lfd) {
					conns += accept_clients(lfd,
					    ev[i].data);
				} else if (serve_client(&ev[i])) {
					conns--;
					finished++;
				}
				break;
			case EVFILT_TIMER:
				ticks += ev[i].data;
				if (ticks * TIMER_MS > SOFT_LIMIT_MS)
					errx(1, "timed out after %jd ticks",
					    ticks);
				break;
			case EVFILT_USER:
				stopping = 1;
				break;
			default:
				errx(1, "unexpected filter %d", ev[i].filter);
			}
		}
	}

	for (i = 0; i < NCLIENTS; i++)
		pthread_join(tid[i], NULL);
	close(lfd);
	close(kq);

	printf("done: %d connections served, %jd timer ticks, %d client "
	    "failures\n", finished, ticks, clients_failed);
	if (clients_failed != 0 || finished != NCLIENTS)
		return (1);
	return (0);
}
