// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "core/identity_cache.h"
#include "sinks/syslog_out.h"

/* A site as last logged: one line when it appears, when its thread count
 * or verdict changes and when it empties, whatever the number of threads. */
struct logged_site {
	uint32_t pid;
	uint64_t site;
	uint32_t threads;
	enum verdict verdict;
	bool goroutines;
	char comm[LT_COMM_LEN];		/* for the gone line */
};

static struct logged_site *prev_sites;
static size_t n_prev_sites;

struct line {
	char *buf;
	size_t size, len;	/* len may exceed size: what it would have taken */
};

static void put(struct line *l, const char *fmt, ...)
{
	size_t room = l->len < l->size ? l->size - l->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? l->buf + l->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += n;
}

/* key="value": only printable ASCII other than '"' and '\' passes as is */
static void put_quoted(struct line *l, const char *key, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put(l, " %s=\"", key);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			put(l, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(l, "\\x%02x", c);
		else
			put(l, "%c", c);
	}
	put(l, "\"");
}

/* The service of the process (identity.h), the keys that apply, right
 * after comm: unit, container_id, container_runtime, pod_uid, cgroup. */
static void put_identity(struct line *l, const struct identity *id)
{
	if (!id)
		return;
	if (id->unit[0])
		put_quoted(l, "unit", id->unit, sizeof(id->unit));
	if (id->container_id[0])
		put(l, " container_id=%s container_runtime=%s", id->container_id,
		    container_runtime_name(id->runtime));
	if (id->pod_uid[0])
		put(l, " pod_uid=%s", id->pod_uid);
	if (id->cgroup[0])
		put_quoted(l, "cgroup", id->cgroup, sizeof(id->cgroup));
}

static const char *event_name(enum finding_event ev)
{
	return ev == FINDING_NEW ? "new" : ev == FINDING_CHANGED ? "changed" : "gone";
}

size_t syslog_format_finding(char *buf, size_t size, enum finding_event ev,
			     const struct finding *f, const struct thread_report *t,
			     const struct identity *id)
{
	struct line l = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	put(&l, "finding=%s pid=%" PRIu32 " tid=%" PRIu32, event_name(ev), f->pid, f->tid);
	put_quoted(&l, "comm", f->comm, sizeof(f->comm));
	put_identity(&l, id);
	put_quoted(&l, "thread", f->thread, sizeof(f->thread));
	if (t) {
		const struct wait_info *w = &t->wait;

		put(&l, " state=%c parked_seconds=%" PRIu64 " wait=%s", t->state == 'D' ? 'D' : 'S',
		    t->parked_ns / 1000000000ULL, wait_kind_name(w->kind));
		if (wait_syscall_name(w->syscall_nr))
			put(&l, " syscall=%s", wait_syscall_name(w->syscall_nr));
		put(&l, " timeout=%s", w->timeout == TIMEOUT_SET ? "true" :
		    w->timeout == TIMEOUT_NONE ? "false" : "unknown");
	}
	put(&l, " verdict=%s site=%016" PRIx64 " site_threads=%" PRIu32, verdict_name(f->verdict),
	    f->site, f->site_threads);
	return l.len < size ? l.len : size ? size - 1 : 0;
}

void syslog_out_open(void)
{
	openlog("leaktrace", LOG_PID, LOG_DAEMON);
}

void syslog_out_close(void)
{
	closelog();
	free(prev_sites);
	prev_sites = NULL;
	n_prev_sites = 0;
}

void syslog_out_finding(enum finding_event ev, const struct finding *f,
			const struct thread_report *t, void *ctx)
{
	char line[SYSLOG_LINE_MAX];

	syslog_format_finding(line, sizeof(line), ev, f, t, ctx ? report_identity(ctx, f->pid) : NULL);
	syslog(ev == FINDING_GONE ? LOG_INFO : LOG_WARNING, "%s", line);
}

static int cmp_logged(const void *a, const void *b)
{
	const struct logged_site *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->site > y->site) - (x->site < y->site);
}

size_t syslog_format_site(char *buf, size_t size, const char *event, const struct site_report *s,
			  uint32_t threads, enum verdict v, const struct identity *id)
{
	struct line l = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	put(&l, "site=%s pid=%" PRIu32, event, s->pid);
	put_quoted(&l, "comm", s->comm, sizeof(s->comm));
	put_identity(&l, id);
	put(&l, " kind=%s id=%016" PRIx64 " %s=%" PRIu32 " verdict=%s",
	    s->goroutines ? "goroutine" : "thread", s->group,
	    s->goroutines ? "goroutines" : "threads", threads, verdict_name(v));
	if (s->reason && threads)
		put_quoted(&l, "reason", s->reason, 128);
	return l.len < size ? l.len : size ? size - 1 : 0;
}

static void log_sites(const struct report *r)
{
	struct logged_site *cur = calloc(r->n_sites + 1, sizeof(*cur));
	size_t n = 0, i = 0, k = 0;
	char line[SYSLOG_LINE_MAX];

	if (!cur)
		return;
	for (size_t j = 0; j < r->n_sites && j < FINDINGS_MAX; j++) {
		const struct site_report *s = &r->sites[j];

		if (s->verdict < r->min_verdict)
			continue;
		cur[n] = (struct logged_site){ .pid = s->pid, .site = s->group,
					       .threads = s->n_threads, .verdict = s->verdict,
					       .goroutines = s->goroutines };
		memcpy(cur[n++].comm, s->comm, sizeof(s->comm));
	}
	qsort(cur, n, sizeof(*cur), cmp_logged);
	/* merge walk of two sorted lists */
	while (i < n || k < n_prev_sites) {
		int c = i == n ? 1 : k == n_prev_sites ? -1 : cmp_logged(&cur[i], &prev_sites[k]);
		const struct site_report *s = NULL;

		if (c <= 0)
			for (size_t j = 0; j < r->n_sites && !s; j++)
				if (r->sites[j].pid == cur[i].pid && r->sites[j].group == cur[i].site)
					s = &r->sites[j];
		if (c < 0) {
			syslog_format_site(line, sizeof(line), "new", s, cur[i].threads, cur[i].verdict,
					   report_identity(r, s->pid));
			syslog(LOG_WARNING, "%s", line);
			i++;
		} else if (c > 0) {
			struct site_report gone = { .pid = prev_sites[k].pid, .group = prev_sites[k].site,
						    .goroutines = prev_sites[k].goroutines };

			memcpy(gone.comm, prev_sites[k].comm, sizeof(gone.comm));
			syslog_format_site(line, sizeof(line), "gone", &gone, 0, prev_sites[k].verdict,
					   report_identity(r, gone.pid));
			syslog(LOG_INFO, "%s", line);
			k++;
		} else {
			if (cur[i].threads != prev_sites[k].threads || cur[i].verdict != prev_sites[k].verdict) {
				syslog_format_site(line, sizeof(line), "changed", s, cur[i].threads,
						   cur[i].verdict, report_identity(r, s->pid));
				syslog(LOG_WARNING, "%s", line);
			}
			i++;
			k++;
		}
	}
	free(prev_sites);
	prev_sites = cur;
	n_prev_sites = n;
}

int syslog_out_report(struct findings *fs, const struct report *r)
{
	uint64_t dropped = findings__dropped(fs);
	int err;

	log_sites(r);
	err = findings__update(fs, r, syslog_out_finding, (void *)r);
	if (!err && findings__dropped(fs) > dropped)
		syslog(LOG_WARNING, "findings_dropped=%" PRIu64 " max=%d",
		       findings__dropped(fs), FINDINGS_MAX);
	return err;
}
