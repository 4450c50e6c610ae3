// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/history.h"
#include "judge/owner_graph.h"
#include "judge/related.h"
#include "judge/rules.h"
#include "judge/wakers.h"
#include "judge/verdict.h"
#include "util/array.h"

struct verdict_engine {
	struct verdict_opts o;
	struct baselines *baselines;	/* NULL without --baseline */
	struct rule_opts rules;
	struct site_history *history;
	uint64_t evicted_seen;		/* site_history__commit()'s total last time */
};

struct verdict_engine *verdict_engine__new(const struct verdict_opts *opts)
{
	struct verdict_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (opts)
		e->o = *opts;
	if (!e->o.leak_min_threads)
		e->o.leak_min_threads = 3;
	if (e->o.leak_min_span_s <= 0)
		e->o.leak_min_span_s = 1.0;
	if (!e->o.leak_min_arrivals)
		e->o.leak_min_arrivals = 2;
	if (!e->o.leak_min_pile)
		e->o.leak_min_pile = 10;
	e->rules = (struct rule_opts){ e->o.leak_min_threads, e->o.leak_min_span_s,
				       e->o.leak_min_arrivals, e->o.leak_min_pile };
	e->history = site_history__new(e->o.max_sites);
	if (e->o.baseline)
		e->baselines = baselines__new(&e->o.baseline_opts);
	if (!e->history || (e->o.baseline && !e->baselines)) {
		verdict_engine__free(e);
		return NULL;
	}
	return e;
}

void verdict_engine__free(struct verdict_engine *e)
{
	if (!e)
		return;
	site_history__free(e->history);
	baselines__free(e->baselines);
	free(e);
}

struct baselines *verdict_engine__baselines(struct verdict_engine *e)
{
	return e->baselines;
}

/* glibc condvar waiters sleep on __g_signals[0] or [1], 4 bytes apart, as
 * the condvar alternates its two groups: futex words this close are one
 * object (distinct condvars or mutexes are >= 40 bytes apart). fds are
 * small consecutive numbers, so they are never merged. */
#define COND_GROUP_SLACK	8

/* Threads created this soon after their process are its own service
 * threads (start-up), not threads started for a request. */
#define STARTUP_WINDOW_NS	(10 * 1000000000ULL)

/* One report being judged. */
struct judging {
	struct verdict_engine *e;
	struct report *r;
	const struct unit *by_id;	/* every unit, sorted by (pid, kind, id) */
	size_t n;
	struct owner_graph owners;
	struct wakers wakers;	/* threads proven never to wake (judge/wakers.c) */
};

/* The parked thread tid of process pid, or NULL. */
static const struct thread_report *parked_thread(const struct judging *j, uint32_t pid,
						 uint32_t tid)
{
	struct unit key = { .pid = pid, .kind = UNIT_THREAD, .id = tid };
	const struct unit *u = sorted_find(j->by_id, j->n, sizeof(key), &key, unit_id_cmp);

	return u ? &j->r->threads[u->idx] : NULL;
}

/* A futex wait on a condition (condvar, semaphore, event), not on a lock. */
static bool condition_futex(const struct thread_report *t)
{
	return !t->lock_owner && wait_on_condition(&t->wait);
}

/* The wait object of a unit, if known, and the slack that merges objects. */
static bool unit_object(const struct report *r, const struct unit *u, uint64_t *obj,
			uint64_t *slack)
{
	if (u->kind == UNIT_GOROUTINE) {
		*obj = r->goroutines[u->idx].wait_object;
		return *obj != 0;
	}
	if (u->kind == UNIT_CONNECTION) {
		*obj = r->conns[u->idx].inode;
		return true;
	}
	const struct wait_info *w = &r->threads[u->idx].wait;

	if (w->kind == WAIT_FUTEX)
		*slack = COND_GROUP_SLACK;
	*obj = w->object;
	return wait_has(w, WAIT_F_HAS_OBJECT);
}

