// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go runtime structures read from a process's memory (collect/go/go_tracer.c):
 * runtime.allgs, each g, the goroutine stacks. A process can forge all of
 * them. go_tracer.c reads memory through the procfs reader's seam
 * (t->mem.read_batch, collect/procfs/procmem.h): the harness includes the
 * source, plugs in procmem__pread_batch and points the reader's
 * descriptor at a memory file holding the input: a target address is an
 * offset into the input. Two snapshots per input, so the second reuses
 * the parks (stacks, texts) the first recorded. The binary (pclntab, version,
 * offsets) is a real Go program: FUZZ_GO_BINARY, or $LT_FUZZ_GO_BINARY.
 * Input: [0..7] allgs's address, [8..15] runtime.semtable's, anything. */
#include "../../user/collect/go/go_tracer.c"

#include "fuzz.h"

static struct go_binary *bin;
static struct go_offsets off;

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
	struct go_tracer t = { .pid = getpid(), .bin = bin, .off = off,
			       .mem = { .pid = getpid(), .read_batch = procmem__pread_batch },
			       .max_stack = DEFAULT_MAX_STACK, .walked = true };
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
	t.mem.fd = fuzz_memfile(data, size, path, sizeof(path));
	if (t.mem.fd < 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if (!go_tracer__snapshot(&t, 0, &snap))
			go_snapshot__free(&snap);
	free_tracer_memory(&t);	/* parks and texts the tracer keeps */
	close(t.mem.fd);
	return 0;
}
