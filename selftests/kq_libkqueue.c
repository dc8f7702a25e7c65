// SPDX-License-Identifier: GPL-2.0
/*
 * What binaries built against libkqueue expect beyond BSD: its query filter
 * EVFILT_LIBKQUEUE (NOTE_VERSION, NOTE_VERSION_STR, the run-time knobs,
 * NOTE_FILE_POLL_INTERVAL), and, when asked for with
 * KQUEUE_LIBKQUEUE_BEHAVIOUR=1 (first name KQUEUE_LIBKQUEUE_FLAGS=1) in the
 * shim's environment, or KQ_KEVENT_LIBKQUEUE_BEHAVIOUR in the ioctl,
 * libkqueue's behaviour: the flags it returns (EV_ADD kept in events, the
 * change's own flags kept in receipts), and timers that EV_ENABLE restarts,
 * dropping what they counted while disabled (libkqueue's
 * test_kevent_timer_dispatch).
 */
#include "kq_module.h"

#include <dlfcn.h>

static const struct timespec zero_ts;

/* One kevent() of one change, as the shim does it, with an event list. */
static int query(int kq, unsigned int fflags, struct kevent *out, int nout)
{
	struct kevent ch;

	EV_SET(&ch, 0, EVFILT_LIBKQUEUE, EV_ADD, fflags, 0, NULL);
	memset(out, 0xa5, sizeof(*out) * (nout ? nout : 1));
	return kevent(kq, &ch, 1, out, nout, &zero_ts);
}

/* The raw ioctl, for the argument block's fields the shim fills itself. */
static int raw_kevent_ts(int kq, const struct kevent *ch, int nch,
			 struct kevent *ev, int nev, __u32 size, __u64 flags,
			 const struct timespec *ts)
{
	struct kq_kevent_args a = {
		.size = size, .record_size = sizeof(struct kevent),	/* 32 or 20 */
		.changelist = (uintptr_t)ch, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)ts,
		.flags = flags,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
}

static int raw_kevent(int kq, const struct kevent *ch, int nch,
		      struct kevent *ev, int nev, __u32 size, __u64 flags)
{
	return raw_kevent_ts(kq, ch, nch, ev, nev, size, flags, &zero_ts);
}

FIXTURE(lkq) {
	int kq;
};

FIXTURE_SETUP(lkq)
{
	self->kq = kqueue();
	ASSERT_LE(0, self->kq) TH_LOG("kqueue(): %s", strerror(errno));
}

FIXTURE_TEARDOWN(lkq)
{
	close(self->kq);
}

/* libkqueue's test_libkqueue_version: one record, data the version. */
TEST_F(lkq, note_version_answers_in_the_event_list)
{
	struct kevent ev[2];

	ASSERT_EQ(1, query(self->kq, NOTE_VERSION, ev, 2));
	EXPECT_EQ(EVFILT_LIBKQUEUE, ev[0].filter);
	EXPECT_EQ(0, ev[0].ident);
	EXPECT_EQ(NOTE_VERSION, ev[0].fflags);
	EXPECT_EQ(EV_ADD | EV_RECEIPT, ev[0].flags);	/* not an error */
	EXPECT_EQ(KQ_LIBKQUEUE_VERSION, ev[0].data);
	EXPECT_EQ(0x02060100, ev[0].data);		/* 2.6.1, libkqueue's encoding */
	/* a query, not a registration: nothing fires */
	KQ_CHECK_NONE(self->kq);
}

/* libkqueue's test_libkqueue_version_str: udata is a readable string. */
TEST_F(lkq, note_version_str_gives_a_static_string)
{
	struct kevent ev;
	const char *s;

	ASSERT_EQ(1, query(self->kq, NOTE_VERSION_STR, &ev, 1));
	EXPECT_EQ(EVFILT_LIBKQUEUE, ev.filter);
	EXPECT_EQ(EV_ADD | EV_RECEIPT, ev.flags);
	s = ev.udata;
	ASSERT_NE(NULL, s);
	TH_LOG("NOTE_VERSION_STR: \"%s\"", s);
	EXPECT_EQ(0, strncmp(s, "2.6.1 ", 6));
	EXPECT_NE(NULL, strstr(s, "kqueue for Linux"));
	/* the same string every time (a static, not an allocation) */
	ASSERT_EQ(1, query(self->kq, NOTE_VERSION_STR, &ev, 1));
	EXPECT_EQ(s, ev.udata);
}

