// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_VNODE: ident = an open file's or directory's fd, fflags = the
 * notes wanted, returned fflags = the notes seen, accumulated until
 * delivered.  No implied EV_CLEAR: without it FreeBSD keeps reporting the
 * same fflags, so these tests use EV_CLEAR (or EV_ONESHOT) wherever they
 * look past the first report.
 *
 * After FreeBSD tests/sys/kqueue/libkqueue/vnode.c (add, delete,
 * disable+enable, dispatch, NOTE_WRITE, NOTE_ATTRIB, NOTE_RENAME,
 * NOTE_DELETE, NOTE_DELETE of an open FIFO) and NetBSD
 * tests/kernel/kqueue/t_vnode.c (the 18 directory cases,
 * open_write_read_close, interest).  FreeBSD's NOTE_OPEN is 0x800 here.
 *
 * Everything happens in a fresh directory under /tmp (tmpfs in the VM).
 * fsnotify delivers synchronously, so the events of a system call are
 * queued when it returns; the waits are bounded anyway.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "kq_kevent.h"

#define ALL_NOTES	(NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | \
			 NOTE_LINK | NOTE_RENAME | NOTE_REVOKE)

static int rm_entry(const char *path, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	return close(fd);
}

/* Wait (bounded) for the one event on ident and return its fflags. */
#define GET_NOTES(kq, ident) __get_notes(_metadata, __LINE__, kq, ident)
static unsigned int __get_notes(struct __test_metadata *_metadata, int line,
				int kq, int ident)
{
	struct kevent evs[2];
	char b[160];
	int r;

	memset(evs, 0, sizeof(evs));
	r = kq_poll(kq, evs, 2, KQ_WAIT_MS);
	if (r != 1 || evs[0].ident != (uintptr_t)ident ||
	    evs[0].filter != EVFILT_VNODE ||
	    (evs[0].flags & (KQ_ACTION_FLAGS | EV_ERROR))) {
		TH_LOG("line %d: want one VNODE event on %d, kevent() = %d (%s)",
		       line, ident, r, r < 0 ? strerror(errno) : "");
		if (r >= 1)
			TH_LOG("  got %s", kq_kev_str(&evs[0], b, sizeof(b)));
		if (r >= 2)
			TH_LOG("  and %s", kq_kev_str(&evs[1], b, sizeof(b)));
	}
	ASSERT_EQ(1, r) {
		return 0;
	}
	ASSERT_EQ((uintptr_t)ident, evs[0].ident) {
		return 0;
	}
	ASSERT_EQ(EVFILT_VNODE, evs[0].filter) {
		return 0;
	}
	ASSERT_EQ(0, evs[0].flags & (KQ_ACTION_FLAGS | EV_ERROR)) {
		return 0;
	}
	return evs[0].fflags;
}

/* Assert fflags has every bit of want and none of deny. */
#define ASSERT_NOTES(got, want, deny) do {				\
	unsigned int __g = (got);					\
	if ((__g & (want)) != (unsigned int)(want) || (__g & (deny)))	\
		TH_LOG("fflags 0x%x: want 0x%x, must not have 0x%x",	\
		       __g, (unsigned int)(want), (unsigned int)(deny)); \
	ASSERT_EQ((unsigned int)(want), __g & (want));			\
	ASSERT_EQ(0u, __g & (deny));					\
} while (0)

/* ------------------------------------------------------------------ */
/* A watched regular file.                                              */

FIXTURE(vn) {
	char dir[64];
	char path[128];
	char path2[128];
	int fd;
	int kq;
};

FIXTURE_SETUP(vn)
{
	strcpy(self->dir, "/tmp/kq_vnode.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	snprintf(self->path2, sizeof(self->path2), "%s/f2", self->dir);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->fd);
	KQ_OPEN(self->kq);
}

FIXTURE_TEARDOWN(vn)
{
	close(self->kq);
	close(self->fd);
	rm_tree(self->dir);
}

/* An append through another descriptor. */
static ssize_t append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s));
	close(fd);
	return r;
}

TEST_F(vn, add_reports_nothing)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD, ALL_NOTES, 0,
		     NULL);
	KQ_CHECK_NONE(self->kq);
}

TEST_F(vn, delete)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB | NOTE_WRITE, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_DELETE, 0, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_EQ(5, append(self->path, "hello"));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->fd, EVFILT_VNODE, EV_DELETE, 0,
		      0, NULL);
}

/* FreeBSD test_kevent_vnode_note_write: an append is WRITE | EXTEND. */
TEST_F(vn, note_write_append)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_EXTEND, 0, (void *)0x17);
	ASSERT_EQ(6, append(self->path, "hello\n"));
	ASSERT_EQ(NOTE_WRITE | NOTE_EXTEND, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(6, append(self->path, "hello\n"));
	ASSERT_EQ(NOTE_WRITE | NOTE_EXTEND, GET_NOTES(self->kq, self->fd));
}

/*
 * FreeBSD's own form: only NOTE_WRITE asked for.  An appending write is
 * one hint, NOTE_WRITE|NOTE_EXTEND, and BSD posts the whole hint when any
 * asked-for bit is in it (libkqueue's test expects NOTE_EXTEND too).
 */