/* A unit of s awaits peer, silent for silent_ms: the site shows the
 * shortest silence and the first peer. */
static void note_peer(struct site_report *s, uint32_t silent_ms, const char *peer)
{
	if (!s->peer[0] || silent_ms < s->peer_silent_ms)
		s->peer_silent_ms = silent_ms;
	if (!s->peer[0])
		snprintf(s->peer, sizeof(s->peer), "%s", peer);
}

/* Whether t waits for a TCP peer silent for longer than the threshold. */
static void describe_peer(const struct judging *j, const struct thread_report *t,
			  struct site_report *s)
{
	if (!s->awaiting_peer)
		return;
	if (!t->awaiting_peer || !report_peer_past_threshold(j->r, t->peer_silent_ms)) {
		s->awaiting_peer = false;
		return;
	}
	note_peer(s, t->peer_silent_ms, t->peer);
}

/* What t's owner edges say: the lock owner rests in an event loop; the
 * thread it joins is not parked. */
static void describe_owners(const struct judging *j, const struct thread_report *t,
			    struct site_report *s, struct site_facts *f)
{
	struct unit_ref me = { t->pid, UNIT_THREAD, t->tid };
	const struct owner_edge *e;
	bool joining = false;
	size_t n;

	e = owner_graph__edges(&j->owners, &me, &n);
	for (size_t i = 0; i < n; i++) {
		/* an event loop holding a lock while it waits: by design, not
		 * stuck (an owner that wakes on a timer is not parked) */
		if (OWNER_LOCKS & OWNER_MASK(e[i].kind))
			s->owner_resting |= e[i].owner_event_loop;
		else if (e[i].kind == OWNER_JOIN)
			joining |= !parked_thread(j, t->pid, (uint32_t)e[i].owner);
	}
	f->joining_running &= joining;
}

static void describe_thread(const struct judging *j, const struct thread_report *t,
			    struct site_report *s, struct site_facts *f)
{
	s->no_timeout &= t->wait.timeout == TIMEOUT_NONE;
	s->timed &= t->wait.timeout == TIMEOUT_SET;
	s->event_loop |= wait_has(&t->wait, WAIT_F_EVENT_LOOP);
	s->disk |= t->state == 'D';
	s->lock_wait |= t->lock_owner != 0;
	s->signal_wait &= wait_has(&t->wait, WAIT_F_SIGNALS);
	s->stopped &= t->state == 'T';
	s->wakeups_known &= t->wakeups_known;
	s->links_checked += t->wait_link != WAIT_LINK_UNKNOWN;
	s->linked_units += t->wait_link == WAIT_LINK_OUTSIDE;
	describe_peer(j, t, s);
	describe_owners(j, t, s, f);
	f->condition_wait &= condition_futex(t);
	if (s->started_with_process) {
		const struct proc_report *p = report_find_proc(j->r, t->pid);
		uint64_t born = j->r->mono_ns - t->age_ns;

		s->started_with_process = p && p->start_ns && t->age_ns && born >= p->start_ns &&
					  born - p->start_ns < STARTUP_WINDOW_NS;
	}
	f->main_unit &= t->tid == t->pid;
	f->fresh += t->age_ns && t->age_ns >= t->parked_ns &&
		    t->age_ns - t->parked_ns <= j->e->rules.leak_min_span_s * 1e9;
	f->accepting &= wait_has(&t->wait, WAIT_F_ACCEPT);
	f->child_wait &= wait_has(&t->wait, WAIT_F_CHILD);
	f->go_runtime &= t->go_runtime;
	f->java_runtime &= t->java && t->java->runtime;
}

/* The proof a collector gave for unit u (model/facts.h), PROOF_NONE if none. */
static uint8_t unit_proof(const struct report *r, const struct unit *u)
{
	struct unit_ref key = { u->pid, u->kind, u->id };
	const struct unit_proof *p = sorted_find(r->proofs, r->n_proofs, sizeof(*p), &key,
						 unit_ref_cmp);

	return p ? p->proof : PROOF_NONE;
}