/* A caller of the first argument block (no version_str) gets NULL. */
TEST_F(lkq, note_version_str_without_a_string_is_null)
{
	struct kevent ch, ev;

	EV_SET(&ch, 0, EVFILT_LIBKQUEUE, EV_ADD, NOTE_VERSION_STR, 0, &ch);
	ASSERT_EQ(1, raw_kevent(self->kq, &ch, 1, &ev, 1,
				KQ_KEVENT_ARGS_SIZE_VER0, 0));
	EXPECT_EQ(NULL, ev.udata);
}

/* libkqueue: no room for the answer is EFAULT, and nothing else happens. */
TEST_F(lkq, query_without_room_is_efault)
{
	struct kevent ev;

	errno = 0;
	EXPECT_EQ(-1, query(self->kq, NOTE_VERSION, &ev, 0));
	EXPECT_EQ(EFAULT, errno);
}

/* An answer that cannot be written (an unmapped event list) is EFAULT too. */
TEST_F(lkq, query_into_unmapped_list_is_efault)
{
	struct kevent ch, *ev = mmap(NULL, 4096, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ev);
	EV_SET(&ch, 0, EVFILT_LIBKQUEUE, EV_ADD, NOTE_VERSION, 0, NULL);
	errno = 0;
	EXPECT_EQ(-1, kevent(self->kq, &ch, 1, ev, 1, &zero_ts));
	EXPECT_EQ(EFAULT, errno);
	munmap(ev, 4096);
	KQ_CHECK_NONE(self->kq);
}

/* libkqueue's Linux backend: ENOSYS, as a record or as the call's errno. */
TEST_F(lkq, file_poll_interval_is_enosys)
{
	struct kevent ch, ev;

	ASSERT_EQ(1, query(self->kq, NOTE_FILE_POLL_INTERVAL, &ev, 1));
	EXPECT_EQ(EV_ERROR, ev.flags);
	EXPECT_EQ(ENOSYS, ev.data);

	EV_SET(&ch, 0, EVFILT_LIBKQUEUE, EV_ADD, NOTE_FILE_POLL_INTERVAL,
	       50 * 1000 * 1000, NULL);
	errno = 0;
	EXPECT_EQ(-1, kevent(self->kq, &ch, 1, NULL, 0, NULL));
	EXPECT_EQ(ENOSYS, errno);
}

/* The knobs are accepted (this kqueue already is what they ask for). */
TEST_F(lkq, runtime_knobs_accepted_unknown_rejected)
{
	static const unsigned int knobs[] = {
		NOTE_THREAD_SAFE, NOTE_FORK_CLEANUP, NOTE_DEBUG,
		NOTE_DEBUG_PREFIX, NOTE_DEBUG_FUNC,
	};
	struct kevent ev;
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		EXPECT_EQ(0, query(self->kq, knobs[i], &ev, 1))
			TH_LOG("knob %u: %s", knobs[i], strerror(errno));
	}
	KQ_CHECK_NONE(self->kq);
	ASSERT_EQ(1, query(self->kq, 0x9, &ev, 1));
	EXPECT_EQ(EV_ERROR, ev.flags);
	EXPECT_EQ(EINVAL, ev.data);
}

/*
 * The flags of a returned event, a receipt and an error record, by
 * FreeBSD's rule or by libkqueue's, through @kevent_fn (the static shim in
 * this program, or a shared one loaded with dlopen).
 */
struct flag_result {
	unsigned short event, receipt, error;
};

typedef int (*kevent_fn)(int, const struct kevent *, int, struct kevent *,
			 int, const struct timespec *);

