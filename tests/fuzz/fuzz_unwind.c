// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The unwinder's register and memory callbacks (collect/stacks/unwind.c): the saved
 * registers and the stack copy are whatever the traced thread left there.
 * The "traced process" is this one, so libdwfl unwinds through real CFI
 * (this binary, libc) from registers and stack bytes the fuzzer chooses;
 * reads outside the copy go to /proc/self/mem. */
#include <sys/syscall.h>

#include "fuzz.h"
#include "collect/stacks/unwind.h"

static struct unwinder *u;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct unwind_opts o = { .max_procs = 4, .max_files = 64, .debug_root = "" };

	u = unwinder__new(&o);
	return u ? 0 : 1;
}

static __u64 take_u64(const uint8_t **data, size_t *size)
{
	__u64 v = 0;
	size_t n = *size < 8 ? *size : 8;

	memcpy(&v, *data, n);
	*data += n;
	*size -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lt_stack_rec rec;
	static struct uframe frames[64];
	uint8_t here[64];
	__u64 mode, len;

	memset(&rec, 0, sizeof(rec));
	rec.tgid = getpid();
	rec.tid = syscall(SYS_gettid);
	mode = take_u64(&data, &size);
#define TAKE(r) rec.r = take_u64(&data, &size);
	LT_ARCH_USER_REGS(TAKE)
#undef TAKE
	/* low mode bits: registers near real code and a real stack, where the
	 * CFI has something to say; otherwise the raw values */
	if (mode & 1)
		rec.ip = (__u64)(uintptr_t)&LLVMFuzzerTestOneInput + (rec.ip & 0xfff);
	if (mode & 2)
		rec.ip = (__u64)(uintptr_t)&memcpy + (rec.ip & 0xfff);
	if (mode & 4)
		rec.sp = (__u64)(uintptr_t)here + (rec.sp & 0xff) - 0x80;
	if (mode & 8)
		rec.bp = rec.sp + (rec.bp & 0xff);
	len = size < LT_USTACK_BYTES ? size : LT_USTACK_BYTES;
	memcpy(rec.ustack, data, len);
	/* the length field is the BPF side's word, not the bytes copied */
	rec.ustack_len = (mode & 16) ? (__u32)(mode >> 32) : (__u32)len;
	rec.ustack_err = (mode & 32) ? -14 : 0;
	unwinder__unwind(u, &rec, frames, 64);
	(void)here;
	return 0;
}