TEST_F(vn, note_write_oneshot)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_ONESHOT,
		     NOTE_WRITE, 0, NULL);
	ASSERT_EQ(6, append(self->path, "hello\n"));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_WRITE | NOTE_EXTEND,
		     ~(unsigned int)(NOTE_WRITE | NOTE_EXTEND));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, ENOENT, self->fd, EVFILT_VNODE, EV_DELETE, 0,
		      0, NULL);
}

/* Overwriting inside the file is a write but no extension. */
TEST_F(vn, note_write_overwrite_no_extend)
{
	ASSERT_EQ(10, pwrite(self->fd, "0123456789", 10, 0));
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_EXTEND, 0, NULL);
	ASSERT_EQ(5, pwrite(self->fd, "abcde", 5, 0));
	ASSERT_EQ(NOTE_WRITE, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(5, pwrite(self->fd, "abcde", 5, 8));
	ASSERT_EQ(NOTE_WRITE | NOTE_EXTEND, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/* Notes not asked for are not reported. */
TEST_F(vn, unrequested_notes_silent)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE | NOTE_RENAME, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0644));
	ASSERT_EQ(5, append(self->path, "hello"));
	KQ_CHECK_NONE(self->kq);
}

/* FreeBSD test_kevent_vnode_note_attrib: chmod, utimes, chown. */
TEST_F(vn, note_attrib)
{
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };

	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, chmod(self->path, 0604));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, utimensat(AT_FDCWD, self->path, ts, 0));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(0, fchown(self->fd, 1, 1));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/* Notes accumulate until delivered (EV_CLEAR resets them). */
TEST_F(vn, notes_accumulate)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB | NOTE_WRITE | NOTE_EXTEND | NOTE_LINK, 0,
		     NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	ASSERT_EQ(3, append(self->path, "abc"));
	ASSERT_EQ(0, link(self->path, self->path2));
	ASSERT_EQ(NOTE_ATTRIB | NOTE_WRITE | NOTE_EXTEND | NOTE_LINK,
		  GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/* FreeBSD test_kevent_vnode_note_rename. */
TEST_F(vn, note_rename)
{
	char sub[160], moved[192];

	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_RENAME, 0, NULL);
	ASSERT_EQ(0, rename(self->path, self->path2));
	ASSERT_EQ(NOTE_RENAME, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
	/* Into another directory. */
	snprintf(sub, sizeof(sub), "%s/sub", self->dir);
	snprintf(moved, sizeof(moved), "%s/g", sub);
	ASSERT_EQ(0, mkdir(sub, 0700));
	ASSERT_EQ(0, rename(self->path2, moved));
	ASSERT_EQ(NOTE_RENAME, GET_NOTES(self->kq, self->fd));
}

/* FreeBSD test_kevent_vnode_note_delete: unlink while the fd is open. */
TEST_F(vn, note_delete)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_ONESHOT,
		     NOTE_DELETE, 0, NULL);
	ASSERT_EQ(0, unlink(self->path));
	ASSERT_EQ(NOTE_DELETE, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/* Renaming another file over the watched one deletes it. */
TEST_F(vn, note_delete_rename_over)
{
	ASSERT_EQ(0, create_file(self->path2));
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE | NOTE_RENAME, 0, NULL);
	ASSERT_EQ(0, rename(self->path2, self->path));
	ASSERT_EQ(NOTE_DELETE, GET_NOTES(self->kq, self->fd));
}

/* FreeBSD test_kevent_vnode_note_delete_fifo: an open FIFO unlinked. */
TEST_F(vn, note_delete_fifo)
{
	char fifo[160];
	int ffd;

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->dir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	ffd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, ffd);
	KQ_CHANGE_OK(self->kq, ffd, EVFILT_VNODE, EV_ADD | EV_ONESHOT,
		     NOTE_DELETE, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, unlink(fifo));
	ASSERT_EQ(NOTE_DELETE, GET_NOTES(self->kq, ffd));
	close(ffd);
}

