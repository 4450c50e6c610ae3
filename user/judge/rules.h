/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The verdict rules: one table, tried in order, each with its verdict and
 * reason (docs/verdicts.md lists it). A new rule is one function and one
 * line of the table in rules.c. */
#ifndef LT_JUDGE_RULES_H
#define LT_JUDGE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "model/report.h"
#include "judge/units.h"

struct rule_opts {
	uint32_t leak_min_threads;	/* a spread-out site needs this many (3) */
	double leak_min_span_s;		/* ... parked over at least this span (1 s) */
	uint32_t leak_min_arrivals;	/* or this net growth while observed (2) */
	uint32_t leak_min_pile;		/* or this many on private objects, none leaving (10) */
};

/* What a site's units share, beyond struct site_report's evidence. */
struct site_facts {
	enum unit_kind kind;
	bool objects_known;	/* some unit's wait object is known */
	bool accepting;		/* every unit in accept(): a server waiting for clients */
	bool child_wait;	/* every unit in wait4/waitid: a shell, make or sudo
				 * waiting for its child (which is judged itself) */
	bool joining_running;	/* every unit joins a thread that is not parked */
	bool go_runtime;	/* Go runtime units: idle Ms, runtime goroutines */
	bool java_runtime;	/* a JVM's own threads: GC, compiler, VM, finalizer */
	bool idle_wait;		/* goroutines: sleep, timer or GC wait */
	bool listener;		/* goroutines: IO wait in Accept */
	bool idle_conn;		/* goroutines: IO wait on a connection whose peer
				 * owes nothing (keep-alive, idle pooled) */
	bool main_unit;		/* the main goroutine; the main thread of a process
				 * whose other threads live on */
	bool condition_wait;	/* every unit waits on a condition, not a lock */
	bool blocked_forever;	/* every unit provably never wakes */
	bool sending;		/* goroutines: every one blocked on a channel send */
	bool resting;		/* goroutines: every one waits for an event (receive...) */
	bool locking;		/* goroutines: every one waits for a sync.Mutex/RWMutex */
	/* goroutines: every one proven blocked forever by reachability
	 * (collect/go/go_reach.c); waiting on channels; for locks held in a cycle */
	bool proven, proven_channel, proven_cycle;
	uint32_t n_proven;	/* goroutines proven blocked forever by reachability */
	bool peer_via;		/* goroutines: every one awaits its peer through
				 * another goroutine (model/report.h peer_via_goid) */
	uint32_t n_timer_fed;	/* goroutines a goroutine on a timer holds the
				 * channel of (model/report.h timer_waker_goid) */
	bool runtime_leaked;	/* goroutines: every one marked leaked by its own runtime */
	/* goroutines: pairs of the site's goroutines next to each other in
	 * goid order with a few goids between them (2..GOID_INTERLEAVE_MAX
	 * apart) that no parked goroutine holds: each started beside
	 * short-lived goroutines that have finished (verdict.c) */
	uint32_t interleaved;
	/* a proof every unit carries (model/facts.h unit_proof: reachability,
	 * waker chain...), PROOF_NONE when one has none or they differ */
	uint8_t proof;
	/* threads: units that parked within leak_min_span of their creation
	 * and never ran since (a thread started for a request that blocked
	 * at once); a pool's worker parks after serving, long after */
	uint32_t fresh;
	/* goroutines: the site is the live goroutines of one creation site,
	 * parked or not (model/facts.h), NULL for parked units */
	const struct live_site *live;
};

/* Set s->verdict, s->reason and s->growth_per_min (net arrivals per minute
 * observed, 0 before two reports) from s and f. */
void rules_judge(const struct rule_opts *o, struct site_report *s, const struct site_facts *f);

#endif
