// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "judge/units.h"
#include "sinks/escape.h"
#include "sinks/frame.h"
#include "model/identity.h"
#include "collect/go/go_tracer.h"
#include "sinks/out_file.h"
#include "sinks/output.h"
#include "sinks/sink.h"

void format_duration(char *buf, size_t size, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000ULL)
		snprintf(buf, size, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000ULL)
		snprintf(buf, size, "%" PRIu64 "ms", ns / 1000000);
	else if (s < 60)
		snprintf(buf, size, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static void format_wait(char *buf, size_t size, const struct wait_info *w)
{
	const char *to = w->timeout == TIMEOUT_NONE ? ", no timeout" :
			 w->timeout == TIMEOUT_SET ? ", timeout" : "";

	switch (w->kind) {
	case WAIT_FUTEX:
		snprintf(buf, size, "futex 0x%" PRIx64 " %s%s", w->futex_addr, wait_futex_op_name(w), to);
		break;
	case WAIT_SYSCALL:
		if (wait_syscall_name(w->syscall_nr))
			snprintf(buf, size, "%s()%s", wait_syscall_name(w->syscall_nr), to);
		else
			snprintf(buf, size, "syscall %ld%s", w->syscall_nr, to);
		break;
	default:
		snprintf(buf, size, "kernel");
	}
}

static void print_clock(FILE *f, uint64_t real_ns)
{
	time_t t = real_ns / 1000000000ULL;
	struct tm tm;
	char buf[32];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fputs(buf, f);
}

/* " [unit U, container RUNTIME ID12, pod UID QOS, cgroup PATH]": the
 * service a process belongs to (identity.h), what applies of it. */
static void print_identity(FILE *f, const struct identity *id)
{
	char esc[4 * ID_CGROUP_MAX + 1];

	if (!id || !id->cgroup[0])
		return;
	fputs(" [", f);
	if (id->unit[0]) {
		text_escape(esc, sizeof(esc), id->unit, sizeof(id->unit));
		fprintf(f, "unit %s, ", esc);
	}
	if (id->container_id[0])
		fprintf(f, "container %s %.12s, ", container_runtime_name(id->runtime), id->container_id);
	if (id->pod_uid[0])
		fprintf(f, "pod %s %s, ", id->pod_uid, pod_qos_name(id->qos));
	text_escape(esc, sizeof(esc), id->cgroup, sizeof(id->cgroup));
	fprintf(f, "cgroup %s%s]", esc, id->cgroup_truncated ? "..." : "");
}

static void print_proc_line(FILE *f, const struct proc_report *p)
{
	char comm[4 * LT_COMM_LEN + 1];

	text_escape(comm, sizeof(comm), p->comm, sizeof(p->comm));
	fprintf(f, "PID %" PRIu32 " %s", p->pid, comm);
	print_identity(f, p->identity);
	fprintf(f, ": %" PRIu32 " live threads, +%" PRIu64 " created, -%" PRIu64
		" exited, %" PRIu32 " parked%s\n", p->live_threads, p->created, p->exited,
		p->parked, p->alive ? "" : " (exited)");
}

static void print_frames(FILE *f, const char *label, const struct unit_frames *u)
{
	char buf[1024];

	if (!unit_frames_count(u))
		return;
	fprintf(f, "    %s: ", label);
	for (int i = 0; i < unit_frames_count(u); i++) {
		if (i)
			fputs(" <- ", f);
		text_write(f, frame__display(unit_frame(u, i), buf, sizeof(buf)), SIZE_MAX);
	}
	fputc('\n', f);
}

static void print_stack(FILE *f, const char *label, const struct frame *frames, int n)
{
	struct unit_frames u = { .part = { frames }, .n = { frames ? n : 0 } };

	print_frames(f, label, &u);
}

static void print_thread(FILE *f, const struct thread_report *t)
{
	char name[4 * LT_COMM_LEN + 1], parked[32], age[32], wait[96], wakeups[24] = "-";

	text_escape(name, sizeof(name), t->thread, sizeof(t->thread));
	format_duration(parked, sizeof(parked), t->parked_ns);
	format_duration(age, sizeof(age), t->age_ns);
	format_wait(wait, sizeof(wait), &t->wait);
	if (t->wakeups_known)	/* precise mode only */
		snprintf(wakeups, sizeof(wakeups), "%" PRIu64, t->wakeups);
	fprintf(f, "    %-8" PRIu32 " %-16s %-5c %-9s %-44s %-9s %s", t->tid, name,
		t->state, parked, wait, age, wakeups);
	if (t->lock_owner)
		fprintf(f, "  (mutex held by %" PRIu32 ")", t->lock_owner);
	fputc('\n', f);
}

static void print_site(FILE *f, const struct report *r, const struct site_report *s)
{
	const struct thread_report *t = &r->threads[s->first_thread];
	char lo[32], hi[32], headline[512];

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	fprintf(f, "  [%s] %" PRIu32 " thread%s parked %s%s%s at ", verdict_name(s->verdict),
		s->n_threads, s->n_threads == 1 ? "" : "s", lo, s->n_threads > 1 ? "-" : "",
		s->n_threads > 1 ? hi : "");
	text_write(f, thread_headline_frame(t, headline, sizeof(headline)), SIZE_MAX);
	fprintf(f, ": %s (site %016" PRIx64 ")\n", s->reason ? s->reason : "", s->group);
	if (s->verdict >= VERDICT_LEAK || s->n_threads > 1)
		fprintf(f, "    evidence: growth %.1f/min, %" PRIu32 " arrived, %" PRIu32 " left, %" PRIu32
			" distinct wait objects, %s\n", s->growth_per_min, s->arrivals, s->departures,
			s->distinct_wait_objects, s->no_timeout ? "no timeout" : "timeouts");
	if (s->awaiting_peer) {
		fputs("    evidence: request to ", f);
		text_write(f, s->peer, sizeof(s->peer));
		fprintf(f, " unanswered for %.1f s\n", s->peer_silent_ms / 1e3);
	}
	for (uint32_t i = 0; i < s->cycle_len; i++) {
		const struct thread_report *c = report_find_thread(r, s->pid, s->cycle[i]);

		if (c)
			fprintf(f, "    cycle: tid %" PRIu32 " waits for mutex 0x%" PRIx64 " held by tid %" PRIu32 "\n",
				c->tid, c->wait.futex_addr, c->lock_owner);
	}
	print_stack(f, "user  ", t->user_stack, t->n_user);
	print_stack(f, "kernel", t->kernel_stack, t->n_kernel);
	fprintf(f, "    %-8s %-16s %-5s %-9s %-44s %-9s %s\n", "TID", "THREAD", "STATE",
		"PARKED", "WAIT", "AGE", "WAKEUPS");
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].site_index == (size_t)(s - r->sites))
			print_thread(f, &r->threads[i]);
}

