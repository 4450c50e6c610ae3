// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the byte budget: accounting, LRU order across caches,
 * per-cache eviction counts, and the default derived from a cgroup limit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/threads/live_procs.h"
#include "run/options.h"
#include "model/report.h"
#include "util/mem_budget.h"

struct item {
	struct mem_entry me;
	int id;
	bool evicted;
};

static int evict_order[16], n_evicted;

static void evict_item(struct mem_entry *e, void *ctx)
{
	struct item *it = (struct item *)((char *)e - offsetof(struct item, me));

	mem_budget__remove(ctx, e);
	it->evicted = true;
	evict_order[n_evicted++] = it->id;
}

static void test_accounting(void **state)
{
	struct mem_budget *b = mem_budget__new(1000);
	struct item a = { .id = 1 }, c = { .id = 2 };
	int x = mem_budget__register(b, "x", evict_item, b);
	int y = mem_budget__register(b, "y", evict_item, b);

	assert_int_equal(x, 0);
	assert_int_equal(y, 1);
	assert_int_equal(mem_budget__register(b, "x", evict_item, b), 0);
	mem_budget__add(b, &a.me, x, 300);
	mem_budget__add(b, &c.me, y, 200);
	assert_int_equal(mem_budget__used(b), 500);
	mem_budget__resize(b, &a.me, 400);
	assert_int_equal(mem_budget__used(b), 600);
	assert_int_equal(mem_budget__stats(b, x).bytes, 400);
	assert_int_equal(mem_budget__stats(b, y).entries, 1);
	assert_int_equal(mem_budget__enforce(b), 0);	/* within the limit */
	mem_budget__remove(b, &a.me);
	mem_budget__remove(b, &a.me);			/* idempotent */
	assert_int_equal(mem_budget__used(b), 200);
	assert_int_equal(mem_budget__stats(b, x).entries, 0);
	assert_int_equal(mem_budget__stats(b, x).evictions, 0);
	mem_budget__free(b);
}

static void test_lru_across_caches(void **state)
{
	struct mem_budget *b = mem_budget__new(1000);
	int x = mem_budget__register(b, "unwind", evict_item, b);
	int y = mem_budget__register(b, "symtab", evict_item, b);
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };

	n_evicted = 0;
	mem_budget__add(b, &it[0].me, x, 400);
	mem_budget__add(b, &it[1].me, y, 400);
	mem_budget__add(b, &it[2].me, x, 400);
	mem_budget__touch(b, &it[0].me);	/* 1 is now the least recently used */
	assert_int_equal(mem_budget__used(b), 1200);	/* add never evicts */
	assert_int_equal(mem_budget__enforce(b), 1);
	assert_int_equal(evict_order[0], 1);
	assert_true(it[1].evicted);
	assert_int_equal(mem_budget__stats(b, y).evictions, 1);
	assert_int_equal(mem_budget__stats(b, x).evictions, 0);
	mem_budget__add(b, &it[3].me, y, 900);
	assert_int_equal(mem_budget__enforce(b), 2);	/* 2, then 0 */
	assert_int_equal(evict_order[1], 2);
	assert_int_equal(evict_order[2], 0);
	assert_false(it[3].evicted);		/* alone and over: kept, nothing older */
	assert_int_equal(mem_budget__stats(b, x).evictions, 2);
	assert_int_equal(mem_budget__used(b), 900);
	mem_budget__free(b);
}

static void test_unlisted_never_picked(void **state)
{
	struct mem_budget *b = mem_budget__new(100);
	int x = mem_budget__register(b, "x", evict_item, b);
	struct item a = { .id = 7 }, c = { .id = 8 };

	n_evicted = 0;
	mem_budget__add(b, &a.me, x, 150);
	mem_budget__add(b, &c.me, x, 50);
	mem_budget__unlist(b, &a.me);		/* still referenced elsewhere */
	assert_int_equal(mem_budget__enforce(b), 1);
	assert_int_equal(evict_order[0], 8);
	assert_false(a.evicted);
	assert_int_equal(mem_budget__used(b), 150);	/* counted until freed */
	mem_budget__remove(b, &a.me);
	assert_int_equal(mem_budget__used(b), 0);
	mem_budget__free(b);
}

static void evict_free(struct mem_entry *e, void *ctx)
{
	mem_budget__remove(ctx, e);
	free(e);	/* enforce must not touch it after this */
}

static void evict_keep(struct mem_entry *e, void *ctx)
{
	n_evicted++;	/* still used elsewhere: neither freed nor removed */
}

