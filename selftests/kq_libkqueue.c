// SPDX-License-Identifier: GPL-2.0
/*
 * What binaries built against libkqueue expect beyond BSD: its query filter
 * EVFILT_LIBKQUEUE (NOTE_VERSION, NOTE_VERSION_STR, the run-time knobs,
 * NOTE_FILE_POLL_INTERVAL), and, when asked for with
 * KQUEUE_LIBKQUEUE_FLAGS=1 in the shim's environment (or
 * KQ_KEVENT_LIBKQUEUE_FLAGS in the ioctl), the flags libkqueue returns:
 * EV_ADD kept in events, the change's own flags kept in receipts.
 */
#include "kq_util.h"

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
static int raw_kevent(int kq, const struct kevent *ch, int nch,
		      struct kevent *ev, int nev, __u32 size, __u64 flags)
{
	struct kq_kevent_args a = {
		.size = size, .record_size = sizeof(struct kevent),	/* 32 or 20 */
		.changelist = (uintptr_t)ch, .eventlist = (uintptr_t)ev,
		.nchanges = nch, .nevents = nev, .timeout = (uintptr_t)&zero_ts,
		.flags = flags,
	};

	return ioctl(kq, KQ_IOC_KEVENT, &a);
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

/* A libkqueue-flags call, made with the raw ioctl. */
static int kevent_libkqueue_flags(int kq, const struct kevent *ch, int nch,
				  struct kevent *ev, int nev,
				  const struct timespec *ts)
{
	(void)ts;
	return raw_kevent(kq, ch, nch, ev, nev, sizeof(struct kq_kevent_args),
			  KQ_KEVENT_LIBKQUEUE_FLAGS);
}

TEST_F(lkq, libkqueue_flags_by_ioctl_flag)
{
	struct flag_result r;

	ASSERT_EQ(0, returned_flags(self->kq, kevent_libkqueue_flags, &r));
	EXPECT_EQ(LIBKQUEUE_EVENT, r.event);
	EXPECT_EQ(LIBKQUEUE_RECEIPT, r.receipt);
	EXPECT_EQ(LIBKQUEUE_ERROR, r.error);
}

/*
 * The shared shim, loaded in a child with or without
 * KQUEUE_LIBKQUEUE_FLAGS=1: the variable is read when the library loads,
 * so unsetting it afterwards changes nothing.  Exit status 0: libkqueue's
 * flags, 1: FreeBSD's, 2+: something else.
 */
static int shim_child(const char *env)
{
	struct flag_result r;
	int (*kq_open)(void);
	kevent_fn kev;
	void *h;
	int kq;

	if (env)
		setenv("KQUEUE_LIBKQUEUE_FLAGS", env, 1);
	else
		unsetenv("KQUEUE_LIBKQUEUE_FLAGS");
	h = dlopen(kq_shim_path(), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 10;
	unsetenv("KQUEUE_LIBKQUEUE_FLAGS");
	kq_open = (int (*)(void))dlsym(h, "kqueue");
	kev = (kevent_fn)dlsym(h, "kevent");
	if (!kq_open || !kev)
		return 11;
	kq = kq_open();
	if (kq < 0 || returned_flags(kq, kev, &r))
		return 12;
	if (r.event == LIBKQUEUE_EVENT && r.receipt == LIBKQUEUE_RECEIPT &&
	    r.error == LIBKQUEUE_ERROR)
		return 0;
	if (r.event == FREEBSD_EVENT && r.receipt == EV_ERROR &&
	    r.error == EV_ERROR)
		return 1;
	return 13;
}

static int run_shim_child(const char *env)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(shim_child(env));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(shim_environment_selects_libkqueue_flags)
{
	ASSERT_NE(NULL, kq_shim_path());
	EXPECT_EQ(0, run_shim_child("1"));
	EXPECT_EQ(1, run_shim_child(NULL));
	EXPECT_EQ(1, run_shim_child("0"));
	EXPECT_EQ(1, run_shim_child(""));
}

TEST_HARNESS_MAIN
