/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Goroutines in reports: one goroutine tracer per traced Go process, whose
 * parked goroutines enter the report to be judged like threads. */
#ifndef LT_GO_REPORT_H
#define LT_GO_REPORT_H

#include <stdbool.h>

#include "model/report.h"

struct go_report_opts {
	const int *pids;	/* --pid processes; Go ones are traced */
	int n_pids;
	bool force;		/* --go: a process that cannot be traced is an error */
	bool verbose;
	bool precise;		/* --precise: uprobes on the Go runtime (exact park times) */
	bool system_wide;	/* also attach to Go processes found in reports */
	size_t max_procs;	/* Go processes traced at most (64); the rest counted */
};

struct go_report;
struct go_tracer;

/* Attach to the Go processes among opts->pids (and, system-wide, to those
 * that later show up in reports, up to max_procs). Returns NULL only on a hard
 * error (message in err): with force, a process that is not Go or cannot be
 * traced. Otherwise such processes are skipped with a warning on stderr. */
struct go_report *go_report__new(const struct go_report_opts *opts, char *err, size_t errlen);
void go_report__free(struct go_report *g);

/* Collector: snapshot every traced process, add its parked goroutines
 * (>= r->threshold_ns) with their site ids and wait flags, and goroutine
 * counts to r; mark the Go runtime's own threads (idle Ms). Call after the
 * stack capture and before verdict_engine__judge(). */
int go_report__collect(struct go_report *g, struct report *r);

/* The tracer of pid, NULL when pid is not a traced Go process. */
struct go_tracer *go_report__tracer(const struct go_report *g, uint32_t pid);

#endif
