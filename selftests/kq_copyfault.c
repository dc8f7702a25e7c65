// SPDX-License-Identifier: GPL-2.0
/*
 * Copy faults lose nothing.  A kevent() that cannot write an event's record
 * (the slot is on a page with no access, or fail_usercopy/failslab fail the
 * Nth fault site of the call through /proc/thread-self/fail-nth) fails with
 * EFAULT (ENOMEM for an allocation), or returns the records it wrote before
 * the fault; every event it could not write is still pending, with the same
 * data, for the next kevent() (FreeBSD loses it).  For level, EV_CLEAR,
 * EV_ONESHOT and EV_DISPATCH knotes, and for the filters whose harvest
 * consumes state: a signal count, a timer's expiries, a process's exit,
 * vnode fflags.  A change in a failed call either made a whole knote or
 * none, and once everything is closed no knote is left (live_knotes).
 *
 * Each case runs with the shim's records (32 bytes, 20 for i386) and with
 * the 64-byte records of the raw ioctl (copy_to_user: what fail_usercopy
 * reaches on LP64).  The fail-nth sweep needs CONFIG_FAULT_INJECTION_USERCOPY
 * and debugfs (the 6.1-debug kernel); elsewhere it SKIPs.
 */
#include "kq_wait.h"
#include "kq_module.h"
#include <linux/kqueue.h>

#define FAIL_USERCOPY	"/sys/kernel/debug/fail_usercopy"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		200	/* fault sites one call may pass */
#define COMPANION	900	/* a second USER knote, triggered */
#define ADDED		901	/* the knote a faulted call's change adds */

enum kind {
	K_LEVEL, K_CLEAR, K_ONESHOT, K_DISPATCH, K_SIGNAL, K_TIMER, K_PROC,
	K_VNODE, K_NKINDS
};

static const char *const kind_name[K_NKINDS] = {
	"READ pipe (level)", "USER EV_CLEAR", "USER EV_ONESHOT",
	"USER EV_DISPATCH", "SIGNAL x3", "TIMER EV_ONESHOT", "PROC NOTE_EXIT",
	"VNODE NOTE_WRITE EV_CLEAR",
};

enum mode { M_SHIM, M_RAW64, M_NMODES };

static const char *const mode_name[M_NMODES] = { "shim records", "64-byte records" };

/* One knote under test, made and triggered. */
struct subject {
	enum kind k;
	int kq, a, b;
	pid_t child;
	uintptr_t ident;
	short filter;
};

/* An event in the form both record sizes map onto. */
struct ev {
	uint64_t ident;
	short filter;
	unsigned short flags;
	unsigned int fflags;
	int64_t data;
};

/* kevent() in @mode; @ch: at most one change. */
static int harvest(enum mode m, int kq, const struct kevent *ch, void *buf,
		   int nevents, struct ev *out)
{
	struct timespec zero = { 0, 0 };
	int r, i;

	if (m == M_SHIM) {
		struct kevent *evs = buf;

		r = kevent(kq, ch, ch ? 1 : 0, evs, nevents, &zero);
		for (i = 0; out && i < r; i++)
			out[i] = (struct ev){ evs[i].ident, evs[i].filter,
					      evs[i].flags, evs[i].fflags,
					      evs[i].data };
	} else {
		struct kq_kevent64 c = {}, *evs = buf;
		struct kq_kevent_args a = {
			.size = sizeof(a), .record_size = sizeof(c),
			.changelist = (uintptr_t)&c, .nchanges = ch ? 1 : 0,
			.eventlist = (uintptr_t)evs, .nevents = nevents,
			.timeout = (uintptr_t)&zero,
		};

		if (ch)
			c = (struct kq_kevent64){ .ident = ch->ident,
				.filter = ch->filter, .flags = ch->flags,
				.fflags = ch->fflags, .data = ch->data };
		r = ioctl(kq, KQ_IOC_KEVENT, &a);
		for (i = 0; out && i < r; i++)
			out[i] = (struct ev){ evs[i].ident, evs[i].filter,
					      evs[i].flags, evs[i].fflags,
					      evs[i].data };
	}
	return r;
}

static size_t recsize(enum mode m)
{
	return m == M_SHIM ? sizeof(struct kevent) : sizeof(struct kq_kevent64);
}

