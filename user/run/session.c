// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "collect/collector.h"
#include "collect/threads/cgroup_filter.h"
#include "collect/threads/live_procs.h"
#include "run/session.h"
#include "sinks/sink.h"
#include "util/clock.h"
#include "util/foreign_file.h"
#include "util/state_dir.h"
#include "collect/threads/tracer.h"
#include "judge/verdict.h"
#include "util/mem_budget.h"
#include "util/self_rss.h"

/* The slow collectors' share of a report: half the interval, at least
 * REPORT_BUDGET_MIN_NS (a report must still be able to unwind some stacks
 * at -i 100ms). A collector stalled in a read does not stop the loop for
 * longer than that plus the one read (docs/security.md). */
#define REPORT_BUDGET_MIN_NS	1000000000ULL

static uint64_t report_budget_ns(const struct lt_options *o)
{
	return o->interval_ns / 2 > REPORT_BUDGET_MIN_NS ? o->interval_ns / 2 : REPORT_BUDGET_MIN_NS;
}

struct session {
	const struct lt_options *o;
	struct tracer *tracer;		/* the thread scan: every report starts from it */
	struct collectors *collectors;	/* the rest, in order (collect/collectors.c) */
	struct verdict_engine *verdicts;
	struct sinks *sinks;
	struct live_procs live;		/* traced processes of the last report */
	struct report rep;
	struct drop_totals drops;	/* the reports' losses, summed */
	uint64_t last_ns;
	enum verdict worst;
	int state_err;			/* last failure to save the state, said once */
	char host[256], node[256];	/* the reports' origin */
};

static bool has_cgroup_filter(const struct lt_options *o)
{
	return o->cgroup || o->unit || o->container;
}

/* The host's name, and the node a DaemonSet pod runs on (NODE_NAME from
 * the downward API): every record and log line says where it comes from. */
static void read_origin(struct session *s)
{
	const char *node = getenv("NODE_NAME");

	if (gethostname(s->host, sizeof(s->host) - 1))
		snprintf(s->host, sizeof(s->host), "unknown");
	s->rep.host = s->host;
	if (node && *node) {
		snprintf(s->node, sizeof(s->node), "%s", node);
		s->rep.node = s->node;
	}
}

/* What a process that exited leaves behind, freed in one pass. */
static void forget_process(uint32_t pid, void *ctx)
{
	struct session *s = ctx;

	collectors__forget(s->collectors, pid);
}

/* freed: true when something was freed this report (exits, evictions) */
static void report_memory(struct report *r, bool freed)
{
	struct mem_budget *b = mem_budget__shared();

	if (mem_budget__enforce(b) || freed)
		malloc_trim(0);	/* else the allocator keeps the pages of freed state */
	r->rss_bytes = self_rss_bytes();
	r->budget_limit = mem_budget__limit(b);
	r->budget_used = mem_budget__used(b);
	_Static_assert(MEM_BUDGET_MAX_CACHES <= LT_MAX_CACHES, "room for every cache");
	r->n_caches = mem_budget__caches(b);
	for (int i = 0; i < r->n_caches; i++) {
		struct mem_cache_stats c = mem_budget__stats(b, i);

		r->caches[i] = (struct cache_report){ c.name, c.bytes, c.entries, c.evictions };
	}
}

static long max_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

/* --cgroup, --unit, --container: the subtree the BPF side filters on. */
static int resolve_cgroup(const struct lt_options *o, struct tracer_opts *topts, int *exit_code)
{
	struct cgroup_target target;
	char msg[256] = "";
	int err;

	if (!o->cgroup && !o->unit && !o->container)
		return 0;
	err = cgroup_target_resolve(o->cgroup, o->unit, o->container, &target, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "leaktrace: %s\n", msg);
		*exit_code = err == -EINVAL || err == -ENOTUNIQ ? LT_EXIT_USAGE :
			     err == -EOPNOTSUPP ? LT_EXIT_UNSUPPORTED : LT_EXIT_NO_PROCESS;
		return err;
	}
	if (o->verbose)
		fprintf(stderr, "leaktrace: tracing cgroup %s (id %llu, level %u)\n", target.path,
			(unsigned long long)target.id, target.level);
	topts->cgroup_id = target.id;
	topts->cgroup_level = target.level;
	return 0;
}

