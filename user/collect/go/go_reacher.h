/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * When to run the reachability pass (collect/go/go_reach.c) on one traced
 * Go process, and the proofs of its last pass. A pass runs only when the
 * snapshot has candidates (goroutines parked past the threshold on a
 * channel, a select, a sync.Mutex/RWMutex/WaitGroup or a sync.Cond), and
 * then only when that set changed since the last pass or GO_REACH_INTERVAL
 * passed: a process whose blocked goroutines stay the same is read once
 * per interval, not once per report.
 */
#ifndef GO_REACHER_H
#define GO_REACHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/go/go_reach.h"
#include "collect/go/go_tracer.h"

#define GO_REACH_INTERVAL_NS	(30ull * 1000000000ull)

struct go_reacher;

/* NULL (message in err) when the heap layout of this binary is unknown. */
struct go_reacher *go_reacher__new(struct go_tracer *t, bool verbose, char *err, size_t errlen);
void go_reacher__free(struct go_reacher *r);

/*
 * Runs a pass when due (see above). Returns 1 when a pass ran, 0 when
 * none was due, -errno when it failed (*cut: it was cut by its budget: the
 * proofs of the previous pass are dropped either way).
 */
int go_reacher__update(struct go_reacher *r, const struct go_snapshot *snap, uint64_t now_ns,
		       bool *cut);

/* The proof for a parked goroutine of the snapshot, NULL if none. */
const struct go_proof *go_reacher__proof(const struct go_reacher *r, const struct go_goroutine *g);

/* The last pass's figures. */
const struct go_reach_stats *go_reacher__stats(const struct go_reacher *r);

#endif /* GO_REACHER_H */
