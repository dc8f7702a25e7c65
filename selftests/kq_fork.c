// SPDX-License-Identifier: GPL-2.0
/*
 * A kqueue belongs to the file table that created it.
 *
 * - A forked child (its own copy of the file table) inherits the
 *   descriptor, but every kevent() on it fails with EBADF, even with
 *   nothing to do, and nothing the child does (changes, closing the
 *   kqueue or a watched descriptor, exiting) touches the parent's knotes
 *   or pending events (libkqueue's "kqueue not inherited" check; FreeBSD
 *   does not copy a kqueue into a child).
 * - A thread (shared file table) and a clone(CLONE_FILES) child use it
 *   normally, even after the creating task is gone.
 * - vfork() copies the file table like fork() (only CLONE_FILES shares
 *   it), so a vfork child is not the owner either: EBADF.
 * - exec keeps the file table of a single-threaded process: the exec'd
 *   program still uses a kqueue without close-on-exec, with its knotes
 *   and pending events; one with FD_CLOEXEC is gone.
 * - kqueue1()/kqueuex() flags.
 */
#define _GNU_SOURCE
#include "kq_children.h"

#include <pthread.h>

#define EXEC_FLAG	"--kq-fork-exec-child"

/* The kqueue of the parent: what the tests put in it before forking. */
struct parent_kq {
	int kq;
	int pfd[2];	/* pipe: EVFILT_READ on pfd[0] */
};

/*
 * USER 1 triggered (pending), USER 2 armed, EVFILT_READ on an empty pipe;
 * nothing else.
 */
static int parent_kq_setup(struct parent_kq *p)
{
	struct kevent ch[3];

	p->kq = kqueue();
	if (p->kq < 0 || pipe2(p->pfd, O_NONBLOCK))
		return -1;
	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
	       (void *)0x111);
	EV_SET(&ch[1], 2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)0x222);
	EV_SET(&ch[2], p->pfd[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x333);
	return kevent(p->kq, ch, 3, NULL, 0, NULL);
}

/* The parent's kqueue is exactly as parent_kq_setup() left it. */
#define CHECK_PARENT_KQ(p) __check_parent_kq(_metadata, p)
static void __check_parent_kq(struct __test_metadata *_metadata,
			      struct parent_kq *p)
{
	struct kevent ev;

