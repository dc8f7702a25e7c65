/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kq-darwin-demo: kq-echo-demo's TCP echo server, written as on macOS:
 * kevent64() with struct kevent64_s and EV_SET64, udata a 64-bit cookie (a
 * pointer to each source's state), changes applied with
 * KEVENT_FLAG_ERROR_EVENTS (only failures come back), a last poll with
 * KEVENT_FLAG_IMMEDIATE.  Forked clients connect to 127.0.0.1, send a few
 * lines, check the echoes and exit 0 if all was well.  One kqueue watches:
 *
 *	EVFILT_READ	the listener (data = pending connections) and every
 *			connection (data = bytes readable)
 *	EVFILT_PROC	every client, NOTE_EXIT | NOTE_EXITSTATUS (data = the
 *			wait status)
 *	EVFILT_TIMER	a tick with NOTE_LEEWAY (the slop, in ext[1]) and a
 *			one-shot watchdog on the same ident, two knotes told
 *			apart by udata (EV_UDATA_SPECIFIC)
 *
 * It checks that every client exited 0 (as waitpid() says too), every byte
 * was echoed, every tick came back with its ext[1] and never early, and the
 * number of ticks fits the time that passed.  It ends with a "done: ..."
 * line and exits 0 only if nothing failed.  Nothing here is Linux's.
 */
#include <sys/types.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCLIENTS	3
#define NLINES		4
#define LINE_PAUSE_MS	100	/* between lines: lets the timer tick */
#define TIMER_ID	1	/* both timers: udata keeps them apart */
#define TICK_MS		100	/* milliseconds, the default unit */
#define LEEWAY_MS	25	/* NOTE_LEEWAY: ext[1], in the timer's unit */
#define WATCHDOG_MS	15000	/* give up after this long */
#define HARD_LIMIT_S	20	/* SIGALRM kills us if the loop wedges */
#define NEVENTS		16

/* What udata points at: each knote's own state. */
enum kind { LISTENER, CONNECTION, CLIENT, TICK, WATCHDOG };
struct source {
	enum kind	kind;
	int		fd;	/* LISTENER, CONNECTION */
	pid_t		pid;	/* CLIENT */
};

#define COOKIE(p)	((uint64_t)(uintptr_t)(p))
#define SOURCE(u)	((struct source *)(uintptr_t)(u))

static struct source	listener = { LISTENER, -1, 0 };
static struct source	tick = { TICK, -1, 0 };
static struct source	watchdog = { WATCHDOG, -1, 0 };

static int		kq;
static in_port_t	port;
static struct timespec	start;		/* just before the timers were added */
static int		conns, clients_left, served, failures;
static int64_t		ticks;
static size_t		echoed;

static int64_t
ms_since_start(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((int64_t)(now.tv_sec - start.tv_sec) * 1000 +
	    (now.tv_nsec - start.tv_nsec) / 1000000);
}

/* Apply changes: with KEVENT_FLAG_ERROR_EVENTS only the failed ones return. */
static void
apply(const struct kevent64_s *chg, int n)
{
	struct kevent64_s errs[NEVENTS];
	int nerr;

	nerr = kevent64(kq, chg, n, errs, NEVENTS, KEVENT_FLAG_ERROR_EVENTS,
	    NULL);
	if (nerr == -1)
		err(1, "kevent64 (changes)");
	if (nerr > 0) {		/* data is the error number */
		errno = (int)errs[0].data;
		err(1, "kevent64: filter %d ident %ju", errs[0].filter,
		    (uintmax_t)errs[0].ident);
	}
}

static size_t
make_line(char *buf, size_t size, int client, int line)
{
	return ((size_t)snprintf(buf, size, "client %d line %d\n", client,
	    line));
}

/* A client process: its exit status is its verdict. */
static int
client(int id)
{
	struct sockaddr_in sin;
	struct timespec gap = { 0, LINE_PAUSE_MS * 1000000L };
	char line[64], echo[64];
	size_t len, got;
	ssize_t n;
	int fd, i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		warn("client %d: connect", id);
		return (1);
	}
	for (i = 0; i < NLINES; i++) {
		len = make_line(line, sizeof(line), id, i);
		if (write(fd, line, len) != (ssize_t)len) {
			warn("client %d: write", id);
			return (1);
		}
		/* TCP may split the echo: read until the whole line is back. */
		for (got = 0; got < len; got += (size_t)n) {
			if ((n = read(fd, echo + got, len - got)) <= 0) {
				warnx("client %d: no echo", id);
				return (1);
			}
		}
		if (memcmp(line, echo, len) != 0) {
			warnx("client %d: bad echo", id);
			return (1);
		}
		nanosleep(&gap, NULL);
	}
	close(fd);
	return (0);
}

