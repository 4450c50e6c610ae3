/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Opening and reading the files a traced process controls (its binaries,
 * libraries, perf map, debug files, /proc/PID/... texts) without letting it
 * stall or feed leaktrace: never blocks on a FIFO or a device, refuses
 * anything but a regular file, caps the size. The read-side twin of
 * safe_open.h (the files leaktrace writes). */
#ifndef LT_UTIL_FOREIGN_FILE_H
#define LT_UTIL_FOREIGN_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* What the file is: sets the size cap. */
enum foreign_kind {
	FOREIGN_PROC_TEXT,	/* /proc/PID/{maps,status,...}: size 0, read up to the cap */
	FOREIGN_PERF_MAP,	/* /tmp/perf-PID.map of a JIT */
	FOREIGN_ELF,		/* a binary, library or debug file (mmap'ed by libelf) */
};

#define FOREIGN_PROC_TEXT_MAX	(32ULL << 20)
#define FOREIGN_PERF_MAP_MAX	(64ULL << 20)
#define FOREIGN_ELF_MAX		(2ULL << 30)

/* How a foreign file is opened: first O_PATH (| O_NOFOLLOW), which opens
 * nothing, only names the inode: fstat on it says what the path led to, so
 * a FIFO, socket, device (its driver's open, with whatever side effects)
 * or directory is refused without ever being opened. A regular file is
 * then reopened for reading through /proc/self/fd/N (the same inode, even
 * if the path was swapped meanwhile) with these flags: O_NONBLOCK as a
 * second guard, cleared once open. The seccomp filter allows both opens
 * (read-only, run/sandbox.c). */
#define FOREIGN_OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NONBLOCK)

/* Options of foreign_open(). */
enum foreign_flags {
	/* The last component may be a link: /proc/PID/exe and
	 * /proc/PID/map_files/... are the kernel's links to the very file
	 * (a magic link; O_NOFOLLOW would refuse them), and build-id debug
	 * files are symlinks under a root-owned directory. Without it the
	 * open is O_NOFOLLOW: a path read from /proc/PID/maps names the file
	 * itself, and a perf map is never a link. Only the last component:
	 * directories above are followed (an absolute link in a target's
	 * /proc/PID/root/... resolves from leaktrace's root). */
	FOREIGN_FOLLOW = 1 << 0,
};

/* Open PATH read-only under the rules above. Returns the descriptor
 * (O_CLOEXEC, blocking) or -errno; refusals: -ELOOP a symbolic link
 * (without FOREIGN_FOLLOW), -EINVAL not a regular file (FIFO, socket,
 * device, directory), -EFBIG over the kind's cap. ST (may be NULL) gets the descriptor's fstat. WHY (may be
 * NULL) gets the reason of a refusal, one phrase ("is a FIFO", "larger than
 * 64 MiB"); with foreign_file_verbose(true) every refusal of a file that
 * exists is also written to stderr, with its path. */
int foreign_open(const char *path, enum foreign_kind kind, unsigned flags, struct stat *st,
		 char *why, size_t whylen);

/* The whole file (at most the kind's cap: a longer /proc text is cut
 * there; a regular file whose size is over the cap is refused) into a
 * malloc'ed, NUL-terminated buffer. 0 or -errno as foreign_open(). */
int foreign_read(const char *path, enum foreign_kind kind, unsigned flags, char **buf,
		 size_t *len, struct stat *st, char *why, size_t whylen);

/* foreign_open() as a stdio stream for line readers ("re"); NULL with errno
 * set. A /proc text is still regular-file checked; line readers bound their
 * own lines. */
FILE *foreign_fopen(const char *path, enum foreign_kind kind, unsigned flags);

/* -v: refusals go to stderr as "leaktrace: not reading PATH: REASON". */
void foreign_file_verbose(bool on);

#endif