static void print_goroutine_site(FILE *f, const struct report *r, const struct site_report *s)
{
	const struct go_goroutine *g = r->goroutines[s->first_thread].g;
	char lo[32], hi[32], reason[4 * 32 + 1], by[4 * 160 + 1];
	struct unit_frames u;
	size_t shown = 0;

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	text_escape(reason, sizeof(reason), g->wait_reason, SIZE_MAX);
	text_escape(by, sizeof(by), g->created_by, SIZE_MAX);
	fprintf(f, "  [%s] %" PRIu32 " goroutine%s parked %s%s%s on %s, created by %s: %s (site %016" PRIx64 ")\n",
		verdict_name(s->verdict), s->n_threads, s->n_threads == 1 ? "" : "s", lo,
		s->n_threads > 1 ? "-" : "", s->n_threads > 1 ? hi : "", reason, by,
		s->reason ? s->reason : "", s->group);
	unit_frames_of_goroutine(g, &u);
	print_frames(f, "stack ", &u);
	fputs("    goids:", f);
	for (size_t i = 0; i < r->n_goroutines && shown < 20; i++) {
		if (r->goroutines[i].site_index != (size_t)(s - r->sites))
			continue;
		fprintf(f, " %" PRIu64 "%s", r->goroutines[i].g->goid,
			r->goroutines[i].g->parked_estimated ? "~" : "");
		shown++;
	}
	fprintf(f, "%s\n", s->n_threads > shown ? " ..." : "");
}

static void print_conn_site(FILE *f, const struct report *r, const struct site_report *s)
{
	char lo[32], hi[32];

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	fprintf(f, "  [%s] %" PRIu32 " request%s to ", verdict_name(s->verdict), s->n_threads,
		s->n_threads == 1 ? "" : "s");
	text_write(f, s->peer, sizeof(s->peer));
	fprintf(f, " unanswered for %s%s%s: %s (site %016" PRIx64 ")\n", lo,
		s->n_threads > 1 ? "-" : "", s->n_threads > 1 ? hi : "", s->reason ? s->reason : "",
		s->group);
	for (size_t i = 0; i < r->n_conns; i++) {
		const struct conn_report *c = &r->conns[i];

		if (c->site_index != (size_t)(s - r->sites))
			continue;
		fputs("    connection ", f);
		text_write(f, c->local, sizeof(c->local));
		fputs(" -> ", f);
		text_write(f, c->peer, sizeof(c->peer));
		fprintf(f, " (socket inode %" PRIu64 ")\n", c->inode);
	}
}

