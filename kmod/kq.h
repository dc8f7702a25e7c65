/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kqueue for Linux: the engine's shared definitions.
 *
 * Objects:
 *   struct kq        one per open of /dev/kqueue
 *   struct knote     one per (kq, ident, filter), or per (kq, ident, filter,
 *                    udata) with EV_UDATA_SPECIFIC; fd knotes hold a file ref
 *   struct kq_owner  one per files_struct that opened a kqueue: lets a
 *                    close() find the kqueues whose knotes must go
 *   struct kq_hub    one per (kq, watched object: a process, an inode):
 *                    the object's hooks mark it and queue it once, and the
 *                    owner's kevent() fans it out to its knotes
 *
 * Lock order (outermost first); the rules live here because kq_knote.c,
 * kq_kevent.c and kq_close.c all take these locks:
 *
 *   owner->lock           list of an owner's kqueues (kq_close.c)
 *     kq->mtx             registration, scans, detach; may sleep
 *       kq_nest_mutex     graph of kqueues watching kqueues (kq_nest.c)
 *         pipe->mutex,    taken by filters reading the file's state
 *         source wq lock  (add/remove_wait_queue, taken inside ->poll)
 *           kq->lock      irq-safe spinlock: the active queue, knote
 *                         status bits and pending counts.  Wait-queue
 *                         callbacks and hrtimers take it with the source
 *                         lock already held, so kq->lock is never held
 *                         while a wait-queue lock is taken, and never
 *                         held while waking kq->poll_wait.
 *             kq->wq.lock waking threads sleeping in kevent()
 *
 * kq->poll_wait (pollers of the kqueue itself: poll, epoll, other kqueues)
 * is woken with no kq lock held.  A knote activated from another kqueue's
 * or an epoll's poll_wait defers that wakeup to an irq_work, so chains of
 * kqueues and epolls never take one poll_wait lock inside another
 * (kq_nest.c).
 */
#ifndef KQ_H
#define KQ_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/hash.h>
#include <linux/fdtable.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <linux/kqueue.h>

struct kq_owner;
struct knote;
struct kq_nest_link;
struct kq_fsmark;
struct tracepoint;
struct kq_uacct;
struct kq_watch_entry;
struct kq_sigwatch;
struct kq_pwatch;

struct kq {
	struct mutex mtx;		/* knote table, scans: see above */
	spinlock_t lock;		/* active queue, status: see above */
	struct list_head active;	/* queued knotes, under lock */
	struct list_head parked;	/* knotes no wakeup will reach, under lock */
	struct list_head hubq;		/* kq_hub.qlink, under lock */
	unsigned int nactive;		/* active and hubq lengths, under lock */
	unsigned int scan_seq;		/* odd while a scan holds knotes */
	wait_queue_head_t wq;		/* threads in kevent() */
	wait_queue_head_t poll_wait;	/* pollers of this kqueue */
	struct irq_work poll_work;	/* deferred poll_wait wakeup */

	struct hlist_head *table;	/* knotes by key, under mtx */
	unsigned int hbits;
	unsigned int nknotes;

	struct kq_owner *owner;
	struct list_head owner_link;	/* in owner->kqs */
	struct kq_uacct *uacct;		/* the opener: knotes are charged */
	struct file *file;
	bool closing;			/* set once at release, under lock */
	bool cponfork;			/* KQ_FLAG_CPONFORK; under mtx */
	unsigned int nfdknotes;		/* descriptor knotes; under mtx */
	size_t credit;			/* bytes charged, not used; under mtx */
	struct rcu_head rcu;		/* probes may touch kq->lock late */
	bool orphaned;			/* owner's file table is gone */

	struct list_head watching;	/* kq_nest_link.watching_link */
	struct list_head watchers;	/* kq_nest_link.watchers_link */
	unsigned long closed_scan_at;	/* jiffies: see kq_drop_closed_fd_knotes */
	unsigned long nest_gen;		/* last graph walk that saw it */
	int nest_val;			/* that walk's result for it */
};

/*
 * Who pays for an event: an object many knotes watch (a process, an
 * inode) carries one hook per kqueue, not one per knote.  The hook runs
 * in the system call of whoever causes the event (a kill(), a fork, a
 * read of the file): it records the event in the hub and queues the hub,
 * a constant cost.  The walk over the hub's knotes, whose length the
 * kqueue's owner chose, runs in the owner's next kevent(), under kq->mtx
 * with interrupts on (kq_hubs_fanout).  A queued hub counts in nactive,
 * so kevent(), poll and nested kqueues see it as pending.
 */
