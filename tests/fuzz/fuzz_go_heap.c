// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Go heap as read from a process's memory (collect/go/go_heap.c) and
 * the reachability pass over it (collect/go/go_reach.c): mheap_.allspans,
 * each mspan, allocation bits, finalizer specials, moduledata ranges,
 * allgs, sudog chains, runtime.semtable, notifyLists. A process can forge
 * all of them. The pass reads through its reader seam: here a target
 * address is an offset into the input (pread on a memory file).
 * Input: [0..7] mheap_'s address, [8..15] firstmoduledata's, [16..23]
 * allgs's, [24..31] runtime.semtable's, [32] the Go minor version's row
 * (1.19 ... 1.27), anything after. */
#include <errno.h>

#include "collect/go/go_reach.h"

#include "fuzz.h"

static void pread_spans(void *ctx, struct go_mem_span *s, size_t n)
{
	int fd = *(int *)ctx;

	for (size_t i = 0; i < n; i++)
		s[i].ok = s[i].addr < (1ull << 40) &&
			  pread(fd, s[i].buf, s[i].len, (off_t)s[i].addr) == (ssize_t)s[i].len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int minors[] = { 19, 21, 22, 23, 24, 26, 27 };
	struct go_offsets g;
	struct go_heap_offsets h;
	struct go_reach_opts o = { .max_bytes = 64u << 20, .max_cpu_ns = 2000000000ull };
	struct go_reach_stats st;
	struct go_proof *proofs;
	uint64_t a[4];
	size_t n;
	char path[64], err[128];
	int fd, minor;

	if (size < 33)
		return 0;
	memcpy(a, data, sizeof(a));
	minor = minors[data[32] % (sizeof(minors) / sizeof(minors[0]))];
	if (go_offsets__from_table(1, minor, &g, err, sizeof(err)) ||
	    go_heap_offsets__from_table(minor, &h))
		return 0;
	fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	struct go_reader r = { .read = pread_spans, .ctx = &fd };
	struct go_reach_target t = { .reader = &r, .g = &g, .heap = &h, .mheap = a[0] % size,
				     .firstmoduledata = a[1] % size, .allgs = a[2] % size,
				     .semtable = a[3] % size };

	if (!go_reach__pass(&t, &o, &proofs, &n, &st))
		free(proofs);
	close(fd);
	return 0;
}
