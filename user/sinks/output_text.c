// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "judge/units.h"
#include "sinks/escape.h"
#include "sinks/frame.h"
#include "model/identity.h"
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

/* java STATE (waits CLASS): what HotSpot says of the thread (its name is
 * the row's thread_name). */
static void print_java(FILE *f, const struct java_info *j)
{
	fprintf(f, "  java %s", j->state ? j->state : "(JVM thread)");
	if (j->lock_class[0]) {
		fprintf(f, " %s ", j->waits ? j->waits : "on");
		text_write(f, j->lock_class, sizeof(j->lock_class));
	}
}

/* cycle: "a" (tid 1) waits for CLASS held by "b" (tid 2) */
static void print_java_cycle(FILE *f, const struct report *r, const struct thread_report *c)
{
	const struct thread_report *o = report_find_thread(r, c->pid, c->lock_owner);

	fputs("    cycle: \"", f);
	text_write(f, c->java->name, sizeof(c->java->name));
	fprintf(f, "\" (tid %" PRIu32 ") waits for ", c->tid);
	text_write(f, c->java->lock_class[0] ? c->java->lock_class : "?", sizeof(c->java->lock_class));
	fputs(" held by \"", f);
	text_write(f, o && o->java ? o->java->name : "?", JAVA_INFO_NAME_LEN);
	fprintf(f, "\" (tid %" PRIu32 ")\n", c->lock_owner);
}

static void print_thread(FILE *f, const struct thread_report *t)
{
	char name[4 * (LT_COMM_LEN + JAVA_INFO_NAME_LEN) + 4], parked[32], age[32], wait[96];
	char wakeups[24] = "-";
	size_t len;

	/* comm "runtime name": the name the program gave, beside the OS's */
	text_escape(name, sizeof(name), t->thread, sizeof(t->thread));
	if (t->thread_name[0]) {
		len = strlen(name);
		snprintf(name + len, sizeof(name) - len, " \"");
		len += 2;
		text_escape(name + len, sizeof(name) - len - 1, t->thread_name,
			    sizeof(t->thread_name));
		len = strlen(name);
		snprintf(name + len, sizeof(name) - len, "\"");
	}
	format_duration(parked, sizeof(parked), t->parked_ns);
	format_duration(age, sizeof(age), t->age_ns);
	format_wait(wait, sizeof(wait), &t->wait);
	if (t->wakeups_known)	/* precise mode only */
		snprintf(wakeups, sizeof(wakeups), "%" PRIu64, t->wakeups);
	fprintf(f, "    %-8" PRIu32 " %-16s %-5c %-9s %-44s %-9s %s", t->tid, name,
		t->state, parked, wait, age, wakeups);
	if (t->lock_owner)
		fprintf(f, "  (%s held by %" PRIu32 ")", t->java ? "lock" : "mutex", t->lock_owner);
	if (t->java)
		print_java(f, t->java);
	fputc('\n', f);
}

/* "... N more" after the rows a site shows (--rows). */
static void print_more(FILE *f, size_t more, const char *what)
{
	if (more)
		fprintf(f, "    ... %zu more %s (--rows N or -f json for all)\n", more, what);
}

/* Growth only over the time observed; on first sight, the spread of the
 * park times (what the spread rule reads), never as a rate. */
static void print_evidence(FILE *f, const struct site_report *s)
{
	char span[32];

	format_duration(span, sizeof(span), s->max_parked_ns - s->min_parked_ns);
	fputs("    evidence: ", f);
	if (s->reports_seen >= 2 && s->observed_seconds >= 1)
		fprintf(f, "growth %.1f/min over %.0fs observed, ", s->growth_per_min,
			s->observed_seconds);
	else
		fputs("first sight, ", f);
	fprintf(f, "%" PRIu32 " arrived, %" PRIu32 " left, parks spread over %s, %" PRIu32
		" distinct wait objects, %s\n", s->arrivals, s->departures, span,
		s->distinct_wait_objects, s->no_timeout ? "no timeout" : "timeouts");
	if (s->evidence.proven_units && s->evidence.proven_units < s->n_units)
		fprintf(f, "    evidence: proven for %" PRIu32 " of the %" PRIu32
			" (the others' wait objects may only look reachable)\n",
			s->evidence.proven_units, s->n_units);
}

