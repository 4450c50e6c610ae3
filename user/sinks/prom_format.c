// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "judge/units.h"
#include "sinks/escape.h"
#include "sinks/frame.h"
#include "sinks/prom_format.h"

#define N_VERDICTS (VERDICT_DEADLOCK + 1)

/* Figures of one series: a selected process, then (merge_series) all the
 * selected processes of one service. */
struct proc_agg {
	const struct proc_report *p;	/* the first of them: comm, identity, pid */
	uint32_t parked[N_VERDICTS];
	uint32_t go_parked[N_VERDICTS];
	uint64_t oldest_ns;
	uint32_t sites;
	uint32_t conns;			/* connections awaiting their peer */
	uint64_t live_threads, created_total, exited_total;
	bool is_go, go_created_known;
	uint64_t go_live, go_created_total;
};

void prom_totals_add(struct prom_totals *t, const struct report *r)
{
	t->reports++;
	t->capture_failures += r->capture_failures;
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *id_unit(const struct identity *id)
{
	return id ? id->unit : "";
}

static const char *id_container(const struct identity *id)
{
	return id ? id->container_id : "";
}

static const char *id_pod(const struct identity *id)
{
	return id ? id->pod_uid : "";
}

/* The labels that name a service: they survive its restarts (a pid does
 * not), empty when not applicable. */
static void identity_labels(FILE *f, const struct identity *id)
{
	fputs(",unit=", f);
	prom_write_label_value(f, id_unit(id), ID_UNIT_MAX);
	fputs(",container_id=", f);
	prom_write_label_value(f, id_container(id), ID_CONTAINER_MAX);
	fputs(",pod_uid=", f);
	prom_write_label_value(f, id_pod(id), ID_POD_UID_MAX);
}

/* name{comm="..",unit="..",container_id="..",pod_uid=".."[,pid=".."] with
 * the closing brace left to the caller */
static void proc_labels(FILE *f, const char *name, const struct proc_agg *a, bool pid_label)
{
	fprintf(f, "%s{comm=", name);
	prom_write_label_value(f, a->p->comm, sizeof(a->p->comm));
	identity_labels(f, a->p->identity);
	if (pid_label)
		fprintf(f, ",pid=\"%" PRIu32 "\"", a->p->pid);
}

/* Order of services: comm and identity, then pid when it is a label. */
static int cmp_service(const struct proc_report *x, const struct proc_report *y, bool pid_label)
{
	int c = strncmp(x->comm, y->comm, sizeof(x->comm));

	if (!c)
		c = strcmp(id_unit(x->identity), id_unit(y->identity));
	if (!c)
		c = strcmp(id_container(x->identity), id_container(y->identity));
	if (!c)
		c = strcmp(id_pod(x->identity), id_pod(y->identity));
	if (!c && pid_label)
		c = (x->pid > y->pid) - (x->pid < y->pid);
	return c;
}

static int cmp_series(const void *a, const void *b, void *with_pid)
{
	return cmp_service(((const struct proc_agg *)a)->p, ((const struct proc_agg *)b)->p,
			   *(const bool *)with_pid);
}

static void add_agg(struct proc_agg *to, const struct proc_agg *from)
{
	for (int v = 0; v < N_VERDICTS; v++) {
		to->parked[v] += from->parked[v];
		to->go_parked[v] += from->go_parked[v];
	}
	if (from->oldest_ns > to->oldest_ns)
		to->oldest_ns = from->oldest_ns;
	to->sites += from->sites;
	to->conns += from->conns;
	to->live_threads += from->live_threads;
	to->created_total += from->created_total;
	to->exited_total += from->exited_total;
	to->go_live += from->go_live;
	to->go_created_total += from->go_created_total;
	to->is_go |= from->is_go;
	to->go_created_known &= from->go_created_known;
}

/* One series per service: processes with the same labels (the workers of
 * one unit, the processes of one container) are summed, so a restart does
 * not start new series and no scrape carries a series twice. */
static size_t merge_series(struct proc_agg *aggs, size_t n, bool pid_label)
{
	size_t out = 0;

	if (!n)
		return 0;
	qsort_r(aggs, n, sizeof(*aggs), cmp_series, &pid_label);
	for (size_t i = 1; i < n; i++) {
		if (!cmp_series(&aggs[out], &aggs[i], &pid_label))
			add_agg(&aggs[out], &aggs[i]);
		else
			aggs[++out] = aggs[i];
	}
	return out + 1;
}

static int cmp_by_parked(const void *a, const void *b)
{
	const struct proc_report *x = *(const struct proc_report *const *)a;
	const struct proc_report *y = *(const struct proc_report *const *)b;

	if (x->parked != y->parked)
		return x->parked < y->parked ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_agg_pid(const void *a, const void *b)
{
	const struct proc_agg *x = a, *y = b;

	return (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

static struct proc_agg *find_agg(struct proc_agg *aggs, size_t n, uint32_t pid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (aggs[mid].p->pid == pid)
			return &aggs[mid];
		if (aggs[mid].p->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The processes that get series, by pid; *n_cut counts the others. Same
 * choice as the report formats: traced processes with --pid, otherwise
 * those with parked threads. NULL with *n == 0 is a valid empty answer. */
static int select_procs(const struct report *r, bool pid_label, struct proc_agg **out, size_t *n,
			size_t *n_cut)
{
	const struct proc_report **cand;
	struct proc_agg *aggs;
	size_t nc = 0;

	*out = NULL;
	*n = *n_cut = 0;
	if (!r->n_procs)
		return 0;
	cand = malloc(r->n_procs * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].parked || r->summarize_all)
			cand[nc++] = &r->procs[i];
	if (nc > PROM_MAX_PROCS) {
		qsort(cand, nc, sizeof(*cand), cmp_by_parked);
		*n_cut = nc - PROM_MAX_PROCS;
		nc = PROM_MAX_PROCS;
	}
	aggs = calloc(nc ? nc : 1, sizeof(*aggs));
	if (!aggs) {
		free(cand);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nc; i++) {
		const struct proc_report *p = cand[i];

		aggs[i] = (struct proc_agg){
			.p = p, .live_threads = p->live_threads, .created_total = p->created_total,
			.exited_total = p->exited_total, .is_go = p->is_go, .go_live = p->go_live,
			.go_created_known = p->go_created_total != UINT64_MAX,
			.go_created_total = p->go_created_total != UINT64_MAX ? p->go_created_total : 0,
		};
	}
	free(cand);
	qsort(aggs, nc, sizeof(*aggs), cmp_agg_pid);

	for (size_t i = 0; i < r->n_threads; i++) {
		const struct thread_report *t = &r->threads[i];
		struct proc_agg *a = find_agg(aggs, nc, t->pid);
		enum verdict v = t->verdict < N_VERDICTS ? t->verdict : VERDICT_NONE;

		if (!a)
			continue;
		a->parked[v]++;
		if (t->parked_ns > a->oldest_ns)
			a->oldest_ns = t->parked_ns;
	}
	for (size_t i = 0; i < r->n_goroutines; i++) {
		const struct goroutine_report *g = &r->goroutines[i];
		struct proc_agg *a = find_agg(aggs, nc, g->pid);

		/* a live site's record (g->live) stands for goroutines that run */
		if (a && !g->live)
			a->go_parked[g->verdict < N_VERDICTS ? g->verdict : VERDICT_NONE]++;
	}
	for (size_t i = 0; i < r->n_sites; i++) {
		struct proc_agg *a = find_agg(aggs, nc, r->sites[i].pid);

		if (a)
			a->sites++;
	}
	for (size_t i = 0; i < r->n_conns; i++) {
		struct proc_agg *a = find_agg(aggs, nc, r->conns[i].pid);

		if (a)
			a->conns++;
	}
	*out = aggs;
	*n = merge_series(aggs, nc, pid_label);
	return 0;
}

static void write_proc_metrics(FILE *f, const struct proc_agg *aggs, size_t n, bool pid_label)
{
	header(f, "leaktrace_parked_threads", "gauge",
	       "Threads parked past the threshold, by process and verdict.");
	for (size_t i = 0; i < n; i++) {
		for (int v = 0; v < N_VERDICTS; v++) {
			proc_labels(f, "leaktrace_parked_threads", &aggs[i], pid_label);
			fprintf(f, ",verdict=\"%s\"} %" PRIu32 "\n", verdict_name(v), aggs[i].parked[v]);
		}
	}
	header(f, "leaktrace_oldest_parked_seconds", "gauge",
	       "How long the longest-parked reported thread of the process has been parked.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_oldest_parked_seconds", &aggs[i], pid_label);
		fprintf(f, "} %.3f\n", aggs[i].oldest_ns / 1e9);
	}
	header(f, "leaktrace_parked_sites", "gauge",
	       "Distinct stacks (or waits, without stacks) of the parked threads of the process.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_parked_sites", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu32 "\n", aggs[i].sites);
	}
	header(f, "leaktrace_stalled_connections", "gauge",
	       "TCP connections whose request its peer has not answered past the threshold.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_stalled_connections", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu32 "\n", aggs[i].conns);
	}
	header(f, "leaktrace_live_threads", "gauge", "Live threads of the process.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_live_threads", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu64 "\n", aggs[i].live_threads);
	}
	header(f, "leaktrace_threads_created_total", "counter",
	       "Threads the process created since leaktrace started.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_threads_created_total", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu64 "\n", aggs[i].created_total);
	}
	header(f, "leaktrace_threads_exited_total", "counter",
	       "Threads of the process that exited since leaktrace started.");
	for (size_t i = 0; i < n; i++) {
		proc_labels(f, "leaktrace_threads_exited_total", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu64 "\n", aggs[i].exited_total);
	}
}

