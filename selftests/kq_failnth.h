/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fail-nth (/proc/thread-self/fail-nth): the Nth fault site this thread
 * passes fails (a slab or page allocation, a user copy), whatever the
 * fault attributes' probabilities.  faults_setup() makes every attribute
 * it may hit quiet and lets failslab fail sleeping allocations too; the
 * 6.1-debug kernel has them, the stock kernels do not (tests SKIP).
 */
#ifndef KQ_FAILNTH_H
#define KQ_FAILNTH_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAULT_DIRS	{ "/sys/kernel/debug/failslab/", \
			  "/sys/kernel/debug/fail_page_alloc/", \
			  "/sys/kernel/debug/fail_usercopy/" }
#define NFAULT_DIRS	3

static int nth_fd = -1;	/* FAIL_NTH, opened by nth_open() */

static inline int nth_write(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -1;
}

/* What is left of the count: 0 once the fault was injected. */
static inline long nth_read(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static inline int dbg_rw(const char *path, char *old, size_t len, const char *val)
{
	ssize_t n;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (old) {
		n = pread(fd, old, len - 1, 0);
		old[n > 0 ? n : 0] = 0;
	}
	n = pwrite(fd, val, strlen(val), 0);
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * Every fault attribute fail-nth may hit: quiet (verbose 0), and failslab
 * failing sleeping allocations too (by default it fails only atomic ones).
 */
static char saved_verbose[NFAULT_DIRS][16], saved_gfp_wait[16];

static inline int faults_setup(void)
{
	static const char *const dirs[] = FAULT_DIRS;
	char path[128];
	int i;

	for (i = 0; i < NFAULT_DIRS; i++) {
		snprintf(path, sizeof(path), "%sverbose", dirs[i]);
		saved_verbose[i][0] = 0;
		dbg_rw(path, saved_verbose[i], sizeof(saved_verbose[i]), "0");
	}
	return dbg_rw("/sys/kernel/debug/failslab/ignore-gfp-wait",
		      saved_gfp_wait, sizeof(saved_gfp_wait), "N");
}

static inline void faults_restore(void)
{
	static const char *const dirs[] = FAULT_DIRS;
	char path[128];
	int i;

	for (i = 0; i < NFAULT_DIRS; i++) {
		snprintf(path, sizeof(path), "%sverbose", dirs[i]);
		if (saved_verbose[i][0])
			dbg_rw(path, NULL, 0, saved_verbose[i]);
	}
	if (saved_gfp_wait[0])
		dbg_rw("/sys/kernel/debug/failslab/ignore-gfp-wait", NULL, 0,
		       saved_gfp_wait);
}

/* Open fail-nth and set the attributes up; -1 where there are none. */
static inline int nth_open(void)
{
	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0 || faults_setup())
		return -1;
	return 0;
}

#define NO_FAILNTH "no " FAIL_NTH " or failslab in debugfs: needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS and debugfs (the 6.1-debug kernel)"

#endif