	/* Only USER 1 is pending, with its udata. */
	KQ_GET_ONE(p->kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 1, EVFILT_USER);
	EXPECT_EQ((void *)0x111, ev.udata);
	KQ_CHECK_NONE(p->kq);
	/* USER 2 still exists (triggering it without EV_ADD works). */
	KQ_CHANGE_OK(p->kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0,
		     (void *)0x222);
	KQ_GET_ONE(p->kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 2, EVFILT_USER);
	EXPECT_EQ((void *)0x222, ev.udata);
	/* Nothing the child tried to add is there. */
	KQ_CHANGE_ERR(p->kq, ENOENT, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_ERR(p->kq, ENOENT, 4, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	/* The pipe knote is still there and reports. */
	KQ_CHECK_NONE(p->kq);
	ASSERT_EQ(1, write(p->pfd[1], "x", 1));
	KQ_GET_ONE(p->kq, &ev, KQ_WAIT_MS);
	KQ_EXPECT_KEV(&ev, p->pfd[0], EVFILT_READ);
	EXPECT_EQ(1, ev.data);
	EXPECT_EQ((void *)0x333, ev.udata);
	/* Drain it again: the knote is level-triggered. */
	{
		char c;

		ASSERT_EQ(1, read(p->pfd[0], &c, 1));
	}
	KQ_CHECK_NONE(p->kq);
}

/*
 * Everything a non-owner may try: each kevent() fails with EBADF, none
 * blocks (alarm() bounds the blocking ones).
 */
static void child_all_ebadf(int kq, int watched_fd)
{
	struct kevent ch[4], evs[8];
	struct kq_kevent64 ch64, ev64[2];
	struct timespec ts = kq_ms(50);

	alarm(KQ_CHILD_ALARM);
	KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, NULL, 0, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, evs, 8, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, evs, 8, &ts), EBADF);
	/* Would wait forever for an owner; a non-owner gets EBADF at once. */
	KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, evs, 8, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, NULL, 0, NULL), EBADF);
	/* Changes: neither applied nor reported as EV_ERROR records. */
	KQ_CHILD_CHECK_ERR(kq_change(kq, 3, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL),
	       EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(kq, 1, EVFILT_USER, EV_DELETE, 0, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(kq, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL),
	       EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(kq, 2, EVFILT_USER, EV_DISABLE, 0, 0, NULL), EBADF);
	KQ_CHILD_CHECK_ERR(kq_change(kq, watched_fd, EVFILT_READ, EV_DELETE, 0, 0, NULL),
	       EBADF);
	EV_SET(&ch[0], 4, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, NULL);
	EV_SET(&ch[1], 1, EVFILT_USER, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	EV_SET(&ch[2], 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[3], 99, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHILD_CHECK_ERR(kevent(kq, ch, 4, evs, 8, &kq_zero), EBADF);
	KQ_CHILD_CHECK_ERR(kevent(kq, ch, 4, evs, 8, NULL), EBADF);
	/* The FreeBSD 12 record layout too. */
	memset(&ch64, 0, sizeof(ch64));
	ch64.ident = 2;
	ch64.filter = EVFILT_USER;
	ch64.flags = EV_DELETE;
	KQ_CHILD_CHECK_ERR(kq_raw_kevent(kq, &ch64, 1, ev64, 2, &kq_zero,
			      KQ_RECORD_KEVENT64), EBADF);
	KQ_CHILD_CHECK_ERR(kq_raw_kevent(kq, NULL, 0, ev64, 2, &kq_zero,
			      KQ_RECORD_KEVENT64), EBADF);
}

TEST(forked_child_gets_ebadf)
{
	struct parent_kq p;
	pid_t pid;

	ASSERT_EQ(0, parent_kq_setup(&p)) TH_LOG("setup: %s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int own;

		child_all_ebadf(p.kq, p.pfd[0]);
		/* Still EBADF after the child has made a kqueue of its own. */
		own = kqueue();
		KQ_CHILD_CHECK(own >= 0);
		KQ_CHILD_CHECK(kq_change(own, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
			      NULL) == 0);
		KQ_CHILD_CHECK(kq_poll(own, &ev, 1, 0) == 1 && ev.ident == 1);
		child_all_ebadf(p.kq, p.pfd[0]);
		/* Closing the watched pipe end in the child's table. */
		KQ_CHILD_CHECK(close(p.pfd[0]) == 0);
		/* Closing the inherited kqueue descriptor is fine. */
		KQ_CHILD_CHECK(close(p.kq) == 0);
		KQ_CHILD_CHECK(close(own) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	CHECK_PARENT_KQ(&p);
	close(p.pfd[0]);
	close(p.pfd[1]);
	close(p.kq);
}

/* The child keeps the inherited descriptor open while the parent works. */
TEST(child_holding_descriptor_changes_nothing)
{
	struct parent_kq p;
	struct kevent ev;
	int go[2], done[2];
	pid_t pid;

	ASSERT_EQ(0, parent_kq_setup(&p));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(done, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_recv_byte(go[0], KQ_CHILD_MS) == 'g');
		/* The parent has triggered USER 2 meanwhile. */
		child_all_ebadf(p.kq, p.pfd[0]);
		KQ_CHILD_CHECK(kq_send_byte(done[1], 'd') == 0);
		/* Hold the descriptor until told to exit. */
		KQ_CHILD_CHECK(kq_recv_byte(go[0], KQ_CHILD_MS) == 'x');
		_exit(0);
	}
	/* The parent uses its kqueue while the child holds a copy. */
	KQ_CHANGE_OK(p.kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x222);
	ASSERT_EQ(0, kq_send_byte(go[1], 'g'));
	ASSERT_EQ('d', kq_recv_byte(done[0], KQ_CHILD_MS));
	/* USER 1 and USER 2 are both pending, untouched by the child. */
	{
		struct kevent evs[4];
		int n = kq_poll(p.kq, evs, 4, 0);

		ASSERT_EQ(2, n);
		EXPECT_EQ(EVFILT_USER, evs[0].filter);
		EXPECT_EQ(EVFILT_USER, evs[1].filter);
		EXPECT_EQ(3u, evs[0].ident + evs[1].ident);
	}
	/* Re-arm USER 1 so that CHECK_PARENT_KQ finds the starting state. */
	KQ_CHANGE_OK(p.kq, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x111);
	ASSERT_EQ(0, kq_send_byte(go[1], 'x'));
	KQ_WAIT_CHILD(pid);
	CHECK_PARENT_KQ(&p);
	/* The parent's kevent() still blocks and wakes normally. */
	KQ_CHANGE_OK(p.kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	KQ_GET_ONE(p.kq, &ev, KQ_WAIT_MS);
	KQ_EXPECT_KEV(&ev, 2, EVFILT_USER);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	close(p.pfd[0]);
	close(p.pfd[1]);
	close(p.kq);
}

/* A grandchild is no owner either; the middle child's exit changes nothing. */
TEST(grandchild_gets_ebadf)
{
	struct parent_kq p;
	pid_t pid;

	ASSERT_EQ(0, parent_kq_setup(&p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;
		int st;

		alarm(KQ_CHILD_ALARM);
		g = fork();
		KQ_CHILD_CHECK(g >= 0);
		if (g == 0) {
			child_all_ebadf(p.kq, p.pfd[0]);
			_exit(0);
		}
		KQ_CHILD_CHECK(waitpid(g, &st, 0) == g);
		KQ_CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	CHECK_PARENT_KQ(&p);
	close(p.pfd[0]);
	close(p.pfd[1]);
	close(p.kq);
}

/* A non-owner blocked... cannot block: the parent's waiter is not disturbed. */
struct waiter {
	int kq;
	int n;
	int err;
	struct kevent ev;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts = kq_ms(KQ_WAIT_MS * 2);

	w->n = kevent(w->kq, NULL, 0, &w->ev, 1, &ts);
	w->err = errno;
	return NULL;
}

TEST(fork_while_owner_thread_waits)
{
	struct waiter w = { 0 };
	pthread_t th;
	pid_t pid;
	int kq;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	w.kq = kq;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
	usleep(50000);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		child_all_ebadf(kq, 7);
		KQ_CHILD_CHECK(close(kq) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
	/* The parent's waiter is still there and wakes on the trigger. */
	KQ_CHANGE_OK(kq, 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, pthread_join(th, NULL));
	if (w.n != 1)
		TH_LOG("waiter: kevent() = %d (%s)", w.n, strerror(w.err));
	ASSERT_EQ(1, w.n);
	EXPECT_EQ(7u, w.ev.ident);
	EXPECT_EQ(EVFILT_USER, w.ev.filter);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Threads and CLONE_FILES share the table: the kqueue works.          */

struct thread_arg {
	int kq;
	int ok;
};

static void *thread_user(void *arg)
{
	struct thread_arg *t = arg;
	struct kevent ev;
	struct timespec ts = kq_ms(KQ_WAIT_MS);

	t->ok = 0;
	if (kq_change(t->kq, 10, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER,
		      0, (void *)0x10))
		return NULL;
	/* Wait for USER 11, which the main thread triggers. */
	if (kevent(t->kq, NULL, 0, &ev, 1, &ts) != 1 || ev.ident != 10)
		return NULL;
	if (kevent(t->kq, NULL, 0, &ev, 1, &ts) != 1 || ev.ident != 11)
		return NULL;
	t->ok = 1;
	return NULL;
}

TEST(thread_uses_kqueue)
{
	struct thread_arg t = { 0 };
	pthread_t th;
	struct kevent ev;
	int kq;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 11, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	t.kq = kq;
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_user, &t));
	usleep(100000);
	KQ_CHANGE_OK(kq, 11, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(1, t.ok);
	/* The thread's knote is the process's. */
	KQ_CHANGE_OK(kq, 10, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)0x10);
	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 10, EVFILT_USER);
	EXPECT_EQ((void *)0x10, ev.udata);
	close(kq);
}

/* A kqueue created by a thread that then exits keeps working. */
static void *thread_create_kq(void *arg)
{
	int *kqp = arg;

	*kqp = kqueue();
	if (*kqp >= 0 &&
	    kq_change(*kqp, 12, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL))
		*kqp = -2;
	return NULL;
}

TEST(kqueue_of_exited_thread)
{
	pthread_t th;
	struct kevent ev;
	int kq = -1;

	ASSERT_EQ(0, pthread_create(&th, NULL, thread_create_kq, &kq));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_LE(0, kq);
	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 12, EVFILT_USER);
	close(kq);
}

struct clone_arg {
	int kq;
	int report;	/* write end of a pipe: the child's results */
};

static int clone_files_fn(void *arg)
{
	struct clone_arg *c = arg;
	struct kevent ev;
	int kq2;

	alarm(KQ_CHILD_ALARM);
	/* The parent's kqueue works here... */
	KQ_CHILD_CHECK(kq_change(c->kq, 20, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER,
		      0, (void *)0x20) == 0);
	KQ_CHILD_CHECK(kq_poll(c->kq, &ev, 1, 0) == 1 && ev.ident == 20);
	KQ_CHILD_CHECK(kq_change(c->kq, 20, EVFILT_USER, 0, NOTE_TRIGGER, 0,
		      (void *)0x20) == 0);
	/* ...and a kqueue made here lands in the shared table for the parent. */
	kq2 = kqueue();
	KQ_CHILD_CHECK(kq2 >= 0);
	KQ_CHILD_CHECK(kq_change(kq2, 21, EVFILT_USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0,
		      (void *)0x21) == 0);
	KQ_CHILD_CHECK(write(c->report, &kq2, sizeof(kq2)) == (ssize_t)sizeof(kq2));
	return 0;
}

TEST(clone_files_child_shares)
{
	struct clone_arg c;
	struct kevent ev;
	size_t stsz = 256 * 1024;
	char *stack;
	int rp[2], kq, kq2 = -1;
	pid_t pid;

	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(rp, O_CLOEXEC));
	c.kq = kq;
	c.report = rp[1];
	stack = malloc(stsz);
	ASSERT_NE(NULL, stack);
	pid = clone(clone_files_fn, stack + stsz, CLONE_FILES | SIGCHLD, &c);
	ASSERT_LE(0, pid) TH_LOG("clone: %s", strerror(errno));
	KQ_WAIT_CHILD(pid);
	free(stack);
	/* The child's knote and pending trigger are in the parent's kqueue. */
	KQ_GET_ONE(kq, &ev, 0);
	KQ_EXPECT_KEV(&ev, 20, EVFILT_USER);
	EXPECT_EQ((void *)0x20, ev.udata);
	/* The kqueue the (now gone) child made works in the parent. */
	ASSERT_EQ((ssize_t)sizeof(kq2), read(rp[0], &kq2, sizeof(kq2)));
	ASSERT_TRUE(kq_fd_valid(kq2));
	KQ_GET_ONE(kq2, &ev, 0);
	KQ_EXPECT_KEV(&ev, 21, EVFILT_USER);
	EXPECT_EQ((void *)0x21, ev.udata);
	KQ_CHANGE_OK(kq2, 22, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_GET_ONE(kq2, &ev, 0);
	KQ_EXPECT_KEV(&ev, 22, EVFILT_USER);
	close(rp[0]);
	close(rp[1]);
	close(kq2);
	close(kq);
}

/* vfork (CLONE_VM | CLONE_VFORK): the file table is copied, as by fork. */
struct vfork_arg {
	int kq;
	int r;		/* kevent() results, read after the child is gone */
	int err;
	int r2;
};

static int vfork_fn(void *arg)
{
	struct vfork_arg *v = arg;

	errno = 0;
	v->r = kevent(v->kq, NULL, 0, NULL, 0, &kq_zero);
	v->err = errno;
	v->r2 = kq_change(v->kq, 30, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
			  NULL);
	return 0;
}

TEST(vfork_child_has_own_table)
{
	struct vfork_arg v = { 0 };
	size_t stsz = 256 * 1024;
	char *stack;
	int kq;
	pid_t pid;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 31, EVFILT_USER, EV_ADD, 0, 0, NULL);
	v.kq = kq;
	stack = malloc(stsz);
	ASSERT_NE(NULL, stack);
	pid = clone(vfork_fn, stack + stsz, CLONE_VM | CLONE_VFORK | SIGCHLD,
		    &v);
	ASSERT_LE(0, pid);
	KQ_WAIT_CHILD(pid);
	if (v.r != -1 || v.err != EBADF)
		TH_LOG("vfork child: kevent() = %d errno %d (%s)", v.r, v.err,
		       strerror(v.err));
	EXPECT_EQ(-1, v.r);
	EXPECT_EQ(EBADF, v.err);
	EXPECT_EQ(-1, v.r2);
	KQ_CHANGE_ERR(kq, ENOENT, 30, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(kq);

	/* With CLONE_FILES as well, the vfork child is an owner. */
	memset(&v, 0, sizeof(v));
	v.kq = kq;
	pid = clone(vfork_fn, stack + stsz,
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &v);
	ASSERT_LE(0, pid);
	KQ_WAIT_CHILD(pid);
	free(stack);
	if (v.r != 0 || v.r2 != 0)
		TH_LOG("vfork+CLONE_FILES child: kevent() = %d/%d errno %d (%s)",
		       v.r, v.r2, v.err, strerror(v.err));
	EXPECT_EQ(0, v.r);
	EXPECT_EQ(0, v.r2);
	{
		struct kevent ev;

		KQ_GET_ONE(kq, &ev, 0);
		KQ_EXPECT_KEV(&ev, 30, EVFILT_USER);
	}
	close(kq);
}

/* ------------------------------------------------------------------ */
/* Flags.                                                              */

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : !!(fl & FD_CLOEXEC);
}

TEST(kqueue1_kqueuex_flags)
{
	int kq;

	kq = kqueue();
	ASSERT_LE(0, kq);
	EXPECT_EQ(0, cloexec(kq));
	close(kq);

	kq = kqueue1(O_CLOEXEC);
	ASSERT_LE(0, kq);
	EXPECT_EQ(1, cloexec(kq));
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	close(kq);

	kq = kqueue1(0);
	ASSERT_LE(0, kq);
	EXPECT_EQ(0, cloexec(kq));
	close(kq);

	kq = kqueue1(O_NONBLOCK);
	ASSERT_LE(0, kq);
	EXPECT_EQ(0, cloexec(kq));
	EXPECT_TRUE(fcntl(kq, F_GETFL) & O_NONBLOCK);
	close(kq);

	errno = 0;
	EXPECT_EQ(-1, kqueue1(O_APPEND));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, kqueue1(0x40000000));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, kqueue1(O_CLOEXEC | O_TRUNC));
	EXPECT_EQ(EINVAL, errno);

	kq = kqueuex(KQUEUE_CLOEXEC);
	ASSERT_LE(0, kq);
	EXPECT_EQ(1, cloexec(kq));
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	close(kq);

	kq = kqueuex(0);
	ASSERT_LE(0, kq);
	EXPECT_EQ(0, cloexec(kq));
	close(kq);

	errno = 0;
	EXPECT_EQ(-1, kqueuex(0x100));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, kqueuex(KQUEUE_CLOEXEC | 0x4));
	EXPECT_EQ(EINVAL, errno);
}