static void print_go_line(FILE *f, const struct proc_report *p)
{
	char created[24] = "?", exited[24] = "?", version[4 * sizeof(p->go_version) + 1];

	if (p->go_created != UINT64_MAX)
		snprintf(created, sizeof(created), "%" PRIu64, p->go_created);
	if (p->go_exited != UINT64_MAX)
		snprintf(exited, sizeof(exited), "%" PRIu64, p->go_exited);
	/* read from the binary: the target's to choose */
	text_escape(version, sizeof(version), p->go_version, sizeof(p->go_version));
	fprintf(f, "  goroutines (%s): %" PRIu64 " live, +%s created, -%s exited, %" PRIu32
		" parked (~: parked before leaktrace attached)", version, p->go_live, created,
		exited, p->go_parked);
	if (p->go_cut)
		fprintf(f, ", %" PRIu64 " not read (walk bounds, time or memory budget)", p->go_cut);
	fputc('\n', f);
}

static const struct report *cmp_sites_report;

static int cmp_site_idx(const void *a, const void *b)
{
	const struct site_report *x = &cmp_sites_report->sites[*(const size_t *)a];
	const struct site_report *y = &cmp_sites_report->sites[*(const size_t *)b];

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->verdict != y->verdict)
		return x->verdict < y->verdict ? 1 : -1;
	if (x->n_threads != y->n_threads)
		return x->n_threads < y->n_threads ? 1 : -1;
	return (x->max_parked_ns < y->max_parked_ns) - (x->max_parked_ns > y->max_parked_ns);
}

/* This report's losses, one note per cause naming it; then the totals
 * since start, when any. */
static void print_drops(FILE *f, const struct report *r)
{
	bool any = false;

	for (int i = 0; i < DROP_MAX; i++)
		if (r->lost[i])
			fprintf(f, "note: %" PRIu64 " %s [%s]\n", r->lost[i], drop_table[i].note,
				drop_table[i].name);
	for (int i = 0; i < DROP_MAX; i++) {
		if (!r->drops[i])
			continue;
		fprintf(f, "%s %s=%" PRIu64, any ? "" : "dropped since start:", drop_table[i].name,
			r->drops[i]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

void output_text(FILE *f, const struct report *r)
{
	size_t *order = NULL, si = 0;
	char thr[32];

	format_duration(thr, sizeof(thr), r->threshold_ns);
	print_clock(f, r->real_ns);
	fprintf(f, " %sthreads parked >= %s: %zu in %zu sites\n", r->final ? "final report: " : "", thr,
		r->n_threads, r->n_sites);
	if (r->n_sites) {
		order = malloc(r->n_sites * sizeof(*order));
		for (size_t i = 0; order && i < r->n_sites; i++)
			order[i] = i;
		cmp_sites_report = r;
		if (order)
			qsort(order, r->n_sites, sizeof(*order), cmp_site_idx);
	}
	for (size_t i = 0; i < r->n_procs; i++) {
		const struct proc_report *p = &r->procs[i];

		if (!p->parked && !r->summarize_all)
			continue;
		print_proc_line(f, p);
		while (order && si < r->n_sites && r->sites[order[si]].pid < p->pid)
			si++;
		if (p->is_go)
			print_go_line(f, p);
		for (; order && si < r->n_sites && r->sites[order[si]].pid == p->pid; si++) {
			const struct site_report *st = &r->sites[order[si]];

			if (st->verdict < r->min_verdict)
				continue;
			if (st->kind == UNIT_GOROUTINE)
				print_goroutine_site(f, r, st);
			else if (st->kind == UNIT_CONNECTION)
				print_conn_site(f, r, st);
			else
				print_site(f, r, st);
		}
	}
	free(order);
	print_drops(f, r);
	fputc('\n', f);
	fflush(f);
}

/* -f text: the report to stdout or -o FILE (appended). */
static int text_open(const struct lt_options *o, void **state, char *err, size_t errlen)
{
	int code;

	*state = out_file_sink__new(sizeof(struct out_file), o->output, false, &code, err, errlen);
	return code;
}

static int text_emit(void *state, const struct report *r)
{
	struct out_file *of = state;

	output_text(out_file__begin(of), r);
	return out_file__commit(of);
}

const struct sink_type sink_text = {
	.name = "text", .is_format = true, .open = text_open, .emit = text_emit,
	.reopen = out_file_sink__reopen, .close = out_file_sink__free,
};
