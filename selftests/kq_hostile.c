// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input to kevent().
 *
 * - random_changelists: for KQ_HOSTILE_SECONDS (default 5) random
 *   changelists (ident, filter in [-20, 5], flags, fflags, data, udata,
 *   up to 64 changes, up to 64 events, both record sizes, random bytes in
 *   the records) go to kevent() with a zero timeout.  Every call returns
 *   a count no larger than nevents or fails with an errno of BSD's set
 *   (EBADF EINVAL ENOENT ESRCH ENOMEM EFAULT EINTR EPIPE EACCES E2BIG);
 *   nothing hangs (the harness's time limit); afterwards the kqueue
 *   still works, and once everything is closed the module's live_knotes
 *   and live_kqueues return to 0.  The seed is printed; KQ_HOSTILE_SEED
 *   overrides it.
 * - bad_args: raw KQ_IOC_KEVENT with malformed arguments: the size
 *   (0, short, too large, non-zero tail), record_size, flags, negative
 *   counts, bad pointers, a bad timeout.
 */
#define _GNU_SOURCE
#include "kq_fd.h"
#include "kq_module.h"

#define DEFAULT_SECONDS	5
#define DEFAULT_SEED	0x6b71686fu	/* "kqho" */
#define MAXN		64

/* xorshift64* */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* Descriptors worth naming as idents (filled in by the test). */
static int fds[16];
static int nfds;

static uint64_t rnd_ident(int filter)
{
	static const uint64_t odd[] = {
		0, 1, 2, 0x7fffffff, 0x80000000ull, 0xffffffffull,
		0xffffffffffffffffull, 0x8000000000000000ull, 65, 1024,
		1 << 20,
	};

	switch (rnd_below(4)) {
	case 0:
		return odd[rnd_below(sizeof(odd) / sizeof(odd[0]))];
	case 1:
		return rnd();
	default:
		break;
	}
	switch (filter) {
	case EVFILT_PROC:
		return rnd_below(2) ? (uint64_t)getpid() : 1;
	case EVFILT_SIGNAL:
		return rnd_below(70);
	case EVFILT_USER:
	case EVFILT_TIMER:
		return rnd_below(32);
	default:
		return nfds ? (uint64_t)fds[rnd_below(nfds)] : 0;
	}
}

static uint16_t rnd_flags(void)
{
	static const uint16_t bits[] = {
		EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR,
		EV_RECEIPT, EV_DISPATCH, EV_FORCEONESHOT, EV_KEEPUDATA,
		EV_FLAG1, EV_ERROR, EV_EOF, EV_UDATA_SPECIFIC, EV_VANISHED,
	};
	uint16_t f = 0;
	int i, n;

	if (!rnd_below(16))
		return (uint16_t)rnd();
	n = 1 + rnd_below(3);
	for (i = 0; i < n; i++)
		f |= bits[rnd_below(sizeof(bits) / sizeof(bits[0]))];
	/* Mostly adds, so that knotes exist to be hit by the rest. */
	if (rnd_below(2))
		f |= EV_ADD;
	return f;
}

static uint32_t rnd_fflags(int filter)
{
	if (!rnd_below(4))
		return (uint32_t)rnd();
	switch (filter) {
	case EVFILT_USER:
		return (rnd_below(4) << 30) | NOTE_TRIGGER |
		       (uint32_t)(rnd() & NOTE_FFLAGSMASK);
	case EVFILT_TIMER:
		/* Mostly seconds: keep the machine responsive under TCG. */
		return rnd_below(4) ? NOTE_SECONDS : 1u << rnd_below(5);
	case EVFILT_PROC:
		return NOTE_EXIT | NOTE_FORK | NOTE_EXEC |
		       (rnd_below(2) ? NOTE_TRACK : 0);
	case EVFILT_VNODE:
		return (uint32_t)(rnd() & 0xfff);
	default:
		return (uint32_t)rnd_below(4);
	}
}

static int64_t rnd_data(int filter)
{
	static const int64_t odd[] = {
		0, 1, -1, INT64_MAX, INT64_MIN, 0x7fffffff, -0x80000000ll,
		1000000000, 4096,
	};

	if (rnd_below(2))
		return odd[rnd_below(sizeof(odd) / sizeof(odd[0]))];
	if (filter == EVFILT_TIMER)
		return 1 + rnd_below(100);
	return (int64_t)rnd();
}

static void rnd_record(void *rec, unsigned int recsize)
{
	struct kq_kevent *k = rec;
	unsigned int i;

	/* Sometimes pure garbage. */
	if (!rnd_below(8)) {
		for (i = 0; i < recsize / 8; i++)
			((uint64_t *)rec)[i] = rnd();
		return;
	}
	memset(rec, 0, recsize);
	k->filter = (int16_t)(-20 + (int)rnd_below(26));	/* [-20, 5] */
	k->ident = rnd_ident(k->filter);
	k->flags = rnd_flags();
	k->fflags = rnd_fflags(k->filter);
	k->data = rnd_data(k->filter);
	k->udata = rnd();
	if (recsize == KQ_RECORD_KEVENT64 && rnd_below(2)) {
		struct kq_kevent64 *k64 = rec;

		for (i = 0; i < 4; i++)
			k64->ext[i] = rnd_below(2) ? 0 : rnd();
	}
	if (recsize == KQ_RECORD_KEVENT64_S && rnd_below(2)) {
		struct kq_kevent64_s *k48 = rec;

		for (i = 0; i < 2; i++)
			k48->ext[i] = rnd_below(2) ? 0 : rnd();
	}
	if (recsize == KQ_RECORD_KEVENT_QOS) {
		/* Darwin's field order: rebuild from the common part */
		struct kq_kevent k32 = *k;
		struct kq_kevent_qos *q = rec;

		memset(q, 0, sizeof(*q));
		q->ident = k32.ident;
		q->filter = k32.filter;
		q->flags = k32.flags;
		q->fflags = k32.fflags;
		q->data = k32.data;
		q->udata = k32.udata;
		q->qos = (int32_t)rnd();
		q->xflags = rnd_below(2) ? 0 : (uint32_t)rnd();
		for (i = 0; i < 4; i++)
			q->ext[i] = rnd_below(2) ? 0 : rnd();
	}
}

/* Mostly 32-byte records, the others (64, 48, 72 bytes) now and then. */
static unsigned int rnd_recsize(void)
{
	static const unsigned int sizes[] = {
		KQ_RECORD_KEVENT64, KQ_RECORD_KEVENT64_S, KQ_RECORD_KEVENT_QOS,
	};

	return rnd_below(4) ? KQ_RECORD_KEVENT : sizes[rnd_below(3)];
}

static const char *seed_src;

static unsigned long long hostile_seed(void)
{
	const char *s = getenv("KQ_HOSTILE_SEED");

	seed_src = s && *s ? "KQ_HOSTILE_SEED" : "default";
	return s && *s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
}

static int hostile_seconds(void)
{
	const char *s = getenv("KQ_HOSTILE_SECONDS");
	int n = s && *s ? atoi(s) : DEFAULT_SECONDS;

	return n > 0 ? n : DEFAULT_SECONDS;
}

/* Wait (2 s) for a module counter to read 0. */
#define EXPECT_COUNTER_ZERO(name) do {					\
	long long __v = kq_param_wait(name, 0, 2000);			\
	if (__v != 0)							\
		TH_LOG(KQ_PARAM_DIR name " = %lld after everything was closed", __v); \
	EXPECT_EQ(0, __v);						\
} while (0)

