// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/status readers (collect/threads/privileges.c): the Name line is the
 * process's own choice. */
#include <stdbool.h>

#include "fuzz.h"
#include "collect/threads/privileges.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	uint64_t caps;

	parse_cap_eff(s, &caps);
	parse_status_tgid(s);
	status_alive(s);
	free(s);
	return 0;
}
