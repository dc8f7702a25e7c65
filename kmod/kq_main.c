// SPDX-License-Identifier: GPL-2.0
/*
 * kqueue for Linux: the /dev/kqueue misc device.  Every open is one
 * kqueue; kevent() is an ioctl on it (uapi/linux/kqueue.h).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/fdtable.h>
#include <linux/slab.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/anon_inodes.h>
#include "kq.h"
#include "kq_fd_data.h"

atomic_t kq_live_kqueues = ATOMIC_INIT(0);
atomic_t kq_live_knotes = ATOMIC_INIT(0);

/* Read-only counters for leak checks: /sys/module/kqueue/parameters/live_* */
static int kq_get_counter(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops kq_counter_ops = {
	.get = kq_get_counter,
};

module_param_cb(live_kqueues, &kq_counter_ops, &kq_live_kqueues, 0444);
MODULE_PARM_DESC(live_kqueues, "Open kqueues");
module_param_cb(live_knotes, &kq_counter_ops, &kq_live_knotes, 0444);
MODULE_PARM_DESC(live_knotes, "Allocated knotes");

/* A kqueue for @file, charged to the caller's user; no owner yet. */
static struct kq *kq_alloc(struct file *file)
{
	struct kq *kq;

	kq = kzalloc(sizeof(*kq), GFP_KERNEL_ACCOUNT);
	if (!kq)
		return NULL;
	mutex_init(&kq->mtx);
	spin_lock_init(&kq->lock);
	INIT_LIST_HEAD(&kq->active);
	INIT_LIST_HEAD(&kq->parked);
	INIT_LIST_HEAD(&kq->hubq);
	init_waitqueue_head(&kq->wq);
	init_waitqueue_head(&kq->poll_wait);
	init_irq_work(&kq->poll_work, kq_poll_work_fn);
	INIT_LIST_HEAD(&kq->watching);
	INIT_LIST_HEAD(&kq->watchers);
	kq->file = file;
	kq->closed_scan_at = jiffies;

	kq->uacct = kq_uacct_get();
	if (!kq->uacct)
		goto err_free;
	if (kq_table_init(kq))
		goto err_uacct;
	atomic_inc(&kq_live_kqueues);
	return kq;

err_uacct:
	kq_uacct_put(kq->uacct);
err_free:
	kfree(kq);
	return NULL;
}

static void kq_free(struct kq *kq)
{
	kq_credit_return(kq);
	kq_table_free(kq);
	kq_uacct_put(kq->uacct);
	/* a process probe walking under RCU may still take kq->lock */
	kfree_rcu(kq, rcu);
	atomic_dec(&kq_live_kqueues);
}

static int kq_open(struct inode *inode, struct file *file)
{
	struct kq *kq = kq_alloc(file);
	int err;

	if (!kq)
		return -ENOMEM;
	err = kq_owner_attach(kq);
	if (err) {
		kq_free(kq);
		return err;
	}
	file->private_data = kq;
	stream_open(inode, file);
	return 0;
}

/*
 * A kqueue without a descriptor or an owner, for a fork's copy
 * (kq_cponfork.c): an anonymous inode's file with the same operations.
 */
struct file *kq_file_create(void)
{
	struct file *file;
	struct kq *kq = kq_alloc(NULL);

	if (!kq)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile("[kqueue]", &kq_fops, kq, O_RDWR);
	if (IS_ERR(file)) {
		kq_free(kq);
		return file;
	}
	kq->file = file;
	return file;
}

/* Is @file still installed at some descriptor of @files? */
static bool kq_file_installed(struct files_struct *files, struct file *file)
{
	struct fdtable *fdt;
	unsigned int i;
	bool found = false;

	rcu_read_lock();
	fdt = files_fdtable(files);
	for (i = 0; i < fdt->max_fds && !found; i++)
		found = rcu_access_pointer(fdt->fd[i]) == file;
	rcu_read_unlock();
	return found;
}

/*
 * close() of a kqueue descriptor.  Threads blocked in kevent() hold their
 * own reference, so ->release would wait for them: when the owner has no
 * descriptor left for this kqueue, wake them with EBADF now (BSD).
 */
static int kq_flush(struct file *file, fl_owner_t id)
{
	struct kq *kq = file->private_data;

	if (!id || !kq->owner || !kq_owner_is(kq, id) ||
	    kq_file_installed(id, file))
		return 0;
	spin_lock_irq(&kq->lock);
	kq->closing = true;
	spin_unlock_irq(&kq->lock);
	wake_up_all(&kq->wq);
	return 0;
}

static int kq_release(struct inode *inode, struct file *file)
{
	struct kq *kq = file->private_data;

	spin_lock_irq(&kq->lock);
	kq->closing = true;
	spin_unlock_irq(&kq->lock);
	wake_up_all(&kq->wq);

	mutex_lock(&kq->mtx);
	kq_knote_drop_all(kq);
	mutex_unlock(&kq->mtx);
	kq_cponfork_release(kq);
	/* last: dropping descriptor knotes still counts them in the owner */
	if (kq->owner)
		kq_owner_detach(kq);
	irq_work_sync(&kq->poll_work);
	kq_free(kq);
	return 0;
}

static __poll_t kq_poll(struct file *file, poll_table *wait)
{
	struct kq *kq = file->private_data;

	poll_wait(file, &kq->poll_wait, wait);
	return kq_pending(kq) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long kq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kq *kq = file->private_data;

	switch (cmd) {
	case KQ_IOC_KEVENT:
		return kq_ioctl_kevent(kq, (void __user *)arg);
	case KQ_IOC_KFILTER_BYFILTER:
	case KQ_IOC_KFILTER_BYNAME:
		return kq_ioctl_kfilter(cmd, (void __user *)arg);
	case KQ_IOC_SET_FLAGS:
		return kq_ioctl_set_flags(kq, (u32 __user *)arg);
	}
	return -ENOTTY;
}

const struct file_operations kq_fops = {
	.owner = THIS_MODULE,
	.open = kq_open,
	.flush = kq_flush,
	.release = kq_release,
	.poll = kq_poll,
	.unlocked_ioctl = kq_ioctl,
	/* i386 programs: the same argument block, 20-byte kevent records */
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = kq_show_fdinfo,
};

static struct miscdevice kq_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kqueue",
	.fops = &kq_fops,
	.mode = 0666,
};

