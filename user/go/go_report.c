// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go/go_report.h"
#include "go/go_tracer.h"

#define GO_REPORT_MAX_NOT_GO 65536

/* What one site looked like in the previous report. */
struct go_site_hist {
	uint64_t site;
	uint64_t *goids;	/* sorted */
	uint64_t *parked_at;	/* CLOCK_MONOTONIC of each goid's park, same order */
	size_t n;
	uint32_t arrivals, departures, reports_seen;
	uint64_t first_seen;
};

struct go_proc {
	int pid;
	struct go_tracer *tracer;
	struct go_snapshot snap;	/* kept until the next report */
	bool have_snap, gone;
	uint64_t attach_real_ns;
	uint64_t prev_created, prev_exited;
	struct go_site_hist *hist;
	size_t n_hist;
};

struct go_report {
	struct go_report_opts o;
	struct go_proc *procs;
	int n_procs, cap_procs;
	/* system-wide: pids already looked at and found not Go (or not
	 * traceable), sorted; pruned when the pid is gone */
	uint32_t *not_go;
	size_t n_not_go;
	uint64_t skipped;		/* Go processes beyond max_procs */
};

static void free_hist(struct go_site_hist *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].goids);
		free(h[i].parked_at);
	}
	free(h);
}

/* Attach to pid; false (with a warning unless quiet) when it cannot be traced. */
static bool attach(struct go_report *g, int pid, bool quiet, char *err, size_t errlen)
{
	struct go_tracer_opts topts = { .verbose = g->o.verbose };
	struct go_proc *p;

	if (g->n_procs == g->cap_procs) {
		int cap = g->cap_procs ? g->cap_procs * 2 : 8;
		struct go_proc *np = realloc(g->procs, cap * sizeof(*np));

		if (!np) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		g->procs = np;
		g->cap_procs = cap;
	}
	p = &g->procs[g->n_procs];
	memset(p, 0, sizeof(*p));
	p->tracer = go_tracer__new_opts(pid, &topts, err, errlen);
	if (!p->tracer) {
		if (!quiet)
			fprintf(stderr, "leaktrace: warning: goroutines not traced: %s\n", err);
		return false;
	}
	p->pid = pid;
	if (g->o.verbose)
		fprintf(stderr, "leaktrace: go: attached to pid %d (offsets: %s, allgs: %s)\n",
			pid, go_tracer__offsets_source(p->tracer), go_tracer__allgs_source(p->tracer));
	g->n_procs++;
	return true;
}

struct go_report *go_report__new(const struct go_report_opts *opts, char *err, size_t errlen)
{
	struct go_report *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->o = *opts;
	if (!g->o.leak_min_arrivals)
		g->o.leak_min_arrivals = 2;
	if (!g->o.max_procs)
		g->o.max_procs = 64;
	for (int i = 0; i < opts->n_pids; i++) {
		char msg[256] = "";

		if (!opts->force && !go_binary__is_go(opts->pids[i]))
			continue;
		if (!attach(g, opts->pids[i], opts->force, msg, sizeof(msg)) && opts->force) {
			snprintf(err, errlen, "cannot trace goroutines: %s", msg);
			go_report__free(g);
			return NULL;
		}
	}
	return g;
}

void go_report__free(struct go_report *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n_procs; i++) {
		if (g->procs[i].have_snap)
			go_snapshot__free(&g->procs[i].snap);
		go_tracer__free(g->procs[i].tracer);
		free_hist(g->procs[i].hist, g->procs[i].n_hist);
	}
	free(g->procs);
	free(g->not_go);
	free(g);
}

int go_report__count(const struct go_report *g)
{
	return g ? g->n_procs : 0;
}

/* A goroutine site: where it was created and where it waits. */
static uint64_t goroutine_site(const struct go_goroutine *gr)
{
	uint64_t h = hash_string(HASH_SEED, "goroutine");

	h = hash_string(h, gr->created_by);
	h = hash_string(h, gr->wait_reason);
	for (int i = 0; i < gr->stack_len; i++)
		h = hash_string(h, gr->stack[i]);
	return h ? h : 1;
}

