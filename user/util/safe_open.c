// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/safe_open.h"
#include "util/log.h"

/* Why a file (its stat) is not one leaktrace may write reports to, or NULL. */
static const char *stat_refusal(const struct stat *st, char *buf, size_t size)
{
	if (S_ISLNK(st->st_mode))
		return "is a symbolic link";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	/* a hard link made by another user to a file of root's */
	if (st->st_nlink > 1)
		return "has more than one hard link";
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(buf, size, "owned by another user (uid %u)", (unsigned)st->st_uid);
		return buf;
	}
	return NULL;
}

/* The output's directory, opened once: reopens on SIGHUP go through it
 * (a directory swapped in later is not followed), and the seccomp filter
 * allows a write-open only relative to it (run/sandbox.c). */
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

/* Kernel interfaces that look like files: writing a report there is at
 * best an error at the first report, at worst a write to the kernel. */
static const char *kernel_fs_name(long type)
{
	static const struct {
		long magic;
		const char *name;
	} kernel_fs[] = {
		{ PROC_SUPER_MAGIC, "procfs" }, { SYSFS_MAGIC, "sysfs" },
		{ DEVPTS_SUPER_MAGIC, "devpts" }, { CGROUP_SUPER_MAGIC, "cgroupfs" },
		{ CGROUP2_SUPER_MAGIC, "cgroup2" }, { DEBUGFS_MAGIC, "debugfs" },
		{ TRACEFS_MAGIC, "tracefs" }, { SECURITYFS_MAGIC, "securityfs" },
		{ BPF_FS_MAGIC, "bpffs" }, { EFIVARFS_MAGIC, "efivarfs" },
		{ PSTOREFS_MAGIC, "pstore" }, { SELINUX_MAGIC, "selinuxfs" },
		{ NSFS_MAGIC, "nsfs" }, { BINFMTFS_MAGIC, "binfmt_misc" },
		{ 0x62656570, "configfs" },
	};

	for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if (kernel_fs[i].magic == type)
			return kernel_fs[i].name;
	return NULL;
}

/* Why the filesystem of fd is no place for reports, or NULL. */
static const char *fs_refusal(int fd, char *buf, size_t size)
{
	struct statfs sfs;
	const char *fs;

	if (fstatfs(fd, &sfs))
		return strerror(errno);
	fs = kernel_fs_name((long)sfs.f_type);
	if (!fs)
		return NULL;
	snprintf(buf, size, "on %s, a kernel interface", fs);
	return buf;
}

/* Why out_dir is no place for reports, or NULL: a kernel filesystem, or
 * under /proc, /sys or /dev whatever their filesystem (devtmpfs says
 * tmpfs). */
static const char *dir_refusal(char *buf, size_t size)
{
	static const char *const kernel_dirs[] = { "/proc", "/sys", "/dev" };
	char real[PATH_MAX];
	const char *why = fs_refusal(out_dirfd, buf, size);

	if (why)
		return why;
	if (!realpath(out_dir, real))
		return strerror(errno);
	for (size_t i = 0; i < sizeof(kernel_dirs) / sizeof(kernel_dirs[0]); i++) {
		size_t n = strlen(kernel_dirs[i]);

		if (!strncmp(real, kernel_dirs[i], n) && (real[n] == '/' || !real[n])) {
			snprintf(buf, size, "under %s, where kernel interfaces live", kernel_dirs[i]);
			return buf;
		}
	}
	return NULL;
}

/* Why what is at NAME in out_dir now may not be written or replaced, or
 * NULL (nothing there is fine: it will be created). */
static const char *name_refusal(const char *name, char *buf, size_t size)
{
	struct stat st;

	if (fstatat(out_dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? NULL : strerror(errno);
	return stat_refusal(&st, buf, size);
}

/* Why the filesystem of the file at NAME (a kernel file bind-mounted
 * there) is no place for reports, or NULL. At start only: fstatfs is not
 * in the sandbox's list, and mounting needs root. */
static const char *name_fs_refusal(const char *name, char *buf, size_t size)
{
	const char *why;
	int fd = openat(out_dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? NULL : strerror(errno);
	why = fs_refusal(fd, buf, size);
	close(fd);
	return why;
}

int safe_output_check(const char *path, char *err, size_t errlen)
{
	const char *why = NULL, *name;
	char buf[96];
	int e;

	e = open_dir_of(path, &name);
	if (e)
		why = e == -EISDIR ? "not a regular file" : strerror(-e);
	/* what is at PATH first: "not a regular file" says more of /dev/null */
	if (!why)
		why = name_refusal(name, buf, sizeof(buf));
	if (!why)
		why = name_fs_refusal(name, buf, sizeof(buf));
	if (!why)
		why = dir_refusal(buf, sizeof(buf));
	if (!why)
		return 0;
	snprintf(err, errlen, "%s: %s", path, why);
	return -EPERM;
}

/* A line cut by a full disk (or a crash) stands alone: the next record
 * starts on a line of its own and parses. */
static void terminate_last_line(int fd)
{
	struct stat st;
	char last;

	if (!fstat(fd, &st) && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	    last != '\n' && write(fd, "\n", 1) != 1)
		lt_warn(NULL, "cannot end the cut last line: %s",
			strerror(errno));
}

/* Open PATH (SAFE_OPEN_FLAGS) and check the descriptor. */
static FILE *open_checked(const char *path, bool end_cut_line, char *err, size_t errlen)
{
	const char *why, *name;
	char buf[64];
	struct stat st;
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
	why = fstat(fd, &st) ? strerror(errno) : stat_refusal(&st, buf, sizeof(buf));
	/* clears O_NONBLOCK (F_SETFL leaves the access mode) */
	if (!why && fcntl(fd, F_SETFL, O_APPEND))
		why = strerror(errno);
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		close(fd);
		return NULL;
	}
	if (end_cut_line)
		terminate_last_line(fd);
	f = fdopen(fd, "a");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

FILE *safe_open_append(const char *path, char *err, size_t errlen)
{
	return open_checked(path, true, err, errlen);
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
	f = open_checked(tmp, false, err, errlen);
	if (f && ftruncate(fileno(f), 0)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

int safe_replace_commit(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *why;
	const char *name = slash ? slash + 1 : path;
	char tmp[512], buf[96];

	if (out_dirfd < 0 || tmp_name(path, tmp, sizeof(tmp))) {
		snprintf(err, errlen, "%s: %s", path, strerror(EINVAL));
		return -EINVAL;
	}
	/* what took the place of the last report since: rename would only
	 * replace the entry (never write through a link), but it would remove
	 * another user's file or a hard link's name, so the rules of the start
	 * hold here too */
	why = name_refusal(name, buf, sizeof(buf));
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -EPERM;
	}
	if (renameat(out_dirfd, tmp, out_dirfd, name)) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

void safe_replace_abort(const char *path)
{
	char tmp[512];

	if (out_dirfd >= 0 && !tmp_name(path, tmp, sizeof(tmp)))
		unlinkat(out_dirfd, tmp, 0);
}