static int
listen_loopback(void)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, NCLIENTS) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "listen on 127.0.0.1");
	/* Non-blocking, so that accepting "data" connections never blocks. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(1, "fcntl");
	port = sin.sin_port;
	return (fd);
}

static void
on_listener(const struct kevent64_s *ev)
{
	struct kevent64_s chg;
	struct source *c;
	int64_t n;
	int fd;

	printf("READ listener: %jd pending\n", (intmax_t)ev->data);
	for (n = ev->data; n > 0; n--) {
		if ((fd = accept(listener.fd, NULL, NULL)) == -1) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			err(1, "accept");
		}
		if ((c = malloc(sizeof(*c))) == NULL)
			err(1, "malloc");
		*c = (struct source){ CONNECTION, fd, 0 };
		EV_SET64(&chg, fd, EVFILT_READ, EV_ADD, 0, 0, COOKIE(c), 0, 0);
		apply(&chg, 1);
		conns++;
		printf("  accepted fd=%d\n", fd);
	}
}

/* Echo what is readable; at EOF with nothing left, close (and forget). */
static void
on_connection(const struct kevent64_s *ev, struct source *c)
{
	char buf[512];
	ssize_t n, off, w;

	if (ev->data > 0) {
		if ((n = read(c->fd, buf, sizeof(buf))) == -1)
			err(1, "read fd=%d", c->fd);
		for (off = 0; off < n; off += w)
			if ((w = write(c->fd, buf + off, (size_t)(n - off))) == -1)
				err(1, "write fd=%d", c->fd);
		echoed += (size_t)n;
		printf("READ fd=%d: echoed %zd bytes\n", c->fd, n);
	} else if ((ev->flags & EV_EOF) != 0) {
		printf("EOF fd=%d: client closed\n", c->fd);
		close(c->fd);		/* removes its knote */
		free(c);
		conns--;
		served++;
	}
}

static void
on_client(const struct kevent64_s *ev, struct source *c)
{
	int status;

	printf("PROC pid=%d: exited, status %#jx\n", (int)c->pid,
	    (uintmax_t)ev->data);
	if (waitpid(c->pid, &status, 0) == -1)
		err(1, "waitpid %d", (int)c->pid);
	if ((ev->fflags & NOTE_EXITSTATUS) == 0 || ev->data != status) {
		warnx("pid %d: kevent64 said status %#jx, waitpid %#x",
		    (int)c->pid, (uintmax_t)ev->data, status);
		failures++;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		warnx("pid %d: the client failed", (int)c->pid);
		failures++;
	}
	free(c);
	clients_left--;
}

static void
on_tick(const struct kevent64_s *ev)
{
	int64_t ms = ms_since_start();

	ticks += ev->data;
	printf("TIMER tick: data=%jd (%jd in all) at %jd ms, ext[1]=%ju\n",
	    (intmax_t)ev->data, (intmax_t)ticks, (intmax_t)ms,
	    (uintmax_t)ev->ext[1]);
	if (ev->ext[1] != LEEWAY_MS) {
		warnx("tick: ext[1] is %ju, not %d", (uintmax_t)ev->ext[1],
		    LEEWAY_MS);
		failures++;
	}
	if (ticks * TICK_MS > ms) {
		warnx("tick: %jd ticks after only %jd ms", (intmax_t)ticks,
		    (intmax_t)ms);
		failures++;
	}
}

static void
dispatch(const struct kevent64_s *ev)
{
	struct source *s = SOURCE(ev->udata);

	if ((ev->flags & EV_ERROR) != 0) {
		errno = (int)ev->data;
		err(1, "event error, filter %d", ev->filter);
	}
	switch (s->kind) {
	case LISTENER:		on_listener(ev);		break;
	case CONNECTION:	on_connection(ev, s);		break;
	case CLIENT:		on_client(ev, s);		break;
	case TICK:		on_tick(ev);			break;
	case WATCHDOG:
		errx(1, "watchdog: still running after %d ms", WATCHDOG_MS);
	}
}

