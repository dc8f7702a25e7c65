// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: with failslab (CONFIG_FAILSLAB, debugfs) failing slab
 * allocations of this task at random, every kqueue() and EV_ADD of every
 * filter either works completely or fails with ENOMEM and leaves nothing
 * behind: a knote whose EV_ADD failed does not exist (EV_DELETE: ENOENT,
 * no event), one whose EV_ADD worked delivers its event.  Afterwards the
 * same kqueue works, and once everything is closed the module's
 * live_kqueues/live_knotes counters return to 0.
 *
 * Only on a kernel with failslab in debugfs (the 6.1-debug kernel of
 * `make check`); elsewhere the tests SKIP.
 *
 * failslab setup: probability P%, interval 1, times -1 (no limit),
 * verbose 0, task-filter Y (only tasks with /proc/<tid>/make-it-fail = 1),
 * ignore-gfp-wait N (sleeping allocations fail too).  make-it-fail is set
 * around single system calls only, so the test's own setup never fails.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "kq_fd.h"
#include "kq_module.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define ROUNDS		40	/* per filter */
#define NO_FAILSLAB	"no " FAILSLAB " or /proc/thread-self/make-it-fail: needs CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS and debugfs (the 6.1-debug kernel)"

static int mif_fd = -1;		/* /proc/thread-self/make-it-fail */

static int fs_write(const char *name, const char *val)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), FAILSLAB "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return r;
}

static void fail_on(void)
{
	(void)!pwrite(mif_fd, "1", 1, 0);
}

static void fail_off(void)
{
	(void)!pwrite(mif_fd, "0", 1, 0);
}

static void linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

enum kind {
	K_PIPE_READ, K_UNIX_WRITE, K_TCP_READ, K_TCP_EMPTY, K_TCP_EXCEPT,
	K_TIMER, K_USER, K_SIGNAL, K_FILE_READ, K_KQUEUE_READ, K_PROC,
	K_NKINDS
};

static const char *const kind_name[K_NKINDS] = {
	"READ pipe", "WRITE unix", "READ tcp", "EMPTY tcp", "EXCEPT tcp",
	"TIMER", "USER", "SIGNAL", "READ file", "READ kqueue", "PROC",
};

/* The objects of one round, made and triggered with failslab off. */
struct round {
	enum kind k;
	int a, b;		/* watched end, other end (or -1) */
	pid_t child;
	struct kevent add;	/* the change under test */
};

static int setup_round(struct round *r, enum kind k)
{
	int sv[2];
	char path[64];

	memset(r, 0, sizeof(*r));
	r->k = k;
	r->a = r->b = -1;
	r->child = -1;
	switch (k) {
	case K_PIPE_READ:
		if (pipe2(sv, O_NONBLOCK))
			return -1;
		break;
	case K_UNIX_WRITE:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
			return -1;
		break;
	case K_TCP_READ: case K_TCP_EMPTY: case K_TCP_EXCEPT:
		if (kq_tcp_pair(sv))
			return -1;
		linger0(sv[0]);
		linger0(sv[1]);
		break;
	case K_FILE_READ:
		snprintf(path, sizeof(path), "/tmp/kq_failslab.%d", getpid());
		sv[1] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (sv[1] < 0)
			return -1;
		sv[0] = open(path, O_RDONLY);
		unlink(path);
		if (sv[0] < 0)
			return -1;
		break;
	case K_KQUEUE_READ:
		sv[0] = kqueue();	/* inner kqueue, with a USER knote */
		if (sv[0] < 0 || kq_change(sv[0], 1, EVFILT_USER, EV_ADD | EV_CLEAR,
					   0, 0, NULL))
			return -1;
		sv[1] = -1;
		break;
	case K_PROC:
		if (pipe(sv))
			return -1;
		r->child = fork();
		if (r->child < 0)
			return -1;
		if (r->child == 0) {	/* exits when the pipe's writer closes */
			char c;

			close(sv[1]);
			(void)!read(sv[0], &c, 1);
			_exit(7);
		}
		close(sv[0]);
		sv[0] = -1;
		break;
	default:
		sv[0] = sv[1] = -1;
	}
	r->a = sv[0];
	r->b = sv[1];

	switch (k) {
	case K_PIPE_READ: case K_TCP_READ: case K_FILE_READ: case K_KQUEUE_READ:
		EV_SET(&r->add, r->a, EVFILT_READ, EV_ADD, 0, 0, r);
		break;
	case K_UNIX_WRITE:
		EV_SET(&r->add, r->a, EVFILT_WRITE, EV_ADD, 0, 0, r);
		break;
	case K_TCP_EMPTY:
		EV_SET(&r->add, r->a, EVFILT_EMPTY, EV_ADD, 0, 0, r);
		break;
	case K_TCP_EXCEPT:
		EV_SET(&r->add, r->a, EVFILT_EXCEPT, EV_ADD, NOTE_OOB, 0, r);
		break;
	case K_TIMER:
		EV_SET(&r->add, 11, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1, r);
		break;
	case K_USER:
		EV_SET(&r->add, 12, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, r);
		break;
	case K_SIGNAL:
		EV_SET(&r->add, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, r);
		break;
	case K_PROC:
		EV_SET(&r->add, r->child, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, r);
		break;
	default:
		break;
	}
	return 0;
}