/* Waits the runtime parks its own and healthy idle goroutines in. */
static bool idle_reason(const char *reason)
{
	static const char *const idle[] = {
		"sleep", "timer goroutine (idle)", "GC worker (idle)", "GC sweep wait",
		"GC scavenge wait", "finalizer wait", "force gc (idle)", "wait for GC cycle",
		"trace reader (blocked)", "preempted", "debug call", "GC assist wait",
		"garbage collection", "garbage collection scan", "GC assist marking",
	};

	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		if (!strcmp(reason, idle[i]))
			return true;
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static const uint64_t *find_goid(const uint64_t *arr, size_t n, uint64_t goid)
{
	if (!n)
		return NULL;
	return bsearch(&goid, arr, n, sizeof(*arr), cmp_u64);
}

/* Was goid parked at the same moment in the previous report? A goroutine
 * that ran and parked again left the site and came back. */
static bool same_park(const struct go_site_hist *old, uint64_t goid, uint64_t parked_at)
{
	const uint64_t *p = find_goid(old->goids, old->n, goid);
	uint64_t then;

	if (!p)
		return false;
	then = old->parked_at[p - old->goids];
	/* ages of goroutines parked before attach are estimates that move */
	return !then || !parked_at || (then > parked_at ? then - parked_at : parked_at - then) < 100000000ULL;
}

static struct go_site_hist *find_hist(struct go_proc *p, uint64_t site)
{
	for (size_t i = 0; i < p->n_hist; i++)
		if (p->hist[i].site == site)
			return &p->hist[i];
	return NULL;
}

static bool stack_has(const struct go_goroutine *gr, const char *needle)
{
	for (int i = 0; i < gr->stack_len; i++)
		if (strstr(gr->stack[i], needle))
			return true;
	return false;
}

static void judge(const struct go_report *g, struct site_report *s, const struct go_goroutine *gr)
{
	if (s->n_threads >= 2 && s->max_parked_ns > s->min_parked_ns)
		s->growth_per_min = (s->n_threads - 1) * 60e9 / (s->max_parked_ns - s->min_parked_ns);
	if (s->reports_seen >= 2 && s->observed_seconds >= 1)
		s->growth_per_min = s->arrivals * 60.0 / s->observed_seconds;
	if (gr->system) {
		s->verdict = VERDICT_IDLE;
		s->reason = "runtime goroutine";
	} else if (idle_reason(gr->wait_reason)) {
		s->verdict = VERDICT_IDLE;
		s->reason = "sleep, timer or GC wait";
	} else if (!strcmp(gr->wait_reason, "IO wait") && stack_has(gr, ").Accept")) {
		s->verdict = VERDICT_IDLE;
		s->reason = "listener waiting for connections";
	} else if (gr->goid == 1 || stack_has(gr, "runtime.main (")) {
		/* the main goroutine waiting (serve loop, signal wait) keeps the program up */
		s->verdict = VERDICT_IDLE;
		s->reason = "main goroutine waiting";
	} else if (!s->departures && s->arrivals >= g->o.leak_min_arrivals && s->reports_seen >= 2) {
		s->verdict = VERDICT_LEAK;
		s->reason = "goroutines keep parking at this site after attach and none leave";
	} else if (s->n_threads == 1) {
		s->verdict = VERDICT_STUCK;
		s->reason = "alone, parked with no sign of progress";
	} else {
		s->verdict = VERDICT_IDLE;
		s->reason = "fixed group with no growth";
	}
}

/* Refill h's members from the report, sorted by goid, with park moments
 * (0 for estimated ages). */
static void sort_members(struct go_site_hist *h, const struct report *r, size_t first)
{
	size_t n = 0;

	for (size_t i = first; i < r->n_goroutines; i++)
		if (r->goroutines[i].site == h->site)
			h->goids[n++] = r->goroutines[i].g->goid;
	h->n = n;
	qsort(h->goids, n, sizeof(*h->goids), cmp_u64);
	for (size_t i = first; i < r->n_goroutines; i++) {
		const struct go_goroutine *g = r->goroutines[i].g;
		const uint64_t *p;

		if (r->goroutines[i].site != h->site)
			continue;
		p = find_goid(h->goids, n, g->goid);
		h->parked_at[p - h->goids] = g->parked_estimated ? 0 :
			r->mono_ns - (uint64_t)(g->parked_seconds * 1e9);
	}
}

/* Group p's parked goroutines (indexes first..r->n_goroutines) into sites. */
static int add_sites(struct go_report *g, struct go_proc *p, struct report *r, size_t first)
{
	struct go_site_hist *hist;
	size_t n_hist = 0, n = r->n_goroutines - first;

	hist = calloc(n + 1, sizeof(*hist));
	if (!hist)
		return -ENOMEM;
	for (size_t i = first; i < r->n_goroutines; i++) {
		struct goroutine_report *gr = &r->goroutines[i];
		struct site_report *s = NULL;
		struct go_site_hist *h;

		for (size_t k = 0; k < r->n_sites; k++)
			if (r->sites[k].goroutines && r->sites[k].pid == gr->pid &&
			    r->sites[k].group == gr->site)
				s = &r->sites[k];
		if (!s) {
			s = report_add_site(r);
			if (!s)
				goto nomem;
			s->goroutines = true;
			s->pid = gr->pid;
			s->group = s->site = gr->site;
			s->first_thread = i;
			s->min_parked_ns = UINT64_MAX;
			s->no_timeout = true;
			h = &hist[n_hist++];
			h->site = gr->site;
			h->goids = malloc(n * sizeof(*h->goids));
			h->parked_at = malloc(n * sizeof(*h->parked_at));
			if (!h->goids || !h->parked_at)
				goto nomem;
		} else {
			for (h = hist; h->site != gr->site; h++)
				;
		}
		gr->site_index = s - r->sites;
		h->goids[h->n++] = gr->g->goid;
		s->n_threads++;
		if ((uint64_t)(gr->g->parked_seconds * 1e9) < s->min_parked_ns)
			s->min_parked_ns = gr->g->parked_seconds * 1e9;
		if ((uint64_t)(gr->g->parked_seconds * 1e9) > s->max_parked_ns) {
			s->max_parked_ns = gr->g->parked_seconds * 1e9;
			s->first_thread = i;
		}
		/* parked after attach (a measured age): it arrived while we watched */
		if (!gr->g->parked_estimated)
			h->arrivals++;
	}
	for (size_t k = 0; k < n_hist; k++) {
		struct go_site_hist *h = &hist[k], *old = find_hist(p, h->site);
		struct site_report *s = NULL;
		uint32_t new_arrivals = 0;

		sort_members(h, r, first);
		h->first_seen = r->mono_ns;
		if (old) {
			/* arrivals: measured parkers not parked here before; departures:
			 * goroutines that left (ran, exited) since the previous report */
			for (size_t i = 0; i < h->n; i++)
				if (h->parked_at[i] && !same_park(old, h->goids[i], h->parked_at[i]))
					new_arrivals++;
			h->arrivals = old->arrivals + new_arrivals;
			h->departures = old->departures;
			for (size_t i = 0; i < old->n; i++) {
				const uint64_t *p = find_goid(h->goids, h->n, old->goids[i]);

				h->departures += !p || !same_park(old, old->goids[i],
								   h->parked_at[p - h->goids]);
			}
			h->reports_seen = old->reports_seen;
			h->first_seen = old->first_seen;
		}
		h->reports_seen++;
		for (size_t i = 0; i < r->n_sites && !s; i++)
			if (r->sites[i].goroutines && r->sites[i].pid == (uint32_t)p->pid &&
			    r->sites[i].group == h->site)
				s = &r->sites[i];
		s->arrivals = h->arrivals;
		s->departures = h->departures;
		s->reports_seen = h->reports_seen;
		s->observed_seconds = (r->mono_ns - h->first_seen) / 1e9;
		judge(g, s, r->goroutines[s->first_thread].g);
		if (s->verdict > r->worst)
			r->worst = s->verdict;
	}
	for (size_t i = first; i < r->n_goroutines; i++)
		r->goroutines[i].verdict = r->sites[r->goroutines[i].site_index].verdict;
	free_hist(p->hist, p->n_hist);
	p->hist = hist;
	p->n_hist = n_hist;
	return 0;
nomem:
	free_hist(hist, n_hist);
	return -ENOMEM;
}

static int collect_proc(struct go_report *g, struct go_proc *p, struct report *r)
{
	struct proc_report *pr;
	size_t first = r->n_goroutines;
	int err;

	if (p->have_snap) {
		go_snapshot__free(&p->snap);
		p->have_snap = false;
	}
	if (p->gone)
		return 0;
	err = go_tracer__snapshot(p->tracer, r->threshold_ns / 1e9, &p->snap);
	if (err) {
		go_snapshot__free(&p->snap);
		if (err == -ESRCH)
			p->gone = true;
		return err == -ESRCH ? 0 : err;
	}
	p->have_snap = true;
	pr = report_proc(r, p->pid);
	if (!pr)
		return -ENOMEM;
	pr->is_go = true;
	snprintf(pr->go_version, sizeof(pr->go_version), "%s", p->snap.go_version);
	pr->go_live = p->snap.live;
	pr->go_created = pr->go_exited = UINT64_MAX;
	pr->go_created_total = p->snap.created;
	pr->go_exited_total = p->snap.exited;
	if (p->snap.created != GO_COUNT_UNKNOWN) {
		pr->go_created = p->snap.created - p->prev_created;
		p->prev_created = p->snap.created;
	}
	if (p->snap.exited != GO_COUNT_UNKNOWN) {
		pr->go_exited = p->snap.exited - p->prev_exited;
		p->prev_exited = p->snap.exited;
	}
	for (size_t i = 0; i < p->snap.n_parked; i++) {
		struct goroutine_report *gr = report_add_goroutine(r);

		if (!gr)
			return -ENOMEM;
		gr->pid = p->pid;
		gr->g = &p->snap.parked[i];
		gr->site = goroutine_site(gr->g);
	}
	pr->go_parked = r->n_goroutines - first;
	err = add_sites(g, p, r, first);
	pr = report_proc(r, p->pid);	/* add_sites may have moved nothing, but be safe */
	for (size_t i = 0; pr && i < r->n_sites; i++)
		if (r->sites[i].goroutines && r->sites[i].pid == (uint32_t)p->pid)
			memcpy(r->sites[i].comm, pr->comm, sizeof(r->sites[i].comm));
	return err;
}

static bool traced_go_pid(const struct go_report *g, uint32_t pid)
{
	for (int i = 0; i < g->n_procs; i++)
		if ((uint32_t)g->procs[i].pid == pid)
			return true;
	return false;
}

/* The Go scheduler parks idle OS threads (Ms) in futex and netpoll waits
 * forever: normal, not a leak. A thread whose stack is in the runtime is one. */
static void idle_runtime_threads(const struct go_report *g, struct report *r)
{
	for (size_t i = 0; i < r->n_sites; i++) {
		struct site_report *s = &r->sites[i];
		const struct thread_report *t;
		bool runtime = false;

		if (s->goroutines || !traced_go_pid(g, s->pid) || s->verdict == VERDICT_DEADLOCK)
			continue;
		t = &r->threads[s->first_thread];
		for (int k = 0; k < t->n_user && !runtime; k++)
			runtime = !strncmp(t->user_stack[k], "runtime.", 8);
		if (!runtime && t->n_user)
			continue;
		s->verdict = VERDICT_IDLE;
		s->reason = "Go runtime thread (idle M)";
		for (size_t k = 0; k < r->n_threads; k++)
			if (r->threads[k].site_index == i && r->threads[k].pid == s->pid)
				r->threads[k].verdict = VERDICT_IDLE;
	}
	/* recompute the worst verdict the overrides may have lowered */
	r->worst = VERDICT_NONE;
	for (size_t i = 0; i < r->n_sites; i++)
		if (r->sites[i].verdict > r->worst)
			r->worst = r->sites[i].verdict;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool known_not_go(const struct go_report *g, uint32_t pid)
{
	return g->n_not_go && bsearch(&pid, g->not_go, g->n_not_go, sizeof(pid), cmp_u32);
}

static void remember_not_go(struct go_report *g, uint32_t pid)
{
	uint32_t *n;

	if (g->n_not_go >= GO_REPORT_MAX_NOT_GO)
		return;	/* bounded: such a pid is looked at again next time */
	n = realloc(g->not_go, (g->n_not_go + 1) * sizeof(*n));
	if (!n)
		return;
	g->not_go = n;
	g->not_go[g->n_not_go++] = pid;
	qsort(g->not_go, g->n_not_go, sizeof(*n), cmp_u32);
}

/* Forget pids whose process is gone (a new process may reuse the pid). */
static void prune_not_go(struct go_report *g, const struct report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_not_go; i++) {
		bool alive = false;

		for (size_t k = 0; k < r->n_procs && !alive; k++)
			alive = r->procs[k].pid == g->not_go[i] && r->procs[k].alive;
		if (alive)
			g->not_go[n++] = g->not_go[i];
	}
	g->n_not_go = n;
}

/* System-wide: attach to the Go processes among those in the report. */
static void discover(struct go_report *g, const struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++) {
		uint32_t pid = r->procs[i].pid;
		char msg[256];

		if (!r->procs[i].alive || traced_go_pid(g, pid) || known_not_go(g, pid))
			continue;
		if (!go_binary__is_go(pid)) {
			remember_not_go(g, pid);
			continue;
		}
		if ((size_t)g->n_procs >= g->o.max_procs) {
			g->skipped++;
			remember_not_go(g, pid);
			continue;
		}
		if (!attach(g, pid, !g->o.verbose, msg, sizeof(msg)))
			remember_not_go(g, pid);
	}
}

/* Drop the processes whose snapshot found them gone. */
static void reap(struct go_report *g)
{
	int n = 0;

	for (int i = 0; i < g->n_procs; i++) {
		struct go_proc *p = &g->procs[i];

		if (!p->gone) {
			g->procs[n++] = *p;
			continue;
		}
		if (p->have_snap)
			go_snapshot__free(&p->snap);
		go_tracer__free(p->tracer);
		free_hist(p->hist, p->n_hist);
	}
	g->n_procs = n;
}

int go_report__collect(struct go_report *g, struct report *r)
{
	int first_err = 0;

	if (!g)
		return 0;
	/* the snapshots of the previous report are no longer referenced */
	reap(g);
	if (g->o.system_wide) {
		prune_not_go(g, r);
		discover(g, r);
	}
	r->go_skipped = g->skipped;
	if (!g->n_procs)
		return 0;
	idle_runtime_threads(g, r);
	for (int i = 0; i < g->n_procs; i++) {
		int err = collect_proc(g, &g->procs[i], r);

		if (err && !first_err)
			first_err = err;
	}
	return first_err;
}
