// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The diagnostics helper (util/log.c): one shape for every line, the
 * subsystem named the same way, -v lines only with -v, error buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static int format(char *buf, size_t size, const char *level, const char *subsys,
		  const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = lt_log_format(buf, size, level, subsys, fmt, ap);
	va_end(ap);
	return n;
}

static void test_shapes(void **state)
{
	char buf[128];

	format(buf, sizeof(buf), "warning", "go", "pid %d: %s", 42, "stripped");
	assert_string_equal(buf, "leaktrace: warning: go: pid 42: stripped");
	format(buf, sizeof(buf), "warning", NULL, "out of memory");
	assert_string_equal(buf, "leaktrace: warning: out of memory");
	format(buf, sizeof(buf), "", "go", "attached to pid %d", 7);
	assert_string_equal(buf, "leaktrace: go: attached to pid 7");
	format(buf, sizeof(buf), "", NULL, "tracing");
	assert_string_equal(buf, "leaktrace: tracing");
	/* cut like snprintf, the length it would have had */
	assert_int_equal(format(buf, 16, "warning", "go", "%s", "abc"), 27);
	assert_string_equal(buf, "leaktrace: warn");
}

/* What the helpers write to stderr, read back through a pipe. */
static char *captured(void (*fn)(void))
{
	static char out[4096];
	int fds[2], saved = dup(2);
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	dup2(fds[1], 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void print_all(void)
{
	lt_err("python", "cannot read %s", "x");
	lt_warn("go", "pid %d", 1);
	lt_info(NULL, "tracing %s", "all processes");
	lt_verbose("go", "uprobe %s", "runtime.gopark");
}

static void test_stderr_and_verbose(void **state)
{
	lt_log_set_verbose(false);
	assert_string_equal(captured(print_all),
			    "leaktrace: python: cannot read x\n"
			    "leaktrace: warning: go: pid 1\n"
			    "leaktrace: tracing all processes\n");
	lt_log_set_verbose(true);
	assert_true(lt_log_is_verbose());
	assert_non_null(strstr(captured(print_all), "\nleaktrace: go: uprobe runtime.gopark\n"));
	lt_log_set_verbose(false);
}

static void test_set_err(void **state)
{
	char err[8] = "unset";

	lt_set_err(err, sizeof(err), "pid %d: gone", 1234);
	assert_string_equal(err, "pid 123");	/* cut, NUL-terminated */
	lt_set_err(NULL, 0, "nothing");
	lt_set_err(err, 0, "nothing");
	assert_string_equal(err, "pid 123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_stderr_and_verbose),
		cmocka_unit_test(test_set_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
