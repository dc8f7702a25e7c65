// SPDX-License-Identifier: GPL-2.0
/*
 * The watch rule and user namespaces.  A process that may not read another
 * by its ids (it made itself non-dumpable, and is no child of the watcher)
 * may still be watched by one with CAP_SYS_PTRACE in the namespace that
 * owns its credentials: the root of a user namespace watches the processes
 * of that namespace, and never those outside it.  As uid 1000 (the test
 * needs root to become it) on a kernel with CONFIG_USER_NS.
 */
#include "kq_users.h"
#include <sys/prctl.h>

/* Exit codes of the watcher: the step that went wrong. */
enum {
	STEP_OK, STEP_BECOME, STEP_SPAWN, STEP_KQUEUE, STEP_OUTSIDE_BEFORE, STEP_UNSHARE,
	STEP_MAP, STEP_OUTSIDE_AFTER, STEP_INSIDE_ADD, STEP_INSIDE_EXIT,
};

static const char *const step[] = {
	"ok", "becoming uid 1000", "spawning a watched process", "kqueue()",
	"a non-dumpable process of the same user was watched",
	"unshare(CLONE_NEWUSER)", "writing uid_map/gid_map",
	"the namespace's root watched a process outside its namespace",
	"the namespace's root could not watch a process of its namespace",
	"no NOTE_EXIT from the process of the namespace",
};

/*
 * A process that is not our child (its parent exits at once; it goes to
 * the test's subreaper), non-dumpable, that exits when *release closes.
 * Returns its pid, or -1.
 */
static pid_t spawn_stranger(int *release)
{
	int up[2], rel[2];
	pid_t pid = -1, a;

	if (pipe(up) || pipe(rel))
		return -1;
	a = fork();
	if (a < 0)
		return -1;
	if (a == 0) {
		pid_t b = fork();
		char c;

		if (b == 0) {
			close(rel[1]);
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
				_exit(1);
			b = getpid();
			(void)!write(up[1], &b, sizeof(b));
			(void)!read(rel[0], &c, 1);
			_exit(0);
		}
		_exit(b < 0);
	}
	close(up[1]);
	close(rel[0]);
	waitpid(a, NULL, 0);
	if (read(up[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(up[0]);
	*release = rel[1];
	return pid;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return r;
}

static int watch(int kq, pid_t pid)
{
	return kq_change(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
}

static int watcher(void)
{
	int kq, rel_out, rel_in;
	pid_t out, in;
	struct kevent ev;

	/* (setresuid() made us non-dumpable: /proc/self/uid_map root's) */
	if (kq_become(KQ_USER_A) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return STEP_BECOME;
	out = spawn_stranger(&rel_out);
	if (out < 0)
		return STEP_SPAWN;
	kq = kqueue();
	if (kq < 0)
		return STEP_KQUEUE;
	if (watch(kq, out) != -1 || errno != EACCES)
		return STEP_OUTSIDE_BEFORE;
	if (unshare(CLONE_NEWUSER))
		return STEP_UNSHARE;
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 1000 1") ||
	    write_file("/proc/self/gid_map", "0 1000 1"))
		return STEP_MAP;
	/* root here, with every capability: none of it reaches outside */
	if (watch(kq, out) != -1 || errno != EACCES)
		return STEP_OUTSIDE_AFTER;
	in = spawn_stranger(&rel_in);
	if (in < 0)
		return STEP_SPAWN;
	if (watch(kq, in))
		return STEP_INSIDE_ADD;
	close(rel_in);
	if (kq_poll(kq, &ev, 1, KQ_WAIT_MS) != 1 || ev.ident != (uintptr_t)in ||
	    !(ev.fflags & NOTE_EXIT))
		return STEP_INSIDE_EXIT;
	close(rel_out);
	return STEP_OK;
}

TEST(ns_root_watches_only_its_namespace)
{
	int status, probe;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root (to become uid %d)", KQ_USER_A);
	/* a kernel without CONFIG_USER_NS: nothing of this to test */
	probe = fork();
	ASSERT_LE(0, probe);
	if (probe == 0)
		_exit(unshare(CLONE_NEWUSER) ? 1 : 0);
	ASSERT_EQ(probe, waitpid(probe, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		SKIP(return, "unshare(CLONE_NEWUSER) fails: a kernel without CONFIG_USER_NS");
	/* the strangers' parents exit: they come to us, not to the watcher */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(watcher());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) != STEP_OK)
		TH_LOG("watcher: %s", WEXITSTATUS(status) < sizeof(step) / sizeof(step[0]) ?
		       step[WEXITSTATUS(status)] : "died");
	ASSERT_EQ(STEP_OK, WEXITSTATUS(status));
	/* the strangers, released when the watcher's pipes closed */
	while (waitpid(-1, NULL, 0) > 0)
		;
}

TEST_HARNESS_MAIN
