/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics: one line each on stderr (stdout carries report data only),
 * one shape everywhere, naming the subsystem the same way:
 *
 *   lt_err("go", "pid %d: %s", ...)   leaktrace: go: pid 42: ...
 *   lt_warn("go", "...")              leaktrace: warning: go: ...
 *   lt_info(NULL, "tracing %s", ...)  leaktrace: tracing ...
 *   lt_verbose("go", "...")           leaktrace: go: ...   (only with -v)
 *
 * SUBSYS is a short lower-case word ("go", "python", "stacks", "state"),
 * or NULL for leaktrace as a whole. Messages are lower-case, no full stop,
 * say what went wrong first (STYLE.md); no trailing newline (added here).
 *
 * Error buffers, the one convention of user/: a function that explains a
 * failure to its caller takes `char *err, size_t errlen` as its last two
 * parameters, returns -errno (or NULL), and fills err with lt_set_err()
 * (err may be NULL or errlen 0: nothing written). The caller decides
 * whether and how to print it. A local holding an error code is then
 * named `ret`, not `err`.
 */
#ifndef LT_UTIL_LOG_H
#define LT_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define LT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* -v: lt_verbose() prints; off by default. */
void lt_log_set_verbose(bool on);
bool lt_log_is_verbose(void);

void lt_err(const char *subsys, const char *fmt, ...) LT_PRINTF(2, 3);
void lt_warn(const char *subsys, const char *fmt, ...) LT_PRINTF(2, 3);
void lt_info(const char *subsys, const char *fmt, ...) LT_PRINTF(2, 3);
void lt_verbose(const char *subsys, const char *fmt, ...) LT_PRINTF(2, 3);

/* The line a diagnostic prints, into buf (for tests and for callers that
 * keep it); LEVEL is "" or "warning". The length as snprintf. */
int lt_log_format(char *buf, size_t size, const char *level, const char *subsys,
		  const char *fmt, va_list ap) LT_PRINTF(5, 0);

/* Fill an error buffer (see above). */
void lt_set_err(char *err, size_t errlen, const char *fmt, ...) LT_PRINTF(3, 4);

#endif
