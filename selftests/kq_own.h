/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for kq_fork.c, kq_passing.c, kq_kfilter.c, kq_limits.c,
 * kq_hostile.c and kq_unload.c (prefix own_ / OWN_).  Include after
 * kq_util.h.
 *
 * Children (fork, clone) never run the harness's ASSERT_* (they would
 * longjmp inside the child): they check with CK()/CK_ERR(), which print
 * the failed condition with its line to stderr (the TAP log) and _exit(1).
 * Every child arms alarm() so that nothing outlives a hung test, and the
 * parent waits for it with a bound (OWN_WAIT_CHILD).
 */
#ifndef KQ_OWN_H
#define KQ_OWN_H

#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* A child left behind dies after this many seconds. */
#define OWN_CHILD_ALARM	60
/* How long the parent waits for a child (ms). */
#define OWN_CHILD_MS	30000

#define OWN_PARAM_DIR	"/sys/module/kqueue/parameters/"

/* ------------------------------------------------------------------ */
/* Checks inside a child.                                              */

#define CK(cond) do {							\
	if (!(cond)) {							\
		int __e = errno;					\
		fprintf(stderr, "# child %d: line %d: check failed: %s "\
			"(errno %d %s)\n", (int)getpid(), __LINE__,	\
			#cond, __e, strerror(__e));			\
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

/* expr must fail with -1 and errno err. */
#define CK_ERR(expr, err) do {						\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	if (__r != -1 || errno != (err)) {				\
		int __e = errno;					\
		fprintf(stderr, "# child %d: line %d: %s = %ld errno %d "\
			"(%s), want -1 errno %d (%s)\n", (int)getpid(),	\
			__LINE__, #expr, __r, __e, strerror(__e), (err),\
			strerror(err));					\
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

static const struct timespec own_zero_ts;

/* kevent() calls as a child makes them. */
static inline int own_change(int kq, uintptr_t ident, short filter,
			     unsigned short flags, unsigned int fflags,
			     intptr_t data, void *udata)
{
	return kq_change(kq, ident, filter, flags, fflags, data, udata);
}

static inline int own_poll0(int kq, struct kevent *evs, int n)
{
	return kevent(kq, NULL, 0, evs, n, &own_zero_ts);
}

/* ------------------------------------------------------------------ */
/* Waiting for children.                                               */

/* Wait for pid at most ms; 0 and *status, or -1 (then it is killed). */
static inline int own_wait_child(pid_t pid, int *status, long ms)
{
	long long deadline = kq_now_ms() + ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG | __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (kq_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, __WALL);
			return -1;
		}
		usleep(5000);
	}
}

/* The child must exit with status 0 within OWN_CHILD_MS. */
#define OWN_WAIT_CHILD(pid) do {					\
	int __st = 0;							\
	int __w = own_wait_child((pid), &__st, OWN_CHILD_MS);		\
	if (__w)							\
		TH_LOG("child %d did not exit in %d ms (killed)",	\
		       (int)(pid), OWN_CHILD_MS);			\
	ASSERT_EQ(0, __w);						\
	if (!WIFEXITED(__st) || WEXITSTATUS(__st) != 0)			\
		TH_LOG("child %d: wait status 0x%x (%s %d)", (int)(pid),\
		       __st, WIFEXITED(__st) ? "exit" : "signal",	\
		       WIFEXITED(__st) ? WEXITSTATUS(__st) :		\
		       WTERMSIG(__st));					\
	ASSERT_TRUE(WIFEXITED(__st));					\
	ASSERT_EQ(0, WEXITSTATUS(__st));				\
} while (0)

/* ------------------------------------------------------------------ */
/* Pipes as one-byte gates.                                            */

static inline int own_send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Read one byte within ms: the byte, or -1. */
static inline int own_recv_byte(int fd, long ms)
{
	unsigned char c;

	if (!(wait_poll(fd, POLLIN, ms) & (POLLIN | POLLHUP)))
		return -1;
	if (read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* ------------------------------------------------------------------ */
/* SCM_RIGHTS.                                                         */

static inline int own_send_fd(int sock, int fd)
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
static inline int own_recv_fd(int sock, long ms)
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

	if (!(wait_poll(sock, POLLIN, ms) & POLLIN))
		return -1;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Module parameters.                                                  */

/* Read /sys/module/kqueue/parameters/<name> as a number; 0 or -1. */
static inline int own_param_read(const char *name, long long *val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), OWN_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*val = strtoll(buf, NULL, 0);
	return 0;
}

static inline int own_param_write(const char *name, long long val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd, len;

	snprintf(path, sizeof(path), OWN_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%lld\n", val);
	n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -1;
}

/*
 * Wait up to ms until the counter parameter reads want; returns the last
 * value read (or -1 when it cannot be read).
 */
static inline long long own_param_wait(const char *name, long long want,
				       long ms)
{
	long long deadline = kq_now_ms() + ms, v = -1;

	for (;;) {
		if (own_param_read(name, &v))
			return -1;
		if (v == want || kq_now_ms() > deadline)
			return v;
		usleep(10000);
	}
}

/* ------------------------------------------------------------------ */
/* Privileges.                                                         */

#define OWN_NOBODY	65534

/* Become uid/gid 65534 with no supplementary groups; 0 or -1. */
static inline int own_drop_to_nobody(void)
{
	if (setgroups(0, NULL))
		return -1;
	if (setgid(OWN_NOBODY))
		return -1;
	if (setuid(OWN_NOBODY))
		return -1;
	return getuid() == OWN_NOBODY && geteuid() == OWN_NOBODY ? 0 : -1;
}

/* Unprivileged users of the isolation tests. */
#define OWN_USER_A	1000
#define OWN_USER_B	1001

/* Become uid/gid id (real, effective, saved), no groups; 0 or -1. */
static inline int own_become(unsigned int id)
{
	if (setgroups(0, NULL) || setresgid(id, id, id) ||
	    setresuid(id, id, id))
		return -1;
	return geteuid() == id && getegid() == id ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Raw KQ_IOC_KEVENT.                                                  */

static inline int own_raw_kevent(int kq, const void *changes, int nchanges,
				 void *events, int nevents,
				 const struct timespec *ts, unsigned int recsize)
{
	struct kq_kevent_args a = {
		.size = sizeof(a),
		.record_size = recsize,
		.changelist = (uint64_t)(uintptr_t)changes,
		.eventlist = (uint64_t)(uintptr_t)events,
		.nchanges = nchanges,
		.nevents = nevents,
		.timeout = (uint64_t)(uintptr_t)ts,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

/* Is errno one of the values BSD's kevent() may report? */
static inline int own_bsd_errno(int e)
{
	switch (e) {
	case EBADF: case EINVAL: case ENOENT: case ESRCH: case ENOMEM:
	case EFAULT: case EINTR: case EPIPE: case EACCES: case E2BIG:
		return 1;
	}
	return 0;
}

#endif /* KQ_OWN_H */
