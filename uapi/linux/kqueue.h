/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kqueue for Linux: the ioctl ABI of /dev/kqueue.
 *
 * Every open of /dev/kqueue is one kqueue.  kevent() is one ioctl,
 * KQ_IOC_KEVENT, whose argument carries its own size (the
 * copy_struct_from_user convention: a larger struct from newer userland is
 * accepted when its extra bytes are zero; a smaller one is zero-extended).
 *
 * The change and event lists are the caller's own arrays of kevent records,
 * read and written in place: 32-byte records (struct kq_kevent, the layout
 * of libkqueue, Darwin and FreeBSD <= 11), 64-byte records (struct
 * kq_kevent64, FreeBSD >= 12 with ext[4]), Darwin's 48-byte struct
 * kevent64_s (struct kq_kevent64_s) and 72-byte struct kevent_qos_s
 * (struct kq_kevent_qos) or, for i386 programs on a 64-bit kernel, 20-byte
 * ones (struct kq_kevent32), chosen by record_size.  The argument block has
 * the same layout for 32- and 64-bit callers.
 *
 * The constants carry their BSD names: the ABI is BSD's, and libkqueue's
 * values where the BSDs differ.
 */
#ifndef _UAPI_LINUX_KQUEUE_H
#define _UAPI_LINUX_KQUEUE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Filters: libkqueue's numbers; those libkqueue lacks collide with none. */
#define EVFILT_READ		(-1)
#define EVFILT_WRITE		(-2)
#define EVFILT_AIO		(-3)	/* not supported: EINVAL */
#define EVFILT_VNODE		(-4)
#define EVFILT_PROC		(-5)
#define EVFILT_SIGNAL		(-6)
#define EVFILT_TIMER		(-7)
#define EVFILT_NETDEV		(-8)	/* not supported: EINVAL */
#define EVFILT_FS		(-9)	/* not supported: EINVAL */
#define EVFILT_LIO		(-10)	/* not supported: EINVAL */
#define EVFILT_USER		(-11)
#define EVFILT_LIBKQUEUE	(-12)
#define EVFILT_EMPTY		(-13)
#define EVFILT_PROCDESC		(-14)	/* ident is a pidfd */
#define EVFILT_EXCEPT		(-15)
#define EVFILT_SYSCOUNT		15
/*
 * Darwin's Mach port and VM filters, not supported (EINVAL).  Darwin's
 * numbers (-8, -12) are EVFILT_NETDEV's and EVFILT_LIBKQUEUE's here.
 */
#define EVFILT_MACHPORT		(-16)
#define EVFILT_VM		(-17)

/* Actions and flags. */
#define EV_ADD			0x0001
#define EV_DELETE		0x0002
#define EV_ENABLE		0x0004
#define EV_DISABLE		0x0008
#define EV_ONESHOT		0x0010
#define EV_CLEAR		0x0020
#define EV_RECEIPT		0x0040
#define EV_DISPATCH		0x0080
#define EV_FORCEONESHOT		0x0100
#define EV_KEEPUDATA		0x0200
/*
 * Darwin's: udata is part of the knote's key, so that one (ident, filter)
 * may have several knotes told apart by udata; a change with it matches
 * only such a knote with the same udata, one without it never does.
 * Darwin's values (0x100, 0x200) are FreeBSD's EV_FORCEONESHOT and
 * EV_KEEPUDATA: source compatibility only.  EV_VANISHED is accepted with
 * EV_ADD and EV_DISPATCH2 only (EINVAL otherwise) and never reported: no
 * source vanishes here.
 */
#define EV_UDATA_SPECIFIC	0x0400
#define EV_DISPATCH2		(EV_DISPATCH | EV_UDATA_SPECIFIC)
#define EV_VANISHED		0x0800
#define EV_SYSFLAGS		0xF000
#define EV_FLAG1		0x2000
/*
 * Darwin's EVFILT_READ flags, in EV_SYSFLAGS: as on Darwin, a change's
 * system flags are ignored, so they mean nothing on input.  EV_OOBAND is
 * returned by EVFILT_READ through kevent64() and kevent_qos() when a TCP
 * socket has urgent data pending (data: the bytes before the mark); urgent
 * data alone, at the mark, fires it there too (Darwin's filt_soread).
 */
#define EV_POLL			0x1000
#define EV_OOBAND		EV_FLAG1
#define EV_ERROR		0x4000
#define EV_EOF			0x8000

/* EVFILT_READ, EVFILT_WRITE */
#define NOTE_LOWAT		0x0001

