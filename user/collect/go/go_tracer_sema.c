// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Goroutines queued on semaphores (go_tracer_impl.h): sync.Mutex, RWMutex,
 * WaitGroup and semacquire park a sudog in runtime.semtable's treaps; its
 * elem is the semaphore's address, the goroutine's wait object. */
#include <errno.h>
#include <stdlib.h>

#include "collect/go/go_tracer_impl.h"
#include "util/array.h"

static int cmp_sema_wait(const void *a, const void *b)
{
	return cmp_u64(&((const struct sema_wait *)a)->g, &((const struct sema_wait *)b)->g);
}

/* Bytes of a sudog that cover the fields the semaphore walk reads. */
static uint32_t sudog_read_len(const struct go_offsets *o)
{
	const uint32_t fields[] = { o->sudog_g, o->sudog_elem, o->sudog_prev, o->sudog_next,
				    o->sudog_waitlink };
	uint32_t end = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] + 8 > end)
			end = fields[i] + 8;
	return end;
}

/*
 * Every sudog in the semaphore treaps (children in prev/next, waiters of
 * the same address in waitlink), sorted by g. Visits at most
 * MAX_SEMA_NODES sudogs, so a cycle or a forged tree cannot loop.
 */
int go_tracer__read_sema_waits(const struct go_tracer *t, struct sema_wait **out, size_t *nout,
			       uint64_t *cut)
{
	static uint8_t tab[SEMTAB_SIZE * SEMTAB_STRIDE];
	uint64_t *todo = NULL;
	size_t ntodo = 0, captodo = 0, cap = 0, visits = 0;
	uint32_t sudog_len = sudog_read_len(&t->off);
	int err;

	*out = NULL;
	*nout = 0;
	if (!t->semtable)
		return 0;
	err = go_tracer__read_mem(t, t->semtable, tab, sizeof(tab));
	for (int i = 0; !err && i < SEMTAB_SIZE; i++) {
		uint64_t root = field64(tab + i * SEMTAB_STRIDE, SEMAROOT_TREAP);

		if (root && (err = ARRAY_RESERVE(todo, captodo, ntodo + 1)) == 0)
			todo[ntodo++] = root;
	}
	while (!err && ntodo) {
		uint64_t node = todo[--ntodo], f[3];
		uint8_t sudog[SUDOG_READ_MAX];
		struct sema_wait *w;

		if (visits++ >= MAX_SEMA_NODES) {
			*cut += ntodo + 1;	/* the queued rest, never visited */
			break;
		}
		/* one read per sudog: a forged treap costs 2^16 reads at most */
		if (node % 8 || sudog_len > sizeof(sudog) || go_tracer__read_mem(t, node, sudog, sudog_len))
			continue;
		if (!(w = ARRAY_PUSH(*out, *nout, cap))) {
			err = -ENOMEM;
			break;
		}
		w->g = field64(sudog, t->off.sudog_g);
		w->addr = field64(sudog, t->off.sudog_elem);
		f[0] = field64(sudog, t->off.sudog_prev);
		f[1] = field64(sudog, t->off.sudog_next);
		f[2] = field64(sudog, t->off.sudog_waitlink);
		if ((err = ARRAY_RESERVE(todo, captodo, ntodo + 3)))
			break;
		for (int c = 0; c < 3; c++)
			if (f[c])
				todo[ntodo++] = f[c];
	}
	free(todo);
	if (err) {
		free(*out);
		*out = NULL;
		*nout = 0;
		return err;
	}
	if (*nout)
		qsort(*out, *nout, sizeof(**out), cmp_sema_wait);
	return 0;
}

uint64_t sema_waits__find(const struct sema_wait *sema, size_t n, uint64_t g)
{
	struct sema_wait key = { .g = g }, *w;

	w = sorted_find(sema, n, sizeof(*sema), &key, cmp_sema_wait);
	return w ? w->addr : 0;
}
