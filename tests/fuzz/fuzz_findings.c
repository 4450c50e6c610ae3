// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The findings state file (sinks/findings.c, --state-dir with --events or
 * --syslog): read back at start from a directory that may hold anything
 * after a crash or a disk error. What loads must save to a text that loads
 * and saves the same. */
#include <string.h>

#include "fuzz.h"
#include "sinks/findings.h"

#define BOOT "2f0c6f0e-1d6b-4c55-9d43-5b1f1e0c0a11"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* What fs saves, malloc'ed; NULL on failure. */
static char *saved(struct findings *fs, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	findings__save(fs, f, BOOT);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct findings *fs = findings__new_kinds(FINDINGS_ALL), *again = findings__new_kinds(FINDINGS_ALL);
	char *first = NULL, *second = NULL;
	size_t n1 = 0, n2 = 0;

	if (fs && again && !findings__load(fs, (const char *)data, size, BOOT) &&
	    (first = saved(fs, &n1))) {
		if (findings__load(again, first, n1, BOOT) || !(second = saved(again, &n2)) ||
		    n1 != n2 || memcmp(first, second, n1))
			__builtin_trap();
	}
	free(first);
	free(second);
	findings__free(fs);
	findings__free(again);
	return 0;
}
