// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sinks/escape.h"

/* The longest escaped form of one input unit: a C1 control's two UTF-8
 * bytes for Prometheus (two times backslash, backslash, x, two digits: 10
 * bytes), a 4-byte UTF-8 sequence, "\u00XX" or "\xNN" for one byte. */
#define UNIT_MAX 12

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

/* A control character: C0, DEL, or C1 (U+0080..U+009F, which a terminal
 * may read as CSI and friends: 0x9b alone, or "\xc2\x9b" in UTF-8). */
static bool is_control(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Rules for one byte that is not part of a valid multi-byte sequence:
 * returns the escaped length in out, 0 to pass it as is. valid: it is
 * ASCII; otherwise it is read as Latin-1 (its code point is the byte). */
static size_t escape_byte(enum escape_style style, unsigned char c, bool valid, char *out)
{
	bool ctl = is_control(c);

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
		/* the format has no other escape: the value reads "\x1b" */
		if (ctl)
			return hex_escape(out, "\\\\x", c);
		/* fallthrough */
	case ESCAPE_UTF8:
		if (ctl)
			return hex_escape(out, "\\x", c);
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

/* A valid UTF-8 sequence of a C1 control (U+0080..U+009F), in a style
 * that passes UTF-8: JSON writes its code point \u00XX, the others each
 * byte as \xNN (Prometheus: \\xNN, as for C0). */
static size_t escape_c1(enum escape_style style, const unsigned char *s, char *out)
{
	const char *prefix = style == ESCAPE_PROM ? "\\\\x" : "\\x";
	size_t n;

	if (style == ESCAPE_JSON)
		return hex_escape(out, "\\u00", (unsigned char)(0x80 | (s[1] & 0x3f)));
	n = hex_escape(out, prefix, s[0]);
	return n + hex_escape(out + n, prefix, s[1]);
}

/* The escaped form of the unit at s[0..n): returns the input bytes it
 * consumed and stores its output in out and its length in out_len. */
static size_t escape_unit(enum escape_style style, const unsigned char *s, size_t n, char *out,
			  size_t *out_len)
{
	bool ascii_only = style == ESCAPE_SYSLOG || style == ESCAPE_TEXT;
	size_t seq = ascii_only || s[0] < 0x80 ? 1 : utf8_seq_len(s, n);

	if (seq == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
		*out_len = escape_c1(style, s, out);
		return seq;
	}
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

void text_write(FILE *f, const char *s, size_t len)
{
	escape_write(f, s, len, ESCAPE_TEXT);
}

void text_escape(char *dst, size_t dst_size, const char *s, size_t len)
{
	escape_copy(dst, dst_size, s, len, ESCAPE_TEXT);
}
