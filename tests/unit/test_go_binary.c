// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the Go binary parsers on foreign data: the offsets table per
 * Go version, wait reasons, and garbage that must give errors, not crashes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/go/go_binary.h"
#include "collect/go/go_offsets.h"

static void test_offsets_table(void **state)
{
	/* the values measured with gdb/DWARF on Go 1.19 (NOTES-go.md) */
	struct go_offsets o;
	char err[128];

	assert_int_equal(go_offsets__from_table(1, 19, &o, err, sizeof(err)), 0);
	assert_int_equal(o.goid, 152);
	assert_int_equal(o.atomicstatus, 144);
	assert_int_equal(o.waitreason, 176);
	assert_int_equal(o.gopc, 296);
	assert_int_equal(o.startpc, 312);
	assert_int_equal(o.sched_sp, 56);
	assert_int_equal(o.sched_pc, 64);
	assert_int_equal(o.sched_bp, 104);
	assert_true(o.read_size >= o.startpc + 8);
	/* 1.23 added syscallbp: goid and waitreason move */
	assert_int_equal(go_offsets__from_table(1, 23, &o, err, sizeof(err)), 0);
	assert_int_equal(o.goid, 160);
	assert_int_equal(o.waitreason, 184);
	for (int minor = 19; minor <= 27; minor++) {
		assert_int_equal(go_offsets__from_table(1, minor, &o, err, sizeof(err)), 0);
		assert_true(o.read_size >= o.gopc + 8 && o.read_size < 4096);
	}
}

static void test_offsets_unknown_version(void **state)
{
	struct go_offsets o;
	char err[128] = "";

	assert_int_equal(go_offsets__from_table(1, 17, &o, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "go1.17"));
	assert_int_equal(go_offsets__from_table(1, 99, &o, err, sizeof(err)), -ENOTSUP);
	/* newer than the table: the newest row, marked as such, for the caller to verify */
	assert_true(go_offsets__is_newer(1, 28));
	assert_false(go_offsets__is_newer(1, 27));
	assert_false(go_offsets__is_newer(1, 17));
	go_offsets__newest(&o);
	assert_non_null(strstr(o.source, "go1.27"));
	assert_int_equal(go_offsets__from_table(2, 0, &o, err, sizeof(err)), -ENOTSUP);
}

static void test_wait_reasons(void **state)
{
	struct go_offsets o;
	char err[128], buf[64];

	assert_int_equal(go_offsets__from_table(1, 19, &o, err, sizeof(err)), 0);
	assert_string_equal(go_offsets__wait_reason(&o, 15, buf, sizeof(buf)), "chan send");
	assert_string_equal(go_offsets__wait_reason(&o, 14, buf, sizeof(buf)), "chan receive");
	assert_string_equal(go_offsets__wait_reason(&o, 2, buf, sizeof(buf)), "IO wait");
	assert_string_equal(go_offsets__wait_reason(&o, 9, buf, sizeof(buf)), "select");
	assert_non_null(strstr(go_offsets__wait_reason(&o, 250, buf, sizeof(buf)), "250"));
	/* 1.26 reordered the enum: channel waits moved behind the GC ones */
	assert_int_equal(go_offsets__from_table(1, 26, &o, err, sizeof(err)), 0);
	assert_string_equal(go_offsets__wait_reason(&o, 19, buf, sizeof(buf)), "chan receive");
	assert_string_equal(go_offsets__wait_reason(&o, 18, buf, sizeof(buf)), "select");
}

static void test_offsets_compare(void **state)
{
	struct go_offsets a, b;
	char err[128], buf[256];
	const char *const same[] = { "", "GC assist marking" };

	assert_int_equal(go_offsets__from_table(1, 27, &a, err, sizeof(err)), 0);
	b = a;
	assert_int_equal(go_offsets__compare(&a, &b, buf, sizeof(buf)), 0);
	b.goid += 8;
	b.sudog_c += 8;
	assert_int_equal(go_offsets__compare(&a, &b, buf, sizeof(buf)), 2);
	assert_non_null(strstr(buf, "g.goid 152/160"));
	assert_non_null(strstr(buf, "sudog.c"));
	/* a table differing from the binary's names is reported at the first difference */
	assert_true(go_offsets__compare_wait_reasons(&a, same, 2, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "2:"));
	assert_int_equal(go_offsets__compare_wait_reasons(&a, a.wait_reasons, a.n_wait_reasons, buf,
							  sizeof(buf)), 0);
}

/* Write bytes to a temp file; the caller unlinks it. */
static char *temp_file(const void *data, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/lt-gobin-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void expect_rejected(const void *data, size_t len)
{
	char err[256] = "";
	char *path = temp_file(data, len);
	struct go_binary *b = go_binary__open(path, err, sizeof(err));

	unlink(path);
	assert_null(b);
	assert_true(err[0] != '\0');
}

static void test_garbage_rejected(void **state)
{
	unsigned char buf[4096];
	unsigned int seed = 12345;

	expect_rejected("", 0);
	expect_rejected("\x7f" "ELF", 4);
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rand_r(&seed);
		/* half of them look like ELF at first glance */
		if (round % 2)
			memcpy(buf, "\x7f" "ELF\x02\x01\x01", 7);
		expect_rejected(buf, sizeof(buf));
	}
}

static void test_not_go(void **state)
{
	char err[256] = "";
	struct go_binary *b = go_binary__open("/proc/self/exe", err, sizeof(err));

	/* a C program is a valid ELF without Go build info */
	assert_null(b);
	assert_true(err[0] != '\0');
	assert_false(go_binary__is_go(getpid()));
	assert_false(go_binary__is_go(999999999));
}

static void test_truncated_copies(void **state)
{
	/* every truncation of a real ELF (this test) is rejected cleanly */
	FILE *f = fopen("/proc/self/exe", "rb");
	size_t cap = 1 << 20, n;
	unsigned char *data = malloc(cap);

	assert_non_null(f);
	assert_non_null(data);
	n = fread(data, 1, cap, f);
	fclose(f);
	for (size_t len = 0; len < n; len += n / 37 + 1)
		expect_rejected(data, len);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets_table),
		cmocka_unit_test(test_offsets_unknown_version),
		cmocka_unit_test(test_wait_reasons),
		cmocka_unit_test(test_offsets_compare),
		cmocka_unit_test(test_garbage_rejected),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_truncated_copies),
	};

	return cmocka_run_group_tests_name("go_binary", tests, NULL, NULL);
}
