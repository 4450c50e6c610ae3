/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Report formats: an aligned text table and JSON lines (README "Output"). */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H

#include <stdio.h>

#include "core/report.h"

/* Write "1h2m", "3.2s", "450ms". */
void format_duration(char *buf, size_t size, uint64_t ns);

void output_text(FILE *f, const struct report *r);
void output_json(FILE *f, const struct report *r);

#endif
