// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collect/java/java_frames.h"

#define SEGMAP_STEPS	4096	/* bound on a segment map walk */
#define LINE_TABLE_MAX	2048	/* bytes of a line number table read */

static int64_t off2(const struct vmstructs *vs, const char *t1, const char *t2, const char *f)
{
	int64_t o = vmstructs__offset(vs, t1, f);

	return o >= 0 || !t2 ? o : vmstructs__offset(vs, t2, f);
}

static void code_ranges(struct java_frame_offsets *fo, const struct hotspot *hs,
			const struct vmstructs *vs)
{
	uint64_t code = java_read_u64(&hs->mem, vmstructs__address(vs, "AbstractInterpreter", "_code"));
	int64_t buf = vmstructs__offset(vs, "StubQueue", "_stub_buffer");
	int64_t lim = vmstructs__offset(vs, "StubQueue", "_buffer_limit");
	uint64_t lo = vmstructs__address(vs, "CodeCache", "_low_bound");
	uint64_t hi = vmstructs__address(vs, "CodeCache", "_high_bound");

	if (code && buf >= 0 && lim >= 0) {
		fo->interp_lo = java_read_u64(&hs->mem, code + buf);
		fo->interp_hi = fo->interp_lo + java_read_u32(&hs->mem, code + lim);
	}
	fo->cache_lo = lo ? java_read_u64(&hs->mem, lo) : 0;
	fo->cache_hi = hi ? java_read_u64(&hs->mem, hi) : 0;
	fo->heaps = java_read_u64(&hs->mem, vmstructs__address(vs, "CodeCache", "_heaps"));
	fo->call_stub_return = java_read_u64(&hs->mem, vmstructs__address(vs, "StubRoutines",
									  "_call_stub_return_address"));
}

static void method_offsets(struct java_frame_offsets *fo, const struct vmstructs *vs)
{
	fo->method_const = vmstructs__offset(vs, "Method", "_constMethod");
	fo->cm_constants = vmstructs__offset(vs, "ConstMethod", "_constants");
	fo->cm_name = vmstructs__offset(vs, "ConstMethod", "_name_index");
	fo->cm_flags = off2(vs, "ConstMethod", NULL, "_flags");
	if (fo->cm_flags < 0)
		fo->cm_flags = vmstructs__offset(vs, "ConstMethod", "_flags._flags");
	fo->cm_code_size = vmstructs__offset(vs, "ConstMethod", "_code_size");
	fo->cm_size = vmstructs__size(vs, "ConstMethod");
	fo->cp_holder = vmstructs__offset(vs, "ConstantPool", "_pool_holder");
	fo->cp_size = vmstructs__size(vs, "ConstantPool");
	fo->cp_source = vmstructs__offset(vs, "ConstantPool", "_source_file_name_index");
	fo->ik_source = vmstructs__offset(vs, "InstanceKlass", "_source_file_name_index");
	if (!vmstructs__constant(vs, "ConstMethod::_has_linenumber_table", &fo->has_line_table) &&
	    !vmstructs__constant(vs, "ConstMethodFlags::_misc_has_linenumber_table",
				 &fo->has_line_table))	/* 21+ */
		fo->has_line_table = 0;
}