/* A waker chain (judge/wakers.c): what each thread waits for the next to do. */
static void print_waker_chain(FILE *f, const struct site_report *s)
{
	static const char *const acts[OWNER_KINDS] = {
		[OWNER_FUTEX_MUTEX] = "to release a mutex", [OWNER_JAVA_MONITOR] = "to leave a monitor",
		[OWNER_AQS_LOCK] = "to release a lock", [OWNER_JOIN] = "to exit (join)",
		[OWNER_PIPE] = "to write the pipe it reads (holds its write end)",
	};

	for (uint32_t i = 0; i + 1 < s->chain_len; i++)
		fprintf(f, "    waker chain: pid %" PRIu32 " tid %" PRIu64 " waits for pid %" PRIu32
			" tid %" PRIu64 " %s\n", s->chain_pid[i], s->chain[i], s->chain_pid[i + 1],
			s->chain[i + 1], s->chain_edge[i] < OWNER_KINDS && acts[s->chain_edge[i]] ?
			acts[s->chain_edge[i]] : "to act");
}

/* ", proven" beside a verdict a proof decided (model/facts.h), not a heuristic */
static const char *proven(const struct site_report *s)
{
	return s->evidence.proof ? ", proven" : "";
}

static void print_site(FILE *f, const struct report *r, const struct site_report *s,
		       uint32_t rows)
{
	size_t shown = 0, more = 0;
	const struct thread_report *t = &r->threads[s->first_unit];
	char lo[32], hi[32], headline[512];

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	fprintf(f, "  [%s%s] %" PRIu32 " thread%s parked %s%s%s at ", verdict_name(s->verdict),
		proven(s), s->n_units, s->n_units == 1 ? "" : "s", lo, s->n_units > 1 ? "-" : "",
		s->n_units > 1 ? hi : "");
	text_write(f, thread_headline_frame(t, headline, sizeof(headline)), SIZE_MAX);
	fprintf(f, ": %s (site %016" PRIx64 ")\n", s->reason ? s->reason : "", s->group);
	if (s->verdict >= VERDICT_LEAK || s->n_units > 1)
		print_evidence(f, s);
	if (s->awaiting_peer) {
		fputs("    evidence: request to ", f);
		text_write(f, s->peer, sizeof(s->peer));
		fprintf(f, " unanswered for %.1f s\n", s->peer_silent_ms / 1e3);
	}
	print_waker_chain(f, s);
	for (uint32_t i = 0; i < s->cycle_len; i++) {
		const struct thread_report *c = report_find_thread(r, s->pid, (uint32_t)s->cycle[i]);

		if (c && c->java)
			print_java_cycle(f, r, c);
		else if (c)
			fprintf(f, "    cycle: tid %" PRIu32 " waits for mutex 0x%" PRIx64 " held by tid %" PRIu32 "\n",
				c->tid, c->wait.futex_addr, c->lock_owner);
	}
	print_stack(f, "user  ", t->user_stack, t->n_user);
	print_stack(f, "kernel", t->kernel_stack, t->n_kernel);
	fprintf(f, "    %-8s %-16s %-5s %-9s %-44s %-9s %s\n", "TID", "THREAD", "STATE",
		"PARKED", "WAIT", "AGE", "WAKEUPS");
	for (size_t i = 0; i < r->n_threads; i++) {
		if (r->threads[i].site_index != (size_t)(s - r->sites))
			continue;
		if (rows && shown >= rows)
			more++;
		else
			print_thread(f, &r->threads[i]);
		shown++;
	}
	print_more(f, more, more == 1 ? "thread" : "threads");
}

static void print_goroutine_site(FILE *f, const struct report *r, const struct site_report *s,
				 uint32_t rows)
{
	const struct goroutine_report *g = &r->goroutines[s->first_unit];
	char lo[32], hi[32], reason[4 * 32 + 1], by[4 * 160 + 1];
	struct unit_frames u;
	size_t shown = 0;

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	text_escape(reason, sizeof(reason), g->wait_reason, SIZE_MAX);
	text_escape(by, sizeof(by), g->created_by, SIZE_MAX);
	fprintf(f, "  [%s%s] %" PRIu32 " goroutine%s parked %s%s%s on %s, created by %s: %s (site %016" PRIx64 ")\n",
		verdict_name(s->verdict), proven(s), s->n_units, s->n_units == 1 ? "" : "s", lo,
		s->n_units > 1 ? "-" : "", s->n_units > 1 ? hi : "", reason, by,
		s->reason ? s->reason : "", s->group);
	unit_frames_of_goroutine(g, &u);
	print_frames(f, "stack ", &u);
	fputs("    goids:", f);
	for (size_t i = 0; i < r->n_goroutines && (!rows || shown < rows); i++) {
		if (r->goroutines[i].site_index != (size_t)(s - r->sites))
			continue;
		fprintf(f, " %" PRIu64 "%s", r->goroutines[i].goid,
			r->goroutines[i].parked_estimated ? "~" : "");
		shown++;
	}
	fputc('\n', f);
	print_more(f, s->n_units - shown, "goroutines");
}

