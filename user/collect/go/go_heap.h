/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Go runtime's heap as seen from outside, for the reachability pass
 * (collect/go/go_reach.c): the in-use spans of mheap_.allspans (start,
 * limit, slot size, noscan class, allocation bits), a page -> span table
 * to find the heap slot any word points into, the data and bss ranges of
 * every module (firstmoduledata and its next chain), and the roots that
 * finalizers keep (span specials). Everything is read through a batched
 * reader with a byte budget; what the target hands back is bounded (span
 * counts, slot counts, chain lengths), so garbage memory gives errors or
 * an empty heap, never a crash (tests/fuzz/fuzz_go_heap.c).
 */
#ifndef GO_HEAP_H
#define GO_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/go/go_offsets.h"

struct go_binary;

/* One span of the target's memory to read into buf; ok once read whole. */
struct go_mem_span {
	uint64_t addr;
	void *buf;
	size_t len;
	bool ok;
};

/*
 * The reader seam: read() fills many spans per call (process_vm_readv in
 * the tracer, pread on a file in the fuzz harness). Past max_bytes nothing
 * more is read and cut is set: a pass that was cut proves nothing.
 */
struct go_reader {
	void (*read)(void *ctx, struct go_mem_span *s, size_t n);
	void *ctx;
	uint64_t bytes;		/* asked for so far */
	uint64_t max_bytes;	/* 0 = no budget */
	bool cut;
};

/* Reads s[0..n) within the budget (spans past it fail and set cut). */
void go_reader__read(struct go_reader *r, struct go_mem_span *s, size_t n);
/* One read: 0 or -EFAULT. */
int go_reader__read1(struct go_reader *r, uint64_t addr, void *buf, size_t len);

/* An in-use heap span; its slots' bits start at bit in the heap's bitmaps. */
struct go_span {
	uint64_t start, limit, elemsize;
	uint64_t bit;
	uint32_t nelems;
	bool noscan;
};

struct go_range {
	uint64_t lo, hi;
};

#define GO_HEAP_MAX_RANGES 64	/* data + bss of 32 modules (plugins) */

struct go_heap {
	struct go_span *spans;		/* in use, sorted by start */
	size_t n_spans;
	uint8_t *alloc;			/* a bit per slot: allocated */
	uint8_t *marks;			/* a bit per slot: reached (go_reach.c) */
	uint64_t n_bits;
	uint64_t lo, hi;		/* lowest span start, highest limit */
	/* page -> span + 1 (0 = none), 8192 pages per 64 MiB arena */
	uint64_t *arenas;		/* arena numbers (addr >> 26), sorted */
	uint32_t **pages;
	size_t n_arenas;
	uint64_t last_arena;		/* lookup cache: most pointers stay in one arena */
	uint32_t *last_pages;
	struct go_range ranges[GO_HEAP_MAX_RANGES];	/* module data and bss */
	size_t n_ranges;
	uint64_t *fin_roots;		/* objects and funcs finalizers keep */
	size_t n_fin_roots, cap_fin_roots;
	uint64_t heap_bytes;		/* bytes of the in-use spans */
	uint64_t extra_bytes;		/* leaktrace memory held by this struct */
};

/* Where mheap_ and firstmoduledata are: .symtab, else recovered from the
 * code that references them and checked against live memory. */
int go_heap__locate(const struct go_binary *bin, uint64_t bias, struct go_reader *r,
		    const struct go_heap_offsets *o, uint64_t *mheap, uint64_t *firstmoduledata);

/* Where runtime.allp (the []*p of the scheduler's Ps) is: .symtab, else
 * the data runtime.procresize references whose Ps carry their own index. */
int go_heap__locate_allp(const struct go_binary *bin, uint64_t bias, struct go_reader *r,
			 uint64_t *allp);

/* Reads the spans, their allocation bits, the module ranges and the
 * finalizer roots. 0, -ENOMEM, -EFAULT (the runtime's structures could not
 * be read), -EPROTO (they make no sense), -E2BIG (past the byte budget). */
int go_heap__read(struct go_heap *h, struct go_reader *r, const struct go_heap_offsets *o,
		  uint64_t mheap, uint64_t firstmoduledata);
void go_heap__free(struct go_heap *h);

/* The allocated slot p points into: its span index, base and bit; false
 * when p is in no allocated slot of an in-use span. */
bool go_heap__slot(const struct go_heap *h, uint64_t p, size_t *span, uint64_t *base,
		   uint64_t *bit);

#endif /* GO_HEAP_H */
