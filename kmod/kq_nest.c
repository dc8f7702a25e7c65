// SPDX-License-Identifier: GPL-2.0
/*
 * Kqueues watching kqueues, and waking a kqueue's own pollers.
 *
 * A kqueue is pollable (poll, select, epoll, another kqueue's EVFILT_READ).
 * Its poll_wait is woken with no kq lock held.  When the wakeup that made a
 * knote active came from another aggregator's poll_wait (a kqueue or an
 * epoll), waking our pollers there and then would nest one poll_wait lock
 * inside another, and a kqueue/epoll cycle (which epoll's own loop check
 * cannot see through a kqueue) would take the same lock twice.  Such
 * wakeups are deferred to an irq_work: the knote itself is queued at once,
 * so a zero-timeout kevent() sees it immediately; only the next hop waits.
 *
 * Graph of kqueues watching kqueues: kq_nest_mutex protects the watching
 * and watchers lists.  It nests inside kq->mtx and takes no other lock.
 * Cycles are refused, and chains longer than KQ_MAX_NEST kqueues.
 */
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/magic.h>
#include "kq.h"

#define KQ_MAX_NEST	5

struct kq_nest_link {
	struct knote *kn;
	struct kq *outer, *inner;
	struct list_head watching_link;	/* outer->watching */
	struct list_head watchers_link;	/* inner->watchers */
};

static DEFINE_MUTEX(kq_nest_mutex);

void kq_poll_work_fn(struct irq_work *work)
{
	struct kq *kq = container_of(work, struct kq, poll_work);

	wake_up_poll(&kq->poll_wait, EPOLLIN | EPOLLRDNORM);
}

void kq_wake_pollers(struct kq *kq)
{
	if (wq_has_sleeper(&kq->poll_wait))
		wake_up_poll(&kq->poll_wait, EPOLLIN | EPOLLRDNORM);
}

void kq_wake_pollers_deferred(struct kq *kq)
{
	if (wq_has_sleeper(&kq->poll_wait))
		irq_work_queue(&kq->poll_work);
}

/* An epoll or kqueue descriptor: its wakeups come from inside another. */
bool kq_file_is_aggregator(struct file *file)
{
	if (kq_is_kqueue_file(file))
		return true;
	/* anon inodes are never renamed: their name is stable */
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[eventpoll]");
}

/*
 * The walks below see each kqueue once per check (nest_gen), so a check
 * costs the size of the graph, not the number of its paths: one user can
 * build a graph with millions of paths, and kq_nest_mutex is global.  The
 * graph is acyclic and at most KQ_MAX_NEST deep, which bounds recursion.
 */
static unsigned long kq_nest_gen;

static void kq_nest_new_walk(void)
{
	kq_nest_gen++;
	cond_resched();
}

static bool kq_nest_seen(struct kq *kq)
{
	if (kq->nest_gen == kq_nest_gen)
		return true;
	kq->nest_gen = kq_nest_gen;
	return false;
}

/* Longest chain of kqueues from @kq downwards (through what it watches). */
static int kq_depth_down(struct kq *kq, int level)
{
	struct kq_nest_link *l;
	int d = 1;

	if (level > KQ_MAX_NEST)
		return level;
	if (kq_nest_seen(kq))
		return kq->nest_val;
	list_for_each_entry(l, &kq->watching, watching_link)
		d = max(d, 1 + kq_depth_down(l->inner, level + 1));
	kq->nest_val = d;
	return d;
}

static int kq_depth_up(struct kq *kq, int level)
{
	struct kq_nest_link *l;
	int d = 1;

	if (level > KQ_MAX_NEST)
		return level;
	if (kq_nest_seen(kq))
		return kq->nest_val;
	list_for_each_entry(l, &kq->watchers, watchers_link)
		d = max(d, 1 + kq_depth_up(l->outer, level + 1));
	kq->nest_val = d;
	return d;
}

/* A kqueue seen before in this walk did not reach @to. */
static bool kq_reaches(struct kq *from, struct kq *to, int level)
{
	struct kq_nest_link *l;

	if (from == to)
		return true;
	if (level > KQ_MAX_NEST)
		return true;	/* deeper than allowed: treat as a loop */
	if (kq_nest_seen(from))
		return false;
	list_for_each_entry(l, &from->watching, watching_link)
		if (kq_reaches(l->inner, to, level + 1))
			return true;
	return false;
}

static bool kq_nest_allowed(struct kq *outer, struct kq *inner)
{
	int up, down;

	kq_nest_new_walk();
	if (kq_reaches(inner, outer, 1))
		return false;
	kq_nest_new_walk();
	up = kq_depth_up(outer, 1);
	kq_nest_new_walk();
	down = kq_depth_down(inner, 1);
	return up + down <= KQ_MAX_NEST;
}

int kq_nest_attach(struct knote *kn, struct kq *inner)
{
	struct kq *outer = kn->kq;
	struct kq_nest_link *l;
	int err = 0;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	mutex_lock(&kq_nest_mutex);
	if (!kq_nest_allowed(outer, inner)) {
		err = -EINVAL;
		goto out_unlock;
	}
	l->kn = kn;
	l->outer = outer;
	l->inner = inner;
	list_add(&l->watching_link, &outer->watching);
	list_add(&l->watchers_link, &inner->watchers);
	kn->nest = l;
	l = NULL;
out_unlock:
	mutex_unlock(&kq_nest_mutex);
	kfree(l);
	return err;
}

void kq_nest_detach(struct knote *kn)
{
	struct kq_nest_link *l = kn->nest;

	mutex_lock(&kq_nest_mutex);
	list_del(&l->watching_link);
	list_del(&l->watchers_link);
	mutex_unlock(&kq_nest_mutex);
	kn->nest = NULL;
	kfree(l);
}
