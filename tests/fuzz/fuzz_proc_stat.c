// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/stat start time (collect/procfs/procfs_parse.c): the comm in it is the
 * process's own choice (prctl PR_SET_NAME), ")" and spaces included. */
#include "fuzz.h"
#include "collect/procfs/procfs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	uint64_t start;

	(void)procfs__stat_start_time(s, &start);
	free(s);
	return 0;
}
