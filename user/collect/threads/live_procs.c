// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "collect/threads/live_procs.h"

static int cmp_live(const void *a, const void *b)
{
	uint32_t x = ((const struct live_proc *)a)->pid, y = ((const struct live_proc *)b)->pid;

	return (x > y) - (x < y);
}

static int same_process(const struct live_proc *a, const struct live_proc *b)
{
	return !a->start_ns || !b->start_ns || a->start_ns == b->start_ns;
}

int live_procs__update(struct live_procs *l, const struct report *r, proc_gone_fn gone,
		       void *ctx)
{
	struct live_proc *now = malloc((r->n_procs + 1) * sizeof(*now));
	size_t n = 0, i = 0, k = 0;
	int n_gone = 0;

	if (!now)
		return -ENOMEM;
	for (size_t j = 0; j < r->n_procs; j++)
		if (r->procs[j].alive)
			now[n++] = (struct live_proc){ r->procs[j].pid, r->procs[j].start_ns };
	qsort(now, n, sizeof(*now), cmp_live);
	/* both sorted by pid: one merge */
	for (i = 0; i < l->n; i++) {
		while (k < n && now[k].pid < l->v[i].pid)
			k++;
		if (k < n && now[k].pid == l->v[i].pid && same_process(&l->v[i], &now[k]))
			continue;
		gone(l->v[i].pid, ctx);
		n_gone++;
	}
	free(l->v);
	l->v = now;
	l->n = n;
	return n_gone;
}

void live_procs__free(struct live_procs *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
