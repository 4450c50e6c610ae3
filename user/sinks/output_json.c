// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "judge/baseline.h"
#include "judge/units.h"
#include "sinks/escape.h"
#include "collect/threads/identity_cache.h"
#include "sinks/findings.h"
#include "sinks/findings_state.h"
#include "sinks/frame.h"
#include "sinks/out_file.h"
#include "sinks/output.h"
#include "sinks/sink.h"
#include "util/log.h"

static void write_time_field(FILE *f, const char *key, uint64_t real_ns)
{
	time_t t = real_ns / 1000000000ULL;
	struct tm tm;
	char buf[40];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"%s\":\"%s.%03" PRIu64 "Z\"", key, buf, real_ns / 1000000 % 1000);
}

/* {"type":TYPE,["event":EVENT,]"time":...,"host":...[,"node":...] : the start
 * of every record */
static void write_head(FILE *f, const char *type, const char *event, const struct report *r)
{
	fprintf(f, "{\"type\":\"%s\",", type);
	if (event)
		fprintf(f, "\"event\":\"%s\",", event);
	write_time_field(f, "time", r->real_ns);
	if (r->host) {
		fputs(",\"host\":", f);
		json_write_string(f, r->host, SIZE_MAX);
	}
	if (r->node) {
		fputs(",\"node\":", f);
		json_write_string(f, r->node, SIZE_MAX);
	}
}

/* The service a process belongs to (identity.h): null where a field does
 * not apply, every field null when /proc/PID/cgroup could not be read. */
static void write_identity(FILE *f, const struct identity *id)
{
	const char *rt = id ? container_runtime_name(id->runtime) : NULL;
	const char *qos = id ? pod_qos_name(id->qos) : NULL;
	const struct {
		const char *key, *val;
		size_t max;
	} fields[] = {
		{ "cgroup", id && id->cgroup[0] ? id->cgroup : NULL, ID_CGROUP_MAX },
		{ "unit", id && id->unit[0] ? id->unit : NULL, ID_UNIT_MAX },
		{ "container_id", id && id->container_id[0] ? id->container_id : NULL, ID_CONTAINER_MAX },
		{ "container_runtime", rt, 16 },
		{ "pod_uid", id && id->pod_uid[0] ? id->pod_uid : NULL, ID_POD_UID_MAX },
		{ "pod_qos", qos, 16 },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fprintf(f, ",\"%s\":", fields[i].key);
		if (fields[i].val)
			json_write_string(f, fields[i].val, fields[i].max);
		else
			fputs("null", f);
	}
}

/* ,"pid":N,"comm":"...", identity: who a record is about, the one place
 * per-process identity fields are written */
static void write_process(FILE *f, const struct report *r, uint32_t pid, const char *comm)
{
	fprintf(f, ",\"pid\":%" PRIu32 ",\"comm\":", pid);
	json_write_string(f, comm, LT_COMM_LEN);
	write_identity(f, report_identity(r, pid));
}

/* "java":{...}: what HotSpot says of a JVM's thread (collect/java). */
static void write_java(FILE *f, const struct java_info *j)
{
	fputs(",\"java\":{\"name\":", f);
	json_write_string(f, j->name, sizeof(j->name));
	if (j->state)
		fprintf(f, ",\"state\":\"%s\"", j->state);
	if (j->waits)
		fprintf(f, ",\"waits\":\"%s\"", j->waits);
	if (j->lock_class[0]) {
		fputs(",\"lock_class\":", f);
		json_write_string(f, j->lock_class, sizeof(j->lock_class));
	}
	if (j->owner)
		fprintf(f, ",\"owner\":%" PRIu32, j->owner);
	if (j->carrier)
		fprintf(f, ",\"carrier\":{\"vthreads_mounted\":%d}", j->vthread_mounted);
	fprintf(f, ",\"runtime\":%s}", j->runtime ? "true" : "false");
}

