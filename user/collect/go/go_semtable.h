/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* runtime.semtable from outside: every goroutine queued on a semaphore
 * (sync.Mutex, RWMutex, WaitGroup, semacquire) has a sudog in one of its
 * treaps, whose elem is the semaphore's address. One walk for the tracer
 * (a parked goroutine's wait object) and the reachability pass. */
#ifndef LT_GO_SEMTABLE_H
#define LT_GO_SEMTABLE_H

#include <stdint.h>

#include "collect/go/go_timers.h"

#define SEMTAB_SIZE	251		/* runtime/sema.go semTabSize */
#define SEMTAB_STRIDE	64		/* semaRoot padded to a cache line */
#define SEMAROOT_TREAP	8		/* semaRoot.treap, after the mutex word */
#define MAX_SEMA_NODES	(1u << 16)	/* sudogs visited in one walk */
#define SUDOG_READ_MAX	128		/* bytes of a sudog the walk reads at most */

/* Offsets in runtime.sudog the walk reads (elem: the word holding the
 * semaphore's address, the second of the {vp, vu} pair from Go 1.26). */
struct go_sema_fields {
	uint32_t g, elem, prev, next, waitlink;
};

/* Called for each sudog read: its address, g and elem. Nonzero stops the
 * walk and is returned. */
typedef int (*go_sema_visit_fn)(void *ctx, uint64_t sudog, uint64_t g, uint64_t elem);

/* Visits every sudog of the treaps at semtable (children in prev/next, the
 * same address's waiters in waitlink), MAX_SEMA_NODES at most: a cycle or a
 * forged tree cannot loop; *cut grows by the sudogs left queued. 0, -EFAULT
 * (the table could not be read), -EINVAL (fields past SUDOG_READ_MAX),
 * -ENOMEM or visit's return. A sudog that cannot be read is skipped. */
int go_semtable_walk(go_mem_read_fn read, const void *rctx, uint64_t semtable,
		     const struct go_sema_fields *f, go_sema_visit_fn visit, void *vctx,
		     uint64_t *cut);

#endif
