// SPDX-License-Identifier: GPL-2.0
/*
 * A "libkqueue-built binary": dynamically linked against libkqueue.so.0,
 * using only <sys/event.h>.  Exit 0: an EVFILT_USER event went through the
 * kernel; 2: kqueue() failed (no shim preloaded); 1: anything else.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/event.h>

int main(void)
{
	struct timespec zero = { 0, 0 };
	struct kevent ch[2], ev;
	int kq = kqueue();

	if (kq < 0)
		return 2;
	EV_SET(&ch[0], 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, (void *)0x42);
	EV_SET(&ch[1], 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 7, 0,
	       (void *)0x42);
	if (kevent(kq, ch, 2, NULL, 0, NULL) != 0)
		return 1;
	if (kevent(kq, NULL, 0, &ev, 1, &zero) != 1)
		return 1;
	if (ev.ident != 1 || ev.filter != EVFILT_USER || ev.fflags != 7 ||
	    ev.udata != (void *)0x42)
		return 1;
	close(kq);
	return 0;
}
