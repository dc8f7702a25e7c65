// SPDX-License-Identifier: GPL-2.0
/*
 * The module comes and goes.  Removing it must be safe whatever is still
 * pending: sweeps queued by close(), teardowns queued by exits, timers,
 * deferred wakeups.  And a module loaded with close_probe=0 (the mode of
 * a kernel where the close path cannot be probed) pins nothing: a closed
 * descriptor's file is released by the next kevent() a second later, and
 * an exit leaves no knote behind.
 *
 * The close probe is disarmed a second after the last kqueue closes, and
 * armed again by the next one: a descriptor closed then still loses its
 * knotes before close() returns, whenever the kqueue came.
 *
 * The test removes and re-inserts the module it finds in /lib/kq (where
 * the test VM puts it; KQ_MODULE_PATH overrides), and always leaves it
 * loaded with default parameters.  A crash of the race shows as a guest
 * panic, which fails the whole VM run.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "kq_children.h"
#include "kq_modload.h"

#ifndef SYS_close_range
#define SYS_close_range	436
#endif

#define RACE_SECONDS	12
#define CHURNERS	2
#define IN_FLIGHT	4

static void move_fd(int fd, int to)
{
	if (fd != to) {
		dup2(fd, to);
		close(fd);
	}
}

/*
 * One short-lived kqueue user.  Descriptors: 20 the TCP peer (kept), 21
 * and 22 a pipe, 23 a TCP socket whose close lingers (its peer reads
 * nothing), 24 the kqueue.  Then by mode: close_range() over 21..24 (the
 * sweep of the pipe is still pending while the socket lingers and the
 * kqueue goes), exit with everything open, or close the kqueue first.
 */
