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

#if !defined(__LP64__) && !defined(__i386__)
#error "<sys/event.h>: x86_64 and i386 only"
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

/* kqueuex() flags (FreeBSD 14). */
#define KQUEUE_CLOEXEC		0x00000001

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
#else	/* i386: the 20-byte record and NetBSD's 12-byte mapping (compat) */
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

#undef __KQ_STATIC_ASSERT

#ifdef __cplusplus
extern "C" {
#endif

/* Fail with ENOSYS when /dev/kqueue is absent (module not loaded). */
int	kqueue(void);
int	kqueue1(int flags);		/* O_CLOEXEC, O_NONBLOCK */
int	kqueuex(unsigned int flags);	/* KQUEUE_CLOEXEC */
int	kevent(int kq, const struct kevent *changelist, int nchanges,
	    struct kevent *eventlist, int nevents,
	    const struct timespec *timeout);

/* libkqueue compatibility: a no-op, the kernel closes synchronously. */
void	libkqueue_drain_pending_close(void);

#ifdef __cplusplus
}
#endif

#endif /* !_SYS_EVENT_H_ */
