/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Threads proven blocked forever by who could wake them (proof
 * waker_chain): a thread waits for the owner of its mutex to release it,
 * for the thread it joins to exit, or for a thread of a process holding
 * its pipe's write end to write (owner edges, model/facts.h). It never
 * wakes when every such waker is itself a parked thread that never wakes:
 * the largest set of parked threads each of whose wakers are all in the
 * set (chains into a mutex deadlock, cycles through joins and pipes).
 * Decided from proofs only: a waker that runs, is not in the report or
 * has no complete waker set of its own leaves it undecided. */
#ifndef LT_WAKERS_H
#define LT_WAKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "judge/owner_graph.h"

struct wakers {
	const struct owner_graph *g;
	const struct report *r;
	bool *forever;		/* per r->threads index */
};

/* Decide over r's parked threads; 0 or -ENOMEM. */
int wakers__prove(struct wakers *w, const struct owner_graph *g, const struct report *r);

/* Whether thread r->threads[i] is proven never to wake. */
bool wakers__forever(const struct wakers *w, size_t i);

/* The chain from r->threads[i] (proven forever) into s->chain: each next
 * unit a waker of the one before, until one repeats. */
void wakers__chain(const struct wakers *w, size_t i, struct site_report *s);

void wakers__free(struct wakers *w);

#endif
