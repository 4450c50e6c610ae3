/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Python frames a thread of one CPython process is executing, read from
 * its memory while it runs on (no ptrace stop): the interpreter's thread
 * states matched to the kernel tid, then the frame chain, each frame named
 * "function (file:line)" from its code object. Every read is bounded (list
 * lengths, chain lengths, string and table sizes) and frame chains are
 * checked for cycles: the memory is foreign and may change under the walk.
 * Code objects are cached per process (validated by their pointers on every
 * use), so a second walk over the same code costs one read per frame. */
#ifndef LT_PYTHON_WALK_H
#define LT_PYTHON_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/python/python_offsets.h"

#define PY_FUNC_TEXT		128	/* qualified name, truncated */
#define PY_FILE_TEXT		256	/* co_filename, truncated */
#define PY_MAX_FRAMES		128	/* frames per thread */
#define PY_STR_CHARS		256	/* characters of a str read, truncated */
#define PY_STR_TEXT		(PY_STR_CHARS * 4 + 1)	/* as UTF-8, NUL-terminated */

struct py_frame {
	char function[PY_FUNC_TEXT];	/* printable: other bytes as \xNN */
	char file[PY_FILE_TEXT];
	int line;			/* 0 = unknown */
	bool entry;		/* outermost frame of one native eval frame */
};

struct py_proc;

/* o is copied. NULL on allocation failure. */
struct py_proc *py_proc__new(int pid, uint64_t runtime_addr, const struct py_offsets *o);
void py_proc__free(struct py_proc *p);

/* Frames of thread tid, innermost first, into out[0..max). Returns their
 * number, or -errno with *reason set to a short phrase ("thread state not
 * found", "frame chain loops"...). A chain longer than max returns the
 * max innermost frames with *reason PY_WALK_CUT (the outer ones are lost). */
#define PY_WALK_CUT "frame chain cut"
int py_proc__walk(struct py_proc *p, uint32_t tid, struct py_frame *out, int max,
		  const char **reason);

/* For readers of other structures of the same process
 * (python_thread_name.c): len bytes at addr (0, -EFAULT or -ESRCH); the
 * offsets; a str object's text as UTF-8 into out (PY_STR_TEXT bytes, 0 or
 * -errno); threading's ident of thread tid (its thread state's pthread_t)
 * and the interpreter's address (0, -ENOENT: no such thread state, -EFAULT). */
int py_proc__read(const struct py_proc *p, uint64_t addr, void *buf, size_t len);
const struct py_offsets *py_proc__offsets(const struct py_proc *p);
int py_proc__read_str(const struct py_proc *p, uint64_t addr, char *out);
int py_proc__thread_ident(struct py_proc *p, uint32_t tid, uint64_t *ident, uint64_t *interp);

/* Append s as printable text to buf (size bytes, NUL-terminated): bytes
 * outside printable ASCII become \xNN. Exposed for the unit tests. */
void py_escape(char *buf, size_t size, const char *s, size_t len);

#endif
