// SPDX-License-Identifier: GPL-2.0
/*
 * A binary built against libkqueue runs unchanged with the shim under
 * LD_PRELOAD: preload/libkqueue_app is linked against a stand-in
 * libkqueue.so.0 that only fails; with the shim preloaded it works.
 */
#include "kq_module.h"

#include <limits.h>

static int run_app(const char *preload)
{
	char self[PATH_MAX], app[PATH_MAX + 32], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;
	pid_t pid;

	if (n <= 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	snprintf(app, sizeof(app), "%s/preload/libkqueue_app", self);
	pid = fork();
	if (pid == 0) {
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		execl(app, app, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(without_shim_the_stand_in_fails)
{
	ASSERT_EQ(2, run_app(NULL));
}

TEST(with_shim_preloaded_it_works)
{
	const char *shim = kq_shim_path();

	ASSERT_NE(NULL, shim);
	ASSERT_EQ(0, run_app(shim));
}

TEST_HARNESS_MAIN
