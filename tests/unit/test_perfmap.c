// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* perf maps (perfmap.c): the formats runtimes write, lookups at entry
 * bounds, replaced code, and garbage (bad numbers, long names, binary
 * bytes, random input). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/stacks/perfmap.h"

static const char node_map[] =
	"7f82d80855c0 378 JS:~blockForever /tmp/lt/blk.js:6:24\n"
	"37cd32d944a6 32 JS:~blockForever /tmp/lt/blk.js:6:24\n"
	"0x1000 0x10 jvm::Foo.bar(I)V\r\n"	/* JVM style, CRLF */
	"1010 10 first\n"
	"1010 20 replaced\n"			/* same start later: new code */
	"2000 100 outer\n"
	"2010 10 inner\n";

static void test_parse_and_find(void **state)
{
	struct perf_map_entry *e;
	const struct perf_map_entry *hit;
	size_t n;

	(void)state;
	assert_int_equal(perf_map_parse(node_map, strlen(node_map), &e, &n), 0);
	assert_int_equal(n, 6);
	hit = perf_map_find(e, n, 0x7f82d80855c0 + 0xdc);
	assert_non_null(hit);
	assert_string_equal(hit->name, "JS:~blockForever /tmp/lt/blk.js:6:24");
	assert_null(perf_map_find(e, n, 0x7f82d80855c0 + 0x378));	/* end is exclusive */
	assert_string_equal(perf_map_find(e, n, 0x1000)->name, "jvm::Foo.bar(I)V");
	assert_string_equal(perf_map_find(e, n, 0x1025)->name, "replaced");
	assert_string_equal(perf_map_find(e, n, 0x2015)->name, "inner");
	assert_string_equal(perf_map_find(e, n, 0x2050)->name, "outer");	/* look back */
	assert_null(perf_map_find(e, n, 0xfff));
	assert_null(perf_map_find(e, n, 0x2100));
	assert_null(perf_map_find(e, 0, 0x1000));
	perf_map_entries_free(e, n);
}

static void test_garbage(void **state)
{
	static const char bad[] =
		"\n"
		"zz 10 name\n"			/* not hex */
		"1000\n"			/* no size */
		"1000 10\n"			/* no name */
		"1000 0 empty\n"		/* zero size */
		"ffffffffffffffff 10 wraps\n"	/* end overflows */
		"11111111111111111 10 long\n"	/* 17 digits */
		"3000 10 ok\x01\xff\n"		/* binary bytes escaped */
		"4000 10 no newline at end";
	char longline[2000];
	struct perf_map_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(perf_map_parse(bad, sizeof(bad) - 1, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(perf_map_find(e, n, 0x3000)->name, "ok\\x01\\xff");
	assert_string_equal(perf_map_find(e, n, 0x4005)->name, "no newline at end");
	perf_map_entries_free(e, n);

	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "5000 10 ", 8);
	assert_int_equal(perf_map_parse(longline, sizeof(longline), &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(e[0].name), PERF_MAP_MAX_NAME);
	perf_map_entries_free(e, n);

	assert_int_equal(perf_map_parse("", 0, &e, &n), 0);
	assert_int_equal(n, 0);
	perf_map_entries_free(e, n);

	srand(7);
	for (int round = 0; round < 500; round++) {
		char buf[512];
		size_t len = (size_t)(rand() % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = "0123456789abcdefx \n\r\t\xff"[rand() % 22];
		assert_int_equal(perf_map_parse(buf, len, &e, &n), 0);
		for (int k = 0; k < 20; k++)
			(void)perf_map_find(e, n, (uint64_t)rand() << 8);
		perf_map_entries_free(e, n);
	}
}

/* A process's own map, named by its pid: frames that are bare addresses
 * get names, other frames stay. */
static void test_name_frames(void **state)
{
	char path[64];
	struct perf_maps *pm = perf_maps__new();
	struct frame_builder b = {};
	const struct frame in[] = {
		{ .kind = FRAME_JIT, .pc = 0x7010 },
		{ .module = "/lib/libc.so.6", .offset = 0x10, .pc = 0x7020 },
		{ .kind = FRAME_JIT, .pc = 0x9000 },
	};
	FILE *f;

	(void)state;
	assert_int_equal(perf_map_nspid(getpid()), getpid());
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "7000 100 JS:*hot\n");
	fclose(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(frame_builder__push(&b, &in[i]), 0);
	assert_int_equal(perf_maps__name_frames(pm, getpid(), &b), 1);
	assert_string_equal(b.frames[0].function, "JS:*hot");
	assert_int_equal(b.frames[0].offset, 0x10);
	assert_int_equal(b.frames[0].kind, FRAME_JIT);
	assert_null(b.frames[1].function);
	assert_null(b.frames[2].function);
	frame_builder__free(&b);
	unlink(path);
	perf_maps__free(pm);
}

/* A FIFO where the map should be (its owner's choice): refused at once,
 * not waited on (a blocking open would hang here), and not reopened until
 * it changes. */
static void test_fifo_map(void **state)
{
	char path[64];
	struct perf_maps *pm = perf_maps__new();
	struct frame_builder b = {};
	const struct frame jit = { .kind = FRAME_JIT, .pc = 0x7010 };

	(void)state;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(frame_builder__push(&b, &jit), 0);
	assert_int_equal(perf_maps__name_frames(pm, getpid(), &b), 0);
	assert_null(b.frames[0].function);
	usleep(150000);	/* past the recheck interval: stat says unchanged */
	assert_int_equal(perf_maps__name_frames(pm, getpid(), &b), 0);
	frame_builder__free(&b);
	unlink(path);
	perf_maps__free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_find),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_name_frames),
		cmocka_unit_test(test_fifo_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
