// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptor lifetime: close(fd) drops that descriptor's knotes in every
 * kqueue of the process before close() returns (reference §4).
 *
 * Descriptor knotes hold a reference on their file, as on FreeBSD, so a
 * watched socket would otherwise stay open after close().  A module cannot
 * use epoll's __fput hook; instead a hook on the close path (filp_flush
 * where it exists, 6.7+, which every close path calls; filp_close before
 * that) sees (file, files): an ftrace_ops, which gets the arguments
 * without a full register save, or where that cannot be placed a kprobe
 * (through ftrace too, with every register saved: about 150 instructions
 * more per close()).  The hook only checks whether these files own a
 * kqueue with descriptor knotes and queues a task_work; it may run with
 * preemption on or off.  The task_work runs before the closing task returns
 * to userland and drops the knotes whose ident no longer maps to their
 * file; a dup() of the same file keeps its own knotes.
 *
 * When the file table itself is torn down (exit, last reference), every
 * knote of its kqueues goes, and those kqueues become orphans.  A table
 * with no descriptor closes nothing on its way out: the sched_process_exit
 * tracepoint catches that case (kq_exit_probe).
 * Without the probe, kevent() still never reports a stale descriptor
 * (kq_kevent.c revalidates at harvest), but the file stays referenced
 * until then.
 *
 * The probe is armed only while some kqueue is open, so a system without
 * kqueue users pays nothing on close(); it is disarmed a second after the
 * last one goes, so churn does not re-patch the text.  It must see every
 * owner's exit, descriptor knotes or not: an owner left hashed under a
 * freed files_struct could be matched by a new one at that address.
 *
 * Sweeps and teardowns run module code from task_work or a workqueue
 * after the kqueue that asked for them may be gone; kq_cbs_pending lets
 * module exit wait for them.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kprobes.h>
#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/fdtable.h>
#include <linux/task_work.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include "kq.h"
#include "kq_compat.h"

struct kq_sweep {
	struct callback_head cb;
	struct kq_owner *owner;
	struct file *file;		/* compared only, never dereferenced */
};

static DEFINE_SPINLOCK(kq_owners_lock);
static DEFINE_HASHTABLE(kq_owners, 8);
static atomic_t kq_nr_owners = ATOMIC_INIT(0);
static struct kprobe kq_close_kp;
static void kq_close_ftrace(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *op, struct ftrace_regs *fregs);
static struct ftrace_ops kq_close_ops = { .func = kq_close_ftrace };
static bool kq_close_by_ftrace;	/* kq_close_ops, not kq_close_kp */
static bool kq_probe_active;	/* registered */
static bool kq_probe_armed;	/* under kq_probe_mutex */
static DEFINE_MUTEX(kq_probe_mutex);
static atomic_t kq_cbs_pending = ATOMIC_INIT(0);
static struct tracepoint *kq_exit_tp;
static void kq_probe_disarm_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(kq_probe_disarm_work, kq_probe_disarm_fn);

static struct kq_owner *kq_owner_lookup_rcu(struct files_struct *files)
{
	struct kq_owner *o;

	hash_for_each_possible_rcu(kq_owners, o, node, (unsigned long)files)
		if (o->files == files)
			return o;
	return NULL;
}

/* The owner of @files with a reference, or NULL; any context. */
static struct kq_owner *kq_owner_get(struct files_struct *files)
{
	struct kq_owner *o;

	rcu_read_lock();
	o = kq_owner_lookup_rcu(files);
	if (o && !refcount_inc_not_zero(&o->ref))
		o = NULL;
	rcu_read_unlock();
	return o;
}

static void kq_probe_disarm_fn(struct work_struct *w)
{
	mutex_lock(&kq_probe_mutex);
	if (kq_probe_armed && !atomic_read(&kq_nr_owners)) {
		if (kq_close_by_ftrace)
			unregister_ftrace_function(&kq_close_ops);
		else
			disable_kprobe(&kq_close_kp);
		kq_probe_armed = false;
	}
	mutex_unlock(&kq_probe_mutex);
}

/* Arm the close probe (process context, may sleep). */
static void kq_probe_arm(void)
{
	if (!kq_probe_active)
		return;
	mutex_lock(&kq_probe_mutex);
	if (!kq_probe_armed)
		kq_probe_armed = !(kq_close_by_ftrace ?
				   register_ftrace_function(&kq_close_ops) :
				   enable_kprobe(&kq_close_kp));
	mutex_unlock(&kq_probe_mutex);
}

