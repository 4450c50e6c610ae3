// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/state_dir.h"

static int dirfd_ = -1;

int state_dir_fd(void)
{
	return dirfd_;
}

void state_dir_close(void)
{
	if (dirfd_ >= 0)
		close(dirfd_);
	dirfd_ = -1;
}

int state_dir_open(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot open state directory %s: %s", dir,
			 e == -ENOTDIR || e == -ELOOP ? "not a directory (or a symlink)" : strerror(-e));
		return e;
	}
	if (fstat(fd, &st)) {
		e = -errno;
		snprintf(err, errlen, "cannot open state directory %s: %s", dir, strerror(-e));
		close(fd);
		return e;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "state directory %s is owned by another user (uid %u)", dir,
			 (unsigned)st.st_uid);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "state directory %s is writable by group or others", dir);
		close(fd);
		return -EPERM;
	}
	state_dir_close();
	dirfd_ = fd;
	return 0;
}

int state_dir_read(const char *name, char **buf, size_t *len, size_t cap)
{
	struct stat st;
	char *b;
	size_t n = 0;
	int fd, e = 0;

	*buf = NULL;
	*len = 0;
	if (dirfd_ < 0)
		return -EBADF;
	fd = openat(dirfd_, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		e = -errno;
	else if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()))
		e = -EINVAL;
	else if ((size_t)st.st_size > cap)
		e = -EFBIG;
	b = e ? NULL : malloc((size_t)st.st_size + 1);
	if (!e && !b)
		e = -ENOMEM;
	while (!e && n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;	/* shorter than it was: what was read */
		n += (size_t)r;
	}
	close(fd);
	if (e) {
		free(b);
		return e;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int state_dir_write(const char *name, state_fill_fn fill, void *ctx)
{
	char tmp[256];
	FILE *f;
	int fd, e;

	if (dirfd_ < 0)
		return -EBADF;
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* a temporary file left by a crash */
	unlinkat(dirfd_, tmp, 0);
	fd = openat(dirfd_, tmp, STATE_FILE_FLAGS, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		e = -errno;
		close(fd);
		goto fail;
	}
	e = fill(ctx, f);
	if (!e && fflush(f))
		e = -errno;
	if (!e && fsync(fileno(f)))
		e = -errno;
	if (fclose(f) && !e)
		e = -errno;
	if (!e && renameat(dirfd_, tmp, dirfd_, name))
		e = -errno;
	if (!e)
		return 0;
fail:
	unlinkat(dirfd_, tmp, 0);
	return e;
}
