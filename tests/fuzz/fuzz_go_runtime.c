// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go runtime structures read from a process's memory (go/go_tracer.c):
 * runtime.allgs, each g, the goroutine stacks. A process can forge all of
 * them. go_tracer.c reads memory with pread(2) on its /proc/PID/mem
 * descriptor and has no reader seam, so the harness includes the source and
 * points that descriptor at a memory file holding the input: a target
 * address is an offset into the input. The binary (pclntab, version,
 * offsets) is a real Go program: FUZZ_GO_BINARY, or $LT_FUZZ_GO_BINARY.
 * Input: [0..7] allgs's address, [8..15] runtime.semtable's, anything. */
#include "../../user/go/go_tracer.c"

#include "fuzz.h"

static struct go_binary *bin;
static struct go_offsets off;
static struct goroutines_bpf fake_skel;	/* no maps: every uprobe lookup misses */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("LT_FUZZ_GO_BINARY");
	char err[256];
	int major, minor;

	if (!path)
		path = FUZZ_GO_BINARY;
	bin = go_binary__open(path, err, sizeof(err));
	if (!bin || go_binary__version_num(bin, &major, &minor) ||
	    go_offsets__from_table(major, minor, &off, err, sizeof(err))) {
		fprintf(stderr, "fuzz_go_runtime: cannot use Go binary %s: %s\n", path,
			bin ? err : "cannot open");
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct go_tracer t = { .pid = getpid(), .bin = bin, .off = off, .skel = &fake_skel,
			       .max_stack = DEFAULT_MAX_STACK };
	struct go_snapshot snap;
	char path[64];
	uint64_t allgs = 0, semtable = 0;

	if (size < 16)
		return 0;
	memcpy(&allgs, data, 8);
	memcpy(&semtable, data + 8, 8);
	t.allgs = allgs % size;
	/* the semaphore table's treaps of sudogs, when bytes 8..15 point at one */
	t.semtable = semtable % size;
	t.attach_ns = mono_ns();
	t.mem_fd = fuzz_memfile(data, size, path, sizeof(path));
	if (t.mem_fd < 0)
		return 0;
	if (!go_tracer__snapshot(&t, 0, &snap))
		go_snapshot__free(&snap);
	free_pc_texts(&t);	/* the tracer's cache of texts per pc */
	close(t.mem_fd);
	return 0;
}
