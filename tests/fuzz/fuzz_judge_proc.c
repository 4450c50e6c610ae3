// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the judge reads of a process besides its memory: /proc/PID/maps
 * (where a wait object lives, judge/regions.c) and /proc/PID/task/TID/syscall
 * (a lock owner's wait, judge/lockgraph.c). */
#include "fuzz.h"
#include "judge/lockgraph.h"
#include "judge/regions.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct wait_info w;

	for (uint64_t a = 0; a < 16; a++)
		(void)maps_region((const char *)data, size, a << 40 | a << 12);
	(void)parse_syscall_line(s, &w);
	free(s);
	return 0;
}