/* Goroutine series exist only for processes traced as Go programs. */
static void write_go_metrics(FILE *f, const struct proc_agg *aggs, size_t n, bool pid_label)
{
	header(f, "leaktrace_parked_goroutines", "gauge",
	       "Goroutines parked past the threshold, by process and verdict.");
	for (size_t i = 0; i < n; i++) {
		if (!aggs[i].is_go)
			continue;
		for (int v = 0; v < N_VERDICTS; v++) {
			proc_labels(f, "leaktrace_parked_goroutines", &aggs[i], pid_label);
			fprintf(f, ",verdict=\"%s\"} %" PRIu32 "\n", verdict_name(v), aggs[i].go_parked[v]);
		}
	}
	header(f, "leaktrace_live_goroutines", "gauge",
	       "Live goroutines of the process, the runtime's own included (as in leaktrace_parked_goroutines).");
	for (size_t i = 0; i < n; i++) {
		if (!aggs[i].is_go)
			continue;
		proc_labels(f, "leaktrace_live_goroutines", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu64 "\n", aggs[i].go_live);
	}
	header(f, "leaktrace_goroutines_created_total", "counter",
	       "Goroutines the process created since leaktrace attached.");
	for (size_t i = 0; i < n; i++) {
		if (!aggs[i].is_go || !aggs[i].go_created_known)
			continue;
		proc_labels(f, "leaktrace_goroutines_created_total", &aggs[i], pid_label);
		fprintf(f, "} %" PRIu64 "\n", aggs[i].go_created_total);
	}
}

