/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The caller's kevent records, read and written in place: 32 bytes
 * (struct kevent of LP64 libkqueue, Darwin and FreeBSD <= 11), 64 bytes
 * (FreeBSD >= 12, ext[4]) or 20 bytes (struct kevent of an i386 program,
 * through compat_ioctl).  Inline: one of these runs per change and event.
 */
#ifndef KQ_RECORD_H
#define KQ_RECORD_H

#include <linux/uaccess.h>
#include "kq.h"

static inline bool kq_record_size_ok(u32 size)
{
	return size == KQ_RECORD_KEVENT || size == KQ_RECORD_KEVENT64 ||
	       size == KQ_RECORD_KEVENT32;
}

/* Where a record keeps data: the harvest's scratch word (TIOCINQ). */
static inline size_t kq_record_data_offset(unsigned int size)
{
	return size == KQ_RECORD_KEVENT32 ? offsetof(struct kq_kevent32, data) :
					    offsetof(struct kq_kevent, data);
}

static inline int kq_record_read(const u8 __user *slot, unsigned int size,
				 struct kq_kev *kev)
{
	struct kq_kevent64 rec = {};

	if (size == KQ_RECORD_KEVENT32) {
		struct kq_kevent32 r32;

		if (copy_from_user(&r32, slot, sizeof(r32)))
			return -EFAULT;
		/* ILP32: intptr_t data widens with its sign */
		rec = (struct kq_kevent64){
			.ident = r32.ident, .filter = r32.filter,
			.flags = r32.flags, .fflags = r32.fflags,
			.data = r32.data, .udata = r32.udata,
		};
	} else if (copy_from_user(&rec, slot, size)) {
		return -EFAULT;
	}
	kev->ident = rec.ident;
	kev->filter = rec.filter;
	kev->flags = rec.flags;
	kev->fflags = rec.fflags;
	kev->data = rec.data;
	kev->udata = rec.udata;
	memcpy(kev->ext, rec.ext, sizeof(kev->ext));
	return 0;
}

static inline int kq_record_write(u8 __user *slot, unsigned int size,
				  const struct kq_kev *kev)
{
	struct kq_kevent64 rec = {
		.ident = kev->ident, .filter = kev->filter,
		.flags = kev->flags, .fflags = kev->fflags,
		.data = kev->data, .udata = kev->udata,
	};

	if (size == KQ_RECORD_KEVENT32) {
		/* as an i386 BSD kernel: data is an intptr_t, it truncates */
		struct kq_kevent32 r32 = {
			.ident = (u32)kev->ident, .filter = kev->filter,
			.flags = kev->flags, .fflags = kev->fflags,
			.data = (s32)kev->data, .udata = (u32)kev->udata,
		};

		return copy_to_user(slot, &r32, sizeof(r32)) ? -EFAULT : 0;
	}
	memcpy(rec.ext, kev->ext, sizeof(rec.ext));
	return copy_to_user(slot, &rec, size) ? -EFAULT : 0;
}

#endif /* KQ_RECORD_H */
