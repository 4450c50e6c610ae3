// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Go heap's spans, module ranges and finalizer roots, read from outside. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_binary.h"
#include "collect/go/go_heap.h"
#include "util/array.h"

#define MAX_SPANS	(1u << 23)	/* 64 GiB of 8 KiB spans */
#define MAX_SLOTS	(1ull << 33)	/* bits of the slot bitmaps, 1 GiB each */
#define SPAN_READ	256		/* bytes of an mspan read, every field inside */
#define SPAN_BATCH	4096		/* mspans per batch */
#define PAGE_SHIFT	13		/* 8 KiB pages */
#define ARENA_SHIFT	26		/* 64 MiB arenas (linux/amd64) */
#define ARENA_PAGES	(1u << (ARENA_SHIFT - PAGE_SHIFT))
#define MAX_ARENAS	1024		/* 64 GiB of heap */
#define MAX_MODULES	32
#define MAX_SPECIALS	(1u << 16)	/* finalizer list nodes visited */
#define SPAN_IN_USE	1		/* mSpanInUse; 2 is mSpanManual (stacks) */
#define SPECIAL_FINALIZER 1
#define MAX_LARGE_ELEM	(1ull << 40)
#define MAX_NELEMS	8192		/* slots of one span (1024 in real runtimes) */

void go_reader__read(struct go_reader *r, struct go_mem_span *s, size_t n)
{
	size_t ok = n;
	uint64_t want = 0;

	for (size_t i = 0; i < n; i++)
		want += s[i].len;
	if (r->max_bytes && r->bytes + want > r->max_bytes) {
		r->cut = true;
		for (ok = 0; ok < n && r->bytes + s[ok].len <= r->max_bytes; ok++)
			r->bytes += s[ok].len;
		for (size_t i = ok; i < n; i++)
			s[i].ok = false;
	} else {
		r->bytes += want;
	}
	if (ok)
		r->read(r->ctx, s, ok);
}

int go_reader__read1(struct go_reader *r, uint64_t addr, void *buf, size_t len)
{
	struct go_mem_span s = { .addr = addr, .buf = buf, .len = len };

	go_reader__read(r, &s, 1);
	return s.ok ? 0 : -EFAULT;
}


static uint64_t index_field(const uint8_t *p, uint32_t off, uint8_t size)
{
	uint16_t v16;

	if (size == 8)
		return go_field64(p, off);
	memcpy(&v16, p + off, sizeof(v16));
	return v16;
}

/* ---- locating mheap_ and firstmoduledata ---- */

/* allspans is a sane slice whose first spans look like spans. */
static bool mheap_plausible(struct go_reader *r, const struct go_heap_offsets *o, uint64_t m)
{
	uint64_t hdr[3], sp[4];
	uint8_t span[SPAN_READ];
	int n;

	if (m % 8 || go_reader__read1(r, m + o->mheap_allspans, hdr, sizeof(hdr)) ||
	    !hdr[0] || hdr[0] % 8 || !hdr[1] || hdr[1] > hdr[2] || hdr[2] > MAX_SPANS)
		return false;
	n = hdr[1] < 4 ? (int)hdr[1] : 4;
	if (go_reader__read1(r, hdr[0], sp, n * sizeof(uint64_t)))
		return false;
	for (int i = 0; i < n; i++) {
		if (!sp[i] || go_reader__read1(r, sp[i], span, sizeof(span)))
			return false;
		if (go_field64(span, o->span_start) % 8192 || !go_field64(span, o->span_npages) ||
		    span[o->span_state] > 3)
			return false;
	}
	return true;
}

/* data, edata, bss, ebss in order, nonempty, of a sane size. */
static bool module_plausible(struct go_reader *r, const struct go_heap_offsets *o, uint64_t md)
{
	uint64_t w[4];

	if (md % 8 || go_reader__read1(r, md + o->md_data, w, sizeof(w)))
		return false;
	return w[0] && w[0] <= w[1] && w[1] <= w[2] && w[2] <= w[3] && w[3] - w[0] < (1ull << 32);
}

typedef bool (*plausible_fn)(struct go_reader *r, const struct go_heap_offsets *o, uint64_t a);

