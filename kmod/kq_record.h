/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The caller's kevent records, read and written in place: 32 bytes
 * (struct kevent of LP64 libkqueue, Darwin and FreeBSD <= 11), 64 bytes
 * (FreeBSD >= 12, ext[4]), 48 bytes (Darwin's kevent64_s: the first 48
 * bytes of FreeBSD's), 72 bytes (Darwin's kevent_qos_s) or 20 bytes
 * (struct kevent of an i386 program, through compat_ioctl).  Inline: one of
 * these runs per change and event.
 */
#ifndef KQ_RECORD_H
#define KQ_RECORD_H

#include <linux/uaccess.h>
#include "kq.h"

static_assert(sizeof(struct kq_kevent64) == KQ_RECORD_KEVENT64);

static inline bool kq_record_size_ok(u32 size)
{
	return size == KQ_RECORD_KEVENT || size == KQ_RECORD_KEVENT64 ||
	       size == KQ_RECORD_KEVENT32 || size == KQ_RECORD_KEVENT64_S ||
	       size == KQ_RECORD_KEVENT_QOS;
}

/* kevent64() and kevent_qos() records: Darwin's semantics where they differ */
static inline bool kq_record_is_darwin(u32 size)
{
	return size == KQ_RECORD_KEVENT64_S || size == KQ_RECORD_KEVENT_QOS;
}

/* Where a record keeps data: the harvest's scratch word (TIOCINQ). */
static inline size_t kq_record_data_offset(unsigned int size)
{
	switch (size) {
	case KQ_RECORD_KEVENT32:
		return offsetof(struct kq_kevent32, data);
	case KQ_RECORD_KEVENT_QOS:
		return offsetof(struct kq_kevent_qos, data);
	}
	return offsetof(struct kq_kevent, data);
}

static inline int kq_record_read_qos(const u8 __user *slot, struct kq_kev *kev)
{
	struct kq_kevent_qos r;

	if (copy_from_user(&r, slot, sizeof(r)))
		return -EFAULT;
	*kev = (struct kq_kev){
		.ident = r.ident, .filter = r.filter, .flags = r.flags,
		.fflags = r.fflags, .data = r.data, .udata = r.udata,
		.qos = r.qos, .xflags = r.xflags, .darwin = true,
	};
	memcpy(kev->ext, r.ext, sizeof(kev->ext));
	return 0;
}

/* The common record: six loads in one user access window. */
static inline int kq_record_read_kevent(const struct kq_kevent __user *u,
					struct kq_kev *kev)
{
	struct kq_kevent r;

	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(r.ident, &u->ident, efault);
	unsafe_get_user(r.filter, &u->filter, efault);
	unsafe_get_user(r.flags, &u->flags, efault);
	unsafe_get_user(r.fflags, &u->fflags, efault);
	unsafe_get_user(r.data, &u->data, efault);
	unsafe_get_user(r.udata, &u->udata, efault);
	user_access_end();
	*kev = (struct kq_kev){
		.ident = r.ident, .filter = r.filter, .flags = r.flags,
		.fflags = r.fflags, .data = r.data, .udata = r.udata,
	};
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static inline int kq_record_read(const u8 __user *slot, unsigned int size,
				 struct kq_kev *kev)
{
	struct kq_kevent64 rec = {};

	if (size == KQ_RECORD_KEVENT)
		return kq_record_read_kevent((const void __user *)slot, kev);
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
	} else if (size == KQ_RECORD_KEVENT_QOS) {
		return kq_record_read_qos(slot, kev);
	} else if (size == KQ_RECORD_KEVENT64_S) {
		if (copy_from_user(&rec, slot, KQ_RECORD_KEVENT64_S))
			return -EFAULT;
	} else if (copy_from_user(&rec, slot, sizeof(rec))) {
		return -EFAULT;
	}
	*kev = (struct kq_kev){
		.ident = rec.ident, .filter = rec.filter, .flags = rec.flags,
		.fflags = rec.fflags, .data = rec.data, .udata = rec.udata,
		.darwin = size == KQ_RECORD_KEVENT64_S,
	};
	memcpy(kev->ext, rec.ext, sizeof(kev->ext));
	return 0;
}

/* The common record: six stores in one user access window. */
static inline int kq_record_write_kevent(struct kq_kevent __user *u,
					 const struct kq_kev *kev)
{
	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_put_user(kev->ident, &u->ident, efault);
	unsafe_put_user(kev->filter, &u->filter, efault);
	unsafe_put_user(kev->flags, &u->flags, efault);
	unsafe_put_user(kev->fflags, &u->fflags, efault);
	unsafe_put_user(kev->data, &u->data, efault);
	unsafe_put_user(kev->udata, &u->udata, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static inline int kq_record_write(u8 __user *slot, unsigned int size,
				  const struct kq_kev *kev)
{
	struct kq_kevent64 rec = {
		.ident = kev->ident, .filter = kev->filter,
		.flags = kev->flags, .fflags = kev->fflags,
		.data = kev->data, .udata = kev->udata,
	};

	if (size == KQ_RECORD_KEVENT)
		return kq_record_write_kevent((void __user *)slot, kev);
	if (size == KQ_RECORD_KEVENT32) {
		/* as an i386 BSD kernel: data is an intptr_t, it truncates */
		struct kq_kevent32 r32 = {
			.ident = (u32)kev->ident, .filter = kev->filter,
			.flags = kev->flags, .fflags = kev->fflags,
			.data = (s32)kev->data, .udata = (u32)kev->udata,
		};

		return copy_to_user(slot, &r32, sizeof(r32)) ? -EFAULT : 0;
	}
	if (size == KQ_RECORD_KEVENT_QOS) {
		struct kq_kevent_qos r = {
			.ident = kev->ident, .filter = kev->filter,
			.flags = kev->flags, .qos = kev->qos,
			.udata = kev->udata, .fflags = kev->fflags,
			.xflags = kev->xflags, .data = kev->data,
		};

		memcpy(r.ext, kev->ext, sizeof(r.ext));
		return copy_to_user(slot, &r, sizeof(r)) ? -EFAULT : 0;
	}
	/* constant sizes: no usercopy check of the stack object per record */
	memcpy(rec.ext, kev->ext, sizeof(rec.ext));
	if (size == KQ_RECORD_KEVENT64_S)
		return copy_to_user(slot, &rec, KQ_RECORD_KEVENT64_S) ?
		       -EFAULT : 0;
	return copy_to_user(slot, &rec, sizeof(rec)) ? -EFAULT : 0;
}

#endif /* KQ_RECORD_H */
