// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "judge/wakers.h"

#define WAKER_EDGES (OWNER_LOCKS | OWNER_MASK(OWNER_JOIN) | OWNER_MASK(OWNER_PIPE))

/* The parked thread an edge of waiter t names, as an index, or -1. */
static long owner_index(const struct report *r, const struct thread_report *t,
			const struct owner_edge *e)
{
	const struct thread_report *o;

	if (e->owner_kind != UNIT_THREAD)
		return -1;
	o = report_find_thread(r, e->owner_pid ? e->owner_pid : t->pid, (uint32_t)e->owner);
	return o ? o - r->threads : -1;
}

/* Whether every waker of thread i is still in the set (and it has one). */
static bool wakers_all_forever(const struct wakers *w, size_t i)
{
	const struct thread_report *t = &w->r->threads[i];
	struct unit_ref me = { t->pid, UNIT_THREAD, t->tid };
	const struct owner_edge *e;
	size_t n, used = 0;

	e = owner_graph__edges(w->g, &me, &n);
	for (size_t k = 0; k < n; k++) {
		long o;

		if (!(WAKER_EDGES & OWNER_MASK(e[k].kind)))
			continue;
		o = owner_index(w->r, t, &e[k]);
		if (o < 0 || !w->forever[o])
			return false;
		used++;
	}
	return used > 0;
}

int wakers__prove(struct wakers *w, const struct owner_graph *g, const struct report *r)
{
	bool changed = true;

	*w = (struct wakers){ .g = g, .r = r };
	w->forever = calloc(r->n_threads + 1, sizeof(*w->forever));
	if (!w->forever)
		return -ENOMEM;
	/* every parked thread, then drop those with a waker outside, until
	 * none drops: each round drops one at least */
	for (size_t i = 0; i < r->n_threads; i++)
		w->forever[i] = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < r->n_threads; i++)
			if (w->forever[i] && !wakers_all_forever(w, i))
				w->forever[i] = false, changed = true;
	}
	return 0;
}

bool wakers__forever(const struct wakers *w, size_t i)
{
	return w->forever && i < w->r->n_threads && w->forever[i];
}

/* The first waker of thread i (proven forever: all of them are). */
static const struct owner_edge *first_waker(const struct wakers *w, size_t i, long *o)
{
	const struct thread_report *t = &w->r->threads[i];
	struct unit_ref me = { t->pid, UNIT_THREAD, t->tid };
	const struct owner_edge *e;
	size_t n;

	e = owner_graph__edges(w->g, &me, &n);
	for (size_t k = 0; k < n; k++)
		if ((WAKER_EDGES & OWNER_MASK(e[k].kind)) &&
		    (*o = owner_index(w->r, t, &e[k])) >= 0)
			return &e[k];
	return NULL;
}

static bool in_chain(const struct site_report *s, const struct thread_report *t)
{
	for (uint32_t k = 0; k < s->chain_len; k++)
		if (s->chain[k] == t->tid && s->chain_pid[k] == t->pid)
			return true;
	return false;
}

void wakers__chain(const struct wakers *w, size_t i, struct site_report *s)
{
	s->chain_len = 0;
	s->chain_cycle = false;
	while (s->chain_len < LT_MAX_CYCLE && wakers__forever(w, i)) {
		const struct thread_report *t = &w->r->threads[i];
		bool again = in_chain(s, t);
		const struct owner_edge *e;
		long o = -1;

		s->chain[s->chain_len] = t->tid;
		s->chain_pid[s->chain_len] = t->pid;
		s->chain_edge[s->chain_len++] = OWNER_KINDS;	/* the last: none */
		if (again) {	/* where the chain closes: a cycle back to its start? */
			s->chain_cycle = s->chain[0] == t->tid && s->chain_pid[0] == t->pid;
			return;
		}
		if (!(e = first_waker(w, i, &o)))
			return;
		s->chain_edge[s->chain_len - 1] = e->kind;
		i = (size_t)o;
	}
}

void wakers__free(struct wakers *w)
{
	free(w->forever);
	w->forever = NULL;
}
