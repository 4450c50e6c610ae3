// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "judge/units.h"
#include "sinks/frame.h"

/* "func (file.go:12[, inlined])": fill file and line, return the end of func */
static const char *parse_go_position(const char *frame, struct frame_parts *p)
{
	const char *open = strstr(frame, " (");
	const char *colon, *close;
	char *end;
	long line;

	if (!open || !(close = strchr(open, ')')) || close[1])
		return NULL;
	colon = memrchr(open, ':', close - open);
	if (!colon || colon == open + 2)
		return NULL;
	line = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || (*end != ')' && *end != ',') || line <= 0)
		return NULL;
	p->file = open + 2;
	p->file_len = colon - p->file;
	p->line = line;
	return open;
}

void frame_parse(const char *frame, struct frame_parts *p)
{
	const char *end, *plus;

	memset(p, 0, sizeof(*p));
	end = parse_go_position(frame, p);
	p->func = frame;
	if (end) {
		p->func_len = end - frame;
		return;
	}
	plus = strstr(frame, "+0x");
	/* "mod+0x1a [build-id ..]" and bare "0x..." keep their address: it is all
	 * that tells two such frames apart */
	p->func_len = plus && plus > frame && !strchr(plus, ' ') ? (size_t)(plus - frame) :
		      strlen(frame);
}

void unit_frames_of_thread(const struct thread_report *t, struct unit_frames *u)
{
	u->part[0] = t->kernel_stack;
	u->n[0] = t->kernel_stack ? t->n_kernel : 0;
	u->part[1] = t->user_stack;
	u->n[1] = t->user_stack ? t->n_user : 0;
}

void unit_frames_of_goroutine(const struct goroutine_report *g, struct unit_frames *u)
{
	u->part[0] = NULL;
	u->n[0] = 0;
	u->part[1] = g->stack;
	u->n[1] = g->stack ? g->stack_len : 0;
}

/* Blocking entry points of libc and the runtime: a site is named after the
 * first frame past them, the program's own function. */
static bool is_wrapper_frame(const char *frame)
{
	static const char *const prefixes[] = {
		"__", "pthread_", "sem_", "read+", "write+", "recv", "send", "accept", "connect+",
		"poll+", "ppoll+", "epoll_", "select+", "pselect", "nanosleep+", "clock_nanosleep+",
		"sleep+", "usleep+", "syscall+", "futex", "wait+", "waitpid+", "pause+", "sigwait",
		"std::", "PyThread_", "lock_PyThread", "_Py", "take_gil", "drop_gil",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(frame, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

const char *thread_headline_frame(const struct thread_report *t)
{
	for (int i = 0; i < t->n_user; i++)
		if (!is_wrapper_frame(t->user_stack[i]))
			return t->user_stack[i];
	return t->n_user ? t->user_stack[0] : t->n_kernel ? t->kernel_stack[0] :
	       wait_kind_name(t->wait.kind);
}

/* Go's own packages, where a goroutine blocks on behalf of the program */
static bool is_go_runtime_frame(const char *frame)
{
	static const char *const prefixes[] = {
		"runtime.", "sync.", "internal/", "time.Sleep", "net.", "net/http.", "io.", "bufio.",
		"crypto/tls.", "os.", "syscall.",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(frame, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

const char *site_headline_frame(const struct report *r, const struct site_report *s)
{
	if (s->kind == UNIT_THREAD && s->first_unit < r->n_threads)
		return thread_headline_frame(&r->threads[s->first_unit]);
	if (s->kind == UNIT_GOROUTINE && s->first_unit < r->n_goroutines) {
		const struct goroutine_report *g = &r->goroutines[s->first_unit];

		for (int i = 0; i < g->stack_len; i++)
			if (!is_go_runtime_frame(g->stack[i]))
				return g->stack[i];
		return g->start_func ? g->start_func : g->stack_len ? g->stack[0] : "";
	}
	return s->peer;	/* a connection: its upstream */
}
