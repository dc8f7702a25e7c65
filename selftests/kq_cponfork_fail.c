// SPDX-License-Identifier: GPL-2.0
/*
 * KQUEUE_CPONFORK when the copy meets a failed allocation: with fail-nth
 * (kq_failnth.h) each fault site of the parent's fork() fails in turn (the
 * fork itself, the fork probe, then the copy made in the parent's task
 * work: the kqueue, its table, each knote and its Darwin extension).  The
 * fork works or fails with ENOMEM; in a child, the kqueue's descriptor is
 * a copy or, if that could not be made, closed (EBADF); each knote of a
 * copy is there with its event and its ext[], or absent (ENOENT), never
 * half made.  The parent's kqueue is untouched, and once the children are
 * gone live_kqueues and live_knotes are back where they were.
 *
 * Needs fail-nth and failslab (the 6.1-debug kernel); elsewhere SKIP.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "kq_children.h"
#include "kq_failnth.h"
#include "kq_module.h"

#define MAX_SITES	600
#define NKNOTES		3

/* In the child: what its copy of @kq holds; exits 0 if consistent. */
static void child_check(int kq)
{
	struct kevent64_s ev[NKNOTES + 1];
	struct kevent64_s ch;
	int n, i, seen = 0;

	n = kevent64(kq, NULL, 0, ev, NKNOTES + 1, KEVENT_FLAG_IMMEDIATE, NULL);
	if (n < 0)
		_exit(errno == EBADF ? 0 : 1);	/* no copy */
	for (i = 0; i < n; i++) {
		/* each event a whole knote's: its ident, its ext[] */
		if (ev[i].filter != EVFILT_USER || ev[i].ident < 1 ||
		    ev[i].ident > NKNOTES || ev[i].ext[0] != 100 + ev[i].ident ||
		    (seen & (1 << ev[i].ident)))
			_exit(2);
		seen |= 1 << ev[i].ident;
	}
	/* a knote without its event is not there at all */
	for (i = 1; i <= NKNOTES; i++) {
		if (seen & (1 << i))
			continue;
		EV_SET64(&ch, i, EVFILT_USER, EV_DELETE, 0, 0, 0, 0, 0);
		if (kevent64(kq, &ch, 1, NULL, 0, 0, NULL) != -1 ||
		    errno != ENOENT)
			_exit(3);
	}
	_exit(0);
}

TEST(copy_fails_whole_or_not_at_all)
{
	int kq, n, i, st, forks = 0, failed = 0;
	long kqs0, knotes0, left = 0;
	struct kevent64_s ch;
	pid_t pid;

	if (nth_open())
		SKIP(return, NO_FAILNTH);
	kq = kqueuex(KQUEUE_CPONFORK);
	ASSERT_LE(0, kq);
	for (i = 1; i <= NKNOTES; i++) {
		EV_SET64(&ch, i, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, 0,
			 100 + i, 0);
		ASSERT_EQ(0, kevent64(kq, &ch, 1, NULL, 0, 0, NULL));
	}
	kqs0 = kq_read_live("live_kqueues");
	knotes0 = kq_read_live("live_knotes");
	for (n = 1; n <= MAX_SITES; n++) {
		nth_write(n);
		pid = fork();
		if (pid == 0) {
			alarm(KQ_CHILD_ALARM);
			child_check(kq);
		}
		left = nth_read();
		nth_write(0);
		if (pid < 0) {
			failed++;
			ASSERT_TRUE(errno == ENOMEM || errno == EAGAIN);
			continue;
		}
		forks++;
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("fault %d: the child's copy was inconsistent (%#x)", n, st);
		if (left > 0)
			break;	/* the fork passed fewer than n sites */
	}
	TH_LOG("%d sites: %d forks failed, %d worked", n, failed, forks);
	EXPECT_LT(0, left);
	/* ours is whole: the three events */
	ASSERT_EQ(NKNOTES, kevent64(kq, NULL, 0, (struct kevent64_s[NKNOTES + 1]){},
				    NKNOTES + 1, KEVENT_FLAG_IMMEDIATE, NULL));
	for (i = 0; i < 100 && (kq_read_live("live_kqueues") != kqs0 ||
				kq_read_live("live_knotes") != knotes0); i++)
		usleep(20000);
	EXPECT_EQ(kqs0, kq_read_live("live_kqueues"));
	EXPECT_EQ(knotes0, kq_read_live("live_knotes"));
	faults_restore();
	close(kq);
}

TEST_HARNESS_MAIN
