// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "judge/verdict.h"

/* A thread of a site as seen in the previous report. */
struct member {
	uint32_t tid;
	uint64_t parked_since;
	uint64_t nvcsw;
	uint64_t wakeups;
};

struct site_hist {
	uint32_t pid;
	uint64_t group;
	uint64_t first_seen, last_seen;	/* CLOCK_MONOTONIC */
	uint32_t reports_seen, missed;
	uint32_t arrivals, departures;
	bool woken;
	struct member *members;		/* sorted by tid */
	size_t n_members;
};

struct verdict_engine {
	struct verdict_opts o;
	struct site_hist *hist;		/* sorted by (pid, group) */
	size_t n_hist;
	uint64_t evicted;
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
	if (!e->o.max_sites)
		e->o.max_sites = 4096;
	if (!e->o.read_mem)
		e->o.read_mem = procmem_read;
	return e;
}

static void hist_free(struct site_hist *h)
{
	free(h->members);
	h->members = NULL;
	h->n_members = 0;
}

void verdict_engine__free(struct verdict_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_hist; i++)
		hist_free(&e->hist[i]);
	free(e->hist);
	free(e);
}

static int cmp_key(uint32_t pa, uint64_t ga, uint32_t pb, uint64_t gb)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (ga != gb)
		return ga < gb ? -1 : 1;
	return 0;
}

static const struct report *sort_report;

