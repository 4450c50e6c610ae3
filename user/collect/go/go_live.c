// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "collect/go/go_live.h"
#include "util/array.h"
#include "util/hash.h"

uint64_t go_live__key(uint64_t gopc, uint64_t startpc)
{
	uint64_t h = hash_bytes(HASH_SEED, &gopc, sizeof(gopc));

	h = hash_bytes(h, &startpc, sizeof(startpc));
	return h ? h : 1;
}

void go_live__add(struct go_live *l, const struct go_live_g *g)
{
	if (l->n_now >= GO_LIVE_GS_MAX || ARRAY_RESERVE(l->now, l->cap_now, l->n_now + 1)) {
		l->overflow = true;
		return;
	}
	l->now[l->n_now++] = *g;
}

static int cmp_live_g(const void *a, const void *b)
{
	const struct go_live_g *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->goid > y->goid) - (x->goid < y->goid);
}

/* First index of gs[0..n) (sorted) with a key >= key. */
static size_t key_lower_bound(const struct go_live_g *gs, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Goids of before[0..nb) missing from now[0..nn) (both one site, by goid). */
static uint32_t ended(const struct go_live_g *before, size_t nb, const struct go_live_g *now,
		      size_t nn)
{
	uint32_t gone = 0;

	for (size_t i = 0, k = 0; i < nb; i++) {
		while (k < nn && now[k].goid < before[i].goid)
			k++;
		gone += k == nn || now[k].goid != before[i].goid;
	}
	return gone;
}

static const struct go_live_site_hist *find_site(const struct go_live *l, uint64_t key)
{
	size_t lo = 0, hi = l->n_sites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->sites[mid].key == key)
			return &l->sites[mid];
		if (l->sites[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The site of now[a..b) (one key), from its history if it has one. */
static void site_update(const struct go_live *l, size_t a, size_t b, uint64_t now_ns,
			struct go_live_site_hist *out)
{
	const struct go_live_g *g = &l->now[a];
	size_t pa = key_lower_bound(l->prev, l->n_prev, g->key), pb = pa;
	const struct go_live_site_hist *old = find_site(l, g->key);
	struct live_site *f = &out->fact;
	uint32_t live = b - a, parked = 0;

	while (pb < l->n_prev && l->prev[pb].key == g->key)
		pb++;
	*out = (struct go_live_site_hist){ .key = g->key };
	if (old) {
		*f = old->fact;
		f->reports_seen++;
		f->growth_reports += live > f->live;
		f->exited += ended(l->prev + pa, pb - pa, g, b - a);
	} else {
		*f = (struct live_site){ .first_live = live, .reports_seen = 1,
					 .first_seen_ns = now_ns };
	}
	f->live = live;
	for (size_t i = a; i < b; i++) {
		parked += l->now[i].parked;
		/* the newest one not parked long and not running */
		if (!l->now[i].parked && l->now[i].resting) {
			out->rep_g = l->now[i].g_addr;
			out->rep_goid = l->now[i].goid;
		}
	}
	f->parked = parked;
}

int go_live__commit(struct go_live *l, bool complete, uint64_t now_ns)
{
	struct go_live_site_hist *sites = NULL;
	size_t n = 0, cap = 0;
	struct go_live_g *swap;

	if (!complete || l->overflow) {
		l->n_now = 0;
		l->overflow = false;
		return 0;
	}
	if (l->n_now)
		qsort(l->now, l->n_now, sizeof(*l->now), cmp_live_g);
	for (size_t a = 0, b; a < l->n_now && n < GO_LIVE_SITES_MAX; a = b) {
		for (b = a + 1; b < l->n_now && l->now[b].key == l->now[a].key; b++)
			;
		if (ARRAY_RESERVE(sites, cap, n + 1)) {
			free(sites);
			l->n_now = 0;
			return -ENOMEM;
		}
		site_update(l, a, b, now_ns, &sites[n++]);
	}
	free(l->sites);
	l->sites = sites;
	l->n_sites = n;
	/* this walk's goroutines are the next one's before */
	swap = l->prev;
	l->prev = l->now;
	l->now = swap;
	cap = l->cap_prev;
	l->cap_prev = l->cap_now;
	l->cap_now = cap;
	l->n_prev = l->n_now;
	l->n_now = 0;
	return 0;
}

bool go_live__candidate(const struct go_live_site_hist *h)
{
	const struct live_site *f = &h->fact;

	return f->reports_seen >= 2 && !f->exited && f->live > f->first_live &&
	       f->growth_reports && h->rep_g && f->parked * 2 < f->live;
}

void go_live__free(struct go_live *l)
{
	free(l->now);
	free(l->prev);
	free(l->sites);
	*l = (struct go_live){ 0 };
}
