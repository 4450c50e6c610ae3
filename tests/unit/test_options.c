// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The option table (user/run/options.c): every row is parsed by its group's
 * parser, names and keys are unique, and the texts name the formats of the
 * sink list. (--help, the man page and README against the table:
 * tests/lint/test_docs.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "run/options.h"
#include "sinks/sink.h"

/* A value each kind of argument accepts. */
static const char *sample(const char *arg)
{
	static const char *const samples[][2] = {
		{ "PID", "1" }, { "PATH", "/" }, { "NAME", "nginx" }, { "ID-PREFIX", "3f4e" },
		{ "DURATION", "1s" }, { "FORMAT", "json" }, { "threads|seconds", "threads" },
		{ "FILE", "/tmp/x" }, { "[ADDR]:PORT", "127.0.0.1:9464" }, { "VERDICT", "leak" },
		{ "N", "3" }, { "DIR", "/tmp" }, { "SIZE", "64M" },
	};

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (!strcmp(samples[i][0], arg))
			return samples[i][1];
	return NULL;
}

/* options_parse of "leaktrace --NAME [ARG]" with stdout and stderr in out. */
static int parse_one(const struct option_spec *s, char *out, size_t outlen)
{
	char flag[64];
	char *argv[4] = { "leaktrace", flag, NULL, NULL };
	struct lt_options o;
	int saved_out, saved_err, code;
	FILE *tmp = tmpfile();
	size_t n;

	assert_non_null(tmp);
	snprintf(flag, sizeof(flag), "--%s", s->name);
	if (s->arg)
		argv[2] = (char *)sample(s->arg);
	options_defaults(&o);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	code = options_parse(s->arg ? 3 : 2, argv, &o);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return code;
}

/* A row without its case in the group's parser would do nothing: each one
 * is parsed, and none is refused as unknown or unparsed. */
static void test_every_row_parsed(void **state)
{
	static char out[65536];

	(void)state;
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_spec *s = &option_table[i];

		if (s->arg && !sample(s->arg))
			fail_msg("--%s: add a sample value for '%s' to this test", s->name, s->arg);
		parse_one(s, out, sizeof(out));
		if (strstr(out, "no parser") || strstr(out, "invalid or incomplete"))
			fail_msg("--%s: %s", s->name, out);
	}
}

static void test_rows_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_spec *a = &option_table[i];

		assert_true(a->group > 0 && a->group < OG_N);
		assert_ptr_equal(option_find(a->key), a);
		for (size_t j = i + 1; j < option_table_len; j++)
			assert_string_not_equal(a->name, option_table[j].name);
	}
}

/* -f's texts name the sink list, so a new format changes nothing here. */
static void test_formats_filled(void **state)
{
	const struct option_spec *f = option_find('f');

	(void)state;
	assert_non_null(f);
	assert_non_null(strstr(option_text(f->help), sink_format_names()));
	assert_non_null(strstr(option_text(f->man), sink_format_names()));
	assert_null(strstr(option_text(f->help), "{"));
	assert_string_equal(option_text("plain text"), "plain text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_parsed),
		cmocka_unit_test(test_rows_unique),
		cmocka_unit_test(test_formats_filled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
