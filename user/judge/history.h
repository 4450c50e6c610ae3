/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sites across reports: which units a site had when last seen, so each
 * report can count arrivals (units that parked there since) and departures
 * (units that left: ran, exited, or parked anew). Bounded: sites missed for
 * more than 3 reports are forgotten, at most max_sites are kept. */
#ifndef LT_JUDGE_HISTORY_H
#define LT_JUDGE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "judge/units.h"

struct site_history;

struct site_history *site_history__new(size_t max_sites);
void site_history__free(struct site_history *h);

/* What a site's history says after this report. */
struct site_observation {
	uint32_t arrivals, departures;	/* since first seen */
	uint32_t reports_seen;
	uint32_t growth_reports;	/* reports in which more arrived than left */
	uint64_t first_seen_ns;		/* CLOCK_MONOTONIC */
	bool woken;			/* a member got wake-ups without running */
};

/* Start a new report: sites observed from now on replace the old ones at
 * site_history__commit(). */
int site_history__begin(struct site_history *h, size_t max_new_sites);

/* Observe the site made of units u[0..n) (one pid, kind, group; sorted by
 * id) in report r. all[0..n_all) are every unit of r, sorted (to find units
 * that moved). 0 or -ENOMEM. */
int site_history__observe(struct site_history *h, const struct report *r, const struct unit *u,
			  size_t n, const struct unit *all, size_t n_all,
			  struct site_observation *out);

/* End the report: forget what is too old. Returns sites evicted so far. */
uint64_t site_history__commit(struct site_history *h);

#endif
