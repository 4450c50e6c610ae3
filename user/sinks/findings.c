// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "go/go_tracer.h"
#include "sinks/findings.h"


/* Two sorted arrays, swapped after each report: a merge walk of the
 * previous and the current findings gives new, changed and gone in one
 * pass, with no deletion bookkeeping. Both stay <= FINDINGS_MAX. */
struct findings {
	struct finding *prev, *cur;
	size_t n_prev, n_cur;
	size_t cap;			/* of both arrays */
	uint64_t dropped;
	unsigned kinds;			/* 1u << enum finding_kind */
};

struct findings *findings__new_kinds(unsigned mask)
{
	struct findings *fs = calloc(1, sizeof(struct findings));

	if (fs)
		fs->kinds = mask;
	return fs;
}

struct findings *findings__new(void)
{
	return findings__new_kinds(1u << FINDING_THREAD);
}

void findings__free(struct findings *fs)
{
	if (!fs)
		return;
	free(fs->prev);
	free(fs->cur);
	free(fs);
}

size_t findings__count(const struct findings *fs)
{
	return fs->n_prev;
}

uint64_t findings__dropped(const struct findings *fs)
{
	return fs->dropped;
}

/* tid, goid or site: what tells findings of one kind and pid apart */
static uint64_t finding_id(const struct finding *f)
{
	return f->kind == FINDING_THREAD ? f->tid : f->kind == FINDING_GOROUTINE ? f->goid : f->site;
}

static int cmp_key(const struct finding *a, const struct finding *b)
{
	uint64_t ia = finding_id(a), ib = finding_id(b);

	if (a->kind != b->kind)
		return (a->kind > b->kind) - (a->kind < b->kind);
	if (a->pid != b->pid)
		return (a->pid > b->pid) - (a->pid < b->pid);
	if (ia != ib)
		return (ia > ib) - (ia < ib);
	if (a->unit_kind != b->unit_kind)
		return a->unit_kind - b->unit_kind;
	return (a->start_ns > b->start_ns) - (a->start_ns < b->start_ns);
}

static int cmp_finding(const void *a, const void *b)
{
	return cmp_key(a, b);
}

/* A site changes with its count too; a thread or goroutine only with its
 * verdict (the site line says when its mates come and go), or when its
 * stack, deferred by the capture cap, arrives. */
static bool changed(const struct finding *prev, const struct finding *cur)
{
	return prev->verdict != cur->verdict ||
	       (cur->kind == FINDING_SITE && prev->site_threads != cur->site_threads) ||
	       (cur->kind == FINDING_THREAD && !prev->site && cur->site);
}

