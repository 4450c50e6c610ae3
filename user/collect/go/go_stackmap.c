// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The live words of a parked goroutine's stack, from the binary's stack
 * maps (go_stackmap.h). Follows runtime/traceback.go (frame bounds) and
 * runtime/stkframe.go getStackMap, mgcmark.go scanframeworker (Go 1.19 to
 * 1.27 read the same way on amd64). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_stackmap.h"
#include "util/array.h"

#define MAX_MAP_BITS	(1 << 17)	/* a 1 MiB frame: larger is not believed */
#define MAX_OBJECTS	4096		/* stack objects of one frame */
#define OBJECT_SIZE	16		/* stackObjectRecord {off, size, ptrdata, gcdataoff} */

struct frame {
	uint64_t pc, sp, fp;
	struct go_frame_info fi;
};

struct stack {
	const struct go_binary *b;
	uint64_t bias, lo, hi;		/* [lo, hi) read into bytes */
	const uint8_t *bytes;
	uint8_t *live;
};

static void set_word(struct stack *s, uint64_t addr)
{
	uint64_t k;

	if (addr < s->lo || addr >= s->hi || addr % 8)
		return;
	k = (addr - s->lo) / 8;
	s->live[k / 8] |= 1u << (k % 8);
}

static void set_range(struct stack *s, uint64_t lo, uint64_t hi)
{
	for (uint64_t a = (lo + 7) & ~7ull; a < hi && a < s->hi; a += 8)
		set_word(s, a);
}

static void set_bits(struct stack *s, uint64_t base, const uint8_t *bits, int32_t nbit)
{
	for (int32_t j = 0; j < nbit; j++)
		if (bits[j / 8] & (1u << (j % 8)))
			set_word(s, base + 8ull * (uint64_t)j);
}

/*
 * Bitmap idx of the runtime.stackmap {n int32, nbit int32, bytedata} at
 * addr into bits (nbit bits, each bitmap on a byte boundary). False when
 * there is none or it does not parse: the frame is then conservative.
 */
static bool stackmap_read(const struct go_binary *b, uint64_t addr, int32_t idx, uint8_t *bits,
			  int32_t *nbit)
{
	int32_t hdr[2];
	uint64_t bytes;

	if (!addr || go_binary__read(b, addr, hdr, sizeof(hdr)) || hdr[0] <= 0 || hdr[1] < 0 ||
	    hdr[1] > MAX_MAP_BITS)
		return false;
	*nbit = hdr[1];
	if (!hdr[1])
		return true;
	if (idx < 0 || idx >= hdr[0])
		return false;
	bytes = ((uint64_t)hdr[1] + 7) / 8;
	return !go_binary__read(b, addr + sizeof(hdr) + (uint64_t)idx * bytes, bits, bytes);
}

/* Frames whose words the maps do not describe (runtime: scanned
 * conservatively, or special-cased), or that cannot be trusted. */
static bool uncertain(const struct go_frame_info *fi)
{
	static const char *const names[] = {
		"runtime.asyncPreempt", "runtime.debugCallV2", "runtime.sigpanic",
		"reflect.makeFuncStub", "reflect.methodValueCall",
	};

	if (!fi->name || fi->args < 0 || (fi->flag & (GO_FUNCFLAG_ASM | GO_FUNCFLAG_SPWRITE)))
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fi->name, names[i]))
			return true;
	return false;
}

/* The frame's stack objects (address-taken locals), every word of them. */
static bool map_objects(struct stack *s, const struct frame *f, uint64_t varp, uint64_t argp)
{
	uint64_t n;
	uint8_t rec[OBJECT_SIZE];

	if (!f->fi.stack_objects)
		return true;
	if (go_binary__read(s->b, f->fi.stack_objects, &n, sizeof(n)) || n > MAX_OBJECTS)
		return false;
	for (uint64_t i = 0; i < n; i++) {
		int32_t off, size;
		uint64_t ptr;

		if (go_binary__read(s->b, f->fi.stack_objects + 8 + i * OBJECT_SIZE, rec, sizeof(rec)))
			return false;
		memcpy(&off, rec, 4);
		memcpy(&size, rec + 4, 4);
		ptr = (off < 0 ? varp : argp) + (uint64_t)(int64_t)off;
		if (size < 0)
			return false;
		if (ptr < f->sp)	/* not allocated in the frame yet (runtime skips it) */
			continue;
		if (ptr + (uint64_t)size > s->hi)
			return false;
		set_range(s, ptr, ptr + (uint64_t)size);
	}
	return true;
}

