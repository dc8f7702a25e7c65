// SPDX-License-Identifier: GPL-2.0
/*
 * NetBSD's filter-name ioctls on the kqueue descriptor, with struct
 * kfilter_mapping { char *name; size_t len; uint32_t filter; }:
 *
 * - KFILTER_BYFILTER: filter -> NUL-terminated name in name[len];
 *   ENAMETOOLONG when len is too small, ENOENT for an unknown filter,
 *   EFAULT for a bad name pointer.
 * - KFILTER_BYNAME: name -> filter; ENOENT for an unknown name.
 * - Every filter <sys/event.h> names round-trips, as in NetBSD's table:
 *   also those EV_ADD refuses here (EINVAL), such as EVFILT_AIO and
 *   EVFILT_FS.
 * - On a descriptor that is not a kqueue the ioctl fails (ENOTTY), on a
 *   closed one with EBADF.
 */
#define _GNU_SOURCE
#include "kq_kevent.h"

static const struct {
	int filter;
	const char *name;
	int refused;	/* EV_ADD gives EINVAL */
} filters[] = {
	{ EVFILT_READ,		"EVFILT_READ",		0 },
	{ EVFILT_WRITE,		"EVFILT_WRITE",		0 },
	{ EVFILT_AIO,		"EVFILT_AIO",		1 },
	{ EVFILT_VNODE,		"EVFILT_VNODE",		0 },
	{ EVFILT_PROC,		"EVFILT_PROC",		0 },
	{ EVFILT_SIGNAL,	"EVFILT_SIGNAL",	0 },
	{ EVFILT_TIMER,		"EVFILT_TIMER",		0 },
	{ EVFILT_NETDEV,	"EVFILT_NETDEV",	1 },
	{ EVFILT_FS,		"EVFILT_FS",		1 },
	{ EVFILT_LIO,		"EVFILT_LIO",		1 },
	{ EVFILT_USER,		"EVFILT_USER",		0 },
	{ EVFILT_LIBKQUEUE,	"EVFILT_LIBKQUEUE",	0 },
	{ EVFILT_EMPTY,		"EVFILT_EMPTY",		0 },
	{ EVFILT_PROCDESC,	"EVFILT_PROCDESC",	0 },
	{ EVFILT_EXCEPT,	"EVFILT_EXCEPT",	0 },
	{ EVFILT_MACHPORT,	"EVFILT_MACHPORT",	1 },
	{ EVFILT_VM,		"EVFILT_VM",		1 },
};

#define NFILTERS	(int)(sizeof(filters) / sizeof(filters[0]))

static int byfilter(int kq, uint32_t filter, char *buf, size_t len)
{
	struct kfilter_mapping km = { .name = buf, .len = len,
				      .filter = filter };

	return ioctl(kq, KFILTER_BYFILTER, &km);
}

/* BYNAME: 0 and *filter, or -1/errno. */
static int byname(int kq, const char *name, uint32_t *filter)
{
	struct kfilter_mapping km = { .name = (char *)name,
				      .len = name ? strlen(name) + 1 : 0,
				      .filter = 0x5a5a5a5a };
	int r = ioctl(kq, KFILTER_BYNAME, &km);

	if (r == 0)
		*filter = km.filter;
	return r;
}

FIXTURE(kf) {
	int kq;
};

FIXTURE_SETUP(kf)
{
	KQ_OPEN(self->kq);
}

FIXTURE_TEARDOWN(kf)
{
	close(self->kq);
}

TEST_F(kf, byfilter_read)
{
	char buf[64];

	memset(buf, 'X', sizeof(buf));
	ASSERT_EQ(0, byfilter(self->kq, (uint32_t)EVFILT_READ, buf,
			      sizeof(buf))) TH_LOG("%s", strerror(errno));
	ASSERT_STREQ("EVFILT_READ", buf);
	/* NUL-terminated, and nothing written beyond the name. */
	EXPECT_EQ('\0', buf[strlen("EVFILT_READ")]);
	EXPECT_EQ('X', buf[strlen("EVFILT_READ") + 1]);
	EXPECT_EQ('X', buf[sizeof(buf) - 1]);
}

