/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Line numbers from a CPython code object's line table, for the three
 * formats the supported versions use. Pure functions over bytes copied out
 * of the traced process: every table is foreign data, so a truncated or
 * corrupted one ends the decode with -1, never a read past its end. */
#ifndef LT_PYTHON_LINETABLE_H
#define LT_PYTHON_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum py_linetable_format {
	PY_LNOTAB,		/* 3.9 co_lnotab: (byte delta, signed line delta) pairs */
	PY_LINETABLE_310,	/* 3.10 co_linetable: (byte delta, line delta or -128) */
	PY_LOCATIONS,		/* 3.11+ co_linetable: location entries in code units */
};

/* Line of the instruction at byte offset byte_off of the code (3.9: f_lasti;
 * later: code unit index * 2). Returns the line, or -1 when the table has
 * no line for it or is malformed. */
int py_linetable_line(enum py_linetable_format fmt, const uint8_t *table, size_t len,
		      int firstlineno, uint64_t byte_off);

#endif
