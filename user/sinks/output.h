/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Report formats: text, JSON lines, folded stacks, pprof (docs/outputs.md). */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "model/report.h"

/* Write "1h2m", "3.2s", "450ms". */
void format_duration(char *buf, size_t size, uint64_t ns);

/* The text layout (docs/outputs.md "Text"): thread rows and goroutine ids shown per
 * site (0: all; the others are counted in one "... N more" line), and
 * whether only the summary (a line per service) is printed. JSON is never
 * capped. */
#define TEXT_ROWS_DEFAULT 10
struct text_layout {
	uint32_t rows;
	bool summary_only;
};

/* output_text_layout() with TEXT_ROWS_DEFAULT rows and every site. */
void output_text(FILE *f, const struct report *r);
void output_text_layout(FILE *f, const struct report *r, const struct text_layout *l);
void output_json(FILE *f, const struct report *r);

/* --events: new, changed and gone threads, goroutines and sites since the
 * report fs last saw (findings.h), as records of the snapshot's shape with
 * an "event" field, then the summary and report records (the heartbeat).
 * Returns 0 or -ENOMEM (then no finding records were written). */
struct findings;

/* -f folded: one line per site, "comm;root;...;leaf VALUE", VALUE = parked
 * threads (or goroutines) of the site, or their parked seconds; with
 * verdict, "leak;comm;..." (the site's verdict as the root frame). */
void output_folded(FILE *f, const struct report *r, bool seconds, bool verdict);

/* -f pprof: r as a gzipped profile.proto. Returns 0, -ENOMEM or -EIO. */
int output_pprof(FILE *f, const struct report *r);
int output_json_events(FILE *f, const struct report *r, struct findings *fs);

#endif