/* EVFILT_EXCEPT */
#define NOTE_OOB		0x0002

/* EVFILT_USER */
#define NOTE_FFNOP		0x00000000
#define NOTE_FFAND		0x40000000
#define NOTE_FFOR		0x80000000
#define NOTE_FFCOPY		0xc0000000
#define NOTE_FFCTRLMASK		0xc0000000
#define NOTE_FFLAGSMASK		0x00ffffff
#define NOTE_TRIGGER		0x01000000

/*
 * EVFILT_VNODE.  libkqueue's NOTE_TRUNCATE keeps 0x80 for binary
 * compatibility; FreeBSD's NOTE_OPEN (0x80 there) moves to 0x800.
 */
#define NOTE_DELETE		0x0001
#define NOTE_WRITE		0x0002
#define NOTE_EXTEND		0x0004
#define NOTE_ATTRIB		0x0008
#define NOTE_LINK		0x0010
#define NOTE_RENAME		0x0020
#define NOTE_REVOKE		0x0040
#define NOTE_TRUNCATE		0x0080
#define NOTE_CLOSE		0x0100
#define NOTE_CLOSE_WRITE	0x0200
#define NOTE_READ		0x0400
#define NOTE_OPEN		0x0800
/*
 * Darwin's, accepted and never reported: no vnode event is NOTE_NONE, and
 * flock(2) unlocks are not watched.  Darwin's values (0x80, 0x100) are
 * NOTE_TRUNCATE's and NOTE_CLOSE's here.
 */
#define NOTE_FUNLOCK		0x1000
#define NOTE_NONE		0x2000

/* EVFILT_PROC, EVFILT_PROCDESC */
#define NOTE_EXIT		0x80000000
#define NOTE_FORK		0x40000000
#define NOTE_EXEC		0x20000000
#define NOTE_PCTRLMASK		0xf0000000
#define NOTE_PDATAMASK		0x000fffff
#define NOTE_TRACK		0x00000001
#define NOTE_TRACKERR		0x00000002
#define NOTE_CHILD		0x00000004
/*
 * Darwin's EVFILT_PROC flags (its values).  NOTE_EXITSTATUS: the exit
 * event's data is the wait(2) status; only for the caller's own children
 * (EACCES otherwise).  Through kevent64() and kevent_qos() data is 0
 * without it; kevent() always gives the status, as FreeBSD.
 * NOTE_EXIT_DETAIL: data also carries why the process ended
 * (NOTE_EXIT_DETAIL_MASK): NOTE_EXIT_MEMORY when the OOM killer ended it;
 * the other reasons never occur here.  Both come back in fflags with
 * NOTE_EXIT when asked.  NOTE_SIGNAL: a signal was posted to the process
 * (an ignored one is not).  NOTE_REAP: the zombie was reaped; a knote
 * asking for it reports the exit without EV_EOF and ends with the reaping
 * (not inherited by NOTE_TRACK's children).
 */
#define NOTE_REAP		0x10000000
#define NOTE_SIGNAL		0x08000000
#define NOTE_EXITSTATUS		0x04000000
#define NOTE_EXIT_DETAIL	0x02000000
#define NOTE_EXIT_DETAIL_MASK	0x00070000
#define NOTE_EXIT_DECRYPTFAIL	0x00010000
#define NOTE_EXIT_MEMORY	0x00020000
#define NOTE_EXIT_CSERROR	0x00040000

/*
 * EVFILT_TIMER: libkqueue's and Darwin's unit bits; milliseconds when none.
 * FreeBSD's names map onto the same meanings.
 */
#define NOTE_SECONDS		0x0001
#define NOTE_USECONDS		0x0002
#define NOTE_NSECONDS		0x0004
#define NOTE_ABSOLUTE		0x0008
#define NOTE_MSECONDS		0x0010
#define NOTE_ABSTIME		NOTE_ABSOLUTE
/*
 * Darwin's.  NOTE_MACHTIME: data is in Mach absolute time units, which are
 * nanoseconds here (<sys/event.h>: kq_mach_timebase_info(), 1/1); with
 * NOTE_ABSOLUTE the deadline is CLOCK_MONOTONIC (mach_absolute_time()), or
 * CLOCK_BOOTTIME with NOTE_MACH_CONTINUOUS_TIME.  NOTE_MACH_CONTINUOUS_TIME
 * alone: an interval timer that counts suspended time too.  NOTE_LEEWAY:
 * ext[1] is the slop allowed after each deadline, in the timer's unit (up
 * to a second).  NOTE_CRITICAL: no slop beyond NOTE_LEEWAY's;
 * NOTE_BACKGROUND: without NOTE_LEEWAY, a tenth of the interval (up to a
 * second).  Darwin's NOTE_LEEWAY is 0x10, NOTE_MSECONDS here.
 */