static void write_wait(FILE *f, const struct wait_info *w)
{
	fprintf(f, "\"wait\":{\"kind\":\"%s\"", wait_kind_name(w->kind));
	if (w->kind == WAIT_FUTEX)
		fprintf(f, ",\"futex_addr\":\"0x%" PRIx64 "\",\"futex_op\":\"%s\"", w->futex_addr,
			wait_futex_op_name(w));
	if (w->syscall_nr >= 0) {
		fprintf(f, ",\"syscall_nr\":%ld", w->syscall_nr);
		if (wait_syscall_name(w->syscall_nr))
			fprintf(f, ",\"syscall\":\"%s\"", wait_syscall_name(w->syscall_nr));
	}
	if (w->timeout != TIMEOUT_UNKNOWN)
		fprintf(f, ",\"timeout\":%s", w->timeout == TIMEOUT_SET ? "true" : "false");
	if (wait_has(w, WAIT_F_EVENT_LOOP))
		fputs(",\"event_loop\":true", f);
	fputc('}', f);
}

/* A stack as an array of frames in their display form (sinks/frame.h). */
static void write_frames(FILE *f, const char *key, const struct unit_frames *u)
{
	char buf[1024];

	fprintf(f, ",\"%s\":[", key);
	for (int i = 0; i < unit_frames_count(u); i++) {
		if (i)
			fputc(',', f);
		json_write_string(f, frame__display(unit_frame(u, i), buf, sizeof(buf)), SIZE_MAX);
	}
	fputc(']', f);
}

static void write_stack(FILE *f, const char *key, const struct frame *frames, int n)
{
	struct unit_frames u = { .part = { frames }, .n = { frames ? n : 0 } };

	write_frames(f, key, &u);
}

static void write_culprit(FILE *f, const struct frame *c);

static void write_goroutine_stack(FILE *f, const struct goroutine_report *g, bool culprit)
{
	struct unit_frames u;

	unit_frames_of_goroutine(g, &u);
	write_frames(f, "stack", &u);
	if (culprit)
		write_culprit(f, unit_frames_culprit(&u));
}

/* "culprit":{"function","file","line","module"} (null when unknown), or
 * null: the first frame of the program's own code (docs/frames.md). */
static void write_culprit(FILE *f, const struct frame *c)
{
	fputs(",\"culprit\":", f);
	if (!c) {
		fputs("null", f);
		return;
	}
	fputs("{\"function\":", f);
	if (c->function)
		json_write_string(f, c->function, SIZE_MAX);
	else
		fputs("null", f);
	fputs(",\"file\":", f);
	if (c->file)
		json_write_string(f, c->file, SIZE_MAX);
	else
		fputs("null", f);
	if (c->line)
		fprintf(f, ",\"line\":%" PRIu32, c->line);
	else
		fputs(",\"line\":null", f);
	fputs(",\"module\":", f);
	if (c->module)
		json_write_string(f, c->module, SIZE_MAX);
	else
		fputs("null", f);
	fputc('}', f);
}

static void write_thread(FILE *f, const struct report *r, const struct thread_report *t,
			 const char *event)
{
	write_head(f, "thread", event, r);
	write_process(f, r, t->pid, t->comm);
	fprintf(f, ",\"tid\":%" PRIu32 ",\"thread\":", t->tid);
	json_write_string(f, t->thread, sizeof(t->thread));
	if (t->thread_name[0]) {
		fputs(",\"thread_name\":", f);
		json_write_string(f, t->thread_name, sizeof(t->thread_name));
	}
	fprintf(f, ",\"state\":\"%c\",\"parked_seconds\":%.3f,", t->state, t->parked_ns / 1e9);
	write_time_field(f, "parked_since", t->parked_since_ns);
	fprintf(f, ",\"parked_since_source\":\"%s\",", t->park_seen ? "sched_switch" : "exec_start");
	write_wait(f, &t->wait);
	fprintf(f, ",\"thread_age_seconds\":%.3f", t->age_ns / 1e9);
	/* counted in precise mode only: absent, not 0, when unknown */
	if (t->wakeups_known)
		fprintf(f, ",\"wakeups\":%" PRIu64, t->wakeups);
	if (t->creator_tid)
		fprintf(f, ",\"created_by_tid\":%" PRIu32, t->creator_tid);
	else
		fputs(",\"created_by_tid\":null", f);
	if (t->user_stack || t->kernel_stack) {
		struct unit_frames u;

		write_stack(f, "user_stack", t->user_stack, t->n_user);
		write_stack(f, "kernel_stack", t->kernel_stack, t->n_kernel);
		unit_frames_of_thread(t, &u);
		write_culprit(f, unit_frames_culprit(&u));
	}
	/* a thread whose capture was deferred joins its stack's site next
	 * report: the wait-shaped group it is in for now is no site to follow */
	if (t->group && !t->stack_deferred)
		fprintf(f, ",\"site\":\"%016" PRIx64 "\"", t->group);
	if (t->verdict)
		fprintf(f, ",\"verdict\":\"%s\"", verdict_name(t->verdict));
	if (t->lock_owner)
		fprintf(f, ",\"lock_owner\":%" PRIu32, t->lock_owner);
	if (t->java)
		write_java(f, t->java);
	if (t->stack_err)
		fprintf(f, ",\"stack_error\":%d", t->stack_err);
	if (t->stack_deferred)
		fputs(",\"stack_deferred\":true", f);
	fputs("}\n", f);
}

