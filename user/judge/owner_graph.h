/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The owner edges of a report (model/facts.h) as a wait-for graph: which
 * unit waits for which, whatever the kind of unit or of edge (a futex
 * mutex, a Java monitor, a join...), and cycles through it. */
#ifndef LT_OWNER_GRAPH_H
#define LT_OWNER_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"

struct owner_graph {
	const struct owner_edge *edges;	/* sorted by waiter */
	size_t n;
};

/* A graph over r's owner edges; sorts r->owners by waiter. */
void owner_graph__init(struct owner_graph *g, struct report *r);

/* The edges whose waiter is u: *n of them from the result (*n = 0: none). */
const struct owner_edge *owner_graph__edges(const struct owner_graph *g,
					    const struct unit_ref *u, size_t *n);

/* If start is in a cycle of edges of the kinds in mask (OWNER_MASK bits),
 * at most max units long, write the ids of its units from start on into
 * ids, what each waits for the next to do into edge (enum owner_kind), and
 * return its length; else 0. A unit that waits on a cycle it is not part
 * of is in none. Each edge waits for the owner to act: every owner on a
 * cycle waits on the next, so none ever acts. */
int owner_graph__cycle(const struct owner_graph *g, const struct unit_ref *start,
		       unsigned mask, uint64_t *ids, uint8_t *edge, int max);

#endif
