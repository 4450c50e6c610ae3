/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* leaktrace's own state across restarts (--state-dir DIR, the unit's
 * StateDirectory=): small files written atomically (a temporary file in
 * DIR, fsync, rename over the old one) and read back at start with a size
 * cap. One state directory per process, kept open (O_PATH): every file is
 * opened relative to it, and the seccomp filter allows writes only there
 * (run/sandbox.c). */
#ifndef LT_UTIL_STATE_DIR_H
#define LT_UTIL_STATE_DIR_H

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>

/* open(2) flags of a state file being written; the sandbox allows exactly
 * these, relative to the state directory */
#define STATE_FILE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/* Open DIR: it must be a directory (not a symlink), owned by root or
 * leaktrace's user, and not writable by group or others (another user
 * could plant a state file). Returns 0 or -errno with a reason in err. */
int state_dir_open(const char *dir, char *err, size_t errlen);
/* The directory's descriptor, -1 without --state-dir. */
int state_dir_fd(void);
void state_dir_close(void);

/* Read state file NAME whole into a malloc'ed, NUL-terminated *buf. 0,
 * -ENOENT (none yet), -EFBIG (over cap bytes), -EINVAL (not a regular
 * file of ours), or -errno. */
int state_dir_read(const char *name, char **buf, size_t *len, size_t cap);

/* Replace state file NAME with what fill writes to f (fill returns 0 or
 * -errno). The old file stays whole on any failure. 0 or -errno. */
typedef int (*state_fill_fn)(void *ctx, FILE *f);
int state_dir_write(const char *name, state_fill_fn fill, void *ctx);

#endif
