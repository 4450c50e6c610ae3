// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/foreign_file.h"
#include "util/log.h"

static bool verbose;

void foreign_file_verbose(bool on)
{
	verbose = on;
}

static uint64_t kind_cap(enum foreign_kind kind)
{
	switch (kind) {
	case FOREIGN_PERF_MAP:
		return FOREIGN_PERF_MAP_MAX;
	case FOREIGN_ELF:
		return FOREIGN_ELF_MAX;
	case FOREIGN_PROC_TEXT:
	default:
		return FOREIGN_PROC_TEXT_MAX;
	}
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "is a FIFO";
	case S_IFSOCK:
		return "is a socket";
	case S_IFCHR:
		return "is a character device";
	case S_IFBLK:
		return "is a block device";
	case S_IFDIR:
		return "is a directory";
	case S_IFLNK:
		return "is a symbolic link";
	default:
		return "is not a regular file";
	}
}

static int refuse(const char *path, int err, const char *reason, char *why, size_t whylen)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", reason);
	if (verbose)
		lt_err(NULL, "not reading %s: %s", path, reason);
	return err;
}

/* The checks on the open descriptor: what it is, how big. */
static int check_fd(const char *path, int fd, enum foreign_kind kind, struct stat *st, char *why,
		    size_t whylen)
{
	char reason[64];
	uint64_t cap = kind_cap(kind);

	if (fstat(fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return refuse(path, S_ISLNK(st->st_mode) ? -ELOOP : -EINVAL, type_name(st->st_mode),
			      why, whylen);
	if ((uint64_t)st->st_size > cap) {
		snprintf(reason, sizeof(reason), "larger than %llu MiB",
			 (unsigned long long)(cap >> 20));
		return refuse(path, -EFBIG, reason, why, whylen);
	}
	return 0;
}

/* Reopen the file an O_PATH descriptor names, for reading: the same
 * inode, whatever the path leads to by now. */
static int reopen_for_read(int path_fd)
{
	char self[64];
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", path_fd);
	fd = open(self, FOREIGN_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	/* a regular file: reads block again as everywhere else (a FUSE or NFS
	 * file could otherwise answer EAGAIN) */
	if (fcntl(fd, F_SETFL, O_RDONLY) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int foreign_open(const char *path, enum foreign_kind kind, unsigned flags, struct stat *st,
		 char *why, size_t whylen)
{
	struct stat local;
	int path_fd, fd;

	if (!st)
		st = &local;
	if (why && whylen)
		why[0] = '\0';
	/* O_PATH first: it opens nothing (no FIFO wait, no driver's open with
	 * its side effects), and fstat on it tells what the path led to; with
	 * O_NOFOLLOW a symlink is the link itself, refused below */
	path_fd = open(path, O_PATH | O_CLOEXEC | (flags & FOREIGN_FOLLOW ? 0 : O_NOFOLLOW));
	if (path_fd < 0)
		return -errno;
	fd = check_fd(path, path_fd, kind, st, why, whylen);
	if (!fd)
		fd = reopen_for_read(path_fd);
	close(path_fd);
	return fd;
}

/* Up to cap bytes of fd into a NUL-terminated buffer; size is a hint. */
static int read_fd(int fd, uint64_t cap, size_t size, char **buf, size_t *len)
{
	size_t want = size ? size + 1 : 16384, n = 0;
	char *b = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (!b || n == want) {
			if (b)
				want = want * 2;
			if (want > cap)
				want = cap;
			if (b && n >= want)
				break;	/* cap reached: the rest is cut */
			nb = realloc(b, want + 1);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = read(fd, b + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(b);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int foreign_read(const char *path, enum foreign_kind kind, unsigned flags, char **buf,
		 size_t *len, struct stat *st, char *why, size_t whylen)
{
	struct stat local;
	int fd, err;

	if (!st)
		st = &local;
	fd = foreign_open(path, kind, flags, st, why, whylen);
	if (fd < 0)
		return fd;
	err = read_fd(fd, kind_cap(kind), (size_t)st->st_size, buf, len);
	close(fd);
	return err;
}

FILE *foreign_fopen(const char *path, enum foreign_kind kind, unsigned flags)
{
	int fd = foreign_open(path, kind, flags, NULL, NULL, 0);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "re");
	if (!f)
		close(fd);
	return f;
}
