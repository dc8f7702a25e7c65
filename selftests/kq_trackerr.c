// SPDX-License-Identifier: GPL-2.0
/*
 * NOTE_TRACKERR: a NOTE_TRACK knote whose child could not be tracked
 * reports NOTE_TRACKERR (FreeBSD: "could not track child"), and the child
 * has no knote.  Two places can fail: the child's watch, made by the fork
 * probe in the forking process (an atomic allocation), and the child's
 * knote, made by the owner's kevent().  With fail-nth (kq_failnth.h) each
 * fault site of the fork(), then of the kevent(), fails in turn; every
 * fork that worked gives either a NOTE_CHILD knote for the child or
 * NOTE_TRACKERR, never neither, and at some site NOTE_TRACKERR.
 *
 * Needs fail-nth and failslab (the 6.1-debug kernel); elsewhere SKIP.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "kq_children.h"
#include "kq_failnth.h"
#include "kq_module.h"

#define MAX_SITES	400	/* fault sites a fork() or kevent() may pass */

/* What the tracking knote on ourselves said about one child (bits). */
enum outcome { O_NONE, O_CHILD, O_TRACKERR, O_BOTH };

/* Note what @n events say about @child: NOTE_CHILD, NOTE_TRACKERR on us. */
static void scan(const struct kevent *ev, int n, pid_t child, int *seen)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ev[i].filter != EVFILT_PROC)
			continue;
		if (ev[i].ident == (uintptr_t)child && (ev[i].fflags & NOTE_CHILD))
			*seen |= O_CHILD;
		if (ev[i].ident == (uintptr_t)getpid() &&
		    (ev[i].fflags & NOTE_TRACKERR))
			*seen |= O_TRACKERR;
	}
}

/* Harvest everything pending; what it says about @child. */
static int harvest(int kq, pid_t child, int seen)
{
	struct kevent ev[8];
	int n;

	while ((n = kq_poll(kq, ev, 8, 0)) > 0)
		scan(ev, n, child, &seen);
	return seen;
}

/* No knote for @child (it could not be tracked). */
static int no_knote(int kq, pid_t child)
{
	return kq_change(kq, child, EVFILT_PROC, EV_DELETE, 0, 0, NULL) == -1 &&
	       errno == ENOENT;
}

/* A child that exits at once, reaped; its pid, or -1 if fork() failed. */
static pid_t fork_and_reap(int fail_at, long *left)
{
	pid_t pid;
	int st;

	nth_write(fail_at);
	pid = fork();
	if (pid == 0)
		_exit(0);
	*left = nth_read();
	nth_write(0);
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		return -2;
	return pid;
}

/* The fork probe's allocations of the child's watch fail. */
TEST(child_watch_not_made_at_fork)
{
	int kq, n, trackerr = 0, forks = 0;
	long left = 1;
	int o;
	pid_t pid;

	if (nth_open())
		SKIP(return, NO_FAILNTH);
	kq = kqueue();
	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK, 0, NULL);
	for (n = 1; n <= MAX_SITES && !trackerr; n++) {
		pid = fork_and_reap(n, &left);
		ASSERT_NE(-2, pid);
		if (pid < 0)
			continue;	/* the fork itself failed: ENOMEM */
		if (left > 0)
			break;		/* it passed fewer than n sites */
		forks++;
		o = harvest(kq, pid, O_NONE);
		ASSERT_NE(O_NONE, o) TH_LOG("fault %d: the child %d was neither tracked nor reported", n, pid);
		if (o == O_TRACKERR) {
			trackerr = n;
			EXPECT_TRUE(no_knote(kq, pid));
		}
	}
	TH_LOG("%d forks worked; NOTE_TRACKERR at fault site %d", forks, trackerr);
	EXPECT_NE(0, trackerr);
	/* and tracking goes on */
	pid = fork_and_reap(0, &left);
	ASSERT_LT(0, pid);
	EXPECT_EQ(O_CHILD, harvest(kq, pid, O_NONE));
	faults_restore();
	close(kq);
}

/* The owner's kevent() cannot make the child's knote. */
TEST(child_knote_not_made_at_harvest)
{
	int kq, n, trackerr = 0, r;
	long left = 1;
	struct kevent ev[8];
	int o;
	pid_t pid;

	if (nth_open())
		SKIP(return, NO_FAILNTH);
	kq = kqueue();
	ASSERT_LE(0, kq);
	KQ_CHANGE_OK(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK, 0, NULL);
	for (n = 1; n <= MAX_SITES && !trackerr; n++) {
		pid = fork_and_reap(0, &left);
		ASSERT_LT(0, pid);
		nth_write(n);
		r = kq_poll(kq, ev, 8, 0);
		left = nth_read();
		nth_write(0);
		if (left > 0)
			break;		/* it passed fewer than n sites */
		/* what a faulted call could not write is still pending */
		r = r > 0 ? r : 0;
		o = O_NONE;
		scan(ev, r, pid, &o);
		o = harvest(kq, pid, o);
		ASSERT_NE(O_NONE, o) TH_LOG("fault %d: the child %d was neither tracked nor reported", n, pid);
		if (o == O_TRACKERR) {
			trackerr = n;
			EXPECT_TRUE(no_knote(kq, pid));
		}
	}
	TH_LOG("NOTE_TRACKERR at fault site %d", trackerr);
	EXPECT_NE(0, trackerr);
	faults_restore();
	close(kq);
}

TEST_HARNESS_MAIN
