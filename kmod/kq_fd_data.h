/* SPDX-License-Identifier: GPL-2.0 */
/* Readiness and exact data of descriptor filters, per file type. */
#ifndef KQ_FD_DATA_H
#define KQ_FD_DATA_H

#include "kq.h"

/* The poll events a descriptor filter waits for. */
static inline __poll_t kq_fd_interest(s16 filter)
{
	switch (filter) {
	case EVFILT_READ:
		return EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
	case EVFILT_EXCEPT:
		return EPOLLPRI | EPOLLRDBAND | EPOLLHUP | EPOLLERR;
	default:
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLERR;
	}
}

int kq_fd_validate(struct file *file, const struct kq_kev *kev);
bool kq_fd_ready(struct knote *kn, __poll_t mask, struct kq_kev *out);
bool kq_is_plain_file(struct file *file);
int kq_fd_cache_init(void);
void kq_fd_cache_exit(void);

#endif /* KQ_FD_DATA_H */
