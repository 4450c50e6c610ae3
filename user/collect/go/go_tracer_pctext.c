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

static bool is_system_func(const char *func)
{
	return !strncmp(func, "runtime.", 8) && strcmp(func, "runtime.main");
}

/*
 * Uncached: the frames of pc into a (one per function it stands for,
 * innermost first: inlined calls before the physical function; strings in
 * t->texts). No frame ends a stack walk (runtime.goexit). -ENOMEM when the
 * arena is full.
 */
static int pc_frames_compute(struct go_tracer *t, uint64_t pc, bool is_return,
			     struct frame *out)
{
	struct go_frame f[PC_MAX_TEXTS];
	int n = pc ? go_binary__frames(t->bin, pc - t->bias, is_return, f, PC_MAX_TEXTS) : -ENOENT;

	if (n <= 0) {
		out[0] = (struct frame){ .kind = FRAME_NATIVE, .pc = pc };
		return 1;
	}
	if (!strcmp(f[n - 1].func, "runtime.goexit"))
		return 0;
	for (int i = 0; i < n; i++) {
		out[i] = (struct frame){
			.kind = FRAME_GO, .pc = pc, .inlined = f[i].inlined,
			.function = arena_strndup(&t->texts, f[i].func, strlen(f[i].func)),
			.file = arena_strndup(&t->texts, f[i].file, strlen(f[i].file)),
			.line = f[i].line > 0 ? (uint32_t)f[i].line : 0,
			.offset = f[i].inlined ? 0 : pc - t->bias - f[i].entry,
		};
		if (!out[i].function || !out[i].file)
			return -ENOMEM;
	}
	return n;
}

/* Uncached: the text of a non-frame kind for pc, into text. */
static void pc_text_compute(const struct go_tracer *t, uint64_t pc, enum pc_kind kind,
			    char *text, size_t len)
{
	struct go_frame f[PC_MAX_TEXTS];
	const char *name;
	int n;

	switch (kind) {
	case PC_CREATED_BY:
		/* the go statement's own function, also when inlined into another */
		n = pc ? go_binary__frames(t->bin, pc - t->bias, true, f, PC_MAX_TEXTS) : -ENOENT;
		if (n > 0)
			snprintf(text, len, "%s at %s:%d", f[0].func, f[0].file, f[0].line);
		else
			snprintf(text, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	case PC_START:
		/* the function the go statement called, not the compiler's wrapper */
		if (pc && !go_binary__go_target(t->bin, pc - t->bias, &name))
			snprintf(text, len, "%s", name);
		else if (pc && go_binary__frames(t->bin, pc - t->bias, false, f, 1) > 0)
			snprintf(text, len, "%s", f[0].func);
		else
			snprintf(text, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	default:
		n = pc ? go_binary__frames(t->bin, pc - t->bias, false, f, 1) : -ENOENT;
		snprintf(text, len, "%s", n > 0 && is_system_func(f[0].func) ? "1" : "");
	}
}

/* The cache slot of key, or the empty slot to fill (NULL when none). */
static struct pc_text *pc_slot(struct go_tracer *t, uint64_t key, bool *hit)
{
	*hit = false;
	if (!t->pcs)
		t->pcs = calloc(PC_CACHE_SIZE, sizeof(*t->pcs));
	/* a garbage pc whose key wraps to 0 (= empty slot) is not cached */
	for (unsigned i = 0; t->pcs && key && i < PC_CACHE_PROBES; i++) {
		struct pc_text *e = &t->pcs[(hash_bytes(0, &key, sizeof(key)) + i) % PC_CACHE_SIZE];

		if (e->key == key || !e->key) {
			*hit = e->key == key;
			return e;
		}
	}
	return NULL;
}

/* The frames of a stack pc, interned in t->texts; *n of them. */
const struct frame *go_tracer__pc_frames(struct go_tracer *t, uint64_t pc, bool is_return, int *n)
{
	static const struct frame unknown = { .kind = FRAME_MARKER, .function = "?" };
	enum pc_kind kind = is_return ? PC_RET_FRAME : PC_FRAME;
	uint64_t key = pc * PC_KINDS + kind + 1;
	struct frame buf[PC_MAX_TEXTS], *frames;
	bool hit;
	struct pc_text *slot = pc_slot(t, key, &hit);

	if (hit) {
		*n = slot->n;
		return slot->items;
	}
	*n = pc_frames_compute(t, pc, is_return, buf);
	frames = *n >= 0 ? arena_alloc(&t->texts, (*n ? *n : 1) * sizeof(*frames)) : NULL;
	if (!frames) {	/* the arena is full */
		*n = 1;
		return &unknown;
	}
	memcpy(frames, buf, *n * sizeof(*frames));
	if (slot)
		*slot = (struct pc_text){ .key = key, .items = frames, .n = *n };
	return frames;
}

/* The one text of a non-frame kind, interned in t->texts. */
const char *go_tracer__pc_text(struct go_tracer *t, uint64_t pc, enum pc_kind kind)
{
	uint64_t key = pc * PC_KINDS + kind + 1;
	char buf[512];
	const char *text;
	bool hit;
	struct pc_text *slot = pc_slot(t, key, &hit);

	if (hit)
		return slot->items;
	pc_text_compute(t, pc, kind, buf, sizeof(buf));
	text = arena_strndup(&t->texts, buf, strlen(buf));
	if (!text)
		return "?";	/* the arena is full */
	if (slot)
		*slot = (struct pc_text){ .key = key, .items = text, .n = 1 };
	return text;
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
