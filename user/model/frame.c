// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/frame.h"
#include "util/hash.h"
#include "util/strpool.h"

#define FRAME_STRINGS	4	/* module, build_id, function, file */

const char *frame__module_base(const struct frame *f)
{
	const char *s;

	if (!f->module)
		return "";
	s = strrchr(f->module, '/');
	return s ? s + 1 : f->module;
}

static const char **frame_string(struct frame *f, int i)
{
	switch (i) {
	case 0:
		return &f->module;
	case 1:
		return &f->build_id;
	case 2:
		return &f->function;
	default:
		return &f->file;
	}
}

static int copy_string(struct arena *a, const char **s)
{
	if (*s && !(*s = arena_strndup(a, *s, strlen(*s))))
		return -ENOMEM;
	return 0;
}

int frame_builder__push(struct frame_builder *b, const struct frame *f)
{
	struct frame *dst;

	if (b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 32;
		struct frame *p = realloc(b->frames, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->frames = p;
		b->cap = cap;
	}
	dst = &b->frames[b->n];
	*dst = *f;
	for (int i = 0; i < FRAME_STRINGS; i++)
		if (copy_string(&b->strings, frame_string(dst, i)))
			return -ENOMEM;
	b->n++;
	return 0;
}

int frame_builder__name(struct frame_builder *b, int i, const char *function)
{
	const char *s = function;

	if (i < 0 || i >= b->n || copy_string(&b->strings, &s))
		return -ENOMEM;
	b->frames[i].function = s;
	return 0;
}

int frame_builder__set_source(struct frame_builder *b, int i, const char *file, uint32_t line)
{
	const char *s = file;

	if (i < 0 || i >= b->n || copy_string(&b->strings, &s))
		return -ENOMEM;
	b->frames[i].file = s;
	b->frames[i].line = line;
	return 0;
}

void frame_builder__reset(struct frame_builder *b)
{
	b->n = 0;
	arena_reset(&b->strings);
}

void frame_builder__free(struct frame_builder *b)
{
	b->n = 0;
	arena_free(&b->strings);
	free(b->frames);
	b->frames = NULL;
	b->cap = 0;
}

/* Strings of one stack, each distinct one once: (hash, offset) pairs. */
struct interned {
	uint64_t hash;
	size_t off;
};

static int intern(struct strpool *pool, struct interned *seen, size_t *n_seen, const char *s,
		  size_t *off)
{
	uint64_t h = hash_string(HASH_SEED, s);

	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i].hash == h && !strcmp(pool->buf + seen[i].off, s)) {
			*off = seen[i].off;
			return 0;
		}
	if (strpool_add(pool, s, strlen(s), off))
		return -ENOMEM;
	seen[(*n_seen)++] = (struct interned){ h, *off };
	return 0;
}

struct frame *frames__copy(const struct frame *frames, int n)
{
	struct strpool pool = { 0 };
	struct interned *seen = NULL;
	size_t n_seen = 0, *offs = NULL, head = (size_t)(n > 0 ? n : 0) * sizeof(*frames);
	struct frame *out = NULL;

	if (n <= 0)
		return NULL;
	seen = malloc((size_t)n * FRAME_STRINGS * sizeof(*seen));
	offs = malloc((size_t)n * FRAME_STRINGS * sizeof(*offs));
	if (!seen || !offs)
		goto out;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < FRAME_STRINGS; k++) {
			const char *s = *frame_string((struct frame *)&frames[i], k);
			size_t *o = &offs[i * FRAME_STRINGS + k];

			*o = SIZE_MAX;
			if (s && intern(&pool, seen, &n_seen, s, o))
				goto out;
		}
	out = malloc(head + pool.len);
	if (!out)
		goto out;
	memcpy(out, frames, head);
	if (pool.len)
		memcpy((char *)out + head, pool.buf, pool.len);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < FRAME_STRINGS; k++) {
			size_t o = offs[i * FRAME_STRINGS + k];

			*frame_string(&out[i], k) = o == SIZE_MAX ? NULL : (char *)out + head + o;
		}
out:
	strpool_free(&pool);
	free(seen);
	free(offs);
	return out;
}

uint64_t frame__hash(uint64_t h, const struct frame *f, bool *in_jit)
{
	char off[24];

	if (f->kind == FRAME_JIT) {
		if (!*in_jit)
			h = hash_string(h, "[jit]");
		*in_jit = true;
		return h;
	}
	*in_jit = false;
	h = hash_string(h, frame__module_base(f));
	if (f->function) {
		h = hash_string(h, f->function);
		/* two Python or Java functions of one name in different files */
		if (f->kind == FRAME_PYTHON || f->kind == FRAME_JAVA)
			h = hash_string(h, f->file ? f->file : "");
		return hash_string(h, f->inlined ? "i" : "");
	}
	/* unnamed: the offset in its file is the same in every process */
	memcpy(off, &(uint64_t){ f->module ? f->offset : f->pc }, sizeof(uint64_t));
	return hash_bytes(h, off, sizeof(uint64_t));
}