static void print_conn_site(FILE *f, const struct report *r, const struct site_report *s,
			    uint32_t rows)
{
	char lo[32], hi[32];
	size_t shown = 0;

	format_duration(lo, sizeof(lo), s->min_parked_ns);
	format_duration(hi, sizeof(hi), s->max_parked_ns);
	fprintf(f, "  [%s%s] %" PRIu32 " request%s to ", verdict_name(s->verdict), proven(s), s->n_units,
		s->n_units == 1 ? "" : "s");
	text_write(f, s->peer, sizeof(s->peer));
	fprintf(f, " unanswered for %s%s%s: %s (site %016" PRIx64 ")\n", lo,
		s->n_units > 1 ? "-" : "", s->n_units > 1 ? hi : "", s->reason ? s->reason : "",
		s->group);
	for (size_t i = 0; i < r->n_conns; i++) {
		const struct conn_report *c = &r->conns[i];

		if (c->site_index != (size_t)(s - r->sites) || (rows && shown++ >= rows))
			continue;
		fputs("    connection ", f);
		text_write(f, c->local, sizeof(c->local));
		fputs(" -> ", f);
		text_write(f, c->peer, sizeof(c->peer));
		fprintf(f, " (socket inode %" PRIu64 ")\n", c->inode);
	}
	print_more(f, shown > rows && rows ? shown - rows : 0, "connections");
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

/* What the layout needs of each process: its sites (by verdict) and its
 * service, the key its summary line is merged under. */
struct proc_view {
	const struct proc_report *p;
	uint32_t sites[VERDICT_DEADLOCK + 1];	/* by verdict */
	uint32_t units;				/* parked threads, goroutines, requests */
	enum verdict worst;
	char service[4 * ID_CGROUP_MAX + 32];
};

struct layout {
	const struct report *r;
	struct proc_view *procs;	/* r->procs' order (by pid) */
	size_t *site_order;		/* by pid, then worst first */
	size_t *proc_order;		/* worst first, then by pid */
};

/* "unit U", "container RUNTIME ID12", or the process name. */
static void service_name(char *buf, size_t size, const struct proc_report *p)
{
	const struct identity *id = p->identity;
	char esc[4 * ID_CGROUP_MAX + 1];

	if (id && id->unit[0]) {
		text_escape(esc, sizeof(esc), id->unit, sizeof(id->unit));
		snprintf(buf, size, "unit %s", esc);
	} else if (id && id->container_id[0]) {
		snprintf(buf, size, "container %s %.12s", container_runtime_name(id->runtime),
			 id->container_id);
	} else {
		text_escape(esc, sizeof(esc), p->comm, sizeof(p->comm));
		snprintf(buf, size, "%s", esc);
	}
}

static const struct report *cmp_report;
static const struct proc_view *cmp_views;

static int cmp_site_idx(const void *a, const void *b)
{
	const struct site_report *x = &cmp_report->sites[*(const size_t *)a];
	const struct site_report *y = &cmp_report->sites[*(const size_t *)b];

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->verdict != y->verdict)
		return x->verdict < y->verdict ? 1 : -1;
	if (x->n_units != y->n_units)
		return x->n_units < y->n_units ? 1 : -1;
	return (x->max_parked_ns < y->max_parked_ns) - (x->max_parked_ns > y->max_parked_ns);
}