/* The live words of one frame; false when anything is uncertain. */
static bool map_frame(struct stack *s, const struct frame *f)
{
	uint8_t bits[MAX_MAP_BITS / 8];
	const struct go_frame_info *fi = &f->fi;
	uint64_t varp = f->fp - 8, argp = f->fp;
	int32_t idx = fi->stackmap_idx < 0 ? 0 : fi->stackmap_idx, nbit;

	if (uncertain(fi))
		return false;
	if (varp > f->sp)	/* the saved frame pointer */
		varp -= 8;
	if (varp > f->sp) {
		if (!stackmap_read(s->b, fi->locals_map, idx, bits, &nbit) ||
		    (uint64_t)nbit * 8 > varp - f->sp)
			return false;
		set_bits(s, varp - (uint64_t)nbit * 8, bits, nbit);
	}
	if (fi->args / 8 > 0) {
		if (!stackmap_read(s->b, fi->args_map, idx, bits, &nbit) ||
		    argp + (uint64_t)nbit * 8 > s->hi)
			return false;
		set_bits(s, argp, bits, nbit);
	}
	return map_objects(s, f, varp, argp);
}

/*
 * The frames from (pc, sp) up to the bottom frame (runtime.goexit, flagged
 * TOPFRAME) into *out; their count, or -1 when the unwind leaves the
 * stack, meets a function it cannot unwind or does not end.
 */
static int unwind(struct stack *s, uint64_t pc, uint64_t sp, struct frame **out, size_t *cap)
{
	for (int n = 0; n < GO_STACKMAP_MAX_FRAMES; n++) {
		struct frame *f;
		uint64_t ret;

		if (ARRAY_RESERVE(*out, *cap, (size_t)n + 1))
			return -1;
		f = &(*out)[n];
		f->pc = pc;
		f->sp = sp;
		if (pc < s->bias || go_binary__frame_info(s->b, pc - s->bias, &f->fi) ||
		    f->fi.spdelta < 0 || f->fi.spdelta % 8 || sp % 8)
			return -1;
		f->fp = sp + (uint64_t)f->fi.spdelta + 8;
		if (f->fi.flag & GO_FUNCFLAG_TOPFRAME)
			return n + 1;
		if ((f->fi.flag & GO_FUNCFLAG_SPWRITE) || f->fp > s->hi)
			return -1;
		memcpy(&ret, s->bytes + (f->fp - 8 - s->lo), sizeof(ret));
		pc = ret;
		sp = f->fp;
	}
	return -1;
}

/* The bottom frame: the runtime scans nothing of goexit's (no locals, no
 * arguments); the words above it are newproc's slack, never written. */
static bool bottom_is_empty(const struct frame *f)
{
	return f->fi.spdelta == 0 && f->fi.args <= 0;
}

int go_stackmap__live_words(const struct go_binary *b, uint64_t bias, uint64_t pc, uint64_t sp,
			    const uint8_t *stack, size_t len, uint8_t *live,
			    struct go_stackmap_stats *st)
{
	struct stack s = { .b = b, .bias = bias, .lo = sp, .hi = sp + len, .bytes = stack,
			   .live = live };
	struct frame *fr = NULL;
	size_t cap = 0;
	int n = unwind(&s, pc, sp, &fr, &cap), precise = 0;

	st->stacks++;
	st->words += len / 8;
	if (n <= 0) {
		set_range(&s, s.lo, s.hi);
		st->stacks_whole++;
	}
	for (int i = 0; i < n; i++) {
		bool top = i == n - 1;

		if (top && bottom_is_empty(&fr[i])) {
			precise++;
			break;
		}
		if (top || !map_frame(&s, &fr[i])) {
			set_range(&s, fr[i].sp, s.hi);
			st->frames_conservative += n - i;
			break;
		}
		precise++;
	}
	st->frames_precise += precise;
	for (size_t k = 0; k < len / 8; k++)
		st->words_live += (live[k / 8] >> (k % 8)) & 1;
	free(fr);
	return precise;
}
