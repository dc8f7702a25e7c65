/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Removing and inserting the module: the one the test VM puts in /lib/kq
 * (KQ_MODULE_PATH overrides).  Tests that use these leave it loaded.
 */
#ifndef KQ_MODLOAD_H
#define KQ_MODLOAD_H

#include <sys/syscall.h>
#include <glob.h>
#include "kq_module.h"

static char module_path[512];

static inline int find_module(void)
{
	const char *env = getenv("KQ_MODULE_PATH");
	glob_t g;

	if (env) {
		snprintf(module_path, sizeof(module_path), "%s", env);
		return access(module_path, R_OK);
	}
	if (glob("/lib/kq/*.ko", 0, NULL, &g) || !g.gl_pathc)
		return -1;
	snprintf(module_path, sizeof(module_path), "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

static inline int mod_unload(void)
{
	return (int)syscall(SYS_delete_module, "kqueue", O_NONBLOCK);
}

/* finit_module() of the module with @params; loaded already counts. */
static inline int mod_load(const char *params)
{
	int fd = open(module_path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = (int)syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	if (r && errno == EEXIST)
		r = 0;
	return r;
}

static inline int mod_loaded(void)
{
	return access("/sys/module/kqueue", F_OK) == 0;
}

/* Unload, retrying while the last kqueues of earlier work close. */
static inline int mod_unload_wait(long ms)
{
	long long deadline = kq_now_ms() + ms;

	while (mod_unload()) {
		if ((errno != EWOULDBLOCK && errno != EBUSY) ||
		    kq_now_ms() > deadline)
			return -1;
		usleep(20000);
	}
	return 0;
}

#endif