/* The per-process caches' byte budget (util/mem_budget.h); cache names are ours. */
static void write_memory_metrics(FILE *f, const struct report *r)
{
	header(f, "leaktrace_memory_budget_bytes", "gauge",
	       "Bytes the per-process caches may hold (--memory-budget).");
	fprintf(f, "leaktrace_memory_budget_bytes %" PRIu64 "\n", r->budget_limit);
	header(f, "leaktrace_cache_bytes", "gauge", "Bytes held by each per-process cache (estimated).");
	for (int i = 0; i < r->n_caches; i++)
		fprintf(f, "leaktrace_cache_bytes{cache=\"%s\"} %" PRIu64 "\n", r->caches[i].name,
			r->caches[i].bytes);
	header(f, "leaktrace_cache_entries", "gauge", "Entries (processes or files) in each cache.");
	for (int i = 0; i < r->n_caches; i++)
		fprintf(f, "leaktrace_cache_entries{cache=\"%s\"} %" PRIu64 "\n", r->caches[i].name,
			r->caches[i].entries);
	header(f, "leaktrace_cache_evictions_total", "counter",
	       "Entries evicted to stay within the memory budget (rebuilt on demand).");
	for (int i = 0; i < r->n_caches; i++)
		fprintf(f, "leaktrace_cache_evictions_total{cache=\"%s\"} %" PRIu64 "\n",
			r->caches[i].name, r->caches[i].evictions);
}

static void write_global_metrics(FILE *f, const struct report *r, const struct prom_totals *t,
				 const struct prom_self *self, size_t n_cut)
{
	header(f, "leaktrace_series_truncated", "gauge",
	       "Processes left out of the per-process series (the 100 with most parked threads are kept).");
	fprintf(f, "leaktrace_series_truncated %zu\n", n_cut);
	header(f, "leaktrace_report_parked_threads", "gauge",
	       "Threads parked past the threshold in the last report, all processes.");
	fprintf(f, "leaktrace_report_parked_threads %zu\n", r->n_threads);
	header(f, "leaktrace_threads_scanned", "gauge", "Threads scanned by the last report.");
	fprintf(f, "leaktrace_threads_scanned %" PRIu64 "\n", r->threads_scanned);
	header(f, "leaktrace_drops_total", "counter",
	       "What was lost to a bound or a failure, by kind (docs/outputs.md \"Drops\").");
	for (int i = 0; i < DROP_MAX; i++)
		fprintf(f, "leaktrace_drops_total{kind=\"%s\"} %" PRIu64 "\n", drop_table[i].name,
			r->drops[i]);
	header(f, "leaktrace_capture_failures_total", "counter",
	       "Stacks asked for and not obtained.");
	fprintf(f, "leaktrace_capture_failures_total %" PRIu64 "\n", t->capture_failures);
	header(f, "leaktrace_reports_total", "counter", "Reports taken.");
	fprintf(f, "leaktrace_reports_total %" PRIu64 "\n", t->reports);
	header(f, "leaktrace_last_report_timestamp_seconds", "gauge",
	       "Unix time of the last report (0 before the first).");
	fprintf(f, "leaktrace_last_report_timestamp_seconds %.3f\n", t->reports ? r->real_ns / 1e9 : 0);
	header(f, "process_cpu_seconds_total", "counter", "User and system CPU time of leaktrace.");
	fprintf(f, "process_cpu_seconds_total %.6f\n", self->cpu_seconds);
	header(f, "process_resident_memory_bytes", "gauge", "Resident memory of leaktrace.");
	fprintf(f, "process_resident_memory_bytes %" PRIu64 "\n", self->rss_bytes);
	header(f, "leaktrace_build_info", "gauge",
	       "leaktrace's version, the kernel it runs on and its mode; always 1.");
	fputs("leaktrace_build_info{version=", f);
	prom_write_label_value(f, LEAKTRACE_VERSION, SIZE_MAX);
	fputs(",kernel=", f);
	prom_write_label_value(f, self->kernel ? self->kernel : "", SIZE_MAX);
	fputs(",mode=", f);
	prom_write_label_value(f, self->mode ? self->mode : "", SIZE_MAX);
	fputs("} 1\n", f);
	write_memory_metrics(f, r);
}

