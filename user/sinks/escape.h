/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Escaping of untrusted strings (comm, thread names, symbols, paths) for
 * every output, one walker and one rule set per format: every sink writes
 * such a string through here. No input can end a record, add a field or
 * make the output invalid in its format, and no output carries a raw
 * control character (C0, DEL, or C1 U+0080..U+009F: a terminal, a log
 * viewer or pprof's text views would act on them). */
#ifndef LT_ESCAPE_H
#define LT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

enum escape_style {
	/* JSON string body: \" \\ \n \r \t, other controls and bytes that are
	 * not valid UTF-8 as \u00XX (their Latin-1 reading); UTF-8 passes. */
	ESCAPE_JSON,
	/* Prometheus label value: \\ \" \n (the format's only escapes); other
	 * controls as the text \xNN (written \\xNN); bytes that are not valid
	 * UTF-8 as the UTF-8 of their Latin-1 reading (a scrape must be UTF-8). */
	ESCAPE_PROM,
	/* Any UTF-8 string field (pprof): controls as the text \xNN, bytes that
	 * are not valid UTF-8 as the UTF-8 of their Latin-1 reading. */
	ESCAPE_UTF8,
	/* syslog key="value": printable ASCII only; \" \\, the rest \xNN. */
	ESCAPE_SYSLOG,
	/* terminal text: printable ASCII only; \\, the rest \xNN. */
	ESCAPE_TEXT,
	/* folded-stack frame: ';' separates frames and a line ends in a value,
	 * so ';', '\', controls and invalid bytes are \xNN; UTF-8 passes. */
	ESCAPE_FOLDED,
};

/* Write s (at most len bytes, stops at NUL) escaped, without quotes. */
void escape_write(FILE *f, const char *s, size_t len, enum escape_style style);

/* Escape into dst (always NUL-terminated, at most dst_size-1 bytes, never
 * cutting an escape in half). Returns the length written. */
size_t escape_copy(char *dst, size_t dst_size, const char *s, size_t len, enum escape_style style);

/* Write s as a JSON string literal with its quotes. */
void json_write_string(FILE *f, const char *s, size_t len);

/* Write s as a quoted Prometheus label value. */
void prom_write_label_value(FILE *f, const char *s, size_t len);

/* Printable text for a terminal: ESCAPE_TEXT to f, or into dst. */
void text_write(FILE *f, const char *s, size_t len);
void text_escape(char *dst, size_t dst_size, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes left), 0 if it is
 * not valid UTF-8 (overlong, surrogate, truncated, beyond U+10FFFF). */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