static void kq_user(int mode)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 3 };
	struct kevent ch[6];
	int p[2], sv[2], kq;

	alarm(KQ_CHILD_ALARM);
	kq = kqueue();
	if (kq < 0)
		_exit(0);	/* unloaded just now */
	if (pipe(p) || kq_tcp_pair(sv))
		_exit(2);
	move_fd(sv[1], 20);
	move_fd(p[0], 21);
	move_fd(p[1], 22);
	move_fd(sv[0], 23);
	move_fd(kq, 24);
	kq_set_nonblock(23);
	kq_fill_until_full(23);
	setsockopt(23, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	EV_SET(&ch[0], 21, EVFILT_READ, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[1], 22, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[2], 23, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	EV_SET(&ch[3], 1, EVFILT_TIMER, EV_ADD, 0, 1, NULL);
	EV_SET(&ch[4], 2, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	EV_SET(&ch[5], SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0, NULL);
	kevent(24, ch, 6, NULL, 0, NULL);
	signal(SIGUSR1, SIG_IGN);
	kill(getpid(), SIGUSR1);
	switch (mode) {
	case 0:
		syscall(SYS_close_range, 21, ~0U, 0);
		break;
	case 1:
		break;
	default:
		close(24);
		usleep(1000);
	}
	_exit(0);
}

/*
 * Start kqueue users until the deadline: churner 0 one at a time, each
 * closing with a lingering socket (while it lingers no other kqueue may
 * exist, or the module could not go), the others IN_FLIGHT at a time,
 * exiting or closing their kqueue first.
 */
static void churn(int id, long long deadline)
{
	int n = 0, i = 0, most = id ? IN_FLIGHT : 1;

	alarm(RACE_SECONDS + KQ_CHILD_ALARM);
	while (kq_now_ms() < deadline) {
		pid_t c = fork();

		if (c == 0)
			kq_user(id ? 1 + i % 2 : 0);
		if (c > 0)
			n++;
		i++;
		if (n >= most && wait(NULL) > 0)
			n--;
		if (id)
			usleep(20000);	/* gaps for the removals */
	}
	while (wait(NULL) > 0)
		;
	_exit(0);
}

FIXTURE(reload) {
	int found;
};

FIXTURE_SETUP(reload)
{
	self->found = !find_module();
	signal(SIGPIPE, SIG_IGN);
}

/* Whatever happened, leave the module loaded as it was found. */
FIXTURE_TEARDOWN(reload)
{
	if (!self->found)
		return;
	if (!mod_loaded() && mod_load(""))
		TH_LOG("re-inserting %s: %s", module_path, strerror(errno));
}

#define NEED_MODULE() do {						\
	if (!self->found)						\
		SKIP(return, "no module file in /lib/kq (not in the test VM)"); \
	ASSERT_TRUE(mod_loaded());					\
} while (0)

TEST_F_TIMEOUT(reload, unload_races_closes_exits_timers, 240)
{
	long long deadline = kq_now_ms() + RACE_SECONDS * 1000;
	pid_t ch[CHURNERS];
	int i, unloads = 0, tries = 0, kq, st, nch = CHURNERS;
	long long slowest = 0;

	NEED_MODULE();
	if (getenv("KQ_RELOAD_CHURNERS"))
		nch = atoi(getenv("KQ_RELOAD_CHURNERS"));
	ASSERT_TRUE(nch >= 1 && nch <= CHURNERS);
	for (i = 0; i < nch; i++) {
		ch[i] = fork();
		ASSERT_LE(0, ch[i]);
		if (ch[i] == 0)
			churn(i, deadline);
	}
	while (kq_now_ms() < deadline) {
		long long t0 = kq_now_ms();

		tries++;
		if (mod_unload() == 0) {
			unloads++;
			if (kq_now_ms() - t0 > slowest)
				slowest = kq_now_ms() - t0;
			/*
			 * It waited for sweeps: leave a second for anything
			 * they queued to fire into the freed module.
			 */
			if (kq_now_ms() - t0 > 1500)
				usleep(1200 * 1000);
			ASSERT_EQ(0, mod_load(""))
				TH_LOG("re-inserting: %s", strerror(errno));
		} else {
			ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
				TH_LOG("delete_module: %s", strerror(errno));
			usleep(tries % 7 * 150);
		}
	}
	for (i = 0; i < nch; i++)
		ASSERT_EQ(0, kq_wait_child(ch[i], &st, KQ_CHILD_MS));
	/* a removal that waited for a lingering close's sweeps is slow */
	TH_LOG("%d removals in %d tries while kqueues came and went; slowest %lld ms",
	       unloads, tries, slowest);
	EXPECT_LT(0, unloads);
	/* and it works */
	if (!mod_loaded())
		ASSERT_EQ(0, mod_load(""));
	KQ_OPEN(kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	{
		struct kevent ev;

		KQ_GET_ONE(kq, &ev, 0);
		KQ_EXPECT_KEV(&ev, 1, EVFILT_USER);
	}
	close(kq);
}

static int param_is(const char *name, char want)
{
	char path[256], c = 0;
	int fd;

	snprintf(path, sizeof(path), KQ_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == want;
}

TEST_F_TIMEOUT(reload, without_close_probe_nothing_stays_pinned, 120)
{
	const struct timespec zero = { 0, 0 };
	struct kevent ev;
	int kq, p[2], st;
	pid_t pid;

	NEED_MODULE();
	ASSERT_EQ(0, mod_unload_wait(10000));
	ASSERT_EQ(0, mod_load("close_probe=0"));
	ASSERT_TRUE(param_is("close_probe", 'N'));

	/* a closed descriptor's file goes at the next kevent() */
	KQ_OPEN(kq);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
	ASSERT_EQ(1, kq_read_live("live_knotes"));
	ASSERT_EQ(0, close(p[0]));
	/* the knote still holds the read end: a writer sees a reader */
	ASSERT_EQ(1, write(p[1], "x", 1));
	usleep(1100 * 1000);
	ASSERT_EQ(0, kevent(kq, NULL, 0, &ev, 1, &zero));
	EXPECT_EQ(0, kq_read_live("live_knotes"));
	EXPECT_EQ(-1, write(p[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	close(p[1]);
	close(kq);

	/* a process that exits with watched descriptors leaves nothing */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int k = kqueue(), q[2];

		KQ_CHILD_CHECK(k >= 0 && pipe(q) == 0);
		KQ_CHILD_CHECK(kq_change(k, q[0], EVFILT_READ, EV_ADD, 0, 0, NULL) == 0);
		KQ_CHILD_CHECK(kq_change(k, q[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL) == 0);
		KQ_CHILD_CHECK(kq_change(k, 1, EVFILT_TIMER, EV_ADD, 0, 5, NULL) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kq_wait_child(pid, &st, KQ_CHILD_MS));
	EXPECT_EQ(0, kq_param_wait("live_knotes", 0, 5000));
	EXPECT_EQ(0, kq_param_wait("live_kqueues", 0, 5000));

	/* back to the default */
	ASSERT_EQ(0, mod_unload_wait(10000));
	ASSERT_EQ(0, mod_load(""));
	EXPECT_TRUE(param_is("close_probe", 'Y'));
}

TEST_F_TIMEOUT(reload, close_probe_armed_after_idle, 60)
{
	static const int idle_ms[] = { 950, 1000, 1020, 1050, 1100, 1500 };
	unsigned int i;
	int kq, p[2];

	NEED_MODULE();
	ASSERT_EQ(0, mod_unload_wait(10000));
	ASSERT_EQ(0, mod_load(""));
	for (i = 0; i < sizeof(idle_ms) / sizeof(idle_ms[0]); i++) {
		/* no kqueue: the disarm comes about a second after the last */
		KQ_OPEN(kq);
		close(kq);
		usleep(idle_ms[i] * 1000);
		KQ_OPEN(kq);
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
		KQ_CHANGE_OK(kq, p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
		ASSERT_EQ(1, kq_read_live("live_knotes"));
		ASSERT_EQ(0, close(p[0]));
		EXPECT_EQ(0, kq_read_live("live_knotes"))
			TH_LOG("after %d ms without a kqueue", idle_ms[i]);
		close(p[1]);
		close(kq);
	}
}

TEST_HARNESS_MAIN
