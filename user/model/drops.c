// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "model/drops.h"
#include "leaktrace.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const struct drop_desc drop_table[DROP_MAX] = {
	[DROP_PROC_COUNTS] = { "proc_counts",
		"processes whose fork/exit counts were not kept (BPF proc_counts map of "
		STR(LT_MAX_PROCS) " full)" },
	[DROP_TASK_STORAGE] = { "task_storage",
		"threads without precise park state (task storage, or its hash of "
		STR(LT_MAX_THREADS) ", full)" },
	[DROP_CAPTURE] = { "capture",
		"stack captures the kernel refused (neither kernel nor user stack read)" },
	[DROP_CAPTURE_CAP] = { "capture_cap",
		"threads over the per-report capture cap of " STR(LT_MAX_CAPTURES)
		", retried next report" },
	[DROP_CAPTURE_RAN] = { "capture_ran",
		"threads that ran between the scan and their capture (a stack would be stale)" },
	[DROP_CAPTURE_EXITED] = { "capture_exited", "threads that exited before their capture" },
	[DROP_CAPTURE_NO_FRAMES] = { "capture_no_frames",
		"stacks captured from which no frame could be unwound" },
	[DROP_CAPTURE_FAILED] = { "capture_failed",
		"stacks not captured: the capture iterator failed (see stack_error)" },
	[DROP_SITES_EVICTED] = { "sites_evicted",
		"sites whose verdict history was evicted (history full)" },
	[DROP_GO_PROCESSES_SKIPPED] = { "go_processes_skipped",
		"Go processes not traced (over the bound of Go processes traced at once)" },
	[DROP_GOROUTINES_CUT] = { "goroutines_cut",
		"goroutines or semaphore waiters not read (walk bounds or snapshot budget)" },
	[DROP_PYTHON_WALKS_FAILED] = { "python_walks_failed",
		"Python frame walks that failed (marker frame left in the stack)" },
	[DROP_CONNECTIONS_UNLOCATED] = { "connections_unlocated",
		"unanswered connections not looked for (per-report fd budget spent)" },
	[DROP_GO_PARK_TIMES] = { "go_park_times",
		"goroutine parks not timed (--precise park-time map full): ages estimated" },
	[DROP_PYTHON_WALKS_CUT] = { "python_walks_cut",
		"Python stacks cut at their frame limit (the outermost frames lost)" },
	[DROP_DEADLINE_CUT] = { "deadline_cut",
		"stacks, Go processes or lock owners left for the next report (its deadline passed)" },
	[DROP_JAVA_WALKS_FAILED] = { "java_walks_failed",
		"JVMs whose threads could not be read (Java names, states and lock owners missing)" },
	[DROP_GO_REACH_CUT] = { "go_reach_cut",
		"Go reachability passes cut by their byte or CPU budget (no proof from them)" },
	[DROP_JAVA_FRAMES_UNAVAILABLE] = { "java_frames_unavailable",
		"Java stacks not walked (marker frame left in the stack)" },
	[DROP_PYTHON_NAMES_FAILED] = { "python_names_failed",
		"Python thread names not read (a read of threading's structures failed)" },
};

void drop_totals_add(struct drop_totals *t, const uint64_t lost[DROP_MAX], uint64_t drops[DROP_MAX])
{
	for (int i = 0; i < DROP_MAX; i++) {
		t->total[i] += lost[i];
		drops[i] = t->total[i];
	}
}
