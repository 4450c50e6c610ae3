/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding a CPython interpreter in a running process: the mapped python3.X
 * executable or libpython3.X shared library that defines _PyRuntime (a
 * dynamic symbol, so Debian's stripped builds have it too), its address in
 * the process and the interpreter's version. Files are opened through
 * /proc/PID/root, so processes in a chroot or container work too. */
#ifndef LT_PYTHON_RUNTIME_H
#define LT_PYTHON_RUNTIME_H

#include <stdint.h>

struct py_runtime {
	uint64_t runtime_addr;	/* &_PyRuntime in the process */
	uint32_t version;	/* major << 8 | minor, 0 when unknown */
};

/* 0, -ENOENT (no interpreter mapped), -ESRCH (process gone), -errno. */
int py_runtime_find(int pid, struct py_runtime *out);

/* "3.11" from "python3.11", "libpython3.11.so.1.0": major << 8 | minor,
 * 0 when the name carries no version. */
uint32_t py_version_from_name(const char *basename);

#endif
