// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/python_merge.h"

#define EVAL_FRAME	"_PyEval_EvalFrameDefault"

bool python_is_eval_frame(const char *frame)
{
	size_t l = strlen(EVAL_FRAME);

	/* "+0x..." or a compiler-split part such as ".cold+0x..." */
	return frame && !strncmp(frame, EVAL_FRAME, l) && (frame[l] == '+' || frame[l] == '.');
}

bool python_is_interpreter_frame(const char *f)
{
	return f && (!strncmp(f, "Py", 2) || !strncmp(f, "_Py", 3) || !strncmp(f, "python3.", 8) ||
		     !strncmp(f, "libpython3.", 11));
}

static int push(char **arr, int *k, const char *s)
{
	arr[*k] = strdup(s);
	if (!arr[*k])
		return -ENOMEM;
	(*k)++;
	return 0;
}

int python_merge_frames(char *const *native, int n, bool truncated, const struct py_frame *py,
			int m, const char *marker, char ***out)
{
	char **arr = calloc((size_t)n + (size_t)m + 2, sizeof(*arr));
	bool marked = false, any_eval = false;
	int k = 0, j = 0;

	if (!arr)
		return -ENOMEM;
	for (int i = 0; i < n && !any_eval; i++)
		any_eval = python_is_eval_frame(native[i]);
	if (!any_eval && !marker && m > 0) {
		truncated = true;	/* every Python frame goes after the native ones */
		for (int i = 0; i < n; i++)
			if (push(arr, &k, native[i]))
				goto nomem;
		if (push(arr, &k, PYTHON_APPENDED_MARKER))
			goto nomem;
	}
	for (int i = 0; i < n && (any_eval || marker); i++) {
		bool eval = python_is_eval_frame(native[i]);

		if (eval && marker && !marked) {
			if (push(arr, &k, marker))
				goto nomem;
			marked = true;
		}
		if (!eval || marker || j >= m) {
			/* not eval, a failed walk, or Python frames exhausted: keep it */
			if (push(arr, &k, native[i]))
				goto nomem;
			continue;
		}
		do {
			if (push(arr, &k, py[j].text))
				goto nomem;
		} while (!py[j++].entry && j < m);
	}
	while (truncated && !marker && j < m)
		if (push(arr, &k, py[j++].text))
			goto nomem;
	*out = arr;
	return k;
nomem:
	for (int i = 0; i < k; i++)
		free(arr[i]);
	free(arr);
	return -ENOMEM;
}
