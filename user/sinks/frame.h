/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A parked unit's frames as the sinks see them, the display form of a frame
 * (text, JSON stacks, syslog and Prometheus; pprof and folded have their
 * own, function-level), and the culprit frame a site is named after. */
#ifndef LT_FRAME_H
#define LT_FRAME_H

#include <stddef.h>

#include "model/frame.h"

/* The stack of a parked thread or goroutine, innermost first: a thread's
 * kernel frames, then its user frames; a goroutine's frames. */
struct unit_frames {
	const struct frame *part[2];	/* kernel, user */
	int n[2];
	const struct frame *const *refs;	/* a goroutine's, after part[] */
	int n_refs;
};

struct thread_report;
struct goroutine_report;
void unit_frames_of_thread(const struct thread_report *t, struct unit_frames *u);
void unit_frames_of_goroutine(const struct goroutine_report *g, struct unit_frames *u);

static inline int unit_frames_count(const struct unit_frames *u)
{
	return u->n[0] + u->n[1] + u->n_refs;
}

/* Frame i (0 = innermost). */
static inline const struct frame *unit_frame(const struct unit_frames *u, int i)
{
	if (i < u->n[0])
		return &u->part[0][i];
	i -= u->n[0];
	return i < u->n[1] ? &u->part[1][i] : u->refs[i - u->n[1]];
}

/* "pthread_cond_wait+0x1c9", "worker+0x1a (leaky.c:42)", "main.waitOn (main.go:5,
 * inlined)", "wait_for_payment (/srv/orders.py:12)", "libfoo.so+0x1234
 * [build-id ab..]", "0x7f00..." (JIT code without a name), a marker's text:
 * unescaped, into buf (truncated, NUL-terminated). Returns buf. */
const char *frame_display(const struct frame *f, char *buf, size_t size);

/* The culprit's short form: "wait_for_payment (orders.py:12)", the
 * function and the source's base name; frame_display() without a
 * function. Returns buf. */
const char *frame_culprit_text(const struct frame *f, char *buf, size_t size);

/* The culprit of a unit's frames (model/frame.h frame__is_runtime): the
 * first frame of the program's own code, NULL when none. */
const struct frame *unit_frames_culprit(const struct unit_frames *u);

struct report;
struct site_report;
/* The culprit frame of a site: of its first unit; NULL for connections and
 * units without one. */
const struct frame *site_culprit(const struct report *r, const struct site_report *s);

/* What a thread is named after (the text headline, syslog's frame key,
 * Prometheus' frame label): its culprit's short form, else its innermost
 * frame, else its wait's kind. Into buf; returns buf. */
const char *thread_headline_frame(const struct thread_report *t, char *buf, size_t size);

/* The same for a site of r: its first thread's; for goroutines the
 * culprit, else the goroutine's start function; for connections the peer. */
const char *site_headline_frame(const struct report *r, const struct site_report *s, char *buf,
				size_t size);

#endif
