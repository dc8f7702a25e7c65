// SPDX-License-Identifier: GPL-2.0
/*
 * Stands in for libkqueue.so.0 at link time: a program linked against it
 * is what a libkqueue-built binary looks like to the dynamic linker.  Its
 * functions fail with ENOSYS, so only LD_PRELOAD of the shim makes the
 * program work.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/event.h>

int kqueue(void)
{
	errno = ENOSYS;
	return -1;
}

int kevent(int kq, const struct kevent *changelist, int nchanges,
	   struct kevent *eventlist, int nevents,
	   const struct timespec *timeout)
{
	(void)kq; (void)changelist; (void)nchanges;
	(void)eventlist; (void)nevents; (void)timeout;
	errno = ENOSYS;
	return -1;
}