struct kq_hub {
	struct kq *kq;
	struct list_head qlink;		/* kq->hubq; empty: not queued */
	bool dead;			/* hooks going: never queued again */
	/* kq->mtx held, hub off the queue: hand its events to its knotes */
	void (*fanout)(struct kq_hub *hub);
	struct rcu_head rcu;		/* hooks found under RCU free it late */
};

/* knote status bits, under kq->lock */
#define KN_ACTIVE	0x01	/* condition may hold: evaluate at harvest */
#define KN_QUEUED	0x02	/* on kq->active or a scan's private list */
#define KN_DISABLED	0x04	/* EV_DISABLE or EV_DISPATCH after delivery */
#define KN_DETACHED	0x08	/* being freed: callbacks must not queue */
#define KN_PARKED	0x10	/* on kq->parked: re-checked at each kevent() */
#define KN_DEFERDELETE	0x40	/* EV_DISPATCH2: deleted once enabled again */

/*
 * One wait queue a descriptor knote hangs on.  The first is embedded in
 * the knote (most files have one queue); others are allocated and
 * chained.  wait.private is the knote.
 */
struct kq_pollwait {
	wait_queue_head_t *whead;	/* NULL: unused, or POLLFREE detached it */
	wait_queue_entry_t wait;	/* .func NULL: never hooked */
	struct kq_pollwait *next;	/* further queues of the same file */
};

/* What Darwin's and FreeBSD 12's records add, kept when not all zero. */
struct kq_knote_ext {
	u64 ext[4];			/* as registered; returned with events */
	s32 qos;			/* kevent_qos(): as registered */
};

struct knote {
	struct kq *kq;
	struct hlist_node hnode;	/* kq->table, under mtx */
	struct list_head alink;		/* active queue, under lock */
	const struct kq_filter *fop;
	struct file *file;		/* fd filters: a reference */

	u64 ident;
	s16 filter;
	u16 flags;			/* EV_ONESHOT|CLEAR|DISPATCH|RECEIPT,
					 * EV_UDATA_SPECIFIC
					 */
	u32 sfflags;			/* fflags as registered */
	s64 sdata;			/* data as registered */
	u64 udata;
	struct kq_knote_ext *x;		/* NULL: ext[] and qos all zero */
	unsigned int status;
	bool forced;			/* EV_FORCEONESHOT: report at next harvest */
	bool defer_wake;		/* source is a kqueue or an epoll */
	bool darwin;			/* made by kevent64(), kevent_qos() */
	struct kq_nest_link *nest;	/* when ident is another kqueue */

	/*
	 * Last: a knote is allocated only as long as its kind's part
	 * (kq_knote.c's caches), so descriptor knotes do not pay for the
	 * timer's struct hrtimer.
	 */
	union {
		struct {
			/*
			 * EVFILT_VNODE, and EVFILT_READ on a plain file
			 * (no poll wait queue): the kqueue's hub on the
			 * inode (kq_fsnotify.c)
			 */
			struct kq_fsmark *fsmark;
			union {
				/* EVFILT_READ, WRITE, EMPTY, EXCEPT */
				struct kq_pollwait pw;
				/* the knotes with an fsmark */
				struct {
					struct list_head fslink; /* fsmark->knotes */
					u32 fsmask;	/* FS_* events wanted */
					/* EVFILT_VNODE */
					struct {
						u32 fflags;	/* pending */
						unsigned int nlink; /* last seen */
						loff_t size;	/* last seen */
						bool gone;	/* revoked/removed: said */
					} vn;
				};
			};
		} fd;
		struct {
			struct hrtimer timer;
			u64 count;	/* expirations not yet delivered */
			ktime_t period;	/* 0: one shot */
			bool ticking;	/* armed; under kq->lock */
		} timer;
		struct {
			u32 fflags;	/* stored value */
			bool triggered;
		} user;
		struct {
			struct list_head link;	/* pw->knotes */
			struct kq_pwatch *pw;	/* the watched process */
			u32 fflags;		/* pending, under kq->lock */
			bool exited;		/* told by the fan-out */
			bool reaped;
			bool darwin;		/* kevent64(), kevent_qos() */
		} proc;
		struct {
			struct list_head link;	/* sw->knotes */
			struct kq_sigwatch *sw;	/* the watched process */
			u64 count;
		} sig;
	};
};

