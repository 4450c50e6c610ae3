// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>

#include "judge/owner_graph.h"

/* steps of one cycle search: waiters with many owners (a lock read-held
 * by many) cannot make it exponential */
#define CYCLE_SEARCH_STEPS 4096

static int ref_cmp(const struct unit_ref *a, const struct unit_ref *b)
{
	return unit_ref_cmp(a, b);
}

static int edge_cmp(const void *a, const void *b)
{
	return ref_cmp(&((const struct owner_edge *)a)->waiter,
		       &((const struct owner_edge *)b)->waiter);
}

void owner_graph__init(struct owner_graph *g, struct report *r)
{
	if (r->n_owners)	/* owners is NULL before the first (UBSan) */
		qsort(r->owners, r->n_owners, sizeof(*r->owners), edge_cmp);
	g->edges = r->owners;
	g->n = r->n_owners;
}

const struct owner_edge *owner_graph__edges(const struct owner_graph *g,
					    const struct unit_ref *u, size_t *n)
{
	size_t lo = 0, hi = g->n, end;

	while (lo < hi) {	/* the first edge of u */
		size_t mid = lo + (hi - lo) / 2;

		if (ref_cmp(&g->edges[mid].waiter, u) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < g->n && !ref_cmp(&g->edges[end].waiter, u); end++)
		;
	*n = end - lo;
	return g->edges + lo;
}

struct search {
	const struct owner_graph *g;
	unsigned mask;
	struct unit_ref path[64];	/* >= max */
	uint64_t *ids;
	uint8_t *edge;
	int max;
	unsigned steps;
};

static bool on_path(const struct search *s, const struct unit_ref *u, int depth)
{
	for (int k = 1; k <= depth; k++)
		if (!ref_cmp(&s->path[k], u))
			return true;
	return false;
}

/* Depth-first from path[depth]: the length of a cycle back to path[0]. */
static int search_from(struct search *s, int depth)
{
	const struct unit_ref *at = &s->path[depth];
	const struct owner_edge *e;
	size_t n;

	s->ids[depth] = at->id;
	e = owner_graph__edges(s->g, at, &n);
	for (size_t i = 0; i < n && s->steps; i++, s->steps--) {
		struct unit_ref next = { e[i].owner_pid ? e[i].owner_pid : at->pid,
					 e[i].owner_kind, e[i].owner };

		if (!(s->mask & OWNER_MASK(e[i].kind)))
			continue;
		s->edge[depth] = e[i].kind;
		if (!ref_cmp(&next, &s->path[0]))
			return depth + 1;
		/* a cycle not through the start: the start only waits on it */
		if (on_path(s, &next, depth) || depth + 1 >= s->max)
			continue;
		s->path[depth + 1] = next;
		int len = search_from(s, depth + 1);

		if (len)
			return len;
	}
	return 0;
}

int owner_graph__cycle(const struct owner_graph *g, const struct unit_ref *start,
		       unsigned mask, uint64_t *ids, uint8_t *edge, int max)
{
	struct search s = { .g = g, .mask = mask, .ids = ids, .edge = edge,
			    .max = max < 64 ? max : 64, .steps = CYCLE_SEARCH_STEPS };

	if (max <= 0)
		return 0;
	s.path[0] = *start;
	return search_from(&s, 0);
}
