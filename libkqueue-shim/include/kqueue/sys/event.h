/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <sys/event.h> for Linux, backed by the /dev/kqueue kernel module.
 *
 * Source compatible with BSD programs and ABI compatible with libkqueue on
 * Linux: struct kevent has libkqueue's (and Darwin's, FreeBSD <= 11's)
 * 32-byte LP64 layout, the constants are libkqueue's values, and the
 * library is installed as libkqueue.so.0, so a binary built against
 * libkqueue runs unchanged against this one.
 *
 * The constants come from the kernel's uapi header <linux/kqueue.h>; this
 * header adds struct kevent, EV_SET, the NetBSD filter-name mapping and the
 * prototypes.
 *
 * kqueue(), kqueue1() and kqueuex() fail with ENOSYS when /dev/kqueue does
 * not exist (the kqueue kernel module is not loaded).
 */
#ifndef _SYS_EVENT_H_
#define _SYS_EVENT_H_

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/kqueue.h>

#if !defined(__LP64__) && !defined(__i386__) && !defined(__arm__)
#error "<sys/event.h>: 64-bit programs, and 32-bit ones for i386 and armhf"
#endif

struct timespec;

/*
 * The event record.  Identical to struct kq_kevent of the uapi; kevent()
 * hands the caller's arrays to the kernel without translation.
 */
struct kevent {
	uintptr_t	ident;		/* identifier for this event */
	short		filter;		/* filter for event */
	unsigned short	flags;		/* action flags for kqueue */
	unsigned int	fflags;		/* filter flag value */
	intptr_t	data;		/* filter data value */
	void		*udata;		/* opaque user data identifier */
};

/*
 * Fill in a struct kevent.  Each argument, kevp_ included, is evaluated
 * exactly once; the local has a reserved name so that a caller's variable
 * called "kevp" does not shadow it.
 */
#define EV_SET(kevp_, a, b, c, d, e, f) do {			\
	struct kevent *__kevp__ = (kevp_);			\
	__kevp__->ident = (a);					\
	__kevp__->filter = (b);					\
	__kevp__->flags = (c);					\
	__kevp__->fflags = (d);					\
	__kevp__->data = (e);					\
	__kevp__->udata = (f);					\
} while (0)

/*
 * Darwin's kevent64() record, 48 bytes on every ABI: struct kq_kevent64_s
 * of the uapi.  ext[] is kept with the knote and returned with its events.
 */
struct kevent64_s {
	uint64_t	ident;		/* identifier for this event */
	int16_t		filter;		/* filter for event */
	uint16_t	flags;		/* general flags */
	uint32_t	fflags;		/* filter-specific flags */
	int64_t		data;		/* filter-specific data */
	uint64_t	udata;		/* opaque user data identifier */
	uint64_t	ext[2];		/* filter-specific extensions */
};

#define EV_SET64(kevp_, a, b, c, d, e, f, g, h) do {		\
	struct kevent64_s *__kevp__ = (kevp_);			\
	__kevp__->ident = (a);					\
	__kevp__->filter = (b);					\
	__kevp__->flags = (c);					\
	__kevp__->fflags = (d);					\
	__kevp__->data = (e);					\
	__kevp__->udata = (f);					\
	__kevp__->ext[0] = (g);					\
	__kevp__->ext[1] = (h);					\
} while (0)

/*
 * Darwin's kevent_qos() record, 72 bytes: struct kq_kevent_qos of the
 * uapi.  qos is kept with the knote and returned with its events; xflags
 * comes back as given in receipts and errors, as 0 with events.
 */
struct kevent_qos_s {
	uint64_t	ident;		/* identifier for this event */
	int16_t		filter;		/* filter for event */
	uint16_t	flags;		/* general flags */
	int32_t		qos;		/* quality of service */
	uint64_t	udata;		/* opaque user data identifier */
	uint32_t	fflags;		/* filter-specific flags */
	uint32_t	xflags;		/* extra filter-specific flags */
	int64_t		data;		/* filter-specific data */
	uint64_t	ext[4];		/* filter-specific extensions */
};

/*
 * Darwin defines EV_SET_QOS as 0 and asks for designated initializers;
 * here it fills every field, in the order of the structure.
 */
#define EV_SET_QOS(kevp_, a, b, c, d, e, f, g, h, i, j, k, l) do {	\
	struct kevent_qos_s *__kevp__ = (kevp_);		\
	__kevp__->ident = (a);					\
	__kevp__->filter = (b);					\
	__kevp__->flags = (c);					\
	__kevp__->qos = (d);					\
	__kevp__->udata = (e);					\
	__kevp__->fflags = (f);					\
	__kevp__->xflags = (g);					\
	__kevp__->data = (h);					\
	__kevp__->ext[0] = (i);					\
	__kevp__->ext[1] = (j);					\
	__kevp__->ext[2] = (k);					\
	__kevp__->ext[3] = (l);					\
} while (0)