static int make_subject(struct subject *s, enum kind k)
{
	static const unsigned short user_flags[K_NKINDS] = {
		[K_CLEAR] = EV_CLEAR, [K_ONESHOT] = EV_ONESHOT,
		[K_DISPATCH] = EV_DISPATCH,
	};
	char path[64];
	int p[2];

	*s = (struct subject){ .k = k, .a = -1, .b = -1, .child = -1 };
	s->kq = kqueue();
	if (s->kq < 0)
		return -1;
	switch (k) {
	case K_LEVEL:
		if (pipe(p))
			return -1;
		s->a = p[0];
		s->b = p[1];
		s->ident = s->a;
		s->filter = EVFILT_READ;
		return kq_change(s->kq, s->a, EVFILT_READ, EV_ADD, 0, 0, NULL);
	case K_CLEAR: case K_ONESHOT: case K_DISPATCH:
		s->ident = 7;
		s->filter = EVFILT_USER;
		return kq_change(s->kq, 7, EVFILT_USER, EV_ADD | user_flags[k],
				 0, 0, NULL);
	case K_SIGNAL:
		s->ident = SIGUSR1;
		s->filter = EVFILT_SIGNAL;
		signal(SIGUSR1, SIG_IGN);
		return kq_change(s->kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0,
				 NULL);
	case K_TIMER:
		s->ident = 8;
		s->filter = EVFILT_TIMER;
		return kq_change(s->kq, 8, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
				 0, 1, NULL);
	case K_PROC:
		if (pipe(p))
			return -1;
		s->child = fork();
		if (s->child < 0)
			return -1;
		if (s->child == 0) {	/* exits 7 when the pipe's writer closes */
			char c;

			close(p[1]);
			(void)!read(p[0], &c, 1);
			_exit(7);
		}
		close(p[0]);
		s->b = p[1];
		s->ident = s->child;
		s->filter = EVFILT_PROC;
		return kq_change(s->kq, s->child, EVFILT_PROC, EV_ADD,
				 NOTE_EXIT, 0, NULL);
	case K_VNODE:
		snprintf(path, sizeof(path), "/tmp/kq_copyfault.%d", getpid());
		s->a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
		if (s->a < 0)
			return -1;
		s->ident = s->a;
		s->filter = EVFILT_VNODE;
		return kq_change(s->kq, s->a, EVFILT_VNODE, EV_ADD | EV_CLEAR,
				 NOTE_WRITE, 0, NULL);
	default:
		return -1;
	}
}

/* Make the event pending; 0 once it surely is. */
static int trigger(struct subject *s)
{
	siginfo_t si;
	int i;

	switch (s->k) {
	case K_LEVEL:
		return write(s->b, "abc", 3) == 3 ? 0 : -1;
	case K_CLEAR: case K_ONESHOT: case K_DISPATCH:
		return kq_change(s->kq, 7, EVFILT_USER, 0, NOTE_TRIGGER, 0,
				 NULL);
	case K_SIGNAL:
		for (i = 0; i < 3; i++)
			if (kill(getpid(), SIGUSR1))
				return -1;
		return 0;
	case K_TIMER:
		kq_sleep_ms(20);	/* 1 ms, once */
		return 0;
	case K_PROC:
		close(s->b);
		s->b = -1;
		/* exited (not reaped): its knote was activated on the way */
		return waitid(P_PID, s->child, &si, WEXITED | WNOWAIT);
	case K_VNODE:
		return write(s->a, "x", 1) == 1 ? 0 : -1;
	default:
		return -1;
	}
}

static void drop_subject(struct subject *s)
{
	if (s->child > 0) {
		if (s->b >= 0)
			close(s->b);
		s->b = -1;
		waitpid(s->child, NULL, 0);
	}
	if (s->a >= 0)
		close(s->a);
	if (s->b >= 0)
		close(s->b);
	if (s->kq >= 0)
		close(s->kq);
	s->kq = s->a = s->b = -1;
	s->child = -1;
}

