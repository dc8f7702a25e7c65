// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the descriptor operations.  Close, dup, close_range, reuse of a
 * number, I/O that changes readiness, file system churn and mounts for
 * EVFILT_VNODE, kqueues and epolls nested, descriptors passed over unix
 * sockets.
 */
#include "kq-fuzz.h"

void op_close(void)
{
	int fd = pick_fd(chance(30) ? K_KQS : 0);

	if (fd >= 0 && note(OP_CLOSE, close(fd)) == 0)
		forget(fd);
}

void op_dup(void)
{
	int old = pick_fd(0), target = 3 + below(FD_MAX - 3), fd;
	enum kind k = kind_of(old);

	if (old < 0)
		return;
	if (chance(60)) {	/* onto something we have, often watched */
		int t = pick_fd(chance(50) ? K_KQS : 0);

		if (t >= 0)
			target = t;
	}
	switch (below(5)) {
	case 0:
		fd = dup(old);
		break;
	case 1:
		fd = dup2(old, target);
		break;
	case 2:
		fd = dup3(old, target, chance(50) ? O_CLOEXEC : 0);
		break;
	case 3:
		fd = fcntl(old, F_DUPFD_CLOEXEC, target);
		break;
	default:
		fd = fcntl(old, F_DUPFD, target);
	}
	if (note(OP_DUP, fd) >= 0)
		adopt(fd, k != K_FREE ? k : classify(fd));
}

void op_close_range(void)
{
	unsigned lo = 3 + below(FD_MAX - 3), hi = lo + below(chance(10) ? 64 : 4), fd;
	unsigned flags = chance(70) ? 0 : chance(70) || !ephemeral ? CLOSE_RANGE_CLOEXEC
								  : CLOSE_RANGE_UNSHARE;

	if (hi >= FD_MAX)
		hi = FD_MAX - 1;
	if (note(OP_CLOSE_RANGE, syscall(SYS_close_range, lo, hi, flags)) == 0 &&
	    !(flags & CLOSE_RANGE_CLOEXEC))
		for (fd = lo; fd <= hi; fd++)
			if (kind_of(fd) != K_FREE)
				forget(fd);
}

/* Close a number, open something else there, and point kevent at it. */
void op_reuse(void)
{
	int fd = pick_fd(0), kq = pick_kq(), nch = 1 + below(4), i;
	struct kevent chg[4], ev[8];
	struct timespec ts = { 0, 0 };

	if (fd < 0 || fd == kq)
		return;
	for (i = 0; i < nch; i++) {	/* a change on the old file first, maybe */
		gen_change(&chg[i]);
		if (chance(70))
			chg[i].ident = fd;
	}
	if (chance(50))
		kevent(kq, chg, nch, NULL, 0, &ts);
	close(fd);
	forget(fd);
	new_any();
	for (i = 0; i < nch; i++)
		if (chance(70))
			chg[i].ident = fd;
	note(OP_REUSE, kevent(kq, chg, nch, ev, below(9), &ts));
}

void op_cloexec(void)
{
	int fd = pick_fd(0);

	if (fd >= 0)
		note(OP_CLOEXEC, fcntl(fd, F_SETFD, chance(50) ? FD_CLOEXEC : 0));
}

/* ---- I/O that changes readiness ---------------------------------------- */

