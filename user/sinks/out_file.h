/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where a format writes: stdout or -o FILE. Two modes:
 * - append (text, JSON): FILE is opened for appending, line-buffered, and
 *   reopened on SIGHUP so logrotate can move it;
 * - replace (folded, pprof: a profile, not a log): each report is written
 *   to FILE.tmp.PID and renamed over FILE, so a reader never sees half a
 *   profile and FILE always holds the last report. */
#ifndef LT_OUT_FILE_H
#define LT_OUT_FILE_H

#include <stdbool.h>
#include <stdio.h>

struct out_file {
	const char *path;	/* NULL = stdout */
	bool replace;
	FILE *f;		/* append mode, or the report being written */
};

/* Open (append mode) or check that the directory of path is writable
 * (replace mode). Returns 0, or LT_EXIT_USAGE with a reason in err. */
int out_file__open(struct out_file *of, const char *path, bool replace, char *err, size_t errlen);

/* The stream to write one report to; NULL (with a message on stderr) if
 * the temporary file cannot be created. */
FILE *out_file__begin(struct out_file *of);

/* End the report begun with out_file__begin(): flush, and in replace mode
 * rename it over the path. Returns 0 or -EIO (message on stderr). */
int out_file__commit(struct out_file *of);

/* Drop the report begun with out_file__begin() in replace mode: the file
 * keeps the previous report (a half-built profile never replaces it). */
void out_file__abort(struct out_file *of);

/* SIGHUP: reopen an appended file; if that fails, keep the old one. */
void out_file__reopen(struct out_file *of);

void out_file__close(struct out_file *of);

/* For the format sinks, whose state begins with a struct out_file: allocate
 * a zeroed state of state_size bytes and open its file. NULL with *code
 * (enum lt_exit) and err set on failure. */
void *out_file_sink__new(size_t state_size, const char *path, bool replace, int *code, char *err,
			size_t errlen);
/* sink_type.reopen and .close of such a state */
void out_file_sink__reopen(void *state);
void out_file_sink__free(void *state);

#endif
