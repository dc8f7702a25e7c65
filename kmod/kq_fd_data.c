// SPDX-License-Identifier: GPL-2.0
/*
 * What BSD reports for a descriptor: readiness from the file's poll mask,
 * and the exact byte counts in data (reference §3) read from the socket,
 * pipe, file or tty itself.  Runs at harvest in process context.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/security.h>
#include <linux/net.h>
#include <linux/major.h>
#include <linux/pipe_fs_i.h>
#include <linux/termios.h>
#include <linux/udp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/af_unix.h>
#include "kq_compat.h"
#include "kq_fd_data.h"

static bool kq_is_tcp(const struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

static bool kq_is_udp(const struct sock *sk)
{
	return sk->sk_type == SOCK_DGRAM &&
	       (sk->sk_protocol == IPPROTO_UDP ||
		sk->sk_protocol == IPPROTO_UDPLITE) &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

static s64 kq_queue_bytes(struct sk_buff_head *q)
{
	struct sk_buff *skb;
	unsigned long flags;
	s64 n = 0;

	spin_lock_irqsave(&q->lock, flags);
	skb_queue_walk(q, skb)
		n += skb->len;
	spin_unlock_irqrestore(&q->lock, flags);
	return n;
}

/* Bytes a read could return now: BSD's sbavail(). */
static s64 kq_sock_readable(struct sock *sk)
{
	if (kq_is_tcp(sk)) {
		/*
		 * tcp_inq() is SIOCINQ's helper, run under lock_sock(); here
		 * it is a lockless snapshot, as tcp_poll() takes its own: the
		 * receive path changes rcv_nxt and urg_data before the
		 * wake-up that brings the knote back (KCSAN: race at unknown
		 * origin on urg_data in kq_fd_ready, kq_stress, 2026-12-07).
		 * Fields read in another order than a reader moved them
		 * could make it negative.
		 */
		return max(data_race(tcp_inq(sk)), 0);
	}
	if (sk->sk_family == AF_UNIX && sk->sk_type != SOCK_DGRAM)
		return unix_inq_len(sk);
	if (kq_is_udp(sk))
		return kq_queue_bytes(&udp_sk(sk)->reader_queue) +
		       kq_queue_bytes(&sk->sk_receive_queue);
	return kq_queue_bytes(&sk->sk_receive_queue);
}

/*
 * Darwin's EV_OOBAND, returned through kevent64() and kevent_qos(): TCP
 * urgent data is pending; data is the bytes before the mark (at the mark,
 * the bytes after it, as computed already).  As XNU's filt_soread, that
 * alone makes the socket readable, also at the mark with no in-band byte
 * queued (where tcp_inq() says 0).  Returns true when it did.
 */
static bool kq_sock_oob(struct sock *sk, struct kq_kev *out)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 before;

	if (!out->darwin || !kq_is_tcp(sk) ||
	    !(READ_ONCE(tp->urg_data) & TCP_URG_VALID))
		return false;
	out->flags |= EV_OOBAND;
	before = READ_ONCE(tp->urg_seq) - READ_ONCE(tp->copied_seq);
	if (before)
		out->data = before;
	return true;
}

static s64 kq_sock_writable(struct sock *sk)
{
	if (sk->sk_type == SOCK_STREAM && kq_is_tcp(sk))
		return max(sk_stream_wspace(sk), 0);
	return max(READ_ONCE(sk->sk_sndbuf) - sk_wmem_alloc_get(sk), 0);
}

/* Bytes queued for sending and not yet acknowledged / consumed. */
static s64 kq_sock_unsent(struct sock *sk)
{
	if (kq_is_tcp(sk))
		return READ_ONCE(tcp_sk(sk)->write_seq) -
		       READ_ONCE(tcp_sk(sk)->snd_una);
	return sk_wmem_alloc_get(sk);
}

static bool kq_sock_connected(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sock->type != SOCK_STREAM && sock->type != SOCK_SEQPACKET)
		return true;
	/* a non-blocking connect() leaves sock->state at SS_CONNECTING */
	if (sk && kq_is_tcp(sk))
		return !((1 << READ_ONCE(sk->sk_state)) &
			 (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE |
			  TCPF_LISTEN));
	/* AF_UNIX keeps sk_state; 7.x no longer updates its sock->state */
	if (sk && sk->sk_family == AF_UNIX)
		return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED;
	return sock->state == SS_CONNECTED || sock->state == SS_DISCONNECTING;
}

