// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>

#include "judge/units.h"

/* parks less than this apart are one park when switch counts are unknown */
#define PARK_TIME_SLACK_NS 250000000ULL

int unit_key_cmp(uint32_t pa, uint8_t ka, uint64_t ga, uint32_t pb, uint8_t kb, uint64_t gb)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ga != gb)
		return ga < gb ? -1 : 1;
	return 0;
}

int unit_cmp(const struct unit *a, const struct unit *b)
{
	int c = unit_key_cmp(a->pid, a->kind, a->group, b->pid, b->kind, b->group);

	if (c)
		return c;
	return (a->id > b->id) - (a->id < b->id);
}

int unit_id_cmp(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_units(const void *a, const void *b)
{
	return unit_cmp(a, b);
}

struct unit *units_collect(struct report *r, size_t *n)
{
	struct unit *u = malloc((r->n_threads + r->n_goroutines + r->n_conns + 1) * sizeof(*u));
	size_t k = 0;

	*n = 0;
	if (!u)
		return NULL;
	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *t = &r->threads[i];

		t->group = report_thread_group(t);
		u[k++] = (struct unit){ t->pid, UNIT_THREAD, t->group, t->tid, i };
	}
	for (size_t i = 0; i < r->n_goroutines; i++) {
		const struct goroutine_report *g = &r->goroutines[i];

		u[k++] = (struct unit){ g->pid, UNIT_GOROUTINE, g->site, g->goid, i };
	}
	for (size_t i = 0; i < r->n_conns; i++) {
		const struct conn_report *c = &r->conns[i];

		u[k++] = (struct unit){ c->pid, UNIT_CONNECTION, c->site, c->inode, i };
	}
	qsort(u, k, sizeof(*u), cmp_units);
	*n = k;
	return u;
}

void unit_park(const struct report *r, const struct unit *u, struct park *p)
{
	if (u->kind == UNIT_THREAD) {
		const struct thread_report *t = &r->threads[u->idx];

		/* the switch count tells every new park of a thread */
		*p = (struct park){ t->nvcsw, t->parked_since_ns, true };
		return;
	}
	if (u->kind == UNIT_CONNECTION) {
		const struct conn_report *c = &r->conns[u->idx];

		/* one request: the next one moves the bytes acknowledged */
		*p = (struct park){ c->bytes_acked + 1, r->mono_ns - c->silent_ns, true };
		return;
	}
	const struct goroutine_report *g = &r->goroutines[u->idx];

	/* a goroutine parked before attach has an estimated age only: the
	 * gopark probe never saw its park begin */
	*p = (struct park){ 0, g->parked_estimated ? 0 : r->mono_ns - g->parked_ns,
			    !g->parked_estimated };
}

uint64_t unit_parked_ns(const struct report *r, const struct unit *u)
{
	if (u->kind == UNIT_CONNECTION)
		return r->conns[u->idx].silent_ns;
	return u->kind == UNIT_THREAD ? r->threads[u->idx].parked_ns : r->goroutines[u->idx].parked_ns;
}

bool park_same(const struct park *a, const struct park *b)
{
	uint64_t d;

	if (a->switches || b->switches)
		return a->switches == b->switches;
	if (!a->since_ns || !b->since_ns)
		return true;	/* ages estimated before attach move: one park */
	d = a->since_ns > b->since_ns ? a->since_ns - b->since_ns : b->since_ns - a->since_ns;
	return d < PARK_TIME_SLACK_NS;
}

void unit_set_verdict(struct report *r, const struct unit *u, enum verdict v, size_t site)
{
	if (u->kind == UNIT_THREAD) {
		r->threads[u->idx].verdict = v;
		r->threads[u->idx].site_index = site;
	} else if (u->kind == UNIT_GOROUTINE) {
		r->goroutines[u->idx].verdict = v;
		r->goroutines[u->idx].site_index = site;
	} else {
		r->conns[u->idx].verdict = v;
		r->conns[u->idx].site_index = site;
	}
}

const char *unit_noun(enum unit_kind kind, bool plural)
{
	if (kind == UNIT_GOROUTINE)
		return plural ? "goroutines" : "goroutine";
	if (kind == UNIT_CONNECTION)
		return plural ? "connections" : "connection";
	return plural ? "threads" : "thread";
}
