// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pure CPython parsers over bytes copied from a traced process:
 * line tables in the three formats (collect/python/python_linetable.c), the
 * interpreter's own _Py_DebugOffsets (collect/python/python_offsets.c) and the
 * version in a mapped file's name (collect/python/python_runtime.c). The first
 * bytes choose the format, the first line and the offsets looked up. */
#include "fuzz.h"
#include "collect/python/python_linetable.h"
#include "collect/python/python_offsets.h"
#include "collect/python/python_runtime.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_offsets o;
	int32_t first;
	uint32_t off;
	char *name;

	(void)py_offsets_from_debug(data, size, &o);
	name = fuzz_string(data, size < 64 ? size : 64);
	(void)py_version_from_name(name);
	free(name);
	if (size < 9)
		return 0;
	memcpy(&first, data + 1, 4);
	memcpy(&off, data + 5, 4);
	for (uint64_t k = 0; k < 4; k++)
		(void)py_linetable_line((enum py_linetable_format)(data[0] % 3), data + 9, size - 9,
					first, k == 3 ? UINT64_MAX - off : (uint64_t)off << (16 * k));
	return 0;
}