static void test_evict_callbacks(void **state)
{
	struct mem_budget *b = mem_budget__new(100);
	int fr = mem_budget__register(b, "freed", evict_free, b);
	int kp = mem_budget__register(b, "kept", evict_keep, b);
	struct mem_entry kept;

	n_evicted = 0;
	mem_budget__add(b, &kept, kp, 80);
	for (int i = 0; i < 3; i++)
		mem_budget__add(b, malloc(sizeof(struct mem_entry)), fr, 60);
	/* kept (oldest) is picked, stays counted, is never picked again; the
	 * freed ones go until the total fits or nothing is left to pick */
	assert_int_equal(mem_budget__enforce(b), 4);
	assert_int_equal(n_evicted, 1);
	assert_int_equal(mem_budget__used(b), 80);
	assert_int_equal(mem_budget__stats(b, fr).entries, 0);
	assert_int_equal(mem_budget__stats(b, kp).evictions, 1);
	assert_int_equal(mem_budget__enforce(b), 0);
	mem_budget__remove(b, &kept);
	mem_budget__free(b);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *root, const char *sub)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s%s'", root, sub);
	assert_int_equal(system(cmd), 0);
}

static void test_default_from_cgroup(void **state)
{
	char root[] = "/tmp/lt-membudget-XXXXXX", dir[512];

	assert_non_null(mkdtemp(root));
	/* no /proc/self/cgroup: the fixed default */
	assert_int_equal(mem_budget__default(root), MEM_BUDGET_DEFAULT);

	/* v2: the smallest limit of the cgroup and its ancestors, 60% of it */
	mkdirs(root, "/proc/self");
	mkdirs(root, "/sys/fs/cgroup/a/b");
	write_file(strcat(strcpy(dir, root), "/proc/self"), "cgroup", "0::/a/b\n");
	write_file(strcat(strcpy(dir, root), "/sys/fs/cgroup/a/b"), "memory.max", "max\n");
	assert_int_equal(mem_budget__default(root), MEM_BUDGET_DEFAULT);
	write_file(strcat(strcpy(dir, root), "/sys/fs/cgroup/a"), "memory.max", "536870912\n");
	assert_int_equal(mem_budget__default(root), 536870912ULL / 100 * 60);

	/* v1 memory controller beside v2 (hybrid): its limit counts too */
	mkdirs(root, "/sys/fs/cgroup/memory/lt");
	write_file(strcat(strcpy(dir, root), "/proc/self"), "cgroup",
		   "4:memory:/lt\n0::/a/b\n");
	write_file(strcat(strcpy(dir, root), "/sys/fs/cgroup/memory/lt"),
		   "memory.limit_in_bytes", "268435456\n");
	assert_int_equal(mem_budget__default(root), 268435456ULL / 100 * 60);
	write_file(strcat(strcpy(dir, root), "/sys/fs/cgroup/memory/lt"),
		   "memory.limit_in_bytes", "9223372036854771712\n");	/* v1's "none" */
	assert_int_equal(mem_budget__default(root), 536870912ULL / 100 * 60);

	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	assert_int_equal(system(dir), 0);
}

static uint32_t gone_pids[8];
static int n_gone;

static void on_gone(uint32_t pid, void *ctx)
{
	gone_pids[n_gone++] = pid;
}

static void set_procs(struct report *r, const struct proc_report *p, size_t n)
{
	r->procs = (struct proc_report *)p;
	r->n_procs = n;
}

/* A process is (pid, start): exited ones and reused pids are gone. */
static void test_live_procs(void **state)
{
	struct proc_report first[] = {
		{ .pid = 30, .alive = true, .start_ns = 300 },
		{ .pid = 10, .alive = true, .start_ns = 100 },
		{ .pid = 20, .alive = true, .start_ns = 200 },
	};
	struct proc_report second[] = {
		{ .pid = 10, .alive = true, .start_ns = 100 },	/* same process */
		{ .pid = 20, .alive = true, .start_ns = 250 },	/* pid reused */
		{ .pid = 40, .alive = false, .start_ns = 400 },	/* seen exited only */
	};
	struct live_procs l = {};
	struct report r = {};

	n_gone = 0;
	set_procs(&r, first, 3);
	assert_int_equal(live_procs__update(&l, &r, on_gone, NULL), 0);
	set_procs(&r, second, 3);
	assert_int_equal(live_procs__update(&l, &r, on_gone, NULL), 2);
	assert_int_equal(gone_pids[0], 20);
	assert_int_equal(gone_pids[1], 30);
	set_procs(&r, NULL, 0);
	assert_int_equal(live_procs__update(&l, &r, on_gone, NULL), 2);	/* 10, new 20 */
	assert_int_equal(gone_pids[2], 10);
	assert_int_equal(gone_pids[3], 20);
	live_procs__free(&l);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
		{ "268435456", 268435456ULL }, { "256M", 256ULL << 20 }, { "1G", 1ULL << 30 },
		{ "512K", 512ULL << 10 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "M", "-1M", "+1M", " 1M", "1.5G", "0x10", "010", "1m", "1MB", "1 M", "1T",
		"99999999999999999999", "2000000000G",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_size(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_size(bad[i], &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_lru_across_caches),
		cmocka_unit_test(test_unlisted_never_picked),
		cmocka_unit_test(test_evict_callbacks),
		cmocka_unit_test(test_default_from_cgroup),
		cmocka_unit_test(test_live_procs),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
