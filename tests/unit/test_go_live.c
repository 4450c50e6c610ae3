// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect/go/go_live.c: live goroutines per creation site across walks:
 * growth, goroutines that ended (a goid missing), parked ones, the one
 * shown, and walks that cannot be trusted (cut, over the bound). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/go/go_live.h"

#define S 1000000000ull

/* One walk: goroutines goid from..to of site key (g at 0x1000 + goid),
 * parked past the threshold when parked. */
static void walk_add(struct go_live *l, uint64_t key, uint64_t from, uint64_t to, bool parked)
{
	for (uint64_t g = from; g <= to; g++)
		go_live__add(l, &(struct go_live_g){ .key = key, .goid = g, .g_addr = 0x1000 + g,
						      .parked = parked, .resting = true });
}

static const struct go_live_site_hist *site(const struct go_live *l, uint64_t key)
{
	for (size_t i = 0; i < l->n_sites; i++)
		if (l->sites[i].key == key)
			return &l->sites[i];
	return NULL;
}

/* a site that grows each walk, none ending: a candidate from the second */
static void test_growth(void **state)
{
	struct go_live l = { 0 };
	const struct go_live_site_hist *h;

	(void)state;
	walk_add(&l, 7, 10, 19, false);
	assert_int_equal(go_live__commit(&l, true, 1 * S), 0);
	h = site(&l, 7);
	assert_non_null(h);
	assert_int_equal(h->fact.live, 10);
	assert_int_equal(h->fact.reports_seen, 1);
	assert_false(go_live__candidate(h));
	walk_add(&l, 7, 10, 29, false);
	assert_int_equal(go_live__commit(&l, true, 3 * S), 0);
	h = site(&l, 7);
	assert_int_equal(h->fact.live, 20);
	assert_int_equal(h->fact.first_live, 10);
	assert_int_equal(h->fact.growth_reports, 1);
	assert_int_equal(h->fact.exited, 0);
	assert_true(h->fact.first_seen_ns == 1 * S);
	assert_true(go_live__candidate(h));
	assert_true(h->rep_g == 0x1000 + 29 && h->rep_goid == 29);	/* the newest */
	go_live__free(&l);
}

/* goroutines that end: counted, never a candidate again */
static void test_exits(void **state)
{
	struct go_live l = { 0 };

	(void)state;
	walk_add(&l, 7, 10, 19, false);
	walk_add(&l, 8, 100, 103, false);
	assert_int_equal(go_live__commit(&l, true, 1 * S), 0);
	/* site 7: 12 and 13 ended, more started; site 8 all gone */
	walk_add(&l, 7, 10, 11, false);
	walk_add(&l, 7, 14, 40, false);
	assert_int_equal(go_live__commit(&l, true, 3 * S), 0);
	assert_int_equal(site(&l, 7)->fact.exited, 2);
	assert_int_equal(site(&l, 7)->fact.live, 29);
	assert_false(go_live__candidate(site(&l, 7)));
	assert_null(site(&l, 8));
	walk_add(&l, 7, 10, 11, false);
	walk_add(&l, 7, 14, 60, false);
	assert_int_equal(go_live__commit(&l, true, 5 * S), 0);
	assert_int_equal(site(&l, 7)->fact.exited, 2);
	assert_int_equal(site(&l, 7)->fact.growth_reports, 2);
	assert_false(go_live__candidate(site(&l, 7)));
	go_live__free(&l);
}

/* most parked past the threshold: the parked rules judge them */
static void test_parked(void **state)
{
	struct go_live l = { 0 };

	(void)state;
	walk_add(&l, 7, 10, 19, true);
	assert_int_equal(go_live__commit(&l, true, 1 * S), 0);
	walk_add(&l, 7, 10, 19, true);
	walk_add(&l, 7, 20, 22, false);
	assert_int_equal(go_live__commit(&l, true, 3 * S), 0);
	assert_int_equal(site(&l, 7)->fact.parked, 10);
	assert_false(go_live__candidate(site(&l, 7)));
	assert_true(site(&l, 7)->rep_goid == 22);
	go_live__free(&l);
}

/* a cut walk is dropped: the goroutines it missed did not end */
static void test_cut_walk(void **state)
{
	struct go_live l = { 0 };

	(void)state;
	walk_add(&l, 7, 10, 19, false);
	assert_int_equal(go_live__commit(&l, true, 1 * S), 0);
	walk_add(&l, 7, 10, 12, false);
	assert_int_equal(go_live__commit(&l, false, 2 * S), 0);
	assert_int_equal(site(&l, 7)->fact.live, 10);
	assert_int_equal(site(&l, 7)->fact.reports_seen, 1);
	walk_add(&l, 7, 10, 25, false);
	assert_int_equal(go_live__commit(&l, true, 3 * S), 0);
	assert_int_equal(site(&l, 7)->fact.exited, 0);
	assert_int_equal(site(&l, 7)->fact.live, 16);
	assert_true(go_live__candidate(site(&l, 7)));
	go_live__free(&l);
}

/* keys of pcs: the same pcs one site */
static void test_key(void **state)
{
	(void)state;
	assert_true(go_live__key(0x401000, 0x402000) == go_live__key(0x401000, 0x402000));
	assert_true(go_live__key(0x401000, 0x402000) != go_live__key(0x401008, 0x402000));
	assert_true(go_live__key(0x401000, 0x402000) != go_live__key(0x402000, 0x401000));
	assert_true(go_live__key(0, 0) != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_exits),
		cmocka_unit_test(test_parked),
		cmocka_unit_test(test_cut_walk),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