static void write_goroutine_site_tail(FILE *f, const struct report *r, const struct site_report *s)
{
	const struct goroutine_report *g = &r->goroutines[s->first_unit];

	fputs(",\"goids\":[", f);
	for (size_t i = 0, n = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].site_index == (size_t)(s - r->sites))
			fprintf(f, "%s%" PRIu64, n++ ? "," : "", r->goroutines[i].goid);
	fputs("],\"wait_reason\":", f);
	json_write_string(f, g->wait_reason, SIZE_MAX);
	fputs(",\"created_by\":", f);
	json_write_string(f, g->created_by, SIZE_MAX);
	fputs(",\"start_func\":", f);
	json_write_string(f, g->start_func, SIZE_MAX);
	write_goroutine_stack(f, g, false);
	fputs("}\n", f);
}

static void write_goroutine(FILE *f, const struct report *r, const struct goroutine_report *gr,
			    const char *event)
{
	const struct goroutine_report *g = gr;
	const struct proc_report *p = report_find_proc(r, gr->pid);

	write_head(f, "goroutine", event, r);
	write_process(f, r, gr->pid, p ? p->comm : "");
	fprintf(f, ",\"goid\":%" PRIu64 ",\"status\":%" PRIu32 ",\"wait_reason\":", g->goid,
		g->status);
	json_write_string(f, g->wait_reason, SIZE_MAX);
	fprintf(f, g->wait_object ? ",\"wait_object\":\"%#" PRIx64 "\"" : ",\"wait_object\":null", g->wait_object);
	if (g->peer_via_goid)	/* awaits its peer through this goroutine */
		fprintf(f, ",\"peer_via_goid\":%" PRIu64, g->peer_via_goid);
	if (g->timer_waker_goid)	/* a goroutine on a timer holds its channel */
		fprintf(f, ",\"timer_waker_goid\":%" PRIu64, g->timer_waker_goid);
	fprintf(f, ",\"parked_seconds\":%.3f,\"parked_estimated\":%s,\"system\":%s,\"created_by\":",
		g->parked_seconds, g->parked_estimated ? "true" : "false", g->system ? "true" : "false");
	json_write_string(f, g->created_by, SIZE_MAX);
	fputs(",\"start_func\":", f);
	json_write_string(f, g->start_func, SIZE_MAX);
	write_goroutine_stack(f, g, true);
	fprintf(f, ",\"site\":\"%016" PRIx64 "\",\"verdict\":\"%s\"}\n", gr->site,
		verdict_name(gr->verdict));
}

/* The requests of a connection site: which connections, since when. */
static void write_conn_site_tail(FILE *f, const struct report *r, const struct site_report *s)
{
	fputs(",\"connections\":[", f);
	for (size_t i = 0, n = 0; i < r->n_conns; i++) {
		const struct conn_report *c = &r->conns[i];

		if (c->site_index != (size_t)(s - r->sites))
			continue;
		fprintf(f, "%s{\"inode\":%" PRIu64 ",\"local\":", n++ ? "," : "", c->inode);
		json_write_string(f, c->local, sizeof(c->local));
		fputs(",\"peer\":", f);
		json_write_string(f, c->peer, sizeof(c->peer));
		fprintf(f, ",\"silent_seconds\":%.3f}", c->silent_ns / 1e9);
	}
	fputs("]}\n", f);
}