static int open_tracer(struct session *s, int *exit_code)
{
	const struct lt_options *o = s->o;
	struct tracer_opts topts = {
		.pids = o->pids,
		.n_pids = o->n_pids,
		.kernel_threads = o->kernel_threads,
		.precise = o->precise,
		.capture_stacks = o->stacks_user || o->stacks_kernel,
	};
	char msg[256] = "";
	int err;

	err = resolve_cgroup(o, &topts, exit_code);
	if (err)
		return err;
	err = tracer__new(&topts, &s->tracer, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "leaktrace: %s\n", msg);
		*exit_code = err == -EPERM ? LT_EXIT_PERMISSION :
			     err == -EOPNOTSUPP ? LT_EXIT_UNSUPPORTED : LT_EXIT_FAILURE;
	}
	return err;
}

/* State across restarts (--state-dir): the baselines here, the findings
 * of --events and --syslog in their sinks (sinks/findings_state.c). A file
 * of a former run is taken whole or not at all; a foreign or corrupt one
 * is one warning. */
#define BASELINES_FILE "baselines"
#define BASELINES_MAX_BYTES (64u << 20)

static int open_state_dir(const struct lt_options *o, int *exit_code)
{
	char msg[256] = "";
	int err;

	if (!o->state_dir)
		return 0;
	err = state_dir_open(o->state_dir, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "leaktrace: %s\n", msg);
		*exit_code = LT_EXIT_USAGE;
	}
	return err;
}

static void load_state(struct session *s)
{
	struct baselines *b = verdict_engine__baselines(s->verdicts);
	char *buf;
	size_t len;
	int err;

	if (state_dir_fd() < 0 || !b)
		return;
	err = state_dir_read(BASELINES_FILE, &buf, &len, BASELINES_MAX_BYTES);
	if (!err)
		err = baselines__load(b, buf, len);
	free(buf);
	if (err && err != -ENOENT)
		fprintf(stderr, "leaktrace: warning: state %s/%s ignored: %s\n", s->o->state_dir,
			BASELINES_FILE, err == -EINVAL ? "not a baseline file of this version, or corrupt" :
			strerror(-err));
}

static int fill_baselines(void *ctx, FILE *f)
{
	return baselines__save(ctx, f);
}

/* Save the baselines when one formed; a failure is said once per cause. */
static void save_state(struct session *s)
{
	struct baselines *b = s->verdicts ? verdict_engine__baselines(s->verdicts) : NULL;
	int err;

	if (state_dir_fd() < 0 || !b || !baselines__changed(b))
		return;
	err = state_dir_write(BASELINES_FILE, fill_baselines, b);
	if (err && err != s->state_err)
		fprintf(stderr, "leaktrace: warning: cannot save baselines to %s: %s\n",
			s->o->state_dir, strerror(-err));
	s->state_err = err;
}

/* The collectors after the scan, and the judge. */
static int open_consumers(struct session *s, int *exit_code)
{
	const struct lt_options *o = s->o;
	struct verdict_opts vopts = {
		.leak_min_threads = o->leak_min_threads,
		.leak_min_span_s = o->leak_min_span_s,
		.leak_min_arrivals = o->leak_min_arrivals,
		.leak_min_pile = o->leak_min_pile,
		.baseline = o->baseline,
		.baseline_opts = { .after_ns = o->baseline_after_ns },
	};
	struct collect_env env = { .o = o, .tracer = s->tracer };

	s->verdicts = verdict_engine__new(&vopts);
	if (!s->verdicts) {
		fprintf(stderr, "leaktrace: out of memory\n");
		return -ENOMEM;
	}
	s->collectors = collectors__open(&env, exit_code);
	return s->collectors ? 0 : -EINVAL;
}

struct session *session__open(const struct lt_options *o, int *exit_code)
{
	struct session *s = calloc(1, sizeof(*s));

