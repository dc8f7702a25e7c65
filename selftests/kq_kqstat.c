// SPDX-License-Identifier: GPL-2.0
/*
 * kqstat (tools/kqstat.c) shows a process's knotes exactly: filter, flags,
 * fflags and data as registered, udata, and whether each is active,
 * queued or disabled; another user's process is not readable.
 */
#include "kq_children.h"
#include "kq_users.h"

static const char *kqstat_path(void)
{
	static const char *const paths[] = {
		"/usr/bin/kqstat", "../shim/kqstat",
	};
	unsigned int i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

struct row {
	unsigned long long ident;
	char filter[32], flags[64], fflags[16], data[24], udata[24], state[32];
};

/* Run kqstat on @pid; the knote rows, the header line, the exit status. */
static int kqstat(pid_t pid, struct row *rows, int max, int *n,
		  char *header, size_t hlen)
{
	char cmd[128], line[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %d 2>&1", kqstat_path(), (int)pid);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	*n = 0;
	header[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		struct row r;

		if (line[0] != ' ') {
			if (!header[0])
				snprintf(header, hlen, "%s", line);
			continue;
		}
		if (sscanf(line, " %llu %31s %63s %15s %23s %23s %31s", &r.ident,
			   r.filter, r.flags, r.fflags, r.data, r.udata,
			   r.state) == 7 && *n < max)
			rows[(*n)++] = r;
	}
	return pclose(f);
}

static const struct row *find(const struct row *rows, int n,
			      unsigned long long ident, const char *filter)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].ident == ident && !strcmp(rows[i].filter, filter))
			return &rows[i];
	return NULL;
}

TEST(shows_a_processes_knotes)
{
	struct kevent ch[3];
	struct row rows[8];
	const struct row *r;
	char header[512], want[256];
	int kq, p[2], n, status;

	ASSERT_NE(NULL, kqstat_path());
	kq = kqueue();
	ASSERT_LE(0, kq);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	EV_SET(&ch[0], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x1234);
	EV_SET(&ch[1], 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)0xabc);
	EV_SET(&ch[2], 9, EVFILT_TIMER, EV_ADD | EV_ONESHOT | EV_DISABLE,
	       NOTE_SECONDS, 60, NULL);
	ASSERT_EQ(0, kevent(kq, ch, 3, NULL, 0, NULL));

	status = kqstat(getpid(), rows, 8, &n, header, sizeof(header));
	ASSERT_EQ(0, status) TH_LOG("kqstat: %s", header);
	snprintf(want, sizeof(want), "%d kq_kqstat fd %d: 3 knotes, 1 pending\n",
		 (int)getpid(), kq);
	EXPECT_STREQ(want, header);
	ASSERT_EQ(3, n);

	r = find(rows, n, p[0], "EVFILT_READ");
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("-", r->flags);
	EXPECT_STREQ("0x0", r->fflags);
	EXPECT_STREQ("0x1234", r->udata);
	EXPECT_STREQ("active,queued", r->state);

	r = find(rows, n, 7, "EVFILT_USER");
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("EV_CLEAR", r->flags);
	EXPECT_STREQ("0xabc", r->udata);
	EXPECT_STREQ("idle", r->state);

	r = find(rows, n, 9, "EVFILT_TIMER");
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("EV_ONESHOT|EV_CLEAR", r->flags);	/* timers: FreeBSD's */
	EXPECT_STREQ("0x1", r->fflags);		/* NOTE_SECONDS */
	EXPECT_STREQ("60", r->data);
	EXPECT_STREQ("idle,disabled", r->state);

	/* collected: no longer pending */
	{
		struct kevent ev;

		ASSERT_EQ(1, kevent(kq, NULL, 0, &ev, 1, &kq_zero));
	}
	status = kqstat(getpid(), rows, 8, &n, header, sizeof(header));
	ASSERT_EQ(0, status);
	snprintf(want, sizeof(want), "%d kq_kqstat fd %d: 3 knotes, 1 pending\n",
		 (int)getpid(), kq);	/* level-triggered: requeued */
	EXPECT_STREQ(want, header);
	close(kq);
	close(p[0]);
	close(p[1]);
}

/* fdinfo's rule: a user sees its own processes, not root's. */
TEST(another_users_process_is_not_shown)
{
	struct row rows[4];
	char header[512];
	pid_t root = getpid(), pid;
	int kq, n, status;

	ASSERT_NE(NULL, kqstat_path());
	kq = kqueue();
	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, 0, 0, NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kq_become(KQ_USER_A))
			_exit(10);
		status = kqstat(root, rows, 4, &n, header, sizeof(header));
		/* refused, with nothing shown */
		_exit(WIFEXITED(status) && WEXITSTATUS(status) == 1 && n == 0 &&
		      strstr(header, "Permission denied") ? 0 : 11);
	}
	KQ_WAIT_CHILD(pid);
	close(kq);
}

TEST_HARNESS_MAIN
