// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Goroutines queued on semaphores (go_tracer_impl.h): sync.Mutex, RWMutex,
 * WaitGroup and semacquire park a sudog in runtime.semtable's treaps; its
 * elem is the semaphore's address, the goroutine's wait object. */
#include <errno.h>
#include <stdlib.h>

#include "collect/go/go_semtable.h"
#include "collect/go/go_tracer_impl.h"
#include "util/array.h"

static int cmp_sema_wait(const void *a, const void *b)
{
	return cmp_u64(&((const struct sema_wait *)a)->g, &((const struct sema_wait *)b)->g);
}

struct sema_collect {
	struct sema_wait *out;
	size_t n, cap;
};

static int collect_sema_wait(void *ctx, uint64_t sudog, uint64_t g, uint64_t elem)
{
	struct sema_collect *c = ctx;
	struct sema_wait *w = ARRAY_PUSH(c->out, c->n, c->cap);

	(void)sudog;
	if (!w)
		return -ENOMEM;
	*w = (struct sema_wait){ .g = g, .addr = elem };
	return 0;
}

/* Every sudog in the semaphore treaps (collect/go/go_semtable.c), sorted by g. */
int go_tracer__read_sema_waits(const struct go_tracer *t, struct sema_wait **out, size_t *nout,
			       uint64_t *cut)
{
	const struct go_sema_fields f = { t->off.sudog_g, t->off.sudog_elem, t->off.sudog_prev,
					  t->off.sudog_next, t->off.sudog_waitlink };
	struct sema_collect c = { 0 };
	int err;

	*out = NULL;
	*nout = 0;
	if (!t->semtable)
		return 0;
	err = go_semtable_walk(go_tracer__read_fn, t, t->semtable, &f, collect_sema_wait, &c, cut);
	if (err) {
		free(c.out);
		return err;
	}
	if (c.n)
		qsort(c.out, c.n, sizeof(*c.out), cmp_sema_wait);
	*out = c.out;
	*nout = c.n;
	return 0;
}

uint64_t sema_waits__find(const struct sema_wait *sema, size_t n, uint64_t g)
{
	struct sema_wait key = { .g = g }, *w;

	w = sorted_find(sema, n, sizeof(*sema), &key, cmp_sema_wait);
	return w ? w->addr : 0;
}
