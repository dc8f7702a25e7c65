// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the descriptors a process fuzzes with.  The table of what each
 * one is (adopted when made, forgotten when closed, classified when
 * received or inherited) and the creators of every kind (new_*).
 */
#include "kq-fuzz.h"

/* ---- the descriptor table ----------------------------------------------- */

/* What each descriptor below FD_MAX is, as far as this process knows. */
static _Atomic unsigned char fdk[FD_MAX];
_Atomic int recent[16];		/* just closed */
static _Atomic unsigned recent_pos;

int adopt(int fd, enum kind k)
{
	if (fd < 0)
		return -1;
	if (fd < 3 || fd >= FD_MAX) {
		if (fd >= FD_MAX && fd != STATS_FD)
			close(fd);
		return -1;
	}
	atomic_store(&fdk[fd], k);
	return fd;
}

void forget(int fd)
{
	if (fd < 3 || fd >= FD_MAX)
		return;
	atomic_store(&fdk[fd], K_FREE);
	atomic_store(&recent[atomic_fetch_add(&recent_pos, 1) % 16], fd);
}

enum kind kind_of(int fd)
{
	return fd >= 0 && fd < FD_MAX ? atomic_load(&fdk[fd]) : K_FREE;
}

/* A live descriptor whose kind is in mask (any kind when mask is 0), or -1. */
int pick_fd(unsigned mask)
{
	int start = below(FD_MAX), i;

	for (i = 0; i < FD_MAX; i++) {
		int fd = (start + i) % FD_MAX;
		unsigned k = atomic_load(&fdk[fd]);

		if (k != K_FREE && (!mask || (mask & KM(k))))
			return fd;
	}
	return -1;
}

static int live_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < FD_MAX; fd++)
		n += atomic_load(&fdk[fd]) != K_FREE;
	return n;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* What a descriptor we did not open ourselves is (received, inherited). */
enum kind classify(int fd)
{
	char path[64], link[256] = "";
	int fl = fcntl(fd, F_GETFL), v;
	socklen_t len = sizeof(v);
	struct stat sb;
	ssize_t n;

	if (fl < 0 || fstat(fd, &sb))
		return K_FREE;
	if (fl & O_PATH)
		return K_PATH;
	if (S_ISREG(sb.st_mode))
		return K_FILE;
	if (S_ISDIR(sb.st_mode))
		return K_DIR;
	if (S_ISFIFO(sb.st_mode))
		return (fl & O_ACCMODE) == O_WRONLY ? K_PIPE_W : K_PIPE_R;
	if (S_ISSOCK(sb.st_mode)) {
		if (!getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) && v)
			return K_LISTEN;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) && v == AF_UNIX)
			return K_UNIX;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) && v == SOCK_STREAM)
			return K_TCP;
		return K_UDP;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	/* a KQUEUE_CPONFORK copy is an anonymous inode */
	if (!strcmp(link, "/dev/kqueue") || !strcmp(link, "anon_inode:[kqueue]")) {
		struct kq_kevent_args a = { .size = sizeof(a), .record_size = KQ_RECORD_KEVENT };

		return ioctl(fd, KQ_IOC_KEVENT, &a) ? K_KQ_FOREIGN : K_KQ;
	}
	if (!strcmp(link, "/dev/ptmx") || has_prefix(link, "/dev/pts/"))
		return K_PTY;
	if (strstr(link, "eventpoll"))
		return K_EPOLL;
	if (strstr(link, "eventfd"))
		return K_EVENTFD;
	if (strstr(link, "timerfd"))
		return K_TIMERFD;
	if (strstr(link, "signalfd"))
		return K_SIGNALFD;
	if (strstr(link, "pidfd"))
		return K_PIDFD;
	return K_OTHER;
}

/* After fork: the kqueues are the parent's, but KQUEUE_CPONFORK's copies. */
void disown_kqueues(void)
{
	int fd;

	for (fd = 0; fd < FD_MAX; fd++)
		if (atomic_load(&fdk[fd]) == K_KQ)
			atomic_store(&fdk[fd], classify(fd) == K_KQ ? K_KQ : K_KQ_FOREIGN);
}

/* After exec: learn the inherited descriptors. */
void classify_all(void)
{
	int fd;

	for (fd = 3; fd < FD_MAX; fd++)
		atomic_store(&fdk[fd], fcntl(fd, F_GETFD) < 0 ? K_FREE : classify(fd));
}

/* ---- descriptor creation ------------------------------------------------ */

