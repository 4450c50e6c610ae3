/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Opening the files leaktrace writes (-o FILE) without letting another local
 * user choose what root writes to. */
#ifndef LT_UTIL_SAFE_OPEN_H
#define LT_UTIL_SAFE_OPEN_H

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>

/* Mode of a file leaktrace creates: reports name every process, their
 * threads and stacks; the group (e.g. adm) may read them, others may not. */
#define SAFE_OPEN_MODE 0640
/* open(2) flags of those files; the seccomp allowlist lets a write-open
 * through only with exactly these (run/sandbox.c). O_NONBLOCK: opening a
 * FIFO for writing must not wait for a reader (it is refused anyway).
 * O_RDWR, not O_WRONLY: the last byte is read to end a cut line. */
#define SAFE_OPEN_FLAGS (O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

/* The -o target of every format, checked at start, before anything is
 * loaded: 0, or -EPERM/-errno with the reason in ERR ("PATH: reason", no
 * "leaktrace:" prefix). Refused: a file or directory on a kernel
 * filesystem (procfs, sysfs, cgroupfs, debugfs...), a directory under
 * /proc, /sys, /dev; and at PATH itself, when something is there, what is
 * refused below. */
int safe_output_check(const char *path, char *err, size_t errlen);

/* Open PATH for appending, line-buffered: created SAFE_OPEN_MODE when
 * missing, O_NOFOLLOW | O_CLOEXEC. Refused, with the reason in ERR (one
 * phrase, no "leaktrace:" prefix): a symlink as the last component, anything
 * but a regular file (FIFO, device, directory, socket), a file with more
 * than one hard link, a file owned by a user other than root and leaktrace's
 * own. The checks are made on the open descriptor (fstat), so a file swapped in
 * after a check cannot slip through. When the file's last byte is not a
 * newline (a line cut by a full disk), one is written first. Returns NULL
 * on refusal or error. */
FILE *safe_open_append(const char *path, char *err, size_t errlen);

/* Profiles (folded, pprof) replace PATH after each report: the report is
 * written to PATH.tmp.PID in PATH's directory (opened as above, emptied),
 * then renamed over PATH, so a reader never sees half a profile. */
FILE *safe_open_replace(const char *path, char *err, size_t errlen);
/* Rename the temporary file over PATH, if what is at PATH now passes the
 * rules above (rename never writes through a link, but would remove
 * another user's file); 0 or -errno with the reason in ERR. */
int safe_replace_commit(const char *path, char *err, size_t errlen);
/* Remove the temporary file: PATH keeps its previous report. */
void safe_replace_abort(const char *path);

/* The directory of the last path given to safe_open_append(), kept open
 * (O_PATH): the file is opened relative to it, now and on every reopen, and
 * the sandbox allows a write-open only there. -1 before any call. */
int safe_open_dirfd(void);

#endif
