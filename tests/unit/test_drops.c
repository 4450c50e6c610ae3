// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of loss accounting: the drop table every sink iterates, the
 * choice of threads under the per-report capture cap (oldest parks first,
 * everyone captured eventually), the cause of a missing stack, and what the
 * sinks make of threads whose stacks were deferred. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/drops.h"
#include "model/frame.h"
#include "model/report.h"
#include "sinks/findings.h"
#include "sinks/output.h"
#include "collect/stacks/capture_plan.h"

#define SEC 1000000000ULL

static void test_table_names(void **state)
{
	(void)state;
	for (int i = 0; i < DROP_MAX; i++) {
		const char *n = drop_table[i].name;

		assert_non_null(n);
		assert_non_null(drop_table[i].note);
		assert_true(strlen(drop_table[i].note) > 10);
		/* a JSON key and a Prometheus label value as they are */
		for (const char *p = n; *p; p++)
			assert_true(islower((unsigned char)*p) || *p == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, drop_table[j].name);
	}
	/* names readers key on stay what they were */
	assert_string_equal(drop_table[DROP_PROC_COUNTS].name, "proc_counts");
	assert_string_equal(drop_table[DROP_TASK_STORAGE].name, "task_storage");
	assert_string_equal(drop_table[DROP_CAPTURE].name, "capture");
	assert_string_equal(drop_table[DROP_SITES_EVICTED].name, "sites_evicted");
	assert_string_equal(drop_table[DROP_GO_PROCESSES_SKIPPED].name, "go_processes_skipped");
	assert_string_equal(drop_table[DROP_CAPTURE_CAP].note,
			    "threads over the per-report capture cap of 16384, retried next report");
}

static void test_totals(void **state)
{
	struct drop_totals t = {};
	uint64_t lost[DROP_MAX] = {}, drops[DROP_MAX];

	(void)state;
	lost[DROP_CAPTURE_CAP] = 3616;
	drop_totals_add(&t, lost, drops);
	assert_int_equal(drops[DROP_CAPTURE_CAP], 3616);
	lost[DROP_CAPTURE_CAP] = 0;
	lost[DROP_CAPTURE_RAN] = 2;
	drop_totals_add(&t, lost, drops);
	assert_int_equal(drops[DROP_CAPTURE_CAP], 3616);
	assert_int_equal(drops[DROP_CAPTURE_RAN], 2);
	assert_int_equal(drops[DROP_PROC_COUNTS], 0);
}

static void test_select_oldest_first(void **state)
{
	struct capture_want w[] = {
		{ .tid = 10, .parked_ns = 5 }, { .tid = 11, .parked_ns = 9 },
		{ .tid = 12, .parked_ns = 1 }, { .tid = 13, .parked_ns = 9 },
		{ .tid = 14, .parked_ns = 7 },
	};

	(void)state;
	assert_int_equal(capture_plan_select(w, 5, 3), 3);
	assert_int_equal(w[0].tid, 11);	/* equal parks: tid order */
	assert_int_equal(w[1].tid, 13);
	assert_int_equal(w[2].tid, 14);
	assert_int_equal(w[3].tid, 10);	/* deferred */
	assert_int_equal(w[4].tid, 12);
	/* under the cap: all, order kept */
	struct capture_want two[] = { { .tid = 2, .parked_ns = 1 }, { .tid = 1, .parked_ns = 2 } };
	assert_int_equal(capture_plan_select(two, 2, 3), 2);
	assert_int_equal(two[0].tid, 2);
}

/* N threads that stay parked (new ones keep arriving, younger), a cap of K
 * a report: a thread captured once keeps its stack (the cache), the others
 * are asked again; every thread gets its stack, the first ones within
 * ceil(N / K) reports, and none waits behind the newcomers. */
static void test_everyone_captured(void **state)
{
	enum { N = 50, K = 8, NEW_PER_REPORT = 5, REPORTS = 40 };
	struct capture_want w[N + NEW_PER_REPORT * REPORTS];
	uint8_t captured_at[N + NEW_PER_REPORT * REPORTS] = {};
	size_t born = N;

	(void)state;
	for (int rep = 1; rep <= REPORTS; rep++) {
		size_t n = 0, ask;

		for (size_t tid = 0; tid < born; tid++)
			if (!captured_at[tid])	/* parked since report (tid < N ? 0 : born) */
				w[n++] = (struct capture_want){
					.tid = tid,
					.parked_ns = (rep - (tid < N ? 0 : (tid - N) / NEW_PER_REPORT + 1)) * SEC };
		ask = capture_plan_select(w, n, K);
		for (size_t i = 0; i < ask; i++)
			captured_at[w[i].tid] = rep;
		born += NEW_PER_REPORT;
	}
	for (size_t tid = 0; tid < N; tid++) {
		assert_true(captured_at[tid] > 0);
		assert_true(captured_at[tid] <= (N + K - 1) / K);
	}
	/* newcomers (5 a report under a cap of 8) wait at most their turn */
	for (size_t tid = N; tid < born - NEW_PER_REPORT * 3; tid++)
		assert_true(captured_at[tid] > 0);
}

static void test_miss_reasons(void **state)
{
	(void)state;
	assert_int_equal(capture_miss_reason(-ESTALE), DROP_CAPTURE_RAN);
	assert_int_equal(capture_miss_reason(-ESRCH), DROP_CAPTURE_EXITED);
	assert_int_equal(capture_miss_reason(-EBADF), DROP_CAPTURE_FAILED);
	assert_int_equal(capture_drop_errno(DROP_CAPTURE_CAP), -EAGAIN);
	assert_int_equal(capture_drop_errno(DROP_CAPTURE_RAN), -ESTALE);
	assert_int_equal(capture_drop_errno(DROP_CAPTURE_EXITED), -ESRCH);
	assert_int_equal(capture_drop_errno(DROP_CAPTURE_NO_FRAMES), -ENODATA);
}