/* A goroutine in IO wait on a socket (collect/go/go_netpoll.c): waiting
 * for a reply its peer owes (the peer rule, as for a thread's read), or
 * reading a connection whose peer owes nothing: an accepted keep-alive
 * connection, an idle pooled one. */
static void describe_goroutine_socket(const struct judging *j, const struct goroutine_report *g,
				      struct site_report *s, struct site_facts *f)
{
	f->idle_conn &= g->sock_inode && !g->awaiting_peer && !g->send_queued;
	f->peer_via &= !!g->peer_via_goid;
	if ((!g->sock_inode && !g->peer_via_goid) || !g->awaiting_peer ||
	    !report_peer_past_threshold(j->r, g->peer_silent_ms))
		s->awaiting_peer = false;
	else if (s->awaiting_peer)
		note_peer(s, g->peer_silent_ms, g->peer);
}

static void describe_goroutine(const struct judging *j, const struct goroutine_report *g,
			       struct site_report *s, struct site_facts *f)
{
	/* goroutine waits carry no timeout: timed ones are sleeps and timers */
	s->timed = false;
	s->signal_wait = s->stopped = s->started_with_process = false;
	describe_goroutine_socket(j, g, s, f);
	s->wakeups_known = false;	/* nothing counts goroutine wake-ups */
	f->accepting = f->joining_running = f->condition_wait = false;
	f->go_runtime &= !!(g->flags & GOROUTINE_RUNTIME);
	f->java_runtime = false;
	f->idle_wait &= !!(g->flags & GOROUTINE_IDLE_WAIT);
	f->listener &= !!(g->flags & GOROUTINE_LISTENER);
	f->main_unit &= !!(g->flags & GOROUTINE_MAIN);
	f->blocked_forever &= !!(g->flags & GOROUTINE_FOREVER);
	f->sending &= !!(g->flags & GOROUTINE_SEND);
	f->resting &= !!(g->flags & GOROUTINE_REST);
	f->locking &= !!(g->flags & GOROUTINE_LOCK);
	f->n_proven += !!(g->flags & (GOROUTINE_UNREACHABLE | GOROUTINE_RUNTIME_LEAKED));
	f->runtime_leaked &= !!(g->flags & GOROUTINE_RUNTIME_LEAKED);
	f->proven_channel &= !!(g->flags & GOROUTINE_WAITS_CHANNEL);
	f->proven_cycle &= !!(g->flags & GOROUTINE_LOCK_CYCLE);
	f->n_timer_fed += !!g->timer_waker_goid;
	f->live = g->live;	/* a live site has one record: its representative */
}

/* Goroutines started one per iteration or request beside a few helpers
 * (a producer, a stopper, a WaitGroup's workers) have goids this close,
 * the helpers' between them. The runtime hands goids out in batches of 16
 * per P, so a loop's goroutines jump by a batch or more now and then: a
 * bigger step says nothing. */
#define GOID_INTERLEAVE_MAX 8

/* Parked goroutines of pid with a goid in [lo, hi]. */
static size_t goroutines_parked_in(const struct judging *j, uint32_t pid, uint64_t lo,
				   uint64_t hi)
{
	struct unit first = { .pid = pid, .kind = UNIT_GOROUTINE, .id = lo };
	struct unit past = { .pid = pid, .kind = UNIT_GOROUTINE, .id = hi + 1 };
	size_t from = sorted_lower_bound(j->by_id, j->n, sizeof(first), &first, unit_id_cmp);
	size_t to = sorted_lower_bound(j->by_id, j->n, sizeof(past), &past, unit_id_cmp);

	return to > from ? to - from : 0;	/* hi + 1 wraps on a garbage goid */
}