char *fs_path(char *buf, size_t len)
{
	static const char *const sub[] = { "a", "a", "b", "m", "a/d0", "b/d1" };
	static const char *const name[] = { "f0", "f1", "f2", "f3", "d0", "d1",
					    "p0", "l0" };

	snprintf(buf, len, "%s/%s/%s", P.dir, PICK(sub), PICK(name));
	return buf;
}

int new_kqueue(void)
{
	int fd;

	switch (below(4)) {
	case 0:
		fd = kqueue();
		break;
	case 1:
		fd = kqueue1((chance(30) ? O_CLOEXEC : 0) | (chance(30) ? O_NONBLOCK : 0));
		break;
	case 2:
		fd = kqueuex((chance(50) ? KQUEUE_CLOEXEC : 0) |
			     (chance(30) ? KQUEUE_CPONFORK : 0));
		break;
	default:
		fd = open("/dev/kqueue", PICK(((const int[]){ O_RDWR, O_RDONLY, O_WRONLY })) |
			  (chance(30) ? O_CLOEXEC : 0));
	}
	return adopt(note(OP_NEW_KQUEUE, fd), K_KQ);
}

static int new_pipe(void)
{
	int p[2], fl = O_NONBLOCK | (chance(20) ? O_CLOEXEC : 0) | (chance(10) ? O_DIRECT : 0);

	if (note(OP_NEW_PIPE, pipe2(p, fl)))
		return -1;
	if (chance(20))
		fcntl(p[1], F_SETPIPE_SZ, PG << below(4));
	adopt(p[1], K_PIPE_W);
	return adopt(p[0], K_PIPE_R);
}

static int new_fifo(void)
{
	char path[PATH_MAX];
	int r, w;

	snprintf(path, sizeof(path), "%s/%s/p0", P.dir, chance(50) ? "a" : "b");
	mkfifo(path, 0600);
	r = adopt(note(OP_NEW_FIFO, open(path, (chance(70) ? O_RDONLY : O_RDWR) | O_NONBLOCK)),
		  K_PIPE_R);
	w = open(path, O_WRONLY | O_NONBLOCK);
	adopt(w, K_PIPE_W);
	return r;
}

static int new_socketpair(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int sv[2];

	if (note(OP_NEW_SOCKETPAIR, socketpair(AF_UNIX, PICK(types) | SOCK_NONBLOCK |
					       (chance(20) ? SOCK_CLOEXEC : 0), 0, sv)))
		return -1;
	adopt(sv[1], K_UNIX);
	return adopt(sv[0], K_UNIX);
}

static int loopback_socket(int type, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    getsockname(fd, (struct sockaddr *)sin, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A listener, a client connected to it and the accepted end. */
static int new_tcp(void)
{
	struct sockaddr_in sin;
	int l = loopback_socket(SOCK_STREAM, &sin), c, a;

	if (note(OP_NEW_TCP, l) < 0)
		return -1;
	l = adopt(l, K_LISTEN);
	if (l < 0 || listen(l, 4))
		return -1;
	c = adopt(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), K_TCP);
	if (c >= 0)
		connect(c, (struct sockaddr *)&sin, sizeof(sin));
	a = adopt(accept4(l, NULL, NULL, SOCK_NONBLOCK), K_TCP);
	if (chance(50)) {
		close(l);
		forget(l);
	}
	return a >= 0 ? a : c;
}

/* A UDP socket connected to itself. */
static int new_udp(void)
{
	struct sockaddr_in sin;
	int fd = loopback_socket(SOCK_DGRAM, &sin);

	if (note(OP_NEW_UDP, fd) < 0)
		return -1;
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	return adopt(fd, K_UDP);
}

static int new_eventfd(void)
{
	return adopt(note(OP_NEW_EVENTFD, eventfd(below(3), EFD_NONBLOCK |
				(chance(30) ? EFD_SEMAPHORE : 0))), K_EVENTFD);
}

void arm_timerfd(int fd)
{
	struct itimerspec its = {
		.it_value = { .tv_nsec = (1 + below(20)) * 1000000 },
		.it_interval = { .tv_nsec = chance(50) ? (1 + below(10)) * 1000000 : 0 },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static int new_timerfd(void)
{
	int fd = timerfd_create(chance(50) ? CLOCK_MONOTONIC : CLOCK_REALTIME, TFD_NONBLOCK);

	if (note(OP_NEW_TIMERFD, fd) >= 0)
		arm_timerfd(fd);
	return adopt(fd, K_TIMERFD);
}

static int new_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, random_harmless());
	sigaddset(&set, SIGUSR1);
	return adopt(note(OP_NEW_SIGNALFD, signalfd(-1, &set, SFD_NONBLOCK)), K_SIGNALFD);
}

unsigned random_epoll_events(void)
{
	static const unsigned bits[] = { EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
					 EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE,
					 EPOLLERR, EPOLLHUP, EPOLLRDNORM };
	unsigned ev = 0, i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (chance(30))
			ev |= bits[i];
	return ev;
}

static int new_epoll(void)
{
	int ep = adopt(note(OP_NEW_EPOLL, epoll_create1(chance(30) ? EPOLL_CLOEXEC : 0)),
		       K_EPOLL);
	int i;

	for (i = 0; ep >= 0 && i < (int)below(4); i++) {
		struct epoll_event e = { .events = random_epoll_events(), .data.u64 = rnd() };
		int fd = pick_fd(chance(50) ? K_KQS : 0);

		if (fd >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	}
	return ep;
}
static int new_pidfd(void)
{
	pid_t pid;

	switch (below(6)) {
	case 0:
		pid = getpid();
		break;
	case 1:		/* the parent is a fuzz process too below the worker */
		pid = P.depth ? getppid() : getpid();
		break;
	case 2:
		pid = recently_reaped();
		break;
	default:
		pid = random_kid();
	}
	if (pid <= 0)
		pid = getpid();
	return adopt(note(OP_NEW_PIDFD, syscall(SYS_pidfd_open, pid,
						chance(20) ? O_NONBLOCK : 0)), K_PIDFD);
}

static int new_memfd(void)
{
	int fd = memfd_create("kq-fuzz", chance(30) ? MFD_CLOEXEC : 0);

	if (note(OP_NEW_MEMFD, fd) >= 0 && ftruncate(fd, below(3 * PG)))
		(void)0;
	return adopt(fd, K_FILE);
}

static int new_pty(void)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK), unlock = 0;

	if (note(OP_NEW_PTY, m) < 0)
		return -1;
	ioctl(m, TIOCSPTLCK, &unlock);
	adopt(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK), K_PTY);
	return adopt(m, K_PTY);
}

