/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which traced processes are gone since the last report: a process is its
 * (pid, start time), so a pid reused by a new process counts as the old one
 * gone. Drives the one pass that frees every per-process cache. */
#ifndef LT_CORE_LIVE_PROCS_H
#define LT_CORE_LIVE_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"

struct live_proc {
	uint32_t pid;
	uint64_t start_ns;	/* 0: unknown, matches any */
};

struct live_procs {
	struct live_proc *v;	/* sorted by pid */
	size_t n;
};

typedef void (*proc_gone_fn)(uint32_t pid, void *ctx);

/* Call gone(pid) for each process alive in the previous report that r does
 * not show alive with the same start time, then remember r's live ones.
 * Returns the number gone, or -ENOMEM (nothing called, nothing changed). */
int live_procs__update(struct live_procs *l, const struct report *r, proc_gone_fn gone,
		       void *ctx);
void live_procs__free(struct live_procs *l);

#endif
