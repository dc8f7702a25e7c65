// SPDX-License-Identifier: GPL-2.0
/*
 * Limits and what an unprivileged user may do.
 *
 * - max_user_knotes (/sys/module/kqueue/parameters, 0644, root may write):
 *   a user's knotes across all the kqueues it opened; the one beyond
 *   gives ENOMEM, deleting one or closing a kqueue returns the budget.
 *   Another user is not affected by it.
 * - max_timers: EVFILT_TIMER knotes beyond it give ENOMEM.
 * - max_user_bytes: the memory a user's knotes take (charged a page of
 *   credit at a time, or the knote's own bytes near the limit); beyond
 *   it ENOMEM.
 * - EVFILT_PROC on a process of another user (pid 1, the test's root
 *   parent): EACCES; on its own child: works.
 * - EVFILT_SIGNAL counts only the signals of the watching process.
 *
 * The fixture saves both limits and restores them in its teardown (which
 * runs after a failed assertion too); the unprivileged work is done in a
 * forked child that the test waits for with a bound, so that the teardown
 * always runs.
 */
#define _GNU_SOURCE
#include "kq_children.h"
#include "kq_users.h"
#include "kq_module.h"

#define USER_LIMIT	50
#define TIMER_LIMIT	8

FIXTURE(lim) {
	long long old_knotes;
	long long old_timers;
	int have_knotes;
	int have_timers;
};

FIXTURE_SETUP(lim)
{
	self->have_knotes = !kq_param_read("max_user_knotes",
					    &self->old_knotes);
	self->have_timers = !kq_param_read("max_timers", &self->old_timers);
	if (self->have_knotes)
		TH_LOG("max_user_knotes was %lld", self->old_knotes);
	if (self->have_timers)
		TH_LOG("max_timers was %lld", self->old_timers);
}

FIXTURE_TEARDOWN(lim)
{
	if (self->have_knotes &&
	    kq_param_write("max_user_knotes", self->old_knotes))
		TH_LOG("restoring max_user_knotes=%lld: %s",
		       self->old_knotes, strerror(errno));
	if (self->have_timers &&
	    kq_param_write("max_timers", self->old_timers))
		TH_LOG("restoring max_timers=%lld: %s", self->old_timers,
		       strerror(errno));
}

#define NEED_PARAM(have, name) do {					\
	if (!(have))							\
		TH_LOG(KQ_PARAM_DIR "%s: %s (module without it?)",	\
		       name, strerror(errno));				\
	ASSERT_TRUE(have);						\
} while (0)

static int add_user(int kq, uintptr_t id)
{
	return kq_change(kq, id, EVFILT_USER, EV_ADD, 0, 0, NULL);
}

/*
 * The unprivileged child: two kqueues, USER_LIMIT knotes in all.
 * sync: socket to the parent ('f' = full, parent answers 'g').
 */
