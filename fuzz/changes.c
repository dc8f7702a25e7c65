// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz: the changelist generator.  Random changes (filter, ident,
 * flags, fflags, data, udata) biased towards what each filter accepts,
 * timeouts, and the descriptor a kevent() goes to.
 */
#include "kq-fuzz.h"

static const short filters[] = {
	EVFILT_READ, EVFILT_WRITE, EVFILT_EMPTY, EVFILT_EXCEPT, EVFILT_VNODE,
	EVFILT_PROC, EVFILT_PROCDESC, EVFILT_SIGNAL, EVFILT_TIMER, EVFILT_USER,
};

bool known_filter(short f)
{
	unsigned i;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (filters[i] == f)
			return true;
	return false;
}

short gen_filter(void)
{
	static const short bad[] = { EVFILT_AIO, EVFILT_NETDEV, EVFILT_FS,
				     EVFILT_LIO, EVFILT_LIBKQUEUE, 0, -16, 1,
				     SHRT_MIN, SHRT_MAX };

	if (chance(92))
		return PICK(filters);
	return chance(70) ? PICK(bad) : (short)rnd();
}

static uint64_t junk_ident(void)
{
	static const uint64_t v[] = { 0, 1, 2, INT_MAX, (uint64_t)INT_MAX + 1,
				      UINT32_MAX, UINT64_MAX, 1ULL << 63,
				      STATS_FD, FD_MAX, (uint64_t)-2 };

	return chance(70) ? PICK(v) : rnd();
}

static uint64_t fd_ident(unsigned prefer)
{
	int fd;

	switch (below(20)) {
	case 0: case 1: case 2:
		return atomic_load(&recent[below(16)]);
	case 3:
		return below(FD_MAX);
	case 4:
		return junk_ident();
	default:
		fd = pick_fd(chance(60) ? prefer : 0);
		return fd >= 0 ? (uint64_t)fd : below(FD_MAX);
	}
}

static uint64_t proc_ident(void)
{
	pid_t pid;

	switch (below(20)) {
	case 0: case 1: case 2:
		return getpid();
	case 3:
		return getppid();
	case 4:
		return 1;
	case 5: case 6:
		pid = recently_reaped();
		return pid > 0 ? pid : 2;
	case 7:
		return 2 + below(32768);
	case 8:
		return junk_ident();
	default:
		pid = random_kid();
		return pid > 0 ? (uint64_t)pid : (uint64_t)getpid();
	}
}

static uint64_t gen_ident(short filter)
{
	switch (filter) {
	case EVFILT_READ:
		return fd_ident(K_KQS | KM(K_PIPE_R) | K_SOCKS | KM(K_LISTEN) |
				KM(K_EVENTFD) | KM(K_EPOLL) | KM(K_FILE) | KM(K_PTY) |
				KM(K_TIMERFD) | KM(K_SIGNALFD) | KM(K_PIDFD));
	case EVFILT_WRITE:
	case EVFILT_EMPTY:
		return fd_ident(KM(K_PIPE_W) | K_SOCKS | KM(K_PTY) | KM(K_EVENTFD));
	case EVFILT_EXCEPT:
		return fd_ident(KM(K_TCP) | KM(K_UNIX) | KM(K_PTY));
	case EVFILT_VNODE:
		return fd_ident(KM(K_FILE) | KM(K_DIR) | KM(K_PIPE_R) | KM(K_PATH));
	case EVFILT_PROCDESC:
		return fd_ident(KM(K_PIDFD));
	case EVFILT_PROC:
		return proc_ident();
	case EVFILT_SIGNAL:
		return chance(85) ? (uint64_t)random_harmless() : chance(80) ? below(70) : junk_ident();
	case EVFILT_TIMER:
	case EVFILT_USER:
		return chance(95) ? below(8) : junk_ident();
	default:
		return chance(50) ? below(FD_MAX) : junk_ident();
	}
}

static unsigned short gen_flags(void)
{
	static const unsigned short action[] = {
		EV_ADD, EV_ADD, EV_ADD, EV_ADD, EV_ADD | EV_ENABLE,
		EV_ADD | EV_DISABLE, EV_DELETE, EV_DELETE, EV_ENABLE,
		EV_DISABLE, 0, EV_ADD | EV_DELETE, EV_ENABLE | EV_DISABLE,
	};
	static const unsigned short modifier[] = {
		EV_ONESHOT, EV_CLEAR, EV_RECEIPT, EV_DISPATCH, EV_FORCEONESHOT,
		EV_KEEPUDATA, EV_FLAG1, EV_ERROR, EV_EOF, EV_UDATA_SPECIFIC, EV_VANISHED, 0x1000,
	};
	unsigned short f;
	unsigned i;

	if (chance(3))
		return rnd();
	f = PICK(action);
	for (i = 0; i < sizeof(modifier) / sizeof(modifier[0]); i++)
		if (below(9) == 0)
			f |= modifier[i];
	return f;
}

