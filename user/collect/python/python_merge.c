// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/python_merge.h"

#define EVAL_FRAME	"_PyEval_EvalFrameDefault"

bool python_is_eval_frame(const struct frame *f)
{
	size_t l = strlen(EVAL_FRAME);

	/* or a compiler-split part such as ".cold" */
	return f && f->function && !strncmp(f->function, EVAL_FRAME, l) &&
	       (!f->function[l] || f->function[l] == '.');
}

bool python_is_interpreter_frame(const struct frame *f)
{
	const char *mod = f ? frame__module_base(f) : "";

	if (!f)
		return false;
	if (f->function && (!strncmp(f->function, "Py", 2) || !strncmp(f->function, "_Py", 3)))
		return true;
	return !strncmp(mod, "python3.", 8) || !strncmp(mod, "libpython3.", 11);
}

static int push_marker(struct frame_builder *b, const char *text)
{
	struct frame m = { .kind = FRAME_MARKER, .function = text };

	return frame_builder__push(b, &m);
}

static int push_py(struct frame_builder *b, const struct py_frame *py)
{
	struct frame f = {
		.kind = FRAME_PYTHON, .function = py->function, .file = py->file[0] ? py->file : NULL,
		.line = py->line > 0 ? (uint32_t)py->line : 0,
	};

	return frame_builder__push(b, &f);
}

int python_merge_frames(const struct frame *native, int n, bool truncated,
			const struct py_frame *py, int m, const char *marker,
			struct frame_builder *out)
{
	bool marked = false, any_eval = false;
	int j = 0;

	for (int i = 0; i < n && !any_eval; i++)
		any_eval = python_is_eval_frame(&native[i]);
	if (!any_eval && !marker && m > 0) {
		truncated = true;	/* every Python frame goes after the native ones */
		for (int i = 0; i < n; i++)
			if (frame_builder__push(out, &native[i]))
				return -ENOMEM;
		if (push_marker(out, PYTHON_APPENDED_MARKER))
			return -ENOMEM;
	}
	for (int i = 0; i < n && (any_eval || marker); i++) {
		bool eval = python_is_eval_frame(&native[i]);

		if (eval && marker && !marked) {
			if (push_marker(out, marker))
				return -ENOMEM;
			marked = true;
		}
		if (!eval || marker || j >= m) {
			/* not eval, a failed walk, or Python frames exhausted: keep it */
			if (frame_builder__push(out, &native[i]))
				return -ENOMEM;
			continue;
		}
		do {
			if (push_py(out, &py[j]))
				return -ENOMEM;
		} while (!py[j++].entry && j < m);
	}
	while (truncated && !marker && j < m)
		if (push_py(out, &py[j++]))
			return -ENOMEM;
	return out->n;
}