static void nobody_knotes(int sync)
{
	struct kevent ch[3], evs[3];
	int kq1, kq2, kq3, i, n;

	alarm(KQ_CHILD_ALARM);
	KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
	kq1 = kqueue();
	kq2 = kqueue();
	KQ_CHILD_CHECK(kq1 >= 0 && kq2 >= 0);
	for (i = 0; i < 30; i++)
		KQ_CHILD_CHECK(add_user(kq1, 1000 + i) == 0);
	for (i = 0; i < USER_LIMIT - 30; i++)
		KQ_CHILD_CHECK(add_user(kq2, 2000 + i) == 0);
	/* The 51st, in either kqueue or a new one. */
	KQ_CHILD_CHECK_ERR(add_user(kq2, 2999), ENOMEM);
	KQ_CHILD_CHECK_ERR(add_user(kq1, 1999), ENOMEM);
	kq3 = kqueue();
	KQ_CHILD_CHECK(kq3 >= 0);
	KQ_CHILD_CHECK_ERR(add_user(kq3, 3000), ENOMEM);
	/* Other filters count the same. */
	KQ_CHILD_CHECK_ERR(kq_change(kq3, 1, EVFILT_TIMER, EV_ADD, 0, 60000, NULL),
	       ENOMEM);
	KQ_CHILD_CHECK_ERR(kq_change(kq3, SIGUSR2, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL),
	       ENOMEM);
	/* Modifying an existing knote needs no budget. */
	KQ_CHILD_CHECK(kq_change(kq1, 1000, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0,
		      NULL) == 0);
	KQ_CHILD_CHECK(kq_change(kq1, 1000, EVFILT_USER, EV_DISABLE, 0, 0, NULL) == 0);
	KQ_CHILD_CHECK(kq_change(kq1, 1000, EVFILT_USER, EV_ENABLE, 0, 0, NULL) == 0);
	/* The parent (root) is not limited by this user's knotes. */
	KQ_CHILD_CHECK(kq_send_byte(sync, 'f') == 0);
	KQ_CHILD_CHECK(kq_recv_byte(sync, KQ_CHILD_MS) == 'g');
	/* Deleting one lets exactly one more in. */
	KQ_CHILD_CHECK(kq_change(kq1, 1001, EVFILT_USER, EV_DELETE, 0, 0, NULL) == 0);
	KQ_CHILD_CHECK(add_user(kq3, 3000) == 0);
	KQ_CHILD_CHECK_ERR(add_user(kq3, 3001), ENOMEM);
	/* A oneshot knote that fires returns its budget too. */
	KQ_CHILD_CHECK(kq_change(kq1, 1002, EVFILT_USER, EV_DELETE, 0, 0, NULL) == 0);
	KQ_CHILD_CHECK(kq_change(kq3, 3002, EVFILT_USER, EV_ADD | EV_ONESHOT,
		      NOTE_TRIGGER, 0, NULL) == 0);
	KQ_CHILD_CHECK_ERR(add_user(kq3, 3003), ENOMEM);
	n = kevent(kq3, NULL, 0, evs, 3, &kq_zero);
	KQ_CHILD_CHECK(n == 1 && evs[0].ident == 3002);
	KQ_CHILD_CHECK(add_user(kq3, 3003) == 0);
	KQ_CHILD_CHECK_ERR(add_user(kq3, 3004), ENOMEM);
	/* A batch with room for one: the rest are EV_ERROR ENOMEM records. */
	KQ_CHILD_CHECK(kq_change(kq1, 1003, EVFILT_USER, EV_DELETE, 0, 0, NULL) == 0);
	EV_SET(&ch[0], 3100, EVFILT_USER, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], 3101, EVFILT_USER, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[2], 3102, EVFILT_USER, EV_ADD, 0, 0, NULL);
	memset(evs, 0, sizeof(evs));
	n = kevent(kq3, ch, 3, evs, 3, &kq_zero);
	KQ_CHILD_CHECK(n == 2);
	for (i = 0; i < n; i++)
		KQ_CHILD_CHECK((evs[i].flags & EV_ERROR) && evs[i].data == ENOMEM);
	KQ_CHILD_CHECK(evs[0].ident != 3100 && evs[1].ident != 3100);
	/* Closing a kqueue returns its knotes' budget (kq1 has 27). */
	KQ_CHILD_CHECK(close(kq1) == 0);
	for (i = 0; i < 27; i++)
		KQ_CHILD_CHECK(add_user(kq2, 4000 + i) == 0);
	KQ_CHILD_CHECK_ERR(add_user(kq2, 4999), ENOMEM);
	KQ_CHILD_CHECK(close(kq2) == 0);
	KQ_CHILD_CHECK(close(kq3) == 0);
	/* All returned: a fresh kqueue takes the whole budget again. */
	kq1 = kqueue();
	KQ_CHILD_CHECK(kq1 >= 0);
	for (i = 0; i < USER_LIMIT; i++)
		KQ_CHILD_CHECK(add_user(kq1, 5000 + i) == 0);
	KQ_CHILD_CHECK_ERR(add_user(kq1, 5999), ENOMEM);
	KQ_CHILD_CHECK(close(kq1) == 0);
	_exit(0);
}

