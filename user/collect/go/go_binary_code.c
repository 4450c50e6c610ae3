// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Machine code of a Go executable: where an entry probe goes, which data a
 * function references (rip-relative operands), the candidates for
 * runtime.allgs in a stripped binary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "collect/go/go_binary_impl.h"
#include "util/array.h"

int go_binary__probe_addr(const struct go_binary *b, const char *func, uint64_t *addr, bool *cheap)
{
	uint8_t code[16];
	uint64_t entry, size;
	size_t i = 0;
	int err = go_binary__func(b, func, &entry, &size);

	if (err)
		return err;
	*addr = entry;
	*cheap = false;
	if (go_binary__read(b, entry, code, sizeof(code)))
		return 0;
	/* large frames first compute the new sp: lea -N(%rsp),%r12 */
	if (code[0] == 0x4c && code[1] == 0x8d && code[2] == 0x64 && code[3] == 0x24)
		i = 5;
	else if (code[0] == 0x4c && code[1] == 0x8d && code[2] == 0xa4 && code[3] == 0x24)
		i = 8;
	/* cmp 0x10(%r14),%rsp or %r12 */
	if ((code[i] != 0x49 && code[i] != 0x4d) || code[i + 1] != 0x3b || code[i + 2] != 0x66 ||
	    code[i + 3] != 0x10)
		return 0;
	i += 4;
	if (code[i] == 0x76 || (code[i] == 0x0f && code[i + 1] == 0x86)) {
		*addr = entry + i;
		*cheap = true;
	}
	return 0;
}

/*
 * Length of the immediate after a [REX] opcode modrm(rip+disp32) form, or -1
 * when the opcode is not one of the memory forms the Go compiler emits for
 * global variables (mov, lea, cmp, add, sub, test, xchg and their imm forms).
 */
static int rip_form_imm(uint8_t op)
{
	switch (op) {
	case 0x8b: case 0x89: case 0x8d: case 0x39: case 0x3b: case 0x01: case 0x03:
	case 0x29: case 0x2b: case 0x85: case 0x87: case 0x88: case 0x8a:
		return 0;
	case 0x80: case 0x83: case 0xc6:
		return 1;
	case 0x81: case 0xc7:
		return 4;
	}
	return -1;
}

int go_binary__data_refs(const struct go_binary *b, const char *func, uint64_t *out, int max)
{
	uint64_t entry, size;
	uint8_t *code;
	int n = 0, uniq = 0, err = go_binary__func(b, func, &entry, &size);

	if (err)
		return err;
	if (size == 0 || size > 1 << 20)
		return -EINVAL;
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	if (go_binary__read(b, entry, code, size)) {
		free(code);
		return -ERANGE;
	}
	/*
	 * No full decoder: try every byte as an instruction start; a false
	 * match rarely lands in writable data, and callers validate anyway.
	 */
	for (uint64_t i = 0; i + 6 <= size && n < max; i++) {
		uint64_t p = i, target;
		int imm;

		if ((code[p] & 0xf0) == 0x40)
			p++;
		if (p + 6 > size || (imm = rip_form_imm(code[p])) < 0)
			continue;
		if ((code[p + 1] & 0xc7) != 0x05 || p + 6 + imm > size)
			continue;
		target = entry + p + 6 + imm + (int64_t)(int32_t)rd32(code + p + 2);
		if (go_binary__is_writable_data(b, target))
			out[n++] = target;
	}
	free(code);
	qsort(out, n, sizeof(*out), cmp_u64);
	for (int i = 0; i < n; i++)
		if (!uniq || out[uniq - 1] != out[i])
			out[uniq++] = out[i];
	return uniq;
}

static bool in_sorted(const uint64_t *v, int n, uint64_t x)
{
	return sorted_find(v, n, sizeof(*v), &x, cmp_u64) != NULL;
}

int go_binary__allgs_candidates(const struct go_binary *b, uint64_t *out, int max)
{
	uint64_t refs[256];
	int n = go_binary__data_refs(b, "runtime.allgadd", refs, 256), k = 0;

	if (n < 0)
		return n;
	/* append(allgs, gp) touches ptr, len and cap of the slice header */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n && k < max; i++) {
			bool triple = in_sorted(refs, n, refs[i] + 8) &&
				      in_sorted(refs, n, refs[i] + 16);

			if (refs[i] % 8 == 0 && triple == (pass == 0))
				out[k++] = refs[i];
		}
	}
	return k;
}
