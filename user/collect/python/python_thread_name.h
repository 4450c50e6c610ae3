/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The name `threading` gives a thread of a CPython process (Thread.name),
 * read from its memory: sys.modules["threading"]._active[ident]._name,
 * where ident is the thread state's pthread_t. Dicts are scanned entry by
 * entry (their hash is randomized per process), a Thread's attributes read
 * from its __dict__, its managed dict or its inline values by version
 * (enum py_dict_model). Every length, count and pointer read is bounded:
 * the memory is foreign and changes under the reads. */
#ifndef LT_PYTHON_THREAD_NAME_H
#define LT_PYTHON_THREAD_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "collect/python/python_walk.h"

/* What a process's reads found once and keep: threading._active, and
 * where the last Thread type without a __dict__ keeps _name (checked
 * against its shared keys object on every use). */
struct py_names {
	uint64_t active;	/* the _active dict, 0 = not found yet */
	uint64_t type, type_keys;
	uint32_t name_ix;
};

/* Thread tid's name into out (size bytes, printable: other bytes \xNN).
 * 0; -ENOTSUP: no layout for this version; -ENOENT: no such thread in
 * threading (a thread it did not start, threading not imported); -EFAULT
 * or -EINVAL: a read failed or found garbage. */
int py_names__read(struct py_names *n, struct py_proc *p, uint32_t tid, char *out, size_t size);

#endif