FIXTURE(hostile) {
	int unused;
};
FIXTURE_SETUP(hostile) { (void)self; }
FIXTURE_TEARDOWN(hostile) { (void)self; }

TEST_F_TIMEOUT(hostile, random_changelists, 300)
{
	static uint8_t changes[MAXN * KQ_RECORD_KEVENT_QOS];
	static uint8_t events[MAXN * KQ_RECORD_KEVENT_QOS];
	unsigned long long seed = hostile_seed();
	long long deadline, calls = 0, errs = 0, evs = 0;
	int seconds = hostile_seconds();
	int kq, kq2, pfd[2], sv[2], devnull, tmpf, i;
	char tmpl[] = "/tmp/kq_hostile.XXXXXX";
	long long v;

	TH_LOG("seed %#llx (%s; set KQ_HOSTILE_SEED to repeat), %d s",
	       seed, seed_src, seconds);
	rng_state = seed ? seed : 1;
	ASSERT_EQ(0, kq_param_read("live_knotes", &v))
		TH_LOG("live_knotes: %s", strerror(errno));

	KQ_OPEN(kq);
	KQ_OPEN(kq2);
	ASSERT_EQ(0, pipe2(pfd, O_NONBLOCK | O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	tmpf = mkstemp(tmpl);
	ASSERT_LE(0, tmpf);
	unlink(tmpl);
	nfds = 0;
	fds[nfds++] = pfd[0];
	fds[nfds++] = pfd[1];
	fds[nfds++] = sv[0];
	fds[nfds++] = sv[1];
	fds[nfds++] = devnull;
	fds[nfds++] = tmpf;
	fds[nfds++] = kq2;
	fds[nfds++] = kq;
	fds[nfds++] = 0;
	fds[nfds++] = 999;	/* not open */

	deadline = kq_now_ms() + seconds * 1000LL;
	while (kq_now_ms() < deadline) {
		unsigned int recsize = rnd_recsize();
		int nch = rnd_below(MAXN + 1), nev = rnd_below(MAXN + 1);
		int target = rnd_below(8) ? kq : kq2;
		int r, e;

		for (i = 0; i < nch; i++)
			rnd_record(changes + i * recsize, recsize);
		memset(events, 0xa5, sizeof(events));
		errno = 0;
		r = kq_raw_kevent(target, changes, nch, events, nev,
				   &kq_zero, recsize);
		e = errno;
		calls++;
		if (r < 0) {
			errs++;
			if (!kq_bsd_errno(e))
				TH_LOG("seed %#llx call %lld: kevent(nchanges %d, nevents %d, record %u) errno %d (%s) is not one of BSD's",
				       seed, calls, nch, nev, recsize, e,
				       strerror(e));
			ASSERT_TRUE(kq_bsd_errno(e));
		} else {
			if (r > nev)
				TH_LOG("seed %#llx call %lld: %d events for nevents %d",
				       seed, calls, r, nev);
			ASSERT_LE(r, nev);
			evs += r;
		}
		/* Wake some descriptor knotes now and then. */
		switch (rnd_below(16)) {
		case 0:
			if (write(pfd[1], "x", 1) < 0)
				kq_drain_fd(pfd[0]);
			break;
		case 1:
			kq_drain_fd(pfd[0]);
			break;
		case 2:
			if (write(sv[0], "y", 1) < 0)
				kq_drain_fd(sv[1]);
			break;
		case 3:
			kq_drain_fd(sv[1]);
			break;
		case 4:
			if (write(tmpf, "z", 1) < 0 && ftruncate(tmpf, 0))
				TH_LOG("ftruncate: %s", strerror(errno));
			break;
		case 5:
			/* Start over now and then: closing with knotes. */
			if (!rnd_below(8)) {
				close(kq2);
				KQ_OPEN(kq2);
				fds[6] = kq2;
			}
			break;
		}
	}
	TH_LOG("%lld calls, %lld failed, %lld events", calls, errs, evs);

	/* The kqueue still works. */
	{
		static struct kevent out[512];
		struct kevent del[32];
		long long harvested = 0, until;
		int found = 0, r;

		for (i = 0; i < 32; i++)
			EV_SET(&del[i], i, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
		/* Drop the timers (EV_ERROR/ENOENT for those not there). */
		ASSERT_LE(0, kevent(kq, del, 32, out, 32, &kq_zero));
		if (!kq_param_read("live_knotes", &v))
			TH_LOG("live_knotes before the check: %lld", v);
		KQ_CHANGE_OK(kq, 12345, EVFILT_USER, EV_ADD | EV_CLEAR,
			     NOTE_TRIGGER, 0, (void *)0x77);
		/*
		 * Level-triggered knotes from the random phase may be queued
		 * ahead of it (they requeue behind it): harvest in batches.
		 */
		until = kq_now_ms() + 10000;
		while (!found && kq_now_ms() < until) {
			r = kq_poll(kq, out, 512, 0);
			ASSERT_LE(0, r) TH_LOG("%s", strerror(errno));
			harvested += r;
			for (i = 0; i < r; i++) {
				if (out[i].ident == 12345 &&
				    out[i].filter == EVFILT_USER &&
				    !(out[i].flags & EV_ERROR)) {
					found = 1;
					EXPECT_EQ((void *)0x77, out[i].udata);
				}
			}
			if (!r)
				break;
		}
		if (!found)
			TH_LOG("USER 12345 never came (%lld other events harvested)",
			       harvested);
		ASSERT_TRUE(found);
	}

	close(kq);
	close(kq2);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
	close(devnull);
	close(tmpf);
	EXPECT_COUNTER_ZERO("live_knotes");
	EXPECT_COUNTER_ZERO("live_kqueues");
}

/* ------------------------------------------------------------------ */
/* Malformed KQ_IOC_KEVENT arguments.                                  */

#define PAGE	4096

struct big_args {
	struct kq_kevent_args a;
	uint8_t tail[PAGE - sizeof(struct kq_kevent_args) + 64];
};

static void args_init(struct kq_kevent_args *a, void *ch, int nch, void *ev,
		      int nev, const struct timespec *ts)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->record_size = KQ_RECORD_KEVENT;
	a->changelist = (uint64_t)(uintptr_t)ch;
	a->eventlist = (uint64_t)(uintptr_t)ev;
	a->nchanges = nch;
	a->nevents = nev;
	a->timeout = (uint64_t)(uintptr_t)ts;
}

/* ioctl(kq, KQ_IOC_KEVENT, arg) must fail with err (or err2 if non-zero). */
#define EXPECT_KEV_ERR(kq, arg, err, err2) do {				\
	int __r, __e;							\
	errno = 0;							\
	__r = ioctl((kq), KQ_IOC_KEVENT, (arg));			\
	__e = errno;							\
	if (__r != -1 || (__e != (err) && __e != (err2)))		\
		TH_LOG("line %d: ioctl = %d errno %d (%s), want %s",	\
		       __LINE__, __r, __e, strerror(__e), #err);	\
	EXPECT_EQ(-1, __r);						\
	EXPECT_TRUE(__e == (err) || __e == (err2));			\
} while (0)

TEST_F_TIMEOUT(hostile, bad_args, 60)
{
	static struct big_args big;
	struct kq_kevent_args a;
	struct kevent ch, ev[4];
	struct timespec ts;
	char *unmapped, *two;
	int kq, r;

	KQ_OPEN(kq);
	unmapped = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	/* A pending event, so that a bad event list is written to. */
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	EV_SET(&ch, 2, EVFILT_USER, EV_ADD, 0, 0, NULL);

	/* The well-formed call works. */
	args_init(&a, &ch, 1, ev, 4, &kq_zero);
	r = ioctl(kq, KQ_IOC_KEVENT, &a);
	ASSERT_EQ(1, r) TH_LOG("%s", strerror(errno));

	/* size */
	args_init(&a, NULL, 0, ev, 4, &kq_zero);
	a.size = 0;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	a.size = 1;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	a.size = KQ_KEVENT_ARGS_SIZE_VER0 - 1;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	/* The first version's size (no version_str) is accepted. */
	a.size = KQ_KEVENT_ARGS_SIZE_VER0;
	r = ioctl(kq, KQ_IOC_KEVENT, &a);
	EXPECT_EQ(1, r) TH_LOG("size %u: %d (%s)", a.size, r, strerror(errno));
	a.size = 0xffffffffu;
	EXPECT_KEV_ERR(kq, &a, EINVAL, E2BIG);

	args_init(&big.a, NULL, 0, ev, 4, &kq_zero);
	memset(big.tail, 0, sizeof(big.tail));
	big.a.size = PAGE + 1;
	EXPECT_KEV_ERR(kq, &big, EINVAL, E2BIG);
	big.a.size = PAGE * 2;
	EXPECT_KEV_ERR(kq, &big, EINVAL, E2BIG);
	/* A larger struct with a zero tail is accepted. */
	big.a.size = PAGE;
	r = ioctl(kq, KQ_IOC_KEVENT, &big);
	EXPECT_EQ(1, r) TH_LOG("size %u, zero tail: %d (%s)", big.a.size, r,
			       strerror(errno));
	big.a.size = sizeof(struct kq_kevent_args) + 8;
	r = ioctl(kq, KQ_IOC_KEVENT, &big);
	EXPECT_EQ(1, r) TH_LOG("size %u, zero tail: %d (%s)", big.a.size, r,
			       strerror(errno));
	/* Non-zero bytes in the tail. */
	big.a.size = PAGE;
	big.tail[PAGE - sizeof(struct kq_kevent_args) - 1] = 1;
	EXPECT_KEV_ERR(kq, &big, EINVAL, E2BIG);
	big.tail[PAGE - sizeof(struct kq_kevent_args) - 1] = 0;
	big.tail[0] = 0x80;
	EXPECT_KEV_ERR(kq, &big, EINVAL, E2BIG);
	big.tail[0] = 0;

	/* record_size */
	{
		static const unsigned int bad[] = {
			0, 1, 16, 24, 31, 33, 47, 49, 63, 65, 71, 73, 96, 128,
			4096, 0xffffffffu,
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			args_init(&a, NULL, 0, ev, 4, &kq_zero);
			a.record_size = bad[i];
			EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
		}
	}

	/* flags */
	args_init(&a, NULL, 0, ev, 4, &kq_zero);
	a.flags = KQ_KEVENT_FLAGS_ALL + 1;	/* the first unknown bit */
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	a.flags = 1ull << 63;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);

	/* negative counts */
	args_init(&a, &ch, -1, ev, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	args_init(&a, &ch, 1, ev, -1, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	args_init(&a, &ch, INT32_MIN, ev, INT32_MIN, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);

	/* bad pointers */
	args_init(&a, (void *)(uintptr_t)1, 1, ev, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	args_init(&a, unmapped, 1, ev, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	args_init(&a, NULL, 1, ev, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	args_init(&a, (void *)(uintptr_t)0xffff800000000000ull, 1, ev, 4,
		  &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	/* A huge count over a small valid array runs into unmapped memory. */
	two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PAGE, PAGE, PROT_NONE));
	{
		struct kevent *edge = (struct kevent *)(two + PAGE) - 1;

		EV_SET(edge, 3, EVFILT_USER, EV_ADD, 0, 0, NULL);
		args_init(&a, edge, 2, ev, 4, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
		args_init(&a, edge, INT32_MAX, ev, 4, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	}
	/* Event list: USER 1 is pending and must be written somewhere bad. */
	args_init(&a, NULL, 0, (void *)(uintptr_t)1, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	args_init(&a, NULL, 0, unmapped, 4, &kq_zero);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	/* Read-only event list. */
	{
		char *ro = mmap(NULL, PAGE, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, ro);
		args_init(&a, NULL, 0, ro, 4, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
		munmap(ro, PAGE);
	}
	/* An error record for a bad change, written to a bad event list. */
	{
		struct kevent badch;

		EV_SET(&badch, 777, EVFILT_USER, EV_DELETE, 0, 0, NULL);
		args_init(&a, &badch, 1, unmapped, 4, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	}
	/* timeout pointer */
	args_init(&a, NULL, 0, ev, 4, NULL);
	a.timeout = 1;
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	a.timeout = (uint64_t)(uintptr_t)unmapped;
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	/* The timeout straddling into an unmapped page. */
	a.timeout = (uint64_t)(uintptr_t)(two + PAGE - 8);
	EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	/* timeout values */
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000;
	args_init(&a, NULL, 0, ev, 4, &ts);
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	ts.tv_nsec = 0x7fffffffffffffffll;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	ts.tv_nsec = -1;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	EXPECT_KEV_ERR(kq, &a, EINVAL, 0);
	/* the argument itself */
	EXPECT_KEV_ERR(kq, NULL, EFAULT, 0);
	EXPECT_KEV_ERR(kq, (void *)(uintptr_t)1, EFAULT, 0);
	EXPECT_KEV_ERR(kq, unmapped, EFAULT, 0);
	EXPECT_KEV_ERR(kq, (void *)(uintptr_t)0xffffffffffffff00ull, EFAULT, 0);
	{
		/* Size readable, the rest not. */
		struct kq_kevent_args *edge =
			(struct kq_kevent_args *)(two + PAGE - 8);

		edge->size = sizeof(*edge);
		edge->record_size = KQ_RECORD_KEVENT;
		EXPECT_KEV_ERR(kq, edge, EFAULT, 0);
		/* A larger size whose tail is unreadable. */
		edge = (struct kq_kevent_args *)(two + PAGE -
						 sizeof(*edge));
		args_init(edge, NULL, 0, ev, 4, &kq_zero);
		edge->size = sizeof(*edge) + 16;
		EXPECT_KEV_ERR(kq, edge, EFAULT, 0);
		/* Exactly at the page end it is fine. */
		edge->size = sizeof(*edge);
		r = ioctl(kq, KQ_IOC_KEVENT, edge);
		EXPECT_EQ(1, r) TH_LOG("args at page end: %d (%s)", r,
				       strerror(errno));
	}

	/* After all that the kqueue works: USER 1 and USER 2 are there. */
	KQ_CHANGE_OK(kq, 2, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	r = kq_poll(kq, ev, 4, 0);
	EXPECT_EQ(2, r);
	/*
	 * USER 3 was the readable first record of a change list that ran
	 * into unmapped memory: applied or not (BSD copies changes in
	 * chunks), deleting it gives 0 or ENOENT.
	 */
	r = kq_change(kq, 3, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	EXPECT_TRUE(r == 0 || errno == ENOENT);
	KQ_CHANGE_ERR(kq, ENOENT, 4, EVFILT_USER, EV_DELETE, 0, 0, NULL);
	munmap(two, 2 * PAGE);
	munmap(unmapped, PAGE);
	close(kq);
}

/*
 * The argument block, a change record and an event record each placed so
 * that the page ends at one of their field boundaries (the fields before
 * it readable and writable, the rest unmapped): every placement is EFAULT,
 * the change is not applied, and the event is still pending afterwards.
 */
TEST(records_cut_at_each_field)
{
	static const size_t args_cuts[] = { 4, 8, 16, 24, 28, 32, 40, 48 };
	static const size_t rec_cuts[] = { 8, 10, 12, 16, 24 };
	struct kq_kevent_args a, *ea;
	struct kq_kevent full, *er;
	struct kevent ev[2];
	char *two;
	unsigned int i;
	int kq;

	KQ_OPEN(kq);
	two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PAGE, PAGE, PROT_NONE));
	KQ_CHANGE_OK(kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);

	for (i = 0; i < sizeof(args_cuts) / sizeof(args_cuts[0]); i++) {
		ea = (struct kq_kevent_args *)(two + PAGE - args_cuts[i]);
		args_init(&a, NULL, 0, ev, 2, &kq_zero);
		memcpy(ea, &a, args_cuts[i]);
		EXPECT_KEV_ERR(kq, ea, EFAULT, 0);
	}

	/* a change adding USER 2, cut: never applied */
	memset(&full, 0, sizeof(full));
	full.ident = 2;
	full.filter = EVFILT_USER;
	full.flags = EV_ADD;
	full.fflags = NOTE_TRIGGER;
	for (i = 0; i < sizeof(rec_cuts) / sizeof(rec_cuts[0]); i++) {
		er = (struct kq_kevent *)(two + PAGE - rec_cuts[i]);
		memcpy(er, &full, rec_cuts[i]);
		args_init(&a, er, 1, NULL, 0, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	}
	KQ_CHANGE_ERR(kq, ENOENT, 2, EVFILT_USER, EV_DELETE, 0, 0, NULL);

	/* USER 1's event, written over the cut: still pending */
	for (i = 0; i < sizeof(rec_cuts) / sizeof(rec_cuts[0]); i++) {
		er = (struct kq_kevent *)(two + PAGE - rec_cuts[i]);
		args_init(&a, NULL, 0, er, 1, &kq_zero);
		EXPECT_KEV_ERR(kq, &a, EFAULT, 0);
	}
	ASSERT_EQ(1, kq_poll(kq, ev, 2, 0));
	EXPECT_EQ(1u, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	munmap(two, 2 * PAGE);
	close(kq);
}

/* The 64-byte record layout round-trips ident, filter and udata. */
TEST(record64_roundtrip)
{
	struct kq_kevent64 ch, ev[2];
	int kq, r;

	KQ_OPEN(kq);
	memset(&ch, 0, sizeof(ch));
	ch.ident = 5;
	ch.filter = EVFILT_USER;
	ch.flags = EV_ADD | EV_CLEAR;
	ch.fflags = NOTE_TRIGGER;
	ch.udata = 0x55;
	ch.ext[0] = 0x1111;
	ch.ext[3] = 0x4444;
	memset(ev, 0xa5, sizeof(ev));
	r = kq_raw_kevent(kq, &ch, 1, ev, 2, &kq_zero,
			   KQ_RECORD_KEVENT64);
	ASSERT_EQ(1, r) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(5u, ev[0].ident);
	EXPECT_EQ(EVFILT_USER, ev[0].filter);
	EXPECT_EQ(0x55u, ev[0].udata);
	/* The second record is untouched. */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, ev[1].ident);
	close(kq);
}

TEST_HARNESS_MAIN