static int returned_flags(int kq, kevent_fn kev, struct flag_result *r)
{
	struct kevent ch[2], ev[2];

	EV_SET(&ch[0], 7, EVFILT_USER, EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0,
	       NULL);
	if (kev(kq, ch, 1, ev, 2, &zero_ts) != 1)
		return -1;
	r->receipt = ev[0].flags;
	EV_SET(&ch[0], 7, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
	if (kev(kq, ch, 1, ev, 2, &zero_ts) != 1 || ev[0].ident != 7)
		return -1;
	r->event = ev[0].flags;
	EV_SET(&ch[0], 8, EVFILT_USER, EV_DELETE, 0, 0, NULL);	/* ENOENT */
	if (kev(kq, ch, 1, ev, 2, &zero_ts) != 1 || ev[0].data != ENOENT)
		return -1;
	r->error = ev[0].flags;
	return 0;
}

#define FREEBSD_EVENT	(EV_CLEAR | EV_RECEIPT)
#define LIBKQUEUE_EVENT	(EV_ADD | EV_CLEAR | EV_RECEIPT)
#define LIBKQUEUE_RECEIPT (EV_ADD | EV_CLEAR | EV_RECEIPT | EV_ERROR)
#define LIBKQUEUE_ERROR	(EV_DELETE | EV_ERROR)

TEST_F(lkq, freebsd_flags_by_default)
{
	struct flag_result r;

	ASSERT_EQ(0, returned_flags(self->kq, kevent, &r));
	EXPECT_EQ(FREEBSD_EVENT, r.event);
	EXPECT_EQ(EV_ERROR, r.receipt);
	EXPECT_EQ(EV_ERROR, r.error);
}

/* A call in libkqueue's mode, made with the raw ioctl. */
static int kevent_libkqueue(int kq, const struct kevent *ch, int nch,
			    struct kevent *ev, int nev,
			    const struct timespec *ts)
{
	return raw_kevent_ts(kq, ch, nch, ev, nev,
			     sizeof(struct kq_kevent_args),
			     KQ_KEVENT_LIBKQUEUE_BEHAVIOUR, ts);
}

TEST_F(lkq, libkqueue_flags_by_ioctl_flag)
{
	struct flag_result r;

	/* the first name is the same bit */
	ASSERT_EQ(KQ_KEVENT_LIBKQUEUE_BEHAVIOUR, KQ_KEVENT_LIBKQUEUE_FLAGS);
	ASSERT_EQ(0, returned_flags(self->kq, kevent_libkqueue, &r));
	EXPECT_EQ(LIBKQUEUE_EVENT, r.event);
	EXPECT_EQ(LIBKQUEUE_RECEIPT, r.receipt);
	EXPECT_EQ(LIBKQUEUE_ERROR, r.error);
}

#define PERIOD_MS	100

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * libkqueue's test_kevent_timer_dispatch, through @kev: an EV_DISPATCH
 * timer fires, stays disabled for several periods, and is re-enabled.
 * Returns how many events were pending right after the EV_ENABLE (and
 * their data in *pending_data), and the first event after that in *after
 * with its delay from the EV_ENABLE in *after_ms; -1 on a failed call.
 */
static int dispatch_timer(int kq, kevent_fn kev, long long *pending_data,
			  struct kevent *after, long long *after_ms)
{
	struct timespec wait = { 5, 0 };
	struct kevent ch, ev;
	long long t0;
	int n;

	EV_SET(&ch, 4, EVFILT_TIMER, EV_ADD | EV_DISPATCH, 0, PERIOD_MS, NULL);
	if (kev(kq, &ch, 1, NULL, 0, &zero_ts) != 0)
		return -1;
	if (kev(kq, NULL, 0, &ev, 1, &wait) != 1 || ev.ident != 4)
		return -1;
	/* disabled by EV_DISPATCH: nothing for 3.5 periods */
	if (kev(kq, NULL, 0, &ev, 1, &zero_ts) != 0)
		return -1;
	usleep(PERIOD_MS * 3500);
	if (kev(kq, NULL, 0, &ev, 1, &zero_ts) != 0)
		return -1;
	EV_SET(&ch, 4, EVFILT_TIMER, EV_ENABLE | EV_DISPATCH, 0, PERIOD_MS,
	       NULL);
	t0 = mono_ms();
	if (kev(kq, &ch, 1, NULL, 0, &zero_ts) != 0)
		return -1;
	n = kev(kq, NULL, 0, &ev, 1, &zero_ts);
	*pending_data = n == 1 ? ev.data : 0;
	if (n == 0 && kev(kq, NULL, 0, &ev, 1, &wait) != 1)
		return -1;
	*after = ev;
	*after_ms = mono_ms() - t0;
	EV_SET(&ch, 4, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	if (kev(kq, &ch, 1, NULL, 0, &zero_ts) != 0)
		return -1;
	return n;
}

/*
 * In libkqueue's mode EV_ENABLE restarts the timer: the periods that
 * passed while it was disabled are not reported, and the next event comes
 * one period after the EV_ENABLE.  FreeBSD reports them at once.
 */
TEST_F(lkq, libkqueue_timer_enable_restarts)
{
	long long data, ms;
	struct kevent ev;
	int n;

	n = dispatch_timer(self->kq, kevent_libkqueue, &data, &ev, &ms);
	ASSERT_EQ(0, n) TH_LOG("pending after EV_ENABLE: data %lld", data);
	EXPECT_EQ(4u, ev.ident);
	EXPECT_EQ(EV_ADD | EV_CLEAR | EV_DISPATCH, ev.flags);
	EXPECT_LE(PERIOD_MS - 5, ms) TH_LOG("fired %lld ms after EV_ENABLE", ms);
	EXPECT_LE(1, ev.data);
	EXPECT_GE(ms / PERIOD_MS + 1, ev.data);
}

/*
 * libkqueue's mode restarts only a disabled timer: EV_ENABLE of one that
 * is enabled leaves its deadline alone (1 s period, EV_ENABLE after half
 * of it: the event comes at 1 s, not 1.5 s).
 */
TEST_F(lkq, libkqueue_enable_of_enabled_timer_keeps_deadline)
{
	struct timespec wait = { 5, 0 };
	struct kevent ch, ev;
	long long t0, ms;

	EV_SET(&ch, 5, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 1000, NULL);
	t0 = mono_ms();
	ASSERT_EQ(0, kevent_libkqueue(self->kq, &ch, 1, NULL, 0, &zero_ts));
	usleep(500000);
	EV_SET(&ch, 5, EVFILT_TIMER, EV_ENABLE, 0, 1000, NULL);
	ASSERT_EQ(0, kevent_libkqueue(self->kq, &ch, 1, NULL, 0, &zero_ts));
	ASSERT_EQ(1, kevent_libkqueue(self->kq, NULL, 0, &ev, 1, &wait));
	ms = mono_ms() - t0;
	EXPECT_EQ(5u, ev.ident);
	EXPECT_LE(995, ms);
	EXPECT_GT(1450, ms) TH_LOG("fired %lld ms after EV_ADD: restarted by EV_ENABLE", ms);
}

/*
 * A timer made through kevent64() with Darwin's NOTE_LEEWAY, disabled,
 * then enabled by a call in libkqueue's mode: restarted from its
 * registered values, leeway included, as libkqueue restarts a disabled
 * timer (it fires once, a period after the EV_ENABLE, not after the
 * EV_ADD).
 */
TEST_F(lkq, libkqueue_enable_restarts_darwin_timer)
{
	struct timespec wait = { 5, 0 };
	struct kevent64_s ch64;
	struct kevent ch, ev;
	long long t0, ms;

	EV_SET64(&ch64, 6, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_LEEWAY,
		 300, 0, 0, 100);
	ASSERT_EQ(0, kevent64(self->kq, &ch64, 1, NULL, 0, 0, NULL));
	EV_SET64(&ch64, 6, EVFILT_TIMER, EV_DISABLE, 0, 0, 0, 0, 0);
	ASSERT_EQ(0, kevent64(self->kq, &ch64, 1, NULL, 0, 0, NULL));
	usleep(200000);
	EV_SET(&ch, 6, EVFILT_TIMER, EV_ENABLE, 0, 0, NULL);
	t0 = mono_ms();
	ASSERT_EQ(0, kevent_libkqueue(self->kq, &ch, 1, NULL, 0, &zero_ts));
	ASSERT_EQ(1, kevent_libkqueue(self->kq, NULL, 0, &ev, 1, &wait));
	ms = mono_ms() - t0;
	EXPECT_EQ(6u, ev.ident);
	EXPECT_LE(295, ms) TH_LOG("fired %lld ms after EV_ENABLE", ms);
	KQ_CHECK_NONE(self->kq);
}

TEST_F(lkq, freebsd_timer_enable_reports_what_was_counted)
{
	long long data, ms;
	struct kevent ev;
	int n;

	n = dispatch_timer(self->kq, kevent, &data, &ev, &ms);
	ASSERT_EQ(1, n);
	EXPECT_LE(3, data) TH_LOG("the periods while disabled were dropped");
	EXPECT_EQ(EV_CLEAR | EV_DISPATCH, ev.flags);
}

/*
 * The shared shim, loaded in a child with @env set (NAME=value; NULL sets
 * nothing): the variables are read when the library loads, so unsetting
 * them afterwards changes nothing.  Exit status 0: libkqueue's behaviour
 * (its flags, and a re-enabled timer restarted), 1: FreeBSD's, 2+:
 * something else.
 */
static int shim_child(const char *env1, const char *env2)
{
	struct flag_result r;
	int (*kq_open)(void);
	struct kevent after;
	long long data, ms;
	kevent_fn kev;
	void *h;
	int kq, n;

	unsetenv("KQUEUE_LIBKQUEUE_BEHAVIOUR");
	unsetenv("KQUEUE_LIBKQUEUE_FLAGS");
	if (env1)
		putenv((char *)env1);
	if (env2)
		putenv((char *)env2);
	h = dlopen(kq_shim_path(), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 10;
	unsetenv("KQUEUE_LIBKQUEUE_BEHAVIOUR");
	unsetenv("KQUEUE_LIBKQUEUE_FLAGS");
	kq_open = (int (*)(void))dlsym(h, "kqueue");
	kev = (kevent_fn)dlsym(h, "kevent");
	if (!kq_open || !kev)
		return 11;
	kq = kq_open();
	if (kq < 0 || returned_flags(kq, kev, &r))
		return 12;
	n = dispatch_timer(kq, kev, &data, &after, &ms);
	if (r.event == LIBKQUEUE_EVENT && r.receipt == LIBKQUEUE_RECEIPT &&
	    r.error == LIBKQUEUE_ERROR && n == 0)
		return 0;
	if (r.event == FREEBSD_EVENT && r.receipt == EV_ERROR &&
	    r.error == EV_ERROR && n == 1)
		return 1;
	return 13;
}

static int run_shim_child(const char *env1, const char *env2)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(shim_child(env1, env2));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(shim_environment_selects_libkqueue_behaviour)
{
	ASSERT_NE(NULL, kq_shim_path());
	EXPECT_EQ(0, run_shim_child("KQUEUE_LIBKQUEUE_BEHAVIOUR=1", NULL));
	EXPECT_EQ(1, run_shim_child(NULL, NULL));
	EXPECT_EQ(1, run_shim_child("KQUEUE_LIBKQUEUE_BEHAVIOUR=0", NULL));
	EXPECT_EQ(1, run_shim_child("KQUEUE_LIBKQUEUE_BEHAVIOUR=", NULL));
	/* the first name, read when the new one is not set */
	EXPECT_EQ(0, run_shim_child("KQUEUE_LIBKQUEUE_FLAGS=1", NULL));
	EXPECT_EQ(1, run_shim_child("KQUEUE_LIBKQUEUE_FLAGS=0", NULL));
	EXPECT_EQ(1, run_shim_child("KQUEUE_LIBKQUEUE_BEHAVIOUR=0",
				    "KQUEUE_LIBKQUEUE_FLAGS=1"));
	EXPECT_EQ(0, run_shim_child("KQUEUE_LIBKQUEUE_BEHAVIOUR=1",
				    "KQUEUE_LIBKQUEUE_FLAGS=0"));
}

TEST_HARNESS_MAIN
