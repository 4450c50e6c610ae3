// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>

#include "util/log.h"

static bool verbose;

void lt_log_set_verbose(bool on)
{
	verbose = on;
}

bool lt_log_is_verbose(void)
{
	return verbose;
}

int lt_log_format(char *buf, size_t size, const char *level, const char *subsys,
		  const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "leaktrace: %s%s%s%s", level, *level ? ": " : "",
			 subsys ? subsys : "", subsys ? ": " : "");
	int m;

	if (n < 0)
		return n;
	m = vsnprintf((size_t)n < size ? buf + n : NULL, (size_t)n < size ? size - n : 0, fmt, ap);
	return m < 0 ? m : n + m;
}

/* One whole line in one write: lines of threads and processes sharing
 * stderr do not interleave. */
static void emit(const char *level, const char *subsys, const char *fmt, va_list ap)
{
	char line[8192];
	int n = lt_log_format(line, sizeof(line) - 1, level, subsys, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;	/* cut: the start says what went wrong */
	line[n] = '\n';
	fwrite(line, 1, n + 1, stderr);
}

void lt_err(const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", subsys, fmt, ap);
	va_end(ap);
}

void lt_warn(const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", subsys, fmt, ap);
	va_end(ap);
}

void lt_info(const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", subsys, fmt, ap);
	va_end(ap);
}

void lt_verbose(const char *subsys, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	emit("", subsys, fmt, ap);
	va_end(ap);
}

void lt_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
