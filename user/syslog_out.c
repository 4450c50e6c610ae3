// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "syslog_out.h"

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

static const char *event_name(enum finding_event ev)
{
	return ev == FINDING_NEW ? "new" : ev == FINDING_CHANGED ? "changed" : "gone";
}

size_t syslog_format_finding(char *buf, size_t size, enum finding_event ev,
			     const struct finding *f, const struct thread_report *t)
{
	struct line l = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	put(&l, "finding=%s pid=%" PRIu32 " tid=%" PRIu32, event_name(ev), f->pid, f->tid);
	put_quoted(&l, "comm", f->comm, sizeof(f->comm));
	put_quoted(&l, "thread", f->thread, sizeof(f->thread));
	if (t) {
		const struct wait_info *w = &t->wait;

		put(&l, " state=%c parked_seconds=%" PRIu64 " wait=%s", t->state == 'D' ? 'D' : 'S',
		    t->parked_ns / 1000000000ULL, wait_kind_name(w->kind));
		if (w->syscall)
			put(&l, " syscall=%s", w->syscall);
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
}

void syslog_out_finding(enum finding_event ev, const struct finding *f,
			const struct thread_report *t, void *ctx)
{
	char line[512];

	syslog_format_finding(line, sizeof(line), ev, f, t);
	syslog(ev == FINDING_GONE ? LOG_INFO : LOG_WARNING, "%s", line);
}

int syslog_out_report(struct findings *fs, const struct report *r)
{
	uint64_t dropped = findings__dropped(fs);
	int err;

	err = findings__update(fs, r, syslog_out_finding, NULL);
	if (!err && findings__dropped(fs) > dropped)
		syslog(LOG_WARNING, "findings_dropped=%" PRIu64 " max=%d",
		       findings__dropped(fs), FINDINGS_MAX);
	return err;
}
