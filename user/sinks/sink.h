/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Outputs as sinks: every output (the -f formats, Prometheus, syslog) is a
 * sink_type with its own state, listed once in sinks.c. A new format is one
 * file defining a sink_type plus one line in that list (docs/internals.md "Where to
 * change what"). The session opens the sinks the options ask for and hands
 * each report to every one of them. */
#ifndef LT_SINK_H
#define LT_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "model/config.h"
#include "model/report.h"

struct sink_type {
	const char *name;	/* -f NAME for a format, else the option's name */
	bool is_format;		/* selected by -f; exactly one format runs */
	/* Not a format: is it asked for by o? */
	bool (*wanted)(const struct lt_options *o);
	/* Make an instance in *state. On failure write a one-line reason to msg
	 * and return the exit code (enum lt_exit). */
	int (*open)(const struct lt_options *o, void **state, char *msg, size_t msg_size);
	/* Write one report. Returns 0, or -errno when the report stream failed
	 * (the run stops); best-effort sinks log their own failures and return 0. */
	int (*emit)(void *state, const struct report *r);
	/* SIGHUP (logrotate): reopen files. NULL when there is nothing to do. */
	void (*reopen)(void *state);
	void (*close)(void *state);
};

/* The sink types, each defined in its own file. */
extern const struct sink_type sink_text, sink_json, sink_folded, sink_pprof;
extern const struct sink_type sink_prometheus, sink_syslog;

/* The format named name, NULL if there is none. */
const struct sink_type *sink_format_find(const char *name);

/* "text, json, folded or pprof": the format names, for messages. */
const char *sink_format_names(void);

struct sinks;

/* Open the format o->format and every other sink o asks for. On failure
 * prints one line on stderr, sets *exit_code and returns NULL. */
struct sinks *sinks__open(const struct lt_options *o, int *exit_code);

/* Hand r to every sink. Returns the first error of a sink, 0 if none. */
int sinks__emit(struct sinks *ss, const struct report *r);

/* Reopen output files (SIGHUP). */
void sinks__reopen(struct sinks *ss);

void sinks__close(struct sinks *ss);

#endif