int
main(void)
{
	struct kevent64_s chg[3], ev[NEVENTS];
	struct source *c;
	size_t expected = 0;
	int64_t ms, lo, hi;
	char line[64];
	pid_t pid;
	int i, n;

	alarm(HARD_LIMIT_S);		/* a wedged kevent64() must not hang */
	signal(SIGPIPE, SIG_IGN);	/* a vanished peer is an error, not death */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((kq = kqueue()) == -1)
		err(1, "kqueue");
	listener.fd = listen_loopback();
	printf("listening on 127.0.0.1:%u, kq=%d\n", (unsigned)ntohs(port), kq);

	/* The clients, each watched until it exits. */
	for (i = 0; i < NCLIENTS; i++) {
		for (n = 0; n < NLINES; n++)
			expected += make_line(line, sizeof(line), i, n);
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			close(listener.fd);
			_exit(client(i));
		}
		if ((c = malloc(sizeof(*c))) == NULL)
			err(1, "malloc");
		*c = (struct source){ CLIENT, -1, pid };
		EV_SET64(&chg[0], pid, EVFILT_PROC, EV_ADD,
		    NOTE_EXIT | NOTE_EXITSTATUS, 0, COOKIE(c), 0, 0);
		apply(chg, 1);
		clients_left++;
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	EV_SET64(&chg[0], listener.fd, EVFILT_READ, EV_ADD, 0, 0,
	    COOKIE(&listener), 0, 0);
	/* Every TICK_MS, no earlier and at most LEEWAY_MS later. */
	EV_SET64(&chg[1], TIMER_ID, EVFILT_TIMER, EV_ADD | EV_UDATA_SPECIFIC,
	    NOTE_LEEWAY, TICK_MS, COOKIE(&tick), 0, LEEWAY_MS);
	/* The same ident again: another knote, as its udata differs. */
	EV_SET64(&chg[2], TIMER_ID, EVFILT_TIMER,
	    EV_ADD | EV_ONESHOT | EV_UDATA_SPECIFIC, 0, WATCHDOG_MS,
	    COOKIE(&watchdog), 0, 0);
	apply(chg, 3);

	while (clients_left > 0 || conns > 0) {
		n = kevent64(kq, NULL, 0, ev, NEVENTS, KEVENT_FLAG_NONE, NULL);
		if (n == -1 && errno != EINTR)
			err(1, "kevent64 (wait)");
		for (i = 0; i < n; i++)
			dispatch(&ev[i]);
	}
	/* Ticks that have come due meanwhile: a poll, not a wait. */
	n = kevent64(kq, NULL, 0, ev, NEVENTS, KEVENT_FLAG_IMMEDIATE, NULL);
	if (n == -1)
		err(1, "kevent64 (poll)");
	for (i = 0; i < n; i++)
		dispatch(&ev[i]);
	ms = ms_since_start();

	/* Delete both timers, each named by its udata. */
	EV_SET64(&chg[0], TIMER_ID, EVFILT_TIMER, EV_DELETE | EV_UDATA_SPECIFIC,
	    0, 0, COOKIE(&tick), 0, 0);
	EV_SET64(&chg[1], TIMER_ID, EVFILT_TIMER, EV_DELETE | EV_UDATA_SPECIFIC,
	    0, 0, COOKIE(&watchdog), 0, 0);
	apply(chg, 2);
	close(listener.fd);
	close(kq);

	/* Never early; late by the leeway at most, give or take one tick. */
	hi = ms / TICK_MS;
	lo = (ms - LEEWAY_MS) / TICK_MS - 1;
	printf("timer: %jd ticks in %jd ms (expected %jd to %jd)\n",
	    (intmax_t)ticks, (intmax_t)ms, (intmax_t)lo, (intmax_t)hi);
	if (ticks < lo || ticks > hi) {
		warnx("%jd ticks in %jd ms", (intmax_t)ticks, (intmax_t)ms);
		failures++;
	}
	printf("echo: %zu bytes echoed (expected %zu)\n", echoed, expected);
	if (echoed != expected || served != NCLIENTS) {
		warnx("%zu bytes echoed on %d connections", echoed, served);
		failures++;
	}

	printf("done: %d connections served, %jd timer ticks, %d failures\n",
	    served, (intmax_t)ticks, failures);
	return (failures == 0 ? 0 : 1);
}