static long sock_io(int fd, char *buf, size_t len, enum kind k)
{
	int v;

	switch (below(8)) {
	case 0: case 1: case 2:
		return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case 3: case 4:
		return recv(fd, buf, len, MSG_DONTWAIT);
	case 5:
		return shutdown(fd, PICK(((const int[]){ SHUT_RD, SHUT_WR, SHUT_RDWR })));
	case 6:
		if (k == K_TCP)
			return send(fd, buf, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
		return recv(fd, buf, len, MSG_DONTWAIT | MSG_PEEK);
	default:
		v = below(3) ? (int)below(8192) : 1 + (int)below(1 << 20);
		return setsockopt(fd, SOL_SOCKET, PICK(((const int[]){ SO_RCVLOWAT,
			SO_SNDLOWAT, SO_SNDBUF, SO_RCVBUF })), &v, sizeof(v));
	}
}

static long file_io(int fd, char *buf, size_t len)
{
	struct stat sb;

	switch (below(6)) {
	case 0:
		if (!fstat(fd, &sb) && sb.st_size > 64 * 1024)	/* tmpfs is RAM */
			return ftruncate(fd, 0);
		return write(fd, buf, len);
	case 1:
		return pwrite(fd, buf, len, below(16 * 1024));
	case 2:
		return ftruncate(fd, below(16 * 1024));
	case 3:
		return fchmod(fd, 0600 | (chance(50) ? 044 : 0));
	case 4:
		return lseek(fd, below(8192), SEEK_SET);
	default:
		return read(fd, buf, len);
	}
}

void op_io(void)
{
	char buf[8192];
	int fd = pick_fd(0), acc;
	size_t len = chance(80) ? 1 + below(512) : 1 + below(sizeof(buf));
	uint64_t one = 1;
	enum kind k = kind_of(fd);
	long rc;

	if (fd < 0)
		return;
	memset(buf, 'k', len);
	switch (k) {
	case K_PIPE_W:
		rc = write(fd, buf, len);
		break;
	case K_PIPE_R:
		acc = fcntl(fd, F_GETFL) & O_ACCMODE;
		rc = acc == O_RDWR && chance(50) ? write(fd, buf, len) : read(fd, buf, len);
		break;
	case K_UNIX: case K_TCP: case K_UDP:
		rc = sock_io(fd, buf, len, k);
		break;
	case K_LISTEN:
		rc = adopt(accept4(fd, NULL, NULL, SOCK_NONBLOCK), K_TCP);
		break;
	case K_EVENTFD:
		rc = chance(50) ? write(fd, &one, 8) : read(fd, &one, 8);
		break;
	case K_TIMERFD:
		if (chance(50))
			arm_timerfd(fd);
		rc = read(fd, &one, 8);
		break;
	case K_SIGNALFD:
		rc = read(fd, buf, sizeof(struct signalfd_siginfo));
		break;
	case K_PTY:
		rc = chance(50) ? write(fd, buf, len) : read(fd, buf, len);
		break;
	case K_FILE:
		rc = file_io(fd, buf, len);
		break;
	case K_EPOLL: {
		struct epoll_event ev[4];

		rc = epoll_wait(fd, ev, 4, 0);
		break;
	}
	case K_PIDFD:
		rc = syscall(SYS_pidfd_send_signal, fd, random_harmless(), NULL, 0);
		break;
	default:
		rc = read(fd, buf, len);
	}
	note(OP_IO, rc);
}

/* ---- file system churn (EVFILT_VNODE) ----------------------------------- */

static long fs_write(const char *p, int extra)
{
	char buf[512];
	struct stat sb;
	int fd = open(p, O_WRONLY | O_NONBLOCK | extra, 0644);
	long rc;

	if (fd < 0)
		return -1;
	memset(buf, 'v', sizeof(buf));
	rc = !fstat(fd, &sb) && sb.st_size > 64 * 1024 ? ftruncate(fd, 0)
						       : write(fd, buf, 1 + below(sizeof(buf)));
	close(fd);
	return rc;
}

static long fs_read(const char *p)
{
	char buf[256];
	int fd = open(p, O_RDONLY | O_NONBLOCK);
	long rc;

	if (fd < 0)
		return -1;
	rc = read(fd, buf, sizeof(buf));
	close(fd);
	return rc;
}

void op_fs(void)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	long rc;

	fs_path(p, sizeof(p));
	fs_path(q, sizeof(q));
	switch (below(15)) {
	case 0:  rc = fs_write(p, O_CREAT | (chance(20) ? O_TRUNC : 0)); break;
	case 1:  rc = fs_write(p, O_APPEND); break;
	case 2:  rc = truncate(p, below(8192)); break;
	case 3:  rc = rename(p, q); break;
	case 4:  rc = syscall(SYS_renameat2, AT_FDCWD, p, AT_FDCWD, q,
			      chance(50) ? RENAME_EXCHANGE : RENAME_NOREPLACE); break;
	case 5:  rc = link(p, q); break;
	case 6:  rc = unlink(p); break;
	case 7:  rc = mkdir(p, 0755); break;
	case 8:  rc = rmdir(p); break;
	case 9:  rc = chmod(p, chance(50) ? 0644 : 0600); break;
	case 10: rc = utimensat(AT_FDCWD, p, times, 0); break;
	case 11: rc = symlink(p, q); break;
	case 12: rc = mkfifo(p, 0600); break;
	case 13: rc = fs_read(p); break;
	default: rc = fs_write(p, 0); break;
	}
	note(OP_FS, rc);
}

/* A tmpfs over m/, mounted and lazily unmounted under watched files. */
void op_mount(void)
{
	char m[PATH_MAX];

	if (!P.can_mount)
		return;
	snprintf(m, sizeof(m), "%s/m", P.dir);
	if (chance(50))
		note(OP_MOUNT, mount("kq-fuzz", m, "tmpfs", 0, "size=256k"));
	else
		note(OP_MOUNT, umount2(m, MNT_DETACH));
}

