// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <string.h>

#include "sinks/json_writer.h"

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

void json_write_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, len), i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];
		size_t seq;

		switch (c) {
		case '"': fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		seq = utf8_seq_len(s + i, n - i);
		if (!seq) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		fwrite(s + i, 1, seq, f);
		i += seq;
	}
	fputc('"', f);
}

void text_escape(char *dst, size_t dst_size, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, len), o = 0;

	if (!dst_size)
		return;
	for (size_t i = 0; i < n; i++) {
		char tmp[5];
		size_t tl;

		if (s[i] == '\\') {
			memcpy(tmp, "\\\\", 2);
			tl = 2;
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			static const char hex[] = "0123456789abcdef";

			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[s[i] >> 4];
			tmp[3] = hex[s[i] & 15];
			tl = 4;
		} else {
			tmp[0] = (char)s[i];
			tl = 1;
		}
		if (o + tl >= dst_size)
			break;
		memcpy(dst + o, tmp, tl);
		o += tl;
	}
	dst[o] = '\0';
}
