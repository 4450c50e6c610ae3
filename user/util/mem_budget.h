/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One byte budget shared by every per-process cache (unwinder state, symbol
 * tables, perf maps, Go symbol files): each cached entry declares an honest
 * estimate of its bytes, all entries sit on one least-recently-used list,
 * and mem_budget__enforce() evicts from its tail until the total fits.
 * Evicted entries are rebuilt on demand by their cache; evictions are
 * counted per cache. Not thread-safe: the report loop owns it.
 *
 * Eviction runs only in mem_budget__enforce(), never inside add or resize:
 * a cache may hold an entry across calls that add others, and enforcement
 * is called where nothing is held (between two stacks, after a report).
 */
#ifndef LT_UTIL_MEM_BUDGET_H
#define LT_UTIL_MEM_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/lru.h"

#define MEM_BUDGET_MAX_CACHES	8
#define MEM_BUDGET_DEFAULT	(256ULL << 20)	/* with no memory limit to derive it from */

struct mem_entry;

/* Drops the cache's hold on e: frees it (calling mem_budget__remove()), or,
 * when others still use it, leaves it counted until they let go. */
typedef void (*mem_evict_fn)(struct mem_entry *e, void *ctx);

struct mem_cache_stats {
	const char *name;
	uint64_t bytes;		/* what its entries hold now */
	uint64_t entries;
	uint64_t evictions;	/* entries dropped to stay within the budget */
};

struct mem_entry {
	struct lru_node lru;
	uint64_t bytes;
	int cache;		/* -1: not accounted */
	bool listed;		/* on the LRU list (else pinned or not evictable) */
};

struct mem_budget;

/* The budget the caches of this process share; limit MEM_BUDGET_DEFAULT
 * until set. */
struct mem_budget *mem_budget__shared(void);

struct mem_budget *mem_budget__new(uint64_t limit);
void mem_budget__free(struct mem_budget *b);
void mem_budget__set_limit(struct mem_budget *b, uint64_t limit);
uint64_t mem_budget__limit(const struct mem_budget *b);
uint64_t mem_budget__used(const struct mem_budget *b);

/* A cache named name (static storage) whose entries evict calls back:
 * its id (>= 0), or -ENOSPC beyond MEM_BUDGET_MAX_CACHES. A name already
 * registered gets its id again (the callback replaced). */
int mem_budget__register(struct mem_budget *b, const char *name, mem_evict_fn evict, void *ctx);
/* Forget a cache's callback (its entries must be gone). */
void mem_budget__unregister(struct mem_budget *b, int cache);

/* Account e (zeroed or removed before) as bytes of cache, most recently used. */
void mem_budget__add(struct mem_budget *b, struct mem_entry *e, int cache, uint64_t bytes);
/* e grew or shrank to bytes. */
void mem_budget__resize(struct mem_budget *b, struct mem_entry *e, uint64_t bytes);
/* e was just used: last to be evicted. */
void mem_budget__touch(struct mem_budget *b, struct mem_entry *e);
/* Keep e's bytes counted but never pick it (e.g. still referenced elsewhere). */
void mem_budget__unlist(struct mem_budget *b, struct mem_entry *e);
/* e is freed (forgotten or evicted): no longer counted. Idempotent. */
void mem_budget__remove(struct mem_budget *b, struct mem_entry *e);

/* Evict least recently used entries while over the limit. Returns the
 * number evicted. */
size_t mem_budget__enforce(struct mem_budget *b);

/* Stats of cache id i for i < mem_budget__caches(b). */
int mem_budget__caches(const struct mem_budget *b);
struct mem_cache_stats mem_budget__stats(const struct mem_budget *b, int i);

/*
 * The default budget: 60% of the memory limit of our own cgroup (v2
 * memory.max, or v1 memory.limit_in_bytes), leaving the rest for reports,
 * libbpf and the allocator's slack; MEM_BUDGET_DEFAULT when unlimited or
 * unreadable. root is "" (the real /proc and /sys; tests pass a fake tree).
 */
uint64_t mem_budget__default(const char *root);

#endif
