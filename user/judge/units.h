/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Parked units as the judge sees them: threads and goroutines (and later
 * kinds) of a report behind one view, so grouping, history and rules are
 * written once. A new kind of unit adds its case to units.c only. */
#ifndef LT_JUDGE_UNITS_H
#define LT_JUDGE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/report.h"

/* One parked unit: where it is in the report and how it groups. */
struct unit {
	uint32_t pid;
	uint8_t kind;		/* enum unit_kind */
	uint64_t group;		/* site id, or the wait's shape */
	uint64_t id;		/* tid or goid */
	size_t idx;		/* into report.threads or report.goroutines */
};

/* One park of a unit, to tell an old park from a new one across reports. */
struct park {
	uint64_t switches;	/* voluntary switch count, 0 = not known */
	uint64_t since_ns;	/* when it parked (a clock per kind), 0 = before attach */
	bool after_attach;	/* the tracer saw this park begin */
};

/* Every parked unit of r, sorted by (pid, kind, group, id); *n set.
 * NULL on ENOMEM (n = 0 is a valid empty result). */
struct unit *units_collect(struct report *r, size_t *n);

/* Order of struct unit, and of (pid, kind, group) keys alone. */
int unit_cmp(const struct unit *a, const struct unit *b);
int unit_key_cmp(uint32_t pa, uint8_t ka, uint64_t ga, uint32_t pb, uint8_t kb, uint64_t gb);

/* qsort/sorted_find order of units by (pid, kind, id): lookups by id. */
int unit_id_cmp(const void *a, const void *b);

void unit_park(const struct report *r, const struct unit *u, struct park *p);
uint64_t unit_parked_ns(const struct report *r, const struct unit *u);

/* Same park as when last seen? The voluntary switch count moves each time
 * a thread parks, so it tells a new park from an old one exactly; park
 * times derived from the task clock move by tens of ms between reports
 * (IRQ/steal-time correction), so time is only the fallback. */
bool park_same(const struct park *a, const struct park *b);

/* Record the verdict and site of unit u. */
void unit_set_verdict(struct report *r, const struct unit *u, enum verdict v, size_t site);

const char *unit_noun(enum unit_kind kind, bool plural);

#endif