/* Worst verdict first, then more sites of it, then by pid. */
static int cmp_proc_idx(const void *a, const void *b)
{
	const struct proc_view *x = &cmp_views[*(const size_t *)a];
	const struct proc_view *y = &cmp_views[*(const size_t *)b];

	if (x->worst != y->worst)
		return x->worst < y->worst ? 1 : -1;
	if (x->sites[x->worst] != y->sites[y->worst])
		return x->sites[x->worst] < y->sites[y->worst] ? 1 : -1;
	return (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

static void layout_free(struct layout *l)
{
	free(l->procs);
	free(l->site_order);
	free(l->proc_order);
}

/* Count each process's sites by verdict, name its service, and order
 * processes and sites worst first. -ENOMEM when out of memory. */
static int layout_build(struct layout *l, const struct report *r)
{
	*l = (struct layout){ .r = r };
	l->procs = calloc(r->n_procs + 1, sizeof(*l->procs));
	l->site_order = malloc((r->n_sites + 1) * sizeof(*l->site_order));
	l->proc_order = malloc((r->n_procs + 1) * sizeof(*l->proc_order));
	if (!l->procs || !l->site_order || !l->proc_order) {
		layout_free(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->n_procs; i++) {
		l->procs[i].p = &r->procs[i];
		service_name(l->procs[i].service, sizeof(l->procs[i].service), &r->procs[i]);
		l->proc_order[i] = i;
	}
	for (size_t i = 0; i < r->n_sites; i++) {
		const struct site_report *s = &r->sites[i];
		const struct proc_report *p = report_find_proc(r, s->pid);
		struct proc_view *v = p ? &l->procs[p - r->procs] : NULL;

		l->site_order[i] = i;
		if (!v || s->verdict > VERDICT_DEADLOCK)
			continue;
		v->sites[s->verdict] += !s->related_to;	/* a finding's related sites count once */
		v->units += s->n_units;
		if (s->verdict > v->worst)
			v->worst = s->verdict;
	}
	cmp_report = r;
	cmp_views = l->procs;
	qsort(l->site_order, r->n_sites, sizeof(*l->site_order), cmp_site_idx);
	qsort(l->proc_order, r->n_procs, sizeof(*l->proc_order), cmp_proc_idx);
	return 0;
}

static bool proc_shown(const struct report *r, const struct proc_view *v)
{
	return v->p->parked || v->units || r->summarize_all;
}

/* ": 1 leak, 2 idle sites" or ": no site". */
static void print_verdict_counts(FILE *f, const uint32_t *sites)
{
	bool any = false;

	for (int v = VERDICT_DEADLOCK; v >= VERDICT_IDLE; v--) {
		if (!sites[v])
			continue;
		fprintf(f, "%s %" PRIu32 " %s", any ? "," : ":", sites[v], verdict_name(v));
		any = true;
	}
	fputs(any ? " sites\n" : ": no site\n", f);
}

/* The processes of one service, merged. */
struct service_view {
	const struct proc_view *first;	/* its worst process */
	uint32_t procs, units;
	uint32_t sites[VERDICT_DEADLOCK + 1];
};

static int cmp_by_service(const void *a, const void *b)
{
	const struct proc_view *x = &cmp_views[*(const size_t *)a];
	const struct proc_view *y = &cmp_views[*(const size_t *)b];
	int c = strcmp(x->service, y->service);

	return c ? c : cmp_proc_idx(a, b);
}

static int cmp_service(const void *a, const void *b)
{
	const struct service_view *x = a, *y = b;

	for (int v = VERDICT_DEADLOCK; v >= VERDICT_IDLE; v--)
		if (x->sites[v] != y->sites[v])
			return x->sites[v] < y->sites[v] ? 1 : -1;
	return strcmp(x->first->service, y->first->service);
}

/* One line per service (unit, container or process name), worst first:
 * its processes, parked units and sites by verdict. */
static void print_services(FILE *f, const struct layout *l)
{
	const struct report *r = l->r;
	struct service_view *sv = calloc(r->n_procs + 1, sizeof(*sv));
	size_t *idx = malloc((r->n_procs + 1) * sizeof(*idx)), n = 0, n_sv = 0;

	for (size_t i = 0; sv && idx && i < r->n_procs; i++)
		if (proc_shown(r, &l->procs[i]))
			idx[n++] = i;
	if (n)
		qsort(idx, n, sizeof(*idx), cmp_by_service);
	for (size_t i = 0; i < n; i++) {
		const struct proc_view *v = &l->procs[idx[i]];
		struct service_view *s = &sv[n_sv];

		if (i && !strcmp(v->service, l->procs[idx[i - 1]].service)) {
			s = &sv[n_sv - 1];
		} else {
			s->first = v;
			n_sv++;
		}
		s->procs++;
		s->units += v->units;
		for (int vd = 0; vd <= VERDICT_DEADLOCK; vd++)
			s->sites[vd] += v->sites[vd];
	}
	qsort(sv, n_sv, sizeof(*sv), cmp_service);
	if (n_sv)
		fputs("services, worst first:\n", f);
	for (size_t i = 0; i < n_sv; i++) {
		fprintf(f, "  %s", sv[i].first->service);
		if (sv[i].procs == 1)
			fprintf(f, " (PID %" PRIu32 ")", sv[i].first->p->pid);
		else
			fprintf(f, " (%" PRIu32 " processes)", sv[i].procs);
		fprintf(f, ": %" PRIu32 " parked", sv[i].units);
		print_verdict_counts(f, sv[i].sites);
	}
	free(sv);
	free(idx);
}

/* The sites grouped under primary (judge/related.c), one line each. */
static void print_related(FILE *f, const struct report *r, const struct site_report *primary)
{
	size_t self = (size_t)(primary - r->sites) + 1;
	char headline[512];

	for (size_t i = 0; primary->n_related && i < r->n_sites; i++) {
		const struct site_report *s = &r->sites[i];

		if (s->related_to != self)
			continue;
		fprintf(f, "    related: [%s] %" PRIu32 " %s at ", verdict_name(s->verdict), s->n_units,
			unit_noun(s->kind, s->n_units != 1));
		text_write(f, site_headline_frame(r, s, headline, sizeof(headline)), SIZE_MAX);
		fprintf(f, ": %s (site %016" PRIx64 ")\n", s->reason ? s->reason : "", s->group);
	}
}

/* The sites of one process, worst first. */
static void print_proc_sites(FILE *f, const struct layout *l, const struct proc_report *p,
			     const struct text_layout *tl)
{
	const struct report *r = l->r;
	size_t lo = 0, hi = r->n_sites;

	while (lo < hi) {	/* the first site of p in site_order */
		size_t mid = lo + (hi - lo) / 2;

		if (r->sites[l->site_order[mid]].pid < p->pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < r->n_sites && r->sites[l->site_order[i]].pid == p->pid; i++) {
		const struct site_report *st = &r->sites[l->site_order[i]];

		if (st->verdict < r->min_verdict || st->related_to)
			continue;
		if (st->kind == UNIT_GOROUTINE)
			print_goroutine_site(f, r, st, tl->rows);
		else if (st->kind == UNIT_CONNECTION)
			print_conn_site(f, r, st, tl->rows);
		else
			print_site(f, r, st, tl->rows);
		print_related(f, r, st);
	}
}

void output_text_layout(FILE *f, const struct report *r, const struct text_layout *tl)
{
	struct layout l;
	char thr[32];

	format_duration(thr, sizeof(thr), r->threshold_ns);
	print_clock(f, r->real_ns);
	fprintf(f, " %sthreads parked >= %s: %zu in %zu sites\n", r->final ? "final report: " : "", thr,
		r->n_threads, r->n_sites);
	if (layout_build(&l, r)) {
		fputs("note: out of memory: report left out\n", f);
		goto out;
	}
	print_services(f, &l);
	for (size_t i = 0; i < r->n_procs && !tl->summary_only; i++) {
		const struct proc_report *p = l.procs[l.proc_order[i]].p;

		if (!proc_shown(r, &l.procs[l.proc_order[i]]))
			continue;
		print_proc_line(f, p);
		if (p->is_go)
			print_go_line(f, p);
		print_proc_sites(f, &l, p, tl);
	}
	layout_free(&l);
out:
	print_drops(f, r);
	fputc('\n', f);
	fflush(f);
}

void output_text(FILE *f, const struct report *r)
{
	const struct text_layout tl = { .rows = TEXT_ROWS_DEFAULT };

	output_text_layout(f, r, &tl);
}

/* -f text: the report to stdout or -o FILE (appended). */
struct text_sink {
	struct out_file of;	/* first: out_file_sink_* take the state as one */
	struct text_layout layout;
};

static int text_open(const struct lt_options *o, void **state, char *err, size_t errlen)
{
	struct text_sink *ts;
	int code;

	ts = out_file_sink__new(sizeof(struct text_sink), o->output, false, &code, err, errlen);
	if (ts)
		ts->layout = (struct text_layout){ .rows = o->rows, .summary_only = o->summary_only };
	*state = ts;
	return code;
}

static int text_emit(void *state, const struct report *r)
{
	struct text_sink *ts = state;

	output_text_layout(out_file__begin(&ts->of), r, &ts->layout);
	return out_file__commit(&ts->of);
}

const struct sink_type sink_text = {
	.name = "text", .is_format = true, .open = text_open, .emit = text_emit,
	.reopen = out_file_sink__reopen, .close = out_file_sink__free,
};