/* link() changes the link count: NOTE_LINK. */
TEST_F(vn, note_link)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_LINK | NOTE_DELETE, 0, NULL);
	ASSERT_EQ(0, link(self->path, self->path2));
	ASSERT_EQ(NOTE_LINK, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/*
 * Links made and removed before the owner looks: each link() is NOTE_LINK,
 * each unlink() NOTE_DELETE (FreeBSD's), however they are batched; not
 * NOTE_ATTRIB, which a change of mode is.
 */
TEST_F(vn, link_unlink_between_looks)
{
	char path3[160];

	snprintf(path3, sizeof(path3), "%s/f3", self->dir);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_LINK | NOTE_DELETE | NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, link(self->path, self->path2));
	ASSERT_EQ(0, link(self->path, path3));
	ASSERT_EQ(NOTE_LINK, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(0, unlink(path3));
	ASSERT_EQ(0, link(self->path, path3));
	ASSERT_EQ(NOTE_LINK | NOTE_DELETE, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(0, unlink(path3));
	ASSERT_EQ(0, unlink(self->path2));
	ASSERT_EQ(NOTE_DELETE, GET_NOTES(self->kq, self->fd));
	/* and a change of mode, twice: the link count did not move */
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/*
 * libkqueue's NOTE_TRUNCATE: the file got shorter (ftruncate(), or a write
 * then a shorter truncation before the owner looked); NOTE_EXTEND: longer.
 * Each comes with NOTE_WRITE, the hint it is part of (BSD posts a whole
 * hint when an asked-for bit is in it); writes that change no size are
 * NOTE_WRITE alone, not asked for here.
 */
TEST_F(vn, note_truncate)
{
	ASSERT_EQ(10, pwrite(self->fd, "0123456789", 10, 0));
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_TRUNCATE | NOTE_EXTEND, 0, NULL);
	ASSERT_EQ(0, ftruncate(self->fd, 4));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_TRUNCATE, NOTE_EXTEND);
	ASSERT_EQ(0, ftruncate(self->fd, 20));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_EXTEND, NOTE_TRUNCATE);
	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 30));
	ASSERT_EQ(0, ftruncate(self->fd, 2));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd),
		     NOTE_EXTEND | NOTE_TRUNCATE, 0);
	ASSERT_EQ(1, pwrite(self->fd, "y", 1, 0));
	ASSERT_EQ(1, pwrite(self->fd, "z", 1, 1));
	KQ_CHECK_NONE(self->kq);
}

/* Without EV_CLEAR: the first report. */
TEST_F(vn, level_first_report)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD, NOTE_ATTRIB, 0,
		     NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_ATTRIB, 0);
}

/*
 * EV_DISABLE and EV_ENABLE on an existing knote are modifications: as in
 * FreeBSD (kqueue_register, no f_touch for vnodes) their fflags replace
 * the mask, so these tests pass the mask along, as FreeBSD's vnode.c does.
 */

/* Disabled and enabled again before anything happened. */
TEST_F(vn, disable_enable_then_change)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD, NOTE_ATTRIB, 0,
		     NULL);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_DISABLE,
		     NOTE_ATTRIB, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ENABLE, NOTE_ATTRIB,
		     0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_ATTRIB, 0);
}

/* FreeBSD test_kevent_vnode_disable_and_enable (EV_ONESHOT there). */
TEST_F(vn, disable_and_enable)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_ONESHOT,
		     NOTE_ATTRIB, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_DISABLE,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ENABLE, NOTE_ATTRIB,
		     0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_ATTRIB, 0);
	/* Oneshot: gone. */
	KQ_CHANGE_ERR(self->kq, ENOENT, self->fd, EVFILT_VNODE, EV_DELETE, 0,
		      0, NULL);
}

/* EV_CLEAR: what happened while disabled is reported at EV_ENABLE. */
TEST_F(vn, disabled_notes_kept)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE,
		     EV_ADD | EV_CLEAR | EV_DISABLE, NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ENABLE, NOTE_ATTRIB,
		     0, NULL);
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	KQ_CHECK_NONE(self->kq);
}

/* A modification replaces the mask (and udata). */
TEST_F(vn, modify_replaces_mask)
{
	struct kevent ev;

	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, (void *)1);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE, 0, (void *)2);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, write(self->fd, "x", 1));
	KQ_WAIT_ONE(self->kq, &ev, self->fd, EVFILT_VNODE, KQ_WAIT_MS);
	ASSERT_NOTES(ev.fflags, NOTE_WRITE, NOTE_ATTRIB);
	EXPECT_EQ((void *)2, ev.udata);
}

/* FreeBSD test_kevent_vnode_dispatch. */
TEST_F(vn, dispatch)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_DISPATCH,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_ATTRIB, 0);
	/* Disabled automatically. */
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_DELETE, NOTE_ATTRIB,
		     0, NULL);
	KQ_CHECK_NONE(self->kq);
}

/* Two kqueues watching one file both see the change. */
TEST_F(vn, two_kqueues)
{
	int kq2;

	KQ_OPEN(kq2);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	KQ_CHANGE_OK(kq2, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(kq2, self->fd));
	close(kq2);
}