TEST_F_TIMEOUT(lim, user_knote_limit, 120)
{
	int sv[2], kq, i;
	pid_t pid;

	NEED_PARAM(self->have_knotes, "max_user_knotes");
	ASSERT_EQ(0, kq_param_write("max_user_knotes", USER_LIMIT))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		nobody_knotes(sv[1]);
	}
	close(sv[1]);
	/* The child is at its limit: root (another user) is not. */
	ASSERT_EQ('f', kq_recv_byte(sv[0], KQ_CHILD_MS));
	KQ_OPEN(kq);
	for (i = 0; i < USER_LIMIT - 10; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kq_send_byte(sv[0], 'g'));
	KQ_WAIT_CHILD(pid);
	close(kq);
	close(sv[0]);
}

/* The limit applies to root as well, and raising it takes effect at once. */
TEST_F(lim, limit_changes_apply)
{
	int kq, i;

	NEED_PARAM(self->have_knotes, "max_user_knotes");
	ASSERT_EQ(0, kq_param_write("max_user_knotes", 10));
	KQ_OPEN(kq);
	for (i = 0; i < 10; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOMEM, 10, EVFILT_USER, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(0, kq_param_write("max_user_knotes", 12));
	KQ_CHANGE_OK(kq, 10, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 11, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_ERR(kq, ENOMEM, 12, EVFILT_USER, EV_ADD, 0, 0, NULL);
	/* Lowered below the count: nothing new, the existing ones stay. */
	ASSERT_EQ(0, kq_param_write("max_user_knotes", 5));
	KQ_CHANGE_ERR(kq, ENOMEM, 12, EVFILT_USER, EV_ADD, 0, 0, NULL);
	KQ_CHANGE_OK(kq, 11, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	{
		struct kevent ev;

		KQ_GET_ONE(kq, &ev, 0);
		KQ_EXPECT_KEV(&ev, 11, EVFILT_USER);
	}
	close(kq);
}

TEST_F(lim, param_permissions)
{
	struct stat st;
	pid_t pid;

	NEED_PARAM(self->have_knotes, "max_user_knotes");
	ASSERT_EQ(0, stat(KQ_PARAM_DIR "max_user_knotes", &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	ASSERT_EQ(0, stat(KQ_PARAM_DIR "max_timers", &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	ASSERT_EQ(0, stat(KQ_PARAM_DIR "max_user_timers", &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	/* given at load time only */
	ASSERT_EQ(0, stat(KQ_PARAM_DIR "close_probe", &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long long v;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
		KQ_CHILD_CHECK(kq_param_read("max_user_knotes", &v) == 0);
		KQ_CHILD_CHECK_ERR(open(KQ_PARAM_DIR "max_user_knotes", O_WRONLY),
		       EACCES);
		KQ_CHILD_CHECK_ERR(open(KQ_PARAM_DIR "max_timers", O_WRONLY), EACCES);
		KQ_CHILD_CHECK_ERR(open(KQ_PARAM_DIR "max_user_timers", O_WRONLY),
		       EACCES);
		KQ_CHILD_CHECK_ERR(open(KQ_PARAM_DIR "close_probe", O_WRONLY), EACCES);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
}

TEST_F_TIMEOUT(lim, timer_limit, 60)
{
	int kq, kq2, i;

	NEED_PARAM(self->have_timers, "max_timers");
	ASSERT_EQ(0, kq_param_write("max_timers", TIMER_LIMIT));
	KQ_OPEN(kq);
	for (i = 0; i < TIMER_LIMIT; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60,
			     NULL);
	KQ_CHANGE_ERR(kq, ENOMEM, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60,
		      NULL);
	/* Across kqueues. */
	KQ_OPEN(kq2);
	KQ_CHANGE_ERR(kq2, ENOMEM, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS,
		      60, NULL);
	/* Other filters are not timers. */
	KQ_CHANGE_OK(kq2, 100, EVFILT_USER, EV_ADD, 0, 0, NULL);
	/* Re-arming an existing timer is fine. */
	KQ_CHANGE_OK(kq, 0, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 30, NULL);
	/* Deleting one makes room for one. */
	KQ_CHANGE_OK(kq, 0, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60, NULL);
	KQ_CHANGE_ERR(kq2, ENOMEM, 101, EVFILT_TIMER, EV_ADD, NOTE_SECONDS,
		      60, NULL);
	/* A oneshot timer that fired is gone and counts no more. */
	KQ_CHANGE_OK(kq, 1, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	KQ_CHANGE_OK(kq2, 101, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1, NULL);
	{
		struct kevent ev;

		KQ_GET_ONE(kq2, &ev, KQ_WAIT_MS);
		KQ_EXPECT_KEV(&ev, 101, EVFILT_TIMER);
	}
	KQ_CHANGE_OK(kq2, 102, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60, NULL);
	KQ_CHANGE_ERR(kq2, ENOMEM, 103, EVFILT_TIMER, EV_ADD, NOTE_SECONDS,
		      60, NULL);
	/* Closing a kqueue frees its timers. */
	close(kq);
	KQ_OPEN(kq);
	for (i = 0; i < TIMER_LIMIT - 2; i++)
		KQ_CHANGE_OK(kq, i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60,
			     NULL);
	KQ_CHANGE_ERR(kq, ENOMEM, 100, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 60,
		      NULL);
	close(kq2);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* EVFILT_PROC permissions.                                            */

/*
 * max_user_bytes: 1 byte leaves no room for a knote (ENOMEM); 16 KiB for
 * some, then ENOMEM (the last credit is the knote's own bytes, not a
 * page); back at the old limit, every add works again.
 */
TEST(user_bytes_limit)
{
	int kq, i, first_err = 0, fitted = 0, err_1byte, after;
	long long old;

	if (kq_param_read("max_user_bytes", &old))
		SKIP(return, "no max_user_bytes parameter");
	kq = kqueue();
	ASSERT_LE(0, kq);
	ASSERT_EQ(0, kq_param_write("max_user_bytes", 1));
	err_1byte = kq_change(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL) ? errno : 0;
	ASSERT_EQ(0, kq_param_write("max_user_bytes", 16384));
	for (i = 2; i < 2000; i++) {
		if (kq_change(kq, i, EVFILT_USER, EV_ADD, 0, 0, NULL)) {
			first_err = errno;
			break;
		}
		fitted++;
	}
	ASSERT_EQ(0, kq_param_write("max_user_bytes", old));
	after = kq_change(kq, 5000, EVFILT_USER, EV_ADD, 0, 0, NULL) ? errno : 0;
	close(kq);
	EXPECT_EQ(ENOMEM, err_1byte);
	EXPECT_LT(0, fitted);
	EXPECT_EQ(ENOMEM, first_err) TH_LOG("%d knotes fitted in 16 KiB", fitted);
	EXPECT_EQ(0, after);
}

TEST(proc_other_user_eacces)
{
	pid_t pid, parent = getpid();

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		pid_t c;
		int kq, st;

		alarm(KQ_CHILD_ALARM);
		KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		/* init and the (root) test process: not ours. */
		KQ_CHILD_CHECK_ERR(kq_change(kq, 1, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
				  NULL), EACCES);
		KQ_CHILD_CHECK_ERR(kq_change(kq, parent, EVFILT_PROC, EV_ADD,
				  NOTE_EXIT | NOTE_FORK | NOTE_EXEC, 0, NULL),
		       EACCES);
		KQ_CHILD_CHECK_ERR(kq_change(kq, parent, EVFILT_PROC, EV_ADD,
				  NOTE_EXIT | NOTE_TRACK, 0, NULL), EACCES);
		/* Nothing was registered. */
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		KQ_CHILD_CHECK_ERR(kq_change(kq, 1, EVFILT_PROC, EV_DELETE, 0, 0, NULL),
		       ENOENT);
		/* Our own child: fine, and its exit arrives. */
		c = fork();
		KQ_CHILD_CHECK(c >= 0);
		if (c == 0) {
			usleep(100000);
			_exit(7);
		}
		KQ_CHILD_CHECK(kq_change(kq, c, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
			      NULL) == 0);
		{
			struct timespec ts = kq_ms(KQ_WAIT_MS);

			KQ_CHILD_CHECK(kevent(kq, NULL, 0, &ev, 1, &ts) == 1);
		}
		KQ_CHILD_CHECK(ev.ident == (uintptr_t)c && (ev.fflags & NOTE_EXIT));
		KQ_CHILD_CHECK(WIFEXITED((int)ev.data) && WEXITSTATUS((int)ev.data) == 7);
		KQ_CHILD_CHECK(waitpid(c, &st, 0) == c);
		/* Ourselves: fine. */
		KQ_CHILD_CHECK(kq_change(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0,
			      NULL) == 0);
		KQ_CHILD_CHECK(close(kq) == 0);
		_exit(0);
	}
	KQ_WAIT_CHILD(pid);
}

/* Root may watch anyone (CAP_SYS_PTRACE). */
TEST(proc_root_may_watch_init)
{
	int kq;

	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	KQ_CHECK_NONE(kq);
	close(kq);
}

/* ------------------------------------------------------------------ */
/* EVFILT_SIGNAL counts the watcher's own signals only.                */

static void ign(int sig)
{
	signal(sig, SIG_IGN);
}

TEST(signal_counts_own_process_only)
{
	int sv[2];
	pid_t pid, other;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Another unprivileged process that receives SIGUSR1 too. */
	other = fork();
	ASSERT_LE(0, other);
	if (other == 0) {
		alarm(KQ_CHILD_ALARM);
		ign(SIGUSR1);
		KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
		pause();
		_exit(0);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kevent ev;
		int kq;

		alarm(KQ_CHILD_ALARM);
		close(sv[0]);
		ign(SIGUSR1);
		KQ_CHILD_CHECK(kq_drop_to_nobody() == 0);
		kq = kqueue();
		KQ_CHILD_CHECK(kq >= 0);
		KQ_CHILD_CHECK(kq_change(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD | EV_CLEAR, 0,
			      0, NULL) == 0);
		KQ_CHILD_CHECK(kq_send_byte(sv[1], 'r') == 0);
		/* Meanwhile others get SIGUSR1: not counted here. */
		KQ_CHILD_CHECK(kq_recv_byte(sv[1], KQ_CHILD_MS) == 's');
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		/* Our own, even ignored: counted. */
		KQ_CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
		KQ_CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 1);
		KQ_CHILD_CHECK(ev.ident == SIGUSR1 && ev.filter == EVFILT_SIGNAL &&
		   ev.data == 2);
		/* An unprivileged user cannot signal root's processes. */
		KQ_CHILD_CHECK_ERR(kill(1, SIGUSR1), EPERM);
		KQ_CHILD_CHECK(kq_poll(kq, &ev, 1, 0) == 0);
		KQ_CHILD_CHECK(close(kq) == 0);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ('r', kq_recv_byte(sv[0], KQ_CHILD_MS));
	/* The test process, another user's process, the same user's other. */
	ign(SIGUSR1);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(other, SIGUSR1));
	ASSERT_EQ(0, kill(other, SIGUSR1));
	ASSERT_EQ(0, kq_send_byte(sv[0], 's'));
	KQ_WAIT_CHILD(pid);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	close(sv[0]);
}

TEST_HARNESS_MAIN