/*
 * kevent64() and kevent_qos() flags: Darwin's values.  Any other bit is
 * EINVAL.  KEVENT_FLAG_IMMEDIATE polls (a zero timeout);
 * KEVENT_FLAG_ERROR_EVENTS applies the changes and returns only their
 * errors and receipts, never waiting for or harvesting events;
 * KEVENT_FLAG_STACK_DATA is accepted (it concerns data_out, which is never
 * written).
 */
#define KEVENT_FLAG_NONE		0x000000
#define KEVENT_FLAG_IMMEDIATE		0x000001
#define KEVENT_FLAG_ERROR_EVENTS	0x000002
#define KEVENT_FLAG_STACK_DATA		0x000008

/*
 * EVFILT_TIMER's NOTE_MACHTIME counts Mach absolute time units, whose
 * length Darwin's mach_timebase_info() gives as numer / denom nanoseconds.
 * Here a unit is a nanosecond: this says 1 / 1, and an absolute
 * NOTE_MACHTIME deadline is read from CLOCK_MONOTONIC (mach_absolute_time())
 * or, with NOTE_MACH_CONTINUOUS_TIME, CLOCK_BOOTTIME
 * (mach_continuous_time()).
 */
struct kq_mach_timebase_info {
	uint32_t	numer;
	uint32_t	denom;
};

#define KQ_MACH_TIMEBASE_NUMER	1
#define KQ_MACH_TIMEBASE_DENOM	1

static __inline int
kq_mach_timebase_info(struct kq_mach_timebase_info *info)
{
	info->numer = KQ_MACH_TIMEBASE_NUMER;
	info->denom = KQ_MACH_TIMEBASE_DENOM;
	return (0);	/* KERN_SUCCESS */
}

/* kqueuex() flags (FreeBSD 14, 15). */
#define KQUEUE_CLOEXEC		0x00000001
#define KQUEUE_CPONFORK		0x00000002	/* copied on fork (FreeBSD 15) */

/*
 * NetBSD's filter-name mapping, an ioctl on the kqueue descriptor:
 *	struct kfilter_mapping km = { .name = buf, .len = sizeof(buf),
 *	    .filter = EVFILT_READ };
 *	ioctl(kq, KFILTER_BYFILTER, &km);
 */
struct kfilter_mapping {
	char		*name;		/* name to lookup or return */
	size_t		len;		/* length of name buffer */
	uint32_t	filter;		/* filter to lookup or return */
};

#define KFILTER_BYFILTER	KQ_IOC_KFILTER_BYFILTER
#define KFILTER_BYNAME		KQ_IOC_KFILTER_BYNAME

/*
 * Names libkqueue's <sys/event.h> defines that the uapi does not:
 * EVFILT_NETDEV hints and FreeBSD's vfsquery flags (both filters are
 * unsupported, but programs test for the names).  The values are
 * libkqueue's.
 */
#ifndef NOTE_LINKUP
#define NOTE_LINKUP		0x0001	/* link is up */
#define NOTE_LINKDOWN		0x0002	/* link is down */
#define NOTE_LINKINV		0x0004	/* link state is invalid */
#endif

#ifndef VQ_NOTRESP
#define VQ_NOTRESP		0x0001	/* server down */
#define VQ_NEEDAUTH		0x0002	/* server bad auth */
#define VQ_LOWDISK		0x0004	/* we're low on space */
#define VQ_MOUNT		0x0008	/* new filesystem arrived */
#define VQ_UNMOUNT		0x0010	/* filesystem has left */
#define VQ_DEAD			0x0020	/* filesystem is dead */
#define VQ_ASSIST		0x0040	/* filesystem needs assistance */
#define VQ_NOTRESPLOCK		0x0080	/* server lockd down */
#endif

/* The layouts above are the kernel's; catch any drift at compile time. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define __KQ_STATIC_ASSERT(e, m)	static_assert(e, m)
#elif !defined(__cplusplus) && defined(__GNUC__)
#define __KQ_STATIC_ASSERT(e, m)	__extension__ _Static_assert(e, m)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && \
    __STDC_VERSION__ >= 201112L
#define __KQ_STATIC_ASSERT(e, m)	_Static_assert(e, m)
#else
#define __KQ_STATIC_ASSERT(e, m)	struct __kq_static_assert_unused
#endif

#if defined(__LP64__)
#define __KQ_RECORD		struct kq_kevent
#define __KQ_MAPPING		struct kq_kfilter_mapping
#else	/* i386, armhf: the 20-byte record and NetBSD's 12-byte mapping (compat) */
#define __KQ_RECORD		struct kq_kevent32
#define __KQ_MAPPING		struct kq_kfilter_mapping32
#endif
__KQ_STATIC_ASSERT(sizeof(struct kevent) == sizeof(__KQ_RECORD),
    "struct kevent size differs from the kernel's record");
