// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/threads/pool_links.h"
#include "util/clock.h"

#define PAGE		4096ULL
#define WINDOW_PAGES	256		/* pages looked up and read at a time */
#define WINDOW		(WINDOW_PAGES * PAGE)

size_t pool_links__maps(const char *maps, size_t len, struct mapping *out, size_t max,
			struct pool_links_cost *c)
{
	const char *p = maps, *end = maps + (len < MAPS_MAX ? len : MAPS_MAX);
	size_t n = 0;
	struct mapping m;

	while (n < max && maps_next(&p, end, &m)) {
		if (!m.readable || !m.writable || m.shared)
			continue;
		if (m.end - m.start > POOL_LINKS_MAP_MAX) {
			c->maps_skipped++;
			c->bytes_skipped += m.end - m.start;
		} else {
			out[n++] = m;
		}
	}
	return n;
}

static int waiter_cmp(const void *a, const void *b)
{
	const struct link_waiter *x = a, *y = b;

	return (x->object > y->object) - (x->object < y->object);
}

/* The first waiter whose window ends above v. */
static size_t first_above(const struct link_waiter *w, size_t nw, uint64_t v)
{
	size_t lo = 0, hi = nw;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w[mid].object + POOL_LINKS_ABOVE <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_window(uint64_t v, uint64_t object)
{
	return v >= object - POOL_LINKS_BELOW && v < object + POOL_LINKS_ABOVE;
}

/* Whether address a lies in the window of a waiter other than w[k]: in
 * the struct of another waiter, where a queue through the waiters keeps
 * its links. */
static bool in_other_window(const struct link_waiter *w, size_t nw, size_t k, uint64_t a)
{
	for (size_t j = first_above(w, nw, a); j < nw && in_window(a, w[j].object); j++)
		if (j != k)
			return true;
	return false;
}

void pool_links__scan(const uint64_t *words, size_t n, uint64_t at, struct link_waiter *w,
		      size_t nw)
{
	uint64_t lo, hi;

	if (!nw)
		return;
	lo = w[0].object - POOL_LINKS_BELOW;
	hi = w[nw - 1].object + POOL_LINKS_ABOVE;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = words[i], a = at + i * sizeof(*words);

		if (v < lo || v >= hi)	/* most words: not near any object */
			continue;
		for (size_t k = first_above(w, nw, v); k < nw && in_window(v, w[k].object); k++)
			if (!(a >= w[k].stack_lo && a < w[k].stack_hi) && !in_window(a, w[k].object) &&
			    in_other_window(w, nw, k, a))
				w[k].linked = true;
	}
}

/* Each waiter's own stack: the mapping its stack pointer is in. */
static void find_stacks(const struct mapping *maps, size_t n, struct link_waiter *w, size_t nw)
{
	for (size_t k = 0; k < nw; k++) {
		w[k].known = false;
		w[k].linked = false;
		for (size_t i = 0; i < n && w[k].sp; i++)
			if (w[k].sp >= maps[i].start && w[k].sp < maps[i].end) {
				w[k].stack_lo = maps[i].start;
				w[k].stack_hi = maps[i].end;
				w[k].known = true;
			}
	}
}

static bool all_linked(const struct link_waiter *w, size_t nw)
{
	for (size_t k = 0; k < nw; k++)
		if (w[k].asked && w[k].known && !w[k].linked)
			return false;
	return true;
}

/* The runs of pages of one window [at, at + WINDOW) that hold data:
 * present or swapped (pagemap bits 63, 62); a page never touched reads as
 * zeros and links nothing. Every page when pagemap cannot be read. The
 * number of spans set (at most WINDOW_PAGES / 2 + 1). */
static size_t data_runs(int pagemap, uint64_t at, uint64_t end, char *buf,
			struct procmem_span *s, struct pool_links_cost *c)
{
	uint64_t pm[WINDOW_PAGES], npages = (end - at + PAGE - 1) / PAGE;
	size_t n = 0;
	ssize_t got = -1;