static s64 kq_pipe_bytes(struct pipe_inode_info *pipe)
{
	unsigned int i;
	s64 n = 0;

	mutex_lock(&pipe->mutex);
	for (i = pipe->tail; i != pipe->head; i++)
		n += pipe->bufs[i & (pipe->ring_size - 1)].len;
	mutex_unlock(&pipe->mutex);
	return n;
}

/* as pipe_poll() reads them: no pipe->mutex */
static s64 kq_pipe_space(struct pipe_inode_info *pipe)
{
	unsigned int used = READ_ONCE(pipe->head) - READ_ONCE(pipe->tail);
	unsigned int max = READ_ONCE(pipe->max_usage);

	return used >= max ? 0 : (s64)(max - used) * PAGE_SIZE;
}

/* pipe(2), not a FIFO in a file system */
static bool kq_is_anon_pipe(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == PIPEFS_MAGIC;
}

/*
 * A file whose data is on a file system: readable up to its size.  Some
 * files that look regular poll for something else (pidfds on 6.9+'s pidfs,
 * sysfs attributes): those go by their poll mask.
 */
bool kq_is_plain_file(struct file *file)
{
	return S_ISREG(kq_inode_type(file_inode(file))) && !file->f_op->poll;
}

static bool kq_is_tty(struct inode *inode)
{
	unsigned int major = imajor(inode);

	if (!S_ISCHR(kq_inode_type(inode)))
		return false;
	return major == TTY_MAJOR || major == TTYAUX_MAJOR ||
	       major == PTY_MASTER_MAJOR || major == PTY_SLAVE_MAJOR ||
	       (major >= UNIX98_PTY_MASTER_MAJOR &&
		major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT);
}

/*
 * A tty's input count is private to its line discipline; TIOCINQ is the
 * only interface to it, and it writes to user memory.  The caller's event
 * slot (about to be overwritten anyway) serves as that memory.
 */
static s64 kq_tty_readable(struct file *file, struct kq_kev *out)
{
	int __user *slot = out->uscratch;
	int n = 0;

	if (!slot || !file->f_op->unlocked_ioctl)
		return 0;
	/* as ioctl(2) would: the LSM may refuse (then 0, nothing known) */
	if (security_file_ioctl(file, TIOCINQ, (unsigned long)slot))
		return 0;
	if (file->f_op->unlocked_ioctl(file, TIOCINQ, (unsigned long)slot))
		return 0;
	if (get_user(n, slot))
		return 0;
	return n;
}

int kq_fd_validate(struct file *file, const struct kq_kev *kev)
{
	struct inode *inode = file_inode(file);
	struct socket *sock = sock_from_file(file);

	switch (kev->filter) {
	case EVFILT_EMPTY:
		if (!sock)
			return -EINVAL;
		break;
	case EVFILT_EXCEPT:
		if (kev->fflags & ~NOTE_OOB)
			return -EINVAL;
		break;
	case EVFILT_WRITE:
		/* BSD: a pipe whose reader is gone refuses the watch. */
		if (S_ISFIFO(kq_inode_type(inode)) && file->private_data &&
		    (file->f_mode & FMODE_WRITE) &&
		    !READ_ONCE(((struct pipe_inode_info *)
				file->private_data)->readers))
			return -EPIPE;
		break;
	}
	return 0;
}

static s64 kq_lowat(struct knote *kn)
{
	return (kn->sfflags & NOTE_LOWAT) && kn->sdata > 0 ? kn->sdata : 1;
}

static bool kq_sock_ready(struct knote *kn, struct socket *sock,
			  __poll_t mask, struct kq_kev *out)
{
	struct sock *sk = sock->sk;
	bool ready;
	int err;

	if (!sk)
		return mask & kq_fd_interest(kn->filter);
	err = READ_ONCE(sk->sk_err);

	switch (kn->filter) {
	case EVFILT_READ:
		if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
			/* AF_UNIX queues its embryos without sk_ack_backlog */
			out->data = sk->sk_family == AF_UNIX ?
				    skb_queue_len_lockless(&sk->sk_receive_queue) :
				    READ_ONCE(sk->sk_ack_backlog);
			return out->data > 0;
		}
		out->data = kq_sock_readable(sk);
		if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) {
			out->flags |= EV_EOF;
			out->fflags = err;
			return true;
		}
		ready = out->data >= kq_lowat(kn) || err;
		return kq_sock_oob(sk, out) || ready;
	case EVFILT_WRITE:
		if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
			return false;
		out->data = kq_sock_writable(sk);
		if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) {
			out->flags |= EV_EOF;
			out->fflags = err;
			return true;
		}
		if (!kq_sock_connected(sock)) {
			/* Linux's unix connect() wakes no one on this side */
			out->park = sk->sk_family == AF_UNIX;
			return false;
		}
		if (mask & EPOLLHUP) {
			out->flags |= EV_EOF;
			out->fflags = err;
			return true;
		}
		if (!(mask & EPOLLOUT))
			return false;
		return out->data >= kq_lowat(kn);
	case EVFILT_EMPTY:
		out->data = kq_sock_unsent(sk);
		if (out->data && sk->sk_socket)
			/* ask the protocol for a write-space wakeup on ACK */
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
			out->flags |= EV_EOF;
		return out->data == 0 && kq_sock_connected(sock);
	case EVFILT_EXCEPT:
		out->data = 0;
		if (!(kn->sfflags & NOTE_OOB) || !(mask & EPOLLPRI))
			return false;
		out->fflags = NOTE_OOB;
		return true;
	}
	return false;
}