int java_frames_init(struct java_frame_offsets *fo, const struct hotspot *hs,
		     const struct vmstructs *vs)
{
	uint64_t major = vmstructs__address(vs, "Abstract_VM_Version", "_vm_major_version");

	memset(fo, 0, sizeof(*fo));
	fo->jt_anchor = off2(vs, "JavaThread", "Thread", "_anchor");
	fo->anchor_sp = vmstructs__offset(vs, "JavaFrameAnchor", "_last_Java_sp");
	fo->anchor_pc = vmstructs__offset(vs, "JavaFrameAnchor", "_last_Java_pc");
	fo->anchor_fp = vmstructs__offset(vs, "JavaFrameAnchor", "_last_Java_fp");
	fo->ga_len = vmstructs__offset(vs, "GrowableArrayBase", "_len");
	fo->ga_data = vmstructs__offset(vs, "GrowableArray<int>", "_data");
	fo->heap_memory = vmstructs__offset(vs, "CodeHeap", "_memory");
	fo->heap_segmap = vmstructs__offset(vs, "CodeHeap", "_segmap");
	fo->heap_log2 = vmstructs__offset(vs, "CodeHeap", "_log2_segment_size");
	fo->vs_low = vmstructs__offset(vs, "VirtualSpace", "_low");
	fo->vs_high = vmstructs__offset(vs, "VirtualSpace", "_high");
	fo->heap_block = vmstructs__size(vs, "HeapBlock");
	fo->blob_name = vmstructs__offset(vs, "CodeBlob", "_name");
	fo->blob_frame_size = vmstructs__offset(vs, "CodeBlob", "_frame_size");
	fo->nm_method = off2(vs, "nmethod", "CompiledMethod", "_method");
	code_ranges(fo, hs, vs);
	method_offsets(fo, vs);
	fo->unsigned5_excluded = major && (int32_t)java_read_u32(&hs->mem, major) >= 20;
	if (fo->jt_anchor < 0 || fo->anchor_sp < 0 || fo->anchor_pc < 0 || fo->anchor_fp < 0 ||
	    !fo->interp_lo || fo->method_const < 0 || fo->cm_constants < 0 || fo->cm_name < 0 ||
	    fo->cp_holder < 0 || fo->cp_size <= 0 || fo->cm_size <= 0)
		return -ENOENT;
	return 0;
}

bool java_frames_in_code(const struct java_frame_offsets *fo, uint64_t addr)
{
	return (addr >= fo->cache_lo && addr < fo->cache_hi) ||
	       (addr >= fo->interp_lo && addr < fo->interp_hi);
}

/* One UNSIGNED5 number (code/unsigned5.hpp; JDK 17's CompressedReadStream
 * is the same with no excluded byte): -1 at the end or on garbage. */
static int64_t read_u5(const uint8_t *p, size_t len, size_t *i, int x)
{
	const unsigned l = 256 - 64 - (unsigned)x;
	uint64_t sum = 0;

	for (int k = 0, shift = 0; k < 5; k++, shift += 6) {
		unsigned b;

		if (*i >= len || p[*i] < x)
			return -1;
		b = p[(*i)++] - (unsigned)x;
		sum += (uint64_t)b << shift;
		if (b < l)
			break;
	}
	return (int64_t)(sum & 0xffffffff);
}

static int32_t signed_u5(int64_t v)
{
	uint32_t u = (uint32_t)v;

	return (int32_t)((u >> 1) ^ -(u & 1));
}

int java_line_of(const uint8_t *t, size_t len, int bci, int x)
{
	int64_t cur_bci = 0, line = 0, found = 0;
	size_t i = 0;

	/* garbage deltas add up: 64-bit sums, cut at 65535 (a method's bytecode) */
	while (i < len && cur_bci >= 0 && cur_bci <= 65535 && line >= 0 && line <= INT32_MAX) {
		uint8_t b = t[i++];

		if (b == 0)
			break;
		if (b == 0xff) {
			int64_t db = read_u5(t, len, &i, x), dl = read_u5(t, len, &i, x);

			if (db < 0 || dl < 0)
				break;
			cur_bci += signed_u5(db);
			line += signed_u5(dl);
		} else {
			cur_bci += b >> 3;
			line += b & 7;
		}
		if (cur_bci > bci)
			break;
		found = line;
	}
	return found > 0 && found <= INT32_MAX ? (int)found : 0;
}

/* The Symbol at constant pool index idx, into buf. */
static bool cp_symbol(const struct hotspot *hs, const struct java_frame_offsets *fo, uint64_t cp,
		      uint16_t idx, char *buf, size_t len)
{
	uint64_t sym = java_read_u64(&hs->mem, cp + fo->cp_size + 8ull * idx) & ~1ull;
	uint16_t n;

	if (!sym || java_read(&hs->mem, sym + hs->sym_length, &n, 2) || !n)
		return false;
	if (n >= len)
		n = (uint16_t)(len - 1);
	if (java_read(&hs->mem, sym + hs->sym_body, buf, n))
		return false;
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return true;
}

