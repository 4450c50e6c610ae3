/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One tracing session: the parts a report goes through (scan, stacks,
 * verdicts, goroutines) and where it goes (format, Prometheus, syslog). */
#ifndef LT_SESSION_H
#define LT_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "run/options.h"
#include "model/report.h"

struct session;

/* Load, attach and start everything o asks for. On failure prints one line
 * on stderr, returns NULL and sets *exit_code (enum lt_exit). */
struct session *session__open(const struct lt_options *o, int *exit_code);
void session__close(struct session *s);

/* Take one report covering the time since the previous one and hand it to
 * every output (sinks/sink.h). Returns 0 or -errno (a failed scan or write). */
int session__report(struct session *s, bool final);

/* SIGHUP: reopen the output files. */
void session__reopen(struct session *s);

/* Processes given with --pid still alive (the same pid and start time:
 * tracer__targets_alive); -1 in system-wide mode. */
int session__targets_alive(struct session *s);

/* Worst verdict of all reports so far. */
enum verdict session__worst(const struct session *s);

#endif