/* Neighbours in goid order u[k-1], u[k] (one site, sorted by goid) with a
 * few goids between them that no parked goroutine holds: goroutines
 * started between two of the site's that ran and are gone. A pool started
 * in a loop has none (consecutive goids); a connection's writer has its
 * reader parked between it and the next writer. */
static uint32_t goroutines_interleaved(const struct judging *j, const struct unit *u, size_t n)
{
	uint32_t interleaved = 0;

	for (size_t k = 1; k < n; k++) {
		uint64_t step = u[k].id - u[k - 1].id;

		interleaved += step >= 2 && step <= GOID_INTERLEAVE_MAX &&
			       !goroutines_parked_in(j, u[k].pid, u[k - 1].id + 1, u[k].id - 1);
	}
	return interleaved;
}

/* A request its TCP peer has not answered (collect/sockets/peers.c collected only
 * those silent past the threshold). Its timeout, if any, is the event
 * loop's business: not known. */
static void describe_connection(const struct conn_report *c, struct site_report *s,
				struct site_facts *f)
{
	s->no_timeout = s->timed = s->signal_wait = s->stopped = false;
	s->started_with_process = s->wakeups_known = false;
	f->accepting = f->joining_running = f->condition_wait = f->main_unit = false;
	f->go_runtime = f->java_runtime = false;
	note_peer(s, c->silent_ns / 1000000, c->peer);
}

/* A lock cycle through one of the units u[0..n) of s: the owners of what
 * they wait for (mutexes, monitors...) wait, in turn, for them. */
static void find_cycle(const struct judging *j, struct site_report *s, const struct unit *u,
		       size_t n)
{
	for (size_t k = 0; k < n && !s->cycle_len; k++) {
		struct unit_ref start = { u[k].pid, u[k].kind, u[k].id };

		s->cycle_len = owner_graph__cycle(&j->owners, &start, OWNER_LOCKS, s->cycle,
						  s->cycle_edge, LT_MAX_CYCLE);
	}
}

/* Every thread of the site proven never to wake by its wakers (and not in
 * a lock cycle, the in_cycle rule's): proof waker_chain, with the chain
 * from its longest-parked thread. */
static void waker_chain(const struct judging *j, struct site_report *s, struct site_facts *f,
			const struct unit *u, size_t n)
{
	if (f->kind != UNIT_THREAD || f->proof || s->cycle_len)
		return;
	for (size_t k = 0; k < n; k++)
		if (!wakers__forever(&j->wakers, u[k].idx))
			return;
	f->proof = PROOF_WAKER_CHAIN;
	wakers__chain(&j->wakers, s->first_unit, s);
}

/* The facts only goroutines have, cleared for other sites. */
static void goroutine_site_facts(const struct judging *j, struct site_facts *f,
				 const struct unit *u, size_t n)
{
	if (f->kind != UNIT_GOROUTINE) {
		f->idle_wait = f->listener = f->idle_conn = f->peer_via = f->blocked_forever = f->sending =
			f->resting = f->locking = f->proven = f->proven_channel = f->proven_cycle =
			f->runtime_leaked = false;
		return;
	}
	f->interleaved = goroutines_interleaved(j, u, n);	/* u[]: goid order */
	/* Conservative marking can only miss a proof (a stale stack slot
	 * reaches a wait object), never make a false one: each proven
	 * goroutine is leaked. A site needs most of its units proven, so a
	 * proof that a stale slot takes from a few of a pile still decides it;
	 * evidence.proven_units says how many. */
	f->proven = f->n_proven && 2 * f->n_proven >= n;
}

