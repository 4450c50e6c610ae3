// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* threading's thread names (collect/python/python_thread_name.c): dicts
 * (sys.modules, a module's dict, threading._active), a Thread's type, its
 * __dict__, managed dict or inline values, str objects, all read from a
 * process that can forge them. As fuzz_python_walk.c, the harness includes
 * the walker's source to point its memory reader at a memory file holding
 * the input: a target address is an offset into the input.
 * Input: [0] the layout (3.9 to 3.12 tables, or 3.12's with 3.13's inline
 * values), [1..8] the interpreter's address, [9..16] the thread's ident
 * (pthread_t), then anything. Seeds (corpus/python_thread_name) are whole
 * chains for 3.9, 3.11 and 3.13 (tests/fuzz/seeds_python_thread_name.py). */
#include "../../user/collect/python/python_walk.c"
#include "../../user/collect/python/python_thread_name.c"

#include "fuzz_py.h"

static bool verbose;	/* LT_FUZZ_VERBOSE=1: print what each read found */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("LT_FUZZ_VERBOSE");
	return 0;
}

static void layout(uint8_t sel, struct py_offsets *o)
{
	static const uint32_t versions[] = { 0x0309, 0x030a, 0x030b, 0x030c };

	*o = *py_offsets_table(versions[sel % 5 < 4 ? sel % 5 : 3]);
	if (sel % 5 == 4) {	/* 3.13's objects: inline values after the instance */
		o->dicts = PY_DICTS_313;
		o->type_cached_keys = 880;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_names names = { 0 };
	char name[64];	/* PY_THREAD_NAME_LEN */
	struct py_offsets o;
	uint64_t interp, ident;
	struct py_proc *p;
	int err;

	if (size < 24)
		return 0;
	memcpy(&interp, data + 1, 8);
	memcpy(&ident, data + 9, 8);
	layout(data[0], &o);
	p = fuzz_py_proc(data, size, 0, &o);
	if (!p)
		return 0;
	/* twice: the second read starts from the _active dict found */
	for (int i = 0; i < 2; i++) {
		err = name_of_ident(&names, p, interp % size, ident, name, sizeof(name));
		if (strnlen(name, sizeof(name)) == sizeof(name))
			abort();	/* the name is terminated */
		if (err > 0 || (err && name[0]))
			abort();	/* 0 or -errno; no name on an error */
		if (verbose)
			fprintf(stderr, "read %d: %d \"%s\" (_active at %#llx)\n", i, err, name,
				(unsigned long long)names.active);
	}
	py_proc__free(p);
	return 0;
}
