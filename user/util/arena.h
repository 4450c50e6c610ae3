/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Memory handed out in pieces that never move and are freed all at once:
 * interned texts whose pointers outlive many lookups (strpool's buffer
 * moves as it grows; an arena's chunks do not). Bounded by max_bytes. */
#ifndef LT_UTIL_ARENA_H
#define LT_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks;	/* newest first */
	size_t used;			/* bytes handed out, all chunks */
	size_t max_bytes;		/* 0 = unbounded */
};

/* size bytes aligned for pointers; NULL when out of memory or over max_bytes. */
void *arena_alloc(struct arena *a, size_t size);

/* A copy of s[0..len) plus a NUL; NULL as arena_alloc. */
const char *arena_strndup(struct arena *a, const char *s, size_t len);

/* Empty a, keeping its newest chunk for what comes next (a buffer reused
 * per item: no malloc and free of a chunk each time). */
void arena_reset(struct arena *a);

void arena_free(struct arena *a);

#endif
