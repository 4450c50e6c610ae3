/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Can anyone still wake this goroutine? The question Go's own leak
 * detector (the goroutineleak profile of Go 1.26+) answers inside the GC,
 * answered from outside for any Go version the tracer reads.
 *
 * One pass marks the heap from the roots the runtime itself would use:
 * the data and bss of every module, the objects and functions finalizers
 * keep, and the stacks and g structs of every goroutine that may run
 * (running, runnable, in a system call, sleeping, in IO wait, waiting on
 * anything but a channel or a sync primitive); a parked one's stack only
 * in the slots its frames' stack maps keep live (go_stackmap.h). Marking
 * is conservative inside objects: every aligned word that points into an
 * allocated heap slot counts as a pointer (no type information is read),
 * so a pass can only over-approximate what is reachable. Then a blocked
 * goroutine whose wait object (the channels of its channel operation or
 * select, the semaphore of its sync.Mutex/RWMutex/WaitGroup, the
 * notifyList of its sync.Cond) has been reached becomes a root too, until
 * nothing changes.
 * A goroutine whose wait object stays unreached can never be woken.
 *
 * Left out of the marking, or everything would be reachable: runtime.allgs
 * (the runtime's list of every g), the g structs and stacks of the blocked
 * goroutines themselves, their sudogs (channel wait queues, semaphore
 * treaps, notifyList lists reach them) and runtime.semtable.
 *
 * The process runs while it is read: a proof is kept only for a goroutine
 * whose park key (g, goid, status, wait reason, saved pc and sp,
 * trackingSeq) is the same after the pass as before it, and never from a
 * pass cut by its byte or CPU budget. Registers of goroutines running on a
 * CPU at that instant are not read (no ptrace): a pointer held only there
 * is missed (docs/reachability.md).
 */
#ifndef GO_REACH_H
#define GO_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/go/go_heap.h"
#include "collect/go/go_offsets.h"
#include "collect/go/go_stackmap.h"

/* What a goroutine's wait depends on, from the runtime's words. */
enum go_wait_kind {
	GO_WAIT_RUNNABLE,	/* not a wait the pass judges: a root */
	GO_WAIT_CHAN,		/* chan send/receive, select */
	GO_WAIT_SEMA,		/* sync.Mutex, RWMutex, WaitGroup (semacquire before 1.20) */
	GO_WAIT_COND,		/* sync.Cond.Wait */
	GO_WAIT_NEVER,		/* nil channel, select {}: never woken by definition */
};

enum go_wait_kind go_reach__wait_kind(const char *reason);

struct go_reach_target {
	struct go_reader *reader;
	const struct go_offsets *g;		/* struct g, sudog, wait reason names */
	const struct go_heap_offsets *heap;
	uint64_t mheap, firstmoduledata, allgs, semtable;
	uint64_t allp;		/* 0 = unknown: Ps scanned whole, write barrier buffers too */
	/* the executable and runtime minus link-time addresses: parked root
	 * goroutines' stacks scanned by their stack maps (NULL: every word) */
	const struct go_binary *bin;
	uint64_t bias;
};

struct go_reach_opts {
	uint64_t max_bytes;	/* read per pass, 0 = default (GO_REACH_MAX_BYTES) */
	uint64_t max_cpu_ns;	/* CPU time per pass, 0 = default (GO_REACH_MAX_CPU_NS) */
};

#define GO_REACH_MAX_BYTES	(4ull << 30)
#define GO_REACH_MAX_CPU_NS	5000000000ull

/* A goroutine no root can wake, found unchanged after the pass. */
struct go_proof {
	uint64_t g_addr, goid;
	uint64_t wait_object;	/* the channel, semaphore or notifyList */
	uint8_t kind;		/* enum go_wait_kind */
	bool cycle;		/* waits for a lock whose holder waits, in a cycle, for
				 * one it holds (AB-BA): a deadlock */
};

struct go_reach_stats {
	uint64_t bytes_read, cpu_ns, heap_bytes, extra_bytes;
	uint64_t objects_marked, goroutines, candidates, roots_added, rounds;
	bool cut;		/* the budget ran out: no proof */
	struct go_stackmap_stats stack;	/* root stacks read by their stack maps */
};

/*
 * One pass over the target: *proofs (malloc'd, sorted by g_addr) the
 * goroutines proven blocked forever. 0, or -errno: -E2BIG the pass was
 * cut by its budget (no proofs), -ENOMEM, -EFAULT/-EPROTO the runtime's
 * structures could not be read or made no sense.
 */
int go_reach__pass(const struct go_reach_target *t, const struct go_reach_opts *o,
		   struct go_proof **proofs, size_t *n, struct go_reach_stats *st);

/* The proof of the goroutine at g_addr with goid, NULL if none. */
const struct go_proof *go_reach__find(const struct go_proof *proofs, size_t n, uint64_t g_addr,
				      uint64_t goid);

#endif /* GO_REACH_H */
