// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Byte budget with one LRU list across caches (see mem_budget.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem_budget.h"

#define UNLIMITED_FROM	(1ULL << 60)	/* v1 says "no limit" with ~2^63 */
#define DEFAULT_PERCENT	60

struct cache_slot {
	struct mem_cache_stats st;
	mem_evict_fn evict;
	void *ctx;
};

struct mem_budget {
	uint64_t limit, used;
	struct lru lru;			/* entries that may be evicted */
	struct cache_slot caches[MEM_BUDGET_MAX_CACHES];
	int n_caches;
};

struct mem_budget *mem_budget__shared(void)
{
	static struct mem_budget shared = { .limit = MEM_BUDGET_DEFAULT };

	return &shared;
}

struct mem_budget *mem_budget__new(uint64_t limit)
{
	struct mem_budget *b = calloc(1, sizeof(*b));

	if (b)
		b->limit = limit;
	return b;
}

void mem_budget__free(struct mem_budget *b)
{
	free(b);
}

void mem_budget__set_limit(struct mem_budget *b, uint64_t limit)
{
	b->limit = limit;
}

uint64_t mem_budget__limit(const struct mem_budget *b)
{
	return b->limit;
}

uint64_t mem_budget__used(const struct mem_budget *b)
{
	return b->used;
}

int mem_budget__register(struct mem_budget *b, const char *name, mem_evict_fn evict, void *ctx)
{
	int i;

	for (i = 0; i < b->n_caches; i++)
		if (!strcmp(b->caches[i].st.name, name))
			break;
	if (i == MEM_BUDGET_MAX_CACHES)
		return -ENOSPC;
	if (i == b->n_caches) {
		b->caches[i].st = (struct mem_cache_stats){ .name = name };
		b->n_caches++;
	}
	b->caches[i].evict = evict;
	b->caches[i].ctx = ctx;
	return i;
}

void mem_budget__unregister(struct mem_budget *b, int cache)
{
	if (cache >= 0 && cache < b->n_caches) {
		b->caches[cache].evict = NULL;
		b->caches[cache].ctx = NULL;
	}
}

void mem_budget__add(struct mem_budget *b, struct mem_entry *e, int cache, uint64_t bytes)
{
	*e = (struct mem_entry){ .cache = -1 };
	if (cache < 0 || cache >= b->n_caches)
		return;
	e->cache = cache;
	e->bytes = bytes;
	e->listed = true;
	b->used += bytes;
	b->caches[cache].st.bytes += bytes;
	b->caches[cache].st.entries++;
	lru_push(&b->lru, &e->lru);
}

void mem_budget__resize(struct mem_budget *b, struct mem_entry *e, uint64_t bytes)
{
	if (e->cache < 0)
		return;
	b->used = b->used - e->bytes + bytes;
	b->caches[e->cache].st.bytes = b->caches[e->cache].st.bytes - e->bytes + bytes;
	e->bytes = bytes;
}

void mem_budget__touch(struct mem_budget *b, struct mem_entry *e)
{
	if (e->cache >= 0 && e->listed)
		lru_touch(&b->lru, &e->lru);
}

void mem_budget__unlist(struct mem_budget *b, struct mem_entry *e)
{
	if (e->cache >= 0 && e->listed) {
		lru_unlink(&b->lru, &e->lru);
		e->listed = false;
	}
}

void mem_budget__remove(struct mem_budget *b, struct mem_entry *e)
{
	if (e->cache < 0)
		return;
	mem_budget__unlist(b, e);
	b->used -= e->bytes;
	b->caches[e->cache].st.bytes -= e->bytes;
	b->caches[e->cache].st.entries--;
	e->cache = -1;
	e->bytes = 0;
}

size_t mem_budget__enforce(struct mem_budget *b)
{
	size_t n = 0;

	while (b->used > b->limit && b->lru.tail) {
		struct mem_entry *e = lru_entry(b->lru.tail, struct mem_entry, lru);
		struct cache_slot *c = &b->caches[e->cache];

		if (!c->evict) {
			mem_budget__unlist(b, e);	/* its cache is closing */
			continue;
		}
		c->st.evictions++;
		c->evict(e, c->ctx);
		/* e is freed (removed, off the list) or kept alive by other users:
		 * touch it only when the callback left it on the list */
		if (b->lru.tail == &e->lru)
			mem_budget__unlist(b, e);
		n++;
	}
	return n;
}

int mem_budget__caches(const struct mem_budget *b)
{
	return b->n_caches;
}

struct mem_cache_stats mem_budget__stats(const struct mem_budget *b, int i)
{
	return b->caches[i].st;
}

/* A limit file's value: bytes, or 0 for none ("max", absent, huge). */
static uint64_t read_limit(const char *path)
{
	unsigned long long v;
	char buf[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (sscanf(buf, "%llu", &v) != 1 || v >= UNLIMITED_FROM)
		return 0;
	return v;
}

/* The smallest limit of dir and its ancestors under mount/, 0 for none. */
static uint64_t tree_limit(const char *root, const char *mount, const char *dir,
			   const char *file)
{
	char path[8192], sub[4096];
	uint64_t best = 0;

	snprintf(sub, sizeof(sub), "%s", dir);
	for (;;) {
		uint64_t v = 0;
		char *slash;
		int n = snprintf(path, sizeof(path), "%s%s%s/%s", root, mount, sub, file);

		if (n > 0 && (size_t)n < sizeof(path))
			v = read_limit(path);
		if (v && (!best || v < best))
			best = v;
		slash = strrchr(sub, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return best;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

uint64_t mem_budget__default(const char *root)
{
	char path[4096], line[4096];
	uint64_t limit = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/self/cgroup", root);
	f = fopen(path, "re");
	if (!f)
		return MEM_BUDGET_DEFAULT;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *dir = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!dir)
			continue;
		*dir++ = '\0';
		dir[strcspn(dir, "\n")] = '\0';
		if (!strcmp(dir, "/"))
			dir[0] = '\0';
		if (!strcmp(ctrl + 1, ""))	/* v2, mounted alone or beside v1 */
			limit = min_nonzero(limit, min_nonzero(
				tree_limit(root, "/sys/fs/cgroup", dir, "memory.max"),
				tree_limit(root, "/sys/fs/cgroup/unified", dir, "memory.max")));
		else if (strstr(ctrl + 1, "memory"))
			limit = min_nonzero(limit, tree_limit(root, "/sys/fs/cgroup/memory", dir,
							      "memory.limit_in_bytes"));
	}
	fclose(f);
	return limit ? limit / 100 * DEFAULT_PERCENT : MEM_BUDGET_DEFAULT;
}
