/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The run's configuration as data: run/options.c parses the command line
 * into it, every floor reads it (sinks pick their format and address). */
#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define LT_MAX_PIDS 1024

/* Documented exit codes (README "Exit codes"). */
enum lt_exit {
	LT_EXIT_OK = 0,
	LT_EXIT_FAILURE = 1,	/* runtime failure: BPF load/attach, I/O */
	LT_EXIT_USAGE = 2,	/* malformed option or value */
	LT_EXIT_NO_PROCESS = 3,	/* --pid names no running process; no such
				 * --cgroup, --unit or --container */
	LT_EXIT_PERMISSION = 4,	/* not root / missing CAP_BPF, CAP_PERFMON */
	LT_EXIT_UNSUPPORTED = 5,/* kernel without BTF or a required BPF feature */
	LT_EXIT_LEAK = 10,	/* --fail-on-leak and a leak or deadlock was reported */
};

struct lt_options {
	int pids[LT_MAX_PIDS];
	int n_pids;
	uint64_t threshold_ns;
	uint64_t interval_ns;
	uint64_t duration_ns;	/* 0 = until interrupted */
	const char *format;	/* -f: a format named in sinks/sinks.c */
	const char *output;	/* NULL = stdout */
	bool events;		/* --events: -f json writes findings, not snapshots */
	bool folded_seconds;	/* --folded-value seconds: parked seconds, not threads */
	bool folded_verdict;	/* --folded-verdict: the site's verdict as root frame */
	uint32_t rows;		/* --rows: text rows per site, 0 = all */
	bool summary_only;	/* --summary: text prints the summary only */
	bool verbose;
	bool kernel_threads;
	bool precise;		/* --precise: programs on sched_switch/sched_wakeup */
	bool stacks_user;
	bool stacks_kernel;
	int stack_depth;
	const char *prometheus;	/* --prometheus ADDR:PORT, NULL = off */
	bool prometheus_pid;	/* --prometheus-pid: a pid label per series */
	/* at most one: the cgroup v2 subtree to trace (cgroup_filter.h) */
	const char *cgroup;
	const char *unit;
	const char *container;
	bool syslog;
	bool no_python;			/* --no-python: native frames only */
	int go_mode;			/* 0 auto-detect, 1 --go, -1 --no-go */
	bool fail_on_leak;
	int min_verdict;		/* enum verdict */
	uint32_t leak_min_threads;
	double leak_min_span_s;
	uint32_t leak_min_arrivals;
	uint32_t leak_min_pile;
	bool baseline;			/* --baseline: stuck means changed from the service's normal */
	uint64_t baseline_after_ns;	/* --baseline-after: processes this young form none yet */
	const char *state_dir;		/* --state-dir: baselines kept across restarts */
	bool no_sandbox;		/* --no-sandbox: keep every capability, no seccomp */
	uint64_t memory_budget;		/* --memory-budget bytes, 0 = from the cgroup's limit */
};

#endif
