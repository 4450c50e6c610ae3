// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /tmp/perf-PID.map (collect/stacks/perfmap.c): written by the traced process. */
#include "fuzz.h"
#include "collect/stacks/perfmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map_entry *e = NULL;
	size_t n = 0;

	if (perf_map_parse((const char *)data, size, &e, &n))
		return 0;
	for (uint64_t a = 0; a < 64; a++)
		(void)perf_map_find(e, n, a * 0x1001);
	for (size_t i = 0; i < n; i++) {
		(void)perf_map_find(e, n, e[i].start);
		(void)perf_map_find(e, n, e[i].end - 1);
	}
	perf_map_entries_free(e, n);
	return 0;
}