/* ---- aggregators, passing ----------------------------------------------- */

/*
 * A graph of kqueues (and epolls) watching each other: each new one watches
 * some of the others or is watched by them, cycles included (refused, also
 * through an epoll, whose own loop check does not see into a kqueue); an
 * EVFILT_USER trigger at the bottom, harvests at every level, then the
 * descriptors close in random order.
 */
void op_nest(void)
{
	struct kevent kev[2], ev[4];
	struct timespec ts = { 0, 0 };
	int fd[6], n = 2 + below(5), i, j;
	bool ep[6];

	if (table_full())
		return;
	for (i = 0; i < n; i++) {
		ep[i] = i > 0 && chance(25);
		fd[i] = ep[i] ? adopt(epoll_create1(0), K_EPOLL) : new_kqueue();
		if (fd[i] < 0) {
			n = i;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			struct epoll_event e = { .events = EPOLLIN | (chance(30) ? EPOLLET : 0) };

			if (i == j || !chance(j < i ? 70 : 20))	/* mostly downwards */
				continue;
			if (ep[i]) {
				epoll_ctl(fd[i], EPOLL_CTL_ADD, fd[j], &e);
				continue;
			}
			EV_SET(&kev[0], fd[j], EVFILT_READ, EV_ADD | (chance(20) ? EV_CLEAR : 0) |
			       (chance(10) ? EV_DISPATCH : 0), 0, 0, NULL);
			note(OP_NEST, kevent(fd[i], kev, 1, NULL, 0, &ts));
		}
	}
	if (n && !ep[0]) {
		EV_SET(&kev[0], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
		EV_SET(&kev[1], 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		kevent(fd[0], kev, 2, NULL, 0, &ts);
	}
	for (i = n - 1; i >= 0; i--) {
		struct epoll_event e[4];

		if (ep[i])
			epoll_wait(fd[i], e, 4, 0);
		else
			kevent(fd[i], NULL, 0, ev, 4, &ts);
	}
	for (i = 0; i < n; i++) {	/* close some, in random order */
		j = below(n);
		if (fd[j] >= 0 && chance(60)) {
			close(fd[j]);
			forget(fd[j]);
			fd[j] = -1;
		}
	}
}

void op_epoll_ctl(void)
{
	int ep = pick_fd(KM(K_EPOLL)), fd = pick_fd(chance(40) ? K_KQS | KM(K_EPOLL) : 0);
	struct epoll_event e = { .events = random_epoll_events(), .data.u64 = rnd() };
	struct epoll_event ev[4];

	if (ep < 0 || fd < 0)
		return;
	if (chance(30)) {
		note(OP_EPOLL_CTL, epoll_wait(ep, ev, 4, 0));
		return;
	}
	note(OP_EPOLL_CTL, epoll_ctl(ep, PICK(((const int[]){ EPOLL_CTL_ADD, EPOLL_CTL_ADD,
				    EPOLL_CTL_MOD, EPOLL_CTL_DEL })), fd, &e));
}

void op_scm_send(void)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'k';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
	int s = pick_fd(KM(K_UNIX)), n = 1 + below(8), fds[8], i;
	struct cmsghdr *cm;

	if (s < 0)
		return;
	for (i = 0; i < n; i++) {
		fds[i] = chance(10) ? s : pick_fd(chance(50) ? K_KQS : 0);
		if (fds[i] < 0)
			fds[i] = s;
	}
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	note(OP_SCM_SEND, sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL));
}

void op_scm_recv(void)
{
	union {
		char buf[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte[16];
	struct iovec iov = { .iov_base = byte, .iov_len = sizeof(byte) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
	int s = pick_fd(KM(K_UNIX));
	struct cmsghdr *cm;

	if (s < 0)
		return;
	/* a short control buffer: the kernel closes what does not fit */
	msg.msg_controllen = chance(20) ? CMSG_SPACE(sizeof(int)) : sizeof(u.buf);
	if (note(OP_SCM_RECV, recvmsg(s, &msg, MSG_DONTWAIT |
				      (chance(30) ? MSG_CMSG_CLOEXEC : 0))) < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int n, i, fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			count(&st->scm_fds);
			if (table_full() && fd >= 3 && fd < FD_MAX)
				close(fd);
			else
				adopt(fd, classify(fd));
		}
	}
}
