// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the kevent operations and their checks.  kevent() with every
 * record size, malformed KQ_IOC_KEVENT arguments and bad pointers, the
 * filter-name ioctls, the kqueue as a file; what the kernel returns and
 * writes is checked (canaries past the event list, EV_ERROR data).
 */
#include "kq-fuzz.h"

/* ---- checking what kevent() returns ------------------------------------- */

static void fill_canary(void *p, size_t len)
{
	memset(p, 0xa5, len);
}

static long untouched_from(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != 0xa5)
			return i;
	return -1;
}

/*
 * Records 0..n-1 are events or EV_ERROR records; the kernel writes nothing
 * at or after record n (after nev when the call failed).  Under fail-nth
 * (op_fault) record n may be touched: the record whose copy failed, as
 * after a real fault in the middle of a copy on any kernel, where also a
 * tty's EVFILT_READ wrote its TIOCINQ count (kq_fd_data.c's scratch slot).
 */
static void check_events(const char *what, const void *list, size_t recsize,
			 int rc, int nev, int total)
{
	int first_free = rc >= 0 ? rc : nev, i;
	long off;

	if (fault_armed && first_free < total)
		first_free++;

	if (rc > nev) {
		anomaly("%s returned %d events for an event list of %d", what, rc, nev);
		return;
	}
	for (i = 0; i < rc; i++) {
		const struct kq_kevent *kev = (const void *)((const char *)list + i * recsize);
		int64_t data = kev->data;

		if (recsize == KQ_RECORD_KEVENT_QOS)	/* its data is elsewhere */
			data = ((const struct kq_kevent_qos *)kev)->data;
		if (kev->flags & EV_ERROR) {
			if (data < 0 || data >= 512)
				anomaly("%s: EV_ERROR record %d with data %lld", what, i,
					(long long)data);
			else
				count(&st->receipts[data < NERR ? data : NERR - 1]);
		} else if (kev->filter == EVFILT_LIBKQUEUE &&
			   (kev->flags & EV_RECEIPT)) {
			count(&st->events[-EVFILT_LIBKQUEUE]);	/* a query's answer */
		} else if (!known_filter(kev->filter)) {
			anomaly("%s: event %d of %d has filter %d (ident %llu flags 0x%x)",
				what, i, rc, kev->filter, (unsigned long long)kev->ident,
				kev->flags);
		} else {
			count(&st->events[-kev->filter]);
		}
	}
	off = untouched_from((const char *)list + first_free * recsize,
			     (total - first_free) * recsize);
	if (off >= 0)
		anomaly("%s returned %d (nevents %d) but wrote byte %ld of record %ld",
			what, rc, nev, off % (long)recsize, first_free + off / (long)recsize);
}