/* Whether EV_DISPATCH2 deferred the knote's delete; kq->mtx held. */
static inline bool kq_knote_deferdelete(const struct knote *kn)
{
	lockdep_assert_held(&kn->kq->mtx);
	/*
	 * KN_DEFERDELETE is set (never cleared) with kq->mtx held as well
	 * as kq->lock, so it is stable here.  The word's other bits may
	 * change meanwhile (a wake-up callback, under kq->lock only): a
	 * racy read whose other bits are not used.
	 */
	return data_race(kn->status) & KN_DEFERDELETE;
}

/* An inode's type (S_IFMT bits), read without the inode's lock. */
static inline umode_t kq_inode_type(const struct inode *inode)
{
	/*
	 * The type bits never change once the inode is made; chmod rewrites
	 * the others meanwhile (under i_rwsem, not taken here; even the
	 * anonymous inode every eventfd and epoll shares): a racy read of
	 * which only the type bits are used.
	 */
	return data_race(inode->i_mode) & S_IFMT;
}

/* The kevent record in kernel form: every user layout maps onto it. */
struct kq_kev {
	u64 ident;
	s16 filter;
	u16 flags;
	u32 fflags;
	s64 data;
	u64 udata;
	u64 ext[4];
	s32 qos;		/* struct kevent_qos_s only */
	u32 xflags;		/* struct kevent_qos_s only */
	bool darwin;		/* a kevent64() or kevent_qos() record/call */
	bool libkqueue;		/* a kevent() change in libkqueue's mode */
	void __user *uscratch;	/* harvest: the caller's slot, for TIOCINQ */
	bool park;		/* not ready, and no wakeup will say when */
	bool drop;		/* not reported, and the knote is done */
	bool level;		/* reported and still true: stays active */
	bool probe;		/* readiness only: data may be left out */
	struct pid *sigpid;	/* EVFILT_SIGNAL's process; NULL: the caller */
};

struct kq_filter {
	const char *name;
	bool isfd;
	/* the harvest clears KN_ACTIVE as it takes the knote, before ->event */
	bool clear_at_harvest;
	/* new knote: validate kev, hook the source; kq->mtx held */
	int (*attach)(struct knote *kn, const struct kq_kev *kev);
	/* unhook; kq->mtx held, may sleep */
	void (*detach)(struct knote *kn);
	/* EV_ADD on an existing knote: take the new parameters */
	int (*modify)(struct knote *kn, const struct kq_kev *kev);
	/*
	 * Harvest: decide whether to report and fill data/fflags/EOF.
	 * Called with kq->mtx held, kq->lock not held; KN_QUEUED clear.
	 * Returns true to report.  Clears KN_ACTIVE itself when the
	 * condition is consumed (edge) or found false.
	 */
	bool (*event)(struct knote *kn, struct kq_kev *out);
	/*
	 * Harvest: the event ->event made (and returned true for) could not
	 * be written to the caller (EFAULT): give back what ->event consumed
	 * (a count, a trigger, fflags), so that the next harvest reports it.
	 * kq->mtx held; NULL for filters whose ->event consumes nothing.
	 */
	void (*unsend)(struct knote *kn, const struct kq_kev *ev);
	/* descriptor filters: re-evaluate on EV_ENABLE; kq->mtx held */
	void (*recheck)(struct knote *kn);
	/*
	 * KQUEUE_CPONFORK: after attach, take what @src holds that attach
	 * does not make (a timer's deadline, a trigger, counts).  Both
	 * kqueues' mtx held.
	 */
	void (*copy)(struct knote *dst, struct knote *src);
};

extern const struct kq_filter kq_filter_read;
extern const struct kq_filter kq_filter_write;
extern const struct kq_filter kq_filter_empty;
extern const struct kq_filter kq_filter_except;
extern const struct kq_filter kq_filter_timer;
extern const struct kq_filter kq_filter_user;
extern const struct kq_filter kq_filter_signal;
extern const struct kq_filter kq_filter_proc;
extern const struct kq_filter kq_filter_procdesc;
extern const struct kq_filter kq_filter_vnode;

extern const struct file_operations kq_fops;

static inline bool kq_is_kqueue_file(const struct file *file)
{
	return file->f_op == &kq_fops;
}

/*
 * A scan (harvest, parked re-check) holds knotes off the queue, uncounted
 * by nactive: kq->scan_seq is odd meanwhile, so that a poll can tell an
 * empty queue from one being scanned without taking kq->mtx.  Under
 * kq->lock, with kq->mtx held.
 */
