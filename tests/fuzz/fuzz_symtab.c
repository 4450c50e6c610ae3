// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ELF symbol tables, PT_LOAD segments and GNU build-ids (collect/stacks/symtab.c)
 * of any file a traced process maps. */
#include "fuzz.h"
#include "collect/stacks/symtab.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const __u64 probes[] = { 0, 1, 0x400000, 0x401000, 0x1000, ~0ULL, 0x7fffffffffffULL };
	struct symtab *st;
	char path[64];
	int fd = fuzz_memfile(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	/* "" : no separate debug file, so the input alone is parsed */
	if (!symtab__open(path, "", &st)) {
		__u64 vaddr;

		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			const struct sym *s = symtab__find(st, probes[i]);

			if (s && s->name)
				(void)strlen(s->name);
			if (!symtab__off_to_vaddr(st, probes[i], &vaddr))
				symtab__find(st, vaddr);
		}
		(void)strlen(symtab__build_id(st));
		symtab__count(st);
		symtab__put(st);
	}
	close(fd);
	return 0;
}
