/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libkqueue-shim: kqueue(2)/kevent(2) over /dev/kqueue.
 *
 * Every open of /dev/kqueue is one kqueue; kevent() is one ioctl.  The
 * caller's kevent arrays go to the kernel as they are (struct kevent is the
 * uapi's 32-byte record) and the kernel already reports BSD's errno values,
 * so this file only opens the device, packs the ioctl argument and maps the
 * one errno that differs.
 */
#include <sys/event.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/time_types.h>

#define KQ_EXPORT	__attribute__((visibility("default")))
#define KQ_DEVICE	"/dev/kqueue"

_Static_assert(sizeof(struct kq_kevent_args) == KQ_KEVENT_ARGS_SIZE_VER1,
    "struct kq_kevent_args size");

#if defined(__LP64__)
/*
 * The timeout is passed by address to the kernel, which reads a
 * struct __kernel_timespec; glibc's struct timespec on LP64 is the same.
 */
_Static_assert(sizeof(struct timespec) == sizeof(struct __kernel_timespec),
    "struct timespec is not struct __kernel_timespec");
_Static_assert(offsetof(struct timespec, tv_sec) ==
    offsetof(struct __kernel_timespec, tv_sec), "timespec.tv_sec offset");
_Static_assert(offsetof(struct timespec, tv_nsec) ==
    offsetof(struct __kernel_timespec, tv_nsec), "timespec.tv_nsec offset");
#define KQ_SHIM_RECORD	KQ_RECORD_KEVENT
#define KQ_SHIM_TIME	0
#else
/*
 * i386 and armhf (compat_ioctl): 20-byte records, and the program's own
 * timespec, which the kernel reads as such: a 32-bit time_t (i386, Debian
 * 12's armhf) or, built with _TIME_BITS=64 (Debian 13's armhf), a 64-bit
 * one with KQ_KEVENT_TIME64.  The library's time_t is its callers'.
 */
_Static_assert(sizeof(struct timespec) == 8 ||
    sizeof(struct timespec) == sizeof(struct __kernel_timespec),
    "a 32-bit or a 64-bit time_t");
#define KQ_SHIM_RECORD	KQ_RECORD_KEVENT32
#define KQ_SHIM_TIME	(sizeof(time_t) == 8 ? KQ_KEVENT_TIME64 : 0)
#endif
_Static_assert(sizeof(struct kevent) == KQ_SHIM_RECORD,
    "struct kevent is not the kernel's record");

/*
 * EVFILT_LIBKQUEUE's NOTE_VERSION_STR answer, as libkqueue words its own:
 * the version first.  The kernel hands back this pointer as udata.
 */
_Static_assert(KQUEUE_CPONFORK == KQ_FLAG_CPONFORK, "FreeBSD 15 value");
_Static_assert(KQ_LIBKQUEUE_VERSION == 0x02060100,
    "kq_version_str says 2.6.1");
static const char kq_version_str[] =
    "2.6.1 (kqueue for Linux: libkqueue-shim " KQ_SHIM_VERSION
    " over /dev/kqueue)";

/*
 * KQUEUE_LIBKQUEUE_BEHAVIOUR=1 in the environment, read once when the
 * library is loaded: kevent() behaves as libkqueue does where it differs
 * from FreeBSD (KQ_KEVENT_LIBKQUEUE_BEHAVIOUR: the flags it returns, and
 * timers that EV_ENABLE restarts), for binaries that depend on it.
 * KQUEUE_LIBKQUEUE_FLAGS, the variable's first name, counts when
 * KQUEUE_LIBKQUEUE_BEHAVIOUR is not set at all.
 */
static uint64_t kq_call_flags;

__attribute__((constructor)) static void
kq_read_environment(void)
{
	const char *v = getenv("KQUEUE_LIBKQUEUE_BEHAVIOUR");

	if (v == NULL)
		v = getenv("KQUEUE_LIBKQUEUE_FLAGS");
	if (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0)
		kq_call_flags = KQ_KEVENT_LIBKQUEUE_BEHAVIOUR;
}

/*
 * Open a new kqueue.  A missing device means the module is not loaded:
 * report that as "no such system call", which is what it amounts to.
 */
static int
kq_open(int oflags)
{
	int fd;

	fd = open(KQ_DEVICE, O_RDWR | oflags);
	if (fd == -1 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		errno = ENOSYS;
	return (fd);
}

/*
 * BSD kqueue() is not close-on-exec; the kernel module takes care of
 * not passing the kqueue across fork().
 */
KQ_EXPORT int
kqueue(void)
{

	return (kq_open(0));
}

/* NetBSD kqueue1(): open(2) flags. */
KQ_EXPORT int
kqueue1(int flags)
{

	if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
		errno = EINVAL;
		return (-1);
	}
	return (kq_open(flags));
}