#define NOTE_CRITICAL		0x0020
#define NOTE_BACKGROUND		0x0040
#define NOTE_MACH_CONTINUOUS_TIME 0x0080
#define NOTE_MACHTIME		0x0100
#define NOTE_LEEWAY		0x0200

/*
 * EVFILT_LIBKQUEUE: libkqueue's query filter, answered at once and never
 * registered.  NOTE_VERSION and NOTE_VERSION_STR return one record (the
 * change with EV_RECEIPT added): for NOTE_VERSION, data is
 * KQ_LIBKQUEUE_VERSION, encoded as libkqueue encodes its own
 * (major << 24 | minor << 16 | patch << 8); for NOTE_VERSION_STR, udata
 * is kq_kevent_args.version_str.  libkqueue's run-time knobs (3-7) are
 * accepted and change nothing: this kqueue is always thread safe, never
 * inherited across fork and has no debug output.  NOTE_FILE_POLL_INTERVAL
 * fails with ENOSYS, as on libkqueue's Linux backend: no file is polled.
 */
#define NOTE_VERSION		0x0001
#define NOTE_VERSION_STR	0x0002
#define NOTE_THREAD_SAFE	0x0003
#define NOTE_FORK_CLEANUP	0x0004
#define NOTE_DEBUG		0x0005
#define NOTE_DEBUG_PREFIX	0x0006
#define NOTE_DEBUG_FUNC		0x0007
#define NOTE_FILE_POLL_INTERVAL	0x0008
/* The libkqueue release whose interface and behaviour this is. */
#define KQ_LIBKQUEUE_VERSION	0x02060100	/* 2.6.1 */

/* The 32-byte record: struct kevent on LP64 Linux. */
struct kq_kevent {
	__u64	ident;
	__s16	filter;
	__u16	flags;
	__u32	fflags;
	__s64	data;
	__u64	udata;
};

/*
 * The 64-byte record: FreeBSD >= 12 struct kevent.  ext[] is kept by the
 * knote as registered and returned with its events (FreeBSD: ext[2] and
 * ext[3] always, ext[0] and ext[1] where the filter does not use them).
 */
struct kq_kevent64 {
	__u64	ident;
	__s16	filter;
	__u16	flags;
	__u32	fflags;
	__s64	data;
	__u64	udata;
	__u64	ext[4];
};

/*
 * The 48-byte record: Darwin's struct kevent64_s (kevent64()), the first
 * 48 bytes of struct kq_kevent64.
 */
struct kq_kevent64_s {
	__u64	ident;
	__s16	filter;
	__u16	flags;
	__u32	fflags;
	__s64	data;
	__u64	udata;
	__u64	ext[2];
};

/*
 * The 72-byte record: Darwin's struct kevent_qos_s (kevent_qos()).  qos is
 * kept by the knote and returned with its events; xflags is returned as
 * given in receipts and error records, and as 0 with events (Darwin).
 */
struct kq_kevent_qos {
	__u64	ident;
	__s16	filter;
	__u16	flags;
	__s32	qos;
	__u64	udata;
	__u32	fflags;
	__u32	xflags;
	__s64	data;
	__u64	ext[4];
};

/*
 * The 20-byte record: struct kevent of an i386 (ILP32) program, through
 * compat_ioctl on a 64-bit kernel.  data is 32 bits there, as on i386 BSD.
 */
struct kq_kevent32 {
	__u32	ident;
	__s16	filter;
	__u16	flags;
	__u32	fflags;
	__s32	data;
	__u32	udata;
};

#define KQ_RECORD_KEVENT	32	/* struct kq_kevent */
#define KQ_RECORD_KEVENT64	64	/* struct kq_kevent64 */
#define KQ_RECORD_KEVENT32	20	/* struct kq_kevent32 */
#define KQ_RECORD_KEVENT64_S	48	/* struct kq_kevent64_s (Darwin) */
#define KQ_RECORD_KEVENT_QOS	72	/* struct kq_kevent_qos (Darwin) */

