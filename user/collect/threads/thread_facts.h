/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Facts about parked threads that the thread scan cannot see and the judge
 * must not read itself (model/facts.h): who holds the mutex a thread waits
 * for and whether that owner rests in an event loop, which thread it joins,
 * where a lone condition waiter's object lives, and whether a pool links
 * the objects of a site's condition waiters. Read from the target's
 * memory and /proc after the scan, before the judge. */
#ifndef LT_THREAD_FACTS_H
#define LT_THREAD_FACTS_H

#include "collect/threads/lockgraph.h"
#include "collect/threads/regions.h"
#include "model/report.h"

/* The readers (tests pass their own); NULL = the /proc ones. */
struct thread_facts_opts {
	mem_reader_fn read_mem;		/* futex words; NULL = procmem__read_pid */
	void *read_ctx;
	region_fn region;		/* NULL = procmaps_region */
	void *region_ctx;
	thread_wait_fn read_wait;	/* a running owner's wait; NULL = procsyscall_wait */
	void *wait_ctx;
	/* sites of at least this many condition waiters with no timeout get
	 * their wait links read (collect/threads/pool_links.h); 0 = none */
	uint32_t link_min_units;
};

/* Set every thread's lock_owner, object_region and (candidate sites)
 * wait_link, add an OWNER_FUTEX_MUTEX
 * edge per mutex wait with a live owner and an OWNER_JOIN edge per join of
 * a live thread. Past r's deadline mutex owners are left unknown (counted
 * in lost[DROP_DEADLINE_CUT]). 0 or -ENOMEM. */
int thread_facts_collect(const struct thread_facts_opts *o, struct report *r);

#endif
