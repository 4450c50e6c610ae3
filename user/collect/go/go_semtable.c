// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_semtable.h"
#include "util/array.h"

/* Bytes of a sudog that cover the fields read. */
static uint32_t sudog_len(const struct go_sema_fields *f)
{
	const uint32_t at[] = { f->g, f->elem, f->prev, f->next, f->waitlink };
	uint32_t end = 0;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (at[i] + 8 > end)
			end = at[i] + 8;
	return end;
}

int go_semtable_walk(go_mem_read_fn read, const void *rctx, uint64_t semtable,
		     const struct go_sema_fields *f, go_sema_visit_fn visit, void *vctx,
		     uint64_t *cut)
{
	static uint8_t tab[SEMTAB_SIZE * SEMTAB_STRIDE];
	uint32_t len = sudog_len(f);
	uint64_t *todo = NULL;
	size_t ntodo = 0, cap = 0, visits = 0;
	int err;

	if (len > SUDOG_READ_MAX)
		return -EINVAL;
	if (!semtable || read(rctx, semtable, tab, sizeof(tab)))
		return -EFAULT;
	err = 0;
	for (int i = 0; !err && i < SEMTAB_SIZE; i++) {
		uint64_t root = go_field64(tab + i * SEMTAB_STRIDE, SEMAROOT_TREAP);

		if (root && !(err = ARRAY_RESERVE(todo, cap, ntodo + 1)))
			todo[ntodo++] = root;
	}
	while (!err && ntodo) {
		uint64_t node = todo[--ntodo], next[3];
		uint8_t s[SUDOG_READ_MAX];

		if (visits++ >= MAX_SEMA_NODES) {
			*cut += ntodo + 1;	/* the queued rest, never visited */
			break;
		}
		/* one read per sudog: a forged treap costs 2^16 reads at most */
		if (node % 8 || read(rctx, node, s, len))
			continue;
		if ((err = visit(vctx, node, go_field64(s, f->g), go_field64(s, f->elem))) ||
		    (err = ARRAY_RESERVE(todo, cap, ntodo + 3)))
			break;
		next[0] = go_field64(s, f->prev);
		next[1] = go_field64(s, f->next);
		next[2] = go_field64(s, f->waitlink);
		for (int c = 0; c < 3; c++)
			if (next[c])
				todo[ntodo++] = next[c];
	}
	free(todo);
	return err;
}
