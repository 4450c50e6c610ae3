// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Texts of a pc for a Go tracer (go_tracer_impl.h), decoded from the
 * binary's pc tables and cached per tracer (see PC_CACHE_SIZE). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_tracer_impl.h"
#include "util/hash.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_system_func(const char *func)
{
	return !strncmp(func, "runtime.", 8) && strcmp(func, "runtime.main");
}

/*
 * Uncached: the texts of one kind for pc, into texts (n returned). A frame
 * pc yields one text per function it stands for, innermost first: inlined
 * calls ("main.waitOn (main.go:5, inlined)") before the physical function.
 * No text ends a stack walk (runtime.goexit).
 */
static int pc_text_compute(const struct go_tracer *t, uint64_t pc, enum pc_kind kind,
			   char texts[][256])
{
	struct go_frame f[PC_MAX_TEXTS];
	const char *name;
	size_t len = sizeof(texts[0]);
	int n;

	switch (kind) {
	case PC_FRAME:
	case PC_RET_FRAME:
		n = pc ? go_binary__frames(t->bin, pc - t->bias, kind == PC_RET_FRAME, f,
					   PC_MAX_TEXTS) : -ENOENT;
		if (n <= 0) {
			snprintf(texts[0], len, "%#" PRIx64, pc);
			return 1;
		}
		if (!strcmp(f[n - 1].func, "runtime.goexit"))
			return 0;
		for (int i = 0; i < n; i++)
			snprintf(texts[i], len, "%s (%s:%d%s)", f[i].func, base_name(f[i].file),
				 f[i].line, f[i].inlined ? ", inlined" : "");
		return n;
	case PC_CREATED_BY:
		/* the go statement's own function, also when inlined into another */
		n = pc ? go_binary__frames(t->bin, pc - t->bias, true, f, PC_MAX_TEXTS) : -ENOENT;
		if (n > 0)
			snprintf(texts[0], len, "%s at %s:%d", f[0].func, f[0].file, f[0].line);
		else
			snprintf(texts[0], len, pc ? "%#" PRIx64 : "?", pc);
		return 1;
	case PC_START:
		/* the function the go statement called, not the compiler's wrapper */
		if (pc && !go_binary__go_target(t->bin, pc - t->bias, &name))
			snprintf(texts[0], len, "%s", name);
		else if (pc && go_binary__frames(t->bin, pc - t->bias, false, f, 1) > 0)
			snprintf(texts[0], len, "%s", f[0].func);
		else
			snprintf(texts[0], len, pc ? "%#" PRIx64 : "?", pc);
		return 1;
	default:
		n = pc ? go_binary__frames(t->bin, pc - t->bias, false, f, 1) : -ENOENT;
		snprintf(texts[0], len, "%s", n > 0 && is_system_func(f[0].func) ? "1" : "");
		return 1;
	}
}

/* The texts for pc, interned in t->texts; *n of them. */
const char *const *go_tracer__pc_texts(struct go_tracer *t, uint64_t pc, enum pc_kind kind, int *n)
{
	static const char *const unknown[] = { "?" };	/* the arena is full */
	uint64_t key = pc * PC_KINDS + kind + 1;
	struct pc_text *slot = NULL;
	char buf[PC_MAX_TEXTS][256];
	const char **texts;

	if (!t->pcs)
		t->pcs = calloc(PC_CACHE_SIZE, sizeof(*t->pcs));
	/* a garbage pc whose key wraps to 0 (= empty slot) is not cached */
	for (unsigned i = 0; t->pcs && key && i < PC_CACHE_PROBES; i++) {
		struct pc_text *e = &t->pcs[(hash_bytes(0, &key, sizeof(key)) + i) % PC_CACHE_SIZE];

		if (e->key == key) {
			*n = e->n;
			return e->texts;
		}
		if (!e->key) {
			slot = e;
			break;
		}
	}
	*n = pc_text_compute(t, pc, kind, buf);
	texts = arena_alloc(&t->texts, (*n ? *n : 1) * sizeof(*texts));
	for (int i = 0; texts && i < *n; i++)
		if (!(texts[i] = arena_strndup(&t->texts, buf[i], strlen(buf[i]))))
			texts = NULL;
	if (!texts) {
		*n = 1;
		return unknown;
	}
	if (slot)
		*slot = (struct pc_text){ .key = key, .texts = texts, .n = *n };
	return texts;
}

/* The one text of a non-frame kind. */
const char *go_tracer__pc_text(struct go_tracer *t, uint64_t pc, enum pc_kind kind)
{
	int n;
	const char *const *texts = go_tracer__pc_texts(t, pc, kind, &n);

	return n ? texts[0] : "";
}

const char *go_tracer__wait_reason(struct go_tracer *t, uint8_t reason)
{
	char buf[48];
	const char *r;

	if (t->reasons[reason])
		return t->reasons[reason];
	r = go_offsets__wait_reason(&t->off, reason, buf, sizeof(buf));
	r = arena_strndup(&t->texts, r, strlen(r));
	return r ? (t->reasons[reason] = r) : "?";
}