/* close(fd) removes the knote. */
TEST_F(vn, close_removes_knote)
{
	int fd = open(self->path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	KQ_CHANGE_OK(self->kq, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, fchmod(self->fd, 0640));
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_ERR(self->kq, EBADF, fd, EVFILT_VNODE, EV_DELETE, 0, 0,
		      NULL);
}

/* Not a vnode (socket, pipe, kqueue): EINVAL.  Closed fd: EBADF. */
TEST_F(vn, not_a_vnode)
{
	int p[2], sv[2], s, fd;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	KQ_CHANGE_ERR(self->kq, EINVAL, p[0], EVFILT_VNODE, EV_ADD,
		      NOTE_WRITE, 0, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, p[1], EVFILT_VNODE, EV_ADD,
		      NOTE_WRITE, 0, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, sv[0], EVFILT_VNODE, EV_ADD,
		      NOTE_WRITE, 0, NULL);
	KQ_CHANGE_ERR(self->kq, EINVAL, s, EVFILT_VNODE, EV_ADD, NOTE_WRITE,
		      0, NULL);
	fd = dup(self->fd);
	ASSERT_LE(0, fd);
	close(fd);
	KQ_CHANGE_ERR(self->kq, EBADF, fd, EVFILT_VNODE, EV_ADD, NOTE_WRITE,
		      0, NULL);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(s);
}

/*
 * NetBSD open_write_read_close: NOTE_OPEN, NOTE_WRITE (| NOTE_EXTEND when
 * the file grows), NOTE_CLOSE_WRITE, NOTE_READ, NOTE_CLOSE.
 */
TEST_F(vn, open_write_read_close)
{
	static const char data[] = "testfile";
	struct timespec zero = { 0, 0 };
	struct kevent ev;
	char buf[sizeof(data)];
	int fd;

	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_OPEN | NOTE_READ | NOTE_WRITE | NOTE_CLOSE |
		     NOTE_CLOSE_WRITE, 0, NULL);

	fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_OPEN, 0);

	ASSERT_EQ((ssize_t)sizeof(data), pwrite(fd, data, sizeof(data), 0));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_WRITE, 0);

	ASSERT_EQ((ssize_t)sizeof(data), pwrite(fd, data, sizeof(data), 0));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_WRITE, NOTE_EXTEND);

	close(fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_CLOSE_WRITE, NOTE_CLOSE);

	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_OPEN, 0);

	ASSERT_EQ((ssize_t)sizeof(buf), read(fd, buf, sizeof(buf)));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_READ, 0);

	close(fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_CLOSE, NOTE_CLOSE_WRITE);
	KQ_CHECK_NONE(self->kq);
}

/* The same with NetBSD's extension check on the growing writes. */
TEST_F(vn, write_extend_then_not)
{
	static const char data[] = "testfile";
	struct timespec zero = { 0, 0 };
	struct kevent ev;
	int fd;

	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_EXTEND, 0, NULL);
	fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(data), pwrite(fd, data, sizeof(data), 0));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_WRITE | NOTE_EXTEND, 0);
	ASSERT_EQ((ssize_t)sizeof(data), pwrite(fd, data, sizeof(data), 0));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_WRITE, NOTE_EXTEND);
	ASSERT_EQ(1, pwrite(fd, data, 1, sizeof(data)));
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, &ev, 1, &zero));
	ASSERT_NOTES(ev.fflags, NOTE_WRITE | NOTE_EXTEND, 0);
	close(fd);
}

/*
 * NetBSD interest: three knotes on one file through three descriptors
 * (OPEN, WRITE, CLOSE|CLOSE_WRITE); closing the WRITE one's descriptor
 * removes it, the others still work.
 */
TEST_F(vn, interest)
{
	static const char data[] = "testfile";
	struct timespec zero = { 0, 0 };
	struct kevent ev[3];
	int open_fd, write_fd, close_fd, fd;

	open_fd = self->fd;
	write_fd = dup(open_fd);
	close_fd = dup(open_fd);
	ASSERT_LE(0, write_fd);
	ASSERT_LE(0, close_fd);
	EV_SET(&ev[0], open_fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_OPEN,
	       0, NULL);
	EV_SET(&ev[1], write_fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_WRITE,
	       0, NULL);
	EV_SET(&ev[2], close_fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
	       NOTE_CLOSE | NOTE_CLOSE_WRITE, 0, NULL);
	ASSERT_EQ(0, kevent(self->kq, ev, 3, NULL, 0, NULL));
	ASSERT_EQ(0, close(write_fd));

	fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, ev, 3, &zero));
	ASSERT_EQ((uintptr_t)open_fd, ev[0].ident);
	ASSERT_NOTES(ev[0].fflags, NOTE_OPEN, 0);

	ASSERT_EQ((ssize_t)sizeof(data), pwrite(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, kevent(self->kq, NULL, 0, ev, 3, &zero));

	close(fd);
	ASSERT_EQ(1, kevent(self->kq, NULL, 0, ev, 3, &zero));
	ASSERT_EQ((uintptr_t)close_fd, ev[0].ident);
	ASSERT_NOTES(ev[0].fflags, NOTE_CLOSE_WRITE, NOTE_CLOSE);
	close(close_fd);
}

/*
 * One kqueue's knotes on one file share one fsnotify mark, whose events
 * its kevent() hands out: 1000 udata-specific EVFILT_VNODE knotes on one
 * descriptor and 1000 EVFILT_READ knotes on another, one write by another
 * process.  Each knote is reported once, with its own fflags or data; one
 * added after the write, before the kevent() that hands it out, is not.
 */
#define FANOUT_KNOTES	1000

