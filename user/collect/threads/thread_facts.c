// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collector.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/pool_links.h"
#include "collect/threads/thread_facts.h"
#include "util/log.h"

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
static void fill_region(const struct thread_facts_opts *o, struct thread_report *t)
{
	if (!t->lock_owner && wait_on_condition(&t->wait) && wait_has(&t->wait, WAIT_F_HAS_OBJECT))
		t->object_region = object_region(o->region(o->region_ctx, t->pid, t->wait.object));
}

/* A site a shape rule could call a leak: enough threads, each waiting
 * with no timeout on a condition object of its own kind. Not the Go
 * runtime's idle Ms (judged idle first) nor a JVM's threads (a Parker is
 * linked from its JavaThread, never through other Parkers): their
 * processes' heaps would be read every report for nothing. */
static bool link_candidate(const struct thread_facts_opts *o, const struct report *r,
			   const struct group_key *k, size_t n)
{
	if (n < o->link_min_units)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct thread_report *t = &r->threads[k[i].idx];

		if (t->lock_owner || t->go_runtime || t->java || !wait_on_condition(&t->wait) ||
		    !wait_has(&t->wait, WAIT_F_HAS_OBJECT) || t->wait.timeout != TIMEOUT_NONE ||
		    t->wait.object < 4096)
			return false;
	}
	return true;
}

/* One pass over process pid for the waiters w[0..nw): sets their wait_link. */
static void pid_links(struct report *r, uint32_t pid, struct link_waiter *w, size_t nw)
{
	struct pool_links_cost c = { 0 };
	struct procmem m;
	char *maps = NULL, line[256];
	size_t len = 0, linked = 0, asked = 0;
	uint64_t pc;
	int pagemap = -1;

	if (procfs__read((int)pid, 0, "maps", &maps, &len))
		return;
	for (size_t k = 0; k < nw; k++) {
		const struct thread_report *t = &r->threads[w[k].idx];

		if (procsyscall_sp_pc(pid, t->tid, &w[k].sp, &pc))
			w[k].sp = 0;
	}
	procmem__init(&m, (int)pid);
	if (procfs__path(line, sizeof(line), (int)pid, 0, "pagemap") > 0)
		pagemap = open(line, O_RDONLY | O_CLOEXEC);
	pool_links__pass(&m, pagemap, maps, len, w, nw, &c);
	if (pagemap >= 0)
		close(pagemap);
	for (size_t k = 0; k < nw; k++) {
		if (!w[k].asked)
			continue;
		r->threads[w[k].idx].wait_link = !w[k].known ? WAIT_LINK_UNKNOWN :
						w[k].linked ? WAIT_LINK_OUTSIDE : WAIT_LINK_NONE;
		linked += w[k].known && w[k].linked;
		asked++;
	}
	lt_verbose("pool links", "pid %u: %zu of %zu waiters linked; %" PRIu64 " KiB read in "
		   "%.2f ms (%u maps, %" PRIu64 " KiB of pagemap), %u maps skipped (%" PRIu64
		   " MiB), %" PRIu64 " KiB cut",
		   pid, linked, asked, c.bytes_read >> 10, c.ns / 1e6, c.maps_read,
		   c.pagemap_bytes >> 10, c.maps_skipped, c.bytes_skipped >> 20, c.bytes_cut >> 10);
	free(maps);
}

static bool futex_object(const struct thread_report *t)
{
	return t->wait.kind == WAIT_FUTEX && wait_has(&t->wait, WAIT_F_HAS_OBJECT) &&
	       t->wait.object >= 4096;
}

/* The wait links of the threads of candidate sites, one pass per process
 * (k: the threads sorted by process and site). The process's other futex
 * waiters are passed too: a pool's queue may run through them. */
static int fill_links(const struct thread_facts_opts *o, struct report *r,
		      const struct group_key *k)
{
	struct link_waiter *w = malloc((r->n_threads + 1) * sizeof(*w));
	size_t nw = 0, a, b, first = 0;

	if (!w)
		return -ENOMEM;
	for (a = 0; a < r->n_threads; a = b) {
		bool asked;

		for (b = a + 1; b < r->n_threads && !group_cmp(&k[a], &k[b]); b++)
			;
		if (k[a].pid != k[first].pid) {	/* a new process */
			first = a;
			nw = 0;
		}
		asked = link_candidate(o, r, &k[a], b - a);
		for (size_t i = a; i < b; i++)
			if (asked || futex_object(&r->threads[k[i].idx]))
				w[nw++] = (struct link_waiter){
					.object = r->threads[k[i].idx].wait.object,
					.idx = k[i].idx, .asked = asked };
		/* the process's last site: one pass when it has candidates */
		if (b == r->n_threads || k[b].pid != k[a].pid) {
			bool any = false;

			for (size_t i = 0; i < nw; i++)
				any |= w[i].asked;
			if (any && !report_past_deadline(r))
				pid_links(r, k[a].pid, w, nw);
		}
	}
	free(w);
	return 0;
}

/* Facts read per site: the threads sorted by process and site. */
static int fill_sites(const struct thread_facts_opts *o, struct report *r)
{
	struct group_key *k = malloc((r->n_threads + 1) * sizeof(*k));
	size_t a, b;
	int err;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_threads; i++)
		k[i] = (struct group_key){ r->threads[i].pid, report_thread_group(&r->threads[i]), i };
	qsort(k, r->n_threads, sizeof(*k), group_cmp);
	for (a = 0; a < r->n_threads; a = b) {
		for (b = a + 1; b < r->n_threads && !group_cmp(&k[a], &k[b]); b++)
			;
		if (b - a == 1)
			fill_region(o, &r->threads[k[a].idx]);
	}
	err = o->link_min_units ? fill_links(o, r, k) : 0;
	free(k);
	return err;
}

int thread_facts_collect(const struct thread_facts_opts *opts, struct report *r)
{
	struct thread_facts_opts o = opts ? *opts : (struct thread_facts_opts){ 0 };
	int err;

	if (!o.read_mem)
		o.read_mem = procmem__read_pid;
	if (!o.region)
		o.region = procmaps_region;
	if (!o.read_wait)
		o.read_wait = procsyscall_wait;
	lockgraph_resolve_owners(r, o.read_mem, o.read_ctx);
	for (size_t i = 0; i < r->n_threads; i++)
		if ((err = add_edges(&o, r, i)))
			return err;
	return fill_sites(&o, r);
}

static int thread_facts_open(const struct collect_env *env, void **state, char *msg,
			     size_t size)
{
	struct thread_facts_opts *o = calloc(1, sizeof(*o));	/* the /proc readers */

	*state = o;
	if (!o) {
		snprintf(msg, size, "out of memory");
		return LT_EXIT_FAILURE;
	}
	/* the sites the shape rules could call a leak (judge/rules.c spread) */
	o->link_min_units = env->o->leak_min_threads ? env->o->leak_min_threads : 3;
	return 0;
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
