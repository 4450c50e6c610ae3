// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sinks/escape.h"

/* The longest escaped form of one input unit: a 4-byte UTF-8 sequence, or
 * "\u00XX" / "\xNN" for one byte. */
#define UNIT_MAX 8

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t hex_escape(char *out, const char *prefix, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	out[n++] = hex[c >> 4];
	out[n++] = hex[c & 15];
	return n;
}

static size_t backslash(char *out, char c)
{
	out[0] = '\\';
	out[1] = c;
	return 2;
}

/* Rules for one byte that is not part of a valid multi-byte sequence:
 * returns the escaped length in out, 0 to pass it as is. */
static size_t escape_byte(enum escape_style style, unsigned char c, bool valid, char *out)
{
	bool ctl = c < 0x20 || c == 0x7f;

	switch (style) {
	case ESCAPE_JSON:
		switch (c) {
		case '"': case '\\': return backslash(out, c);
		case '\n': return backslash(out, 'n');
		case '\r': return backslash(out, 'r');
		case '\t': return backslash(out, 't');
		}
		return ctl || !valid ? hex_escape(out, "\\u00", c) : 0;
	case ESCAPE_PROM:
		if (c == '"' || c == '\\')
			return backslash(out, c);
		if (c == '\n')
			return backslash(out, 'n');
		/* fallthrough */
	case ESCAPE_UTF8:
		if (valid)
			return 0;
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	case ESCAPE_SYSLOG:
		if (c == '"')
			return backslash(out, c);
		/* fallthrough */
	case ESCAPE_TEXT:
		if (c == '\\')
			return backslash(out, c);
		return ctl || c >= 0x80 ? hex_escape(out, "\\x", c) : 0;
	case ESCAPE_FOLDED:
		return ctl || !valid || c == ';' || c == '\\' ? hex_escape(out, "\\x", c) : 0;
	}
	return 0;
}

/* The escaped form of the unit at s[0..n): returns the input bytes it
 * consumed and stores its output in out and its length in out_len. */
static size_t escape_unit(enum escape_style style, const unsigned char *s, size_t n, char *out,
			  size_t *out_len)
{
	bool ascii_only = style == ESCAPE_SYSLOG || style == ESCAPE_TEXT;
	size_t seq = ascii_only || s[0] < 0x80 ? 1 : utf8_seq_len(s, n);

	if (seq > 1) {
		memcpy(out, s, seq);
		*out_len = seq;
		return seq;
	}
	*out_len = escape_byte(style, s[0], seq == 1, out);
	if (!*out_len) {
		out[0] = (char)s[0];
		*out_len = 1;
	}
	return 1;
}

void escape_write(FILE *f, const char *str, size_t len, enum escape_style style)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, len);

	for (size_t i = 0; i < n;) {
		char unit[UNIT_MAX];
		size_t ul;

		i += escape_unit(style, s + i, n - i, unit, &ul);
		fwrite(unit, 1, ul, f);
	}
}

size_t escape_copy(char *dst, size_t dst_size, const char *str, size_t len, enum escape_style style)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, len), o = 0;

	if (!dst_size)
		return 0;
	for (size_t i = 0; i < n;) {
		char unit[UNIT_MAX];
		size_t ul;

		i += escape_unit(style, s + i, n - i, unit, &ul);
		if (o + ul >= dst_size)
			break;
		memcpy(dst + o, unit, ul);
		o += ul;
	}
	dst[o] = '\0';
	return o;
}

void json_write_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	escape_write(f, s, len, ESCAPE_JSON);
	fputc('"', f);
}

void prom_write_label_value(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	escape_write(f, s, len, ESCAPE_PROM);
	fputc('"', f);
}

void text_escape(char *dst, size_t dst_size, const char *s, size_t len)
{
	escape_copy(dst, dst_size, s, len, ESCAPE_TEXT);
}