/* Argument of KQ_IOC_KEVENT; the ioctl returns the number of events. */
struct kq_kevent_args {
	__u32	size;		/* sizeof(struct kq_kevent_args) */
	__u32	record_size;	/* KQ_RECORD_* */
	__u64	changelist;	/* user pointer to nchanges records */
	__u64	eventlist;	/* user pointer to nevents records */
	__s32	nchanges;
	__s32	nevents;
	__u64	timeout;	/* struct __kernel_timespec *; 0: forever */
	__u64	flags;		/* KQ_KEVENT_* */
	__u64	version_str;	/* udata of NOTE_VERSION_STR records (a char *) */
};

/*
 * From a 32-bit program (compat_ioctl: i386, armhf) the timeout is its own
 * 8-byte struct timespec (32-bit time_t: a relative time needs no more),
 * or with KQ_KEVENT_TIME64 a struct __kernel_timespec.
 */
#define KQ_KEVENT_ARGS_SIZE_VER0	48
#define KQ_KEVENT_ARGS_SIZE_VER1	56	/* version_str */

/*
 * kq_kevent_args.flags.  KQ_KEVENT_LIBKQUEUE_BEHAVIOUR: behave as
 * libkqueue does where it differs from FreeBSD, for binaries that depend
 * on it.  Flags: returned events keep EV_ADD, and EV_RECEIPT and error
 * records keep the change's own flags (with EV_ERROR added) instead of
 * FreeBSD's bare EV_ERROR.  Timers: EV_ENABLE restarts a disabled timer
 * from now and drops the expirations it counted while disabled.  With
 * Darwin's records (kevent64_s, kevent_qos_s) only the flags change.
 * KQ_KEVENT_LIBKQUEUE_FLAGS is its first name.
 */
#define KQ_KEVENT_LIBKQUEUE_BEHAVIOUR	0x1ULL
#define KQ_KEVENT_LIBKQUEUE_FLAGS	KQ_KEVENT_LIBKQUEUE_BEHAVIOUR
/*
 * KQ_KEVENT_CHANGES_ONLY: apply the changes and report their errors and
 * receipts, but never wait for or harvest events (Darwin's
 * KEVENT_FLAG_ERROR_EVENTS).
 */
#define KQ_KEVENT_CHANGES_ONLY		0x2ULL
/*
 * KQ_KEVENT_TIME64: a 32-bit program's timeout is a struct
 * __kernel_timespec (64-bit tv_sec), as glibc's struct timespec is with
 * _TIME_BITS=64 (Debian 13's armhf).  No effect from 64-bit programs.
 */
#define KQ_KEVENT_TIME64		0x4ULL
#define KQ_KEVENT_FLAGS_ALL		(KQ_KEVENT_LIBKQUEUE_BEHAVIOUR | \
					 KQ_KEVENT_CHANGES_ONLY | KQ_KEVENT_TIME64)

/* NetBSD's filter-name mapping (struct kfilter_mapping). */
struct kq_kfilter_mapping {
	__u64	name;		/* char * */
	__u64	len;		/* size of the name buffer */
	__u32	filter;
	__u32	__pad;
};

/*
 * What an i386 program passes with the same ioctl numbers: NetBSD's
 * struct kfilter_mapping with 32-bit pointer and size_t.
 */
struct kq_kfilter_mapping32 {
	__u32	name;
	__u32	len;
	__u32	filter;
};

/*
 * KQ_IOC_SET_FLAGS: what the kqueue keeps of FreeBSD's kqueuex() flags (a
 * __u32; unknown bits EINVAL).  KQ_FLAG_CPONFORK (FreeBSD 15's
 * KQUEUE_CPONFORK, same value): a fork(2) child finds a copy of the
 * kqueue, with copies of its knotes, at the same descriptor.
 */
#define KQ_FLAG_CPONFORK	0x00000002
#define KQ_FLAGS_ALL		KQ_FLAG_CPONFORK

#define KQ_IOC_MAGIC		0xB7
#define KQ_IOC_KEVENT		_IO(KQ_IOC_MAGIC, 0x01)
#define KQ_IOC_KFILTER_BYFILTER	_IOWR(KQ_IOC_MAGIC, 0x02, struct kq_kfilter_mapping)
#define KQ_IOC_KFILTER_BYNAME	_IOWR(KQ_IOC_MAGIC, 0x03, struct kq_kfilter_mapping)
#define KQ_IOC_SET_FLAGS	_IOW(KQ_IOC_MAGIC, 0x04, __u32)

#endif /* _UAPI_LINUX_KQUEUE_H */