	*exit_code = LT_EXIT_FAILURE;
	if (!s) {
		fprintf(stderr, "leaktrace: out of memory\n");
		return NULL;
	}
	s->o = o;
	s->rep.summarize_all = o->n_pids > 0;
	read_origin(s);
	mem_budget__set_limit(mem_budget__shared(),
			      o->memory_budget ? o->memory_budget : mem_budget_default(""));
	foreign_file_verbose(o->verbose);	/* what a target's files made us refuse */
	/* the outputs and the state directory first: a wrong path fails
	 * before BPF is loaded */
	if (open_state_dir(o, exit_code)) {
		session__close(s);
		return NULL;
	}
	/* the sinks read their findings from the state directory */
	s->sinks = sinks__open(o, exit_code);
	if (!s->sinks) {
		session__close(s);
		return NULL;
	}
	*exit_code = LT_EXIT_FAILURE;	/* what fails from here on */
	if (open_tracer(s, exit_code) || open_consumers(s, exit_code)) {
		session__close(s);
		return NULL;
	}
	load_state(s);
	s->last_ns = clock_ns(CLOCK_MONOTONIC);
	*exit_code = LT_EXIT_OK;
	return s;
}

void session__close(struct session *s)
{
	if (!s)
		return;
	collectors__close(s->collectors);
	sinks__close(s->sinks);
	verdict_engine__free(s->verdicts);
	live_procs__free(&s->live);
	tracer__free(s->tracer);
	report_free(&s->rep);
	state_dir_close();
	free(s);
}

void session__reopen(struct session *s)
{
	sinks__reopen(s->sinks);
}

int session__report(struct session *s, bool final)
{
	struct report *r = &s->rep;
	uint64_t t1;
	int err, gone;

	report_reset(r);
	r->mono_ns = clock_ns(CLOCK_MONOTONIC);
	r->real_ns = clock_ns(CLOCK_REALTIME);
	r->threshold_ns = s->o->threshold_ns;
	r->interval_ns = r->mono_ns - s->last_ns;
	r->min_verdict = s->o->min_verdict;
	r->final = final;
	/* the final report has none: nothing comes after it to pick up what it
	 * left, and --fail-on-leak judges it */
	r->deadline_ns = final ? 0 : r->mono_ns + report_budget_ns(s->o);
	s->last_ns = r->mono_ns;

	err = tracer__scan(s->tracer, r);
	if (err) {
		fprintf(stderr, "leaktrace: scan failed: %s\n", strerror(-err));
		return err;
	}
	/* what exited processes left is freed before anything new is cached */
	gone = live_procs__update(&s->live, r, forget_process, s);
	if (gone < 0)
		fprintf(stderr, "leaktrace: warning: out of memory tracking exited processes\n");
	t1 = clock_ns(CLOCK_MONOTONIC);
	r->scan_ns = t1 - r->mono_ns;
	r->capture_ns = 0;	/* the stack collector's share (stacks_collector.c) */
	collectors__collect(s->collectors, r);
	/* every collector has run: judge once, nothing changes a verdict after */
	err = verdict_engine__judge(s->verdicts, r);
	if (err) {
		fprintf(stderr, "leaktrace: cannot judge report: %s\n", strerror(-err));
		return err;
	}
	/* the other collectors' time counts with the judge's, as it always did */
	r->judge_ns = clock_ns(CLOCK_MONOTONIC) - t1 - r->capture_ns;
	r->max_rss_kb = max_rss_kb();
	drop_totals_add(&s->drops, r->lost, r->drops);
	report_memory(r, gone > 0);
	if (r->worst > s->worst)
		s->worst = r->worst;
	save_state(s);
	err = sinks__emit(s->sinks, r);
	tracer__prune(s->tracer, r);
	return err;
}

int session__targets_alive(struct session *s)
{
	/* a cgroup outlives its processes: more may come */
	return s->o->n_pids && !has_cgroup_filter(s->o) ? tracer__targets_alive(s->tracer) : -1;
}

enum verdict session__worst(const struct session *s)
{
	return s->worst;
}
