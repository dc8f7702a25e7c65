/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EVFILT_PROC and EVFILT_PROCDESC: the process watches (kq_pwatch.c) and
 * the filters on them (kq_proc.c).
 */
#ifndef KQ_PROC_H
#define KQ_PROC_H

#include "kq.h"

#define KQ_PROC_FFLAGS	(NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK | \
			 NOTE_EXITSTATUS | NOTE_EXIT_DETAIL | NOTE_SIGNAL | \
			 NOTE_REAP)

/*
 * One kqueue's watch on one process: its hooks, and what they saw that
 * the kqueue's knotes have not been told yet (a hub, kq.h).
 */
struct kq_pwatch {
	struct kq_hub hub;
	struct pid *pid;		/* a reference */
	struct hlist_node link;		/* e->links (RCU) */
	struct kq_watch_entry *e;
	wait_queue_entry_t wait;	/* on pid->wait_pidfd: the exit */
	struct kq_reap_link reap;	/* NOTE_REAP, once a knote asks */
	struct list_head knotes;	/* kn->proc.link, under kq->mtx */
	u32 interest;			/* what the knotes ask: probes read it */
	/* the watcher, for the rule again after an exec (kq_pwatch_exec) */
	kuid_t uid;
	kgid_t gid;
	bool privileged;		/* CAP_SYS_PTRACE when it was made */
	pid_t ppid;			/* NOTE_CHILD's data, set at adoption */
	/* under kq->lock */
	u32 pending;			/* NOTE_FORK, NOTE_EXEC, NOTE_SIGNAL */
	int status;			/* wait(2) status once exited */
	u32 detail;			/* NOTE_EXIT_DETAIL's reason bits */
	bool exited;
	bool reaped;
	bool revoked;			/* the rule no longer holds: like exit */
	bool trackerr;			/* a NOTE_TRACK child could not be made */
	struct list_head children;	/* NOTE_TRACK: made by the fork probe */
	struct list_head sibling;	/* in the parent's children */
};

/* kq_pwatch.c */
struct kq_pwatch *kq_pwatch_get(struct kq *kq, struct pid *pid);
void kq_pwatch_put(struct kq_pwatch *pw);
void kq_pwatch_requeue(struct kq_pwatch *pw);
int kq_pwatch_watch_reap(struct kq_pwatch *pw);
bool kq_may_watch(struct task_struct *t);
bool kq_group_exited(struct pid *pid);

/* kq_proc.c */
void kq_proc_fanout(struct kq_hub *hub);

#endif /* KQ_PROC_H */
