// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "collect/threads/thread_facts.h"

/* Whether the owner of t's mutex rests in an event loop: its wait in the
 * report when it is parked, else what it waits on now (it may run now and
 * then, waking on a timer). */
static bool owner_event_loop(const struct thread_facts_opts *o, const struct report *r,
			     const struct thread_report *t)
{
	const struct thread_report *owner = report_find_thread(r, t->pid, t->lock_owner);
	struct wait_info w;

	if (owner)
		return wait_has(&owner->wait, WAIT_F_EVENT_LOOP);
	return !o->read_wait(o->wait_ctx, t->pid, t->lock_owner, &w) &&
	       wait_has(&w, WAIT_F_EVENT_LOOP);
}

static int add_edges(const struct thread_facts_opts *o, struct report *r, size_t i)
{
	const struct thread_report *t = &r->threads[i];
	struct owner_edge e = { .waiter = { t->pid, UNIT_THREAD, t->tid },
				.owner_kind = UNIT_THREAD };
	uint32_t target;

	if (t->lock_owner) {
		/* a Java monitor's or lock's owner came from the JVM (collect/java) */
		e.kind = !t->java || !t->java->owner ? OWNER_FUTEX_MUTEX :
			 t->java->waits && !strcmp(t->java->waits, "park") ? OWNER_AQS_LOCK :
			 OWNER_JAVA_MONITOR;
		e.owner = t->lock_owner;
		e.object = t->wait.futex_addr;
		e.owner_event_loop = owner_event_loop(o, r, t);
		if (!report_add_owner(r, &e))
			return -ENOMEM;
	}
	target = lockgraph_join_target(&r->threads[i], o->read_mem, o->read_ctx);
	if (target) {
		e = (struct owner_edge){ .waiter = e.waiter, .owner_kind = UNIT_THREAD,
					 .kind = OWNER_JOIN, .owner = target,
					 .object = t->wait.futex_addr };
		if (!report_add_owner(r, &e))
			return -ENOMEM;
	}
	return 0;
}

struct group_key {
	uint32_t pid;
	uint64_t group;
	size_t idx;
};

static int group_cmp(const void *a, const void *b)
{
	const struct group_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->group > y->group) - (x->group < y->group);
}

static uint8_t object_region(enum mem_region m)
{
	return m == REGION_GLOBAL ? OBJECT_REGION_GLOBAL :
	       m == REGION_HEAP ? OBJECT_REGION_HEAP : OBJECT_REGION_UNKNOWN;
}

/* Where the object lives of each condition waiter alone in its site (the
 * only ones the rules ask about: a service worker at rest on a global
 * condition, or a request's private wait): one maps read each. */
static int fill_regions(const struct thread_facts_opts *o, struct report *r)
{
	struct group_key *k = malloc((r->n_threads + 1) * sizeof(*k));
	size_t a, b;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_threads; i++)
		k[i] = (struct group_key){ r->threads[i].pid, report_thread_group(&r->threads[i]), i };
	qsort(k, r->n_threads, sizeof(*k), group_cmp);
	for (a = 0; a < r->n_threads; a = b) {
		struct thread_report *t = &r->threads[k[a].idx];

		for (b = a + 1; b < r->n_threads && !group_cmp(&k[a], &k[b]); b++)
			;
		if (b - a == 1 && !t->lock_owner && wait_on_condition(&t->wait) &&
		    wait_has(&t->wait, WAIT_F_HAS_OBJECT))
			t->object_region = object_region(o->region(o->region_ctx, t->pid,
								   t->wait.object));
	}
	free(k);
	return 0;
}

int thread_facts_collect(const struct thread_facts_opts *opts, struct report *r)
{
	struct thread_facts_opts o = opts ? *opts : (struct thread_facts_opts){ 0 };
	int err;

	if (!o.read_mem)
		o.read_mem = procmem_read;
	if (!o.region)
		o.region = procmaps_region;
	if (!o.read_wait)
		o.read_wait = procsyscall_wait;
	lockgraph_resolve_owners(r, o.read_mem, o.read_ctx);
	for (size_t i = 0; i < r->n_threads; i++)
		if ((err = add_edges(&o, r, i)))
			return err;
	return fill_regions(&o, r);
}

static int thread_facts_open(const struct collect_env *env, void **state, char *msg,
			     size_t size)
{
	(void)env;
	*state = calloc(1, sizeof(struct thread_facts_opts));	/* the /proc readers */
	if (!*state)
		snprintf(msg, size, "out of memory");
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int thread_facts_run(void *state, struct report *r)
{
	return thread_facts_collect(state, r);
}

const struct collector_type collector_thread_facts = {
	.name = "reading lock owners",
	.open = thread_facts_open,
	.collect = thread_facts_run,
	.close = free,
};