/* Module code queued to run later (task_work, work): exit waits for it. */
void kq_cb_get(void)
{
	atomic_inc(&kq_cbs_pending);
}

void kq_cb_done(void)
{
	if (atomic_dec_and_test(&kq_cbs_pending))
		wake_up_var(&kq_cbs_pending);
}

static void kq_owner_unhash(struct kq_owner *o)
{
	unsigned long flags;

	spin_lock_irqsave(&kq_owners_lock, flags);
	if (!hlist_unhashed(&o->node)) {
		hash_del_rcu(&o->node);
		if (atomic_dec_and_test(&kq_nr_owners) &&
		    READ_ONCE(kq_probe_active))
			mod_delayed_work(system_dfl_wq, &kq_probe_disarm_work, HZ);
	}
	spin_unlock_irqrestore(&kq_owners_lock, flags);
}

static void kq_owner_put(struct kq_owner *o)
{
	if (!refcount_dec_and_test(&o->ref))
		return;
	kq_owner_unhash(o);
	kfree_rcu(o, rcu);
}

static void kq_owner_teardown(struct kq_owner *o)
{
	struct kq *kq;

	mutex_lock(&o->lock);
	list_for_each_entry(kq, &o->kqs, owner_link) {
		/* signal and process knotes name this process too: all go */
		mutex_lock(&kq->mtx);
		kq_knote_drop_all(kq);
		WRITE_ONCE(kq->orphaned, true);
		mutex_unlock(&kq->mtx);
		wake_up_all(&kq->wq);
	}
	mutex_unlock(&o->lock);
	kq_owner_put(o);
}

static void kq_owner_teardown_cb(struct callback_head *cb)
{
	kq_owner_teardown(container_of(cb, struct kq_owner, teardown_cb));
	kq_cb_done();
}

static void kq_owner_teardown_work(struct work_struct *w)
{
	kq_owner_teardown(container_of(w, struct kq_owner, teardown_work));
	kq_cb_done();
}

int kq_owner_attach(struct kq *kq)
{
	struct files_struct *files = current->files;
	struct kq_owner *o, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	rcu_read_lock();
	spin_lock_irq(&kq_owners_lock);
	o = kq_owner_lookup_rcu(files);
	if (o && !refcount_inc_not_zero(&o->ref))
		o = NULL;
	if (!o) {
		o = fresh;
		fresh = NULL;
		o->files = files;
		mutex_init(&o->lock);
		INIT_LIST_HEAD(&o->kqs);
		refcount_set(&o->ref, 1);
		hash_add_rcu(kq_owners, &o->node, (unsigned long)files);
		atomic_inc(&kq_nr_owners);
	}
	spin_unlock_irq(&kq_owners_lock);
	rcu_read_unlock();
	kfree(fresh);
	/*
	 * Armed once the owner counts: a disarm running before this saw no
	 * owner and may have disabled the probe, and this enables it again.
	 */
	kq_probe_arm();

	mutex_lock(&o->lock);
	list_add(&kq->owner_link, &o->kqs);
	mutex_unlock(&o->lock);
	/* a fork's copy has descriptor knotes already: they count now */
	mutex_lock(&kq->mtx);
	kq->owner = o;
	atomic_add(kq->nfdknotes, &o->nfd);
	mutex_unlock(&kq->mtx);
	return 0;
}

/* Some kqueue was opened by the process(es) using @files; any context. */
bool kq_owner_exists(struct files_struct *files)
{
	bool found;

	if (!atomic_read(&kq_nr_owners))
		return false;
	rcu_read_lock();
	found = kq_owner_lookup_rcu(files);
	rcu_read_unlock();
	return found;
}

/*
 * @each->fn on each kqueue of @files' owner, under the owner's lock; may
 * sleep.
 */
void kq_owner_visit_kqs(struct files_struct *files, struct kq_each *each)
{
	struct kq_owner *o = kq_owner_get(files);
	struct kq *kq;

	if (!o)
		return;
	mutex_lock(&o->lock);
	if (!atomic_read(&o->dead))
		list_for_each_entry(kq, &o->kqs, owner_link)
			each->fn(kq, each);
	mutex_unlock(&o->lock);
	kq_owner_put(o);
}