/* ------------------------------------------------------------------ */
/* exec.                                                               */

/*
 * The exec'd image: argv = EXEC_FLAG kq kq_cloexec.  USER 40 was
 * registered and left pending before exec, USER 41 registered, armed.
 * Exit 0 when everything holds.
 */
static int exec_child_main(int argc, char **argv)
{
	struct kevent evs[4];
	int kq, kqc, n;

	alarm(KQ_CHILD_ALARM);
	KQ_CHILD_CHECK(argc == 4);
	kq = atoi(argv[2]);
	kqc = atoi(argv[3]);
	/* The close-on-exec kqueue is gone. */
	KQ_CHILD_CHECK_ERR(fcntl(kqc, F_GETFD), EBADF);
	/* The other one survived exec and is still ours. */
	KQ_CHILD_CHECK(kq_fd_valid(kq));
	KQ_CHILD_CHECK(kevent(kq, NULL, 0, NULL, 0, &kq_zero) == 0);
	n = kq_poll(kq, evs, 4, 0);
	KQ_CHILD_CHECK(n == 1);
	KQ_CHILD_CHECK(evs[0].ident == 40 && evs[0].filter == EVFILT_USER &&
	   evs[0].udata == (void *)0x40);
	/* USER 41 exists (trigger without EV_ADD), USER 42 does not. */
	KQ_CHILD_CHECK(kq_change(kq, 41, EVFILT_USER, 0, NOTE_TRIGGER, 0,
		      (void *)0x41) == 0);
	KQ_CHILD_CHECK(kq_poll(kq, evs, 4, 0) == 1 && evs[0].ident == 41 &&
	   evs[0].udata == (void *)0x41);
	KQ_CHILD_CHECK_ERR(kq_change(kq, 42, EVFILT_USER, EV_DELETE, 0, 0, NULL), ENOENT);
	/* New knotes work too. */
	KQ_CHILD_CHECK(kq_change(kq, 43, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL) == 0);
	KQ_CHILD_CHECK(kq_poll(kq, evs, 4, 0) == 1 && evs[0].ident == 43);
	/* And a child of the exec'd program is not an owner. */
	{
		pid_t g = fork();
		int st;

		KQ_CHILD_CHECK(g >= 0);
		if (g == 0) {
			KQ_CHILD_CHECK_ERR(kevent(kq, NULL, 0, NULL, 0, &kq_zero),
			       EBADF);
			_exit(0);
		}
		KQ_CHILD_CHECK(waitpid(g, &st, 0) == g && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0);
	}
	close(kq);
	return 0;
}

TEST(exec_keeps_kqueue_without_cloexec)
{
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char a1[16], a2[16];
		char *argv[] = { "kq_fork", EXEC_FLAG, a1, a2, NULL };
		int kq, kqc;

		alarm(KQ_CHILD_ALARM);
		kq = kqueue();
		kqc = kqueue1(O_CLOEXEC);
		KQ_CHILD_CHECK(kq >= 0 && kqc >= 0);
		KQ_CHILD_CHECK(kq_change(kq, 40, EVFILT_USER, EV_ADD | EV_CLEAR,
			      NOTE_TRIGGER, 0, (void *)0x40) == 0);
		KQ_CHILD_CHECK(kq_change(kq, 41, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
			      (void *)0x41) == 0);
		KQ_CHILD_CHECK(kq_change(kqc, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
			      NULL) == 0);
		snprintf(a1, sizeof(a1), "%d", kq);
		snprintf(a2, sizeof(a2), "%d", kqc);
		execv("/proc/self/exe", argv);
		KQ_CHILD_CHECK(!"execv");
	}
	KQ_WAIT_CHILD(pid);
}

#define main kq_fork_harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], EXEC_FLAG))
		return exec_child_main(argc, argv);
	return kq_fork_harness_main(argc, argv);
}
