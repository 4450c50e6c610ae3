// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The VMStructs reader (collect/java/vmstructs.c) and the Java line number
 * table decoder (java_line_of, both UNSIGNED5 forms) over a hostile JVM: the
 * input is a memory image at FUZZ_BASE whose first VMS_SYM_MAX u32 words
 * place the exported symbols (offsets into the image, 0 = absent); the
 * tables, offset variables, strides and names are whatever follows. */
#include <errno.h>

#include "fuzz.h"
#include "collect/java/java_frames.h"
#include "collect/java/vmstructs.h"

#define FUZZ_BASE 0x100000ull

struct image {
	const uint8_t *data;
	size_t size;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	if (addr < FUZZ_BASE || addr - FUZZ_BASE > im->size || len > im->size - (addr - FUZZ_BASE))
		return -EFAULT;
	memcpy(buf, im->data + (addr - FUZZ_BASE), len);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image im = { data, size };
	struct java_mem m = { image_read, &im };
	uint64_t sym[VMS_SYM_MAX] = { 0 };
	struct vmstructs *vs;
	int64_t v;

	if (size >= 4) {
		int bci;

		memcpy(&bci, data, 4);
		(void)java_line_of(data + 4, size - 4, bci, 0);
		(void)java_line_of(data + 4, size - 4, bci & 0xffff, 1);
	}
	if (size < VMS_SYM_MAX * 4)
		return 0;
	for (int i = 0; i < VMS_SYM_MAX; i++) {
		uint32_t off;

		memcpy(&off, data + 4 * i, 4);
		sym[i] = off ? FUZZ_BASE + off : 0;
	}
	if (vmstructs__read(&m, sym, &vs))
		return 0;
	(void)vmstructs__offset(vs, "JavaThread", "_osthread");
	(void)vmstructs__address(vs, "ThreadsSMRSupport", "_java_thread_list");
	(void)vmstructs__size(vs, "JavaThread");
	(void)vmstructs__constant(vs, "_thread_blocked", &v);
	vmstructs__free(vs);
	return 0;
}
