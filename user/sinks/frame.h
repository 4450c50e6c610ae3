/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The parts of a symbolized frame, for the profile formats: native frames
 * read "func+0x1a" (stacks.c, ksyms.c), Go frames "func (file.go:12)" or
 * "func (file.go:12, inlined)" (go_tracer.c); anything else is all name. */
#ifndef LT_FRAME_H
#define LT_FRAME_H

#include <stddef.h>

struct frame_parts {
	const char *func;	/* not NUL-terminated: func_len bytes */
	size_t func_len;
	const char *file;	/* NULL = unknown */
	size_t file_len;
	long line;		/* 0 = unknown */
};

void frame_parse(const char *frame, struct frame_parts *p);

/* The stack of a parked thread or goroutine, innermost frame first: a
 * thread's kernel frames, then its user frames. */
struct unit_frames {
	char **part[2];		/* kernel, user */
	int n[2];
};

struct thread_report;
struct goroutine_report;
void unit_frames_of_thread(const struct thread_report *t, struct unit_frames *u);
void unit_frames_of_goroutine(const struct goroutine_report *g, struct unit_frames *u);

static inline int unit_frames_count(const struct unit_frames *u)
{
	return u->n[0] + u->n[1];
}

/* Frame i (0 = innermost); *kernel says whether it is a kernel frame. */
static inline const char *unit_frame(const struct unit_frames *u, int i, int *kernel)
{
	*kernel = i < u->n[0];
	return *kernel ? u->part[0][i] : u->part[1][i - u->n[0]];
}

/* The frame a thread's site is named after: the first user frame past
 * libc's and the runtimes' blocking entry points (the program's own
 * function), else the innermost frame, else the wait's kind. Display
 * only: the text headline and syslog's frame key. */
const char *thread_headline_frame(const struct thread_report *t);

/* The frame a site of r is named after: its first thread's headline
 * frame; for goroutines the first frame past Go's own packages (runtime,
 * sync, net, ...), else the goroutine's start function; for connections
 * the peer. Never NULL. */
struct report;
struct site_report;
const char *site_headline_frame(const struct report *r, const struct site_report *s);

#endif
