/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every bound leaktrace keeps, and what it lost to it, under one name per
 * cause. One table: the JSON "drops" object, the Prometheus
 * leaktrace_drops_total{kind} series, the text notes and docs/outputs.md iterate it,
 * so a new cap is one enum value and one table row. */
#ifndef LT_DROPS_H
#define LT_DROPS_H

#include <stdint.h>

/* Order is the order of the outputs; names are stable (dashboards and JSON
 * readers key on them): add at the end of a group, never rename. */
enum drop_reason {
	DROP_PROC_COUNTS,	/* BPF proc_counts map full */
	DROP_TASK_STORAGE,	/* --precise: per-thread state not created */
	DROP_CAPTURE,		/* BPF gave neither kernel nor user stack */
	DROP_CAPTURE_CAP,	/* over the per-report capture cap: asked next report */
	DROP_CAPTURE_RAN,	/* ran between scan and capture: stack would be stale */
	DROP_CAPTURE_EXITED,	/* exited before its capture */
	DROP_CAPTURE_NO_FRAMES,	/* captured, but no frame unwound or symbolized */
	DROP_CAPTURE_FAILED,	/* the capture iterator itself failed */
	DROP_SITES_EVICTED,	/* verdict history full */
	DROP_GO_PROCESSES_SKIPPED,	/* Go processes beyond those traced at once */
	DROP_GOROUTINES_CUT,	/* goroutines/sudogs not read (walk bounds, budget) */
	DROP_PYTHON_WALKS_FAILED,	/* Python frame walks that left a marker frame */
	DROP_CONNECTIONS_UNLOCATED,	/* unanswered connections not looked for (fd budget) */
	DROP_GO_PARK_TIMES,	/* --precise: goroutine park times not recorded (map full) */
	DROP_PYTHON_WALKS_CUT,	/* Python frame chains longer than PY_MAX_FRAMES */
	DROP_DEADLINE_CUT,	/* left for the next report: its deadline passed */
	DROP_JAVA_WALKS_FAILED,	/* JVMs whose thread list could not be read */
	DROP_GO_REACH_CUT,	/* Go reachability passes cut by their budget: no proof */
	DROP_JAVA_FRAMES_UNAVAILABLE,	/* Java stacks not walked (marker frame left) */
	DROP_PYTHON_NAMES_FAILED,	/* threading names not read (a read failed) */
	DROP_MAX,
};

struct drop_desc {
	const char *name;	/* JSON key, Prometheus kind label, docs row */
	const char *note;	/* "N <note>" in the text report, for this report's losses */
};

extern const struct drop_desc drop_table[DROP_MAX];

/* Losses since leaktrace started: each report adds what it lost. */
struct drop_totals {
	uint64_t total[DROP_MAX];
};

/* totals += lost (one report's losses); drops = the new totals. */
void drop_totals_add(struct drop_totals *t, const uint64_t lost[DROP_MAX], uint64_t drops[DROP_MAX]);

#endif