TEST_F(kf, every_filter_round_trips)
{
	char buf[64];
	uint32_t f;
	int i;

	for (i = 0; i < NFILTERS; i++) {
		memset(buf, 'X', sizeof(buf));
		errno = 0;
		if (byfilter(self->kq, (uint32_t)filters[i].filter, buf,
			     sizeof(buf)))
			TH_LOG("BYFILTER %d: %s", filters[i].filter,
			       strerror(errno));
		ASSERT_EQ(0, byfilter(self->kq, (uint32_t)filters[i].filter,
				      buf, sizeof(buf)));
		EXPECT_STREQ(filters[i].name, buf);
		f = 0;
		if (byname(self->kq, filters[i].name, &f))
			TH_LOG("BYNAME %s: %s", filters[i].name,
			       strerror(errno));
		ASSERT_EQ(0, byname(self->kq, filters[i].name, &f));
		EXPECT_EQ((uint32_t)filters[i].filter, f);
		/* The name BYFILTER returned maps back as well. */
		ASSERT_EQ(0, byname(self->kq, buf, &f));
		EXPECT_EQ((uint32_t)filters[i].filter, f);
	}
}

/*
 * The filters EV_ADD refuses are named all the same (NetBSD lists
 * EVFILT_AIO and EVFILT_FS whether or not a kernel supports them).
 */
TEST_F(kf, refused_filters_are_named)
{
	struct timespec zero = { 0, 0 };
	struct kevent ch;
	char buf[64];
	uint32_t f;
	int i, n = 0;

	for (i = 0; i < NFILTERS; i++) {
		if (!filters[i].refused)
			continue;
		n++;
		memset(buf, 'X', sizeof(buf));
		ASSERT_EQ(0, byfilter(self->kq, (uint32_t)filters[i].filter,
				      buf, sizeof(buf)))
			TH_LOG("BYFILTER %d: %s", filters[i].filter,
			       strerror(errno));
		EXPECT_STREQ(filters[i].name, buf);
		f = 0;
		ASSERT_EQ(0, byname(self->kq, filters[i].name, &f))
			TH_LOG("BYNAME %s: %s", filters[i].name,
			       strerror(errno));
		EXPECT_EQ((uint32_t)filters[i].filter, f);
		/* known, and still refused */
		EV_SET(&ch, 0, filters[i].filter, EV_ADD, 0, 0, NULL);
		errno = 0;
		EXPECT_EQ(-1, kevent(self->kq, &ch, 1, NULL, 0, &zero))
			TH_LOG("EV_ADD on %s was accepted", filters[i].name);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(6, n);
}

TEST_F(kf, exact_buffer_and_too_small)
{
	size_t n = strlen("EVFILT_PROCDESC") + 1;
	char buf[64];

	/* Exactly the name and its NUL. */
	memset(buf, 'X', sizeof(buf));
	ASSERT_EQ(0, byfilter(self->kq, (uint32_t)EVFILT_PROCDESC, buf, n));
	EXPECT_STREQ("EVFILT_PROCDESC", buf);
	EXPECT_EQ('X', buf[n]);
	/* One short (no room for the NUL), tiny, zero. */
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_PROCDESC, buf,
			       n - 1));
	EXPECT_EQ(ENAMETOOLONG, errno);
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ, buf, 3));
	EXPECT_EQ(ENAMETOOLONG, errno);
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ, buf, 0));
	EXPECT_EQ(ENAMETOOLONG, errno);
}

TEST_F(kf, unknown_filter_enoent)
{
	static const uint32_t unknown[] = {
		0, 1, 2, 100, 0x7fffffff, (uint32_t)-18, (uint32_t)-100,
		(uint32_t)-32768, 0xffff,
	};
	char buf[64];
	unsigned int i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		errno = 0;
		if (byfilter(self->kq, unknown[i], buf, sizeof(buf)) != -1 ||
		    errno != ENOENT)
			TH_LOG("BYFILTER %d: errno %d (%s), name '%.20s'",
			       (int)unknown[i], errno, strerror(errno), buf);
		EXPECT_EQ(-1, byfilter(self->kq, unknown[i], buf,
				       sizeof(buf)));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ('X', buf[0]);
	}
}

TEST_F(kf, unknown_name_enoent)
{
	static const char *const unknown[] = {
		"", "EVFILT_", "EVFILT_FOO", "evfilt_read", "EVFILT_READX",
		"EVFILT_REA", "READ", "EVFILT_SYSCOUNT", "EVFILT_AIOX",
		"EVFILT_F", " EVFILT_READ",
	};
	unsigned int i;
	uint32_t f;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		errno = 0;
		f = 0;
		if (byname(self->kq, unknown[i], &f) != -1 || errno != ENOENT)
			TH_LOG("BYNAME '%s': filter %d errno %d (%s)",
			       unknown[i], (int)f, errno, strerror(errno));
		EXPECT_EQ(-1, byname(self->kq, unknown[i], &f));
		EXPECT_EQ(ENOENT, errno);
	}
}

