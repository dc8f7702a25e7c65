// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/fdinfo/FD of a kqueue: one line per knote. */
#include <linux/seq_file.h>
#include <linux/fs.h>
#include "kq.h"

void kq_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kq *kq = file->private_data;
	struct knote *kn;
	unsigned int i, st;

	if (mutex_lock_killable(&kq->mtx))
		return;
	seq_printf(m, "knotes:\t%u\npending:\t%u\n", kq->nknotes,
		   kq_pending(kq));
	for (i = 0; i < (1U << kq->hbits); i++) {
		hlist_for_each_entry(kn, &kq->table[i], hnode) {
			/*
			 * A snapshot for the reader, without kq->lock: a
			 * wake-up may change the bits meanwhile, and the
			 * line is stale as soon as it is read anyway.
			 */
			st = data_race(kn->status);
			seq_printf(m, "knote: ident:%llu filter:%d flags:0x%x fflags:0x%x data:%lld udata:0x%llx state:%s%s%s\n",
				   kn->ident, kn->filter, kn->flags,
				   kn->sfflags, kn->sdata, kn->udata,
				   (st & KN_ACTIVE) ? "active" : "idle",
				   (st & KN_QUEUED) ? ",queued" : "",
				   (st & KN_DISABLED) ? ",disabled" : "");
		}
	}
	mutex_unlock(&kq->mtx);
}