static void fanout_check(struct __test_metadata *_metadata, int kq, int fd,
			 int rfd, int nvnode, intptr_t data)
{
	static struct kevent ev[2 * FANOUT_KNOTES + 8];
	static unsigned char seen[2 * FANOUT_KNOTES + 1];
	struct timespec zero = { 0, 0 };
	int n, i;
	long u;

	memset(seen, 0, sizeof(seen));
	n = kevent(kq, NULL, 0, ev, 2 * FANOUT_KNOTES + 8, &zero);
	ASSERT_EQ(nvnode + FANOUT_KNOTES, n);
	for (i = 0; i < n; i++) {
		u = (long)ev[i].udata;
		ASSERT_LE(1, u);
		ASSERT_GE(2 * FANOUT_KNOTES + 1, u);
		ASSERT_EQ(0, seen[u - 1]) TH_LOG("udata %ld twice", u);
		seen[u - 1] = 1;
		if (u > FANOUT_KNOTES && u <= 2 * FANOUT_KNOTES) {
			ASSERT_EQ(EVFILT_READ, ev[i].filter);
			ASSERT_EQ((uintptr_t)rfd, ev[i].ident);
			ASSERT_EQ(data, ev[i].data);
		} else {
			ASSERT_EQ(EVFILT_VNODE, ev[i].filter);
			ASSERT_EQ((uintptr_t)fd, ev[i].ident);
			ASSERT_EQ(NOTE_WRITE | NOTE_EXTEND, ev[i].fflags);
		}
	}
	KQ_CHECK_NONE(kq);
}

static void append_elsewhere(struct __test_metadata *_metadata,
			     const char *path, const char *s)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(append(path, s) == (ssize_t)strlen(s) ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

TEST_F(vn, fanout_one_mark)
{
	static struct kevent ev[2 * FANOUT_KNOTES];
	int rfd, i;

	rfd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rfd);
	for (i = 0; i < FANOUT_KNOTES; i++) {
		EV_SET(&ev[i], self->fd, EVFILT_VNODE,
		       EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, NOTE_WRITE, 0,
		       (void *)(long)(i + 1));
		EV_SET(&ev[FANOUT_KNOTES + i], rfd, EVFILT_READ,
		       EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, 0, 0,
		       (void *)(long)(FANOUT_KNOTES + i + 1));
	}
	ASSERT_EQ(0, kevent(self->kq, ev, 2 * FANOUT_KNOTES, NULL, 0, NULL));
	KQ_CHECK_NONE(self->kq);

	append_elsewhere(_metadata, self->path, "hello");
	/* registered after the write, before the kevent() that reports it */
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE,
		     EV_ADD | EV_CLEAR | EV_UDATA_SPECIFIC, NOTE_WRITE, 0,
		     (void *)(long)(2 * FANOUT_KNOTES + 1));
	fanout_check(_metadata, self->kq, self->fd, rfd, FANOUT_KNOTES, 5);

	/* and the next write reaches it too */
	append_elsewhere(_metadata, self->path, "world");
	fanout_check(_metadata, self->kq, self->fd, rfd, FANOUT_KNOTES + 1,
		     10);
	close(rfd);
}

/* ------------------------------------------------------------------ */
/* NOTE_REVOKE: the file system goes away.                              */

