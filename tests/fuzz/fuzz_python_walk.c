// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CPython structure walk (collect/python/python_walk.c): interpreters, thread
 * states, frame chains, code objects, str and bytes objects, all read from
 * a process that can forge them. The walk reads through its procfs memory
 * reader (collect/procfs/procmem.h): the harness includes the source, points
 * the reader's descriptor at a memory file holding the input and plugs in
 * procmem__pread_batch, so a target address is an offset into the input.
 * Input: [0] the layout (3.9 to 3.12 tables, or the input's own
 * _Py_DebugOffsets at the runtime address), [1..8] _PyRuntime's address,
 * [9..12] the tid looked up, then anything. */
#include "../../user/collect/python/python_walk.c"

#include "fuzz_py.h"

static bool verbose;	/* LT_FUZZ_VERBOSE=1: print what each walk found */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("LT_FUZZ_VERBOSE");
	return 0;
}

static bool layout(const uint8_t *data, size_t size, uint64_t runtime, struct py_offsets *o)
{
	static const uint32_t versions[] = { 0x0309, 0x030a, 0x030b, 0x030c };
	unsigned sel = data[0] % 5;

	if (sel < 4) {
		*o = *py_offsets_table(versions[sel]);
		return true;
	}
	return !py_offsets_from_debug(data + runtime, size - runtime, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_frame frames[PY_MAX_FRAMES];
	struct py_offsets o;
	const char *reason;
	struct py_proc *p;
	uint64_t runtime;
	uint32_t tid;

	if (size < 16)
		return 0;
	memcpy(&runtime, data + 1, 8);
	memcpy(&tid, data + 9, 4);
	runtime %= size;
	if (!layout(data, size, runtime, &o))
		return 0;
	p = fuzz_py_proc(data, size, runtime, &o);
	if (!p)
		return 0;
	/* twice: the second walk goes through the code object cache */
	for (int i = 0; i < 2; i++) {
		int n = py_proc__walk(p, tid, frames, PY_MAX_FRAMES, &reason);

		for (int k = 0; k < n; k++) {
			if (strnlen(frames[k].function, PY_FUNC_TEXT) == PY_FUNC_TEXT ||
			    strnlen(frames[k].file, PY_FILE_TEXT) == PY_FILE_TEXT || frames[k].line < 0)
				abort();	/* every frame text is terminated */
			if (verbose)
				fprintf(stderr, "frame %d: %s (%s:%d)%s\n", k, frames[k].function,
					frames[k].file, frames[k].line, frames[k].entry ? " [entry]" : "");
		}
		if (verbose)
			fprintf(stderr, "walk %d: %d (%s)\n", i, n, n < 0 ? reason : "frames");
	}
	py_proc__free(p);
	return 0;
}