static bool kq_pipe_ready(struct knote *kn, struct pipe_inode_info *pipe,
			  __poll_t mask, struct kq_kev *out)
{
	switch (kn->filter) {
	case EVFILT_READ:
		if (!(kn->file->f_mode & FMODE_READ)) {
			/*
			 * The write end.  FreeBSD's pipes are two-way: this
			 * end reads nothing, and reports EOF once the other
			 * end is gone (asyncio waits for it).  A FIFO opened
			 * write-only never fires, as on FreeBSD.
			 */
			if (!kq_is_anon_pipe(kn->file) ||
			    READ_ONCE(pipe->readers))
				return false;
			out->flags |= EV_EOF;
			return true;
		}
		/* an empty pipe (the level re-check after a read): no count */
		if (!(mask & (EPOLLIN | EPOLLHUP)))
			return false;
		/* readiness only, and any byte will do: the poll mask says */
		if (out->probe && kq_lowat(kn) == 1 && !(mask & EPOLLHUP))
			return true;
		out->data = kq_pipe_bytes(pipe);
		if (mask & EPOLLHUP) {
			out->flags |= EV_EOF;
			return true;
		}
		return out->data >= kq_lowat(kn);
	case EVFILT_WRITE:
		out->data = kq_pipe_space(pipe);
		if (!READ_ONCE(pipe->readers)) {
			out->flags |= EV_EOF;
			return true;
		}
		return (mask & EPOLLOUT) &&
		       out->data >= ((kn->sfflags & NOTE_LOWAT) ?
				     kq_lowat(kn) : PIPE_BUF);
	}
	return false;
}

bool kq_fd_ready(struct knote *kn, __poll_t mask, struct kq_kev *out)
{
	struct file *file = kn->file;
	struct inode *inode = file_inode(file);
	struct socket *sock;

	out->data = 0;
	out->fflags = 0;

	if (S_ISFIFO(kq_inode_type(inode)) && file->private_data &&
	    (kn->filter == EVFILT_READ || kn->filter == EVFILT_WRITE))
		return kq_pipe_ready(kn, file->private_data, mask, out);

	sock = sock_from_file(file);
	if (sock)
		return kq_sock_ready(kn, sock, mask, out);

	if (kq_is_kqueue_file(file)) {
		if (kn->filter != EVFILT_READ)
			return false;
		out->data = kq_pending(file->private_data);
		return out->data > 0;
	}

	if (kq_is_plain_file(file)) {
		if (kn->filter == EVFILT_READ) {
			/*
			 * A snapshot, as BSD's filt_vnread takes it: a write
			 * or read elsewhere moves the size and the offset
			 * under the VFS's locks (i_rwsem, f_pos_lock), not
			 * taken here; i_size_read() is the kernel's own
			 * lockless reader (KCSAN: race at unknown origin in
			 * kq_fd_ready, kq_stress, 2026-12-07).
			 */
			out->data = data_race(i_size_read(inode)) -
				    READ_ONCE(file->f_pos);
			return out->data != 0;
		}
		return kn->filter == EVFILT_WRITE;
	}

	switch (kn->filter) {
	case EVFILT_READ:
		if (mask & EPOLLHUP)
			out->flags |= EV_EOF;
		if (!(mask & (EPOLLIN | EPOLLRDNORM | EPOLLHUP)))
			return false;
		if (kq_is_tty(inode) && (mask & EPOLLIN))
			out->data = kq_tty_readable(file, out);
		return true;
	case EVFILT_WRITE:
		if (mask & (EPOLLHUP | EPOLLERR))
			out->flags |= EV_EOF;
		return mask & (EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLERR);
	case EVFILT_EXCEPT:
		return (kn->sfflags & NOTE_OOB) && (mask & EPOLLPRI);
	}
	return false;
}
