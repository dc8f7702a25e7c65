/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's parameters (its limits and read-only counters) and the
 * shared shim's path.
 */
#ifndef KQ_MODULE_H
#define KQ_MODULE_H

#include "kq_wait.h"

#define KQ_PARAM_DIR	"/sys/module/kqueue/parameters/"

/* The shared shim: installed in the VM, or next to the selftests' build. */
static inline const char *kq_shim_path(void)
{
	static const char *const paths[] = {
#ifdef __LP64__
		"/usr/lib/libkqueue.so.0", "../shim/libkqueue.so.0",
#elif defined(__arm__)	/* armhf: Debian's multiarch directory */
		"/usr/lib/arm-linux-gnueabihf/libkqueue.so.0", "../shim32/libkqueue.so.0",
#else
		"/usr/lib32/libkqueue.so.0", "../shim32/libkqueue.so.0",
#endif
	};
	unsigned int i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], R_OK))
			return paths[i];
	return NULL;
}

/* The module's read-only counters; -2 when absent, -1 when unreadable. */
static inline long kq_read_live(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), KQ_PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -2;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}


/* Read /sys/module/kqueue/parameters/<name> as a number; 0 or -1. */
static inline int kq_param_read(const char *name, long long *val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), KQ_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*val = strtoll(buf, NULL, 0);
	return 0;
}

static inline int kq_param_write(const char *name, long long val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd, len;

	snprintf(path, sizeof(path), KQ_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%lld\n", val);
	n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -1;
}

/*
 * Wait up to ms until the counter parameter reads want; returns the last
 * value read (or -1 when it cannot be read).
 */
static inline long long kq_param_wait(const char *name, long long want,
				       long ms)
{
	long long deadline = kq_now_ms() + ms, v = -1;

	for (;;) {
		if (kq_param_read(name, &v))
			return -1;
		if (v == want || kq_now_ms() > deadline)
			return v;
		usleep(10000);
	}
}


#endif /* KQ_MODULE_H */
