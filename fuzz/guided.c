// SPDX-License-Identifier: GPL-2.0
/*
 * kq-fuzz --guided: coverage-guided operation sequences.
 *
 * Every fuzzing thread (workers, their threads and forked or exec'd
 * children; not the raw CLONE_FILES children) opens its own kcov
 * (/sys/kernel/debug/kcov, KCOV_TRACE_PC) and runs sequences of up to
 * SEQ_MAX operations, each step an (operation, seed) pair: the step's
 * seed is the thread's random state while that operation runs, so it
 * fixes the operation's arguments.  Only the module is built with
 * KCOV_INSTRUMENT (kmod/Kbuild, the 6.1-debug kernel), so the PCs a
 * sequence records are the module's.  A sequence that reaches a PC no
 * thread reached before joins the corpus; the next sequences are mostly
 * corpus entries mutated (a step's seed changed, its operation changed,
 * a step inserted, deleted or repeated, two entries spliced), the rest
 * fresh random ones.  The PC set and the corpus live in a memfd kept at
 * GUIDE_FD, shared by every process of the run, across exec too.
 *
 * State is not reset between sequences (the descriptors, children and
 * threads a sequence made stay for the next), so a corpus entry replayed
 * later starts from another state: guidance by what an entry reached
 * once, with no claim that it reaches it again.  An anomaly prints the
 * sequence running; --sequence OP:SEED,... repeats it in every worker
 * thread and forked child (not exec'd ones) until the deadline.
 */
#include "kq-fuzz.h"
#include <linux/kcov.h>

#define KCOV_WORDS	(1 << 17)	/* PCs one sequence can record */
#define KCOV_FD		1010		/* above the fuzzed range and STATS_FD */
#define PC_SLOTS	(1 << 17)	/* the set of PCs seen: open addressing */
#define CORPUS_MAX	8192
#define SEQ_MAX		32

struct step {
	uint8_t op;
	uint64_t seed;
};

struct seq {
	unsigned len;
	struct step s[SEQ_MAX];
};

struct entry {
	_Atomic unsigned ready;		/* bumped when written: a torn read is still valid */
	struct seq q;
};

struct guide {
	_Atomic uint64_t pcs[PC_SLOTS];
	_Atomic unsigned npcs, ncorpus;
	_Atomic uint64_t sequences, mutated, replaced;
	struct entry corpus[CORPUS_MAX];
};

static struct guide *G;
static __thread pid_t kcov_tid;		/* the thread that opened it (fork: not us) */
static __thread uint64_t *area;
static __thread int kcov_fd = -1;
static __thread uint64_t grng;		/* the mutator's own random state */
static __thread struct seq cur;		/* the sequence running, for anomaly() */
static __thread unsigned cur_step;
static struct seq fixed;		/* --sequence */

static uint64_t grnd(void) { return mix(&grng); }
static uint64_t gbelow(uint64_t n) { return n ? grnd() % n : 0; }

bool guided_on(void)
{
	return G != NULL;
}

static bool map_guide(void)
{
	void *p = mmap(NULL, sizeof(*G), PROT_READ | PROT_WRITE, MAP_SHARED, GUIDE_FD, 0);

	if (p == MAP_FAILED)
		return false;
	G = p;
	return true;
}

/* main: the shared set and corpus, at GUIDE_FD for exec'd children. */
bool guided_setup(void)
{
	int fd = memfd_create("kq-fuzz-guide", 0);

	if (fd < 0 || ftruncate(fd, sizeof(*G)) || dup2(fd, GUIDE_FD) != GUIDE_FD)
		return false;
	close(fd);
	return map_guide();
}

/* An exec'd child: guided if its parent was (GUIDE_FD inherited). */
void guided_inherit(void)
{
	if (fcntl(GUIDE_FD, F_GETFD) >= 0 && !map_guide())
		_exit(3);
}

static void kcov_close(void)
{
	if (area && area != MAP_FAILED)
		munmap(area, KCOV_WORDS * sizeof(uint64_t));
	if (kcov_fd >= 0)
		close(kcov_fd);
	area = NULL;
	kcov_fd = -1;
	kcov_tid = 0;
}

/* This thread's kcov; false (errno set) when there is none to be had. */
static bool kcov_open(void)
{
	int fd;

	if (kcov_tid == gettid())
		return area != NULL;
	area = NULL;		/* a forked child's copy is its parent's */
	kcov_fd = -1;
	kcov_tid = gettid();
	fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	kcov_fd = fcntl(fd, F_DUPFD_CLOEXEC, KCOV_FD);
	close(fd);
	if (kcov_fd < 0 || ioctl(kcov_fd, KCOV_INIT_TRACE, KCOV_WORDS))
		goto fail;
	area = mmap(NULL, KCOV_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		    MAP_SHARED, kcov_fd, 0);
	if (area == MAP_FAILED || ioctl(kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC))
		goto fail;
	__atomic_store_n(&area[0], 0, __ATOMIC_RELAXED);
	/*
	 * A short-lived thread may unshare its table: its descriptor would
	 * then stay open in the process's and keep the kcov.  The mapping
	 * holds the file; without the descriptor an exec from this thread
	 * cannot disable it, and the new image fuzzes unguided.
	 */
	if (ephemeral) {
		close(kcov_fd);
		kcov_fd = -1;
	}
	return true;
fail:
	kcov_close();
	kcov_tid = gettid();	/* do not retry in this thread */
	return false;
}

