// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect/go/go_semtable.c: the walk of runtime.semtable's treaps over a
 * made-up target (sudogs with children in prev/next and same-address
 * waiters in waitlink, sudog offsets of Go 1.19), a forged cycle (bounded,
 * the rest counted cut), unreadable and misaligned nodes (skipped), an
 * unreadable table, and fields past the read size. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collect/go/go_semtable.h"

#define TAB	0x500000ull			/* runtime.semtable */
#define HEAP	0xc000100000ull			/* the sudogs */
#define NODES	8
#define SUDOG	128

/* Go 1.19's sudog: g 0, next 8, prev 16, elem 24, waitlink 64 */
static const struct go_sema_fields f119 = { .g = 0, .elem = 24, .prev = 16, .next = 8,
					    .waitlink = 64 };

struct target {
	uint8_t tab[SEMTAB_SIZE * SEMTAB_STRIDE];
	uint8_t heap[NODES * SUDOG];
	int reads;
};

static void put(uint8_t *b, uint32_t off, uint64_t v) { memcpy(b + off, &v, sizeof(v)); }
static uint64_t node(int i) { return HEAP + (uint64_t)i * SUDOG; }

/* sudog i: waiter g, semaphore addr, links to other nodes (-1: none) */
static void sudog(struct target *t, int i, uint64_t g, uint64_t addr, int prev, int next,
		  int waitlink)
{
	uint8_t *s = t->heap + i * SUDOG;

	put(s, f119.g, g);
	put(s, f119.elem, addr);
	put(s, f119.prev, prev < 0 ? 0 : node(prev));
	put(s, f119.next, next < 0 ? 0 : node(next));
	put(s, f119.waitlink, waitlink < 0 ? 0 : node(waitlink));
}

static int target_read(const void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct target *t = (struct target *)ctx;

	t->reads++;
	if (addr == TAB && len == sizeof(t->tab)) {
		memcpy(buf, t->tab, len);
		return 0;
	}
	if (addr >= HEAP && addr + len <= HEAP + sizeof(t->heap)) {
		memcpy(buf, t->heap + (addr - HEAP), len);
		return 0;
	}
	return -EFAULT;
}

struct seen {
	uint64_t g[64], addr[64];
	int n;
};

static int record(void *ctx, uint64_t s, uint64_t g, uint64_t addr)
{
	struct seen *v = ctx;

	(void)s;
	if (v->n < 64) {
		v->g[v->n] = g;
		v->addr[v->n++] = addr;
	}
	return 0;
}

static bool has(const struct seen *v, uint64_t g, uint64_t addr)
{
	for (int i = 0; i < v->n; i++)
		if (v->g[i] == g && v->addr[i] == addr)
			return true;
	return false;
}

static struct target t;

static void test_walk(void **state)
{
	struct seen v = { 0 };
	uint64_t cut = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* root 0 in bucket 3: children 1 (prev) and 2 (next); 2 has a second
	 * waiter of its address (3, waitlink); root 4 in bucket 250 */
	put(t.tab + 3 * SEMTAB_STRIDE, SEMAROOT_TREAP, node(0));
	put(t.tab + 250 * SEMTAB_STRIDE, SEMAROOT_TREAP, node(4));
	sudog(&t, 0, 0xc000001000, 0xc000200004, 1, 2, -1);
	sudog(&t, 1, 0xc000002000, 0xc000200104, -1, -1, -1);
	sudog(&t, 2, 0xc000003000, 0xc000200208, -1, -1, 3);
	sudog(&t, 3, 0xc000004000, 0xc000200208, -1, -1, -1);
	sudog(&t, 4, 0xc000005000, 0xc00020030c, -1, -1, -1);
	assert_int_equal(go_semtable_walk(target_read, &t, TAB, &f119, record, &v, &cut), 0);
	assert_int_equal(v.n, 5);
	assert_true(has(&v, 0xc000001000, 0xc000200004));
	assert_true(has(&v, 0xc000002000, 0xc000200104));
	assert_true(has(&v, 0xc000003000, 0xc000200208));
	assert_true(has(&v, 0xc000004000, 0xc000200208));
	assert_true(has(&v, 0xc000005000, 0xc00020030c));
	assert_true(cut == 0);
}

static void test_forged(void **state)
{
	struct seen v = { 0 };
	uint64_t cut = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* a cycle through every link, a misaligned child, one out of the
	 * target: bounded by MAX_SEMA_NODES visits, the rest cut */
	put(t.tab, SEMAROOT_TREAP, node(0));
	sudog(&t, 0, 0xc000001000, 0xc000200004, 1, 0, 1);
	sudog(&t, 1, 0xc000002000, 0xc000200104, 0, 1, 0);
	put(t.heap + 1 * SUDOG, f119.next, node(1) + 3);		/* misaligned */
	put(t.heap + 0 * SUDOG, f119.waitlink, 0x10);			/* unreadable */
	t.reads = 0;
	assert_int_equal(go_semtable_walk(target_read, &t, TAB, &f119, record, &v, &cut), 0);
	assert_true(cut > 0);
	assert_true(t.reads <= (int)MAX_SEMA_NODES + 1);
	assert_true(has(&v, 0xc000001000, 0xc000200004));
	for (int i = 0; i < v.n; i++)	/* nothing but the forged nodes' pairs */
		assert_true(v.g[i] == 0xc000001000 || v.g[i] == 0xc000002000);
}

static int stop_at_first(void *ctx, uint64_t s, uint64_t g, uint64_t addr)
{
	(void)ctx, (void)s, (void)g, (void)addr;
	return -ENOSPC;
}

static void test_errors(void **state)
{
	struct seen v = { 0 };
	struct go_sema_fields wide = f119;
	uint64_t cut = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* an unreadable table, no table, fields past the read size */
	assert_int_equal(go_semtable_walk(target_read, &t, TAB + 8, &f119, record, &v, &cut), -EFAULT);
	assert_int_equal(go_semtable_walk(target_read, &t, 0, &f119, record, &v, &cut), -EFAULT);
	wide.waitlink = SUDOG_READ_MAX;
	assert_int_equal(go_semtable_walk(target_read, &t, TAB, &wide, record, &v, &cut), -EINVAL);
	/* an empty table visits nothing; a visitor's error stops the walk */
	assert_int_equal(go_semtable_walk(target_read, &t, TAB, &f119, record, &v, &cut), 0);
	assert_int_equal(v.n, 0);
	put(t.tab, SEMAROOT_TREAP, node(0));
	sudog(&t, 0, 0xc000001000, 0xc000200004, -1, -1, -1);
	assert_int_equal(go_semtable_walk(target_read, &t, TAB, &f119, stop_at_first, NULL, &cut),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