void kq_owner_detach(struct kq *kq)
{
	struct kq_owner *o = kq->owner;

	mutex_lock(&o->lock);
	list_del(&kq->owner_link);
	mutex_unlock(&o->lock);
	kq_owner_put(o);
}

bool kq_owner_is(struct kq *kq, fl_owner_t files)
{
	return kq->owner->files == files;
}

/* kevent() is only for the process (file table) that created the kqueue. */
bool kq_owner_is_current(struct kq *kq)
{
	return kq->owner && !READ_ONCE(kq->orphaned) &&
	       !atomic_read(&kq->owner->dead) &&
	       kq->owner->files == current->files;
}

/* close() drops descriptor knotes at once (else kevent() looks for them) */
bool kq_close_tracked(void)
{
	return READ_ONCE(kq_probe_active);
}

static void kq_sweep_fn(struct callback_head *cb)
{
	struct kq_sweep *sw = container_of(cb, struct kq_sweep, cb);
	struct kq_owner *o = sw->owner;
	struct kq *kq;

	if (current->files == o->files && !atomic_read(&o->dead)) {
		mutex_lock(&o->lock);
		list_for_each_entry(kq, &o->kqs, owner_link) {
			mutex_lock(&kq->mtx);
			kq_drop_file_knotes(kq, current->files, sw->file);
			mutex_unlock(&kq->mtx);
		}
		mutex_unlock(&o->lock);
	}
	kq_owner_put(o);
	kfree(sw);
	kq_cb_done();
}

/* The file table is going away: drop everything, once. */
static void kq_owner_kill(struct kq_owner *o)
{
	if (atomic_xchg(&o->dead, 1)) {
		kq_owner_put(o);
		return;
	}
	kq_owner_unhash(o);
	atomic_inc(&kq_cbs_pending);
	init_task_work(&o->teardown_cb, kq_owner_teardown_cb);
	if ((current->flags & PF_KTHREAD) ||
	    task_work_add(current, &o->teardown_cb, TWA_RESUME)) {
		INIT_WORK(&o->teardown_work, kq_owner_teardown_work);
		schedule_work(&o->teardown_work);
	}
}

static void kq_owner_sweep(struct kq_owner *o, struct file *file)
{
	struct kq_sweep *sw;

	sw = kmalloc(sizeof(*sw), GFP_ATOMIC);
	if (!sw)
		goto fallback;
	sw->owner = o;
	sw->file = file;
	init_task_work(&sw->cb, kq_sweep_fn);
	atomic_inc(&kq_cbs_pending);
	if (!task_work_add(current, &sw->cb, TWA_RESUME))
		return;
	atomic_dec(&kq_cbs_pending);
	kfree(sw);
fallback:
	/* kevent() revalidates descriptors at harvest */
	kq_owner_put(o);
}

/*
 * Most closers own no kqueue: their bucket is empty, and the hook returns
 * without RCU and without a call.
 */
static __always_inline bool kq_close_may_own(struct files_struct *files)
{
	return !hlist_empty(&kq_owners[hash_min((unsigned long)files,
						HASH_BITS(kq_owners))]);
}

/* filp_flush(file, files) or filp_close(): decide and defer, nothing else. */
static void notrace kq_close_seen(struct file *file, struct files_struct *files)
{
	struct kq_owner *o;

	if (likely(!atomic_read(&kq_nr_owners)) || !files || !file ||
	    !kq_close_may_own(files))
		return;
	o = kq_owner_get(files);
	if (!o)
		return;

	if (!atomic_read(&files->count))
		kq_owner_kill(o);
	else if (atomic_read(&o->nfd) && files == current->files &&
		 !(current->flags & PF_KTHREAD))
		kq_owner_sweep(o, file);
	else
		kq_owner_put(o);
}

NOKPROBE_SYMBOL(kq_close_seen);

static void notrace kq_close_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	struct files_struct *files;

	files = (struct files_struct *)ftrace_regs_get_argument(fregs, 1);
	if (likely(!kq_close_may_own(files)))
		return;
	kq_close_seen((struct file *)ftrace_regs_get_argument(fregs, 0),
		      files);
}

static int kq_close_probe(struct kprobe *p, struct pt_regs *regs)
{
	kq_close_seen((struct file *)regs_get_kernel_argument(regs, 0),
		      (struct files_struct *)regs_get_kernel_argument(regs, 1));
	return 0;
}

NOKPROBE_SYMBOL(kq_close_probe);