/* .symtab, else among the data the named functions reference. */
static int locate_one(const struct go_binary *bin, uint64_t bias, struct go_reader *r,
		      const struct go_heap_offsets *o, const char *sym,
		      const char *const *funcs, plausible_fn ok, uint64_t *out)
{
	uint64_t a, refs[256];

	if (!go_binary__data_symbol(bin, sym, &a))
		return ok(r, o, a + bias) ? (*out = a + bias, 0) : -EPROTO;
	for (int f = 0; funcs[f]; f++) {
		int n = go_binary__data_refs(bin, funcs[f], refs, 256);

		for (int i = 0; i < n; i++) {
			if (ok(r, o, refs[i] + bias)) {
				*out = refs[i] + bias;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int go_heap__locate(const struct go_binary *bin, uint64_t bias, struct go_reader *r,
		    const struct go_heap_offsets *o, uint64_t *mheap, uint64_t *firstmoduledata)
{
	/* mallocinit calls mheap_.init(), allocLarge mheap_.alloc(): the base */
	static const char *const heap_funcs[] = {
		"runtime.mallocinit", "runtime.(*mcache).allocLarge", "runtime.largeAlloc",
		"runtime.gcStart", NULL,
	};
	static const char *const module_funcs[] = {
		"runtime.findmoduledatap", "runtime.modulesinit", "runtime.moduledataverify",
		"runtime.findfunc", NULL,
	};
	int err = locate_one(bin, bias, r, o, "runtime.mheap_", heap_funcs, mheap_plausible, mheap);

	if (err)
		return err;
	return locate_one(bin, bias, r, o, "runtime.firstmoduledata", module_funcs,
			  module_plausible, firstmoduledata);
}

#define MAX_PROCS 4096

/* A []*p whose i-th P has id i. */
static bool allp_plausible(struct go_reader *r, const struct go_heap_offsets *o, uint64_t a)
{
	uint64_t hdr[3], ps[64];
	int32_t id;

	(void)o;
	if (a % 8 || go_reader__read1(r, a, hdr, sizeof(hdr)) || !hdr[0] || hdr[0] % 8 ||
	    !hdr[1] || hdr[1] > hdr[2] || hdr[2] > MAX_PROCS)
		return false;
	for (uint64_t i = 0; i < hdr[1] && i < 64; i++) {
		if (!i && go_reader__read1(r, hdr[0], ps, (hdr[1] < 64 ? hdr[1] : 64) * 8))
			return false;
		if (!ps[i] || go_reader__read1(r, ps[i], &id, sizeof(id)) || id != (int32_t)i)
			return false;
	}
	return true;
}

int go_heap__locate_allp(const struct go_binary *bin, uint64_t bias, struct go_reader *r,
			 uint64_t *allp)
{
	static const char *const funcs[] = { "runtime.procresize", NULL };

	return locate_one(bin, bias, r, NULL, "runtime.allp", funcs, allp_plausible, allp);
}

/* ---- spans ---- */

static int cmp_span(const void *a, const void *b)
{
	const struct go_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A span read from the target, kept when in use and consistent. */
static bool span_parse(const uint8_t *b, const struct go_heap_offsets *o, struct go_span *s,
		       uint64_t *allocbits, uint64_t *freeindex, uint64_t *specials)
{
	uint64_t npages = go_field64(b, o->span_npages);

	if (b[o->span_state] != SPAN_IN_USE)
		return false;
	s->start = go_field64(b, o->span_start);
	s->elemsize = go_field64(b, o->span_elemsize);
	s->limit = go_field64(b, o->span_limit);
	s->nelems = (uint32_t)index_field(b, o->span_nelems, o->span_index_size);
	s->noscan = b[o->span_spanclass] & 1;
	*freeindex = index_field(b, o->span_freeindex, o->span_index_size);
	*allocbits = go_field64(b, o->span_allocbits);
	*specials = go_field64(b, o->span_specials);
	if (!s->start || s->start % 8192 || !npages || npages > (1ull << 27) ||
	    s->start + (npages << PAGE_SHIFT) < s->start || !s->elemsize ||
	    s->elemsize > MAX_LARGE_ELEM || !s->nelems || s->nelems > MAX_NELEMS ||
	    s->elemsize * s->nelems > npages << PAGE_SHIFT)
		return false;
	/* since Go 1.22 small scannable slots keep their pointer bits at the
	 * span's end, past the last slot: limit may lie beyond it; only the
	 * slots are objects */
	if (s->limit < s->start + s->elemsize * s->nelems ||
	    s->limit > s->start + (npages << PAGE_SHIFT))
		return false;
	s->limit = s->start + s->elemsize * s->nelems;
	return true;
}

/* Per kept span: where its allocation bits and specials are, to read next. */
struct span_extra {
	uint64_t allocbits, freeindex, specials;
};

static int read_span_structs(struct go_heap *h, struct go_reader *r,
			     const struct go_heap_offsets *o, const uint64_t *ptrs, size_t n,
			     struct span_extra **extra)
{
	struct go_mem_span *ms = calloc(SPAN_BATCH, sizeof(*ms));
	uint8_t *buf = malloc((size_t)SPAN_BATCH * SPAN_READ);
	size_t cap = 0, cap_x = 0, n_x = 0;
	int err = ms && buf ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < n; i += SPAN_BATCH) {
		size_t k = n - i < SPAN_BATCH ? n - i : SPAN_BATCH;

		for (size_t j = 0; j < k; j++)
			ms[j] = (struct go_mem_span){ ptrs[i + j], buf + j * SPAN_READ, SPAN_READ, false };
		go_reader__read(r, ms, k);
		for (size_t j = 0; j < k && !err; j++) {
			struct go_span s = { 0 };
			struct span_extra x;

			if (!ms[j].ok || !span_parse(ms[j].buf, o, &s, &x.allocbits, &x.freeindex,
						      &x.specials))
				continue;
			if (ARRAY_RESERVE(h->spans, cap, h->n_spans + 1) ||
			    ARRAY_RESERVE(*extra, cap_x, n_x + 1))
				err = -ENOMEM;
			else {
				h->spans[h->n_spans++] = s;
				(*extra)[n_x++] = x;
			}
		}
	}
	free(ms);
	free(buf);
	if (!err && r->cut)
		err = -E2BIG;
	return err;
}

/* Sorted, overlap-free (a torn read can make two spans claim a page);
 * x reordered alongside. */
static void spans_sort(struct go_heap *h, struct span_extra *x)
{
	struct span_extra *orig;
	size_t n = 0;

	if (!h->n_spans)	/* x may be NULL then: nothing to sort */
		return;
	orig = malloc((h->n_spans + 1) * sizeof(*orig));
	if (!orig) {
		h->n_spans = 0;	/* an empty heap proves nothing */
		return;
	}
	memcpy(orig, x, h->n_spans * sizeof(*orig));
	for (size_t i = 0; i < h->n_spans; i++)
		h->spans[i].bit = i;	/* the index before sorting */
	qsort(h->spans, h->n_spans, sizeof(*h->spans), cmp_span);
	for (size_t i = 0; i < h->n_spans; i++) {
		struct go_span s = h->spans[i];

		if (n && s.start < h->spans[n - 1].limit)
			continue;
		x[n] = orig[s.bit];
		h->spans[n++] = s;
	}
	h->n_spans = n;
	free(orig);
}

static uint32_t *arena_pages(struct go_heap *h, uint64_t arena, bool add)
{
	size_t at = sorted_lower_bound(h->arenas, h->n_arenas, sizeof(arena), &arena, cmp_u64);

	if (at < h->n_arenas && h->arenas[at] == arena)
		return h->pages[at];
	if (!add || h->n_arenas >= MAX_ARENAS)
		return NULL;
	if (!(h->n_arenas % 16)) {
		uint64_t *a = realloc(h->arenas, (h->n_arenas + 16) * sizeof(*a));
		uint32_t **p = a ? realloc(h->pages, (h->n_arenas + 16) * sizeof(*p)) : NULL;

		if (a)
			h->arenas = a;
		if (!p)
			return NULL;
		h->pages = p;
	}
	uint32_t *pages = calloc(ARENA_PAGES, sizeof(*pages));

	if (!pages)
		return NULL;
	memmove(h->arenas + at + 1, h->arenas + at, (h->n_arenas - at) * sizeof(*h->arenas));
	memmove(h->pages + at + 1, h->pages + at, (h->n_arenas - at) * sizeof(*h->pages));
	h->arenas[at] = arena;
	h->pages[at] = pages;
	h->n_arenas++;
	h->extra_bytes += ARENA_PAGES * sizeof(*pages);
	return pages;
}

/* Page table, bit numbering and heap bounds from the sorted spans. */
static int spans_index(struct go_heap *h)
{
	uint64_t bit = 0;

	for (size_t i = 0; i < h->n_spans; i++) {
		struct go_span *s = &h->spans[i];

		s->bit = bit;
		bit += s->nelems;
		if (bit > MAX_SLOTS)
			return -EPROTO;
		h->heap_bytes += s->limit - s->start;
		for (uint64_t p = s->start; p < s->limit; p += 8192) {
			uint32_t *pages = arena_pages(h, p >> ARENA_SHIFT, true);

			if (!pages)
				return -ENOMEM;
			pages[(p >> PAGE_SHIFT) & (ARENA_PAGES - 1)] = (uint32_t)i + 1;
		}
	}
	h->n_bits = bit;
	if (h->n_spans) {
		h->lo = h->spans[0].start;
		h->hi = h->spans[h->n_spans - 1].limit;
	}
	return 0;
}

bool go_heap__slot(const struct go_heap *h, uint64_t p, size_t *span, uint64_t *base,
		   uint64_t *bit)
{
	const struct go_span *s;
	uint32_t *pages, idx;
	uint64_t slot;

	if (p < h->lo || p >= h->hi)
		return false;
	if (h->last_pages && h->last_arena == p >> ARENA_SHIFT) {
		pages = h->last_pages;
	} else {
		struct go_heap *mh = (struct go_heap *)h;	/* the cache only */

		pages = arena_pages(mh, p >> ARENA_SHIFT, false);
		mh->last_arena = p >> ARENA_SHIFT;
		mh->last_pages = pages;
	}
	if (!pages || !(idx = pages[(p >> PAGE_SHIFT) & (ARENA_PAGES - 1)]))
		return false;
	s = &h->spans[idx - 1];
	if (p < s->start || p >= s->limit)
		return false;
	slot = (p - s->start) / s->elemsize;
	if (!(h->alloc[(s->bit + slot) / 8] & (1u << ((s->bit + slot) % 8))))
		return false;
	*span = idx - 1;
	*base = s->start + slot * s->elemsize;
	*bit = s->bit + slot;
	return true;
}

/* Bits of the slots of one batch of spans, spans first..first+k. */
static void apply_alloc_bits(struct go_heap *h, const struct go_mem_span *ms, size_t first,
			     size_t k)
{
	for (size_t j = 0; j < k; j++) {
		const struct go_span *s = &h->spans[first + j];
		const uint8_t *bits = ms[j].buf;

		for (uint32_t e = 0; ms[j].ok && e < s->nelems; e++)
			if (bits[e / 8] & (1u << (e % 8)))
				h->alloc[(s->bit + e) / 8] |= 1u << ((s->bit + e) % 8);
	}
}

/* Allocation bits of every span: its allocBits, and every slot below
 * freeindex (mheap.go: "object n is allocated if n < freeindex or its
 * allocBits bit is set"). */
static int read_alloc_bits(struct go_heap *h, struct go_reader *r, const struct span_extra *x)
{
	struct go_mem_span *ms = calloc(SPAN_BATCH, sizeof(*ms));
	uint8_t *buf = malloc((size_t)SPAN_BATCH * (MAX_NELEMS / 8));
	size_t first = 0;

	h->alloc = calloc(h->n_bits / 8 + 16, 1);
	h->marks = calloc(h->n_bits / 8 + 16, 1);
	if (!h->alloc || !h->marks || !ms || !buf) {
		free(ms);
		free(buf);
		return -ENOMEM;
	}
	h->extra_bytes += 2 * (h->n_bits / 8 + 16);
	while (first < h->n_spans) {
		size_t k = h->n_spans - first < SPAN_BATCH ? h->n_spans - first : SPAN_BATCH;

		for (size_t j = 0; j < k; j++) {
			const struct go_span *s = &h->spans[first + j];
			uint64_t fi = x[first + j].freeindex;

			for (uint64_t e = 0; e < fi && e < s->nelems; e++)
				h->alloc[(s->bit + e) / 8] |= 1u << ((s->bit + e) % 8);
			ms[j] = (struct go_mem_span){ x[first + j].allocbits, buf + j * (MAX_NELEMS / 8),
						      (s->nelems + 7) / 8, false };
		}
		go_reader__read(r, ms, k);
		apply_alloc_bits(h, ms, first, k);
		first += k;
	}
	free(ms);
	free(buf);
	return r->cut ? -E2BIG : 0;
}

/* data and bss of firstmoduledata and the modules chained after it. */
static void read_modules(struct go_heap *h, struct go_reader *r, const struct go_heap_offsets *o,
			 uint64_t md)
{
	for (int m = 0; md && m < MAX_MODULES && h->n_ranges + 2 <= GO_HEAP_MAX_RANGES; m++) {
		uint64_t w[4], next;

		if (go_reader__read1(r, md + o->md_data, w, sizeof(w)) ||
		    go_reader__read1(r, md + o->md_next, &next, sizeof(next)))
			return;
		if (w[0] <= w[1] && w[1] - w[0] < (1ull << 32))
			h->ranges[h->n_ranges++] = (struct go_range){ w[0], w[1] };
		if (w[2] <= w[3] && w[3] - w[2] < (1ull << 32))
			h->ranges[h->n_ranges++] = (struct go_range){ w[2], w[3] };
		md = next;
	}
}

static int add_fin_root(struct go_heap *h, uint64_t p)
{
	if (ARRAY_RESERVE(h->fin_roots, h->cap_fin_roots, h->n_fin_roots + 1))
		return -ENOMEM;
	h->fin_roots[h->n_fin_roots++] = p;
	return 0;
}

/*
 * Finalizers: the runtime will call fn(object) once the object is
 * unreachable, so both are roots (markrootSpans). The specials list hangs
 * off each span, outside the heap; visits are bounded.
 */
static int read_finalizers(struct go_heap *h, struct go_reader *r, const struct go_heap_offsets *o,
			   const struct span_extra *x)
{
	unsigned visits = 0;
	uint8_t sp[64];

	for (size_t i = 0; i < h->n_spans; i++) {
		for (uint64_t p = x[i].specials; p && visits < MAX_SPECIALS; visits++) {
			uint16_t off;

			if (p % 8 || go_reader__read1(r, p, sp, sizeof(sp)))
				break;
			memcpy(&off, sp + o->special_offset, sizeof(off));
			if (sp[o->special_kind] == SPECIAL_FINALIZER &&
			    (add_fin_root(h, h->spans[i].start + off) ||
			     add_fin_root(h, go_field64(sp, o->specialfinalizer_fn))))
				return -ENOMEM;
			p = go_field64(sp, 0);
		}
	}
	return 0;
}

int go_heap__read(struct go_heap *h, struct go_reader *r, const struct go_heap_offsets *o,
		  uint64_t mheap, uint64_t firstmoduledata)
{
	struct span_extra *x = NULL;
	uint64_t hdr[3], *ptrs = NULL;
	int err;

	memset(h, 0, sizeof(*h));
	if (go_reader__read1(r, mheap + o->mheap_allspans, hdr, sizeof(hdr)))
		return r->cut ? -E2BIG : -EFAULT;
	if (!hdr[0] || hdr[1] > hdr[2] || hdr[1] > MAX_SPANS)
		return -EPROTO;
	if (r->max_bytes && r->bytes + hdr[1] * (8 + SPAN_READ) > r->max_bytes) {
		r->cut = true;	/* not even the spans fit the budget */
		return -E2BIG;
	}
	ptrs = malloc((hdr[1] + 1) * sizeof(*ptrs));
	if (!ptrs)
		return -ENOMEM;
	if (go_reader__read1(r, hdr[0], ptrs, hdr[1] * sizeof(*ptrs))) {
		free(ptrs);
		return r->cut ? -E2BIG : -EFAULT;
	}
	err = read_span_structs(h, r, o, ptrs, hdr[1], &x);
	free(ptrs);
	if (!err) {
		spans_sort(h, x);
		err = spans_index(h);
	}
	if (!err)
		err = read_alloc_bits(h, r, x);
	if (!err)
		err = read_finalizers(h, r, o, x);
	if (!err)
		read_modules(h, r, o, firstmoduledata);
	h->extra_bytes += h->n_spans * sizeof(*h->spans);
	free(x);
	if (!err && r->cut)
		err = -E2BIG;
	return err;
}

void go_heap__free(struct go_heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_arenas; i++)
		free(h->pages[i]);
	free(h->pages);
	free(h->arenas);
	free(h->spans);
	free(h->alloc);
	free(h->marks);
	free(h->fin_roots);
	memset(h, 0, sizeof(*h));
}
