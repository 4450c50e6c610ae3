/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Goroutine tracing for one Go process: a snapshot walks runtime.allgs in
 * the target's memory (batched process_vm_readv, no ptrace, the program
 * never stops) and reports the parked goroutines with their wait reason,
 * parked age, creation site, start function and a frame-pointer stack.
 * Park ages come from successive walks (a park is known by its goid, wait
 * reason, saved pc/sp and trackingSeq), nothing runs in the target. With
 * opts.precise, uprobes on the Go runtime (attached by file offset) stamp
 * each park and count goroutines created and exited, at a cost per park.
 *
 * Lifecycle: go_tracer__new() (attaches), go_tracer__snapshot() as often
 * as wanted, go_snapshot__free() per snapshot, go_tracer__free() (detaches).
 */
#ifndef GO_TRACER_H
#define GO_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/facts.h"
#include "model/frame.h"

#define GO_COUNT_UNKNOWN UINT64_MAX

/*
 * One parked goroutine. Its texts and stack belong to the tracer: valid
 * until the next go_tracer__snapshot() or go_tracer__free().
 */
struct go_goroutine {
	uint64_t goid;
	uint32_t status;		/* enum go_gstatus, scan bit masked off */
	bool parked_estimated;		/* parked before attach: a lower bound */
	bool system;			/* started by a runtime.* function */
	double parked_seconds;
	const char *wait_reason;	/* the runtime's words: "chan send" */
	const char *created_by;		/* "main.handler at /path/main.go:14" */
	const char *start_func;		/* "main.handler.func1" */
	const struct frame *const *stack;	/* innermost first: FRAME_GO frames
					 * (runtime.gopark, /usr/lib/go/src/runtime/proc.go:363) */
	int stack_len;
	uint64_t g_addr;		/* address of the g struct in the target */
	/*
	 * What it waits on, 0 = unknown: the channel (hchan address) of a
	 * channel operation or select (its first case), or the semaphore word
	 * of sync.Mutex/RWMutex/WaitGroup/semacquire. Goroutines of a pool
	 * share one; per-request leaks each have their own.
	 */
	uint64_t wait_object;
	bool timer_case;		/* a time.Timer/Ticker channel among its waits */
	/* every channel it waits on (a select's cases), n_wait_chans of them */
	const uint64_t *wait_chans;
	uint8_t n_wait_chans;
	/*
	 * Two words the consumer may keep per park (what it derives from the
	 * record: a site id, flags), zeroed by the tracer when the goroutine
	 * parks anew, so derived values are computed once per park.
	 */
	uint64_t *memo;
};

/* The live goroutines of one creation site that grew with none ending
 * (collect/go/go_live.h), and one of them to show: its record's texts and
 * stack belong to the tracer, as a parked goroutine's. */
struct go_live_site {
	uint64_t key;			/* the site: go_live__key() */
	struct live_site fact;
	struct go_goroutine rep;	/* status _Gwaiting or _Grunnable */
};

struct go_snapshot {
	int pid;
	uint64_t live;			/* goroutines not dead, the runtime's included */
	uint64_t created, exited;	/* since attach, GO_COUNT_UNKNOWN if unknown (default mode) */
	uint64_t parks;			/* runtime.gopark calls since attach (--precise) */
	uint64_t dropped;		/* park times lost (map full): ages estimated */
	uint64_t cut;			/* goroutines/sudogs beyond the walk bounds or the
					 * snapshot's time and memory budget, not read */
	struct go_goroutine *parked;	/* parked at least min_parked_seconds */
	size_t n_parked;
	struct go_live_site *live_sites;
	size_t n_live_sites;
	char go_version[32];
};

struct go_tracer_opts {
	unsigned max_parked;		/* bound of the park-time map, 0 = default */
	int max_stack;			/* frames per stack, 0 = 64 */
	bool verbose;			/* libbpf and attach details on stderr */
	bool precise;			/* uprobes on gopark/newproc1/goexit0 */
};

struct go_tracer;

/* True when /proc/PID/exe is a Go executable (go_binary.c). */
bool go_binary__is_go(int pid);

/* NULL with a message in err (not Go, unsupported Go version, no access, ...). */
struct go_tracer *go_tracer__new(int pid, char *err, size_t errlen);
struct go_tracer *go_tracer__new_opts(int pid, const struct go_tracer_opts *opts, char *err,
				      size_t errlen);

/* 0 or -errno (the process exited: -ESRCH). out is always safe to free. */
int go_tracer__snapshot(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out);
void go_snapshot__free(struct go_snapshot *s);

/* Detaches everything; NULL is fine. */
void go_tracer__free(struct go_tracer *t);

/* How offsets were found ("DWARF", "table go1.21 (tested)"), for -v output. */
const char *go_tracer__offsets_source(const struct go_tracer *t);
/* Whether allgs came from .symtab or was recovered from code. */
const char *go_tracer__allgs_source(const struct go_tracer *t);

/* The words the parked goroutine goid sees, into words[0..max): its stack
 * from its saved sp up (64 KiB at most; the words its frames' stack maps
 * say are dead read 0: collect/go/go_stackmap.c), then one hop further the first
 * GO_SEEN_HOP_BYTES of each distinct address its stack holds (a receiver's
 * fields: an HTTP transport readLoop's persistConn and its channels), at
 * most GO_SEEN_HOPS of them (hop: a window can run past its object into
 * the next ones). The number of words, or -errno when it cannot
 * be read (not parked at the last walk, parked anew since, unreadable). */
#define GO_STACK_WORDS_MAX	(64u * 1024 / 8)
#define GO_SEEN_HOPS		512
#define GO_SEEN_HOP_BYTES	512
#define GO_SEEN_WORDS_MAX	(GO_STACK_WORDS_MAX + GO_SEEN_HOPS * GO_SEEN_HOP_BYTES / 8)
int go_tracer__parked_seen(const struct go_tracer *t, uint64_t goid, bool hop, uint64_t *words,
			   size_t max);

/*
 * What the tracer found about its process, for the reachability pass
 * (collect/go/go_reach.c): pointers stay valid until go_tracer__free().
 */
struct go_binary;
struct go_offsets;
struct go_mem_span;
struct go_tracer_target {
	int pid;
	char exe[32];			/* /proc/PID/exe */
	const struct go_binary *bin;
	const struct go_offsets *off;
	uint64_t bias, allgs, semtable;
};
void go_tracer__target(const struct go_tracer *t, struct go_tracer_target *out);
/* The tracer's batched reader, as a go_reader's read (ctx: the tracer). */
void go_tracer__read(void *tracer, struct go_mem_span *s, size_t n);

#endif /* GO_TRACER_H */
