/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which parked threads a report asks stacks for when there are more than
 * the per-report cap, and under which drop name a thread left without a
 * stack is counted. Pure: no tracer, no kernel. */
#ifndef LT_CAPTURE_PLAN_H
#define LT_CAPTURE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "model/drops.h"

/* A thread whose stack the report wants (none cached for its park). */
struct capture_want {
	uint32_t tid;
	uint64_t nvcsw;
	uint64_t parked_ns;	/* how long parked: the oldest park is asked first */
	size_t thread;		/* index into report.threads */
};

/* Order w oldest park first (tid order among equal ones) and return how
 * many to ask for now: min(n, max). The rest wait for the next report,
 * where having parked longer puts them before the newcomers, so every
 * thread that stays parked gets its stack. */
size_t capture_plan_select(struct capture_want *w, size_t n, size_t max);

/* The drop of a thread asked for that got no record, from the tracer's
 * miss code (tracer__capture): -ESTALE ran, -ESRCH exited, else failed. */
enum drop_reason capture_miss_reason(int miss);

/* The stack_error a thread left without a stack shows for a drop. */
int capture_drop_errno(enum drop_reason why);

#endif
