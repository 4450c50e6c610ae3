/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An intrusive most-recently-used list: caches embed a struct lru_node and
 * evict from the tail. */
#ifndef LT_UTIL_LRU_H
#define LT_UTIL_LRU_H

#include <stddef.h>

struct lru_node {
	struct lru_node *prev, *next;
};

struct lru {
	struct lru_node *head, *tail;	/* most recently used first */
	size_t n;
};

#define lru_entry(node, type, member) \
	((type *)((char *)(node) - offsetof(type, member)))

static inline void lru_unlink(struct lru *l, struct lru_node *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	l->n--;
}

static inline void lru_push(struct lru *l, struct lru_node *e)
{
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (!l->tail)
		l->tail = e;
	l->n++;
}

/* Mark e as just used. */
static inline void lru_touch(struct lru *l, struct lru_node *e)
{
	lru_unlink(l, e);
	lru_push(l, e);
}

#endif
