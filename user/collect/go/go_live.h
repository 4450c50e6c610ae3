/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live goroutines per creation site across walks of one Go process: each
 * walk adds its live goroutines (running or parked, the runtime's left
 * out) with the site they were created at; the commit counts, per site,
 * how many live now, whether that grew, and how many of the goids seen
 * before are gone (goids are never reused: a goid missing is a goroutine
 * that ended). Pure bookkeeping, no memory reads: the walk
 * (go_tracer_walk.c) feeds it, tests/unit/test_go_live.c drives it.
 * Bounded: at most GO_LIVE_GS_MAX goroutines and GO_LIVE_SITES_MAX sites;
 * a walk over the first bound, or cut, is not committed.
 */
#ifndef LT_GO_LIVE_H
#define LT_GO_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/facts.h"

#define GO_LIVE_GS_MAX		(1u << 18)
#define GO_LIVE_SITES_MAX	4096

/* One live goroutine seen by a walk. */
struct go_live_g {
	uint64_t key;		/* its creation site: go_live__key() */
	uint64_t goid, g_addr;
	bool parked;		/* parked past the threshold */
	bool resting;		/* waiting or runnable: its saved stack is current */
};

/* One creation site after a commit. */
struct go_live_site_hist {
	uint64_t key;
	struct live_site fact;
	uint64_t rep_g;		/* g of one of its goroutines not parked past the
				 * threshold and not running, 0 = none */
	uint64_t rep_goid;
};

struct go_live {
	struct go_live_g *now, *prev;	/* this walk's, the last committed (sorted) */
	size_t n_now, cap_now, n_prev, cap_prev;
	bool overflow;			/* this walk saw more than GO_LIVE_GS_MAX */
	struct go_live_site_hist *sites;	/* by key */
	size_t n_sites;
};

/* The site of a goroutine created by the go statement at gopc, starting
 * at startpc (the pcs, not their texts: no lookup per goroutine). */
uint64_t go_live__key(uint64_t gopc, uint64_t startpc);

/* A live goroutine of the walk in progress. */
void go_live__add(struct go_live *l, const struct go_live_g *g);

/* End of a walk taken at now_ns (CLOCK_MONOTONIC): sites updated. A walk
 * that could not read every goroutine (complete false) is dropped: gone
 * from its count, goroutines would look ended. 0 or -ENOMEM. */
int go_live__commit(struct go_live *l, bool complete, uint64_t now_ns);

/* A site worth a record (the judge decides): seen twice, grew, none of
 * its goroutines ended, most not parked past the threshold (those are
 * judged as parked goroutines), one to show. */
bool go_live__candidate(const struct go_live_site_hist *h);

void go_live__free(struct go_live *l);

#endif
