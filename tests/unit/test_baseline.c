// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* judge/baseline.c through its key seam: pids 100-199 are one service
 * (key 7), 200-299 another (key 9), 300+ unknown; pids ending in 5 are
 * 1 s old, the rest an hour. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "judge/baseline.h"
#include "judge/units.h"

#define NS 1000000000ULL

static uint64_t fake_key(void *ctx, const struct report *r, uint32_t pid, uint64_t *age_ns)
{
	(void)ctx, (void)r;
	*age_ns = pid % 10 == 5 ? 1 * NS : 3600 * NS;
	return pid < 200 ? 7 : pid < 300 ? 9 : 0;
}

static struct site_report site(uint32_t pid, uint64_t group, uint32_t units)
{
	return (struct site_report){ .pid = pid, .group = group, .n_units = units };
}

static enum site_baseline check(struct baselines *b, const struct report *r, uint32_t pid,
				uint64_t group, uint32_t units)
{
	struct site_report s = site(pid, group, units);

	return baselines__site(b, r, &s, UNIT_THREAD);
}

static void test_forming_and_restart(void **state)
{
	struct baseline_opts o = { .key = fake_key, .after_ns = 60 * NS };
	struct baselines *b = baselines__new(&o);
	struct report r = { .mono_ns = 1000 * NS };

	(void)state;
	assert_non_null(b);
	/* first report of service 7: its sites are the baseline */
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 0xa, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 102, 0xb, 2), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 102, 0xa, 2), BASELINE_NORMAL);	/* max of processes */
	assert_int_equal(check(b, &r, 300, 0xa, 1), BASELINE_PENDING);	/* unknown service */
	assert_int_equal(check(b, &r, 205, 0xa, 1), BASELINE_PENDING);	/* too young */
	baselines__commit(b);
	/* later: same sites normal, more units grew, other sites new */
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 0xa, 2), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 101, 0xa, 3), BASELINE_GREW);
	assert_int_equal(check(b, &r, 102, 0xc, 1), BASELINE_NEW);
	assert_int_equal(check(b, &r, 102, 0xb, 1), BASELINE_NORMAL);
	/* a thread site and a goroutine site with one id are two sites */
	struct site_report g = site(101, 0xa, 1);

	assert_int_equal(baselines__site(b, &r, &g, UNIT_GOROUTINE), BASELINE_NEW);
	/* a restarted process (new pid, same service): the baseline holds */
	assert_int_equal(check(b, &r, 150, 0xa, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 150, 0xd, 1), BASELINE_NEW);
	/* a restarted process younger than after_ns: its service's baseline
	 * is formed, it is read against it at once */
	assert_int_equal(check(b, &r, 155, 0xa, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 155, 0xd, 2), BASELINE_NEW);
	/* service 9 forms once its process is old enough */
	assert_int_equal(check(b, &r, 201, 0xe, 1), BASELINE_NORMAL);
	baselines__commit(b);
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 201, 0xf, 1), BASELINE_NEW);
	assert_int_equal(check(b, &r, 201, 0xe, 1), BASELINE_NORMAL);
	baselines__commit(b);
	baselines__free(b);
}

/* A report whose judging failed (no commit) forms the baseline again. */
static void test_uncommitted(void **state)
{
	struct baseline_opts o = { .key = fake_key };
	struct baselines *b = baselines__new(&o);
	struct report r = { .mono_ns = 1000 * NS };

	(void)state;
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 0xa, 1), BASELINE_NORMAL);
	/* no commit */
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 0xb, 1), BASELINE_NORMAL);
	baselines__commit(b);
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 0xa, 1), BASELINE_NEW);
	assert_int_equal(check(b, &r, 101, 0xb, 1), BASELINE_NORMAL);
	baselines__free(b);
}

/* Bounds: services and sites per service beyond the limits are not kept. */
static void test_bounds(void **state)
{
	struct baseline_opts o = { .key = fake_key, .max_services = 1, .max_sites = 2 };
	struct baselines *b = baselines__new(&o);
	struct report r = { .mono_ns = 1000 * NS };

	(void)state;
	baselines__begin(b, &r);
	for (uint64_t g = 1; g <= 5; g++)
		assert_int_equal(check(b, &r, 101, g, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 201, 1, 1), BASELINE_PENDING);	/* no room */
	baselines__commit(b);
	baselines__begin(b, &r);
	assert_int_equal(check(b, &r, 101, 1, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 101, 2, 1), BASELINE_NORMAL);
	assert_int_equal(check(b, &r, 101, 3, 1), BASELINE_NEW);	/* not kept */
	baselines__free(b);
	assert_string_equal(site_baseline_name(BASELINE_GREW), "grew");
}