/* The subject's event, as it must come back however often it was faulted. */
static bool event_right(const struct subject *s, const struct ev *e)
{
	if (e->ident != s->ident || e->filter != s->filter ||
	    (e->flags & EV_ERROR))
		return false;
	switch (s->k) {
	case K_LEVEL:
		return e->data == 3;
	case K_SIGNAL:
		return e->data == 3;
	case K_TIMER:
		return e->data == 1;
	case K_PROC:
		return (e->fflags & NOTE_EXIT) && (e->flags & EV_EOF) &&
		       WIFEXITED((int)e->data) && WEXITSTATUS((int)e->data) == 7;
	case K_VNODE:	/* (a write's hint is reported whole) */
		return (e->fflags & NOTE_WRITE) &&
		       !(e->fflags & ~(NOTE_WRITE | NOTE_EXTEND));
	default:
		return true;
	}
}

static void ev_log(struct __test_metadata *_metadata, const char *what,
		   const struct ev *e)
{
	TH_LOG("%s: ident %llu filter %d flags 0x%x fflags 0x%x data %lld",
	       what, (unsigned long long)e->ident, e->filter, e->flags,
	       e->fflags, (long long)e->data);
}

/*
 * After the event was delivered once: what the knote's flags say comes
 * next (a level knote reports again, a one-shot is gone, a dispatched one
 * is disabled until EV_ENABLE, the others are quiet).
 */
static void check_after(struct __test_metadata *_metadata, struct subject *s)
{
	struct kevent evs[4];
	struct kevent kev;

	switch (s->k) {
	case K_LEVEL:
		ASSERT_EQ(1, kq_poll(s->kq, evs, 4, 0));
		ASSERT_EQ(s->ident, evs[0].ident);
		break;
	case K_ONESHOT: case K_TIMER: case K_PROC:
		ASSERT_EQ(0, kq_poll(s->kq, evs, 4, 0));
		EV_SET(&kev, s->ident, s->filter, EV_DELETE, 0, 0, NULL);
		ASSERT_EQ(-1, kevent(s->kq, &kev, 1, NULL, 0, NULL));
		ASSERT_EQ(ENOENT, errno);
		break;
	case K_DISPATCH:
		ASSERT_EQ(0, kq_poll(s->kq, evs, 4, 0));
		ASSERT_EQ(0, kq_change(s->kq, 7, EVFILT_USER, EV_ENABLE, 0, 0,
				       NULL));
		ASSERT_EQ(1, kq_poll(s->kq, evs, 4, 0));
		ASSERT_EQ(7u, evs[0].ident);
		break;
	default:
		ASSERT_EQ(0, kq_poll(s->kq, evs, 4, 0));
	}
}

/* A page of events, with a page after it that no access reaches. */
static uint8_t *guarded_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + pg, pg, PROT_NONE))
		return NULL;
	return p;
}

/* The event list starts on the page no access reaches: EFAULT, kept. */
TEST(unwritable_slot)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *page = guarded_page(), buf[4 * 64];
	struct subject s;
	struct ev e[4];
	int k, m, r;

	ASSERT_NE(NULL, page);
	for (m = 0; m < M_NMODES; m++) {
		for (k = 0; k < K_NKINDS; k++) {
			ASSERT_EQ(0, make_subject(&s, k));
			ASSERT_EQ(0, trigger(&s));
			errno = 0;
			r = harvest(m, s.kq, NULL, page + pg, 1, NULL);
			if (r != -1 || errno != EFAULT)
				TH_LOG("%s, %s: kevent() into no access = %d (%s), want EFAULT",
				       kind_name[k], mode_name[m], r, strerror(errno));
			ASSERT_EQ(-1, r);
			ASSERT_EQ(EFAULT, errno);
			/* twice: a second fault keeps it too */
			ASSERT_EQ(-1, harvest(m, s.kq, NULL, page + pg, 1, NULL));
			r = harvest(m, s.kq, NULL, buf, 4, e);
			if (r != 1 || !event_right(&s, &e[0])) {
				TH_LOG("%s, %s: after the faults kevent() = %d, want its event",
				       kind_name[k], mode_name[m], r);
				if (r > 0)
					ev_log(_metadata, "got", &e[0]);
			}
			ASSERT_EQ(1, r);
			ASSERT_TRUE(event_right(&s, &e[0]));
			check_after(_metadata, &s);
			drop_subject(&s);
		}
	}
	munmap(page, 2 * pg);
}

/*
 * Two events, room for one before the page no access reaches: the call
 * returns the one it wrote, and the other is still pending.
 */
