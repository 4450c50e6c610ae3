// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "judge/history.h"
#include "util/array.h"

struct member {
	uint64_t id;
	struct park park;
	uint64_t wakeups;
};

struct site_hist {
	uint32_t pid;
	uint8_t kind;
	uint64_t group;
	uint64_t first_seen, last_seen;	/* CLOCK_MONOTONIC */
	uint32_t reports_seen, missed;
	uint32_t arrivals, departures;
	uint32_t growth_reports;
	bool woken;
	struct member *members;		/* sorted by id */
	size_t n_members;
};

struct site_history {
	size_t max_sites;
	struct site_hist *hist;		/* sorted by (pid, kind, group) */
	size_t n_hist, cap_hist;
	struct site_hist *cur;		/* this report's sites, then the carried over */
	size_t n_cur, cap_cur;
	uint64_t evicted;
};

struct site_history *site_history__new(size_t max_sites)
{
	struct site_history *h = calloc(1, sizeof(*h));

	if (h)
		h->max_sites = max_sites ? max_sites : 4096;
	return h;
}

static void hist_free(struct site_hist *s)
{
	free(s->members);
	s->members = NULL;
	s->n_members = 0;
}

static void free_all(struct site_hist *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hist_free(&s[i]);
}

void site_history__free(struct site_history *h)
{
	if (!h)
		return;
	free_all(h->hist, h->n_hist);
	free_all(h->cur, h->n_cur);
	free(h->hist);
	free(h->cur);
	free(h);
}

int site_history__begin(struct site_history *h, size_t max_new_sites)
{
	free_all(h->cur, h->n_cur);
	h->n_cur = 0;
	/* room for every current site plus the history carried over */
	return array_reserve((void **)&h->cur, &h->cap_cur, max_new_sites + h->n_hist + 1,
			     sizeof(*h->cur), 8);
}

static int cmp_hist_key(const void *key, const void *elem)
{
	const struct site_hist *k = key, *e = elem;

	return unit_key_cmp(k->pid, k->kind, k->group, e->pid, e->kind, e->group);
}

static int cmp_member_id(const void *key, const void *elem)
{
	uint64_t id = *(const uint64_t *)key, e = ((const struct member *)elem)->id;

	return (id > e) - (id < e);
}

static const struct member *find_member(const struct site_hist *s, uint64_t id)
{
	return sorted_find(s->members, s->n_members, sizeof(*s->members), &id, cmp_member_id);
}

/* Is the old member m (of site s) still parked, in the same park, anywhere
 * in this report? by_id is every unit sorted by (pid, kind, id). */
static bool still_parked(const struct report *r, const struct unit *by_id, size_t n,
			 const struct site_hist *s, const struct member *m)
{
	struct unit key = { .pid = s->pid, .kind = s->kind, .id = m->id };
	const struct unit *u = sorted_find(by_id, n, sizeof(*by_id), &key, unit_id_cmp);
	struct park now;

	if (!u)
		return false;
	unit_park(r, u, &now);
	return park_same(&now, &m->park);
}

/* A thread parked past the threshold already when site s was last seen was
 * due in that report: missing from it (its stack capture deferred by the
 * per-report cap, or failed), it was there, it does not arrive now. Threads
 * only: their park times are exact, a goroutine's may be estimated. */
static bool due_at_last_sighting(const struct report *r, const struct unit *u,
				 const struct site_hist *s)
{
	return u->kind == UNIT_THREAD &&
	       r->mono_ns - unit_parked_ns(r, u) + r->threshold_ns <= s->last_seen;
}

static uint64_t unit_wakeups(const struct report *r, const struct unit *u)
{
	return u->kind == UNIT_THREAD ? r->threads[u->idx].wakeups : 0;
}

int site_history__observe(struct site_history *h, const struct report *r, const struct unit *u,
			  size_t n, const struct unit *by_id, size_t n_all,
			  struct site_observation *out)
{
	struct site_hist key = { .pid = u[0].pid, .kind = u[0].kind, .group = u[0].group };
	const struct site_hist *old = sorted_find(h->hist, h->n_hist, sizeof(*h->hist), &key,
						  cmp_hist_key);
	struct site_hist *cur = &h->cur[h->n_cur];
	struct member *mem = malloc((n ? n : 1) * sizeof(*mem));

