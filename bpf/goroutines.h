/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types and constants shared by goroutines.bpf.c and user/collect/go/go_tracer.c.
 * One object serves every traced Go process: its maps are keyed by pid. */
#ifndef GOROUTINES_H
#define GOROUTINES_H

#define GO_MAX_PARKED	65536	/* g structs with a park time (default bound) */
#define GO_MAX_PROCS	1024	/* Go processes with counters */

/* Indexes of the event counters of one process. */
enum go_counter {
	GO_CNT_PARKS = 0,	/* runtime.gopark calls */
	GO_CNT_CREATED,		/* runtime.newproc1 calls: goroutines created */
	GO_CNT_EXITED,		/* runtime.goexit0 calls: goroutines exited */
	GO_CNT_DROP_PARKED,	/* park times lost: go_parked map full */
	GO_CNT_MAX,
};

/* The counters of one traced process (go_counts, keyed by its pid; the
 * entry is made by userspace at attach and removed at detach). */
struct go_counts {
	__u64 c[GO_CNT_MAX];
};

/* A g struct of one process. */
struct go_key {
	__u32 pid;
	__u32 pad;
	__u64 g;
};

/*
 * Last park of one g struct, keyed by pid and the g's address. g structs
 * are never freed by the Go runtime (only recycled), so the keys stay
 * bounded by the length of runtime.allgs; a stale entry for a g that has
 * run since is told apart in userspace by the g's status.
 */
struct go_park {
	__u64 parked_ns;	/* bpf_ktime_get_ns() at runtime.gopark */
	__u32 reason;		/* waitReason argument of gopark */
	__u32 pad;
};

#endif /* GOROUTINES_H */
