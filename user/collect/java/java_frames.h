/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Java frames of a parked JavaThread, read from outside: the walk starts
 * at its frame anchor (_last_Java_sp/fp/pc, set while it runs VM or native
 * code) and follows interpreted frames (Method* and bcp in the frame, the
 * line from the method's line number table) and compiled ones (code
 * cache segment map -> nmethod -> Method*, frame size; inlined scopes are
 * not read: the outer method is named, without a line) up to the entry
 * frame (the call stub). */
#ifndef LT_JAVA_FRAMES_H
#define LT_JAVA_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/java/hotspot.h"
#include "collect/java/vmstructs.h"

#define JAVA_MAX_FRAMES		64

/* One Java frame: "pkg.Class.method", "File.java", line (0 = unknown:
 * compiled code). A stub is "[java stub NAME]" with no file. */
struct java_frame {
	char function[160];
	char file[96];
	uint32_t line;
};

/* What the walk needs beyond struct hotspot, from the same tables. */
struct java_frame_offsets {
	int64_t jt_anchor, anchor_sp, anchor_pc, anchor_fp;
	uint64_t interp_lo, interp_hi;		/* the template interpreter's code */
	uint64_t cache_lo, cache_hi;		/* the whole code cache */
	uint64_t heaps;				/* GrowableArray<CodeHeap*>* */
	int64_t ga_len, ga_data;
	int64_t heap_memory, heap_segmap, heap_log2, vs_low, vs_high, heap_block;
	int64_t blob_name, blob_frame_size, nm_method;
	uint64_t call_stub_return;		/* the entry frame's return address */
	int64_t method_const, cm_constants, cm_name, cm_flags, cm_code_size, cm_size;
	int64_t cp_holder, cp_size, cp_source, ik_source;
	int64_t has_line_table;			/* the ConstMethod flag */
	int unsigned5_excluded;			/* 1 from JDK 20: no 0 bytes */
};

/* 0, or -ENOENT when a piece the walk needs is not in this build. */
int java_frames_init(struct java_frame_offsets *fo, const struct hotspot *hs,
		     const struct vmstructs *vs);

/* Whether addr is in the code cache (interpreter, stubs, nmethods). */
bool java_frames_in_code(const struct java_frame_offsets *fo, uint64_t addr);

/* Walk the Java frames of the JavaThread at jt into out[0..max), innermost
 * first. Returns the count (>= 1), or -ENODATA (no Java frame: the anchor
 * is clear), -EFAULT (a read failed: the thread ran, or garbage). *why is a
 * static reason on failure. */
int java_frames_walk(const struct hotspot *hs, const struct java_frame_offsets *fo, uint64_t jt,
		     struct java_frame *out, int max, const char **why);

/* The line of bci in a line number table (JDK 17's or 20+'s UNSIGNED5
 * encoding), 0 when not found. Pure: for the fuzz harness. */
int java_line_of(const uint8_t *table, size_t len, int bci, int excluded_byte);

#endif