static struct frame frames[] = {
	{ .function = "park_forever", .offset = 0x10, .module = "/usr/bin/leaky" },
	{ .function = "start_thread", .offset = 0x9, .module = "/usr/lib/libc.so.6" },
};

/* 3 threads of pid 42 parked at one stack; the first `deferred` of them
 * not captured yet (the cap), grouped by their wait as the judge does. */
static void build(struct report *r, int deferred, int step)
{
	struct site_report *s;

	memset(r, 0, sizeof(*r));
	r->mono_ns = (1000ULL + step) * SEC;
	r->real_ns = 1700000000ULL * SEC;
	for (int i = 0; i < 3; i++) {
		struct thread_report *t = report_add_thread(r);
		struct proc_report *p = report_proc(r, 42);

		*t = (struct thread_report){ .pid = 42, .tid = 100 + i, .state = 'S',
					     .parked_ns = (20ULL + step) * SEC, .verdict = VERDICT_LEAK };
		t->age_ns = t->parked_ns + 1;
		memcpy(t->comm, "svc", 4);
		p->parked++;
		p->alive = true;
		if (i < deferred) {
			t->stack_err = -EAGAIN;
			t->stack_deferred = true;
			t->group = 0xfeed;	/* the wait's shape */
			t->site_index = 1;
			r->lost[DROP_CAPTURE_CAP]++;
			r->capture_failures++;
			continue;
		}
		t->user_stack = frames;
		t->n_user = 2;
		t->stacks_borrowed = true;
		t->site = t->group = 0xaaaa;
	}
	s = report_add_site(r);
	*s = (struct site_report){ .pid = 42, .group = 0xaaaa, .site = 0xaaaa,
				   .n_units = 3 - deferred, .verdict = VERDICT_LEAK,
				   .reason = "grows", .first_unit = deferred };
	s = report_add_site(r);
	*s = (struct site_report){ .pid = 42, .group = 0xfeed, .n_units = deferred,
				   .stacks_deferred = deferred, .verdict = VERDICT_LEAK,
				   .reason = "grows", .first_unit = 0 };
	if (!deferred)
		r->n_sites = 1;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *run_events(struct findings *fs, struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(output_json_events(f, r, fs), 0);
	fclose(f);
	return buf;
}

/* --events: a deferred thread is new without its stack, then changed with
 * it; the wait-shaped group of deferred threads is never a site finding. */
static void test_events_stacks_later(void **state)
{
	struct findings *fs = findings__new_kinds(FINDINGS_ALL);
	struct report r;
	char *out;

	(void)state;
	build(&r, 2, 0);
	out = run_events(fs, &r);
	assert_int_equal(count(out, "\"type\":\"thread\",\"event\":\"new\""), 3);
	assert_int_equal(count(out, "\"stack_deferred\":true"), 2);
	assert_int_equal(count(out, "\"stack_error\":-11"), 2);
	assert_int_equal(count(out, "\"type\":\"site\",\"event\":\"new\""), 1);
	assert_null(strstr(out, "00000000000feed"));
	free(out);
	report_free(&r);

	build(&r, 0, 1);
	out = run_events(fs, &r);
	/* the two threads again, with their stacks; the site grows to 3 */
	assert_int_equal(count(out, "\"type\":\"thread\",\"event\":\"changed\""), 2);
	assert_int_equal(count(out, "\"user_stack\":[\"park_forever+0x10\""), 3);
	assert_int_equal(count(out, "\"type\":\"site\",\"event\":\"changed\""), 1);
	assert_int_equal(count(out, "\"event\":\"gone\""), 0);
	assert_int_equal(count(out, "\"event\":\"new\""), 0);
	free(out);
	report_free(&r);

	/* nothing more to say next time */
	build(&r, 0, 2);
	out = run_events(fs, &r);
	assert_int_equal(count(out, "\"event\""), 0);
	free(out);
	report_free(&r);
	findings__free(fs);
}

/* The text note names the cause; the JSON record has one key per row. */
static void test_sinks_name_the_cause(void **state)
{
	struct drop_totals t = {};
	struct report r;
	char *buf = NULL, key[64];
	size_t len = 0;
	FILE *f;

	(void)state;
	build(&r, 2, 0);
	drop_totals_add(&t, r.lost, r.drops);
	f = open_memstream(&buf, &len);
	output_text(f, &r);
	fclose(f);
	assert_non_null(strstr(buf, "note: 2 threads over the per-report capture cap of 16384, "
				    "retried next report [capture_cap]\n"));
	assert_non_null(strstr(buf, "dropped since start: capture_cap=2\n"));
	assert_null(strstr(buf, "woke or exited"));
	free(buf);

	f = open_memstream(&buf, &len);
	output_json(f, &r);
	fclose(f);
	for (int i = 0; i < DROP_MAX; i++) {
		snprintf(key, sizeof(key), "\"%s\":%d", drop_table[i].name, i == DROP_CAPTURE_CAP ? 2 : 0);
		assert_non_null(strstr(buf, key));
	}
	assert_non_null(strstr(buf, "\"capture_failures\":2,"));
	free(buf);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_select_oldest_first),
		cmocka_unit_test(test_everyone_captured),
		cmocka_unit_test(test_miss_reasons),
		cmocka_unit_test(test_events_stacks_later),
		cmocka_unit_test(test_sinks_name_the_cause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