static int new_file(void)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	char path[PATH_MAX];
	int fl = PICK(acc) | O_NONBLOCK | O_NOCTTY, fd;

	if (chance(70))
		fl |= O_CREAT;
	if (chance(20))
		fl |= O_APPEND;
	if (chance(5))
		fl |= O_TRUNC;
	if (chance(20))
		fl |= O_CLOEXEC;
	fd = note(OP_NEW_FILE, open(fs_path(path, sizeof(path)), fl, 0644));
	return fd < 0 ? -1 : adopt(fd, classify(fd));
}

static int new_dir(void)
{
	char path[PATH_MAX];

	if (chance(30))
		snprintf(path, sizeof(path), "%s/%s", P.dir, chance(50) ? "a" : "m");
	else
		fs_path(path, sizeof(path));
	return adopt(note(OP_NEW_DIR, open(path, O_RDONLY | O_DIRECTORY |
					   (chance(20) ? O_CLOEXEC : 0))), K_DIR);
}

static int new_path(void)
{
	char path[PATH_MAX];

	return adopt(note(OP_NEW_PATH, open(fs_path(path, sizeof(path)),
					    O_PATH | (chance(50) ? O_NOFOLLOW : 0))), K_PATH);
}

static int (*const creators[])(void) = {
	new_kqueue, new_kqueue, new_kqueue, new_pipe, new_pipe, new_fifo,
	new_socketpair, new_socketpair, new_tcp, new_udp, new_eventfd,
	new_timerfd, new_signalfd, new_epoll, new_pidfd, new_memfd, new_pty,
	new_file, new_file, new_dir, new_path,
};

/* One descriptor of a random kind (op_reuse: a new file under a closed number). */
void new_any(void)
{
	PICK(creators)();
}

/* A full table only closes. */
bool table_full(void)
{
	return live_fds() > FD_MAX - 40;
}

#define NEW_OP(fn)	void op_##fn(void) { if (!table_full()) fn(); }
NEW_OP(new_kqueue) NEW_OP(new_pipe) NEW_OP(new_fifo) NEW_OP(new_socketpair)
NEW_OP(new_tcp) NEW_OP(new_udp) NEW_OP(new_eventfd) NEW_OP(new_timerfd)
NEW_OP(new_signalfd) NEW_OP(new_epoll) NEW_OP(new_pidfd) NEW_OP(new_memfd)
NEW_OP(new_pty) NEW_OP(new_file) NEW_OP(new_dir) NEW_OP(new_path)
