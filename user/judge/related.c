// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One finding per cause: sites of one process sharing a socket, a peer or a
 * wait object, grouped (union-find) under their worst site. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/related.h"
#include "model/frame.h"
#include "util/array.h"
#include "util/hash.h"

/* What two units of one process may share: each is one cause. */
enum cause_kind {
	CAUSE_SOCKET,		/* the same socket inode */
	CAUSE_PEER,		/* the same peer owing a reply */
	CAUSE_WAIT_OBJECT,	/* the same channel or semaphore */
};

struct cause {
	uint32_t pid;
	uint8_t kind;		/* enum cause_kind */
	uint64_t value;
	size_t site;
};

struct causes {
	struct cause *v;
	size_t n, cap;
	const struct report *r;
};

static int cause_cmp(const void *a, const void *b)
{
	const struct cause *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->site > y->site) - (x->site < y->site);
}

/* Add one cause of a unit of site: idle sites and empty values have none. */
static int causes__add(struct causes *c, uint32_t pid, enum cause_kind kind, uint64_t value,
		       size_t site)
{
	struct cause *x;

	if (!value || site >= c->r->n_sites || c->r->sites[site].verdict < VERDICT_STUCK)
		return 0;
	x = ARRAY_PUSH(c->v, c->n, c->cap);
	if (!x)
		return -ENOMEM;
	*x = (struct cause){ .pid = pid, .kind = kind, .value = value, .site = site };
	return 0;
}

static uint64_t peer_key(bool awaiting, const char *peer, size_t size)
{
	char buf[64];

	if (!awaiting || !peer[0])
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)size, peer);
	return hash_string(HASH_SEED, buf);
}

static int causes__collect(struct causes *c)
{
	const struct report *r = c->r;
	int err = 0;

	for (size_t i = 0; !err && i < r->n_threads; i++) {
		const struct thread_report *t = &r->threads[i];

		if (t->verdict < VERDICT_STUCK)
			continue;
		err = causes__add(c, t->pid, CAUSE_PEER,
				  peer_key(t->awaiting_peer, t->peer, sizeof(t->peer)), t->site_index);
	}
	for (size_t i = 0; !err && i < r->n_goroutines; i++) {
		const struct goroutine_report *g = &r->goroutines[i];

		if (g->verdict < VERDICT_STUCK)
			continue;
		err = causes__add(c, g->pid, CAUSE_SOCKET, g->sock_inode, g->site_index) ?:
		      causes__add(c, g->pid, CAUSE_PEER,
				  peer_key(g->awaiting_peer, g->peer, sizeof(g->peer)), g->site_index) ?:
		      causes__add(c, g->pid, CAUSE_WAIT_OBJECT, g->wait_object, g->site_index);
	}
	for (size_t i = 0; !err && i < r->n_conns; i++) {
		const struct conn_report *k = &r->conns[i];

		if (k->verdict < VERDICT_STUCK)
			continue;
		err = causes__add(c, k->pid, CAUSE_SOCKET, k->inode, k->site_index) ?:
		      causes__add(c, k->pid, CAUSE_PEER, peer_key(true, k->peer, sizeof(k->peer)),
				  k->site_index);
	}
	return err;
}

static size_t root_of(size_t *up, size_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/* Whether the culprit of site s is the program's own code (a handler), not
 * a library's or runtime's frame. */
static bool own_culprit(const struct report *r, const struct site_report *s)
{
	if (s->kind == UNIT_THREAD && s->first_unit < r->n_threads) {
		const struct thread_report *t = &r->threads[s->first_unit];

		return t->user_stack && frames__culprit(t->user_stack, t->n_user) >= 0;
	}
	if (s->kind == UNIT_GOROUTINE && s->first_unit < r->n_goroutines) {
		const struct goroutine_report *g = &r->goroutines[s->first_unit];

		for (int i = 0; g->stack && i < g->stack_len; i++)
			if (g->stack[i] && !frame__is_runtime(g->stack[i]))
				return true;
	}
	return false;
}

/* Whether site a should lead a finding rather than site b. */
static bool leads(const struct report *r, size_t a, size_t b)
{
	const struct site_report *x = &r->sites[a], *y = &r->sites[b];
	bool ox, oy;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict;
	ox = own_culprit(r, x);
	oy = own_culprit(r, y);
	if (ox != oy)
		return ox;
	if (x->n_units != y->n_units)
		return x->n_units > y->n_units;
	return a < b;
}

/* Join the sites of equal causes, then name each group's primary. */
static void group_sites(struct report *r, const struct causes *c, size_t *up, size_t *lead)
{
	for (size_t i = 0; i < r->n_sites; i++) {
		up[i] = lead[i] = i;
		r->sites[i].n_related = 0;
	}
	for (size_t i = 1; i < c->n; i++) {
		const struct cause *p = &c->v[i - 1], *q = &c->v[i];

		if (p->pid == q->pid && p->kind == q->kind && p->value == q->value)
			up[root_of(up, p->site)] = root_of(up, q->site);
	}
	for (size_t i = 0; i < r->n_sites; i++) {
		size_t root = root_of(up, i);

		if (leads(r, i, lead[root]))
			lead[root] = i;
	}
	for (size_t i = 0; i < r->n_sites; i++) {
		size_t primary = lead[root_of(up, i)];

		r->sites[i].related_to = primary == i ? 0 : primary + 1;
		if (primary != i)
			r->sites[primary].n_related++;
	}
}

int related__group(struct report *r)
{
	struct causes c = { .r = r };
	size_t *up = malloc((r->n_sites + 1) * sizeof(*up));
	size_t *lead = malloc((r->n_sites + 1) * sizeof(*lead));
	int err = up && lead ? causes__collect(&c) : -ENOMEM;

	if (!err) {
		if (c.n)	/* c.v is NULL when no site has a cause: qsort(NULL) is UB */
			qsort(c.v, c.n, sizeof(*c.v), cause_cmp);
		group_sites(r, &c, up, lead);
	}
	free(c.v);
	free(up);
	free(lead);
	return err;
}
