// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/maps text as the unwinder parses it (collect/stacks/unwind.c): mapped
 * file names are chosen by the process (any bytes but NUL and newline).
 * The parser is static: the harness includes the module's source. */
#include "../../user/collect/stacks/unwind.c"

#include "fuzz.h"

static struct unwinder *u;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct unwind_opts o = { .max_procs = 4, .max_files = 16, .debug_root = "" };

	u = unwinder__new(&o);
	return u ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc p = { .pid = getpid(), .memory = { .fd = -1, .read_batch = procmem__pread_batch }, .u = u };
	char *text = fuzz_string(data, size);
	struct uframe f[4] = { { .pc = 0x400000 }, { .pc = 0x7f0000001000ULL },
			       { .pc = 1 }, { .pc = ~0ULL } };

	if (!proc_parse_maps(&p, text)) {
		char path[4200];

		for (size_t i = 0; i < p.nr_files; i++)
			for (int c = 0; file_candidate(&p, &p.files[i], c, path, sizeof(path)); c++)
				;
		for (int i = 0; i < 4; i++)
			find_map(&p, f[i].pc);
	}
	proc_clear_maps(&p);
	free(text);
	return 0;
}
