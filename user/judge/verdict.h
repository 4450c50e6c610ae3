/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The judge: after the collectors (thread scan, then collect/collectors.c:
 * stacks, goroutines, identities, thread facts, sockets) have filled a
 * report with units and facts, groups every parked unit into sites,
 * follows each site over the reports (history.c) and judges it once with
 * the rule table (rules.c). Nothing changes a verdict afterwards. The
 * judge reads facts only: no /proc, no target memory, no sockets
 * (tests/lint/test_layers.py checks). */
#ifndef LT_VERDICT_H
#define LT_VERDICT_H

#include <stdint.h>

#include "judge/baseline.h"
#include "model/report.h"

struct verdict_opts {
	uint32_t leak_min_threads;	/* a spread-out site needs this many (3) */
	double leak_min_span_s;		/* ... parked over at least this span (1 s) */
	uint32_t leak_min_arrivals;	/* or this net growth (arrivals - departures) while observed (2) */
	uint32_t leak_min_pile;		/* or this many on private objects, none leaving (10) */
	size_t max_sites;		/* history entries kept (4096) */
	bool baseline;			/* --baseline: judge against each service's normal */
	struct baseline_opts baseline_opts;
};

struct verdict_engine;

struct verdict_engine *verdict_engine__new(const struct verdict_opts *opts);
void verdict_engine__free(struct verdict_engine *e);

/* Fill r->sites; every thread's group, site_index and verdict;
 * every goroutine's site_index and verdict; r->worst. Call once per report,
 * in time order, after all collectors. */
int verdict_engine__judge(struct verdict_engine *e, struct report *r);

/* The services' baselines (--baseline), NULL without: the session keeps
 * them in the state directory. */
struct baselines *verdict_engine__baselines(struct verdict_engine *e);

#endif
