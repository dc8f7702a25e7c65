// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: threads and processes add, delete, enable, disable and trigger
 * knotes of every filter (READ/WRITE/EMPTY/EXCEPT on pipes, unix
 * socketpairs, TCP loopback and a regular file; TIMER; USER; SIGNAL;
 * kqueue-in-kqueue) on shared and private kqueues, while other threads wait
 * in kevent() and a churner closes watched descriptors and kqueues under
 * them (close(), and dup2() over a slot that a waiter is blocked on).
 * Children fork, run a checked sequence on a private kqueue and exit with
 * their knotes in place.  Every kevent() outcome must be one of the BSD
 * errnos that the operation allows; the test ends with every kqueue and
 * knote freed (/sys/module/kqueue/parameters/live_kqueues, live_knotes).
 *
 * Meant for the 6.1-debug kernel (KASAN, lockdep, kmemleak), where
 * kq-run-tests sets KQ_STRESS_SECONDS=60; elsewhere it runs a few seconds.
 *
 * Descriptor numbers: the shared objects live at fixed high numbers
 * (SLOT_BASE..., KQ_BASE...) that the kernel never hands out on its own
 * (it gives the lowest free number), so a slot closed by the churner is
 * never reused by another thread's private pipe or kqueue: private
 * sequences are exact, slot operations are allowed to race.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "kq_fd.h"
#include "kq_module.h"

#define NSLOT		16		/* watched objects: pairs (2i, 2i+1) */
#define SLOT_BASE	600
#define NKQ		6		/* shared kqueues */
#define KQ_BASE		700
#define NADDERS		3
#define NWAITERS	3
#define NPRIVATE	2

/* kevent() outcomes, counted per errno (index 0: success). */
enum { E_OK, E_BADF, E_NOENT, E_INVAL, E_PIPE, E_NOMEM, E_INTR, E_NSTAT };

struct stress {
	atomic_int stop;
	long long deadline;
	int have_proc;
	/* statistics */
	atomic_long changes[E_NSTAT];
	atomic_long events;
	atomic_long waits;
	atomic_long churns;
	atomic_long triggers;
	atomic_long forks;
	atomic_long private_rounds;
	/* first unexpected outcome, reported by the main thread */
	atomic_int bad;
	char bad_msg[256];
};

static struct stress *st;

static int e_index(int err)
{
	switch (err) {
	case 0:		return E_OK;
	case EBADF:	return E_BADF;
	case ENOENT:	return E_NOENT;
	case EINVAL:	return E_INVAL;
	case EPIPE:	return E_PIPE;
	case ENOMEM:	return E_NOMEM;
	case EINTR:	return E_INTR;
	}
	return -1;
}