/* No descriptor is open or being opened (a reserved slot counts). */
static bool kq_files_empty(struct files_struct *files)
{
	struct fdtable *fdt;
	bool empty;

	rcu_read_lock();
	fdt = files_fdtable(files);
	empty = find_first_bit(fdt->open_fds, fdt->max_fds) >= fdt->max_fds;
	rcu_read_unlock();
	return empty;
}

/*
 * A task is exiting (sched_process_exit, before exit_files()).  A table
 * with no descriptor closes nothing on its way out, so the close probe
 * never sees it go: its owner would stay hashed under an address that
 * a later process can get.  Such an owner dies here; its kqueues are not
 * in the table, so nothing the table's other users hold loses a knote
 * they could still ask for.  Without the close probe this is also the
 * only place where a last user's exit is seen.
 */
static void kq_exit_probe(void *data, struct task_struct *tsk)
{
	struct files_struct *files = tsk->files;
	struct kq_owner *o;

	if (likely(!atomic_read(&kq_nr_owners)) || !files ||
	    (tsk->flags & PF_KTHREAD))
		return;
	o = kq_owner_get(files);
	if (!o)
		return;
	if (kq_files_empty(files) ||
	    (!kq_probe_active && atomic_read(&files->count) == 1))
		kq_owner_kill(o);
	else
		kq_owner_put(o);
}

static bool kq_close_probe_wanted = true;
module_param_named(close_probe, kq_close_probe_wanted, bool, 0444);
MODULE_PARM_DESC(close_probe,
		 "Drop a descriptor's knotes at close() (0: at the next kevent())");

int kq_close_tracking_init(void)
{
	static const char * const syms[] = { "filp_flush", "filp_close" };
	unsigned int i;
	int err;

	err = kq_tp_register("sched_process_exit", kq_exit_probe, &kq_exit_tp);
	if (err)
		return err;
	err = -ENOENT;
	if (!kq_close_probe_wanted) {
		pr_info("kqueue: close probe off (close_probe=0): closed descriptors are dropped at the next kevent()\n");
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		memset(&kq_close_kp, 0, sizeof(kq_close_kp));
		kq_close_kp.pre_handler = kq_close_probe;
		kq_close_kp.symbol_name = syms[i];
		kq_close_kp.flags = KPROBE_FLAG_DISABLED;
		err = register_kprobe(&kq_close_kp);
		if (!err) {
			kq_probe_active = true;
			/* the kprobe found the function: an ftrace_ops there? */
			if (!ftrace_set_filter_ip(&kq_close_ops,
						  (unsigned long)kq_close_kp.addr,
						  0, 0)) {
				unregister_kprobe(&kq_close_kp);
				kq_close_by_ftrace = true;
			}
			pr_debug("close tracking on %s by %s\n", syms[i],
				 kq_close_by_ftrace ? "ftrace" : "kprobe");
			return 0;
		}
	}
	pr_warn("kqueue: no probe on the close path (%d): closed descriptors are dropped at the next kevent()\n",
		err);
	return 0;
}

/*
 * Module exit: no kqueue is open, but sweeps and teardowns queued by the
 * probes may still run, and the last of them queues the disarm work.
 * Stop the probes, wait for those callbacks, then for the work they
 * queued, and last for the tasks that ran them to leave module code.
 */
void kq_close_tracking_exit(void)
{
	mutex_lock(&kq_probe_mutex);
	if (kq_probe_armed && kq_close_by_ftrace)
		unregister_ftrace_function(&kq_close_ops);
	kq_probe_armed = false;
	mutex_unlock(&kq_probe_mutex);
	if (kq_close_by_ftrace)
		ftrace_free_filter(&kq_close_ops);
	else if (kq_probe_active)
		unregister_kprobe(&kq_close_kp);
	WRITE_ONCE(kq_probe_active, false);
	kq_tp_unregister(kq_exit_tp, kq_exit_probe);
	tracepoint_synchronize_unregister();
	wait_var_event(&kq_cbs_pending, !atomic_read(&kq_cbs_pending));
	cancel_delayed_work_sync(&kq_probe_disarm_work);
	/* owners are RCU-freed */
	rcu_barrier();
	/*
	 * A callback's last instructions run after kq_cb_done(): wait until
	 * every task has passed a voluntary switch (synchronize_rcu where
	 * the kernel has no RCU Tasks, which then is not preemptible).
	 */
	synchronize_rcu_tasks();
}
