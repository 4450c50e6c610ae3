/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Python harnesses' target: a py_proc whose memory reads come from the
 * input (a memory file read with pread), as a live interpreter's would. */
#ifndef LT_FUZZ_PY_H
#define LT_FUZZ_PY_H

#include "fuzz.h"

/* NULL when it cannot be made; py_proc__free() closes the memory file. */
static inline struct py_proc *fuzz_py_proc(const uint8_t *data, size_t size, uint64_t runtime,
					   const struct py_offsets *o)
{
	char path[64];
	struct py_proc *p;
	int fd = fuzz_memfile(data, size, path, sizeof(path));

	if (fd < 0)
		return NULL;
	p = py_proc__new(getpid(), runtime, o);
	if (!p) {
		close(fd);
		return NULL;
	}
	procmem__close(&p->mem);
	p->mem.fd = fd;
	p->mem.read_batch = procmem__pread_batch;
	return p;
}

#endif