/* FreeBSD 14 kqueuex(); KQUEUE_CPONFORK is FreeBSD 15's. */
KQ_EXPORT int
kqueuex(unsigned int flags)
{
	__u32 keep = flags & KQUEUE_CPONFORK;
	int kq, e;

	if ((flags & ~(unsigned int)(KQUEUE_CLOEXEC | KQUEUE_CPONFORK)) != 0) {
		errno = EINVAL;
		return (-1);
	}
	kq = kq_open((flags & KQUEUE_CLOEXEC) != 0 ? O_CLOEXEC : 0);
	if (kq < 0 || keep == 0)
		return (kq);
	if (ioctl(kq, KQ_IOC_SET_FLAGS, &keep) != 0) {
		e = errno;
		close(kq);
		errno = e;
		return (-1);
	}
	return (kq);
}

KQ_EXPORT int
kevent(int kq, const struct kevent *changelist, int nchanges,
    struct kevent *eventlist, int nevents, const struct timespec *timeout)
{
	struct kq_kevent_args args = {
		.size = sizeof(args),
		.record_size = KQ_SHIM_RECORD,
		.changelist = (uint64_t)(uintptr_t)changelist,
		.eventlist = (uint64_t)(uintptr_t)eventlist,
		.nchanges = nchanges,
		.nevents = nevents,
		.timeout = (uint64_t)(uintptr_t)timeout,
		.flags = kq_call_flags | KQ_SHIM_TIME,
		.version_str = (uint64_t)(uintptr_t)kq_version_str,
	};
	int n;

	n = ioctl(kq, KQ_IOC_KEVENT, &args);
	/*
	 * A module older than this library rejects the new fields, before
	 * any change is applied: again, as the first version (no
	 * NOTE_VERSION_STR string, no libkqueue behaviour).
	 */
	if (n == -1 && errno == E2BIG) {
		args.size = KQ_KEVENT_ARGS_SIZE_VER0;
		args.flags = KQ_SHIM_TIME;
		n = ioctl(kq, KQ_IOC_KEVENT, &args);
	}
	/* Not a kqueue: BSD says EBADF where an ioctl says ENOTTY. */
	if (n == -1 && errno == ENOTTY)
		errno = EBADF;
	return (n);
}

/*
 * Darwin's kevent64() and kevent_qos(): the caller's 48- or 72-byte records
 * go to the kernel as they are, like kevent()'s.  Darwin reports receipts
 * and errors with the change's own flags (EV_ERROR added) and keeps EV_ADD
 * in returned events: the kernel's libkqueue flags, which are the same.
 */
#define KQ_DARWIN_FLAGS	(KEVENT_FLAG_IMMEDIATE | KEVENT_FLAG_ERROR_EVENTS | \
			 KEVENT_FLAG_STACK_DATA)

static int
kq_kevent_darwin(int kq, const void *changelist, int nchanges,
    void *eventlist, int nevents, unsigned int flags,
    const struct timespec *timeout, uint32_t record_size)
{
	static const struct timespec zero;
	struct kq_kevent_args args = {
		.size = sizeof(args),
		.record_size = record_size,
		.changelist = (uint64_t)(uintptr_t)changelist,
		.eventlist = (uint64_t)(uintptr_t)eventlist,
		.nchanges = nchanges,
		.nevents = nevents,
		.flags = KQ_KEVENT_LIBKQUEUE_FLAGS | KQ_SHIM_TIME,
		.version_str = (uint64_t)(uintptr_t)kq_version_str,
	};
	int n;

	if ((flags & ~(unsigned int)KQ_DARWIN_FLAGS) != 0) {
		errno = EINVAL;
		return (-1);
	}
	if ((flags & KEVENT_FLAG_IMMEDIATE) != 0)
		timeout = &zero;
	args.timeout = (uint64_t)(uintptr_t)timeout;
	if ((flags & KEVENT_FLAG_ERROR_EVENTS) != 0)
		args.flags |= KQ_KEVENT_CHANGES_ONLY;
	n = ioctl(kq, KQ_IOC_KEVENT, &args);
	/* Not a kqueue: BSD says EBADF where an ioctl says ENOTTY. */
	if (n == -1 && errno == ENOTTY)
		errno = EBADF;
	return (n);
}

KQ_EXPORT int
kevent64(int kq, const struct kevent64_s *changelist, int nchanges,
    struct kevent64_s *eventlist, int nevents, unsigned int flags,
    const struct timespec *timeout)
{

	return (kq_kevent_darwin(kq, changelist, nchanges, eventlist, nevents,
	    flags, timeout, KQ_RECORD_KEVENT64_S));
}

/*
 * No timeout: it waits until an event unless KEVENT_FLAG_IMMEDIATE.
 * data_out and data_available are never used (no filter here returns
 * out-of-line data) and are left as they are.
 */
KQ_EXPORT int
kevent_qos(int kq, const struct kevent_qos_s *changelist, int nchanges,
    struct kevent_qos_s *eventlist, int nevents, void *data_out,
    size_t *data_available, unsigned int flags)
{

	(void)data_out;
	(void)data_available;
	return (kq_kevent_darwin(kq, changelist, nchanges, eventlist, nevents,
	    flags, NULL, KQ_RECORD_KEVENT_QOS));
}

/*
 * libkqueue's Linux backend closes kqueues asynchronously and exports this
 * to wait for that.  The kernel closes synchronously: nothing to drain.
 */
KQ_EXPORT void
libkqueue_drain_pending_close(void)
{
}