static int reserve(struct findings *fs, size_t n)
{
	size_t cap = fs->cap ? fs->cap : 64;
	struct finding *p;

	if (n <= fs->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (cap > FINDINGS_MAX)
		cap = FINDINGS_MAX;
	p = realloc(fs->prev, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	fs->prev = p;
	p = realloc(fs->cur, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	fs->cur = p;
	fs->cap = cap;
	return 0;
}

static void fill_thread(struct finding *f, const struct report *r, size_t k)
{
	const struct thread_report *t = &r->threads[k];

	memset(f, 0, sizeof(*f));
	f->kind = FINDING_THREAD;
	f->index = k;
	f->pid = t->pid;
	f->tid = t->tid;
	/* age is measured against the report's clock, so this is exact */
	f->start_ns = t->age_ns && t->age_ns <= r->mono_ns ? r->mono_ns - t->age_ns : 0;
	f->site = t->site;
	if (t->site_index < r->n_sites && r->sites[t->site_index].pid == t->pid)
		f->site_threads = r->sites[t->site_index].n_threads;
	f->verdict = t->verdict;
	memcpy(f->comm, t->comm, sizeof(f->comm));
	memcpy(f->thread, t->thread, sizeof(f->thread));
}

static void fill_goroutine(struct finding *f, const struct report *r, size_t k)
{
	const struct goroutine_report *g = &r->goroutines[k];
	const struct proc_report *p = report_find_proc(r, g->pid);

	memset(f, 0, sizeof(*f));
	f->kind = FINDING_GOROUTINE;
	f->index = k;
	f->pid = g->pid;
	f->goid = g->g->goid;
	f->site = g->site;
	if (g->site_index < r->n_sites)
		f->site_threads = r->sites[g->site_index].n_threads;
	f->verdict = g->verdict;
	if (p)
		memcpy(f->comm, p->comm, sizeof(f->comm));
}

static void fill_site(struct finding *f, const struct report *r, size_t k)
{
	const struct site_report *s = &r->sites[k];

	memset(f, 0, sizeof(*f));
	f->kind = FINDING_SITE;
	f->index = k;
	f->pid = s->pid;
	f->site = s->group;
	f->site_threads = s->n_threads;
	f->unit_kind = s->kind;
	f->verdict = s->verdict;
	memcpy(f->comm, s->comm, sizeof(f->comm));
}

static const struct thread_report *thread_of(const struct report *r, const struct finding *f)
{
	return f->kind == FINDING_THREAD ? &r->threads[f->index] : NULL;
}

/* The followed items of r, in report order: fill(f, r, k) for each. */
struct source {
	enum finding_kind kind;
	size_t n;
	void (*fill)(struct finding *f, const struct report *r, size_t k);
};

static enum verdict item_verdict(const struct report *r, enum finding_kind kind, size_t k)
{
	return kind == FINDING_THREAD ? r->threads[k].verdict :
	       kind == FINDING_GOROUTINE ? r->goroutines[k].verdict : r->sites[k].verdict;
}

/* A finding to report: at or above --min-verdict, and not a site made only
 * of threads whose stacks the capture cap deferred: grouped by their wait
 * for now, they join their stack's site next report, and a site that
 * exists one report would be a false new/gone pair. */
static bool followed(const struct report *r, enum finding_kind kind, size_t k)
{
	if (kind == FINDING_SITE && r->sites[k].stacks_deferred &&
	    r->sites[k].stacks_deferred == r->sites[k].n_threads)
		return false;
	return item_verdict(r, kind, k) >= r->min_verdict;
}

int findings__update(struct findings *fs, const struct report *r, finding_fn fn, void *ctx)
{
	const struct source sources[] = {
		{ FINDING_THREAD, r->n_threads, fill_thread },
		{ FINDING_GOROUTINE, r->n_goroutines, fill_goroutine },
		{ FINDING_SITE, r->n_sites, fill_site },
	};
	size_t n = 0, i = 0, j = 0, shown = 0;
	struct finding *tmp;

	/* like the other outputs, --min-verdict hides the items below it */
	for (size_t s = 0; s < 3; s++)
		for (size_t k = 0; (fs->kinds & 1u << sources[s].kind) && k < sources[s].n; k++)
			shown += followed(r, sources[s].kind, k);
	if (reserve(fs, shown < FINDINGS_MAX ? shown : FINDINGS_MAX))
		return -ENOMEM;
	for (size_t s = 0; s < 3; s++) {
		if (!(fs->kinds & 1u << sources[s].kind))
			continue;
		for (size_t k = 0; k < sources[s].n && n < FINDINGS_MAX; k++)
			if (followed(r, sources[s].kind, k))
				sources[s].fill(&fs->cur[n++], r, k);
	}
	fs->n_cur = n;
	qsort(fs->cur, n, sizeof(*fs->cur), cmp_finding);

	while (i < fs->n_prev || j < fs->n_cur) {
		struct finding *p = &fs->prev[i], *c = &fs->cur[j];
		int d = i >= fs->n_prev ? 1 : j >= fs->n_cur ? -1 : cmp_key(p, c);

		if (d < 0) {
			p->index = SIZE_MAX;
			fn(FINDING_GONE, p, NULL, ctx);
			i++;
		} else if (d > 0) {
			fn(FINDING_NEW, c, thread_of(r, c), ctx);
			j++;
		} else {
			if (changed(p, c))
				fn(FINDING_CHANGED, c, thread_of(r, c), ctx);
			i++;
			j++;
		}
	}
	tmp = fs->prev;
	fs->prev = fs->cur;
	fs->cur = tmp;
	fs->n_prev = fs->n_cur;
	fs->n_cur = 0;
	fs->dropped += shown - n;
	return 0;
}
