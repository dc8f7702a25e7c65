/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kqstat: list kqueues and their knotes, from /proc/PID/fdinfo.
 *
 *	kqstat [-w SECONDS] [PID...]
 *
 * Without a PID, every process whose descriptors the caller may read (its
 * own, or all of them for root).  A kqueue is a descriptor open on
 * /dev/kqueue; the module prints one "knote:" line per knote in its fdinfo
 * (kmod/kq_fdinfo.c), which this decodes into names.
 */
#define _GNU_SOURCE
#include <sys/event.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *filter_name(int filter)
{
	static const char *const names[] = {
		[1] = "EVFILT_READ", [2] = "EVFILT_WRITE", [3] = "EVFILT_AIO",
		[4] = "EVFILT_VNODE", [5] = "EVFILT_PROC", [6] = "EVFILT_SIGNAL",
		[7] = "EVFILT_TIMER", [8] = "EVFILT_NETDEV", [9] = "EVFILT_FS",
		[10] = "EVFILT_LIO", [11] = "EVFILT_USER",
		[12] = "EVFILT_LIBKQUEUE", [13] = "EVFILT_EMPTY",
		[14] = "EVFILT_PROCDESC", [15] = "EVFILT_EXCEPT",
	};
	static char buf[16];

	if (filter < 0 && -filter < (int)(sizeof(names) / sizeof(names[0])) &&
	    names[-filter])
		return names[-filter];
	snprintf(buf, sizeof(buf), "%d", filter);
	return buf;
}

/* The flags a knote keeps, by name ("-" for none). */
static const char *flags_names(unsigned int flags)
{
	static const struct { unsigned int bit; const char *name; } f[] = {
		{ EV_ONESHOT, "EV_ONESHOT" }, { EV_CLEAR, "EV_CLEAR" },
		{ EV_RECEIPT, "EV_RECEIPT" }, { EV_DISPATCH, "EV_DISPATCH" },
		{ EV_UDATA_SPECIFIC, "EV_UDATA_SPECIFIC" }, { EV_EOF, "EV_EOF" },
	};
	static char buf[128];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!(flags & f[i].bit))
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "|" : "",
			      f[i].name);
		flags &= ~f[i].bit;
	}
	if (flags)
		n += snprintf(buf + n, sizeof(buf) - n, "%s0x%x", n ? "|" : "",
			      flags);
	return n ? buf : "-";
}

static int is_kqueue(pid_t pid, const char *fd)
{
	char path[320], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "/dev/kqueue") == 0;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* One kqueue: its header line, then a line per knote. */
static void show_kqueue(pid_t pid, const char *comm, const char *fd)
{
	char path[320], line[512], state[64];
	unsigned long long ident, udata;
	unsigned int knotes = 0, pending = 0, flags, fflags;
	long long data;
	int filter, header = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "knotes: %u", &knotes) == 1 ||
		    sscanf(line, "pending: %u", &pending) == 1)
			continue;
		if (sscanf(line, "knote: ident:%llu filter:%d flags:0x%x fflags:0x%x data:%lld udata:0x%llx state:%63s",
			   &ident, &filter, &flags, &fflags, &data, &udata,
			   state) != 7)
			continue;
		if (!header++)
			printf("%d %s fd %s: %u knotes, %u pending\n"
			       "  %-10s %-16s %-22s %-10s %-12s %-18s %s\n",
			       (int)pid, comm, fd, knotes, pending, "IDENT",
			       "FILTER", "FLAGS", "FFLAGS", "DATA", "UDATA",
			       "STATE");
		printf("  %-10llu %-16s %-22s 0x%-8x %-12lld 0x%-16llx %s\n",
		       ident, filter_name(filter), flags_names(flags), fflags,
		       data, udata, state);
	}
	if (!header)
		printf("%d %s fd %s: %u knotes, %u pending\n", (int)pid, comm,
		       fd, knotes, pending);
	fclose(f);
}

/* Every kqueue of one process; 1 if it had any. */
static int show_pid(pid_t pid)
{
	char path[64], comm[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	comm_of(pid, comm, sizeof(comm));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    !is_kqueue(pid, de->d_name))
			continue;
		show_kqueue(pid, comm, de->d_name);
		found = 1;
	}
	closedir(d);
	return found;
}

static void show_all(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d) {
		perror("kqstat: /proc");
		exit(1);
	}
	while ((de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]))
			show_pid((pid_t)atoi(de->d_name));
	closedir(d);
}

static void usage(void)
{
	fprintf(stderr, "usage: kqstat [-w SECONDS] [PID...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double wait = 0;
	int c, i, status = 0;

	while ((c = getopt(argc, argv, "w:h")) != -1) {
		switch (c) {
		case 'w':
			wait = strtod(optarg, NULL);
			if (wait <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	for (;;) {
		if (wait > 0)
			printf("--- %ld\n", (long)time(NULL));
		if (optind == argc)
			show_all();
		for (i = optind; i < argc; i++) {
			if (show_pid((pid_t)atoi(argv[i])) < 0) {
				fprintf(stderr, "kqstat: %s: %s\n", argv[i],
					strerror(errno));
				status = 1;
			}
		}
		if (wait <= 0)
			return status;
		fflush(stdout);
		usleep((useconds_t)(wait * 1e6));
	}
}
