/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A report as Prometheus text exposition (format 0.0.4), without I/O of its
 * own: the exporter renders into a buffer, the tests into a memstream. */
#ifndef LT_PROM_FORMAT_H
#define LT_PROM_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/report.h"
#include "sinks/escape.h"

/* Per-process series are kept for at most this many processes (most parked
 * threads first) so a host with thousands of leaking processes cannot blow
 * up the scraper; the rest is counted in leaktrace_series_truncated. */
#define PROM_MAX_PROCS 100
/* Series of leaktrace_leaking_site_units: the largest leak and deadlock
 * sites, by service and culprit frame. */
#define PROM_MAX_LEAK_SITES 50

/* Counters that must not reset between reports. */
struct prom_totals {
	uint64_t reports;
	uint64_t capture_failures;	/* report->capture_failures is per report */
};

/* leaktrace itself: its resource use, and what runs (build_info; NULL
 * strings are written empty). */
struct prom_self {
	double cpu_seconds;
	uint64_t rss_bytes;
	const char *kernel;	/* uname release */
	const char *mode;	/* "default" or "precise" */
};

/* Account one report into t. */
void prom_totals_add(struct prom_totals *t, const struct report *r);

/* Write every metric of r (may be empty: before the first report) to f.
 * Per-process series are labelled comm, unit, container_id, pod_uid (the
 * service, identity.h; empty when not applicable) and summed over the
 * processes that share them; pid_label adds a pid label (one series per
 * process, new series at every restart). Returns 0, -ENOMEM, or -EIO when
 * f failed. */
int prom_render(FILE *f, const struct report *r, const struct prom_totals *t,
		const struct prom_self *self, bool pid_label);

#endif