static inline void kq_scan_begin_locked(struct kq *kq)
{
	WRITE_ONCE(kq->scan_seq, kq->scan_seq + 1);
	smp_wmb();	/* odd before any knote leaves the queue */
}

static inline void kq_scan_end_locked(struct kq *kq)
{
	smp_wmb();	/* knotes back in the queue before it is even */
	WRITE_ONCE(kq->scan_seq, kq->scan_seq + 1);
}

/* Nothing queued, parked or held by a scan; no lock. */
static inline bool kq_surely_empty(struct kq *kq)
{
	unsigned int seq = READ_ONCE(kq->scan_seq);
	bool empty;

	smp_rmb();	/* pairs with kq_scan_begin_locked() */
	empty = !(seq & 1) && !READ_ONCE(kq->nactive) &&
		list_empty_careful(&kq->parked);
	smp_rmb();	/* pairs with kq_scan_end_locked() */
	return empty && READ_ONCE(kq->scan_seq) == seq;
}

/* kq_hub.c */
void kq_hub_init(struct kq_hub *hub, struct kq *kq,
		 void (*fanout)(struct kq_hub *hub));
bool kq_hub_queue_locked(struct kq_hub *hub);
void kq_hub_retire_locked(struct kq_hub *hub);
void kq_hub_retire(struct kq_hub *hub);
void kq_hub_flush(struct kq_hub *hub);
void kq_hubs_fanout(struct kq *kq);

static inline bool kq_hubs_queued(struct kq *kq)
{
	return !list_empty(&kq->hubq);
}

/* kq_knote.c */
int kq_table_init(struct kq *kq);
void kq_table_free(struct kq *kq);
struct knote *kq_knote_find(struct kq *kq, s16 filter, u64 ident,
			    struct file *file, u16 flags, u64 udata);
struct knote *kq_knote_alloc(struct kq *kq, const struct kq_kev *kev,
			     const struct kq_filter *fop, struct file *file);
void kq_knote_insert(struct kq *kq, struct knote *kn);
void kq_knote_drop(struct knote *kn);
void kq_knote_drop_all(struct kq *kq);
void kq_knote_activate(struct knote *kn);
void kq_knote_activate_from(struct knote *kn, bool deferred);
bool kq_knote_queue_locked(struct knote *kn);
void kq_knote_free(struct knote *kn);
int kq_knote_cache_init(void);
void kq_knote_cache_exit(void);
void kq_knote_park(struct knote *kn);
void kq_recheck_parked(struct kq *kq);
void kq_drop_file_knotes(struct kq *kq, struct files_struct *files,
			 struct file *file);
struct hlist_head *kq_bucket_for_file(struct kq *kq, struct file *file);
void kq_drop_closed_fd_knotes(struct kq *kq);

/* Off the active queue, or off the parked list.  Under kq->lock. */
static inline void kq_knote_dequeue_locked(struct knote *kn)
{
	lockdep_assert_held(&kn->kq->lock);
	if (kn->status & KN_PARKED) {
		list_del_init(&kn->alink);
		kn->status &= ~KN_PARKED;
		return;
	}
	if (!(kn->status & KN_QUEUED))
		return;
	list_del_init(&kn->alink);
	kn->status &= ~KN_QUEUED;
	kn->kq->nactive--;
}

/*
 * The file at @fd in @files as fget() would find it (not O_PATH), but
 * without a reference: only for comparing with the knotes' own.  A
 * sched-RCU reader (no call out) keeps the table and the file's memory,
 * both freed after a grace period, in place.
 */
static inline struct file *kq_fd_peek(struct files_struct *files,
				      unsigned int fd)
{
	struct file *file;

	rcu_read_lock_sched();
	file = files_lookup_fd_raw(files, fd);
	if (file && (file->f_mode & FMODE_PATH))
		file = NULL;
	rcu_read_unlock_sched();
	return file;
}

/* A descriptor knote's ident still names its file in @files. */
static inline bool kq_knote_fd_current(struct knote *kn,
				       struct files_struct *files)
{
	return kn->ident < INT_MAX && kq_fd_peek(files, kn->ident) == kn->file;
}

/* kq_kevent.c */
long kq_ioctl_kevent(struct kq *kq, void __user *uarg);
int kq_knote_add(struct kq *kq, const struct kq_kev *kev,
		 const struct kq_filter *fop, struct file **file,
		 struct knote **out);
int kq_libkqueue_change(struct kq_kev *kev, u64 version_str);
unsigned int kq_pending(struct kq *kq);