/* The line of bcp in method cm's table; 0 when unknown. */
static int method_line(const struct hotspot *hs, const struct java_frame_offsets *fo, uint64_t cm,
		       uint64_t bcp)
{
	uint8_t table[LINE_TABLE_MAX];
	uint64_t code = cm + (uint64_t)fo->cm_size, end;
	uint16_t size, flags;
	size_t len = sizeof(table);

	if (fo->cm_flags < 0 || fo->cm_code_size < 0 || !fo->has_line_table ||
	    java_read(&hs->mem, cm + fo->cm_flags, &flags, 2) || !(flags & fo->has_line_table) ||
	    java_read(&hs->mem, cm + fo->cm_code_size, &size, 2) || bcp < code || bcp >= code + size)
		return 0;
	end = code + size;
	/* the table may end its mapping: then read up to the page end */
	if (java_read(&hs->mem, end, table, len)) {
		len = 4096 - (end & 4095);
		if (java_read(&hs->mem, end, table, len))
			return 0;
	}
	return java_line_of(table, len, (int)(bcp - code), fo->unsigned5_excluded);
}

/* Class, method, file and line; bcp 0: no line (compiled). */
static bool method_frame(const struct hotspot *hs, const struct java_frame_offsets *fo,
			 uint64_t method, uint64_t bcp, struct java_frame *out)
{
	uint64_t cm = java_read_u64(&hs->mem, method + fo->method_const), cp, holder;
	char cls[96] = "?", name[60];
	uint16_t idx;

	if (!cm || !(cp = java_read_u64(&hs->mem, cm + fo->cm_constants)) ||
	    java_read(&hs->mem, cm + fo->cm_name, &idx, 2) || !cp_symbol(hs, fo, cp, idx, name, sizeof(name)))
		return false;
	holder = java_read_u64(&hs->mem, cp + fo->cp_holder);
	hotspot_klass_name(hs, holder, cls, sizeof(cls));
	out->file[0] = '\0';
	if (fo->cp_source >= 0 && !java_read(&hs->mem, cp + fo->cp_source, &idx, 2))
		cp_symbol(hs, fo, cp, idx, out->file, sizeof(out->file));
	else if (fo->ik_source >= 0 && holder && !java_read(&hs->mem, holder + fo->ik_source, &idx, 2))
		cp_symbol(hs, fo, cp, idx, out->file, sizeof(out->file));
	out->line = bcp ? (uint32_t)method_line(hs, fo, cm, bcp) : 0;
	snprintf(out->function, sizeof(out->function), "%s.%s", cls, name);
	return true;
}

/* The CodeBlob holding pc: its heap's segment map walked back to the
 * block start (otel's hotspot_find_codeblob). 0 when none. */
static uint64_t find_blob(const struct hotspot *hs, const struct java_frame_offsets *fo, uint64_t pc)
{
	uint32_t n = fo->heaps && fo->ga_len >= 0 ? java_read_u32(&hs->mem, fo->heaps + fo->ga_len) : 0;
	uint64_t data = n && fo->ga_data >= 0 ? java_read_u64(&hs->mem, fo->heaps + fo->ga_data) : 0;

	for (uint32_t h = 0; data && h < n && h < 8; h++) {
		uint64_t heap = java_read_u64(&hs->mem, data + 8ull * h);
		uint64_t lo = java_read_u64(&hs->mem, heap + fo->heap_memory + fo->vs_low);
		uint64_t hi = java_read_u64(&hs->mem, heap + fo->heap_memory + fo->vs_high);
		uint64_t map = java_read_u64(&hs->mem, heap + fo->heap_segmap + fo->vs_low);
		uint32_t log2 = java_read_u32(&hs->mem, heap + fo->heap_log2);
		uint64_t seg;

		if (!heap || pc < lo || pc >= hi || !map || log2 > 20)
			continue;
		seg = (pc - lo) >> log2;
		for (int k = 0; k < SEGMAP_STEPS; k++) {
			uint8_t tag;

			if (java_read(&hs->mem, map + seg, &tag, 1) || tag == 0xff)
				return 0;
			if (tag == 0)
				return lo + (seg << log2) + (uint64_t)fo->heap_block;
			if (tag > seg)
				return 0;
			seg -= tag;
		}
		return 0;
	}
	return 0;
}

