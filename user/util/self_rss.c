// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <unistd.h>

#include "util/self_rss.h"

uint64_t self_rss_bytes(void)
{
	unsigned long size, resident;
	uint64_t bytes = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) == 2)
		bytes = (uint64_t)resident * sysconf(_SC_PAGESIZE);
	fclose(f);
	return bytes;
}