/* Shape of a site from its units u[0..n). objs: scratch of n entries. */
static void describe_site(const struct judging *j, struct site_report *s, struct site_facts *f,
			  const struct unit *u, size_t n, uint64_t *objs)
{
	struct report *r = j->r;
	size_t n_obj = 0;
	uint64_t slack = 0;
	const struct proc_report *p;

	*f = (struct site_facts){ .kind = u[0].kind, .accepting = true, .joining_running = true,
				  .child_wait = u[0].kind == UNIT_THREAD,
				  .go_runtime = true, .java_runtime = true, .idle_wait = true, .listener = true,
				  .idle_conn = true,
				  .condition_wait = true, .blocked_forever = true,
				  .sending = true, .resting = true, .locking = true,
				  .main_unit = true, .proven_channel = true, .peer_via = true,
				  .proven_cycle = true, .runtime_leaked = true };
	s->pid = u[0].pid;
	s->kind = u[0].kind;
	s->group = s->site = u[0].group;
	s->no_timeout = s->timed = s->signal_wait = s->wakeups_known = true;
	s->stopped = s->awaiting_peer = s->started_with_process = true;
	s->min_parked_ns = UINT64_MAX;
	s->first_unit = u[0].idx;
	s->n_units = n;
	for (size_t k = 0; k < n; k++) {
		uint64_t parked = unit_parked_ns(r, &u[k]);

		if (parked < s->min_parked_ns)
			s->min_parked_ns = parked;
		if (parked > s->max_parked_ns) {
			s->max_parked_ns = parked;
			s->first_unit = u[k].idx;
		}
		if (u[k].kind == UNIT_THREAD) {
			describe_thread(j, &r->threads[u[k].idx], s, f);
			s->stacks_deferred += r->threads[u[k].idx].stack_deferred;
		}
		else if (u[k].kind == UNIT_GOROUTINE)
			describe_goroutine(j, &r->goroutines[u[k].idx], s, f);
		else
			describe_connection(&r->conns[u[k].idx], s, f);
		if (unit_object(r, &u[k], &objs[n_obj], &slack))
			n_obj++;
		uint8_t proof = unit_proof(r, &u[k]);

		f->proof = !k || f->proof == proof ? proof : PROOF_NONE;
	}
	goroutine_site_facts(j, f, u, n);
	if (f->live)	/* one record shows them all */
		s->n_units = f->live->live;
	f->objects_known = n_obj > 0;
	/* where a lone waiter's object lives: a service worker's rest or a
	 * request's wait (rules.c) */
	if (n == 1 && n_obj == 1 && f->condition_wait && f->kind == UNIT_THREAD)
		s->object_region = r->threads[u[0].idx].object_region;
	qsort(objs, n_obj, sizeof(*objs), cmp_u64);
	for (size_t k = 0; k < n_obj; k++)
		s->distinct_wait_objects += !k || objs[k] - objs[k - 1] > slack;
	if (f->kind == UNIT_THREAD)
		s->site = r->threads[u[0].idx].site;
	find_cycle(j, s, u, n);
	waker_chain(j, s, f, u, n);
	p = report_find_proc(r, s->pid);
	if (p)
		memcpy(s->comm, p->comm, sizeof(s->comm));
	/* a process's main thread waiting while its other threads work (a
	 * server's supervisor); alone in its process it is just waiting */
	if (f->kind == UNIT_THREAD && f->main_unit)
		f->main_unit = p && p->live_threads > 1;
	if (f->kind == UNIT_THREAD)	/* the process name as its threads saw it */
		memcpy(s->comm, r->threads[u[0].idx].comm, sizeof(s->comm));
}

/* Against the service's normal: a stuck site that is part of it, and did
 * not grow, is the service at rest. Leaks and deadlocks carry their own
 * proof and stand. */
static void judge_baseline(struct verdict_engine *e, struct report *r, struct site_report *s,
			   uint8_t kind)
{
	if (!e->baselines)
		return;
	s->baseline = baselines__site(e->baselines, r, s, kind);
	if (s->baseline == BASELINE_NORMAL && s->verdict == VERDICT_STUCK) {
		s->verdict = VERDICT_IDLE;
		s->reason = "unchanged since its service's baseline (present at its first report)";
		s->evidence = (struct evidence){ .proof = PROOF_NONE, .heuristic = "baseline_normal" };
	}
}

