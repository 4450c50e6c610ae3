// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/safe_open.h"

/* Why a descriptor is not one leaktrace may write reports to, or NULL. */
static const char *refusal(int fd, char *buf, size_t size)
{
	struct stat st;

	if (fstat(fd, &st))
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	/* a hard link made by another user to a file of root's */
	if (st.st_nlink > 1)
		return "has more than one hard link";
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(buf, size, "owned by another user (uid %u)", (unsigned)st.st_uid);
		return buf;
	}
	return NULL;
}

/* The output's directory, opened once: reopens on SIGHUP go through it
 * (a directory swapped in later is not followed), and the seccomp filter
 * allows a write-open only relative to it (core/sandbox.c). */
static int out_dirfd = -1;
static char *out_dir;

int safe_open_dirfd(void)
{
	return out_dirfd;
}

/* Open PATH's directory (kept in out_dirfd) and point NAME at its last
 * component. Returns 0 or -errno. */
static int open_dir_of(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	*name = slash ? slash + 1 : path;
	if (!**name)
		return -EISDIR;
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	if (out_dir && !strcmp(out_dir, dir)) {
		free(dir);
		return 0;
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		free(dir);
		return -errno;
	}
	if (out_dirfd >= 0)
		close(out_dirfd);
	free(out_dir);
	out_dirfd = fd;
	out_dir = dir;
	return 0;
}

FILE *safe_open_append(const char *path, char *err, size_t errlen)
{
	const char *why, *name;
	char buf[64];
	FILE *f;
	int fd;

	fd = open_dir_of(path, &name);
	if (!fd)
		fd = openat(out_dirfd, name, SAFE_OPEN_FLAGS, SAFE_OPEN_MODE);
	else
		errno = -fd, fd = -1;
	if (fd < 0) {
		if (errno == ELOOP)
			why = "is a symbolic link";
		else if (errno == ENXIO || errno == EISDIR)
			why = "not a regular file";
		else
			why = strerror(errno);
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	why = refusal(fd, buf, sizeof(buf));
	if (!why && fcntl(fd, F_SETFL, O_WRONLY | O_APPEND))
		why = strerror(errno);
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* "NAME.tmp.PID" of path's last component. */
static int tmp_name(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	int n = snprintf(buf, size, "%s.tmp.%d", slash ? slash + 1 : path, (int)getpid());

	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

FILE *safe_open_replace(const char *path, char *err, size_t errlen)
{
	char tmp[4096 + 32];
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
	FILE *f;

	if (tmp_name(path, tmp + dir_len, sizeof(tmp) - dir_len) || dir_len >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return NULL;
	}
	memcpy(tmp, path, dir_len);
	f = safe_open_append(tmp, err, errlen);
	if (f && ftruncate(fileno(f), 0)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

int safe_replace_commit(const char *path)
{
	const char *slash = strrchr(path, '/');
	char tmp[512];

	if (out_dirfd < 0 || tmp_name(path, tmp, sizeof(tmp)))
		return -EINVAL;
	if (renameat(out_dirfd, tmp, out_dirfd, slash ? slash + 1 : path))
		return -errno;
	return 0;
}

void safe_replace_abort(const char *path)
{
	char tmp[512];

	if (out_dirfd >= 0 && !tmp_name(path, tmp, sizeof(tmp)))
		unlinkat(out_dirfd, tmp, 0);
}