/* Sites judged leak or deadlock, by service, kind, verdict and culprit
 * frame: what an alert names. */
#define STR_(x) #x
#define STR(x) STR_(x)

struct leak_series {
	const struct proc_report *p;
	const char *kind;
	char frame[256];		/* the culprit (sinks/frame.h) */
	enum verdict verdict;
	uint32_t units;
};

static int cmp_leak_key(const void *a, const void *b, void *with_pid)
{
	const struct leak_series *x = a, *y = b;
	int c = cmp_service(x->p, y->p, *(const bool *)with_pid);

	if (!c)
		c = strcmp(x->kind, y->kind);
	if (!c)
		c = (x->verdict > y->verdict) - (x->verdict < y->verdict);
	return c ? c : strcmp(x->frame, y->frame);
}

static int cmp_leak_units(const void *a, const void *b)
{
	const struct leak_series *x = a, *y = b;

	return (x->units < y->units) - (x->units > y->units);
}

static int write_leaking_sites(FILE *f, const struct report *r, bool pid_label)
{
	struct leak_series *v = calloc(r->n_sites + 1, sizeof(*v));
	size_t n = 0, out = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_sites; i++) {
		const struct site_report *s = &r->sites[i];
		const struct proc_report *p = report_find_proc(r, s->pid);

		if (s->verdict >= VERDICT_LEAK && p && !s->related_to) {	/* one per finding */
			v[n] = (struct leak_series){ .p = p, .kind = unit_noun(s->kind, false),
						     .verdict = s->verdict, .units = s->n_units };
			site_headline_frame(r, s, v[n].frame, sizeof(v[n].frame));
			n++;
		}
	}
	/* one series per label set: sites of one service and culprit summed */
	qsort_r(v, n, sizeof(*v), cmp_leak_key, &pid_label);
	for (size_t i = 0; i < n; i++) {
		if (out && !cmp_leak_key(&v[out - 1], &v[i], &pid_label))
			v[out - 1].units += v[i].units;
		else
			v[out++] = v[i];
	}
	qsort(v, out, sizeof(*v), cmp_leak_units);
	header(f, "leaktrace_leaking_site_units", "gauge",
	       "Units at sites judged leak or deadlock, by service, kind, verdict and the site's "
	       "headline frame (the largest " STR(PROM_MAX_LEAK_SITES) " series).");
	for (size_t i = 0; i < out && i < PROM_MAX_LEAK_SITES; i++) {
		fputs("leaktrace_leaking_site_units{comm=", f);
		prom_write_label_value(f, v[i].p->comm, sizeof(v[i].p->comm));
		identity_labels(f, v[i].p->identity);
		if (pid_label)
			fprintf(f, ",pid=\"%" PRIu32 "\"", v[i].p->pid);
		fprintf(f, ",kind=\"%s\",verdict=\"%s\",frame=", v[i].kind, verdict_name(v[i].verdict));
		prom_write_label_value(f, v[i].frame, 256);
		fprintf(f, "} %" PRIu32 "\n", v[i].units);
	}
	free(v);
	return 0;
}

int prom_render(FILE *f, const struct report *r, const struct prom_totals *t,
		const struct prom_self *self, bool pid_label)
{
	struct proc_agg *aggs;
	size_t n, n_cut;
	int err;

	err = select_procs(r, pid_label, &aggs, &n, &n_cut);
	if (err)
		return err;
	write_proc_metrics(f, aggs, n, pid_label);
	write_go_metrics(f, aggs, n, pid_label);
	write_global_metrics(f, r, t, self, n_cut);
	free(aggs);
	err = write_leaking_sites(f, r, pid_label);
	if (err)
		return err;
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
