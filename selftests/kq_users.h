/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privileges and users: becoming nobody or an unprivileged test user.
 */
#ifndef KQ_USERS_H
#define KQ_USERS_H

#include "kq_kevent.h"

#define KQ_NOBODY	65534

/* Become uid/gid 65534 with no supplementary groups; 0 or -1. */
static inline int kq_drop_to_nobody(void)
{
	if (setgroups(0, NULL))
		return -1;
	if (setgid(KQ_NOBODY))
		return -1;
	if (setuid(KQ_NOBODY))
		return -1;
	return getuid() == KQ_NOBODY && geteuid() == KQ_NOBODY ? 0 : -1;
}

/* Unprivileged users of the isolation tests. */
#define KQ_USER_A	1000
#define KQ_USER_B	1001

/* Become uid/gid id (real, effective, saved), no groups; 0 or -1. */
static inline int kq_become(unsigned int id)
{
	if (setgroups(0, NULL) || setresgid(id, id, id) ||
	    setresuid(id, id, id))
		return -1;
	return geteuid() == id && getegid() == id ? 0 : -1;
}


#endif /* KQ_USERS_H */
