// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The formats are described in CPython's Objects/lnotab_notes.txt
 * (3.9), Objects/lnotab_notes.txt of 3.10 and InternalDocs/locations.md
 * (3.11 and later); this is an independent decoder of them. */
#include <limits.h>

#include "collect/python/python_linetable.h"

/* Lines are summed from foreign deltas in 64 bits: a sum outside int (a
 * forged first line or table) is no line, never an overflow. */
static int line_or_none(int64_t line)
{
	return line < 0 || line > INT_MAX ? -1 : (int)line;
}

static int lnotab_line(const uint8_t *t, size_t len, int64_t line, uint64_t off)
{
	uint64_t addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > off)
			break;
		line += (int8_t)t[i + 1];
	}
	return line_or_none(line);
}

static int linetable_310_line(const uint8_t *t, size_t len, int64_t line, uint64_t off)
{
	uint64_t start = 0, end = 0;
	int64_t computed = line, cur = -1;

	for (size_t i = 0; i + 1 < len; i += 2) {
		start = end;
		end += t[i];
		if ((int8_t)t[i + 1] == -128) {
			cur = -1;
		} else {
			computed += (int8_t)t[i + 1];
			cur = computed;
		}
		if (start <= off && off < end)
			return line_or_none(cur);
	}
	return -1;
}

/* 6-bit chunks, bit 6 set on every chunk but the last */
static int read_varint(const uint8_t *t, size_t len, size_t *i, uint32_t *out)
{
	uint32_t v = 0;
	int shift = 0;

	for (;;) {
		if (*i >= len || shift > 30)
			return -1;
		uint8_t b = t[(*i)++];

		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*out = v;
	return 0;
}

static int read_svarint(const uint8_t *t, size_t len, size_t *i, int32_t *out)
{
	uint32_t v;

	if (read_varint(t, len, i, &v))
		return -1;
	*out = (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
	return 0;
}

static int locations_line(const uint8_t *t, size_t len, int64_t line, uint64_t off)
{
	uint64_t unit = off / 2, addr = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t first = t[i++];
		int code = (first >> 3) & 15;
		uint32_t length = (first & 7) + 1, skip;
		int32_t delta = 0;

		if (!(first & 128))
			return -1;	/* not at an entry start: corrupted */
		if (code <= 9) {
			i += 1;
		} else if (code <= 12) {
			delta = code - 10;
			i += 2;
		} else if (code == 13) {
			if (read_svarint(t, len, &i, &delta))
				return -1;
		} else if (code == 14) {
			if (read_svarint(t, len, &i, &delta) || read_varint(t, len, &i, &skip) ||
			    read_varint(t, len, &i, &skip) || read_varint(t, len, &i, &skip))
				return -1;
		}
		if (i > len)
			return -1;
		line += delta;
		if (unit < addr + length)
			return code == 15 ? -1 : line_or_none(line);
		addr += length;
	}
	return -1;
}

int py_linetable_line(enum py_linetable_format fmt, const uint8_t *table, size_t len,
		      int firstlineno, uint64_t byte_off)
{
	if (!table)
		return -1;
	switch (fmt) {
	case PY_LNOTAB:
		return lnotab_line(table, len, firstlineno, byte_off);
	case PY_LINETABLE_310:
		return linetable_310_line(table, len, firstlineno, byte_off);
	case PY_LOCATIONS:
		return locations_line(table, len, firstlineno, byte_off);
	}
	return -1;
}