/* kq_nest.c */
void kq_wake_pollers(struct kq *kq);
void kq_wake_pollers_deferred(struct kq *kq);
bool kq_file_is_aggregator(struct file *file);
void kq_poll_work_fn(struct irq_work *work);
int kq_nest_attach(struct knote *kn, struct kq *inner);
void kq_nest_detach(struct knote *kn);

/* kq_main.c */
struct file *kq_file_create(void);

/* kq_cponfork.c */
long kq_ioctl_set_flags(struct kq *kq, u32 __user *uarg);
void kq_cponfork_release(struct kq *kq);
int kq_cponfork_init(void);
void kq_cponfork_exit(void);

/* kq_close.c; struct kq_owner is here for the inline count below */
struct kq_owner {
	struct hlist_node node;		/* kq_owners, RCU readers */
	struct files_struct *files;	/* identity; not dereferenced once dead */
	struct mutex lock;		/* kqs */
	struct list_head kqs;
	refcount_t ref;
	atomic_t nfd;			/* descriptor knotes in its kqueues */
	atomic_t dead;
	struct callback_head teardown_cb;
	struct work_struct teardown_work;
	struct rcu_head rcu;
};

/* A descriptor knote made (+1) or dropped (-1); kq->mtx held. */
static inline void kq_owner_fd_knote(struct kq *kq, int delta)
{
	kq->nfdknotes += delta;
	if (kq->owner)
		atomic_add(delta, &kq->owner->nfd);
}

int kq_owner_attach(struct kq *kq);
bool kq_owner_exists(struct files_struct *files);
struct kq_each {
	void (*fn)(struct kq *kq, struct kq_each *each);
};

void kq_owner_visit_kqs(struct files_struct *files, struct kq_each *each);
void kq_cb_get(void);
void kq_cb_done(void);
void kq_owner_detach(struct kq *kq);
bool kq_owner_is_current(struct kq *kq);
bool kq_owner_is(struct kq *kq, fl_owner_t files);
bool kq_close_tracked(void);
int kq_close_tracking_init(void);
void kq_close_tracking_exit(void);

/* kq_fsnotify.c: hubs on inodes (kq_fsnotify.h) */
int kq_fs_watch(struct knote *kn, u32 mask);
void kq_fs_unwatch(struct knote *kn);
int kq_fs_init(void);
void kq_fs_exit(void);

/* kq_tracepoint.c */
int kq_tp_register(const char *name, void *probe, struct tracepoint **tpp);
void kq_tp_unregister(struct tracepoint *tp, void *probe);

/* kq_proc.c */
int kq_proc_init(void);
void kq_proc_exit(void);

/* kq_watchtab.c: watches found by a key from tracepoint probes */
struct kq_watch_entry {
	struct rhash_head node;
	unsigned long key;
	spinlock_t lock;		/* links, dead; irq-safe */
	struct hlist_head links;	/* one per kqueue (hub) */
	bool dead;			/* lost its last link: being removed */
	struct rcu_head rcu;
};

/*
 * A counting filter in front of the table, two counters per key: a key
 * nobody watches mostly finds a zero (with 256 entries, 1.4% do not).
 */
#define KQ_WATCH_FILTER_BITS	11
struct kq_watchtab {
	struct rhashtable ht;
	atomic_t maybe[2][1 << KQ_WATCH_FILTER_BITS];	/* entries by hash */
	void (*hold)(unsigned long key);	/* a new entry's key */
	void (*release)(unsigned long key);	/* a removed entry's key */
};

/*
 * A table keyed by struct pid: an entry holds a reference on its key, or
 * a freed pid could be reused by another process while still watched.
 */
void kq_watchtab_get_pid(unsigned long key);
void kq_watchtab_put_pid(unsigned long key);
#define KQ_WATCHTAB_BY_PID \
	{ .hold = kq_watchtab_get_pid, .release = kq_watchtab_put_pid }

int kq_watchtab_init(struct kq_watchtab *t);
void kq_watchtab_destroy(struct kq_watchtab *t);
struct kq_watch_entry *kq_watchtab_lookup(struct kq_watchtab *t,
					  unsigned long key);
struct kq_watch_entry *kq_watchtab_add(struct kq_watchtab *t,
				       unsigned long key,
				       struct hlist_node *link, gfp_t gfp);
void kq_watchtab_del(struct kq_watchtab *t, struct kq_watch_entry *e,
		     struct hlist_node *link);

/* @key's two counters: disjoint bits of one multiplicative hash */
static inline u32 kq_watchtab_hash(unsigned long key)
{
	return hash_long(key, 2 * KQ_WATCH_FILTER_BITS);
}

