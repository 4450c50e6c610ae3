/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options and the parsers behind them. */
#ifndef LT_OPTIONS_H
#define LT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/config.h"
#include "util/parse_num.h"

/* Floors of -i and -t: a report costs a walk over every thread, and a
 * thread parked for less than a millisecond is only being scheduled. */
#define LT_MIN_INTERVAL_NS	100000000ULL	/* 100ms */
#define LT_MIN_THRESHOLD_NS	1000000ULL	/* 1ms */

/* Parse "1234" or "1,2,3" and append to opts->pids. Returns 0 or -EINVAL
 * (malformed) / -E2BIG (too many). */
int parse_pid_list(const char *s, struct lt_options *opts);

/* Parse argv into opts (argp). On a usage error prints one line to
 * stderr and returns LT_EXIT_USAGE; returns -1 when it printed --help or
 * --version and the program should exit 0; 0 otherwise. */
int options_parse(int argc, char **argv, struct lt_options *opts);

void options_defaults(struct lt_options *opts);

/* Groups of options, in the order --help and the man page show them. */
enum option_group_id {
	OG_TARGET = 1,	/* what to trace */
	OG_REPORT,	/* when to report */
	OG_OUTPUT,	/* the outputs */
	OG_VERDICT,	/* the judge's settings */
	OG_COLLECT,	/* stacks, runtimes, cost */
	OG_RUN,		/* the run itself, help, version */
	OG_N,
};

struct option_group {
	const char *title;
};

/* One row of the option table (options.c): argp's options, --help, and
 * the man page's SYNOPSIS and OPTIONS (options_write_man) all come from
 * it, so they cannot drift apart. */
struct option_spec {
	const char *name;	/* long name, without "--" */
	int key;		/* short letter, or a long-only key above 0xff */
	const char *arg;	/* the argument's name; NULL: takes none */
	enum option_group_id group;
	int alt;		/* synopsis: rows sharing a nonzero alt are one [a | b] */
	const char *help;	/* --help: one sentence; NULL: a hidden option */
	const char *man;	/* the man page: plain text; NULL means help */
};

extern const struct option_group option_groups[OG_N];
extern const struct option_spec option_table[];
extern const size_t option_table_len;

/* A row's help or man text with its placeholders filled (the formats of
 * sinks/sinks.c); valid until the call after next. */
const char *option_text(const char *text);

/* The row of key (a short letter or long-only key), NULL when none. */
const struct option_spec *option_find(int key);

/* The man page's SYNOPSIS and OPTIONS sections, in roff, from the table
 * (`leaktrace --help-man`; tools/gen-man.sh puts them in dist/leaktrace.8). */
void options_write_man(FILE *f);

#endif
