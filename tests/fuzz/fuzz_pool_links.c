// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pool links (collect/threads/pool_links.c): a maps text is the process's
 * (mapped file names are its own choice), and the words scanned are its
 * memory: any value. The input is a maps text, then after a NUL the words
 * scanned, the first three of them the waiters' objects. */
#include <string.h>

#include "fuzz.h"
#include "collect/threads/pool_links.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	size_t text = strlen(s), nwords = 0;
	const uint8_t *rest = data + (text < size ? text + 1 : size);
	uint64_t words[64];
	struct mapping m[16];
	struct pool_links_cost c = { 0 };
	struct link_waiter w[3];
	size_t n = pool_links__maps(s, text, m, 16, &c);

	for (size_t i = 0; i < n; i++)	/* a mapping kept is a real one */
		if (m[i].end <= m[i].start || !m[i].writable || m[i].shared)
			abort();
	nwords = (size - (size_t)(rest - data)) / sizeof(uint64_t);
	if (nwords > 64)
		nwords = 64;
	memcpy(words, rest, nwords * sizeof(uint64_t));
	for (size_t k = 0; k < 3; k++)	/* sorted by object, as the pass leaves them */
		w[k] = (struct link_waiter){ .object = 4096 + k * 256 +
					     (k < nwords ? words[k] % 128 : 0), .asked = true,
					     .stack_lo = n ? m[0].start : 0, .stack_hi = n ? m[0].end : 0 };
	pool_links__scan(words, nwords, nwords ? words[0] & ~7ULL : 0, w, 3);
	maps_region(s, text, nwords ? words[0] : 0);
	free(s);
	return 0;
}
