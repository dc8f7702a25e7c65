// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: fault injection (fail-nth: one allocation, or one user copy,
 * of a kqueue call failed on purpose) and the module's limits lowered for a few
 * calls.  main sets the knobs up and restores them.
 */
#include "kq-fuzz.h"

static const char failslab_dir[] = "/sys/kernel/debug/failslab";
__thread bool fault_armed;
static bool can_fail;		/* failslab configured by main: fail-nth works */

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static bool read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

/*
 * One kqueue operation with its Nth slab allocation failing
 * (/proc/thread-self/fail-nth): error paths, and what they leak.  Only
 * calls whose allocations are mostly the module's: kevent(), kqueue(),
 * close() and dup2() (knotes dropped).  On a kernel with fail_usercopy
 * (6.1-debug) fail-nth counts every copy from and to user space too, so
 * the failure may be a copy's, and one still armed when the operation
 * ends would fail the next copy: a signal handler's rt_sigreturn (the
 * process dies of a "bad frame").  So signals wait until it is disarmed:
 * after the write of "0" it is, the copy of that write failing or not.
 * The descriptor lives above the fuzzed range: another thread's close(),
 * dup2() or close_range() there would leave it armed (a worker died so,
 * at the end of a guided hour).
 */
void op_fault(void)
{
	static const enum op victims[] = { OP_KEVENT, OP_KEVENT, OP_KEVENT64,
					   OP_KEVENT_DARWIN, OP_NEW_KQUEUE,
					   OP_CLOSE, OP_DUP };
	enum op victim = PICK(victims);
	char nth[16], left[16] = "";
	sigset_t all, old;
	int low, fd;

	if (!can_fail)
		return;
	low = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (note(OP_FAULT, low) < 0)
		return;
	fd = fcntl(low, F_DUPFD_CLOEXEC, FAIL_NTH_FD);
	close(low);
	if (fd < 0)
		return;
	snprintf(nth, sizeof(nth), "%d", 1 + (int)below(chance(70) ? 4 : 40));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (write(fd, nth, strlen(nth)) > 0) {
		count(&st->ops[victim]);
		fault_armed = true;
		ops[victim].fn();
		fault_armed = false;
		if (pread(fd, left, sizeof(left) - 1, 0) > 0 && atoi(left) == 0)
			count(&st->faults_injected);
		if (pwrite(fd, "0", 1, 0) < 0)
			(void)0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fd);
}

/* The module's limits, lowered for a few kevent() calls (of every thread). */
static const char *const limits[] = { "max_user_knotes", "max_user_timers", "max_timers" };
static char limit_orig[3][32];

void op_limits(void)
{
	static const char *const low[] = { "0", "1", "4", "64", "1000" };
	unsigned i = below(3);
	char path[128];

	int n;

	if (!limit_orig[i][0])
		return;
	snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
	if (note(OP_LIMITS, write_file(path, PICK(low)) ? 0 : -1) < 0)
		return;
	for (n = 1 + below(4); n > 0; n--)
		op_kevent();
	write_file(path, limit_orig[i]);	/* main restores them at the end too */
}

/*
 * fail-nth reaches fail_usercopy and fail_page_alloc too (6.1-debug):
 * their stack dump for every failure would flood the console.
 */
static const char *const points[] = { "/sys/kernel/debug/fail_usercopy/verbose",
				       "/sys/kernel/debug/fail_page_alloc/verbose" };
static char verbose_orig[2][16];

static void quiet_points(bool quiet)
{
	unsigned i;

	for (i = 0; i < 2; i++)
		if (quiet && read_file(points[i], verbose_orig[i], sizeof(verbose_orig[i])))
			write_file(points[i], "0");
		else if (!quiet && verbose_orig[i][0])
			write_file(points[i], verbose_orig[i]);
}

/* main: remember the limits; configure failslab for fail-nth only (or turn "fault" off). */
void setup_knobs(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (!read_file(path, limit_orig[i], sizeof(limit_orig[i])))
			limit_orig[i][0] = '\0';
	}
	/*
	 * Probability 0: nothing fails at random; fail-nth fails exactly one
	 * allocation of the one thread that asked, sleeping ones included.
	 */
	snprintf(path, sizeof(path), "%s/probability", failslab_dir);
	can_fail = write_file(path, "0");
	snprintf(path, sizeof(path), "%s/ignore-gfp-wait", failslab_dir);
	can_fail = can_fail && write_file(path, "N");
	snprintf(path, sizeof(path), "%s/verbose", failslab_dir);
	if (can_fail)
		write_file(path, "0");
	if (access("/proc/thread-self/fail-nth", W_OK))
		can_fail = false;
	quiet_points(true);
	if (!can_fail) {
		printf("kq-fuzz: note: no %s or fail-nth: no fault injection\n", failslab_dir);
		ops_off |= 1ULL << OP_FAULT;
	}
}

/* An exec'd process: the limits and failslab as main left them. */
void inherit_knobs(void)
{
	char path[128];
	int i;

	can_fail = !access("/proc/thread-self/fail-nth", W_OK) &&
		   read_file("/sys/kernel/debug/failslab/ignore-gfp-wait", path, sizeof(path)) &&
		   path[0] == 'N';
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (!read_file(path, limit_orig[i], sizeof(limit_orig[i])))
			limit_orig[i][0] = '\0';
	}
}

void restore_knobs(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", counters_dir, limits[i]);
		if (limit_orig[i][0])
			write_file(path, limit_orig[i]);
	}
	snprintf(path, sizeof(path), "%s/ignore-gfp-wait", failslab_dir);
	if (can_fail)
		write_file(path, "Y");
	quiet_points(false);
}