/* A waker chain (judge/wakers.c): each thread, what it waits for the next
 * to do (the last repeats an earlier one: where the chain closes). */
static void write_waker_chain(FILE *f, const struct site_report *s)
{
	if (!s->chain_len)
		return;
	fputs(",\"waker_chain\":[", f);
	for (uint32_t i = 0; i < s->chain_len; i++) {
		fprintf(f, "%s{\"pid\":%" PRIu32 ",\"tid\":%" PRIu64, i ? "," : "", s->chain_pid[i],
			s->chain[i]);
		if (i + 1 < s->chain_len)
			fprintf(f, ",\"waits_for\":\"%s\"",
				owner_kind_name((enum owner_kind)s->chain_edge[i]));
		fputc('}', f);
	}
	fprintf(f, "],\"waker_cycle\":%s", s->chain_cycle ? "true" : "false");
}

/* A thread site's tids and, for a deadlock, its cycle. */
static void write_thread_site_tail(FILE *f, const struct report *r, const struct site_report *s)
{
	fprintf(f, ",\"tids\":[");
	for (size_t i = 0, n = 0; i < r->n_threads; i++) {
		if (r->threads[i].site_index != (size_t)(s - r->sites))
			continue;
		fprintf(f, "%s%" PRIu32, n++ ? "," : "", r->threads[i].tid);
	}
	fputc(']', f);
	write_waker_chain(f, s);
	if (s->cycle_len) {
		fputs(",\"cycle\":[", f);
		for (uint32_t i = 0; i < s->cycle_len; i++) {
			const struct thread_report *c =
				report_find_thread(r, s->pid, (uint32_t)s->cycle[i]);

			fprintf(f, "%s{\"tid\":%" PRIu64, i ? "," : "", s->cycle[i]);
			if (c)
				fprintf(f, ",\"waits_for\":\"0x%" PRIx64 "\",\"held_by\":%" PRIu32,
					c->wait.futex_addr, c->lock_owner);
			if (c && c->java)
				write_java(f, c->java);
			fputc('}', f);
		}
		fputc(']', f);
	}
}

/* One finding per cause (judge/related.c): the primary names the sites
 * grouped under it, each of those its primary. */
static void write_related(FILE *f, const struct report *r, const struct site_report *s)
{
	size_t self = (size_t)(s - r->sites) + 1, n = 0;

	if (s->related_to && s->related_to <= r->n_sites)
		fprintf(f, ",\"related_to\":\"%016" PRIx64 "\"", r->sites[s->related_to - 1].group);
	if (!s->n_related)
		return;
	fputs(",\"related\":[", f);
	for (size_t i = 0; i < r->n_sites; i++)
		if (r->sites[i].related_to == self)
			fprintf(f, "%s\"%016" PRIx64 "\"", n++ ? "," : "", r->sites[i].group);
	fputc(']', f);
}

