/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types and constants shared by goroutines.bpf.c and user/go_tracer.c. */
#ifndef GOROUTINES_H
#define GOROUTINES_H

#define GO_MAX_PARKED	65536	/* g structs with a park time (default bound) */

/* Indexes of the event counters in the BPF .bss. */
enum go_counter {
	GO_CNT_PARKS = 0,	/* runtime.gopark calls */
	GO_CNT_CREATED,		/* runtime.newproc1 calls: goroutines created */
	GO_CNT_EXITED,		/* runtime.goexit0 calls: goroutines exited */
	GO_CNT_DROP_PARKED,	/* park times lost: go_parked map full */
	GO_CNT_MAX,
};

/*
 * Last park of one g struct, keyed by the g's address. g structs are never
 * freed by the Go runtime (only recycled), so the keys stay bounded by the
 * length of runtime.allgs; a stale entry for a g that has run since is told
 * apart in userspace by the g's status.
 */
struct go_park {
	__u64 parked_ns;	/* bpf_ktime_get_ns() at runtime.gopark */
	__u32 reason;		/* waitReason argument of gopark */
	__u32 pad;
};

#endif /* GOROUTINES_H */
