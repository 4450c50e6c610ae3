// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/report.h"
#include "judge/units.h"
#include "sinks/frame.h"

void unit_frames_of_thread(const struct thread_report *t, struct unit_frames *u)
{
	*u = (struct unit_frames){
		.part = { t->kernel_stack, t->user_stack },
		.n = { t->kernel_stack ? t->n_kernel : 0, t->user_stack ? t->n_user : 0 },
	};
}

void unit_frames_of_goroutine(const struct goroutine_report *g, struct unit_frames *u)
{
	*u = (struct unit_frames){ .refs = g->stack, .n_refs = g->stack ? g->stack_len : 0 };
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* " (file:line[, inlined])" for frames that have a source position */
static void put_position(const struct frame *f, const char *file, char *buf, size_t size)
{
	size_t len = strlen(buf);

	if (len + 1 >= size)
		return;
	if (f->line)
		snprintf(buf + len, size - len, " (%s:%" PRIu32 "%s)", file, f->line,
			 f->inlined ? ", inlined" : "");
	else
		snprintf(buf + len, size - len, " (%s:?%s)", file, f->inlined ? ", inlined" : "");
}

const char *frame_display(const struct frame *f, char *buf, size_t size)
{
	bool script = f->kind == FRAME_PYTHON || f->kind == FRAME_JAVA;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (f->kind == FRAME_MARKER || (f->function && (script || (f->kind == FRAME_GO && !f->module) ||
							f->inlined))) {
		/* no code address of its own to show */
		snprintf(buf, size, "%s", f->function ? f->function : "?");
	} else if (f->function) {
		snprintf(buf, size, "%s+0x%" PRIx64, f->function, f->offset);
	} else if (f->module) {
		snprintf(buf, size, "%s+0x%" PRIx64, frame_module_base(f), f->offset);
		if (f->build_id && strlen(buf) + 1 < size)
			snprintf(buf + strlen(buf), size - strlen(buf), " [build-id %s]", f->build_id);
		return buf;
	} else {
		snprintf(buf, size, "0x%" PRIx64, f->pc);
		return buf;
	}
	/* a script's file as its runtime names it; a compiled one's base name */
	if (f->file)
		put_position(f, script ? f->file : base_name(f->file), buf, size);
	else if (script && f->kind != FRAME_MARKER)
		put_position(f, "?", buf, size);
	return buf;
}

const char *frame_culprit_text(const struct frame *f, char *buf, size_t size)
{
	if (!f->function || !size)
		return frame_display(f, buf, size);
	if (f->file && f->line)
		snprintf(buf, size, "%s (%s:%" PRIu32 ")", f->function, base_name(f->file), f->line);
	else if (f->file)
		snprintf(buf, size, "%s (%s)", f->function, base_name(f->file));
	else
		snprintf(buf, size, "%s", f->function);
	return buf;
}

const struct frame *unit_frames_culprit(const struct unit_frames *u)
{
	for (int i = 0; i < unit_frames_count(u); i++)
		if (!frame__is_runtime(unit_frame(u, i)))
			return unit_frame(u, i);
	return NULL;
}

const struct frame *site_culprit(const struct report *r, const struct site_report *s)
{
	struct unit_frames u;

	if (s->kind == UNIT_THREAD && s->first_unit < r->n_threads)
		unit_frames_of_thread(&r->threads[s->first_unit], &u);
	else if (s->kind == UNIT_GOROUTINE && s->first_unit < r->n_goroutines)
		unit_frames_of_goroutine(&r->goroutines[s->first_unit], &u);
	else
		return NULL;
	return unit_frames_culprit(&u);
}

const char *thread_headline_frame(const struct thread_report *t, char *buf, size_t size)
{
	struct unit_frames u;
	const struct frame *c;

	unit_frames_of_thread(t, &u);
	if ((c = unit_frames_culprit(&u)))
		return frame_culprit_text(c, buf, size);
	if (t->n_user && t->user_stack)
		return frame_display(&t->user_stack[0], buf, size);
	if (t->n_kernel && t->kernel_stack)
		return frame_display(&t->kernel_stack[0], buf, size);
	snprintf(buf, size, "%s", wait_kind_name(t->wait.kind));
	return buf;
}

const char *site_headline_frame(const struct report *r, const struct site_report *s, char *buf,
				size_t size)
{
	if (s->kind == UNIT_THREAD && s->first_unit < r->n_threads)
		return thread_headline_frame(&r->threads[s->first_unit], buf, size);
	if (s->kind == UNIT_GOROUTINE && s->first_unit < r->n_goroutines) {
		const struct goroutine_report *g = &r->goroutines[s->first_unit];
		const struct frame *c = site_culprit(r, s);

		if (c)
			return frame_culprit_text(c, buf, size);
		if (g->start_func)
			snprintf(buf, size, "%s", g->start_func);
		else if (g->stack_len)
			frame_display(g->stack[0], buf, size);
		else
			snprintf(buf, size, "%s", "");
		return buf;
	}
	snprintf(buf, size, "%s", s->peer);	/* a connection: its upstream */
	return buf;
}
