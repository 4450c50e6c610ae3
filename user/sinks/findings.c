// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	bool changed;			/* announced something since findings__changed() */
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
		f->site_threads = r->sites[t->site_index].n_units;
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
	f->goid = g->goid;
	f->site = g->site;
	if (g->site_index < r->n_sites)
		f->site_threads = r->sites[g->site_index].n_units;
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
	f->site_threads = s->n_units;
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

static bool related_item(const struct report *r, enum finding_kind kind, size_t k)
{
	size_t site = kind == FINDING_THREAD ? r->threads[k].site_index :
		      kind == FINDING_GOROUTINE ? r->goroutines[k].site_index : k;

	return item_verdict(r, kind, k) != VERDICT_NONE && site < r->n_sites &&
	       r->sites[site].related_to;
}

/* A finding to report: at or above --min-verdict, and not a site made only
 * of threads whose stacks the capture cap deferred: grouped by their wait
 * for now, they join their stack's site next report, and a site that
 * exists one report would be a false new/gone pair. */
static bool followed(const struct report *r, enum finding_kind kind, size_t k)
{
	if (kind == FINDING_SITE && r->sites[k].stacks_deferred &&
	    r->sites[k].stacks_deferred == r->sites[k].n_units)
		return false;
	/* one finding per cause: a related site, and its units, are part of
	 * its primary's (judge/related.c) */
	if (related_item(r, kind, k))
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
			fs->changed = true;
			i++;
		} else if (d > 0) {
			fn(FINDING_NEW, c, thread_of(r, c), ctx);
			fs->changed = true;
			j++;
		} else {
			if (changed(p, c)) {
				fn(FINDING_CHANGED, c, thread_of(r, c), ctx);
				fs->changed = true;
			}
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

bool findings__changed(struct findings *fs)
{
	bool changed = fs->changed;

	fs->changed = false;
	return changed;
}

#define SAVE_HEADER "leaktrace-findings 1 "

/* A name as hex ("-" when empty): any bytes, one token. */
static void save_name(FILE *f, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	fputc(' ', f);
	if (!n)
		fputc('-', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", (unsigned char)s[i]);
}

int findings__save(const struct findings *fs, FILE *f, const char *boot_id)
{
	fprintf(f, SAVE_HEADER "%s\n", boot_id);
	for (size_t i = 0; i < fs->n_prev; i++) {
		const struct finding *x = &fs->prev[i];

		fprintf(f, "%d %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIx64 " %" PRIu32
			" %u %d", x->kind, x->pid, x->tid, x->goid, x->start_ns, x->site,
			x->site_threads, x->unit_kind, x->verdict);
		save_name(f, x->comm, sizeof(x->comm));
		save_name(f, x->thread, sizeof(x->thread));
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode a save_name token into dst (size bytes, NUL-padded). */
static int load_name(const char *tok, char *dst, size_t size)
{
	size_t n = strlen(tok);

	memset(dst, 0, size);
	if (!strcmp(tok, "-"))
		return 0;
	if (!n || n % 2 || n / 2 >= size)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);

		if (hi < 0 || lo < 0 || !(hi | lo))
			return -EINVAL;	/* not hex, or a NUL inside */
		dst[i] = (char)(hi << 4 | lo);
	}
	return 0;
}

static int load_line(const struct findings *fs, char *line, struct finding *x)
{
	char comm[2 * LT_COMM_LEN + 2], thread[2 * LT_COMM_LEN + 2];
	unsigned kind, unit_kind;
	int verdict, used = -1;

	memset(x, 0, sizeof(*x));
	if (sscanf(line, "%u %" SCNu32 " %" SCNu32 " %" SCNu64 " %" SCNu64 " %" SCNx64 " %" SCNu32
		   " %u %d %33s %33s%n", &kind, &x->pid, &x->tid, &x->goid, &x->start_ns, &x->site,
		   &x->site_threads, &unit_kind, &verdict, comm, thread, &used) != 11 ||
	    used < 0 || line[used])
		return -EINVAL;
	if (kind > FINDING_SITE || !(fs->kinds & 1u << kind) || unit_kind > UINT8_MAX ||
	    verdict < 0 || verdict > VERDICT_DEADLOCK || load_name(comm, x->comm, sizeof(x->comm)) ||
	    load_name(thread, x->thread, sizeof(x->thread)))
		return -EINVAL;
	x->kind = kind;
	x->unit_kind = (uint8_t)unit_kind;
	x->verdict = verdict;
	x->index = SIZE_MAX;
	return 0;
}

int findings__load(struct findings *fs, const char *buf, size_t len, const char *boot_id)
{
	size_t hlen = strlen(SAVE_HEADER), blen = strlen(boot_id), n = 0;
	char *text, *save = NULL, *line;
	struct finding *loaded = NULL;
	size_t cap = 0;
	int err = -EINVAL;

	if (memchr(buf, 0, len) || len < hlen + blen + 1 || memcmp(buf, SAVE_HEADER, hlen) ||
	    memcmp(buf + hlen, boot_id, blen) || buf[hlen + blen] != '\n')
		return -EINVAL;
	text = strndup(buf + hlen + blen + 1, len - hlen - blen - 1);
	if (!text)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (n >= FINDINGS_MAX)
			goto out;
		if (n == cap) {
			struct finding *p = realloc(loaded, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				goto out;
			}
			loaded = p;
		}
		if (load_line(fs, line, &loaded[n]) || (n && cmp_key(&loaded[n - 1], &loaded[n]) >= 0))
			goto out;
		n++;
	}
	if (reserve(fs, n ? n : 1)) {
		err = -ENOMEM;
		goto out;
	}
	if (n)
		memcpy(fs->prev, loaded, n * sizeof(*loaded));
	fs->n_prev = n;
	err = 0;
out:
	free(loaded);
	free(text);
	return err;
}
