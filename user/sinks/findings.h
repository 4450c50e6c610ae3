/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Findings: parked threads followed across reports, so a log gets one line
 * when a finding appears, changes verdict or disappears, instead of one per
 * interval. (A change in the number of threads at a site is one site line,
 * see syslog_out.h, not a line per thread of the site.) Pure: no I/O. */
#ifndef LT_FINDINGS_H
#define LT_FINDINGS_H

#include <stdint.h>

#include "core/report.h"

/* At most this many findings are followed (the first ones of a report, in
 * pid order); the others are counted in findings__dropped() and not
 * reported, so the table cannot grow without bound. */
#define FINDINGS_MAX 65536

enum finding_event {
	FINDING_NEW,
	FINDING_CHANGED,
	FINDING_GONE,
};

/* One parked thread as last reported. Keyed by (pid, tid, start_ns): a
 * reused tid is a different finding. */
struct finding {
	uint32_t pid, tid;
	uint64_t start_ns;		/* thread creation, CLOCK_MONOTONIC; 0 = unknown */
	uint64_t site;			/* stack id, 0 = none */
	uint32_t site_threads;		/* parked threads at its site, 0 = unknown */
	enum verdict verdict;
	char comm[LT_COMM_LEN];
	char thread[LT_COMM_LEN];
};

/* t is the thread in the current report, NULL for FINDING_GONE. */
typedef void (*finding_fn)(enum finding_event ev, const struct finding *f,
			   const struct thread_report *t, void *ctx);

struct findings;

struct findings *findings__new(void);
void findings__free(struct findings *fs);

/* Compare r with the previous report and call fn for every finding that is
 * new, changed or gone, in (pid, tid) order. Threads with a verdict below
 * r->min_verdict are not findings. Returns 0 or -ENOMEM (then
 * nothing is called and the state is the previous one). */
int findings__update(struct findings *fs, const struct report *r, finding_fn fn, void *ctx);

/* Findings followed now. */
size_t findings__count(const struct findings *fs);

/* Parked threads left out because a report had more than FINDINGS_MAX,
 * summed over reports. */
uint64_t findings__dropped(const struct findings *fs);

#endif
