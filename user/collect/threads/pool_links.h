/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Pool links: whether a parked thread's wait object is linked by a queue
 * that runs through the structs of the other waiters of its site. A pool's
 * worker waits on a condition of its own (Varnish: a condvar in a struct
 * worker on the worker's stack) that the pool's idle queue links: each
 * entry, in the struct of the worker before it, points at it; the pool can
 * hand it work. A leaked thread waits on a condition nobody else knows.
 * Any reference would not do: a Python thread's wait lock is held by its
 * own lock object in the heap, leaked or not (tools/workloads/
 * python_event_leak.py: 24 leaked threads read as linked). Only asked for
 * the threads of sites a shape rule could call a leak
 * (collect/threads/thread_facts.c). */
#ifndef LT_POOL_LINKS_H
#define LT_POOL_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/procfs/procmem.h"
#include "collect/threads/regions.h"

/* A word links an object (the futex word a thread waits on) when it
 * points into [object - BELOW, object + ABOVE) (the struct holding the
 * condition, whose entry a queue links a few fields before it, or the
 * condition itself) and lies in that window of another waiter (its
 * struct), not on the thread's own stack. The futex word of a glibc pthread_cond_t is
 * __g_signals, 40 or 44 bytes into it; Varnish's idle queue points 88 or
 * 92 bytes below it (measured). A word inside that window is the struct
 * pointing at itself (an empty list head): no link. */
#define POOL_LINKS_BELOW	128
#define POOL_LINKS_ABOVE	16
/* Mappings read: private, readable and writable ones ([heap], anonymous
 * memory, data, bss, thread stacks, [stack]) of at most MAP_MAX bytes (a
 * cache's storage, a Java heap are skipped), only their pages that hold
 * data (present or swapped: /proc/PID/pagemap); at most BUDGET bytes per
 * process per pass, the rest counted as cut. */
#define POOL_LINKS_MAP_MAX	(64ULL << 20)
#define POOL_LINKS_BUDGET	(64ULL << 20)
#define POOL_LINKS_MAX_MAPS	4096

/* One parked thread asked about. */
struct link_waiter {
	uint64_t object;	/* its wait object (the futex word) */
	uint64_t sp;		/* its stack pointer, 0 = unknown */
	uint64_t stack_lo, stack_hi;	/* its own stack's mapping (set by the pass) */
	bool asked;		/* its link is asked; the others only hold links */
	bool known;		/* its stack was found: linked is meaningful */
	bool linked;		/* another waiter's struct links its object */
	size_t idx;		/* the caller's (its thread's index) */
};

/* What one pass cost and left out. */
struct pool_links_cost {
	uint64_t bytes_read;
	uint64_t bytes_cut;	/* over the budget, or unreadable (unmapped meanwhile) */
	uint64_t bytes_skipped;	/* in mappings over MAP_MAX */
	uint64_t pagemap_bytes;	/* of /proc/PID/pagemap, to find the pages with data */
	uint32_t maps_read, maps_skipped;
	uint64_t ns;
};

/* The mappings worth reading of a maps text into out[0..max): the count.
 * Mappings over POOL_LINKS_MAP_MAX are counted in c as skipped. */
size_t pool_links__maps(const char *maps, size_t len, struct mapping *out, size_t max,
			struct pool_links_cost *c);

/* Mark the waiters w[0..nw) (sorted by object, stacks set) that words[0..n),
 * read at address at, link (see POOL_LINKS_BELOW). */
void pool_links__scan(const uint64_t *words, size_t n, uint64_t at, struct link_waiter *w,
		      size_t nw);

/* One pass over a process for its waiters w[0..nw): the asked ones (the
 * candidates) and every other thread parked on a futex object (a queue
 * runs through idle workers with a timeout too). Its maps text, read
 * through m, only the pages
 * its pagemap (an open /proc/PID/pagemap, -1 = none: every page) says hold
 * data. Sets every waiter's known and linked (w is sorted by object on
 * return). */
void pool_links__pass(const struct procmem *m, int pagemap, const char *maps, size_t len,
		      struct link_waiter *w, size_t nw, struct pool_links_cost *c);

#endif
