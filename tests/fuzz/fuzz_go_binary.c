// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A Go executable (collect/go/go_binary.c): build info, .gopclntab, .symtab, the
 * prologue and data-reference decoders, the inline tables (frames of inlined
 * calls, go-statement wrappers), the stack maps (go_stackmap.c). Any user can
 * start a binary that looks like Go. Seeds: inline-tree-* are the synthetic
 * images of tests/unit/test_go_inline.c, stackmap-go120 that of
 * tests/unit/test_go_stackmap.c. */
#include <stdbool.h>

#include "fuzz.h"
#include "collect/go/go_binary.h"
#include "collect/go/go_stackmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* Stacks made of the input's own words, parked at the seed's pcs (main.f
 * of test_go_stackmap.c at +0x400, returning into goexit at +0x440). */
static void fuzz_stackmaps(const struct go_binary *b, uint64_t base, const uint8_t *data,
			   size_t size)
{
	uint64_t stack[32];
	uint8_t live[sizeof(stack) / 64 + 1];
	struct go_stackmap_stats st = { 0 };
	struct go_frame_info fi;

	memset(stack, 0, sizeof(stack));
	memcpy(stack, data + size / 2, size / 2 < sizeof(stack) ? size / 2 : sizeof(stack));
	stack[5] = base + 0x441;
	for (uint64_t pc = base + 0x400; pc < base + 0x460; pc++) {
		if (!go_binary__frame_info(b, pc, &fi) && fi.name)
			(void)strlen(fi.name);
		memset(live, 0, sizeof(live));
		go_stackmap__live_words(b, 0, pc, 0x7f0000001000ULL, (const uint8_t *)stack,
					sizeof(stack), live, &st);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const funcs[] = { "runtime.gopark", "runtime.newproc1",
					     "runtime.goexit0", "runtime.allgadd", "main.main" };
	char path[64], err[256];
	struct go_binary *b;
	int fd = fuzz_memfile(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	b = go_binary__open(path, err, sizeof(err));
	if (b) {
		uint64_t addr, fsize, off, refs[16], base = go_binary__load_base(b);
		struct go_pcinfo pi;
		struct go_frame frames[4];
		const char *target;
		int major, minor;
		uint8_t buf[64];
		bool cheap;

		(void)strlen(go_binary__version(b));
		go_binary__version_num(b, &major, &minor);
		for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
			if (!go_binary__func(b, funcs[i], &addr, &fsize)) {
				go_binary__pcinfo(b, addr, &pi);
				go_binary__pcinfo(b, addr + fsize / 2, &pi);
				go_binary__vaddr_to_offset(b, addr, &off);
			}
			go_binary__probe_addr(b, funcs[i], &addr, &cheap);
			go_binary__data_refs(b, funcs[i], refs, 16);
		}
		go_binary__data_symbol(b, "runtime.allgs", &addr);
		go_binary__allgs_candidates(b, refs, 16);
		for (uint64_t pc = base; pc < base + 0x100000; pc += 0x3fff)
			if (!go_binary__pcinfo(b, pc, &pi))
				(void)(strlen(pi.func) + strlen(pi.file));
		/* the synthetic seeds' function, byte by byte, then a sample of the rest */
		for (uint64_t pc = base + 0x400; pc < base + 0x100000; pc += pc < base + 0x440 ? 1 : 0x1fff) {
			int n = go_binary__frames(b, pc, pc & 1, frames, 4);

			for (int i = 0; i < n; i++)
				(void)(strlen(frames[i].func) + strlen(frames[i].file));
			if (!go_binary__go_target(b, pc, &target))
				(void)strlen(target);
		}
		go_binary__read(b, base, buf, sizeof(buf));
		fuzz_stackmaps(b, base, data, size);
		go_binary__close(b);
	}
	close(fd);
	return 0;
}
