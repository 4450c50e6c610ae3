/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One report: parked threads and per-process summaries of one interval. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leaktrace.h"
#include "wait.h"

struct thread_report {
	uint32_t pid, tid;
	char comm[LT_COMM_LEN];		/* process name */
	char thread[LT_COMM_LEN];	/* thread name */
	char state;			/* 'S' or 'D' */
	uint64_t parked_ns;		/* how long it has been parked */
	uint64_t parked_since_ns;	/* CLOCK_REALTIME of the park */
	bool park_seen;			/* park time from sched_switch, not exec_start */
	uint64_t age_ns;		/* since the thread was created */
	uint32_t creator_tid;		/* 0 = unknown (created before leaktrace) */
	uint64_t wakeups;
	uint64_t nvcsw;
	struct wait_info wait;
	/* stacks, filled when captured */
	char **user_stack;
	int n_user;
	char **kernel_stack;
	int n_kernel;
	int stack_err;			/* 0, or -errno of a failed capture */
	uint64_t site;			/* hash of the stack, 0 = no stack */
};

struct proc_report {
	uint32_t pid;
	char comm[LT_COMM_LEN];
	uint32_t live_threads;
	uint64_t created, exited;		/* during this interval */
	uint64_t created_total, exited_total;	/* since leaktrace started */
	uint32_t parked;			/* threads in this report */
	bool alive;				/* seen by the last scan */
};

struct report {
	uint64_t mono_ns;		/* CLOCK_MONOTONIC when taken */
	uint64_t real_ns;		/* CLOCK_REALTIME when taken */
	uint64_t threshold_ns;
	uint64_t interval_ns;		/* since the previous report */
	int64_t clock_lag_ns;		/* CLOCK_MONOTONIC minus the task clock of park times */
	bool final;
	bool summarize_all;		/* summaries of every traced process, not only those with parked threads */
	uint64_t threads_scanned;
	uint64_t drops[LT_DROP_MAX];
	uint64_t capture_failures;	/* stacks asked for and not obtained */
	struct thread_report *threads;
	size_t n_threads, cap_threads;
	struct proc_report *procs;
	size_t n_procs, cap_procs;
};

/* Empty r, keeping its buffers. */
void report_reset(struct report *r);
void report_free(struct report *r);

/* Find or add the summary of pid. NULL on allocation failure. */
struct proc_report *report_proc(struct report *r, uint32_t pid);

/* Append an empty thread entry. NULL on allocation failure. */
struct thread_report *report_add_thread(struct report *r);

/* Sort: processes by pid, threads by pid then longest parked first. */
void report_sort(struct report *r);

/* Fill r->threads/procs from one iterator record. A thread enters the
 * report when it is parked (S/D) for at least r->threshold_ns. */
int report_add_record(struct report *r, const struct lt_thread_rec *rec);

#endif
