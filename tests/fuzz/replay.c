// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A fuzz harness as a unit test: every file of tests/fuzz/corpus/TARGET and
 * tests/fuzz/regress/TARGET (crashes found once, fixed since) runs through
 * LLVMFuzzerTestOneInput, one cmocka test each. FUZZ_TARGET names the
 * harness; run from the repository root (make unit does). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fuzz.h"

#define MAX_INPUTS 512

static char *paths[MAX_INPUTS];
static int n_paths;

static void run_input(void **state)
{
	const char *path = *state;
	uint8_t *buf;
	size_t size;
	FILE *f;

	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc(size ? size : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, size, f), size);
	fclose(f);
	assert_int_equal(LLVMFuzzerTestOneInput(buf, size), 0);
	free(buf);
}

static void collect(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)) && n_paths < MAX_INPUTS) {
		char *p;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "README"))
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			abort();
		paths[n_paths++] = p;
	}
	closedir(d);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[MAX_INPUTS];

	collect("tests/fuzz/corpus/" FUZZ_TARGET);
	collect("tests/fuzz/regress/" FUZZ_TARGET);
	qsort(paths, n_paths, sizeof(paths[0]), by_path);
	if (!n_paths) {
		fprintf(stderr, "[  FAILED  ] no inputs for %s: run from the repository root\n",
			FUZZ_TARGET);
		return 1;
	}
	if (LLVMFuzzerInitialize(&argc, &argv))
		return 1;
	for (int i = 0; i < n_paths; i++)
		tests[i] = (struct CMUnitTest){ .name = paths[i], .test_func = run_input,
						.initial_state = paths[i] };
	return _cmocka_run_group_tests("fuzz_" FUZZ_TARGET, tests, n_paths, NULL, NULL);
}