	if (pagemap >= 0) {
		got = pread(pagemap, pm, npages * sizeof(*pm), (off_t)(at / PAGE * sizeof(*pm)));
		c->pagemap_bytes += got > 0 ? (uint64_t)got : 0;
	}
	for (uint64_t p = 0; p < npages; p++) {
		bool data = got != (ssize_t)(npages * sizeof(*pm)) || (pm[p] >> 62);
		uint64_t a = at + p * PAGE, len = end - a < PAGE ? end - a : PAGE;

		if (!data)
			continue;
		if (n && s[n - 1].addr + s[n - 1].len == a)
			s[n - 1].len += len;
		else
			s[n++] = (struct procmem_span){ .addr = a, .buf = buf + (a - at), .len = len };
	}
	return n;
}

/* Read the pages of [start, end) that hold data, a window at a time, and
 * scan them. false when the process is gone or the budget is spent. */
static bool read_range(const struct procmem *m, int pagemap, uint64_t start, uint64_t end,
		       char *buf, struct link_waiter *w, size_t nw, struct pool_links_cost *c)
{
	struct procmem_span s[WINDOW_PAGES / 2 + 1];

	for (uint64_t at = start; at < end; at += WINDOW) {
		uint64_t to = end - at < WINDOW ? end : at + WINDOW;
		size_t n = data_runs(pagemap, at, to, buf, s, c);
		uint64_t want = 0;

		for (size_t i = 0; i < n; i++)
			want += s[i].len;
		if (c->bytes_read + want > POOL_LINKS_BUDGET) {
			c->bytes_cut += end - at;	/* the rest of this mapping */
			return false;
		}
		m->read_batch(m, s, n);
		for (size_t i = 0; i < n; i++) {
			if (s[i].err == -ESRCH)
				return false;
			if (s[i].err) {
				c->bytes_cut += s[i].len;
				continue;
			}
			c->bytes_read += s[i].len;
			pool_links__scan(s[i].buf, s[i].len / sizeof(uint64_t), s[i].addr, w, nw);
		}
	}
	return true;
}

static void scan_maps(const struct procmem *m, int pagemap, const struct mapping *maps,
		      size_t n, struct link_waiter *w, size_t nw, struct pool_links_cost *c)
{
	char *buf = malloc(WINDOW);
	size_t i;

	if (!buf) {
		for (i = 0; i < nw; i++)
			w[i].known = false;
		return;
	}
	for (i = 0; i < n && !all_linked(w, nw); i++) {
		c->maps_read++;
		if (!read_range(m, pagemap, maps[i].start, maps[i].end, buf, w, nw, c))
			break;
	}
	/* the process is gone or the budget spent: the rest is cut */
	for (i++; i < n && !all_linked(w, nw); i++)
		c->bytes_cut += maps[i].end - maps[i].start;
	free(buf);
}

void pool_links__pass(const struct procmem *m, int pagemap, const char *maps, size_t len,
		      struct link_waiter *w, size_t nw, struct pool_links_cost *c)
{
	struct mapping *ranges = malloc(POOL_LINKS_MAX_MAPS * sizeof(*ranges));
	uint64_t t0 = mono_ns();
	size_t n;

	qsort(w, nw, sizeof(*w), waiter_cmp);
	if (!ranges) {
		for (size_t k = 0; k < nw; k++)
			w[k].known = w[k].linked = false;
		return;
	}
	n = pool_links__maps(maps, len, ranges, POOL_LINKS_MAX_MAPS, c);
	find_stacks(ranges, n, w, nw);
	scan_maps(m, pagemap, ranges, n, w, nw, c);
	/* a pass cut short proves no absence of a link: the waiters still
	 * unlinked are not known */
	if (c->bytes_cut)
		for (size_t k = 0; k < nw; k++)
			w[k].known &= w[k].linked;
	free(ranges);
	c->ns += mono_ns() - t0;
}
