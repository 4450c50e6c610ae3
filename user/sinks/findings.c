// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/findings.h"

/* A finding and the index of its thread in the report it came from. */
struct entry {
	struct finding f;
	size_t thread;
};

/* Two sorted arrays, swapped after each report: a merge walk of the
 * previous and the current findings gives new, changed and gone in one
 * pass, with no deletion bookkeeping. Both stay <= FINDINGS_MAX. */
struct findings {
	struct entry *prev, *cur;
	size_t n_prev, n_cur;
	size_t cap;			/* of both arrays */
	uint64_t dropped;
};

struct findings *findings__new(void)
{
	return calloc(1, sizeof(struct findings));
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

static int cmp_key(const struct finding *a, const struct finding *b)
{
	if (a->pid != b->pid)
		return (a->pid > b->pid) - (a->pid < b->pid);
	if (a->tid != b->tid)
		return (a->tid > b->tid) - (a->tid < b->tid);
	return (a->start_ns > b->start_ns) - (a->start_ns < b->start_ns);
}

static int cmp_entry(const void *a, const void *b)
{
	return cmp_key(&((const struct entry *)a)->f, &((const struct entry *)b)->f);
}

static int reserve(struct findings *fs, size_t n)
{
	size_t cap = fs->cap ? fs->cap : 64;
	struct entry *p;

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

static void fill(struct finding *f, const struct report *r, const struct thread_report *t)
{
	memset(f, 0, sizeof(*f));
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

int findings__update(struct findings *fs, const struct report *r, finding_fn fn, void *ctx)
{
	size_t n = 0, i = 0, j = 0, shown = 0;
	struct entry *tmp;

	/* like the other outputs, --min-verdict hides the threads below it */
	for (size_t k = 0; k < r->n_threads; k++)
		shown += r->threads[k].verdict >= r->min_verdict;
	if (reserve(fs, shown < FINDINGS_MAX ? shown : FINDINGS_MAX))
		return -ENOMEM;
	for (size_t k = 0; k < r->n_threads && n < FINDINGS_MAX; k++) {
		if (r->threads[k].verdict < r->min_verdict)
			continue;
		fill(&fs->cur[n].f, r, &r->threads[k]);
		fs->cur[n++].thread = k;
	}
	fs->n_cur = n;
	qsort(fs->cur, n, sizeof(*fs->cur), cmp_entry);

	while (i < fs->n_prev || j < fs->n_cur) {
		const struct entry *p = &fs->prev[i], *c = &fs->cur[j];
		int d = i >= fs->n_prev ? 1 : j >= fs->n_cur ? -1 : cmp_key(&p->f, &c->f);

		if (d < 0) {
			fn(FINDING_GONE, &p->f, NULL, ctx);
			i++;
		} else if (d > 0) {
			fn(FINDING_NEW, &c->f, &r->threads[c->thread], ctx);
			j++;
		} else {
			if (p->f.verdict != c->f.verdict)
				fn(FINDING_CHANGED, &c->f, &r->threads[c->thread], ctx);
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
