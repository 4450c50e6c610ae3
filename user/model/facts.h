/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Facts: what collectors learned about parked units beyond their wait,
 * stored in the report for the judge, which reads nothing else (no /proc,
 * no target memory). A collector adds an owner edge ("this unit waits for
 * that unit to release something") or a proof ("this unit never wakes")
 * with report_add_owner / report_add_proof (model/report.h); the judge
 * finds cycles across owner edges of every kind (judge/owner_graph.c) and
 * says on each site which proof, or which heuristic rule, decided it. */
#ifndef LT_FACTS_H
#define LT_FACTS_H

#include <stdbool.h>
#include <stdint.h>

/* What an owner edge's waiter waits for its owner to do. */
enum owner_kind {
	OWNER_FUTEX_MUTEX,	/* release a glibc/PI mutex (collect/threads/thread_facts.c) */
	OWNER_JAVA_MONITOR,	/* leave a Java monitor (synchronized) */
	OWNER_AQS_LOCK,		/* release a java.util.concurrent lock (AQS) */
	OWNER_JOIN,		/* exit: pthread_join (collect/threads/thread_facts.c) */
	OWNER_PIPE,		/* write to a pipe it holds open (collect/threads/pipe_wakers.c):
				 * one edge per thread of each process holding a write end */
	OWNER_KINDS,
};

#define OWNER_MASK(k) (1u << (k))
/* Edges where the waiter needs the owner to release a lock it holds: a
 * cycle of them is a deadlock (the in_cycle rule). A join or pipe edge
 * waits for the owner to act, not to release. */
#define OWNER_LOCKS (OWNER_MASK(OWNER_FUTEX_MUTEX) | OWNER_MASK(OWNER_JAVA_MONITOR) | \
		     OWNER_MASK(OWNER_AQS_LOCK))

/* A parked unit, by identity: units of a report are named this way in
 * facts (its index in the report changes with sorting). */
struct unit_ref {
	uint32_t pid;
	uint8_t kind;		/* enum unit_kind (model/report.h) */
	uint64_t id;		/* tid, goid, socket inode */
};

/* Order of unit refs (pid, kind, id): qsort/sorted_find over facts. */
int unit_ref_cmp(const void *a, const void *b);

/* waiter waits for owner (a unit of the same process unless owner_pid
 * says otherwise, parked or not). */
struct owner_edge {
	struct unit_ref waiter;
	uint8_t owner_kind;	/* enum unit_kind of the owner */
	uint64_t owner;		/* its id: a tid, a goid */
	uint32_t owner_pid;	/* the owner's process, 0 = the waiter's (a
				 * pipe's writer may be in another process) */
	uint8_t kind;		/* enum owner_kind */
	uint64_t object;	/* the lock, monitor or pipe, 0 = unknown */
	bool owner_event_loop;	/* the owner rests in an event loop (epoll...) */
};

/* How a verdict was decided: by a proof (a fact that leaves no doubt) or
 * by a heuristic rule (a shape that usually means it). JSON
 * evidence.proof names it; text says "proven" beside a proven verdict. */
enum proof {
	PROOF_NONE = 0,			/* a heuristic decided */
	PROOF_OWNER_CYCLE,		/* units own what the next one waits for, in a cycle */
	PROOF_REACHABILITY,		/* nothing that could wake it can reach its wait object */
	PROOF_WAIT_REASON,		/* the wait itself cannot end: nil channel, empty select */
	PROOF_WAKER_CHAIN,		/* every possible waker is itself stuck or gone */
	PROOF_RUNTIME_LEAK_STATUS,	/* the runtime marks it leaked (Go goroutine leak profile) */
	PROOF_KINDS,
};

const char *proof_name(enum proof p);

/* "mutex", "monitor", "lock", "join", "pipe": JSON waker_chain[].waits_for */
const char *owner_kind_name(enum owner_kind k);

/* A collector's proof that a unit never wakes. */
struct unit_proof {
	struct unit_ref unit;
	uint8_t proof;		/* enum proof, not PROOF_NONE */
	const char *why;	/* static, one phrase: "channel unreachable" */
};

/* Live goroutines of one creation site (creation pc and start function)
 * of a Go process, running or parked, counted at each walk and followed
 * across reports by the Go collector (collect/go/go_live.c): what shows
 * goroutines that keep running and never finish, which never park past
 * the threshold (a retry loop sleeping a few ns each turn). */
struct live_site {
	uint32_t live;			/* now */
	uint32_t first_live;		/* when first seen */
	uint32_t exited;		/* its goroutines that ended since first seen */
	uint32_t parked;		/* of live: parked past the threshold now */
	uint32_t reports_seen;
	uint32_t growth_reports;	/* reports in which live grew */
	uint64_t first_seen_ns;		/* CLOCK_MONOTONIC */
};

/* What decided a site's verdict (the judge sets it). */
struct evidence {
	uint8_t proof;		/* enum proof */
	const char *heuristic;	/* the rule's name ("leak_growing"), static */
	uint32_t proven_units;	/* reachability: how many of the site's units it proves */
};

#endif