static void fail_once(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_once(const char *fmt, ...)
{
	va_list ap;
	int zero = 0;

	if (!atomic_compare_exchange_strong(&st->bad, &zero, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(st->bad_msg, sizeof(st->bad_msg), fmt, ap);
	va_end(ap);
	atomic_store(&st->stop, 1);
}

static int stopping(void)
{
	if (atomic_load(&st->stop))
		return 1;
	if (kq_now_ms() >= st->deadline) {
		atomic_store(&st->stop, 1);
		return 1;
	}
	return 0;
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

/*
 * Which errnos a change may fail with.  A slot may be closed or hold any
 * kind of object at any moment: EBADF (closed ident or kqueue), ENOENT
 * (delete/enable/disable of an absent knote), EINVAL (filter not supported
 * for that file type, a kqueue cycle or itself, both EV_ENABLE and
 * EV_DISABLE), EPIPE (EVFILT_WRITE on a pipe without reader), ENOMEM
 * (timer limit), ESRCH (EVFILT_PROC for a reaped child).
 */
static int allowed(const struct kevent *kev, int err)
{
	switch (err) {
	case 0: case EBADF: case EINVAL:
		return 1;
	case ENOENT:
		return (kev->flags & (EV_DELETE | EV_ENABLE | EV_DISABLE)) ||
		       !(kev->flags & EV_ADD);
	case EPIPE:
		return kev->filter == EVFILT_WRITE;
	case ENOMEM:
		return kev->filter == EVFILT_TIMER;
	case ESRCH:
		return kev->filter == EVFILT_PROC;
	}
	return 0;
}

static void check_change(const struct kevent *kev, int err, const char *who)
{
	int i = e_index(err);
	char buf[160];

	if (!allowed(kev, err) || (i < 0 && err != ESRCH)) {
		fail_once("%s: %s gave errno %d (%s)", who,
			  kq_kev_str(kev, buf, sizeof(buf)), err, strerror(err));
		return;
	}
	if (i >= 0)
		atomic_fetch_add(&st->changes[i], 1);
}

/* A returned event (not an EV_ERROR receipt) must look like one. */
static void check_event(const struct kevent *kev, const char *who)
{
	char buf[160];

	switch (kev->filter) {
	case EVFILT_READ: case EVFILT_WRITE: case EVFILT_EMPTY:
	case EVFILT_EXCEPT: case EVFILT_TIMER: case EVFILT_USER:
	case EVFILT_SIGNAL: case EVFILT_PROC:
		break;
	default:
		fail_once("%s: event with unknown filter %s", who,
			  kq_kev_str(kev, buf, sizeof(buf)));
		return;
	}
	if (kev->flags & (KQ_ACTION_FLAGS | EV_ERROR))
		fail_once("%s: event with action/error flags %s", who,
			  kq_kev_str(kev, buf, sizeof(buf)));
	atomic_fetch_add(&st->events, 1);
}

/* ---------------------------------------------------------------- */
/* Shared objects                                                     */

static void linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Put fd at number slot (closing what was there) and close fd. */
static void install(int fd, int slot)
{
	if (fd < 0)
		return;
	dup2(fd, slot);
	close(fd);
}

/* A fresh object pair in slots (2i, 2i+1): pipe, unix, TCP or a file. */
static void new_pair(unsigned int *seed, int i)
{
	int a = SLOT_BASE + 2 * i, b = a + 1;
	int sv[2] = { -1, -1 };
	char path[64];

	switch (rnd(seed, 5)) {
	case 0:
		if (pipe2(sv, O_NONBLOCK))
			return;
		break;
	case 1:
	case 2:
		if (socketpair(AF_UNIX, rnd(seed, 2) ? SOCK_STREAM : SOCK_DGRAM,
			       0, sv))
			return;
		kq_set_nonblock(sv[0]);
		kq_set_nonblock(sv[1]);
		break;
	case 3:
		if (kq_tcp_pair(sv))
			return;
		linger0(sv[0]);
		linger0(sv[1]);
		break;
	case 4:
		snprintf(path, sizeof(path), "/tmp/kq_stress.%d.%d", getpid(), i);
		sv[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
		if (sv[0] < 0)
			return;
		sv[1] = dup(sv[0]);
		break;
	}
	install(sv[0], a);
	install(sv[1], b);
}

static int obj_slot(unsigned int *seed)
{
	return SLOT_BASE + rnd(seed, 2 * NSLOT);
}

static int kq_slot(unsigned int *seed)
{
	return KQ_BASE + rnd(seed, NKQ);
}

/* ---------------------------------------------------------------- */
/* Threads                                                            */

/* Closes and replaces watched objects and shared kqueues. */
static void *churner(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stopping()) {
		unsigned int r = rnd(&seed, 10);

		if (r < 5) {
			new_pair(&seed, rnd(&seed, NSLOT));
		} else if (r < 7) {
			close(obj_slot(&seed));		/* leaves a hole */
		} else if (r < 9) {
			/* dup2 over a kqueue that waiters may block on */
			int kq = kqueue();

			if (kq < 0)
				fail_once("churner: kqueue(): %s", strerror(errno));
			install(kq, kq_slot(&seed));
		} else {
			close(kq_slot(&seed));
		}
		atomic_fetch_add(&st->churns, 1);
		usleep(rnd(&seed, 2000));
	}
	return NULL;
}

static void random_change(unsigned int *seed, struct kevent *kev)
{
	static const short fd_filters[] = {
		EVFILT_READ, EVFILT_WRITE, EVFILT_EMPTY, EVFILT_EXCEPT,
	};
	static const unsigned short mods[] = {
		0, EV_ONESHOT, EV_CLEAR, EV_DISPATCH, 0, 0,
	};
	unsigned short flags;
	unsigned int r = rnd(seed, 20);

	switch (rnd(seed, 8)) {
	case 0: case 1:
		flags = EV_ADD | mods[rnd(seed, 6)];
		break;
	case 2:
		flags = EV_DELETE;
		break;
	case 3:
		flags = EV_ENABLE;
		break;
	case 4:
		flags = EV_DISABLE;
		break;
	case 5:
		flags = EV_ADD | EV_DISABLE;
		break;
	case 6:
		flags = EV_ADD | EV_FORCEONESHOT;
		break;
	default:
		flags = EV_ADD;
	}
	if (r < 10) {		/* a descriptor */
		EV_SET(kev, obj_slot(seed), fd_filters[rnd(seed, 4)], flags,
		       rnd(seed, 4) ? 0 : NOTE_LOWAT, rnd(seed, 3), NULL);
		if (kev->filter == EVFILT_EXCEPT)
			kev->fflags = NOTE_OOB;
	} else if (r < 12) {	/* kqueue in kqueue */
		EV_SET(kev, kq_slot(seed), EVFILT_READ, flags, 0, 0, NULL);
	} else if (r < 15) {
		EV_SET(kev, rnd(seed, 8), EVFILT_TIMER, flags | EV_ONESHOT * !rnd(seed, 4),
		       0, rnd(seed, 5), NULL);
	} else if (r < 18) {
		EV_SET(kev, rnd(seed, 8), EVFILT_USER, flags | EV_CLEAR * !rnd(seed, 2),
		       rnd(seed, 3) ? NOTE_TRIGGER : NOTE_FFOR | 3, 0, NULL);
	} else {
		EV_SET(kev, rnd(seed, 2) ? SIGUSR1 : SIGUSR2, EVFILT_SIGNAL,
		       flags, 0, 0, NULL);
	}
	kev->udata = (void *)(uintptr_t)rnd(seed, 1000);
}

/* Batches of random changes on shared kqueues, with and without receipts. */
static void *adder(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct kevent ch[8], ev[8];
	int i, n, r;

	while (!stopping()) {
		int kq = kq_slot(&seed);

		n = 1 + rnd(&seed, 8);
		for (i = 0; i < n; i++) {
			random_change(&seed, &ch[i]);
			ch[i].flags |= EV_RECEIPT;
		}
		/* Receipts: one EV_ERROR entry per change, data = errno. */
		r = kevent(kq, ch, n, ev, n, NULL);
		if (r < 0) {
			if (errno != EBADF)
				fail_once("adder: kevent(receipts) on slot %d: %s",
					  kq, strerror(errno));
			continue;
		}
		if (r != n)
			fail_once("adder: %d receipts for %d changes", r, n);
		for (i = 0; i < r; i++) {
			if (!(ev[i].flags & EV_ERROR) || ev[i].ident != ch[i].ident ||
			    ev[i].filter != ch[i].filter)
				fail_once("adder: receipt %d does not match its change", i);
			check_change(&ch[i], (int)ev[i].data, "adder");
		}
		/* One change without receipt: -1/errno or 0. */
		random_change(&seed, &ch[0]);
		errno = 0;
		r = kevent(kq, ch, 1, NULL, 0, NULL);
		if (r > 0)
			fail_once("adder: kevent(1 change, 0 events) = %d", r);
		check_change(&ch[0], r ? errno : 0, "adder");
	}
	return NULL;
}

/* Wait for events on shared kqueues; close-under-wait is expected. */
static void *waiter(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct kevent ev[16];
	struct timespec ts;
	int i, r;

	while (!stopping()) {
		ts = kq_ms(rnd(&seed, 30));
		r = kevent(kq_slot(&seed), NULL, 0, ev, 1 + rnd(&seed, 16), &ts);
		atomic_fetch_add(&st->waits, 1);
		if (r < 0) {
			if (errno != EBADF && errno != EINTR)
				fail_once("waiter: kevent(): %s", strerror(errno));
			continue;
		}
		for (i = 0; i < r; i++)
			check_event(&ev[i], "waiter");
	}
	return NULL;
}

/* Make data flow: write, read, OOB, user triggers, signals. */
static void *trigger(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	char buf[4096];

	memset(buf, 't', sizeof(buf));
	while (!stopping()) {
		int fd = obj_slot(&seed);
		struct kevent kev;

		switch (rnd(&seed, 8)) {
		case 0: case 1: {
			struct stat sb;

			/* a regular file in a slot: keep tmpfs small */
			if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) &&
			    sb.st_size > 65536)
				(void)!ftruncate(fd, 0);
			(void)!write(fd, buf, 1 + rnd(&seed, sizeof(buf)));
			break;
		}
		case 2: case 3:
			(void)!read(fd, buf, sizeof(buf));
			break;
		case 4:
			(void)!send(fd, "o", 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case 5:
			EV_SET(&kev, rnd(&seed, 8), EVFILT_USER, 0, NOTE_TRIGGER,
			       0, NULL);
			(void)kevent(kq_slot(&seed), &kev, 1, NULL, 0, NULL);
			break;
		case 6:
			kill(getpid(), rnd(&seed, 2) ? SIGUSR1 : SIGUSR2);
			break;
		default:
			if (!rnd(&seed, 8))
				shutdown(fd, SHUT_WR);
		}
		atomic_fetch_add(&st->triggers, 1);
		if (!rnd(&seed, 16))
			sched_yield();
	}
	return NULL;
}

/*
 * A checked sequence on a private kqueue and private descriptors (low
 * numbers that nobody else closes): every step has one right answer.
 * Returns 0 or a line number.
 */
static int private_round(unsigned int *seed)
{
	struct kevent kev, ev[4];
	struct timespec zero = { 0, 0 }, wait = kq_ms(KQ_WAIT_MS);
	int kq, kq2, p[2], sv[2], r, line = 0;
	char c;

#define CHECK(cond) do { if (!(cond)) { line = __LINE__; goto out; } } while (0)
	kq = kqueue();
	CHECK(kq >= 0);
	kq2 = kqueue();
	CHECK(kq2 >= 0);
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);

	/* READ on a pipe: nothing, then one byte, then delete. */
	EV_SET(&kev, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	CHECK(kevent(kq, NULL, 0, ev, 4, &zero) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	r = kevent(kq, NULL, 0, ev, 4, &wait);
	CHECK(r == 1 && ev[0].ident == (uintptr_t)p[0] && ev[0].data == 1 &&
	      ev[0].udata == (void *)1);
	/* kq2 watches kq: readable while kq has the pending event. */
	EV_SET(&kev, kq, EVFILT_READ, EV_ADD, 0, 0, NULL);
	CHECK(kevent(kq2, &kev, 1, NULL, 0, NULL) == 0);
	r = kevent(kq2, NULL, 0, ev, 4, &wait);
	CHECK(r == 1 && ev[0].ident == (uintptr_t)kq && ev[0].filter == EVFILT_READ);
	/* the reverse link would be a cycle */
	EV_SET(&kev, kq2, EVFILT_READ, EV_ADD, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == -1 && errno == EINVAL);
	CHECK(read(p[0], &c, 1) == 1);
	CHECK(kevent(kq, NULL, 0, ev, 4, &zero) == 0);
	EV_SET(&kev, p[0], EVFILT_READ, EV_DISABLE, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	EV_SET(&kev, p[0], EVFILT_READ, EV_DELETE, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == -1 && errno == ENOENT);

	/* WRITE on a socket, then close the socket with the knote on it. */
	EV_SET(&kev, sv[0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	r = kevent(kq, NULL, 0, ev, 4, &wait);
	CHECK(r == 1 && ev[0].ident == (uintptr_t)sv[0] &&
	      ev[0].filter == EVFILT_WRITE && ev[0].data > 0);
	CHECK(close(sv[0]) == 0);
	EV_SET(&kev, sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	r = kevent(kq, &kev, 1, NULL, 0, NULL);
	CHECK(r == -1 && (errno == EBADF || errno == ENOENT));
	sv[0] = -1;

	/* USER: trigger with fflags, EV_CLEAR. */
	EV_SET(&kev, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	EV_SET(&kev, 7, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 5, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	r = kevent(kq, NULL, 0, ev, 4, &wait);
	CHECK(r == 1 && ev[0].ident == 7 && ev[0].filter == EVFILT_USER &&
	      (ev[0].fflags & 0xffffff) == 5);
	CHECK(kevent(kq, NULL, 0, ev, 4, &zero) == 0);

	/* TIMER: a oneshot fires once and is gone. */
	EV_SET(&kev, 3, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1 + rnd(seed, 3), NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	r = kevent(kq, NULL, 0, ev, 4, &wait);
	CHECK(r == 1 && ev[0].ident == 3 && ev[0].filter == EVFILT_TIMER &&
	      ev[0].data >= 1);
	EV_SET(&kev, 3, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == -1 && errno == ENOENT);

	/* a periodic timer and a pipe knote left behind for close() */
	EV_SET(&kev, 4, EVFILT_TIMER, EV_ADD, 0, 1, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
	EV_SET(&kev, p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	CHECK(kevent(kq, &kev, 1, NULL, 0, NULL) == 0);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	if (rnd(seed, 2)) {	/* either order */
		close(kq);
		close(kq2);
	} else {
		close(kq2);
		close(kq);
	}
	return line;
#undef CHECK
}

static void *private_worker(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	int line;

	while (!stopping()) {
		line = private_round(&seed);
		if (line)
			fail_once("private round: check at line %d failed (errno %d %s)",
				  line, errno, strerror(errno));
		atomic_fetch_add(&st->private_rounds, 1);
	}
	return NULL;
}

/*
 * Fork children that run private rounds (and stray operations on the
 * inherited slot numbers) and exit with knotes still registered; watch
 * them with EVFILT_PROC where the module has it.
 */
static void *forker(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct kevent kev;
	int status, kq = kqueue();

	if (kq < 0) {
		fail_once("forker: kqueue(): %s", strerror(errno));
		return NULL;
	}
	while (!stopping()) {
		pid_t pid = fork();

		if (pid < 0) {
			fail_once("forker: fork(): %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			unsigned int s = seed ^ getpid();
			int kqc, line, k;
			struct kevent ch;

			line = private_round(&s);
			if (line)
				_exit(100 + line % 100);
			/* Exit with knotes registered on a private kqueue. */
			kqc = kqueue();
			for (k = 0; k < 8 && kqc >= 0; k++) {
				random_change(&s, &ch);
				(void)kevent(kqc, &ch, 1, NULL, 0, NULL);
			}
			_exit(0);
		}
		if (st->have_proc) {
			EV_SET(&kev, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
			if (kevent(kq, &kev, 1, NULL, 0, NULL) && errno != ESRCH)
				fail_once("forker: EVFILT_PROC add: %s", strerror(errno));
		}
		if (waitpid(pid, &status, 0) != pid) {
			fail_once("forker: waitpid: %s", strerror(errno));
			break;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_once("forker: child status 0x%x (private round line %% 100 + 100)",
				  status);
		{
			struct kevent ev[8];
			struct timespec zero = { 0, 0 };

			while (kevent(kq, NULL, 0, ev, 8, &zero) > 0)
				;
		}
		atomic_fetch_add(&st->forks, 1);
		usleep(rnd(&seed, 20000));
	}
	close(kq);
	return NULL;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(stress)
{
}

/* The harness's limit (30 s by default) must exceed KQ_STRESS_SECONDS. */
TEST_F_TIMEOUT(stress, threads_and_processes, 400)
{
	const char *env = getenv("KQ_STRESS_SECONDS");
	long secs = env ? atol(env) : 3;
	pthread_t th[32];
	int nth = 0, i, probe;
	long kqs, kns;
	long long deadline;
	struct kevent kev;

	if (secs <= 0)
		secs = 3;
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st);
	memset(st, 0, sizeof(*st));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);	/* EVFILT_SIGNAL counts ignored signals */
	signal(SIGUSR2, SIG_IGN);

	/* Before: nothing of ours is live (tests run one at a time). */
	ASSERT_EQ(0, kq_read_live("live_kqueues")) TH_LOG("no " KQ_PARAM_DIR "live_kqueues?");
	ASSERT_EQ(0, kq_read_live("live_knotes"));

	/* Does the module have EVFILT_PROC? */
	KQ_OPEN(probe);
	EV_SET(&kev, getpid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	st->have_proc = kevent(probe, &kev, 1, NULL, 0, NULL) == 0;
	close(probe);

	{
		unsigned int seed = 1;

		for (i = 0; i < NSLOT; i++)
			new_pair(&seed, i);
		for (i = 0; i < NKQ; i++)
			install(kqueue(), KQ_BASE + i);
	}

	st->deadline = kq_now_ms() + secs * 1000;
	TH_LOG("running %ld s (KQ_STRESS_SECONDS), EVFILT_PROC %s", secs,
	       st->have_proc ? "on" : "not supported");
#define START(fn, n) do {						\
	ASSERT_EQ(0, pthread_create(&th[nth], NULL, fn,		\
				    (void *)(uintptr_t)(nth * 7919 + n))); \
	nth++;								\
} while (0)
	START(churner, 1);
	for (i = 0; i < NADDERS; i++)
		START(adder, i);
	for (i = 0; i < NWAITERS; i++)
		START(waiter, i);
	START(trigger, 1);
	START(trigger, 2);
	for (i = 0; i < NPRIVATE; i++)
		START(private_worker, i);
	START(forker, 1);
#undef START
	for (i = 0; i < nth; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));

	TH_LOG("changes: ok %ld, EBADF %ld, ENOENT %ld, EINVAL %ld, EPIPE %ld, ENOMEM %ld",
	       atomic_load(&st->changes[E_OK]), atomic_load(&st->changes[E_BADF]),
	       atomic_load(&st->changes[E_NOENT]), atomic_load(&st->changes[E_INVAL]),
	       atomic_load(&st->changes[E_PIPE]), atomic_load(&st->changes[E_NOMEM]));
	TH_LOG("events %ld, waits %ld, churns %ld, triggers %ld, forks %ld, private rounds %ld",
	       atomic_load(&st->events), atomic_load(&st->waits),
	       atomic_load(&st->churns), atomic_load(&st->triggers),
	       atomic_load(&st->forks), atomic_load(&st->private_rounds));
	if (atomic_load(&st->bad))
		TH_LOG("FAILED: %s", st->bad_msg);
	EXPECT_EQ(0, atomic_load(&st->bad));
	/* It did something. */
	EXPECT_LT(0, atomic_load(&st->changes[E_OK]));
	EXPECT_LT(0, atomic_load(&st->events));
	EXPECT_LT(0, atomic_load(&st->forks));
	EXPECT_LT(0, atomic_load(&st->private_rounds));

	/* Close everything; then every kqueue and knote must be freed. */
	for (i = 0; i < 2 * NSLOT; i++)
		close(SLOT_BASE + i);
	for (i = 0; i < NKQ; i++)
		close(KQ_BASE + i);
	deadline = kq_now_ms() + KQ_SETTLE_MS;
	do {
		kqs = kq_read_live("live_kqueues");
		kns = kq_read_live("live_knotes");
		if (!kqs && !kns)
			break;
		usleep(20000);
	} while (kq_now_ms() < deadline);
	if (kqs || kns)
		TH_LOG("after close: live_kqueues %ld, live_knotes %ld", kqs, kns);
	EXPECT_EQ(0, kqs);
	EXPECT_EQ(0, kns);
	munmap(st, sizeof(*st));
}

TEST_HARNESS_MAIN
