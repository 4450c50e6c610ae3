// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect/go/go_netpoll.c: epoll fdinfo lines parsed (real and garbage),
 * event data decoded to a pollDesc as a plain pointer and as the tagged
 * pointers go1.22+ packs (measured: go1.26 data 3fba4cc316000002 names the
 * pollDesc at 0x7f7499862c00), checked against the pollDesc's fd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collect/go/go_netpoll.h"

static const char fdinfo[] =
	"pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t18\n"
	"tfd:        3 events: 8000201d data: 3fba4cc316000002  pos:0 ino:5f50b6 sdev:9\n"
	"tfd:        6 events:       19 data:                0  pos:0 ino:12 sdev:10\n"
	"tfd:        9 events: 8000201d data:     c000180000  pos:0 ino:5f5194 sdev:9\n";

static void test_parse(void **state)
{
	struct go_poll_reg r[8];
	size_t n = go_netpoll__parse_fdinfo(fdinfo, strlen(fdinfo), r, 8);

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(r[0].fd, 3);
	assert_true(r[0].data == 0x3fba4cc316000002ull);
	assert_int_equal(r[1].fd, 6);
	assert_true(r[1].data == 0);
	assert_int_equal(r[2].fd, 9);
	assert_true(r[2].data == 0xc000180000ull);
	/* bounded by max */
	assert_int_equal(go_netpoll__parse_fdinfo(fdinfo, strlen(fdinfo), r, 1), 1);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "tfd:", "tfd: -3 events: 1 data: 5\n", "tfd: x events: 1 data: 5\n",
		"tfd: 3 events: 1\n", "\n\n\n", "tfd: 3 events: 1 data:",
	};
	struct go_poll_reg r[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(go_netpoll__parse_fdinfo(bad[i], strlen(bad[i]), r, 4), 0);
}

/* A made-up target: one pollDesc of fd 3 at PD, holding g G in word 4. */
#define PD 0x7f7499862c00ull
#define G 0xc000003180ull

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint64_t words[6] = { 0, 3, 7, 0, G, 0 };

	(void)ctx;
	if (addr != PD || len > sizeof(words))
		return -14;
	memcpy(buf, words, len);
	return 0;
}

static void test_pd(void **state)
{
	struct go_poll_reg plain = { .fd = 3, .data = PD };
	struct go_poll_reg tagged18 = { .fd = 3, .data = 0x3fba4cc316000002ull };
	struct go_poll_reg tagged19 = { .fd = 3, .data = (PD << 16) | 5 };
	struct go_poll_reg other_fd = { .fd = 4, .data = PD };
	struct go_poll_reg nothing = { .fd = 6, .data = 0 };
	uint64_t w[6];

	(void)state;
	assert_true(go_netpoll__pd(&plain, fake_read, NULL, w) == PD);
	assert_true(w[4] == G);
	assert_true(go_netpoll__pd(&tagged18, fake_read, NULL, w) == PD);
	assert_true(go_netpoll__pd(&tagged19, fake_read, NULL, w) == PD);
	/* a pollDesc of another fd, or no pointer: not one */
	assert_true(go_netpoll__pd(&other_fd, fake_read, NULL, w) == 0);
	assert_true(go_netpoll__pd(&nothing, fake_read, NULL, w) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_pd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
