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

#endif
