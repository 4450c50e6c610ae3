/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Escaping of untrusted strings (thread names, paths, symbols) per format. */
#ifndef LT_JSON_WRITER_H
#define LT_JSON_WRITER_H

#include <stddef.h>
#include <stdio.h>

/* Write s (at most len bytes, stops at NUL) as a JSON string literal with
 * quotes. Control bytes become \uXXXX; valid UTF-8 passes through; bytes
 * that are not valid UTF-8 become \u00XX (their Latin-1 reading), so the
 * output is always valid JSON and never splits a record. */
void json_write_string(FILE *f, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes left), 0 if it is
 * not valid UTF-8 (overlong, surrogate, truncated, beyond U+10FFFF). */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Printable text for a terminal: non-printable and non-ASCII bytes as \xNN,
 * a backslash as \\. Writes at most dst_size-1 bytes plus NUL. */
void text_escape(char *dst, size_t dst_size, const char *s, size_t len);

#endif