/* The state file: what one run saved, the next one takes whole; a text
 * that is not a whole version-1 file is refused and changes nothing. */
static void test_save_load(void **state)
{
	struct baseline_opts o = { .key = fake_key, .max_sites = 4 };
	struct baselines *b = baselines__new(&o), *b2 = baselines__new(&o);
	struct report r = { .mono_ns = 1000 * NS };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_false(baselines__changed(b));
	baselines__begin(b, &r);
	check(b, &r, 101, 0xb, 2);
	check(b, &r, 101, 0xa, 1);
	check(b, &r, 201, 0xe, 3);
	baselines__commit(b);
	assert_true(baselines__changed(b));
	assert_false(baselines__changed(b));	/* said once */
	baselines__begin(b, &r);
	check(b, &r, 102, 0xc, 1);		/* formed services do not change */
	baselines__commit(b);
	assert_false(baselines__changed(b));
	assert_int_equal(baselines__save(b, f), 0);
	fclose(f);
	assert_string_equal(text, "leaktrace-baselines 1\n"
			    "service 0000000000000007 2\n"
			    "site 0 000000000000000a 1\n"
			    "site 0 000000000000000b 2\n"
			    "service 0000000000000009 1\n"
			    "site 0 000000000000000e 3\n");

	/* a new run takes it: service 7 is formed from its first report on */
	assert_int_equal(baselines__load(b2, text, len), 0);
	baselines__begin(b2, &r);
	assert_int_equal(check(b2, &r, 150, 0xa, 1), BASELINE_NORMAL);
	assert_int_equal(check(b2, &r, 150, 0xb, 3), BASELINE_GREW);
	assert_int_equal(check(b2, &r, 150, 0xc, 1), BASELINE_NEW);
	assert_int_equal(check(b2, &r, 250, 0xe, 3), BASELINE_NORMAL);
	baselines__commit(b2);

	static const char *const bad[] = {
		"",
		"leaktrace-baselines 2\nservice 0000000000000007 0\n",	/* another version */
		"{\"foreign\": true}\n",
		"leaktrace-baselines 1\nservice 0000000000000007 2\nsite 1 000000000000000a 1\n",	/* short */
		"leaktrace-baselines 1\nservice 0000000000000007 1\nsite 1 000000000000000a 1\nsite 1 000000000000000b 1\n",
		"leaktrace-baselines 1\nsite 1 000000000000000a 1\n",	/* site of no service */
		"leaktrace-baselines 1\nservice 0000000000000009 0\nservice 0000000000000007 0\n",	/* unsorted */
		"leaktrace-baselines 1\nservice 0000000000000007 0\nservice 0000000000000007 0\n",	/* twice */
		"leaktrace-baselines 1\nservice 0000000000000007 5\n",	/* over max_sites */
		"leaktrace-baselines 1\nservice 0000000000000000 0\n",	/* key 0 */
		"leaktrace-baselines 1\nservice 0000000000000007 1\nsite 300 000000000000000a 1\n",
		"leaktrace-baselines 1\nservice 0000000000000007 2\nsite 1 000000000000000b 1\nsite 1 000000000000000a 1\n",
		"leaktrace-baselines 1\nservice 0000000000000007 1\nsite 1 000000000000000a 1 extra\n",
		"leaktrace-baselines 1\nservice 0000000000000007 0 \n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(baselines__load(b2, bad[i], strlen(bad[i])), -EINVAL);
	assert_int_equal(baselines__load(b2, "leaktrace-baselines 1\n\0", 23), -EINVAL);
	/* refused texts left the loaded baselines as they were */
	baselines__begin(b2, &r);
	assert_int_equal(check(b2, &r, 150, 0xa, 1), BASELINE_NORMAL);
	baselines__commit(b2);
	free(text);
	baselines__free(b);
	baselines__free(b2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forming_and_restart),
		cmocka_unit_test(test_uncommitted),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests_name("baselines", tests, NULL, NULL);
}