TEST_F(kf, long_name)
{
	char name[4096];
	uint32_t f;

	/* Far longer than any filter name: not found, or too long. */
	memset(name, 'E', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	errno = 0;
	EXPECT_EQ(-1, byname(self->kq, name, &f));
	EXPECT_TRUE(errno == ENOENT || errno == ENAMETOOLONG)
		TH_LOG("errno %d (%s)", errno, strerror(errno));
	/* A known name followed by more text is not that name. */
	snprintf(name, sizeof(name), "EVFILT_READ%0200d", 0);
	errno = 0;
	EXPECT_EQ(-1, byname(self->kq, name, &f));
	EXPECT_TRUE(errno == ENOENT || errno == ENAMETOOLONG)
		TH_LOG("errno %d (%s)", errno, strerror(errno));
}

TEST_F(kf, bad_pointers_efault)
{
	struct kfilter_mapping km;
	char *unmapped;
	uint32_t f;

	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);

	/* BYFILTER writing the name to a bad pointer. */
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ,
			       (char *)(uintptr_t)1, 64));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ, unmapped, 64));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ, NULL, 64));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, byfilter(self->kq, (uint32_t)EVFILT_READ,
			       (char *)(uintptr_t)0xffffffffffff0000ull, 64));
	EXPECT_EQ(EFAULT, errno);

	/* BYNAME reading the name from a bad pointer. */
	memset(&km, 0, sizeof(km));
	km.name = (char *)(uintptr_t)1;
	km.len = 16;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, &km));
	EXPECT_EQ(EFAULT, errno);
	km.name = unmapped;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, &km));
	EXPECT_EQ(EFAULT, errno);
	km.name = NULL;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, &km));
	EXPECT_EQ(EFAULT, errno);

	/* The mapping itself unreadable. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYFILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYFILTER, unmapped));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, unmapped));
	EXPECT_EQ(EFAULT, errno);

	/* The mapping straddling into an unmapped page. */
	{
		char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct kfilter_mapping *edge;

		ASSERT_NE(MAP_FAILED, two);
		ASSERT_EQ(0, mprotect(two + 4096, 4096, PROT_NONE));
		edge = (struct kfilter_mapping *)(two + 4096 - 8);
		edge->name = (char *)"EVFILT_READ";
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->kq, KFILTER_BYNAME, edge));
		EXPECT_EQ(EFAULT, errno);
		munmap(two, 8192);
	}
	munmap(unmapped, 4096);

	/* After all that, the ioctls and the kqueue still work. */
	ASSERT_EQ(0, byname(self->kq, "EVFILT_USER", &f));
	EXPECT_EQ((uint32_t)EVFILT_USER, f);
	KQ_CHANGE_OK(self->kq, 1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
	{
		struct kevent ev;

		KQ_GET_ONE(self->kq, &ev, 0);
	}
}

TEST_F(kf, byname_leaves_name_and_len)
{
	char name[] = "EVFILT_TIMER";
	struct kfilter_mapping km = { .name = name, .len = sizeof(name),
				      .filter = 0 };

	ASSERT_EQ(0, ioctl(self->kq, KFILTER_BYNAME, &km));
	EXPECT_EQ((uint32_t)EVFILT_TIMER, km.filter);
	EXPECT_EQ((uintptr_t)name, (uintptr_t)km.name);
	EXPECT_EQ(sizeof(name), km.len);
	EXPECT_STREQ("EVFILT_TIMER", name);
}

/* A command the kqueue does not know, in its range or not: ENOTTY. */
TEST_F(kf, unknown_ioctl_enotty)
{
	int n = 0;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, _IO(KQ_IOC_MAGIC, 0x7f), &n));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->kq, _IOR('T', 0x7e, int), &n));
	EXPECT_EQ(ENOTTY, errno);
}

TEST(not_a_kqueue)
{
	struct kfilter_mapping km;
	char buf[64];
	int p[2], fd;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(&km, 0, sizeof(km));
	km.name = buf;
	km.len = sizeof(buf);
	km.filter = (uint32_t)EVFILT_READ;

	errno = 0;
	EXPECT_EQ(-1, ioctl(p[0], KFILTER_BYFILTER, &km));
	EXPECT_TRUE(errno == ENOTTY || errno == EBADF)
		TH_LOG("pipe: errno %d (%s)", errno, strerror(errno));
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, KFILTER_BYFILTER, &km));
	EXPECT_TRUE(errno == ENOTTY || errno == EBADF)
		TH_LOG("/dev/null: errno %d (%s)", errno, strerror(errno));
	strcpy(buf, "EVFILT_READ");
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, KFILTER_BYNAME, &km));
	EXPECT_TRUE(errno == ENOTTY || errno == EBADF)
		TH_LOG("/dev/null: errno %d (%s)", errno, strerror(errno));
	close(fd);
	/* A closed descriptor. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, KFILTER_BYFILTER, &km));
	EXPECT_EQ(EBADF, errno);
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
