// SPDX-License-Identifier: GPL-2.0
/*
 * A module load that meets a failed allocation fails cleanly: with
 * failslab's fail-nth (/proc/thread-self/fail-nth) the Nth fault site of
 * finit_module() fails, for each N in turn from the last one back over
 * those of the module's init (its caches, the fsnotify groups, the close
 * and process probes, the signal hooks, the device).  Each load either
 * works or fails with an errno; a failed one leaves no module behind
 * (/sys/module/kqueue and /dev/kqueue gone), nothing that makes the next
 * load fail, and no kernel warning; a load that works has all its probes
 * (it gives NOTE_FORK: a tracepoint probe that could not be registered
 * once let it run without); afterwards the module loads and works.
 *
 * Leaks: 6.1's SLUB leaks a cache's kobject name when kmem_cache_create()
 * fails in sysfs_slab_add() (kobject_del() with no kobject_put(); none
 * after a failed kobject_init_and_add() either), which the sweep reaches
 * through the module's kmem_cache_create() calls.  So the test scans
 * kmemleak itself (the debug kernel has no automatic scan): every object it
 * reports must have been allocated under sysfs_slab_add(), else the test
 * fails and leaves them for the VM harness; the expected ones are cleared.
 *
 * It removes and re-inserts the module (kq_modload.h) and leaves it loaded
 * with default parameters.  Needs fail-nth and failslab in debugfs (the
 * 6.1-debug kernel); elsewhere it SKIPs.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "kq_kevent.h"
#include "kq_modload.h"
#include "kq_failnth.h"

#define UNLOAD_MS	20000
#define SWEEP_DEFAULT	600	/* fault sites back from the last one */
#define SWEEP_SECONDS	250	/* then it stops, within the test's time limit */
#define TEST_SECONDS	420
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define KERNEL_LEAK	"sysfs_slab_add"

/*
 * The module works, probes included: a triggered EVFILT_USER knote, and
 * NOTE_FORK of our own fork (the sched_process_fork tracepoint: a load
 * that could not register a probe must fail, not run without it).
 */
static int module_works(void)
{
	struct kevent ev[4];
	int kq = kqueue(), ok, st, n, i;
	pid_t pid;

	if (kq < 0)
		return 0;
	ok = !kq_change(kq, 1, EVFILT_USER, EV_ADD | EV_ONESHOT, NOTE_TRIGGER,
			0, NULL) &&
	     kq_poll(kq, ev, 4, 0) == 1 && ev[0].ident == 1 &&
	     ev[0].filter == EVFILT_USER &&
	     !kq_change(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0, NULL);
	pid = ok ? fork() : -1;
	if (pid == 0)
		_exit(0);
	ok = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid) {
		n = kq_poll(kq, ev, 4, 0);
		for (i = 0; i < n; i++)
			if (ev[i].filter == EVFILT_PROC &&
			    (ev[i].fflags & NOTE_FORK))
				ok = 1;
	}
	close(kq);
	return ok;
}

/* Write @cmd to kmemleak; 0 or -1 (none, or turned off). */
static int kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -1;
	close(fd);
	return r;
}

/*
 * Scan; the objects reported, in *total, and how many of them were not
 * allocated under KERNEL_LEAK (logged).  -1: no kmemleak.
 */
static int kmemleak_others(struct __test_metadata *_metadata, int *total)
{
	char *buf = NULL, *obj, *next;
	size_t cap = 0;
	FILE *f;
	int others = 0;

	*total = 0;
	/*
	 * kmemleak reports an object older than 5 s that two scans in a row
	 * found unreferenced and unchanged (as the VM harness scans)
	 */
	sleep(6);
	if (kmemleak_cmd("scan"))
		return -1;
	sleep(6);
	if (kmemleak_cmd("scan"))
		return -1;
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return -1;
	if (getdelim(&buf, &cap, 0, f) < 0) {
		fclose(f);
		free(buf);
		return 0;
	}
	fclose(f);
	for (obj = strstr(buf, "unreferenced object"); obj; obj = next) {
		next = strstr(obj + 1, "unreferenced object");
		if (next)
			next[-1] = 0;
		(*total)++;
		if (!strstr(obj, KERNEL_LEAK)) {
			others++;
			TH_LOG("leak:\n%s", obj);
		}
	}
	free(buf);
	return others;
}