TEST_F(vn, revoke_on_unmount)
{
	char mnt[160], file[192];
	struct kevent ev;
	int fd;

	if (unshare(CLONE_NEWNS))
		SKIP(return, "unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP(return, "making / private: %s", strerror(errno));
	snprintf(mnt, sizeof(mnt), "%s/mnt", self->dir);
	snprintf(file, sizeof(file), "%s/file", mnt);
	ASSERT_EQ(0, mkdir(mnt, 0700));
	if (mount("kqtmp", mnt, "tmpfs", 0, "size=1m"))
		SKIP(return, "mount tmpfs: %s", strerror(errno));
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	KQ_CHANGE_OK(self->kq, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_REVOKE | NOTE_DELETE, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, umount2(mnt, MNT_DETACH));
	KQ_WAIT_ONE(self->kq, &ev, fd, EVFILT_VNODE, KQ_WAIT_MS);
	ASSERT_NOTES(ev.fflags, NOTE_REVOKE, 0);
	EXPECT_TRUE(ev.flags & EV_EOF);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Not bound by the inotify limits.                                     */

#define INOTIFY_WATCHES	"/proc/sys/fs/inotify/max_user_watches"
#define MANY_KNOTES	1000

FIXTURE(many) {
	char dir[64];
	char saved[32];
	int restore;
	int fds[MANY_KNOTES];
	int nfds;
};

FIXTURE_SETUP(many)
{
	strcpy(self->dir, "/tmp/kq_vnode_many.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->restore = 0;
	self->nfds = 0;
}

FIXTURE_TEARDOWN(many)
{
	int i, fd;

	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	if (self->restore) {
		fd = open(INOTIFY_WATCHES, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, self->saved, strlen(self->saved)) < 0)
				perror("restoring " INOTIFY_WATCHES);
			close(fd);
		}
	}
	rm_tree(self->dir);
}

TEST_F_TIMEOUT(many, beyond_inotify_max_user_watches, 180)
{
	struct rlimit rl = { MANY_KNOTES + 256, MANY_KNOTES + 256 };
	char path[128];
	struct kevent ev;
	ssize_t n;
	int fd, kq, i;

	fd = open(INOTIFY_WATCHES, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, INOTIFY_WATCHES ": %s", strerror(errno));
	memset(self->saved, 0, sizeof(self->saved));
	n = read(fd, self->saved, sizeof(self->saved) - 1);
	ASSERT_LT(0, n);
	if (pwrite(fd, "100\n", 4, 0) != 4) {
		close(fd);
		SKIP(return, INOTIFY_WATCHES " not writable: %s",
		     strerror(errno));
	}
	self->restore = 1;
	close(fd);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
		TH_LOG("setrlimit: %s", strerror(errno));

	KQ_OPEN(kq);
	for (i = 0; i < MANY_KNOTES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", self->dir, i);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		ASSERT_LE(0, fd) TH_LOG("file %d: %s", i, strerror(errno));
		self->fds[self->nfds++] = fd;
		KQ_CHANGE_OK(kq, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
			     NOTE_WRITE | NOTE_ATTRIB, 0, (void *)(long)i);
	}
	/* And they work: the first, one in the middle, the last. */
	for (i = 0; i < MANY_KNOTES; i += MANY_KNOTES / 2 - 1) {
		ASSERT_EQ(0, fchmod(self->fds[i], 0640));
		KQ_WAIT_ONE(kq, &ev, self->fds[i], EVFILT_VNODE, KQ_WAIT_MS);
		ASSERT_EQ(NOTE_ATTRIB, ev.fflags);
		ASSERT_EQ((void *)(long)i, ev.udata);
	}
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* A watched directory: NetBSD t_vnode.c.                               */

FIXTURE(dir) {
	char base[64];
	char target[96];	/* foo: the watched directory */
	char dir_in1[128];	/* foo/bar1 */
	char dir_in2[128];	/* foo/bar2 */
	char dir_out[128];	/* bar */
	char file_in1[128];	/* foo/baz1 */
	char file_in2[128];	/* foo/baz2 */
	char file_out[128];	/* qux */
	int fd;
	int kq;
};

FIXTURE_SETUP(dir)
{
	strcpy(self->base, "/tmp/kq_vnode_dir.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	snprintf(self->target, sizeof(self->target), "%s/foo", self->base);
	snprintf(self->dir_in1, sizeof(self->dir_in1), "%s/bar1",
		 self->target);
	snprintf(self->dir_in2, sizeof(self->dir_in2), "%s/bar2",
		 self->target);
	snprintf(self->dir_out, sizeof(self->dir_out), "%s/bar", self->base);
	snprintf(self->file_in1, sizeof(self->file_in1), "%s/baz1",
		 self->target);
	snprintf(self->file_in2, sizeof(self->file_in2), "%s/baz2",
		 self->target);
	snprintf(self->file_out, sizeof(self->file_out), "%s/qux",
		 self->base);
	ASSERT_EQ(0, mkdir(self->target, 0700));
	self->fd = open(self->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	KQ_OPEN(self->kq);
}

FIXTURE_TEARDOWN(dir)
{
	close(self->kq);
	close(self->fd);
	rm_tree(self->base);
}

enum dir_op {
	CREATE_FILE_IN, DELETE_FILE_IN, MV_FILE_WITHIN, MV_FILE_IN,
	MV_FILE_OUT, CREATE_DIR_IN, DELETE_DIR_IN, MV_DIR_WITHIN, MV_DIR_IN,
	MV_DIR_OUT,
};

/* NetBSD's order: prepare, watch, act, one zero-timeout look. */
static unsigned int dir_case(struct __test_metadata *_metadata,
			     FIXTURE_DATA(dir) *self, enum dir_op op)
{
	struct kevent ev;

	switch (op) {
	case DELETE_FILE_IN:
	case MV_FILE_WITHIN:
	case MV_FILE_OUT:
		ASSERT_EQ(0, create_file(self->file_in1)) {
			return 0;
		}
		break;
	case MV_FILE_IN:
		ASSERT_EQ(0, create_file(self->file_out)) {
			return 0;
		}
		break;
	case DELETE_DIR_IN:
	case MV_DIR_WITHIN:
	case MV_DIR_OUT:
		ASSERT_EQ(0, mkdir(self->dir_in1, 0700)) {
			return 0;
		}
		break;
	case MV_DIR_IN:
		ASSERT_EQ(0, mkdir(self->dir_out, 0700)) {
			return 0;
		}
		break;
	default:
		break;
	}
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_ONESHOT,
		     ALL_NOTES, 0, NULL);
	switch (op) {
	case CREATE_FILE_IN:
		ASSERT_EQ(0, create_file(self->file_in1)) {}
		break;
	case DELETE_FILE_IN:
		ASSERT_EQ(0, unlink(self->file_in1)) {}
		break;
	case MV_FILE_WITHIN:
		ASSERT_EQ(0, rename(self->file_in1, self->file_in2)) {}
		break;
	case MV_FILE_IN:
		ASSERT_EQ(0, rename(self->file_out, self->file_in1)) {}
		break;
	case MV_FILE_OUT:
		ASSERT_EQ(0, rename(self->file_in1, self->file_out)) {}
		break;
	case CREATE_DIR_IN:
		ASSERT_EQ(0, mkdir(self->dir_in1, 0700)) {}
		break;
	case DELETE_DIR_IN:
		ASSERT_EQ(0, rmdir(self->dir_in1)) {}
		break;
	case MV_DIR_WITHIN:
		ASSERT_EQ(0, rename(self->dir_in1, self->dir_in2)) {}
		break;
	case MV_DIR_IN:
		ASSERT_EQ(0, rename(self->dir_out, self->dir_in1)) {}
		break;
	case MV_DIR_OUT:
		ASSERT_EQ(0, rename(self->dir_in1, self->dir_out)) {}
		break;
	}
	KQ_WAIT_ONE(self->kq, &ev, self->fd, EVFILT_VNODE, KQ_WAIT_MS);
	TH_LOG("directory fflags 0x%x", ev.fflags);
	return ev.fflags;
}

#define DIR_CASE(name, op, want, deny)					\
	TEST_F(dir, name)						\
	{								\
		ASSERT_NOTES(dir_case(_metadata, self, op), want, deny); \
	}

DIR_CASE(dir_no_note_link_create_file_in, CREATE_FILE_IN, 0, NOTE_LINK)
DIR_CASE(dir_no_note_link_delete_file_in, DELETE_FILE_IN, 0, NOTE_LINK)
DIR_CASE(dir_no_note_link_mv_dir_within, MV_DIR_WITHIN, 0, NOTE_LINK)
DIR_CASE(dir_no_note_link_mv_file_within, MV_FILE_WITHIN, 0, NOTE_LINK)
DIR_CASE(dir_note_link_create_dir_in, CREATE_DIR_IN, NOTE_LINK, 0)
DIR_CASE(dir_note_link_delete_dir_in, DELETE_DIR_IN, NOTE_LINK, 0)
DIR_CASE(dir_note_link_mv_dir_in, MV_DIR_IN, NOTE_LINK, 0)
DIR_CASE(dir_note_link_mv_dir_out, MV_DIR_OUT, NOTE_LINK, 0)
DIR_CASE(dir_note_write_create_dir_in, CREATE_DIR_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_create_file_in, CREATE_FILE_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_delete_dir_in, DELETE_DIR_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_delete_file_in, DELETE_FILE_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_dir_in, MV_DIR_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_dir_out, MV_DIR_OUT, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_dir_within, MV_DIR_WITHIN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_file_in, MV_FILE_IN, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_file_out, MV_FILE_OUT, NOTE_WRITE, 0)
DIR_CASE(dir_note_write_mv_file_within, MV_FILE_WITHIN, NOTE_WRITE, 0)

/*
 * NOTE_EXTEND on a directory: an entry moved in from or out to another
 * directory (FreeBSD vop_rename_post); not for changes within it.
 */
DIR_CASE(dir_note_extend_mv_file_in, MV_FILE_IN, NOTE_EXTEND, 0)
DIR_CASE(dir_note_extend_mv_file_out, MV_FILE_OUT, NOTE_EXTEND, 0)
DIR_CASE(dir_note_extend_mv_dir_in, MV_DIR_IN, NOTE_EXTEND, 0)
DIR_CASE(dir_note_extend_mv_dir_out, MV_DIR_OUT, NOTE_EXTEND, 0)
DIR_CASE(dir_no_note_extend_create_file_in, CREATE_FILE_IN, 0, NOTE_EXTEND)
DIR_CASE(dir_no_note_extend_mv_file_within, MV_FILE_WITHIN, 0, NOTE_EXTEND)
DIR_CASE(dir_no_note_extend_mv_dir_within, MV_DIR_WITHIN, 0, NOTE_EXTEND)

/* The watched directory itself renamed. */
TEST_F(dir, dir_self_rename)
{
	char moved[96];

	snprintf(moved, sizeof(moved), "%s/moved", self->base);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     ALL_NOTES, 0, NULL);
	ASSERT_EQ(0, rename(self->target, moved));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_RENAME, NOTE_DELETE);
	KQ_CHECK_NONE(self->kq);
}

/* The watched directory itself removed (rmdir) while open: NOTE_DELETE. */
TEST_F(dir, dir_self_rmdir)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     ALL_NOTES, 0, NULL);
	ASSERT_EQ(0, rmdir(self->target));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_DELETE, 0);
}