static void write_site(FILE *f, const struct report *r, const struct site_report *s,
		       const char *event)
{
	const struct thread_report *t = s->kind == UNIT_THREAD ? &r->threads[s->first_unit] : NULL;

	write_head(f, "site", event, r);
	fprintf(f, ",\"kind\":\"%s\"", unit_noun(s->kind, false));
	write_process(f, r, s->pid, s->comm);
	fprintf(f, ",\"site\":\"%016" PRIx64 "\",\"verdict\":\"%s\",\"reason\":\"%s\","
		"\"threads\":%" PRIu32 ",\"parked_min_seconds\":%.3f,\"parked_max_seconds\":%.3f,"
		"\"evidence\":{\"growth_per_min\":%.2f,\"spread_seconds\":%.3f,\"no_timeout\":%s,",
		s->group, verdict_name(s->verdict), s->reason ? s->reason : "", s->n_units,
		s->min_parked_ns / 1e9, s->max_parked_ns / 1e9, s->growth_per_min,
		(s->max_parked_ns - s->min_parked_ns) / 1e9,
		s->no_timeout ? "true" : "false");
	/* threads grouped by their wait until their stacks come (capture cap) */
	if (s->evidence.proof)	/* a proof, not a shape: "reachability", "wait_reason" */
		fprintf(f, "\"proof\":\"%s\",", proof_name(s->evidence.proof));
	if (s->evidence.proven_units)	/* reachability: units proven, of n_units */
		fprintf(f, "\"proven_units\":%" PRIu32 ",", s->evidence.proven_units);
	if (s->links_checked)	/* units whose wait object a pool links, of those read */
		fprintf(f, "\"linked_units\":%" PRIu32 ",\"links_checked\":%" PRIu32 ",",
			s->linked_units, s->links_checked);
	if (s->stacks_deferred)
		fprintf(f, "\"stacks_deferred\":%" PRIu32 ",", s->stacks_deferred);
	if (s->wakeups_known)
		fprintf(f, "\"woken_since_park\":%s,", s->woken_since_park ? "true" : "false");
	fprintf(f, "\"growth_reports\":%" PRIu32 ",", s->growth_reports);
	fprintf(f, "\"distinct_wait_addrs\":%" PRIu32 ",\"arrivals\":%" PRIu32 ",\"departures\":%" PRIu32
		",\"reports_seen\":%" PRIu32 ",\"observed_seconds\":%.1f,\"event_loop\":%s,"
		"\"timed_wait\":%s,\"uninterruptible\":%s,\"lock_wait\":%s,\"owner_resting\":%s,"
		"\"signal_wait\":%s,\"stopped\":%s,\"started_with_process\":%s,\"awaiting_peer\":%s",
		s->distinct_wait_objects, s->arrivals, s->departures, s->reports_seen,
		s->observed_seconds, s->event_loop ? "true" : "false", s->timed ? "true" : "false",
		s->disk ? "true" : "false", s->lock_wait ? "true" : "false",
		s->owner_resting ? "true" : "false", s->signal_wait ? "true" : "false",
		s->stopped ? "true" : "false", s->started_with_process ? "true" : "false",
		s->awaiting_peer ? "true" : "false");
	if (s->awaiting_peer) {
		fputs(",\"peer\":", f);
		json_write_string(f, s->peer, sizeof(s->peer));
		fprintf(f, ",\"peer_silent_seconds\":%.3f", s->peer_silent_ms / 1e3);
	}
	if (s->baseline)
		fprintf(f, ",\"baseline\":\"%s\"", site_baseline_name(s->baseline));
	if (s->object_region != OBJECT_REGION_UNKNOWN)
		fprintf(f, ",\"object_region\":\"%s\"",
			s->object_region == OBJECT_REGION_GLOBAL ? "global" : "heap");
	/* what decided the verdict: a proof, or the heuristic rule's name */
	if (s->evidence.heuristic)	/* the rule that decided */
		fprintf(f, ",\"heuristic\":\"%s\"", s->evidence.heuristic);
	fputc('}', f);
	write_related(f, r, s);
	if (s->kind != UNIT_CONNECTION)
		write_culprit(f, site_culprit(r, s));
	if (s->kind == UNIT_GOROUTINE) {
		write_goroutine_site_tail(f, r, s);
		return;
	}
	if (s->kind == UNIT_CONNECTION) {
		write_conn_site_tail(f, r, s);
		return;
	}
	write_thread_site_tail(f, r, s);
	if (t->user_stack || t->kernel_stack) {
		write_stack(f, "user_stack", t->user_stack, t->n_user);
		write_stack(f, "kernel_stack", t->kernel_stack, t->n_kernel);
	}
	fputs("}\n", f);
}

