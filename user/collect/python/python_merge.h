/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Merging a thread's Python frames into its native stack: each native
 * _PyEval_EvalFrameDefault frame is replaced by the Python frames it was
 * executing (up to and including the one marked entry), innermost first;
 * every other native frame stays where it is. Pure, unit-tested. */
#ifndef LT_PYTHON_MERGE_H
#define LT_PYTHON_MERGE_H

#include <stdbool.h>

#include "collect/python/python_walk.h"
#include "model/frame.h"

/* Whether a symbolized native frame is the interpreter's evaluation loop. */
bool python_is_eval_frame(const struct frame *f);

/* Whether a native frame is in the interpreter (a Py/_Py symbol or the
 * python3.X / libpython3.X module): a thread that may run Python code even
 * when no eval frame is named (builds whose loop is in unnamed functions,
 * such as Debian's 3.14). */
bool python_is_interpreter_frame(const struct frame *f);

#define PYTHON_APPENDED_MARKER	"[python frames]"

/* Push to out (empty) native with the eval frames replaced by py[0..m)
 * (FRAME_PYTHON), or with marker (when not NULL, a FRAME_MARKER) inserted
 * before the first eval frame and py ignored. When the native stack was cut
 * at the depth limit (truncated), the Python frames of the eval frames
 * beyond it follow at the end: they are the outer callers. When native has
 * no eval frame at all, the Python frames follow the whole native stack
 * after PYTHON_APPENDED_MARKER (their place in it is unknown). Returns the
 * length or -ENOMEM; native is left untouched. */
int python_merge_frames(const struct frame *native, int n, bool truncated,
			const struct py_frame *py, int m, const char *marker,
			struct frame_builder *out);

#endif
