// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "judge/units.h"
#include "sinks/escape.h"
#include "sinks/findings_state.h"
#include "sinks/frame.h"
#include "sinks/sink.h"
#include "collect/threads/identity_cache.h"
#include "sinks/syslog_out.h"

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

/* key="value", escaped so that the line stays printable ASCII */
static void put_quoted(struct line *l, const char *key, const char *s, size_t max)
{
	char esc[4 * 128 + 1];

	escape_copy(esc, sizeof(esc), s, max, ESCAPE_SYSLOG);
	put(l, " %s=\"%s\"", key, esc);
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

/* The keys that end every line: the site's headline frame (thread sites),
 * then where the report comes from, host and node. */
static void put_tail(char *buf, size_t size, const struct report *r, const char *frame)
{
	size_t len = strnlen(buf, size);
	struct line l = { buf, size, len };

	if (len + 1 >= size)
		return;		/* already cut */
	if (frame)
		put_quoted(&l, "frame", frame, 128);
	if (r && r->host)
		put_quoted(&l, "host", r->host, 128);
	if (r && r->node)
		put_quoted(&l, "node", r->node, 128);
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

		put(&l, " state=%c parked_seconds=%" PRIu64 " wait=%s", t->state,
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

void syslog_out_finding(enum finding_event ev, const struct finding *f,
			const struct thread_report *t, void *ctx)
{
	char line[SYSLOG_LINE_MAX];

	syslog_format_finding(line, sizeof(line), ev, f, t, ctx ? report_identity(ctx, f->pid) : NULL);
	put_tail(line, sizeof(line), ctx, NULL);
	syslog(ev == FINDING_GONE ? LOG_INFO : LOG_WARNING, "%s", line);
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
	    unit_noun(s->kind, false), s->group, unit_noun(s->kind, true), threads,
	    verdict_name(v));
	if (s->reason && threads)
		put_quoted(&l, "reason", s->reason, 128);
	return l.len < size ? l.len : size ? size - 1 : 0;
}

static void log_site(enum finding_event ev, const struct finding *f, const struct report *r)
{
	struct site_report gone = { .pid = f->pid, .group = f->site, .kind = f->unit_kind };
	const struct site_report *s = &gone;
	char line[SYSLOG_LINE_MAX], headline[256];

	if (ev == FINDING_GONE)
		memcpy(gone.comm, f->comm, sizeof(gone.comm));
	else
		s = &r->sites[f->index];
	syslog_format_site(line, sizeof(line), event_name(ev), s,
			   ev == FINDING_GONE ? 0 : f->site_threads, f->verdict,
			   report_identity(r, s->pid));
	put_tail(line, sizeof(line), r,
		 ev != FINDING_GONE ? site_headline_frame(r, s, headline, sizeof(headline)) : NULL);
	syslog(ev == FINDING_GONE ? LOG_INFO : LOG_WARNING, "%s", line);
}

static void log_finding(enum finding_event ev, const struct finding *f,
			const struct thread_report *t, void *ctx)
{
	if (f->kind == FINDING_SITE)
		log_site(ev, f, ctx);
	else
		syslog_out_finding(ev, f, t, ctx);
}

/* --syslog: its findings (threads and sites) are its state */
static bool syslog_wanted(const struct lt_options *o)
{
	return o->syslog;
}

static int syslog_open(const struct lt_options *o, void **state, char *err, size_t errlen)
{
	struct findings *fs = findings__new_kinds(1u << FINDING_THREAD | 1u << FINDING_SITE);

	if (!fs) {
		snprintf(err, errlen, "out of memory");
		return LT_EXIT_FAILURE;
	}
	openlog("leaktrace", LOG_PID, LOG_DAEMON);
	findings_state__load(fs, "findings-syslog");
	*state = fs;
	return 0;
}

/* best effort: a log line lost to ENOMEM does not stop the report */
static int syslog_emit(void *state, const struct report *r)
{
	struct findings *fs = state;
	uint64_t dropped = findings__dropped(fs);

	if (findings__update(fs, r, log_finding, (void *)r))
		return 0;
	findings_state__save(fs, "findings-syslog");
	if (findings__dropped(fs) > dropped)
		syslog(LOG_WARNING, "findings_dropped=%" PRIu64 " max=%d",
		       findings__dropped(fs), FINDINGS_MAX);
	/* one line per cause that lost something in this report */
	for (int i = 0; i < DROP_MAX; i++)
		if (r->lost[i])
			syslog(LOG_WARNING, "drop=%s count=%" PRIu64 " total=%" PRIu64,
			       drop_table[i].name, r->lost[i], r->drops[i]);
	return 0;
}

static void syslog_close(void *state)
{
	closelog();
	findings__free(state);
}

const struct sink_type sink_syslog = {
	.name = "syslog", .wanted = syslog_wanted,
	.open = syslog_open, .emit = syslog_emit, .close = syslog_close,
};