static int __init kq_init(void)
{
	int err;

	kq_uacct_init();
	err = kq_knote_cache_init();
	if (err)
		return err;
	err = kq_fd_cache_init();
	if (err)
		goto err_knote;
	err = kq_fs_init();
	if (err)
		goto err_fd;
	err = kq_close_tracking_init();
	if (err)
		goto err_fs;
	err = kq_signal_init();
	if (err)
		goto err_close;
	err = kq_proc_init();
	if (err)
		goto err_signal;
	err = kq_cponfork_init();
	if (err)
		goto err_proc;
	err = misc_register(&kq_misc);
	if (err)
		goto err_cponfork;
	return 0;

err_cponfork:
	kq_cponfork_exit();
err_proc:
	kq_proc_exit();
err_signal:
	kq_signal_exit();
err_close:
	kq_close_tracking_exit();
err_fs:
	kq_fs_exit();
err_fd:
	kq_fd_cache_exit();
err_knote:
	kq_knote_cache_exit();
	return err;
}

static void __exit kq_exit(void)
{
	misc_deregister(&kq_misc);
	kq_cponfork_exit();
	kq_proc_exit();
	kq_signal_exit();
	kq_close_tracking_exit();
	kq_fs_exit();
	kq_fd_cache_exit();
	kq_knote_cache_exit();
}

module_init(kq_init);
module_exit(kq_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(KQ_VERSION);
MODULE_DESCRIPTION("BSD kqueue/kevent for Linux");