/*
 * A directory watched for NOTE_ATTRIB alone: entries created, renamed and
 * removed in it are not reported, a change of its mode is.
 */
TEST_F(dir, dir_attrib_only_ignores_entries)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, create_file(self->file_in1));
	ASSERT_EQ(0, rename(self->file_in1, self->file_in2));
	ASSERT_EQ(0, mkdir(self->dir_in1, 0700));
	ASSERT_EQ(0, rmdir(self->dir_in1));
	ASSERT_EQ(0, unlink(self->file_in2));
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, fchmod(self->fd, 0750));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
}

/* The notes of each event on @fds[0..2] in one zero-timeout look. */
static void dir_look(struct __test_metadata *_metadata, int kq,
		     const int fds[3], unsigned int notes[3])
{
	struct kevent evs[8];
	int i, j, r;

	notes[0] = notes[1] = notes[2] = 0;
	r = kq_poll(kq, evs, 8, 0);
	ASSERT_LE(0, r);
	for (i = 0; i < r; i++) {
		for (j = 0; j < 3; j++)
			if (evs[i].ident == (uintptr_t)fds[j])
				break;
		ASSERT_GT(3, j);
		ASSERT_EQ(0u, notes[j]);	/* one event each */
		notes[j] = evs[i].fflags;
	}
}

