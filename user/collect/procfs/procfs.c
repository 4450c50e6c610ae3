// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "util/foreign_file.h"

/* ENOENT under /proc: the process or thread is gone. */
static int gone(int err)
{
	return err == -ENOENT ? -ESRCH : err;
}

int procfs__path(char *buf, size_t size, int pid, int tid, const char *name)
{
	int n;

	if (pid <= 0)
		n = snprintf(buf, size, "/proc/self/%s", name);
	else if (tid > 0)
		n = snprintf(buf, size, "/proc/%d/task/%d/%s", pid, tid, name);
	else
		n = snprintf(buf, size, "/proc/%d/%s", pid, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

ssize_t procfs__read_buf(int pid, int tid, const char *name, char *buf, size_t size)
{
	char path[PROCFS_PATH_MAX];
	size_t len = 0;
	ssize_t n = 0;
	int fd;

	if (!size)
		return -EINVAL;
	buf[0] = '\0';
	if (procfs__path(path, sizeof(path), pid, tid, name) < 0)
		return -ENAMETOOLONG;
	fd = foreign_open(path, FOREIGN_PROC_TEXT, 0, NULL, NULL, 0);
	if (fd < 0)
		return gone(fd);
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	n = n < 0 && !len ? -errno : (ssize_t)len;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n < 0 ? gone((int)n) : n;
}

int procfs__read(int pid, int tid, const char *name, char **buf, size_t *len)
{
	char path[PROCFS_PATH_MAX];

	*buf = NULL;
	*len = 0;
	if (procfs__path(path, sizeof(path), pid, tid, name) < 0)
		return -ENAMETOOLONG;
	return gone(foreign_read(path, FOREIGN_PROC_TEXT, 0, buf, len, NULL, NULL, 0));
}

FILE *procfs__fopen(int pid, int tid, const char *name)
{
	char path[PROCFS_PATH_MAX];
	FILE *f;

	if (procfs__path(path, sizeof(path), pid, tid, name) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	f = foreign_fopen(path, FOREIGN_PROC_TEXT, 0);
	if (!f && errno == ENOENT)
		errno = ESRCH;
	return f;
}

ssize_t procfs__readlink(int pid, int tid, const char *name, char *buf, size_t size)
{
	char path[PROCFS_PATH_MAX];
	ssize_t n;

	if (!size)
		return -EINVAL;
	if (procfs__path(path, sizeof(path), pid, tid, name) < 0)
		return -ENAMETOOLONG;
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return gone(-errno);
	buf[n] = '\0';
	return n;
}

bool procfs__task_exists(int pid, int tid)
{
	char path[PROCFS_PATH_MAX];

	return procfs__path(path, sizeof(path), pid, tid, "") >= 0 && access(path, F_OK) == 0;
}
