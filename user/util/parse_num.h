/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Strict decimal parsers for numbers, sizes and durations given by people
 * (options, the metrics address): one scanner, no strtol guessing. */
#ifndef LT_PARSE_NUM_H
#define LT_PARSE_NUM_H

#include <stdint.h>

/* The digits of an unsigned decimal at s, *end set past them: no sign,
 * blank, base prefix or leading zero. Returns 0 or -EINVAL. */
int scan_decimal(const char *s, const char **end, uint64_t *out);

/* Parse "500ms", "2s", "1m", "1h", "1.5s" or a bare number of seconds:
 * DIGITS[.DIGITS][UNIT], decimal only (no sign, blank, leading zero,
 * exponent or hex). Returns 0 and stores nanoseconds, or -EINVAL. Zero
 * and negative durations are rejected. */
int parse_duration(const char *s, uint64_t *ns);

/* Parse an unsigned decimal from lo to hi: digits only, no sign, blank,
 * leading zero or base prefix. Returns 0 or -EINVAL. */
int parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Parse "268435456", "256K", "256M" or "1G" (binary multiples): decimal
 * digits only. Returns 0 and stores bytes, or -EINVAL. */
int parse_size(const char *s, uint64_t *bytes);

#endif