struct walk {
	uint64_t sp, fp, pc;
};

/* A compiled frame at w: named, and w moved to its caller. */
static int compiled_frame(const struct hotspot *hs, const struct java_frame_offsets *fo,
			  struct walk *w, struct java_frame *out, const char **why)
{
	uint64_t blob = find_blob(hs, fo, w->pc), name_ptr, method;
	int32_t size;
	char kind[48] = "";

	if (!blob) {
		*why = "pc in no code blob";
		return -EFAULT;
	}
	name_ptr = java_read_u64(&hs->mem, blob + fo->blob_name);
	if (name_ptr)
		java_read(&hs->mem, name_ptr, kind, sizeof(kind) - 1);
	size = (int32_t)java_read_u32(&hs->mem, blob + fo->blob_frame_size);
	if (!strncmp(kind, "nmethod", 7) || !strncmp(kind, "native nmethod", 14)) {
		method = fo->nm_method >= 0 ? java_read_u64(&hs->mem, blob + fo->nm_method) : 0;
		if (!method || !method_frame(hs, fo, method, 0, out))
			*out = (struct java_frame){ .function = "[compiled java]" };
	} else {
		for (char *p = kind; *p; p++)
			*p = (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ? '?' : *p;
		*out = (struct java_frame){ 0 };
		snprintf(out->function, sizeof(out->function), "[java stub %s]", kind[0] ? kind : "?");
	}
	if (size <= 0 || size > 4096) {
		*why = "compiled frame without a size";
		return -EFAULT;
	}
	w->sp += 8ull * (uint64_t)size;
	w->pc = java_read_u64(&hs->mem, w->sp - 8);
	w->fp = java_read_u64(&hs->mem, w->sp - 16);
	return 0;
}

/* An interpreted frame at w (x86_64 frame_x86.hpp: fp[-3] Method*,
 * fp[-8] bcp, fp[0] caller's fp, fp[1] return pc, fp[-1] sender sp). */
static int interpreted_frame(const struct hotspot *hs, const struct java_frame_offsets *fo,
			     struct walk *w, struct java_frame *out, const char **why)
{
	uint64_t slots[10];

	if (!w->fp || java_read(&hs->mem, w->fp - 64, slots, sizeof(slots))) {
		*why = "interpreter frame unreadable";
		return -EFAULT;
	}
	/* slots[8] = fp[0], [9] = fp[1], [7] = fp[-1], [5] = fp[-3], [0] = fp[-8] */
	if (!method_frame(hs, fo, slots[5], slots[0], out)) {
		*why = "interpreted method unreadable";
		return -EFAULT;
	}
	w->sp = slots[7];
	w->pc = slots[9];
	w->fp = slots[8];
	return 0;
}

int java_frames_walk(const struct hotspot *hs, const struct java_frame_offsets *fo, uint64_t jt,
		     struct java_frame *out, int max, const char **why)
{
	uint64_t a = jt + (uint64_t)fo->jt_anchor;
	struct walk w = { java_read_u64(&hs->mem, a + fo->anchor_sp),
			  java_read_u64(&hs->mem, a + fo->anchor_fp),
			  java_read_u64(&hs->mem, a + fo->anchor_pc) };
	int n = 0, err = 0;

	*why = "no Java frame (anchor clear)";
	if (!w.sp)
		return -ENODATA;
	if (!w.pc)
		w.pc = java_read_u64(&hs->mem, w.sp - 8);
	while (n < max && w.pc && w.pc != fo->call_stub_return) {
		if (w.pc >= fo->interp_lo && w.pc < fo->interp_hi)
			err = interpreted_frame(hs, fo, &w, &out[n], why);
		else if (w.pc >= fo->cache_lo && w.pc < fo->cache_hi)
			err = compiled_frame(hs, fo, &w, &out[n], why);
		else
			break;	/* native code: the segment ends */
		if (err)
			return n ? n : err;
		n++;
	}
	if (!n)
		*why = "no Java frame at the anchor";
	return n ? n : -ENODATA;
}