/* Before execve: kcov stays attached to the task across exec otherwise. */
void guided_before_exec(void)
{
	if (kcov_tid == gettid() && area && kcov_fd >= 0) {
		ioctl(kcov_fd, KCOV_DISABLE, 0);
		kcov_close();
	}
}

/* A thread's end: its kcov (a megabyte of the kernel's) goes with it. */
void guided_thread_end(void)
{
	if (kcov_tid == gettid() && area) {
		if (kcov_fd >= 0)
			ioctl(kcov_fd, KCOV_DISABLE, 0);
		kcov_close();
	}
}

/*
 * main, before the workers: kcov there and the module instrumented (a
 * kqueue made and closed records PCs).  Prints why not and returns false.
 */
bool guided_probe(void)
{
	uint64_t n;
	int kq;

	if (!kcov_open()) {
		printf("kq-fuzz: FAIL: --guided needs /sys/kernel/debug/kcov (%s): CONFIG_KCOV "
		       "and debugfs, the 6.1-debug kernel\n", strerror(errno));
		return false;
	}
	__atomic_store_n(&area[0], 0, __ATOMIC_RELAXED);
	kq = kqueue();
	if (kq >= 0)
		close(kq);
	n = __atomic_load_n(&area[0], __ATOMIC_RELAXED);
	guided_before_exec();
	if (kq < 0 || !n) {
		printf("kq-fuzz: FAIL: --guided: a kqueue's creation recorded no PC: the module "
		       "is not built with KCOV_INSTRUMENT (kmod/Kbuild)\n");
		return false;
	}
	return true;
}

/* true when pc was not in the set. */
static bool pc_add(uint64_t pc)
{
	uint64_t h = (pc * 0x9e3779b97f4a7c15ULL) >> 47, i;

	for (i = 0; i < PC_SLOTS; i++) {
		_Atomic uint64_t *slot = &G->pcs[(h + i) & (PC_SLOTS - 1)];
		uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);

		if (old == pc)
			return false;
		if (!old) {
			if (atomic_compare_exchange_strong(slot, &old, pc)) {
				atomic_fetch_add(&G->npcs, 1);
				return true;
			}
			if (old == pc)
				return false;
		}
	}
	return false;	/* full: nothing counts as new */
}

static void corpus_add(const struct seq *q)
{
	unsigned n = atomic_fetch_add(&G->ncorpus, 1), i = n;
	struct entry *e;

	if (n >= CORPUS_MAX) {		/* full: an old entry makes room */
		atomic_fetch_sub(&G->ncorpus, 1);
		atomic_fetch_add(&G->replaced, 1);
		i = gbelow(CORPUS_MAX);
	}
	e = &G->corpus[i];
	memcpy(&e->q, q, sizeof(*q));
	atomic_fetch_add(&e->ready, 1);
}

/* A copy of a published entry, checked: a concurrent overwrite may tear it. */
static bool corpus_pick(struct seq *q)
{
	unsigned n = atomic_load(&G->ncorpus), i, k;

	if (n > CORPUS_MAX)
		n = CORPUS_MAX;
	for (k = 0; n && k < 4; k++) {
		struct entry *e = &G->corpus[gbelow(n)];

		if (!atomic_load(&e->ready))
			continue;
		memcpy(q, &e->q, sizeof(*q));
		if (q->len < 1 || q->len > SEQ_MAX)
			continue;
		for (i = 0; i < q->len; i++)
			if (q->s[i].op >= OP_MAX || (ops_off & (1ULL << q->s[i].op)))
				q->s[i].op = pick_op(grnd());
		return true;
	}
	return false;
}

static struct step new_step(void)
{
	return (struct step){ .op = pick_op(grnd()), .seed = grnd() };
}

static void mutate(struct seq *q)
{
	unsigned rounds = 1 + gbelow(3), i, at, n;
	struct seq other;

	while (rounds--) {
		at = gbelow(q->len);
		switch (gbelow(6)) {
		case 0:		/* other arguments */
			q->s[at].seed = grnd();
			break;
		case 1:		/* another operation */
			q->s[at] = new_step();
			break;
		case 2:		/* a step inserted */
			if (q->len < SEQ_MAX) {
				memmove(&q->s[at + 1], &q->s[at], (q->len - at) * sizeof(q->s[0]));
				q->s[at] = new_step();
				q->len++;
			}
			break;
		case 3:		/* a step deleted */
			if (q->len > 1) {
				memmove(&q->s[at], &q->s[at + 1], (q->len - at - 1) * sizeof(q->s[0]));
				q->len--;
			}
			break;
		case 4:		/* a step repeated, same arguments */
			for (n = 1 + gbelow(4); n-- && q->len < SEQ_MAX;) {
				memmove(&q->s[at + 1], &q->s[at], (q->len - at) * sizeof(q->s[0]));
				q->len++;
			}
			break;
		default:	/* spliced: our head, another entry's tail */
			if (!corpus_pick(&other))
				break;
			i = gbelow(other.len);
			n = other.len - i;
			if (at + 1 + n > SEQ_MAX)
				n = SEQ_MAX - at - 1;
			memcpy(&q->s[at + 1], &other.s[i], n * sizeof(q->s[0]));
			q->len = at + 1 + n;
		}
	}
}

