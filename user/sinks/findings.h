/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Findings: parked threads, goroutines and sites followed across reports,
 * so a log gets one line when a finding appears, changes verdict or
 * disappears, instead of one per interval. A site also changes when its
 * number of threads does (one site line, not a line per thread of the
 * site). Used by --syslog and by -f json --events. Pure: no I/O (the
 * state file goes through a FILE and a buffer, sinks/findings_state.c). */
#ifndef LT_FINDINGS_H
#define LT_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/report.h"

/* At most this many findings are followed (the first ones of a report, in
 * pid order); the others are counted in findings__dropped() and not
 * reported, so the table cannot grow without bound. */
#define FINDINGS_MAX 65536

enum finding_event {
	FINDING_NEW,
	FINDING_CHANGED,
	FINDING_GONE,
};

/* What a finding follows; findings__new() takes a mask of these. */
enum finding_kind {
	FINDING_THREAD,
	FINDING_GOROUTINE,
	FINDING_SITE,
};
#define FINDINGS_ALL (1u << FINDING_THREAD | 1u << FINDING_GOROUTINE | 1u << FINDING_SITE)

/* One parked thread, goroutine or site as last reported. Keyed by (kind,
 * pid, tid | goid | site, start_ns): a reused tid is a different finding. */
struct finding {
	enum finding_kind kind;
	uint32_t pid, tid;
	uint64_t goid;
	uint64_t start_ns;		/* thread creation, CLOCK_MONOTONIC; 0 = unknown */
	uint64_t site;			/* site id (group; stack id for threads), 0 = none */
	uint32_t site_threads;		/* parked threads (goroutines) at the site, 0 = unknown */
	uint8_t unit_kind;		/* FINDING_SITE: enum unit_kind of the site */
	enum verdict verdict;
	char comm[LT_COMM_LEN];
	char thread[LT_COMM_LEN];
	size_t index;			/* into r->threads/goroutines/sites; SIZE_MAX when gone */
};

/* t is the thread of a FINDING_THREAD in the current report, NULL when it
 * is gone and for the other kinds (f->index locates those). */
typedef void (*finding_fn)(enum finding_event ev, const struct finding *f,
			   const struct thread_report *t, void *ctx);

struct findings;

/* Follow threads only (--syslog's thread lines). */
struct findings *findings__new(void);
/* Follow the kinds in mask (1u << enum finding_kind). */
struct findings *findings__new_kinds(unsigned mask);
void findings__free(struct findings *fs);

/* Compare r with the previous report and call fn for every finding that is
 * new, changed or gone, in key order. Threads, goroutines and sites with a
 * verdict below r->min_verdict are not findings. Returns 0 or -ENOMEM (then
 * nothing is called and the state is the previous one). */
int findings__update(struct findings *fs, const struct report *r, finding_fn fn, void *ctx);

/* Findings followed now. */
size_t findings__count(const struct findings *fs);

/* Parked threads left out because a report had more than FINDINGS_MAX,
 * summed over reports. */
uint64_t findings__dropped(const struct findings *fs);

/* True when an update since the last call announced something: the
 * followed findings changed, time to save them. */
bool findings__changed(struct findings *fs);

/* The findings followed now as text, for the state file (--state-dir): a
 * line "leaktrace-findings 1 BOOT_ID", then one line per finding, in key
 * order. boot_id (the kernel's, /proc/sys/kernel/random/boot_id) ties
 * them to this boot: thread start times are CLOCK_MONOTONIC. 0 or -EIO. */
int findings__save(const struct findings *fs, FILE *f, const char *boot_id);
/* Follow the findings of a saved text (len bytes) as if they were the last
 * report's, so the next update announces only what changed meanwhile.
 * All or nothing: -EINVAL for a text not of version 1, of another boot,
 * over FINDINGS_MAX, unsorted or of kinds not followed; -ENOMEM. */
int findings__load(struct findings *fs, const char *buf, size_t len, const char *boot_id);

#endif