FIXTURE(lf) {
	int unused;
};

FIXTURE_SETUP(lf)
{
}

FIXTURE_TEARDOWN(lf)
{
}

TEST_F_TIMEOUT(lf, failed_allocations_while_loading_leave_nothing, TEST_SECONDS)
{
	long sites, n, left, lowest, sweep = SWEEP_DEFAULT;
	int r, err, failed = 0, loaded = 0, leaks, others;
	long long deadline;
	const char *env = getenv("KQ_LOADFAIL_SWEEP");

	if (find_module())
		SKIP(return, "no module file in /lib/kq (KQ_MODULE_PATH): cannot reload it");
	if (nth_open())
		SKIP(return, NO_FAILNTH);
	if (env)
		sweep = strtol(env, NULL, 10);
	ASSERT_EQ(0, mod_unload_wait(UNLOAD_MS)) TH_LOG("cannot remove the module: %s", strerror(errno));

	/* how many fault sites a whole load passes */
	ASSERT_EQ(0, nth_write(1000000));
	r = mod_load("");
	err = errno;
	left = nth_read();
	nth_write(0);
	ASSERT_EQ(0, r) TH_LOG("load without a fault: %s", strerror(err));
	ASSERT_TRUE(left > 0 && left < 1000000);
	sites = 1000000 - left;
	TH_LOG("a load passes %ld fault sites; failing the last %ld in turn", sites, sweep);
	ASSERT_EQ(0, mod_unload_wait(UNLOAD_MS));

	deadline = kq_now_ms() + SWEEP_SECONDS * 1000LL;
	lowest = sites;
	for (n = sites; n > 0 && n > sites - sweep && kq_now_ms() < deadline; n--) {
		lowest = n;
		if ((sites - n) % 100 == 99)
			TH_LOG("at fault %ld: %d loads failed, %d worked", n, failed, loaded);
		ASSERT_EQ(0, nth_write(n));
		r = mod_load("");
		err = errno;
		left = nth_read();
		nth_write(0);
		if (r == 0) {
			/* the fault hit nothing that mattered, or none was left */
			ASSERT_TRUE(mod_loaded());
			EXPECT_TRUE(module_works()) TH_LOG("fault %ld: loaded, but does not work", n);
			ASSERT_EQ(0, mod_unload_wait(UNLOAD_MS)) TH_LOG("fault %ld: loaded, then cannot be removed: %s", n, strerror(errno));
			loaded++;
			continue;
		}
		failed++;
		EXPECT_EQ(0, left) TH_LOG("fault %ld: load failed (%s) with no fault injected", n, strerror(err));
		EXPECT_FALSE(mod_loaded()) TH_LOG("fault %ld: load failed (%s) but the module is there", n, strerror(err));
		EXPECT_NE(0, access("/dev/kqueue", F_OK)) TH_LOG("fault %ld: load failed (%s) but /dev/kqueue is there", n, strerror(err));
		if (mod_loaded())
			break;
	}
	TH_LOG("faults %ld..%ld: %d loads failed, %d worked", lowest, sites, failed, loaded);
	faults_restore();
	others = kmemleak_others(_metadata, &leaks);
	if (others >= 0) {
		TH_LOG("kmemleak: %d objects, %d of them SLUB's (" KERNEL_LEAK ")", leaks, leaks - others);
		EXPECT_EQ(0, others);
		if (!others)
			kmemleak_cmd("clear");
	}
	/* some loads failed: the sweep reached the module's init */
	EXPECT_LT(0, failed);
	ASSERT_EQ(0, mod_load(""));
	ASSERT_TRUE(mod_loaded());
	EXPECT_TRUE(module_works());
	close(nth_fd);
}

TEST_HARNESS_MAIN
