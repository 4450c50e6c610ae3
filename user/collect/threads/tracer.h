/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* BPF lifecycle: feature probes, load, attach, scans and stack captures. */
#ifndef LT_TRACER_H
#define LT_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/report.h"

struct tracer_opts {
	const int *pids;	/* tgids; none = system-wide */
	int n_pids;
	bool kernel_threads;
	bool capture_stacks;	/* load the sleepable capture iterator */
	bool precise;		/* sched_switch/sched_wakeup programs: exact park
				 * times and wake-up counts, at a cost per switch */
	uint64_t cgroup_id;	/* trace this cgroup v2 subtree too; 0 = none */
	uint32_t cgroup_level;	/* its depth below the v2 root */
};

struct tracer;

/* Probe, open, load and attach. On failure returns -errno and writes a
 * one-line reason to err; -EPERM means missing privileges, -EOPNOTSUPP
 * a kernel without a required feature. */
int tracer__new(const struct tracer_opts *opts, struct tracer **out, char *err, size_t errlen);
void tracer__free(struct tracer *t);

/* Walk all threads: fill r (whose mono_ns, real_ns, threshold_ns are set)
 * with the threads parked past the threshold (filtered in BPF), per-process
 * summaries, the count of threads scanned and drop counters. */
int tracer__scan(struct tracer *t, struct report *r);

/* Forget fork/exit counters of processes that are gone (bounded maps). */
void tracer__prune(struct tracer *t, const struct report *r);

/* Capture the stacks of threads tids[i], seen parked with nvcsw[i]
 * voluntary switches; calls cb for each record obtained. Threads that ran
 * since (nvcsw moved) are skipped: their stack would be stale. miss[i]
 * (n entries) says why tids[i] got no record: 0 = it got one, -ESTALE it
 * ran, -ESRCH it exited, else the iterator's error. At most
 * LT_MAX_CAPTURES tids (-E2BIG): the caller chooses which. */
typedef void (*tracer_stack_cb)(void *ctx, const struct lt_stack_rec *rec);
int tracer__capture(struct tracer *t, const uint32_t *tids, const uint64_t *nvcsw, size_t n,
		    tracer_stack_cb cb, void *ctx, int *miss);

/* True when the capture iterator is loaded (kernel >= 5.18). */
bool tracer__can_capture(const struct tracer *t);

/* Number of --pid processes still alive. A process is the one given at
 * start-up while a process with its pid has the same start time: one
 * found gone (exited, or its pid reused by another) is dropped from the
 * BPF filter and stays gone. */
int tracer__targets_alive(struct tracer *t);

#endif
