// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/kallsyms text (collect/stacks/ksyms.c): module names and symbol names come
 * from whoever loaded the module. */
#include "fuzz.h"
#include "collect/stacks/ksyms.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const __u64 probes[] = { 0, 1, 0xffffffff81000000ULL, 0xffffffffc0000000ULL, ~0ULL };
	struct ksyms *ks;
	char path[64], buf[128];
	int fd = fuzz_memfile(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	ks = ksyms__load_file(path);
	if (ks) {
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			ksyms__format(ks, probes[i], buf, sizeof(buf));
		ksyms__count(ks);
		ksyms__free(ks);
	}
	close(fd);
	return 0;
}