static void write_go_count(FILE *f, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

static void write_summary(FILE *f, const struct report *r, const struct proc_report *p)
{
	write_head(f, "summary", NULL, r);
	write_process(f, r, p->pid, p->comm);
	fprintf(f, ",\"alive\":%s,\"live_threads\":%" PRIu32 ",\"created\":%" PRIu64
		",\"exited\":%" PRIu64 ",\"created_total\":%" PRIu64 ",\"exited_total\":%" PRIu64
		",\"parked\":%" PRIu32 ",\"threshold_seconds\":%.3f,\"interval_seconds\":%.3f,"
		"\"final\":%s", p->alive ? "true" : "false", p->live_threads, p->created, p->exited,
		p->created_total, p->exited_total, p->parked, r->threshold_ns / 1e9,
		r->interval_ns / 1e9, r->final ? "true" : "false");
	if (p->is_go) {
		fputs(",\"goroutines\":{\"go_version\":", f);
		json_write_string(f, p->go_version, sizeof(p->go_version));
		fprintf(f, ",\"live\":%" PRIu64 ",\"parked\":%" PRIu32 ",\"cut\":%" PRIu64, p->go_live,
			p->go_parked, p->go_cut);
		write_go_count(f, "created", p->go_created);
		write_go_count(f, "exited", p->go_exited);
		write_go_count(f, "created_total", p->go_created_total);
		write_go_count(f, "exited_total", p->go_exited_total);
		fputc('}', f);
	}
	if (p->is_java)
		fprintf(f, ",\"java\":{\"carriers\":%" PRIu32 ",\"vthreads_mounted\":%" PRIu32 "}",
			p->java_carriers, p->java_vthreads_mounted);
	fputs("}\n", f);
}

/* "drops":{NAME:N,...}: one key per drop_table row, totals since start */
static void write_drops(FILE *f, const uint64_t drops[DROP_MAX])
{
	fputs(",\"drops\":{", f);
	for (int i = 0; i < DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", drop_table[i].name, drops[i]);
	fputc('}', f);
}

/* RSS now and the per-process caches' budget: "memory":{"budget":B,
 * "used":U,"caches":{"unwind":{"bytes":..,"entries":..,"evictions":..}}} */
static void write_memory(FILE *f, const struct report *r)
{
	fprintf(f, ",\"rss_kb\":%" PRIu64 ",\"memory\":{\"budget\":%" PRIu64 ",\"used\":%" PRIu64
		",\"caches\":{", r->rss_bytes >> 10, r->budget_limit, r->budget_used);
	for (int i = 0; i < r->n_caches; i++)
		fprintf(f, "%s\"%s\":{\"bytes\":%" PRIu64 ",\"entries\":%" PRIu64
			",\"evictions\":%" PRIu64 "}", i ? "," : "", r->caches[i].name,
			r->caches[i].bytes, r->caches[i].entries, r->caches[i].evictions);
	fputs("}}", f);
}

/* findings_dropped: -1 in snapshot mode, where there are no findings */
static void write_report_record(FILE *f, const struct report *r, int64_t findings_dropped)
{
	write_head(f, "report", NULL, r);
	if (findings_dropped >= 0)
		fprintf(f, ",\"events\":true,\"findings_dropped\":%" PRId64, findings_dropped);
	fprintf(f, ",\"final\":%s,\"threads_scanned\":%" PRIu64 ",\"parked\":%zu,\"processes\":%zu",
		r->final ? "true" : "false", r->threads_scanned, r->n_threads, r->n_procs);
	write_drops(f, r->drops);
	fprintf(f, ",\"capture_failures\":%" PRIu64 ",\"python_failures\":%" PRIu64
		",\"worst_verdict\":\"%s\",\"captures\":%" PRIu64 ",\"scan_ms\":%.3f,"
		"\"capture_ms\":%.3f,\"python_ms\":%.3f,\"java_ms\":%.3f,\"judge_ms\":%.3f,"
		"\"max_rss_kb\":%ld",
		r->capture_failures, r->python_failures, verdict_name(r->worst), r->captures,
		r->scan_ns / 1e6, r->capture_ns / 1e6, r->python_ns / 1e6, r->java_ns / 1e6,
		r->judge_ns / 1e6,
		r->max_rss_kb);
	write_memory(f, r);
	fputs("}\n", f);
}

static void write_summaries(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].parked || r->summarize_all)
			write_summary(f, r, &r->procs[i]);
}