TEST(fault_after_first_record)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *page = guarded_page(), buf[4 * 64];
	bool seen_subject, seen_companion;
	struct subject s;
	struct ev e[4];
	int k, m, r, i, round, want;

	ASSERT_NE(NULL, page);
	for (m = 0; m < M_NMODES; m++) {
		for (k = 0; k < K_NKINDS; k++) {
			ASSERT_EQ(0, make_subject(&s, k));
			ASSERT_EQ(0, kq_change(s.kq, COMPANION, EVFILT_USER,
					       EV_ADD | EV_CLEAR, 0, 0, NULL));
			ASSERT_EQ(0, trigger(&s));
			ASSERT_EQ(0, kq_change(s.kq, COMPANION, EVFILT_USER, 0,
					       NOTE_TRIGGER, 0, NULL));
			seen_subject = seen_companion = false;
			for (round = 0; round < 2; round++) {
				uint8_t *slot = round ? buf : page + pg - recsize(m);

				/* the one left; a level knote sent already, again */
				want = round == 1 && k == K_LEVEL && seen_subject ? 2 : 1;
				r = harvest(m, s.kq, NULL, slot, 2, e);
				if (r != want)
					TH_LOG("%s, %s, call %d: kevent() = %d (%s), want %d",
					       kind_name[k], mode_name[m], round,
					       r, r < 0 ? strerror(errno) : "", want);
				ASSERT_EQ(want, r);
				for (i = 0; i < r; i++) {
					if (e[i].ident == COMPANION &&
					    e[i].filter == EVFILT_USER) {
						ASSERT_FALSE(seen_companion);
						seen_companion = true;
					} else {
						if (!event_right(&s, &e[i]))
							ev_log(_metadata, kind_name[k], &e[i]);
						ASSERT_TRUE(event_right(&s, &e[i]));
						/* a level knote reports again */
						ASSERT_TRUE(!seen_subject || k == K_LEVEL);
						seen_subject = true;
					}
				}
			}
			ASSERT_TRUE(seen_subject && seen_companion);
			check_after(_metadata, &s);
			drop_subject(&s);
		}
	}
	munmap(page, 2 * pg);
}

/*
 * Three events, room for one before the page no access reaches: the call
 * returns the one it wrote; the record that faulted and the one after it
 * in the same batch are both still pending.
 */
TEST(fault_mid_batch_keeps_the_rest)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *page = guarded_page();
	struct kevent *slot, ev[4];
	unsigned int seen = 0;
	int kq, i, r;

	ASSERT_NE(NULL, page);
	slot = (struct kevent *)(page + pg) - 1;
	kq = kqueue();
	ASSERT_LE(0, kq);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, kq_change(kq, i, EVFILT_USER, EV_ADD | EV_CLEAR,
				       0, 0, NULL));
		ASSERT_EQ(0, kq_change(kq, i, EVFILT_USER, 0, NOTE_TRIGGER, 0,
				       NULL));
	}
	ASSERT_EQ(1, kevent(kq, NULL, 0, slot, 3, NULL));
	seen |= 1u << slot->ident;
	r = kq_poll(kq, ev, 4, 0);
	ASSERT_EQ(2, r);
	for (i = 0; i < r; i++) {
		ASSERT_EQ(0u, seen & (1u << ev[i].ident));
		seen |= 1u << ev[i].ident;
	}
	EXPECT_EQ(0xeu, seen);
	close(kq);
	munmap(page, 2 * pg);
}

static int nth_fd = -1;

static void debugfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		(void)!write(fd, val, strlen(val));
		close(fd);
	}
}

/* Whether the fault set up in fail-nth was injected; leaves it off. */
static bool nth_injected(void)
{
	char v[32] = "";

	/* the read's own copy may take the fault: then it was not injected */
	if (pread(nth_fd, v, sizeof(v) - 1, 0) <= 0)
		return false;
	if (atoi(v) == 0)
		return true;
	(void)!pwrite(nth_fd, "0", 1, 0);
	return false;
}

/*
 * fail-nth: the call's 1st, 2nd, ... fault site fails (a copy in or out
 * under fail_usercopy, an allocation under failslab) until one call passes
 * them all.  After each: the subject's event comes back exactly once, and
 * the call's EV_ADD made a whole knote or none.
 */
