// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/status parsers (collect/procfs/procfs_parse.c): the Name line is the
 * process's own choice. */
#include <stdbool.h>

#include "fuzz.h"
#include "collect/procfs/procfs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	uint64_t caps;

	procfs__status_cap_eff(s, &caps);
	procfs__status_tgid(s);
	procfs__status_alive(s);
	procfs__status_nspid(s);
	free(s);
	return 0;
}