void output_json(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].verdict >= r->min_verdict)
			write_thread(f, r, &r->threads[i], NULL);
	for (size_t i = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].verdict >= r->min_verdict)
			write_goroutine(f, r, &r->goroutines[i], NULL);
	for (size_t i = 0; i < r->n_sites; i++)
		if (r->sites[i].verdict >= r->min_verdict)
			write_site(f, r, &r->sites[i], NULL);
	write_summaries(f, r);
	write_report_record(f, r, -1);
	fflush(f);
}

/* What is left of a finding once it is gone: its key, names and last
 * verdict, in the fields its snapshot record uses. */
static void write_gone(FILE *f, const struct report *r, const struct finding *fd)
{
	static const char *const type[] = {
		[FINDING_THREAD] = "thread", [FINDING_GOROUTINE] = "goroutine", [FINDING_SITE] = "site",
	};

	write_head(f, type[fd->kind], "gone", r);
	if (fd->kind == FINDING_SITE)
		fprintf(f, ",\"kind\":\"%s\"", unit_noun(fd->unit_kind, false));
	write_process(f, r, fd->pid, fd->comm);
	if (fd->kind == FINDING_THREAD) {
		fprintf(f, ",\"tid\":%" PRIu32 ",\"thread\":", fd->tid);
		json_write_string(f, fd->thread, sizeof(fd->thread));
	} else if (fd->kind == FINDING_GOROUTINE) {
		fprintf(f, ",\"goid\":%" PRIu64, fd->goid);
	}
	if (fd->site)
		fprintf(f, ",\"site\":\"%016" PRIx64 "\"", fd->site);
	if (fd->kind == FINDING_SITE)
		fputs(",\"threads\":0", f);
	fprintf(f, ",\"verdict\":\"%s\"}\n", verdict_name(fd->verdict));
}

struct events_ctx {
	FILE *f;
	const struct report *r;
};

static void write_event(enum finding_event ev, const struct finding *fd,
			const struct thread_report *t, void *ctx)
{
	const struct events_ctx *c = ctx;
	const char *event = ev == FINDING_NEW ? "new" : "changed";

	if (ev == FINDING_GONE)
		write_gone(c->f, c->r, fd);
	else if (fd->kind == FINDING_THREAD)
		write_thread(c->f, c->r, t, event);
	else if (fd->kind == FINDING_GOROUTINE)
		write_goroutine(c->f, c->r, &c->r->goroutines[fd->index], event);
	else
		write_site(c->f, c->r, &c->r->sites[fd->index], event);
}

int output_json_events(FILE *f, const struct report *r, struct findings *fs)
{
	struct events_ctx c = { f, r };
	int err;

	err = findings__update(fs, r, write_event, &c);
	write_summaries(f, r);
	write_report_record(f, r, (int64_t)findings__dropped(fs));
	fflush(f);
	return err;
}

/* -f json [--events]: JSON lines to stdout or -o FILE (appended). */
struct json_sink {
	struct out_file of;		/* first: out_file_sink_* use it */
	struct findings *events;	/* --events, else NULL */
};

static int json_open(const struct lt_options *o, void **state, char *err, size_t errlen)
{
	struct json_sink *js;
	int code;

	js = out_file_sink__new(sizeof(*js), o->output, false, &code, err, errlen);
	if (!js)
		return code;
	if (o->events) {
		js->events = findings__new_kinds(FINDINGS_ALL);
		if (!js->events) {
			out_file_sink__free(js);
			snprintf(err, errlen, "out of memory");
			return LT_EXIT_FAILURE;
		}
		findings_state__load(js->events, "findings-events");
	}
	*state = js;
	return 0;
}

static int json_emit(void *state, const struct report *r)
{
	struct json_sink *js = state;
	FILE *f = out_file__begin(&js->of);

	if (!js->events)
		output_json(f, r);
	else if (output_json_events(f, r, js->events))
		lt_warn(NULL, "out of memory following findings");
	else
		findings_state__save(js->events, "findings-events");
	return out_file__commit(&js->of);
}

static void json_close(void *state)
{
	struct json_sink *js = state;

	findings__free(js->events);
	out_file_sink__free(js);
}

const struct sink_type sink_json = {
	.name = "json", .is_format = true, .open = json_open, .emit = json_emit,
	.reopen = out_file_sink__reopen, .close = json_close,
};