/* KQ_IOC_KEVENT with explicit records and argument block. */
static long raw_kevent(int kq, const void *chg, int nch, void *ev, int nev,
		       const struct timespec *ts, unsigned recsize)
{
	struct kq_kevent_args a = {
		.size = sizeof(a), .record_size = recsize,
		.changelist = (uintptr_t)chg, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)ts,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

/* ---- kevent operations -------------------------------------------------- */
void op_kevent(void)
{
	struct kevent chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	int kq = pick_kq(), nch = gen_changes(chg), nev = below(MAX_EVENTS + 1), rc;
	struct timespec ts = gen_timeout();

	if (chance(8)) {	/* the event list is the change list (BSD allows it) */
		nev = below(MAX_CHANGES + 1);
		note(OP_KEVENT, kevent(kq, chg, nch, chg, nev, &ts));
		return;
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT, kevent(kq, chg, nch, ev, nev, &ts));
	check_events("kevent", ev, sizeof(ev[0]), rc, nev, MAX_EVENTS + CANARY);
}

void op_kevent64(void)
{
	struct kevent chg32[MAX_CHANGES];
	struct kq_kevent64 chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	int kq = pick_kq(), nch = gen_changes(chg32), nev = below(MAX_EVENTS + 1), i, rc;
	struct timespec ts = gen_timeout();

	for (i = 0; i < nch; i++) {
		memcpy(&chg[i], &chg32[i], sizeof(chg32[i]));
		chg[i].ext[0] = chance(80) ? 0 : rnd();
		chg[i].ext[1] = chance(80) ? 0 : rnd();
		chg[i].ext[2] = rnd();
		chg[i].ext[3] = rnd();
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT64, raw_kevent(kq, chg, nch, ev, nev, &ts, KQ_RECORD_KEVENT64));
	if (rc < 0 && errno == ENOTTY)
		return;		/* not a kqueue: nothing was written */
	check_events("kevent64", ev, sizeof(ev[0]), rc, nev, MAX_EVENTS + CANARY);
}

/*
 * Darwin's records (kevent64(), kevent_qos()): 48 or 72 bytes, random
 * ext[], qos and xflags, and now and then KEVENT_FLAG_ERROR_EVENTS's
 * changes-only mode.
 */
void op_kevent_darwin(void)
{
	struct kevent k[MAX_CHANGES];
	struct kq_kevent_qos chg[MAX_CHANGES], ev[MAX_EVENTS + CANARY];
	struct kq_kevent_qos *c;
	struct kq_kevent64_s *c64;
	int kq = pick_kq(), nch = gen_changes(k), nev = below(MAX_EVENTS + 1), i, rc;
	bool qos = chance(50);
	unsigned recsize = qos ? KQ_RECORD_KEVENT_QOS : KQ_RECORD_KEVENT64_S;
	struct timespec ts = gen_timeout();
	struct kq_kevent_args a = {
		.size = sizeof(a), .record_size = recsize,
		.changelist = (uintptr_t)chg, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)&ts,
		.flags = chance(15) ? KQ_KEVENT_CHANGES_ONLY : 0,
	};

	for (i = 0; i < nch; i++) {
		if (qos) {
			c = &chg[i];
			c->ident = k[i].ident;
			c->filter = k[i].filter;
			c->flags = k[i].flags;
			c->qos = chance(70) ? 0 : rnd();
			c->udata = (uintptr_t)k[i].udata;
			c->fflags = k[i].fflags;
			c->xflags = chance(70) ? 0 : rnd();
			c->data = k[i].data;
			c->ext[0] = chance(70) ? 0 : rnd();
			c->ext[1] = chance(70) ? 0 : rnd();
			c->ext[2] = rnd();
			c->ext[3] = rnd();
		} else {
			c64 = (struct kq_kevent64_s *)chg + i;
			c64->ident = k[i].ident;
			c64->filter = k[i].filter;
			c64->flags = k[i].flags;
			c64->fflags = k[i].fflags;
			c64->data = k[i].data;
			c64->udata = (uintptr_t)k[i].udata;
			c64->ext[0] = chance(70) ? 0 : rnd();
			c64->ext[1] = chance(70) ? 0 : rnd();
		}
	}
	fill_canary(ev, sizeof(ev));
	rc = note(OP_KEVENT_DARWIN, ioctl(kq, KQ_IOC_KEVENT, &a));
	if (rc < 0 && errno == ENOTTY)
		return;		/* not a kqueue: nothing was written */
	check_events(qos ? "kevent_qos" : "kevent64_s", ev, recsize, rc, nev,
		     (MAX_EVENTS + CANARY) * sizeof(ev[0]) / recsize);
}

/*
 * Per thread: two writable pages, an unmapped one and a read-only one
 * holding random changes, for lists that run into a fault.
 */
static __thread unsigned char *guard;

static unsigned char *guard_pages(void)
{
	struct kevent *ro;
	unsigned i;

	if (guard)
		return guard;
	guard = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED) {
		guard = NULL;
		return NULL;
	}
	ro = (struct kevent *)(guard + 3 * PG);
	for (i = 0; i < PG / sizeof(*ro); i++)
		gen_change(&ro[i]);
	mprotect(guard + 2 * PG, PG, PROT_NONE);
	mprotect(guard + 3 * PG, PG, PROT_READ);
	return guard;
}

/* n records of random changes ending at the unmapped page (misaligned maybe). */
static void *before_hole(int n, unsigned recsize)
{
	unsigned char *g = guard_pages(), *p;
	int i;

	p = g + 2 * PG - (size_t)n * recsize - (chance(30) ? below(recsize) : 0);
	for (i = 0; i < n; i++) {
		struct kevent kev;

		gen_change(&kev);
		memcpy(p + (size_t)i * recsize, &kev, sizeof(kev));
	}
	return p;
}