/*
 * Two watched subdirectories of a watched directory, removed one after the
 * other: each says NOTE_DELETE once, when it goes, and the directory
 * NOTE_WRITE | NOTE_LINK each time (its link count drops).
 */
TEST_F(dir, dir_subdirs_removed_one_by_one)
{
	unsigned int notes[3];
	int fds[3];

	ASSERT_EQ(0, mkdir(self->dir_in1, 0700));
	ASSERT_EQ(0, mkdir(self->dir_in2, 0700));
	fds[0] = self->fd;
	fds[1] = open(self->dir_in1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fds[2] = open(self->dir_in2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fds[1]);
	ASSERT_LE(0, fds[2]);
	KQ_CHANGE_OK(self->kq, fds[0], EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_LINK, 0, NULL);
	KQ_CHANGE_OK(self->kq, fds[1], EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE, 0, NULL);
	KQ_CHANGE_OK(self->kq, fds[2], EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE, 0, NULL);

	ASSERT_EQ(0, rmdir(self->dir_in1));
	dir_look(_metadata, self->kq, fds, notes);
	EXPECT_EQ(NOTE_WRITE | NOTE_LINK, notes[0]);
	EXPECT_EQ(NOTE_DELETE, notes[1]);
	EXPECT_EQ(0u, notes[2]);

	ASSERT_EQ(0, rmdir(self->dir_in2));
	dir_look(_metadata, self->kq, fds, notes);
	EXPECT_EQ(NOTE_WRITE | NOTE_LINK, notes[0]);
	EXPECT_EQ(0u, notes[1]);
	EXPECT_EQ(NOTE_DELETE, notes[2]);
	close(fds[1]);
	close(fds[2]);
}

/*
 * A watched subdirectory says NOTE_DELETE when it is removed, also after
 * the knote on its (watched, then no longer) parent is gone.
 */
TEST_F(dir, subdir_delete_after_parent_knote_gone)
{
	int sub;

	ASSERT_EQ(0, mkdir(self->dir_in1, 0700));
	sub = open(self->dir_in1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, sub);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_LINK, 0, NULL);
	KQ_CHANGE_OK(self->kq, sub, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE, 0, NULL);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_DELETE, 0, 0, NULL);
	/* files come and go in the parent: nobody asked */
	ASSERT_EQ(0, create_file(self->file_in1));
	ASSERT_EQ(0, unlink(self->file_in1));
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(0, rmdir(self->dir_in1));
	ASSERT_EQ(NOTE_DELETE, GET_NOTES(self->kq, sub));
	KQ_CHECK_NONE(self->kq);
	close(sub);
}

/* The root directory (its own parent) can be watched like any other. */
TEST_F(dir, root_directory)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	KQ_CHANGE_OK(self->kq, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_DELETE | NOTE_RENAME | NOTE_ATTRIB, 0, NULL);
	KQ_CHECK_NONE(self->kq);
	KQ_CHANGE_OK(self->kq, fd, EVFILT_VNODE, EV_DELETE, 0, 0, NULL);
	close(fd);
}

/*
 * Changing a directory knote's notes changes what its mark asks for:
 * NOTE_ATTRIB added keeps renames within it reported; NOTE_WRITE taken
 * away stops them.
 */
TEST_F(dir, dir_notes_changed)
{
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE, 0, NULL);
	ASSERT_EQ(0, create_file(self->file_in1));
	ASSERT_NOTES(GET_NOTES(self->kq, self->fd), NOTE_WRITE, 0);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_WRITE | NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, rename(self->file_in1, self->file_in2));
	ASSERT_EQ(NOTE_WRITE, GET_NOTES(self->kq, self->fd));
	ASSERT_EQ(0, fchmod(self->fd, 0750));
	ASSERT_EQ(NOTE_ATTRIB, GET_NOTES(self->kq, self->fd));
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     NOTE_ATTRIB, 0, NULL);
	ASSERT_EQ(0, rename(self->file_in2, self->file_in1));
	KQ_CHECK_NONE(self->kq);
}

/* A file's own NOTE_WRITE is not the directory's. */
TEST_F(dir, dir_file_write_is_not_dir_write)
{
	int fd;

	ASSERT_EQ(0, create_file(self->file_in1));
	fd = open(self->file_in1, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	KQ_CHANGE_OK(self->kq, self->fd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
		     ALL_NOTES, 0, NULL);
	ASSERT_EQ(3, write(fd, "abc", 3));
	ASSERT_EQ(0, fchmod(fd, 0640));
	close(fd);
	KQ_CHECK_NONE(self->kq);
}

TEST_HARNESS_MAIN