static void next_seq(struct seq *q)
{
	unsigned i;

	if (gbelow(100) >= 20 && corpus_pick(q)) {
		mutate(q);
		atomic_fetch_add(&G->mutated, 1);
		return;
	}
	q->len = 1 + gbelow(SEQ_MAX / 2);
	for (i = 0; i < q->len; i++)
		q->s[i] = new_step();
}

/* The sequence running in this thread, for an anomaly report. */
int guided_describe(char *buf, size_t len)
{
	size_t n = 0;
	unsigned i;

	if ((!G && !fixed.len) || !cur.len || cur.len > SEQ_MAX)
		return 0;
	n += snprintf(buf, len, "; sequence at step %u of: --sequence ", cur_step);
	for (i = 0; i < cur.len && n < len - 40; i++)
		n += snprintf(buf + n, len - n, "%s%s:%" PRIu64, i ? "," : "",
			      ops[cur.s[i].op].name, cur.s[i].seed);
	return n;
}

/* fuzz_loop in guided mode; false: no kcov for this thread, fuzz unguided. */
bool guided_loop(int64_t until)
{
	unsigned runs = 0, i;

	if (P.raw || !kcov_open())
		return false;
	grng = rnd();
	while (!atomic_load(&P.stop) && now_ms() < until) {
		uint64_t n, fresh = 0;

		next_seq(&cur);
		__atomic_store_n(&area[0], 0, __ATOMIC_RELAXED);
		for (cur_step = 0; cur_step < cur.len; cur_step++) {
			enum op op = cur.s[cur_step].op;

			if (atomic_load(&P.stop) || now_ms() >= until)
				break;
			rng = cur.s[cur_step].seed;
			op_run(op);
		}
		n = __atomic_load_n(&area[0], __ATOMIC_RELAXED);
		if (n >= KCOV_WORDS)
			n = KCOV_WORDS - 1;
		for (i = 0; i < n; i++)
			fresh += pc_add(__atomic_load_n(&area[i + 1], __ATOMIC_RELAXED));
		if (fresh && cur_step == cur.len)
			corpus_add(&cur);
		atomic_fetch_add(&G->sequences, 1);
		if ((++runs & 7) == 0)
			reap_kids(false);
	}
	cur.len = 0;
	return true;
}

/* --sequence "op:seed,...": the steps an anomaly printed, replayed. */
bool sequence_parse(const char *list)
{
	char *copy = strdup(list), *item, *save = NULL, *colon;
	int i;

	fixed.len = 0;
	for (item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		colon = strchr(item, ':');
		if (!colon || fixed.len == SEQ_MAX)
			goto bad;
		*colon = 0;
		for (i = 0; i < OP_MAX && strcmp(ops[i].name, item); i++)
			;
		if (i == OP_MAX)
			goto bad;
		fixed.s[fixed.len].op = i;
		fixed.s[fixed.len++].seed = strtoull(colon + 1, NULL, 0);
	}
	free(copy);
	return fixed.len > 0;
bad:
	fprintf(stderr, "kq-fuzz: --sequence: OP:SEED,... (at most %d steps, names from "
		"--list-ops)\n", SEQ_MAX);
	free(copy);
	return false;
}

/* fuzz_loop with --sequence: the same steps over and over; false without. */
bool sequence_loop(int64_t until)
{
	unsigned runs = 0;

	if (!fixed.len || P.raw)
		return false;
	cur = fixed;
	while (!atomic_load(&P.stop) && now_ms() < until) {
		for (cur_step = 0; cur_step < cur.len; cur_step++) {
			rng = cur.s[cur_step].seed;
			op_run(cur.s[cur_step].op);
		}
		if ((++runs & 7) == 0)
			reap_kids(false);
	}
	return true;
}

void guided_progress(char *buf, size_t len)
{
	if (!G) {
		*buf = 0;
		return;
	}
	snprintf(buf, len, ", %u PCs, corpus %u, %" PRIu64 " sequences",
		 atomic_load(&G->npcs), atomic_load(&G->ncorpus), atomic_load(&G->sequences));
}

void guided_summary(void)
{
	if (!G)
		return;
	printf("kq-fuzz: guided: %u distinct PCs of the module, corpus %u sequences (%" PRIu64
	       " replaced), %" PRIu64 " sequences run (%" PRIu64 " mutated from the corpus)\n",
	       atomic_load(&G->npcs), atomic_load(&G->ncorpus), atomic_load(&G->replaced),
	       atomic_load(&G->sequences), atomic_load(&G->mutated));
}