static void *bad_pointer(void)
{
	unsigned char *g = guard_pages();
	const uintptr_t v[] = { 0, 1, 0xffffffff81000000ULL, 0xffff888000000000ULL,
				(uintptr_t)-1, 0x7ffffffff000ULL,
				(uintptr_t)(g + 2 * PG), (uintptr_t)(g + 3 * PG),
				(uintptr_t)(g + 2 * PG - 7) };

	return (void *)PICK(v);
}

/*
 * One malformed KQ_IOC_KEVENT; variants 0-2 and 4-6 must fail.  The timeout
 * is always a zero one or an invalid one: nothing here may wait.
 */
void op_kevent_bad(void)
{
	static const unsigned recsizes[] = { 0, 1, 16, 31, 33, 47, 49, 63, 65, 71, 73, 128, 4096 };
	unsigned char argbuf[PG + 64] __attribute__((aligned(8)));
	struct kq_kevent_args *a = (void *)argbuf;
	struct timespec ts = { 0, 0 };
	int kq = pick_kq(), variant = below(14), n = 1 + below(8);
	void *arg = a;
	long rc;

	if (!guard_pages())
		return;
	memset(argbuf, 0, sizeof(argbuf));
	*a = (struct kq_kevent_args){
		.size = sizeof(*a), .record_size = KQ_RECORD_KEVENT,
		.changelist = (uintptr_t)before_hole(n, KQ_RECORD_KEVENT),
		.nchanges = n, .timeout = (uintptr_t)&ts,
	};
	switch (variant) {
	case 0:		/* too small */
		a->size = below(KQ_KEVENT_ARGS_SIZE_VER0);
		break;
	case 1:		/* too large */
		a->size = chance(50) ? PG + 1 + below(64) : (uint32_t)rnd() | 0x80000000u;
		break;
	case 2:		/* larger, with a non-zero tail */
		a->size = sizeof(*a) + 1 + below(sizeof(argbuf) - sizeof(*a) - 1);
		argbuf[sizeof(*a) + below(a->size - sizeof(*a))] = 1 + below(255);
		break;
	case 3:		/* the argument block itself is bad or runs into the hole */
		arg = chance(50) ? bad_pointer() : guard + 2 * PG - 4 - below(sizeof(*a) - 4);
		break;
	case 4:
		a->record_size = PICK(recsizes);
		break;
	case 5:
		a->flags = (rnd() & ~(uint64_t)KQ_KEVENT_FLAGS_ALL) |
			   (KQ_KEVENT_FLAGS_ALL + 1);	/* an unknown bit */
		break;
	case 6:
		a->nchanges = chance(50) ? -1 - (int)below(INT_MAX) : n;
		a->nevents = a->nchanges < 0 && chance(50) ? n : INT_MIN;
		break;
	case 7:		/* a bad change list pointer */
		a->changelist = (uintptr_t)bad_pointer();
		a->nchanges = 1 + below(INT_MAX);
		break;
	case 8:		/* a bad timeout */
		ts.tv_sec = chance(50) ? -1 : 0;
		ts.tv_nsec = ts.tv_sec ? 0 : chance(50) ? -1 : 1000000000 + (long)below(1000);
		if (chance(30))		/* never NULL or readable: those could wait */
			a->timeout = (uintptr_t)PICK(((void *const[]){ guard + 2 * PG,
				guard + 2 * PG - 7, (void *)0xffffffff81000000ULL }));
		a->nevents = 1;
		a->eventlist = (uintptr_t)guard;
		break;
	case 9:		/* huge change count: runs into the hole */
		a->nchanges = chance(50) ? INT_MAX : n + 1 + below(64);
		break;
	case 10:	/* events into the hole or a read-only page */
		a->eventlist = (uintptr_t)(chance(50) ? before_hole(1 + below(3), 32)
						       : guard + 3 * PG);
		a->nevents = chance(50) ? INT_MAX : 1 + below(64);
		break;
	case 11:	/* 64-byte records running into the hole */
		a->record_size = KQ_RECORD_KEVENT64;
		a->changelist = (uintptr_t)before_hole(n, KQ_RECORD_KEVENT64);
		a->eventlist = (uintptr_t)guard;
		a->nevents = below(64);
		break;
	case 12:	/* the changes and events share the page before the hole */
		a->eventlist = a->changelist;
		a->nevents = n + below(4);
		break;
	default:	/* the randomly protected page: what the kernel wrote, replayed */
		a->changelist = a->eventlist = (uintptr_t)P.shared_page;
		a->nchanges = below(PG / 32 + 4);
		a->nevents = below(PG / 32 + 4);
		break;
	}
	rc = note(OP_KEVENT_BAD, ioctl(kq, KQ_IOC_KEVENT, arg));
	if (rc >= 0 && variant <= 6 && variant != 3)
		anomaly("malformed KQ_IOC_KEVENT (variant %d, size %u record_size %u "
			"nchanges %d nevents %d flags 0x%llx) returned %ld", variant,
			a->size, a->record_size, a->nchanges, a->nevents,
			(unsigned long long)a->flags, rc);
}