	if (!mem)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		mem[k].id = u[k].id;
		mem[k].wakeups = unit_wakeups(r, &u[k]);
		unit_park(r, &u[k], &mem[k].park);
	}
	*cur = key;
	cur->first_seen = r->mono_ns;
	cur->members = mem;
	cur->n_members = n;
	if (old) {
		cur->first_seen = old->first_seen;
		cur->reports_seen = old->reports_seen;
		cur->arrivals = old->arrivals;
		cur->departures = old->departures;
		cur->growth_reports = old->growth_reports;
		cur->woken = old->woken;
		for (size_t k = 0; k < n; k++) {
			const struct member *m = find_member(old, mem[k].id);

			/* a member that ran and parked again left and came back;
			 * one whose park began before attach never arrived */
			if (!m || !park_same(&mem[k].park, &m->park))
				cur->arrivals += mem[k].park.after_attach &&
						 !due_at_last_sighting(r, &u[k], old);
			else if (mem[k].wakeups > m->wakeups)
				cur->woken = true;
		}
		for (size_t k = 0; k < old->n_members; k++)
			if (!still_parked(r, by_id, n_all, old, &old->members[k]))
				cur->departures++;
	} else if (u[0].kind == UNIT_GOROUTINE) {
		/* the gopark probe saw these parks happen while we watched; a
		 * thread site's first sighting counts none (docs/verdicts.md) */
		for (size_t k = 0; k < n; k++)
			cur->arrivals += mem[k].park.after_attach;
	}
	/* growth sustained over several reports, not one burst (a LIFO
	 * pool growing once, a batch of requests): counted per report */
	cur->growth_reports += cur->arrivals - (old ? old->arrivals : 0) >
			       cur->departures - (old ? old->departures : 0);
	cur->reports_seen++;
	cur->last_seen = r->mono_ns;
	h->n_cur++;
	*out = (struct site_observation){ cur->arrivals, cur->departures, cur->reports_seen,
					  cur->growth_reports, cur->first_seen, cur->woken };
	return 0;
}

static int cmp_hist(const void *a, const void *b)
{
	return cmp_hist_key(a, b);
}

static int cmp_hist_age(const void *a, const void *b)
{
	const struct site_hist *x = a, *y = b;

	/* most recently seen first */
	return (x->last_seen < y->last_seen) - (x->last_seen > y->last_seen);
}

/* Keep sites missed for up to 3 reports (a thread's stack may fail to be
 * captured once), at most max_sites in all. */
uint64_t site_history__commit(struct site_history *h)
{
	size_t n = h->n_cur, n_seen = h->n_cur;
	struct site_hist *swap;
	size_t cap;

	qsort(h->cur, n_seen, sizeof(*h->cur), cmp_hist);
	for (size_t i = 0; i < h->n_hist; i++) {
		struct site_hist *s = &h->hist[i];

		if (sorted_find(h->cur, n_seen, sizeof(*h->cur), s, cmp_hist_key) ||
		    ++s->missed > 3) {
			hist_free(s);
			continue;
		}
		h->cur[n++] = *s;
	}
	if (n > h->max_sites) {
		qsort(h->cur, n, sizeof(*h->cur), cmp_hist_age);
		free_all(h->cur + h->max_sites, n - h->max_sites);
		h->evicted += n - h->max_sites;
		n = h->max_sites;
	}
	qsort(h->cur, n, sizeof(*h->cur), cmp_hist);
	/* the current sites become the history; the old array is reused */
	swap = h->hist;
	cap = h->cap_hist;
	h->hist = h->cur;
	h->cap_hist = h->cap_cur;
	h->n_hist = n;
	h->cur = swap;
	h->cap_cur = cap;
	h->n_cur = 0;
	return h->evicted;
}
