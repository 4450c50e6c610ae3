// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The baselines state file (judge/baseline.c, --state-dir): read back at
 * start from a directory that may hold anything after a crash, a disk
 * error or another program's file. What loads must save to a text that
 * loads and saves the same. */
#include <string.h>

#include "fuzz.h"
#include "judge/baseline.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* What b saves, malloc'ed; NULL on failure. */
static char *saved(struct baselines *b, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	baselines__save(b, f);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline_opts o = { .max_services = 64, .max_sites = 64 };
	struct baselines *b = baselines__new(&o), *again = baselines__new(&o);
	char *first = NULL, *second = NULL;
	size_t n1 = 0, n2 = 0;

	if (b && again && !baselines__load(b, (const char *)data, size) &&
	    (first = saved(b, &n1))) {
		/* what loaded saves to a text that loads and saves the same */
		if (baselines__load(again, first, n1) || !(second = saved(again, &n2)) ||
		    n1 != n2 || memcmp(first, second, n1))
			__builtin_trap();
	}
	free(first);
	free(second);
	baselines__free(b);
	baselines__free(again);
	return 0;
}