void op_kfilter(void)
{
	static const char *const names[] = { "EVFILT_READ", "EVFILT_USER",
					     "EVFILT_PROCDESC", "EVFILT_AIO", "",
					     "EVFILT_", "evfilt_read", "EVFILT_READX" };
	char name[64];
	struct kfilter_mapping m = { .name = name, .len = sizeof(name) };
	int fd = chance(90) ? pick_kq() : pick_fd(0);
	unsigned long cmd = chance(50) ? KFILTER_BYFILTER : KFILTER_BYNAME;

	if (cmd == KFILTER_BYFILTER) {
		m.filter = chance(80) ? (uint32_t)gen_filter() : (uint32_t)rnd();
		memset(name, 'x', sizeof(name));
	} else {
		snprintf(name, sizeof(name), "%s", PICK(names));
		if (chance(10))
			memset(name, 'E', sizeof(name));	/* no terminator */
	}
	if (chance(20))
		m.len = chance(50) ? below(4) : rnd();
	if (chance(10))
		m.name = bad_pointer();
	if (chance(5))
		cmd = _IOC(below(4), KQ_IOC_MAGIC, below(16), below(64));
	note(OP_KFILTER, ioctl(fd, cmd, chance(5) ? bad_pointer() : &m));
}

/* The kqueue as a file: poll, select, fdinfo, read/write, fcntl. */
void op_kq_misc(void)
{
	char path[64], buf[PG];
	int kq = pick_kq(), fd;
	struct pollfd pfd[4];
	fd_set rfds;
	struct timeval tv = { 0, 0 };
	int i;

	memset(buf, 'q', 64);
	switch (below(7)) {
	case 0:
		for (i = 0; i < 4; i++) {
			pfd[i].fd = i ? pick_fd(0) : kq;
			pfd[i].events = POLLIN | POLLOUT | POLLPRI;
		}
		note(OP_KQ_MISC, poll(pfd, 4, chance(80) ? 0 : 1));
		break;
	case 1:
		if (kq < 0 || kq >= FD_SETSIZE)
			break;
		FD_ZERO(&rfds);
		FD_SET(kq, &rfds);
		note(OP_KQ_MISC, select(kq + 1, &rfds, NULL, NULL, &tv));
		break;
	case 2:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kq);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (note(OP_KQ_MISC, fd) >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		break;
	case 3:
		note(OP_KQ_MISC, chance(50) ? read(kq, buf, below(64)) : write(kq, buf, below(64)));
		break;
	case 4:
		/* never clears O_NONBLOCK: kq may be any descriptor */
		note(OP_KQ_MISC, fcntl(kq, chance(50) ? F_GETFL : F_SETFL, O_NONBLOCK));
		break;
	case 5:
		i = 1;
		note(OP_KQ_MISC, ioctl(kq, chance(50) ? FIONREAD : FIONBIO, &i));
		break;
	default: {
		void *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, kq, 0);

		note(OP_KQ_MISC, p == MAP_FAILED ? -1 : 0);
		if (p != MAP_FAILED)
			munmap(p, PG);
	}
	}
}