static int cmp_thread_idx(const void *a, const void *b)
{
	const struct thread_report *x = &sort_report->threads[*(const size_t *)a];
	const struct thread_report *y = &sort_report->threads[*(const size_t *)b];
	int c = cmp_key(x->pid, x->group, y->pid, y->group);

	if (c)
		return c;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static struct site_hist *find_hist(struct verdict_engine *e, uint32_t pid, uint64_t group)
{
	size_t lo = 0, hi = e->n_hist;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_key(e->hist[mid].pid, e->hist[mid].group, pid, group);

		if (!c)
			return &e->hist[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct member *find_member(const struct site_hist *h, uint32_t tid)
{
	size_t lo = 0, hi = h->n_members;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (h->members[mid].tid == tid)
			return &h->members[mid];
		if (h->members[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Same park as when last seen? The voluntary switch count moves each time
 * a thread parks, so it tells a new park from an old one exactly; park
 * times of threads parked before leaktrace started are derived from the
 * task clock and move by tens of ms between reports (IRQ/steal-time
 * correction), so time is only the fallback when the count is unknown. */
static bool same_park(uint64_t nvcsw_a, uint64_t since_a, uint64_t nvcsw_b, uint64_t since_b)
{
	uint64_t d = since_a > since_b ? since_a - since_b : since_b - since_a;

	if (nvcsw_a || nvcsw_b)
		return nvcsw_a == nvcsw_b;
	return d < 250000000ULL;
}

/* Is tid still parked, in the same park, anywhere in the report? */
static bool still_parked(const struct report *r, const size_t *by_tid, size_t n,
			 const struct member *m)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct thread_report *t = &r->threads[by_tid[mid]];

		if (t->tid == m->tid)
			return same_park(t->nvcsw, t->parked_since_ns, m->nvcsw, m->parked_since);
		if (t->tid < m->tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int cmp_tid_idx(const void *a, const void *b)
{
	const struct thread_report *x = &sort_report->threads[*(const size_t *)a];
	const struct thread_report *y = &sort_report->threads[*(const size_t *)b];

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* glibc condvar waiters sleep on __g_signals[0] or [1], 4 bytes apart, as
 * the condvar alternates its two groups: futex words this close are one
 * object (distinct condvars or mutexes are >= 40 bytes apart). fds are
 * small consecutive numbers, so they are never merged. */
#define COND_GROUP_SLACK	8

/* Shape of a site from its threads idx[0..n). */
static void describe_site(struct report *r, struct site_report *s, const size_t *idx, size_t n,
			  uint64_t *objs)
{
	size_t n_obj = 0;
	uint64_t futex_slack = 0;

	s->no_timeout = s->timed = s->wakeups_known = true;
	s->min_parked_ns = UINT64_MAX;
	s->first_thread = idx[0];
	for (size_t k = 0; k < n; k++) {
		const struct thread_report *t = &r->threads[idx[k]];

		if (t->parked_ns < s->min_parked_ns)
			s->min_parked_ns = t->parked_ns;
		if (t->parked_ns > s->max_parked_ns) {
			s->max_parked_ns = t->parked_ns;
			s->first_thread = idx[k];
		}
		s->no_timeout &= t->wait.timeout == TIMEOUT_NONE;
		s->timed &= t->wait.timeout == TIMEOUT_SET;
		s->event_loop |= wait_has(&t->wait, WAIT_F_EVENT_LOOP);
		s->disk |= t->state == 'D';
		s->lock_wait |= t->lock_owner != 0;
		s->wakeups_known &= t->wakeups_known;
		if (wait_has(&t->wait, WAIT_F_HAS_OBJECT))
			objs[n_obj++] = t->wait.object;
		if (t->wait.kind == WAIT_FUTEX)
			futex_slack = COND_GROUP_SLACK;
	}
	qsort(objs, n_obj, sizeof(*objs), cmp_u64);
	for (size_t k = 0; k < n_obj; k++)
		s->distinct_wait_objects += !k || objs[k] - objs[k - 1] > futex_slack;
	s->n_threads = n;
}

/* Compare the site with its previous sighting; returns the new members. */
static struct member *observe(struct verdict_engine *e, struct report *r, struct site_report *s,
			      const size_t *idx, size_t n, const size_t *by_tid,
			      struct site_hist *out)
{
	struct site_hist *old = find_hist(e, s->pid, s->group);
	struct member *mem = malloc((n ? n : 1) * sizeof(*mem));

	if (!mem)
		return NULL;
	for (size_t k = 0; k < n; k++) {	/* idx is sorted by tid within the site */
		const struct thread_report *t = &r->threads[idx[k]];

		mem[k] = (struct member){ t->tid, t->parked_since_ns, t->nvcsw, t->wakeups };
	}
	*out = (struct site_hist){ .pid = s->pid, .group = s->group, .first_seen = r->mono_ns,
				   .members = mem, .n_members = n };
	if (old) {
		out->first_seen = old->first_seen;
		out->reports_seen = old->reports_seen;
		out->arrivals = old->arrivals;
		out->departures = old->departures;
		out->woken = old->woken;
		for (size_t k = 0; k < n; k++) {
			const struct member *m = find_member(old, mem[k].tid);

			/* a member that ran and parked again left and came back */
			if (!m || !same_park(mem[k].nvcsw, mem[k].parked_since, m->nvcsw,
					     m->parked_since))
				out->arrivals++;
			else if (mem[k].wakeups > m->wakeups)
				out->woken = true;
		}
		for (size_t k = 0; k < old->n_members; k++)
			if (!still_parked(r, by_tid, r->n_threads, &old->members[k]))
				out->departures++;
	}
	out->reports_seen++;
	out->last_seen = r->mono_ns;
	s->reports_seen = out->reports_seen;
	s->arrivals = out->arrivals;
	s->departures = out->departures;
	s->woken_since_park = out->woken;
	s->observed_seconds = (r->mono_ns - out->first_seen) / 1e9;
	return mem;
}

/* What a site's threads wait for, beyond struct site_report's flags. */
struct site_waits {
	bool accepting;		/* every thread in accept(): a server waiting for clients */
	bool joining_running;	/* every thread joins a thread that is not parked */
};

static bool accept_wait(const struct wait_info *w)
{
	return wait_has(w, WAIT_F_ACCEPT);
}

/* Is tid among the parked threads of the report? */
static bool parked_tid(const struct report *r, const size_t *by_tid, uint32_t tid)
{
	size_t lo = 0, hi = r->n_threads;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t x = r->threads[by_tid[mid]].tid;

		if (x == tid)
			return true;
		if (x < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void site_waits(const struct verdict_engine *e, const struct report *r, const size_t *idx,
		       size_t n, const size_t *by_tid, struct site_waits *sw)
{
	sw->accepting = sw->joining_running = n > 0;
	for (size_t k = 0; k < n; k++) {
		const struct thread_report *t = &r->threads[idx[k]];
		uint32_t target;

		sw->accepting &= accept_wait(&t->wait);
		if (sw->joining_running) {
			target = lockgraph_join_target(t, e->o.read_mem, e->o.read_ctx);
			sw->joining_running = target && !parked_tid(r, by_tid, target);
		}
	}
}

static void judge_site(const struct verdict_opts *o, struct site_report *s,
		       const struct site_waits *sw)
{
	double span = (s->max_parked_ns - s->min_parked_ns) / 1e9;
	bool private_objs = s->distinct_wait_objects >= 2 &&
			    s->distinct_wait_objects * 4 >= s->n_threads * 3;
	uint32_t net = s->arrivals > s->departures ? s->arrivals - s->departures : 0;
	bool grew = s->reports_seen >= 2 && net >= o->leak_min_arrivals;
	bool spread = !s->departures && s->n_threads >= o->leak_min_threads &&
		      span >= o->leak_min_span_s;

	if (s->reports_seen >= 2 && s->observed_seconds >= 1)
		s->growth_per_min = net * 60.0 / s->observed_seconds;
	else if (s->n_threads >= 2 && span > 0)
		s->growth_per_min = (s->n_threads - 1) * 60.0 / span;

	if (s->cycle_len) {
		s->verdict = VERDICT_DEADLOCK;
		s->reason = "threads wait in a cycle for mutexes held by each other";
	} else if (s->event_loop) {
		s->verdict = VERDICT_IDLE;
		s->reason = "event-loop wait";
	} else if (sw->accepting) {
		s->verdict = VERDICT_IDLE;
		s->reason = "waits for connections (accept)";
	} else if (s->timed) {
		s->verdict = VERDICT_IDLE;
		s->reason = "timed wait";
	} else if (sw->joining_running) {
		s->verdict = VERDICT_IDLE;
		s->reason = "joins threads that are still running";
	} else if (s->no_timeout && private_objs && !s->woken_since_park && (grew || spread)) {
		s->verdict = VERDICT_LEAK;
		s->reason = grew ? "parked threads keep arriving on private objects, more than leave" :
				   "parked threads arrived over time on private objects and none left";
	} else if (s->disk) {
		s->verdict = VERDICT_STUCK;
		s->reason = "uninterruptible sleep (D) past the threshold";
	} else if (s->lock_wait) {
		s->verdict = VERDICT_STUCK;
		s->reason = "waits for a mutex another thread holds";
	} else if (s->n_threads == 1 && s->no_timeout && !s->woken_since_park) {
		s->verdict = VERDICT_STUCK;
		s->reason = "alone, no timeout, never woken";
	} else {
		s->verdict = VERDICT_IDLE;
		s->reason = s->distinct_wait_objects == 1 ? "group sharing one wait object (pool)" :
							 "fixed group with no growth";
	}
}

static int cmp_hist(const void *a, const void *b)
{
	const struct site_hist *x = a, *y = b;

	return cmp_key(x->pid, x->group, y->pid, y->group);
}

static int cmp_hist_age(const void *a, const void *b)
{
	const struct site_hist *x = a, *y = b;

	/* most recently seen first */
	return (x->last_seen < y->last_seen) - (x->last_seen > y->last_seen);
}

/* Keep sites missed for up to 3 reports (a thread's stack may fail to be
 * captured once), at most max_sites in all. */
static void replace_history(struct verdict_engine *e, struct site_hist *cur, size_t n_cur)
{
	size_t n = n_cur;

	for (size_t i = 0; i < e->n_hist; i++) {
		struct site_hist *h = &e->hist[i];
		bool seen = false;

		for (size_t k = 0; k < n_cur && !seen; k++)
			seen = !cmp_key(cur[k].pid, cur[k].group, h->pid, h->group);
		if (seen || ++h->missed > 3) {
			hist_free(h);
			continue;
		}
		cur[n++] = *h;
	}
	if (n > e->o.max_sites) {
		qsort(cur, n, sizeof(*cur), cmp_hist_age);
		for (size_t i = e->o.max_sites; i < n; i++)
			hist_free(&cur[i]);
		e->evicted += n - e->o.max_sites;
		n = e->o.max_sites;
	}
	qsort(cur, n, sizeof(*cur), cmp_hist);
	free(e->hist);
	e->hist = cur;
	e->n_hist = n;
}

int verdict_engine__judge(struct verdict_engine *e, struct report *r)
{
	size_t *idx = NULL, *by_tid = NULL, n = r->n_threads, n_cur = 0;
	struct site_hist *cur = NULL;
	uint64_t *objs = NULL;
	int err = -ENOMEM;

	lockgraph_resolve_owners(r, e->o.read_mem, e->o.read_ctx);
	for (size_t i = 0; i < n; i++)
		r->threads[i].group = r->threads[i].site ? r->threads[i].site :
				      wait_shape(&r->threads[i].wait);
	idx = malloc((n + 1) * sizeof(*idx));
	by_tid = malloc((n + 1) * sizeof(*by_tid));
	objs = malloc((n + 1) * sizeof(*objs));
	/* room for every current site plus the history carried over */
	cur = calloc(n + e->n_hist + 1, sizeof(*cur));
	if (!idx || !by_tid || !objs || !cur)
		goto out;
	for (size_t i = 0; i < n; i++)
		idx[i] = by_tid[i] = i;
	sort_report = r;
	qsort(idx, n, sizeof(*idx), cmp_thread_idx);
	qsort(by_tid, n, sizeof(*by_tid), cmp_tid_idx);

	for (size_t a = 0, b; a < n; a = b) {
		const struct thread_report *first = &r->threads[idx[a]];
		struct site_waits sw;
		struct site_report *s;

		for (b = a + 1; b < n && !cmp_key(r->threads[idx[b]].pid, r->threads[idx[b]].group,
						   first->pid, first->group); b++)
			;
		s = report_add_site(r);
		if (!s)
			goto out;
		first = &r->threads[idx[a]];	/* report_add_site may not move threads, but be safe */
		s->pid = first->pid;
		s->group = first->group;
		s->site = first->site;
		memcpy(s->comm, first->comm, sizeof(s->comm));
		describe_site(r, s, idx + a, b - a, objs);
		for (size_t k = a; k < b && !s->cycle_len; k++)
			s->cycle_len = lockgraph_cycle(r, idx[k], s->cycle, LT_MAX_CYCLE);
		if (!observe(e, r, s, idx + a, b - a, by_tid, &cur[n_cur]))
			goto out;
		n_cur++;
		site_waits(e, r, idx + a, b - a, by_tid, &sw);
		judge_site(&e->o, s, &sw);
		for (size_t k = a; k < b; k++) {
			r->threads[idx[k]].verdict = s->verdict;
			r->threads[idx[k]].site_index = r->n_sites - 1;
		}
		if (s->verdict > r->worst)
			r->worst = s->verdict;
	}
	replace_history(e, cur, n_cur);
	cur = NULL;
	r->sites_evicted = e->evicted;
	err = 0;
out:
	if (cur) {
		for (size_t i = 0; i < n_cur; i++)
			hist_free(&cur[i]);
		free(cur);
	}
	free(idx);
	free(by_tid);
	free(objs);
	return err;
}
