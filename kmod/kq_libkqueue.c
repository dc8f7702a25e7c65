// SPDX-License-Identifier: GPL-2.0
/*
 * EVFILT_LIBKQUEUE: libkqueue's query filter.  Programs built against
 * libkqueue ask it for the library's version; the answer is a record in
 * the event list, and nothing is registered (libkqueue's knote for it
 * never fires either).
 */
#include "kq.h"

/*
 * Answer one change.  Returns 1 when @kev now holds the reply record,
 * 0 when the change is accepted with nothing to say, or a negative errno.
 */
int kq_libkqueue_change(struct kq_kev *kev, u64 version_str)
{
	switch (kev->fflags) {
	case NOTE_VERSION:
	case NOTE_VERSION_STR:
		if (kev->flags & EV_DELETE)
			return 0;
		/* libkqueue's reply: the change as registered, a receipt */
		kev->flags = (kev->flags & ~EV_ENABLE) | EV_RECEIPT;
		if (kev->fflags == NOTE_VERSION)
			kev->data = KQ_LIBKQUEUE_VERSION;
		else
			kev->udata = version_str;
		return 1;
	case NOTE_THREAD_SAFE:
	case NOTE_FORK_CLEANUP:
	case NOTE_DEBUG:
	case NOTE_DEBUG_PREFIX:
	case NOTE_DEBUG_FUNC:
		return 0;	/* what they select is how this kqueue is */
	case NOTE_FILE_POLL_INTERVAL:
		/*
		 * libkqueue's Linux backend answers ENOSYS (nothing polls
		 * files there either) and its programs test for that errno:
		 * checkpatch's "ENOSYS is for syscall numbers" does not fit.
		 */
		return -ENOSYS;
	}
	return -EINVAL;
}