static inline atomic_t *kq_watchtab_counter(struct kq_watchtab *t, u32 h,
					    int i)
{
	return &t->maybe[i][(h >> (i * KQ_WATCH_FILTER_BITS)) &
			    ((1 << KQ_WATCH_FILTER_BITS) - 1)];
}

/*
 * No entry for @key: what a probe asks first, in a few instructions (a
 * multiply and two loads), so that a process nobody watches does not pay
 * the table's lookup while others are watched.  False positives only.
 */
static inline bool kq_watchtab_surely_not(struct kq_watchtab *t,
					  unsigned long key)
{
	u32 h = kq_watchtab_hash(key);

	return !atomic_read(kq_watchtab_counter(t, h, 0)) ||
	       !atomic_read(kq_watchtab_counter(t, h, 1));
}

/* kq_reap.c: a watch on one process's reaping (NOTE_REAP) */
struct kq_reap_link {
	struct hlist_node node;		/* entry->links */
	struct kq_watch_entry *entry;	/* NULL: not watching */
};

int kq_reap_watch(struct kq_reap_link *l, struct pid *pid);
void kq_reap_unwatch(struct kq_reap_link *l);
void kq_proc_reaped(struct kq_reap_link *l);	/* kq_pwatch.c; atomic */
int kq_reap_init(void);
void kq_reap_exit(void);

/* kq_signal.c */
int kq_signal_init(void);
void kq_signal_exit(void);

/* kq_uacct.c */
void kq_uacct_init(void);
struct kq_uacct *kq_uacct_get(void);
void kq_uacct_put(struct kq_uacct *u);

/*
 * One user's account.  The per-knote charges are inline: they are in
 * every registration's path (icount: a call each way cost ~10
 * instructions an EV_ADD/EV_DELETE pair).
 */
struct kq_uacct {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_long_t knotes;
	atomic_long_t bytes;
	atomic_t timers;
	struct rcu_head rcu;	/* a fork probe may charge it late */
};

extern unsigned long kq_max_user_knotes;
extern unsigned int kq_max_user_timers;

/* One knote (its bytes: kq_credit_take()). */
static inline bool kq_uacct_charge(struct kq_uacct *u)
{
	if (atomic_long_inc_return(&u->knotes) <= READ_ONCE(kq_max_user_knotes))
		return true;
	atomic_long_dec(&u->knotes);
	return false;
}

static inline void kq_uacct_uncharge(struct kq_uacct *u)
{
	atomic_long_dec(&u->knotes);
}

static inline bool kq_uacct_charge_timer(struct kq_uacct *u)
{
	if (atomic_inc_return(&u->timers) <= READ_ONCE(kq_max_user_timers))
		return true;
	atomic_dec(&u->timers);
	return false;
}

static inline void kq_uacct_uncharge_timer(struct kq_uacct *u)
{
	atomic_dec(&u->timers);
}

bool kq_credit_refill(struct kq *kq, size_t bytes);
void kq_credit_trim(struct kq *kq);
void kq_credit_return(struct kq *kq);

#define KQ_CREDIT_CHUNK	4096

/* A knote's @bytes from the kqueue's credit (kq_uacct.c); kq->mtx held. */
static inline bool kq_credit_take(struct kq *kq, size_t bytes)
{
	if (likely(kq->credit >= bytes)) {
		kq->credit -= bytes;
		return true;
	}
	return kq_credit_refill(kq, bytes);
}

static inline void kq_credit_give(struct kq *kq, size_t bytes)
{
	kq->credit += bytes;
	if (unlikely(kq->credit > 2 * KQ_CREDIT_CHUNK))
		kq_credit_trim(kq);
}

bool kq_uacct_charge_bytes(struct kq_uacct *u, size_t bytes);
void *kq_uacct_zalloc(struct kq_uacct *u, size_t size, gfp_t gfp);
void kq_uacct_uncharge_bytes(struct kq_uacct *u, size_t bytes);

/* kq_kfilter.c */
long kq_ioctl_kfilter(unsigned int cmd, void __user *uarg);

/* kq_fdinfo.c */
void kq_show_fdinfo(struct seq_file *m, struct file *file);

/* kq_timer.c */
extern unsigned int kq_max_timers;
int kq_timer_init(void);

/* module-wide counters (kq_main.c) */
extern atomic_t kq_live_kqueues;
extern atomic_t kq_live_knotes;

#endif /* KQ_H */