__KQ_STATIC_ASSERT(offsetof(struct kevent, ident) ==
    offsetof(__KQ_RECORD, ident), "kevent.ident offset");
__KQ_STATIC_ASSERT(offsetof(struct kevent, filter) ==
    offsetof(__KQ_RECORD, filter), "kevent.filter offset");
__KQ_STATIC_ASSERT(offsetof(struct kevent, flags) ==
    offsetof(__KQ_RECORD, flags), "kevent.flags offset");
__KQ_STATIC_ASSERT(offsetof(struct kevent, fflags) ==
    offsetof(__KQ_RECORD, fflags), "kevent.fflags offset");
__KQ_STATIC_ASSERT(offsetof(struct kevent, data) ==
    offsetof(__KQ_RECORD, data), "kevent.data offset");
__KQ_STATIC_ASSERT(offsetof(struct kevent, udata) ==
    offsetof(__KQ_RECORD, udata), "kevent.udata offset");

__KQ_STATIC_ASSERT(sizeof(struct kfilter_mapping) == sizeof(__KQ_MAPPING),
    "struct kfilter_mapping size");
__KQ_STATIC_ASSERT(offsetof(struct kfilter_mapping, name) ==
    offsetof(__KQ_MAPPING, name), "kfilter_mapping.name offset");
__KQ_STATIC_ASSERT(offsetof(struct kfilter_mapping, len) ==
    offsetof(__KQ_MAPPING, len), "kfilter_mapping.len offset");
__KQ_STATIC_ASSERT(offsetof(struct kfilter_mapping, filter) ==
    offsetof(__KQ_MAPPING, filter), "kfilter_mapping.filter offset");
#undef __KQ_RECORD
#undef __KQ_MAPPING

#define __KQ_ASSERT_FIELD(s, k, f)					\
	__KQ_STATIC_ASSERT(offsetof(struct s, f) == offsetof(struct k, f) && \
	    sizeof(((struct s *)0)->f) == sizeof(((struct k *)0)->f),	\
	    #s "." #f " differs from the kernel's")
__KQ_STATIC_ASSERT(sizeof(struct kevent64_s) == KQ_RECORD_KEVENT64_S,
    "struct kevent64_s size");
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, ident);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, filter);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, flags);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, fflags);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, data);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, udata);
__KQ_ASSERT_FIELD(kevent64_s, kq_kevent64_s, ext);
__KQ_STATIC_ASSERT(sizeof(struct kevent_qos_s) == KQ_RECORD_KEVENT_QOS,
    "struct kevent_qos_s size");
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, ident);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, filter);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, flags);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, qos);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, udata);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, fflags);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, xflags);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, data);
__KQ_ASSERT_FIELD(kevent_qos_s, kq_kevent_qos, ext);
#undef __KQ_ASSERT_FIELD

#undef __KQ_STATIC_ASSERT

#ifdef __cplusplus
extern "C" {
#endif

/* Fail with ENOSYS when /dev/kqueue is absent (module not loaded). */
int	kqueue(void);
int	kqueue1(int flags);		/* O_CLOEXEC, O_NONBLOCK */
int	kqueuex(unsigned int flags);	/* KQUEUE_CLOEXEC, KQUEUE_CPONFORK */
int	kevent(int kq, const struct kevent *changelist, int nchanges,
	    struct kevent *eventlist, int nevents,
	    const struct timespec *timeout);

/* Darwin: 48- and 72-byte records, KEVENT_FLAG_* flags. */
int	kevent64(int kq, const struct kevent64_s *changelist, int nchanges,
	    struct kevent64_s *eventlist, int nevents, unsigned int flags,
	    const struct timespec *timeout);
int	kevent_qos(int kq, const struct kevent_qos_s *changelist,
	    int nchanges, struct kevent_qos_s *eventlist, int nevents,
	    void *data_out, size_t *data_available, unsigned int flags);

/* libkqueue compatibility: a no-op, the kernel closes synchronously. */
void	libkqueue_drain_pending_close(void);

#ifdef __cplusplus
}
#endif

#endif /* !_SYS_EVENT_H_ */
