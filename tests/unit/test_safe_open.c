// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of util/safe_open.c: what -o may be (a table of refusals, in a
 * temporary directory), and a line cut by a full disk ended on open. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/safe_open.h"

static char dir[] = "/tmp/lt-safe-open-XXXXXX";

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *content)
{
	char p[256];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *read_file(const char *name)
{
	static char buf[256];
	char p[256];
	size_t n;
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	char p[256], q[256];

	if (!mkdtemp(dir))
		return -1;
	write_file("victim", "precious\n");
	write_file("plain", "x\n");
	path_of(p, sizeof(p), "victim");
	path_of(q, sizeof(q), "link");
	if (symlink(p, q))
		return -1;
	path_of(q, sizeof(q), "hard");
	if (link(p, q))
		return -1;
	write_file("theirs", "");
	path_of(p, sizeof(p), "theirs");
	if (geteuid() == 0 && chown(p, 65534, 65534))
		return -1;
	path_of(p, sizeof(p), "fifo");
	return mkfifo(p, 0600);
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* safe_output_check: the one check of every format's -o, at start */
static void test_output_check(void **state)
{
	static const struct {
		const char *name;	/* in dir, or an absolute path */
		const char *why;	/* NULL: accepted */
	} cases[] = {
		{ "plain", NULL },
		{ "new-file", NULL },
		{ "link", "is a symbolic link" },
		{ "hard", "has more than one hard link" },
		{ "theirs", "owned by another user (uid 65534)" },
		{ "fifo", "not a regular file" },
		{ "no-such-dir/x", "No such file or directory" },
		{ "/proc/self/status", "on procfs, a kernel interface" },
		{ "/proc/new-file", "on procfs, a kernel interface" },
		{ "/sys/kernel/x", "on sysfs, a kernel interface" },
		{ "/dev/null", "not a regular file" },
		{ "/dev/shm/lt-safe-open-x", "under /dev, where kernel interfaces live" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[256], err[512];
		int r;

		if (cases[i].name[0] == '/')
			snprintf(p, sizeof(p), "%s", cases[i].name);
		else
			path_of(p, sizeof(p), cases[i].name);
		if (geteuid() && !strcmp(cases[i].name, "theirs"))
			continue;	/* needs root to chown */
		err[0] = '\0';
		r = safe_output_check(p, err, sizeof(err));
		if (!cases[i].why) {
			if (r)
				fail_msg("%s: refused: %s", p, err);
			continue;
		}
		if (!r || !strstr(err, cases[i].why) || strncmp(err, p, strlen(p)))
			fail_msg("%s: got %d '%s', want '%s'", p, r, err, cases[i].why);
	}
	assert_string_equal(read_file("victim"), "precious\n");
}

/* a file whose last line was cut: the next open ends it first */
static void test_cut_line_ended(void **state)
{
	static const struct {
		const char *before, *after;
	} cases[] = {
		{ "{\"a\":1}\n{\"b\":", "{\"a\":1}\n{\"b\":\n{\"c\":3}\n" },
		{ "{\"a\":1}\n", "{\"a\":1}\n{\"c\":3}\n" },
		{ "", "{\"c\":3}\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[256], err[512];
		FILE *f;

		write_file("cut.jsonl", cases[i].before);
		path_of(p, sizeof(p), "cut.jsonl");
		f = safe_open_append(p, err, sizeof(err));
		if (!f)
			fail_msg("%s: %s", p, err);
		fputs("{\"c\":3}\n", f);
		fclose(f);
		assert_string_equal(read_file("cut.jsonl"), cases[i].after);
	}
}

/* before a replace the path is checked again: a hard link put there since
 * is not removed */
static void test_replace_rechecks(void **state)
{
	char p[256], victim[256], err[512];
	FILE *f;

	path_of(p, sizeof(p), "profile");
	path_of(victim, sizeof(victim), "victim");
	f = safe_open_replace(p, err, sizeof(err));
	assert_non_null(f);
	fputs("one\n", f);
	fclose(f);
	assert_int_equal(safe_replace_commit(p, err, sizeof(err)), 0);
	assert_string_equal(read_file("profile"), "one\n");

	f = safe_open_replace(p, err, sizeof(err));
	assert_non_null(f);
	fputs("two\n", f);
	fclose(f);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(link(victim, p), 0);
	assert_int_equal(safe_replace_commit(p, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "has more than one hard link"));
	safe_replace_abort(p);
	assert_string_equal(read_file("profile"), "precious\n");
	assert_int_equal(unlink(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_check),
		cmocka_unit_test(test_cut_line_ended),
		cmocka_unit_test(test_replace_rechecks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