TEST(fail_nth_sweep)
{
	uint8_t buf[4 * 64];
	struct subject s;
	struct kevent add;
	struct ev e[4], got;
	char nth[16];
	int k, m, n, r, err, i, seen, injected;
	long knotes;

	if (access(FAIL_USERCOPY, F_OK))
		SKIP(return, "no " FAIL_USERCOPY ": needs CONFIG_FAULT_INJECTION_USERCOPY and debugfs (the 6.1-debug kernel)");
	/*
	 * Quiet (a stack dump per injected fault would flood the console),
	 * and sleeping slab allocations count as fault sites too.
	 */
	debugfs_write(FAIL_USERCOPY "/verbose", "0");
	debugfs_write(FAILSLAB "verbose", "0");
	debugfs_write("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	debugfs_write(FAILSLAB "ignore-gfp-wait", "N");
	nth_fd = open(FAIL_NTH, O_RDWR);
	ASSERT_LE(0, nth_fd) TH_LOG(FAIL_NTH ": %s", strerror(errno));
	for (m = 0; m < M_NMODES; m++) {
		for (k = 0; k < K_NKINDS; k++) {
			injected = 0;
			for (n = 1; n <= MAX_NTH; n++) {
				ASSERT_EQ(0, make_subject(&s, k));
				ASSERT_EQ(0, trigger(&s));
				EV_SET(&add, ADDED, EVFILT_USER, EV_ADD, 0, 0, NULL);
				snprintf(nth, sizeof(nth), "%d", n);
				ASSERT_EQ((ssize_t)strlen(nth),
					  pwrite(nth_fd, nth, strlen(nth), 0));
				r = harvest(m, s.kq, &add, buf, 4, e);
				err = errno;
				if (!nth_injected()) {
					ASSERT_EQ(1, r);
					ASSERT_TRUE(event_right(&s, &e[0]));
					check_after(_metadata, &s);
					drop_subject(&s);
					break;
				}
				injected++;
				if (r < 0 && err != EFAULT && err != ENOMEM)
					TH_LOG("%s, %s, fault %d: errno %d (%s)",
					       kind_name[k], mode_name[m], n, err,
					       strerror(err));
				ASSERT_TRUE(r >= 0 || err == EFAULT || err == ENOMEM);
				/* the subject's event: in this call or the next, once */
				seen = 0;
				for (i = 0; i < r; i++) {
					if (e[i].ident == s.ident && e[i].filter == s.filter) {
						got = e[i];
						seen++;
					}
				}
				r = harvest(M_SHIM, s.kq, NULL, buf, 4, e);
				ASSERT_LE(0, r);
				for (i = 0; i < r; i++) {
					if (e[i].ident == s.ident && e[i].filter == s.filter &&
					    (s.k != K_LEVEL || !seen)) {
						got = e[i];
						seen++;
					}
				}
				if (seen != 1)
					TH_LOG("%s, %s, fault %d: the event came back %d times",
					       kind_name[k], mode_name[m], n, seen);
				ASSERT_EQ(1, seen);
				if (!event_right(&s, &got))
					ev_log(_metadata, kind_name[k], &got);
				ASSERT_TRUE(event_right(&s, &got));
				/* the EV_ADD: a whole knote (its trigger reports) or none */
				r = kq_change(s.kq, ADDED, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
				if (r == 0) {	/* (a level subject may come too) */
					r = harvest(M_SHIM, s.kq, NULL, buf, 4, e);
					for (i = 0; i < r && e[i].ident != ADDED; i++)
						;
					ASSERT_LT(i, r) TH_LOG("%s, %s, fault %d: the added knote reports nothing",
							       kind_name[k], mode_name[m], n);
				} else {
					ASSERT_EQ(ENOENT, errno);
				}
				drop_subject(&s);
			}
			ASSERT_GE(MAX_NTH, n) TH_LOG("%s, %s: still faulting after %d sites",
						   kind_name[k], mode_name[m], MAX_NTH);
			/* (a sweep that failed nothing would prove nothing) */
			ASSERT_LT(0, injected);
			TH_LOG("%s, %s: %d fault sites, each failed in turn",
			       kind_name[k], mode_name[m], injected);
		}
	}
	close(nth_fd);
	debugfs_write(FAILSLAB "ignore-gfp-wait", "Y");	/* the default */
	knotes = kq_read_live("live_knotes");
	if (knotes != -2)	/* (a module without the counter) */
		ASSERT_EQ(0, knotes);
}

TEST_HARNESS_MAIN