/* Make the watched condition true (failslab off). */
static void trigger_round(struct round *r)
{
	switch (r->k) {
	case K_PIPE_READ: case K_TCP_READ: case K_FILE_READ:
		(void)!write(r->b, "x", 1);
		break;
	case K_TCP_EXCEPT:
		(void)!send(r->b, "o", 1, MSG_OOB);
		break;
	case K_KQUEUE_READ:
		kq_change(r->a, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
		break;
	case K_USER:	/* NOTE_TRIGGER on the kqueue: the caller does it */
	case K_SIGNAL:
		kill(getpid(), SIGUSR1);
		break;
	case K_PROC:
		close(r->b);
		r->b = -1;
		break;
	default:	/* WRITE, EMPTY: ready at once; TIMER: fires by itself */
		break;
	}
}

static void teardown_round(struct round *r)
{
	if (r->a >= 0)
		close(r->a);
	if (r->b >= 0)
		close(r->b);
	if (r->child > 0)
		waitpid(r->child, NULL, 0);
	r->a = r->b = -1;
	r->child = -1;
}

/* Wait for the event of r->add (ident, filter) in kq. */
static int got_event(int kq, struct round *r, long ms)
{
	long long deadline = kq_now_ms() + ms;
	struct kevent ev[8];
	int i, n;

	do {
		n = kq_poll(kq, ev, 8, 50);
		for (i = 0; i < n; i++)
			if (ev[i].ident == r->add.ident &&
			    ev[i].filter == r->add.filter &&
			    !(ev[i].flags & EV_ERROR))
				return 1;
	} while (kq_now_ms() < deadline);
	return 0;
}

FIXTURE(failslab) {
	int kq;
	int have_proc;
};

FIXTURE_SETUP(failslab)
{
	struct kevent kev;

	self->kq = -1;
	/* (the 6.1 harness runs the test after a SKIP in setup: it skips itself) */
	if (access(FAILSLAB "probability", W_OK))
		return;
	mif_fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (mif_fd < 0)
		return;
	ASSERT_EQ(0, fs_write("task-filter", "Y"));
	ASSERT_EQ(0, fs_write("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, fs_write("cache-filter", "N"));
	ASSERT_EQ(0, fs_write("verbose", "0"));
	ASSERT_EQ(0, fs_write("interval", "1"));
	ASSERT_EQ(0, fs_write("space", "0"));
	ASSERT_EQ(0, fs_write("times", "-1"));
	ASSERT_EQ(0, fs_write("probability", "25"));
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, kq_read_live("live_kqueues")) TH_LOG("no " KQ_PARAM_DIR "live_kqueues?");
	ASSERT_EQ(0, kq_read_live("live_knotes"));
	KQ_OPEN(self->kq);
	EV_SET(&kev, getpid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	self->have_proc = kevent(self->kq, &kev, 1, NULL, 0, NULL) == 0;
	if (self->have_proc)
		KQ_CHANGE_OK(self->kq, getpid(), EVFILT_PROC, EV_DELETE, 0, 0, NULL);
}

FIXTURE_TEARDOWN(failslab)
{
	if (mif_fd >= 0) {
		fail_off();
		close(mif_fd);
		mif_fd = -1;
	}
	fs_write("probability", "0");
	fs_write("times", "1");
	if (self->kq >= 0)
		close(self->kq);
}

/* Every filter's EV_ADD: all or nothing, and ENOMEM when nothing. */
TEST_F_TIMEOUT(failslab, add_every_filter, 300)
{
	int ok[K_NKINDS] = { 0 }, nomem[K_NKINDS] = { 0 };
	int k, i, rc, err, total_nomem = 0;
	struct round r;
	struct kevent rec;
	long kqs, kns;
	long long deadline;

	if (mif_fd < 0)
		SKIP(return, NO_FAILSLAB);
	for (k = 0; k < K_NKINDS; k++) {
		if (k == K_PROC && !self->have_proc)
			continue;
		for (i = 0; i < ROUNDS; i++) {
			ASSERT_EQ(0, setup_round(&r, k)) TH_LOG("%s: setup: %s",
				kind_name[k], strerror(errno));

			/* Alternate plain changes and EV_RECEIPT. */
			fail_on();
			if (i & 1) {
				struct kevent ch = r.add;

				ch.flags |= EV_RECEIPT;
				memset(&rec, 0, sizeof(rec));
				rc = kevent(self->kq, &ch, 1, &rec, 1, NULL);
				err = errno;
				fail_off();
				if (rc == 1 && (rec.flags & EV_ERROR)) {
					err = (int)rec.data;
					rc = err ? -1 : 0;
				} else if (rc >= 0) {
					TH_LOG("%s: receipt: kevent() = %d flags 0x%x",
					       kind_name[k], rc, rec.flags);
					ASSERT_TRUE(0);
				}
			} else {
				rc = kevent(self->kq, &r.add, 1, NULL, 0, NULL);
				err = errno;
				fail_off();
			}

			if (rc == 0) {
				ok[k]++;
				/* All there: it delivers, and deletes once. */
				trigger_round(&r);
				if (k == K_USER)
					KQ_CHANGE_OK(self->kq, 12, EVFILT_USER, 0,
						     NOTE_TRIGGER, 0, NULL);
				ASSERT_TRUE(got_event(self->kq, &r, KQ_WAIT_MS))
					TH_LOG("%s round %d: EV_ADD worked under failslab, but no event",
					       kind_name[k], i);
				if (k == K_TIMER || k == K_PROC) /* oneshot */
					KQ_CHANGE_ERR(self->kq, ENOENT, r.add.ident,
						      r.add.filter, EV_DELETE, 0, 0, NULL);
				else
					KQ_CHANGE_OK(self->kq, r.add.ident, r.add.filter,
						     EV_DELETE, 0, 0, NULL);
			} else {
				if (err != ENOMEM)
					TH_LOG("%s round %d: EV_ADD under failslab: errno %d (%s), want ENOMEM",
					       kind_name[k], i, err, strerror(err));
				ASSERT_EQ(ENOMEM, err);
				nomem[k]++;
				/* Nothing there: no knote, no event. */
				KQ_CHANGE_ERR(self->kq, ENOENT, r.add.ident,
					      r.add.filter, EV_DELETE, 0, 0, NULL);
				trigger_round(&r);
				if (k == K_USER)
					KQ_CHANGE_ERR(self->kq, ENOENT, 12, EVFILT_USER,
						      0, NOTE_TRIGGER, 0, NULL);
				usleep(5000);
				ASSERT_FALSE(got_event(self->kq, &r, 50))
					TH_LOG("%s round %d: EV_ADD failed with ENOMEM, but the knote delivers",
					       kind_name[k], i);
			}
			teardown_round(&r);
			KQ_CHECK_NONE(self->kq);
		}
		TH_LOG("%-12s %2d added, %2d ENOMEM", kind_name[k], ok[k], nomem[k]);
		total_nomem += nomem[k];
	}
	/* failslab really failed something, and not everything */
	EXPECT_LT(0, total_nomem);
	EXPECT_LT(0, ok[K_USER] + ok[K_PIPE_READ] + ok[K_TIMER]);

	/* The same kqueue still works. */
	KQ_CHANGE_OK(self->kq, 99, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(self->kq, 99, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	{
		struct kevent ev;

		KQ_GET_KEV(self->kq, &ev, 99, EVFILT_USER);
	}
	KQ_CHANGE_OK(self->kq, 99, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	KQ_CHECK_NONE(self->kq);

	close(self->kq);
	self->kq = -1;
	deadline = kq_now_ms() + KQ_SETTLE_MS;
	do {
		kqs = kq_read_live("live_kqueues");
		kns = kq_read_live("live_knotes");
		if (!kqs && !kns)
			break;
		usleep(20000);
	} while (kq_now_ms() < deadline);
	EXPECT_EQ(0, kqs);
	EXPECT_EQ(0, kns);
}

/*
 * kqueue() under failslab: a kqueue or ENOMEM; knotes left on kqueues and
 * descriptors closed under failslab; harvesting under failslab.
 */
TEST_F_TIMEOUT(failslab, open_close_harvest, 300)
{
	int i, kq, err, opened = 0, nomem = 0, p[2];
	struct kevent ev[4];
	long kqs, kns;
	long long deadline;

	if (mif_fd < 0)
		SKIP(return, NO_FAILSLAB);
	for (i = 0; i < 200; i++) {
		fail_on();
		kq = kqueue();
		err = errno;
		fail_off();
		if (kq < 0) {
			if (err != ENOMEM)
				TH_LOG("kqueue() under failslab: %s, want ENOMEM",
				       strerror(err));
			ASSERT_EQ(ENOMEM, err);
			nomem++;
			continue;
		}
		opened++;
		ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
		/* a knote or ENOMEM; then harvest and close under failslab */
		fail_on();
		(void)kq_change(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
		(void)kq_change(kq, 5, EVFILT_TIMER, EV_ADD, 0, 1, NULL);
		(void)kq_change(kq, 6, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
		(void)!write(p[1], "x", 1);
		err = kq_poll(kq, ev, 4, 5) < 0 ? errno : 0;
		fail_off();
		if (err && err != ENOMEM && err != EINTR)
			TH_LOG("harvest under failslab: %s", strerror(err));
		ASSERT_TRUE(!err || err == ENOMEM || err == EINTR);
		fail_on();
		if (i & 1) {
			close(p[0]);
			close(kq);
		} else {
			close(kq);
			close(p[0]);
		}
		fail_off();
		close(p[1]);
	}
	TH_LOG("kqueue(): %d opened, %d ENOMEM", opened, nomem);
	EXPECT_LT(0, opened);

	/* The table is clean: a new kqueue works, and nothing is live after. */
	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	KQ_GET_KEV(kq, &ev[0], 1, EVFILT_USER);
	close(kq);
	close(self->kq);
	self->kq = -1;
	deadline = kq_now_ms() + KQ_SETTLE_MS;
	do {
		kqs = kq_read_live("live_kqueues");
		kns = kq_read_live("live_knotes");
		if (!kqs && !kns)
			break;
		usleep(20000);
	} while (kq_now_ms() < deadline);
	EXPECT_EQ(0, kqs);
	EXPECT_EQ(0, kns);
}

TEST_HARNESS_MAIN