unsigned gen_fflags(short filter)
{
	static const unsigned units[] = { 0, 0, NOTE_MSECONDS, NOTE_SECONDS,
					  NOTE_USECONDS, NOTE_NSECONDS,
					  NOTE_SECONDS | NOTE_USECONDS };
	static const unsigned ctrl[] = { NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR, NOTE_FFCOPY };
	unsigned f = 0;

	if (chance(4))
		return rnd();
	switch (filter) {
	case EVFILT_READ:
	case EVFILT_WRITE:
		return chance(30) ? NOTE_LOWAT : 0;
	case EVFILT_EXCEPT:
		return chance(70) ? NOTE_OOB : 0;
	case EVFILT_VNODE:
		return chance(30) ? 0xfff : rnd() & 0xfff;
	case EVFILT_PROC:
		f |= chance(60) ? NOTE_EXIT : 0;
		f |= chance(40) ? NOTE_FORK : 0;
		f |= chance(40) ? NOTE_EXEC : 0;
		f |= chance(25) ? NOTE_TRACK : 0;
		f |= chance(5) ? NOTE_TRACKERR : 0;
		f |= chance(5) ? NOTE_CHILD : 0;
		f |= chance(10) ? rnd() & NOTE_PDATAMASK : 0;
		/* Darwin's */
		f |= chance(15) ? NOTE_SIGNAL : 0;
		f |= chance(15) ? NOTE_REAP : 0;
		f |= chance(10) ? NOTE_EXITSTATUS : 0;
		f |= chance(10) ? NOTE_EXIT_DETAIL : 0;
		return f;
	case EVFILT_PROCDESC:
		return chance(80) ? NOTE_EXIT : rnd() & NOTE_PCTRLMASK;
	case EVFILT_TIMER:
		f = PICK(units) | (chance(10) ? NOTE_ABSOLUTE : 0);
		if (chance(20))	/* Darwin's */
			f |= rnd() & (NOTE_MACHTIME | NOTE_MACH_CONTINUOUS_TIME |
				      NOTE_LEEWAY | NOTE_CRITICAL | NOTE_BACKGROUND);
		return f;
	case EVFILT_USER:
		f = chance(50) ? rnd() & NOTE_FFLAGSMASK : 0;
		return f | PICK(ctrl) | (chance(50) ? NOTE_TRIGGER : 0);
	default:
		return chance(80) ? 0 : rnd();
	}
}

/* Timer periods: mostly milliseconds; rarely the 1 us floor. */
static int64_t timer_data(unsigned fflags)
{
	unsigned unit = fflags & (NOTE_SECONDS | NOTE_MSECONDS | NOTE_USECONDS | NOTE_NSECONDS);

	if (chance(3))
		return chance(50) ? -1 : INT64_MAX;
	if (fflags & NOTE_ABSOLUTE) {
		struct timespec ts;
		int64_t ns;

		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
		     ((int64_t)below(60) - 10) * 1000000;
		switch (unit) {
		case NOTE_SECONDS:	return ns / 1000000000;
		case NOTE_USECONDS:	return ns / 1000;
		case NOTE_NSECONDS:	return ns;
		default:		return ns / 1000000;
		}
	}
	switch (unit) {
	case NOTE_SECONDS:
		return below(2);
	case NOTE_USECONDS:
		return chance(2) ? below(20) : 200 + below(50000);
	case NOTE_NSECONDS:
		return chance(2) ? below(2000) : 200000 + below(50000000);
	default:
		return below(50);
	}
}

static int64_t gen_data(short filter, unsigned fflags)
{
	if (chance(3))
		return rnd();
	switch (filter) {
	case EVFILT_TIMER:
		return timer_data(fflags);
	case EVFILT_READ:
	case EVFILT_WRITE:
		if (chance(5))
			return -(int64_t)below(100);
		return chance(50) ? 0 : (int64_t)below(chance(10) ? 1 << 20 : 4096);
	default:
		return chance(70) ? 0 : (int64_t)below(100) - 10;
	}
}

void gen_change(struct kevent *kev)
{
	short filter = gen_filter();
	unsigned fflags = gen_fflags(filter);

	EV_SET(kev, gen_ident(filter), filter, gen_flags(), fflags,
	       gen_data(filter, fflags), (void *)(uintptr_t)rnd());
}

struct timespec gen_timeout(void)
{
	struct timespec ts = { 0, 0 };

	if (chance(2))		/* long enough for another thread to close the kqueue */
		ts.tv_nsec = 100000000;
	else if (chance(25))
		ts.tv_nsec = chance(70) ? 1000000 : (1 + below(20)) * 1000000;
	return ts;
}

/* The descriptor kevent() goes to: a kqueue mostly, never stdin/out/err. */
int pick_kq(void)
{
	int kq = -1;

	if (chance(90))
		kq = pick_fd(KM(K_KQ));
	if (kq < 0 && chance(90) && !table_full())
		kq = new_kqueue();
	if (kq < 0 || chance(3))
		kq = pick_fd(KM(K_KQ_FOREIGN));
	if (kq < 0)	/* never 0-2: kq-misc writes and sets flags on it */
		kq = chance(50) ? pick_fd(0) : 3 + (int)below(FD_MAX - 3);
	return kq;
}

int gen_changes(struct kevent *chg)
{
	int n = chance(25) ? 0 : chance(60) ? 1 + below(3) : below(MAX_CHANGES + 1), i;

	for (i = 0; i < n; i++)
		gen_change(&chg[i]);
	return n;
}