/* A live site's history is the Go collector's (collect/go/go_live.c), which
 * counts all its goroutines, not only the one record shown: arrivals are
 * its growth since first seen, departures its goroutines that ended. */
static void live_observation(struct site_report *s, const struct live_site *l,
			     const struct report *r)
{
	s->arrivals = l->live > l->first_live ? l->live - l->first_live : 0;
	s->departures = l->exited;
	s->reports_seen = l->reports_seen;
	s->growth_reports = l->growth_reports;
	s->woken_since_park = false;
	s->observed_seconds = r->mono_ns > l->first_seen_ns ?
			      (r->mono_ns - l->first_seen_ns) / 1e9 : 0;
}

static bool same_site(const struct unit *a, const struct unit *b)
{
	return !unit_key_cmp(a->pid, a->kind, a->group, b->pid, b->kind, b->group);
}

int verdict_engine__judge(struct verdict_engine *e, struct report *r)
{
	struct unit *units, *by_id = NULL;
	uint64_t *objs = NULL, evicted;
	struct judging j = { 0 };
	size_t n;
	int err = -ENOMEM;

	units = units_collect(r, &n);
	if (!units)
		return -ENOMEM;
	by_id = malloc((n + 1) * sizeof(*by_id));
	objs = malloc((n + 1) * sizeof(*objs));
	if (!by_id || !objs || site_history__begin(e->history, n))
		goto out;
	if (e->baselines)
		baselines__begin(e->baselines, r);
	memcpy(by_id, units, n * sizeof(*units));
	qsort(by_id, n, sizeof(*by_id), unit_id_cmp);
	j = (struct judging){ .e = e, .r = r, .by_id = by_id, .n = n };

	owner_graph__init(&j.owners, r);
	if (wakers__prove(&j.wakers, &j.owners, r))
		goto out;
	/* the units' proofs, looked up by unit (a unit_proof starts with its ref) */
	if (r->n_proofs)	/* proofs is NULL when none: qsort(NULL, 0) is UB */
		qsort(r->proofs, r->n_proofs, sizeof(*r->proofs), unit_ref_cmp);

	for (size_t a = 0, b; a < n; a = b) {
		struct site_observation obs;
		struct site_facts facts;
		struct site_report *s;

		for (b = a + 1; b < n && same_site(&units[a], &units[b]); b++)
			;
		s = report_add_site(r);
		if (!s)
			goto out;
		describe_site(&j, s, &facts, units + a, b - a, objs);
		if (site_history__observe(e->history, r, units + a, b - a, by_id, n, &obs))
			goto out;
		s->arrivals = obs.arrivals;
		s->departures = obs.departures;
		s->reports_seen = obs.reports_seen;
		s->growth_reports = obs.growth_reports;
		s->woken_since_park = obs.woken;
		s->observed_seconds = (r->mono_ns - obs.first_seen_ns) / 1e9;
		if (facts.live)
			live_observation(s, facts.live, r);
		rules_judge(&e->rules, s, &facts);
		judge_baseline(e, r, s, facts.kind);
		for (size_t k = a; k < b; k++)
			unit_set_verdict(r, &units[k], s->verdict, r->n_sites - 1);
		if (s->verdict > r->worst)
			r->worst = s->verdict;
	}
	if (related__group(r))
		goto out;
	evicted = site_history__commit(e->history);
	r->lost[DROP_SITES_EVICTED] += evicted - e->evicted_seen;
	e->evicted_seen = evicted;
	if (e->baselines)
		baselines__commit(e->baselines);
	err = 0;
out:
	wakers__free(&j.wakers);
	free(units);
	free(by_id);
	free(objs);
	return err;
}
