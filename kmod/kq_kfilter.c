// SPDX-License-Identifier: GPL-2.0
/*
 * NetBSD's KFILTER_BYFILTER and KFILTER_BYNAME: filter names and numbers.
 * Like NetBSD's own table, this one lists every filter the ABI names,
 * also those EV_ADD refuses here (EINVAL): a program may look up
 * EVFILT_AIO or EVFILT_FS before it tries them.
 */
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/compat.h>
#include "kq.h"

static const struct {
	s16 filter;
	const char *name;
} kq_filter_names[] = {
	{ EVFILT_READ, "EVFILT_READ" },
	{ EVFILT_WRITE, "EVFILT_WRITE" },
	{ EVFILT_AIO, "EVFILT_AIO" },
	{ EVFILT_VNODE, "EVFILT_VNODE" },
	{ EVFILT_PROC, "EVFILT_PROC" },
	{ EVFILT_SIGNAL, "EVFILT_SIGNAL" },
	{ EVFILT_TIMER, "EVFILT_TIMER" },
	{ EVFILT_NETDEV, "EVFILT_NETDEV" },
	{ EVFILT_FS, "EVFILT_FS" },
	{ EVFILT_LIO, "EVFILT_LIO" },
	{ EVFILT_USER, "EVFILT_USER" },
	{ EVFILT_LIBKQUEUE, "EVFILT_LIBKQUEUE" },
	{ EVFILT_EMPTY, "EVFILT_EMPTY" },
	{ EVFILT_PROCDESC, "EVFILT_PROCDESC" },
	{ EVFILT_EXCEPT, "EVFILT_EXCEPT" },
	{ EVFILT_MACHPORT, "EVFILT_MACHPORT" },
	{ EVFILT_VM, "EVFILT_VM" },
};

#define KQ_KFILTER_MAXNAME	32

/* An i386 caller's mapping (compat_ioctl) read into the 64-bit one. */
static int kq_kfilter_read(void __user *uarg, struct kq_kfilter_mapping *m)
{
	struct kq_kfilter_mapping32 m32;

	if (!in_compat_syscall())
		return copy_from_user(m, uarg, sizeof(*m)) ? -EFAULT : 0;
	if (copy_from_user(&m32, uarg, sizeof(m32)))
		return -EFAULT;
	*m = (struct kq_kfilter_mapping){ .name = m32.name, .len = m32.len,
					  .filter = m32.filter };
	return 0;
}

static int kq_kfilter_write_filter(void __user *uarg,
				   const struct kq_kfilter_mapping *m)
{
	if (in_compat_syscall())
		return put_user(m->filter, &((struct kq_kfilter_mapping32 __user *)
					     uarg)->filter);
	return put_user(m->filter, &((struct kq_kfilter_mapping __user *)
				     uarg)->filter);
}

long kq_ioctl_kfilter(unsigned int cmd, void __user *uarg)
{
	struct kq_kfilter_mapping m;
	char name[KQ_KFILTER_MAXNAME];
	unsigned int i;
	long n;

	if (kq_kfilter_read(uarg, &m))
		return -EFAULT;
	if (cmd == KQ_IOC_KFILTER_BYFILTER) {
		for (i = 0; i < ARRAY_SIZE(kq_filter_names); i++) {
			if (kq_filter_names[i].filter != (s32)m.filter)
				continue;
			n = strlen(kq_filter_names[i].name) + 1;
			if (m.len < n)
				return -ENAMETOOLONG;
			if (copy_to_user(u64_to_user_ptr(m.name),
					 kq_filter_names[i].name, n))
				return -EFAULT;
			return 0;
		}
		return -ENOENT;
	}

	n = strncpy_from_user(name, u64_to_user_ptr(m.name), sizeof(name));
	if (n < 0)
		return -EFAULT;
	if (n == sizeof(name))
		return -ENAMETOOLONG;
	for (i = 0; i < ARRAY_SIZE(kq_filter_names); i++) {
		if (strcmp(kq_filter_names[i].name, name))
			continue;
		m.filter = (u32)(s32)kq_filter_names[i].filter;
		return kq_kfilter_write_filter(uarg, &m) ? -EFAULT : 0;
	}
	return -ENOENT;
}
