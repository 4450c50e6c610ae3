// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The reachability pass (collect/go/go_reach.c) over a synthetic Go 1.19
 * heap: one span of 64-byte slots, a module whose data points at slot 0,
 * a running goroutine and one blocked receiving from the channel in slot
 * 2. Slot 0 points at slot 1 (the channel unreached: a proof) or at slot 2
 * (reached: none). The same images seed tests/fuzz/fuzz_go_heap.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collect/go/go_reach.h"

#define IMG_SIZE 0x1A000

static void put(uint8_t *b, uint64_t a, uint64_t v, int n)
{
	memcpy(b + a, &v, n);
}

/* The layout of tests/fuzz/corpus/go_heap/chan-{reached,unreached}. */
static uint8_t *image(bool reach_chan)
{
	uint8_t *b = calloc(1, IMG_SIZE);
	uint64_t s = 0x10800, m = 0x11000, g = 0x14400;

	put(b, 0x100 + 65856, 0x10400, 8);	/* mheap_.allspans = {0x10400, 1, 1} */
	put(b, 0x100 + 65864, 1, 8);
	put(b, 0x100 + 65872, 1, 8);
	put(b, 0x10400, s, 8);
	put(b, s + 24, 0x4000, 8);		/* startAddr, npages, freeindex, nelems */
	put(b, s + 32, 1, 8);
	put(b, s + 48, 2, 8);
	put(b, s + 56, 128, 8);
	put(b, s + 72, 0x10A00, 8);		/* allocBits */
	b[s + 99] = 1;				/* mSpanInUse, scan class */
	put(b, s + 104, 64, 8);
	put(b, s + 112, 0x4000 + 128 * 64, 8);
	b[0x10A00] = 0x07;
	put(b, m + 208, 0x12000, 8);		/* data..edata, empty bss */
	put(b, m + 216, 0x12010, 8);
	put(b, m + 224, 0x12010, 8);
	put(b, m + 232, 0x12010, 8);
	put(b, 0x12000, 0x4000, 8);
	put(b, 0x4000, reach_chan ? 0x4080 : 0x4040, 8);
	put(b, 0x13000, 0x13100, 8);		/* allgs */
	put(b, 0x13008, 2, 8);
	put(b, 0x13010, 2, 8);
	put(b, 0x13100, 0x14000, 8);
	put(b, 0x13108, g, 8);
	put(b, 0x14000, 0x15000, 8);		/* goid 1, running */
	put(b, 0x14008, 0x15100, 8);
	put(b, 0x14000 + 144, 2, 4);
	put(b, 0x14000 + 152, 1, 8);
	put(b, g, 0x15200, 8);			/* goid 5, chan receive on slot 2 */
	put(b, g + 8, 0x15300, 8);
	put(b, g + 56, 0x15200, 8);
	put(b, g + 144, 4, 4);
	put(b, g + 152, 5, 8);
	b[g + 176] = 14;
	put(b, g + 328, 0x14800, 8);
	put(b, 0x14800, g, 8);
	put(b, 0x14800 + 80, 0x4080, 8);
	return b;
}

static void read_image(void *ctx, struct go_mem_span *s, size_t n)
{
	const uint8_t *b = ctx;

	for (size_t i = 0; i < n; i++) {
		s[i].ok = s[i].addr <= IMG_SIZE && s[i].len <= IMG_SIZE - s[i].addr;
		if (s[i].ok)
			memcpy(s[i].buf, b + s[i].addr, s[i].len);
	}
}

static int pass(bool reach_chan, struct go_proof **proofs, size_t *n, uint64_t max_bytes)
{
	static struct go_offsets g;
	static struct go_heap_offsets h;
	uint8_t *img = image(reach_chan);
	struct go_reader r = { .read = read_image, .ctx = img };
	struct go_reach_target t = { .reader = &r, .g = &g, .heap = &h, .mheap = 0x100,
				     .firstmoduledata = 0x11000, .allgs = 0x13000,
				     .semtable = 0x16000 };
	struct go_reach_opts o = { .max_bytes = max_bytes };
	struct go_reach_stats st;
	char err[128];
	int ret;

	assert_int_equal(go_offsets__from_table(1, 19, &g, err, sizeof(err)), 0);
	assert_int_equal(go_heap_offsets__from_table(19, &h), 0);
	ret = go_reach__pass(&t, &o, proofs, n, &st);
	free(img);
	return ret;
}

static void test_unreached_channel_is_proven(void **state)
{
	struct go_proof *p;
	size_t n;

	(void)state;
	assert_int_equal(pass(false, &p, &n, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].goid, 5);
	assert_int_equal(p[0].g_addr, 0x14400);
	assert_int_equal(p[0].wait_object, 0x4080);
	assert_int_equal(p[0].kind, GO_WAIT_CHAN);
	assert_non_null(go_reach__find(p, n, 0x14400, 5));
	assert_null(go_reach__find(p, n, 0x14400, 6));	/* another goroutine in that g */
	free(p);
}

static void test_reached_channel_is_not(void **state)
{
	struct go_proof *p;
	size_t n;

	(void)state;
	assert_int_equal(pass(true, &p, &n, 0), 0);
	assert_int_equal(n, 0);
	free(p);
}

static void test_cut_pass_proves_nothing(void **state)
{
	struct go_proof *p;
	size_t n;

	(void)state;
	assert_int_equal(pass(false, &p, &n, 4096), -E2BIG);
	assert_int_equal(n, 0);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreached_channel_is_proven),
		cmocka_unit_test(test_reached_channel_is_not),
		cmocka_unit_test(test_cut_pass_proves_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
