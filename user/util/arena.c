// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

#define ARENA_CHUNK	(64u * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(void *) char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->chunks;
	void *p;

	size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	if (a->max_bytes && a->used + size > a->max_bytes)
		return NULL;
	if (!c || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(sizeof(*c) + want);
		if (!c)
			return NULL;
		c->next = a->chunks;
		c->used = 0;
		c->size = want;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += size;
	a->used += size;
	return p;
}

const char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->chunks;

	if (!keep)
		return;
	a->chunks = keep->next;
	arena_free(a);
	keep->next = NULL;
	keep->used = 0;
	a->chunks = keep;
}

void arena_free(struct arena *a)
{
	while (a->chunks) {
		struct arena_chunk *c = a->chunks;

		a->chunks = c->next;
		free(c);
	}
	a->used = 0;
}
