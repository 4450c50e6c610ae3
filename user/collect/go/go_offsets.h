/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the fields of the Go runtime's struct g and struct sudog live, for
 * the Go version of one binary: read from DWARF when the binary has it,
 * else from a table per Go version (amd64), every row checked against the
 * DWARF of a real toolchain (tests/matrix/test_go_toolchains.py). The table
 * also keeps each version's wait reason names, a fallback for binaries whose
 * own runtime.waitReasonStrings cannot be read (go_binary__wait_reasons).
 * Pure logic plus libdw: no kernel, no skeleton.
 */
#ifndef GO_OFFSETS_H
#define GO_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Goroutine states (runtime2.go), stable since Go 1.0; scan bit masked off. */
enum go_gstatus {
	GO_G_IDLE = 0,
	GO_G_RUNNABLE = 1,
	GO_G_RUNNING = 2,
	GO_G_SYSCALL = 3,
	GO_G_WAITING = 4,
	GO_G_DEAD = 6,
	GO_G_COPYSTACK = 8,
	GO_G_PREEMPTED = 9,
	GO_G_STATUS_MAX = 9,
	GO_G_LEAKED = 10,	/* Go 1.26+: caught by the runtime's leak detector */
	GO_G_SCAN = 0x1000,
};

struct go_offsets {
	char source[64];	/* "DWARF" or "table go1.21" */
	/* struct g */
	uint32_t stack_lo, stack_hi;
	uint32_t sched_sp, sched_pc, sched_bp;
	uint32_t atomicstatus;	/* u32 */
	uint32_t goid;		/* int64 (uint64 since 1.20) */
	uint32_t waitsince;	/* int64 nanotime, set lazily by the GC; 0 = absent */
	uint32_t waitreason;	/* u8 */
	uint32_t gopc, startpc;
	uint32_t waiting;	/* *sudog: the channel waits of a parked g */
	/*
	 * u8 the runtime increments on every transition out of _Grunning
	 * (casgstatus, since Go 1.17; 1.26 also out of _Gsyscall): a g woken
	 * and parked again at the same place has a new value.
	 */
	uint32_t tracking_seq;
	/* struct sudog */
	uint32_t sudog_g, sudog_next, sudog_prev, sudog_elem;
	uint32_t sudog_parent, sudog_waitlink, sudog_c;
	/* runtime.timer.when: 0 once stopped (Go 1.23+, where hchan.timer
	 * points to it); 0 = not known (1.25 without DWARF) */
	uint32_t timer_when;
	uint32_t read_size;	/* bytes of a g to read to cover all the g fields */
	const char *const *wait_reasons;
	unsigned n_wait_reasons;
};

/* The 8-byte field at off of a runtime struct read into buf. */
static inline uint64_t go_field64(const uint8_t *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/*
 * Fills o from the table for Go major.minor. Returns 0, or -ENOTSUP for a
 * version outside the table (the message names the supported range).
 */
int go_offsets__from_table(int major, int minor, struct go_offsets *o, char *err, size_t errlen);

/* The newest row, for a version newer than the table: to be verified by the caller. */
void go_offsets__newest(struct go_offsets *o);
/* True when major.minor is newer than every row of the table. */
bool go_offsets__is_newer(int major, int minor);

/*
 * Fills the field offsets of o from the DWARF of the binary at path (the
 * wait reasons still come from the table, so call from_table first when
 * the version is known). -ENOENT without DWARF or without runtime.g.
 */
int go_offsets__from_dwarf(const char *path, struct go_offsets *o);

/*
 * Compares every field offset of a and b: the number that differ, listed in
 * buf as "goid 152/160, ..." (a's value first).
 */
int go_offsets__compare(const struct go_offsets *a, const struct go_offsets *b, char *buf,
			size_t buflen);

/*
 * Compares o's wait reason names with names[0..n): 0 when identical, else
 * the number of differences, the first described in buf.
 */
int go_offsets__compare_wait_reasons(const struct go_offsets *o, const char *const *names,
				     unsigned n, char *buf, size_t buflen);

/* The runtime's words for a waitReason byte, "unknown wait reason N" if none. */
const char *go_offsets__wait_reason(const struct go_offsets *o, unsigned reason, char *buf,
				    size_t buflen);

/* Go versions the table knows: "go1.19 to go1.27". */
const char *go_offsets__supported(void);

/*
 * Where the runtime keeps its heap and globals (collect/go/go_heap.c): the
 * mheap_ fields that lead to spans, struct mspan, struct moduledata and the
 * wait objects the reachability pass reads (collect/go/go_reach.c). From
 * DWARF when the binary has it, else a table per Go version (each row read
 * from the DWARF of that toolchain's binaries; 1.20 and 1.25 have no
 * toolchain here and are refused without DWARF).
 */
struct go_heap_offsets {
	char source[32];	/* "DWARF" or "table go1.21" */
	uint32_t mheap_allspans;	/* []*mspan */
	uint32_t span_start, span_npages, span_freeindex, span_nelems;
	uint8_t span_index_size;	/* freeindex, nelems: 8 (uintptr) or 2 (uint16, 1.22+) */
	uint32_t span_allocbits, span_spanclass, span_state, span_elemsize, span_limit;
	uint32_t span_specials;	/* *special list: finalizers, cleanups */
	uint32_t special_kind, special_offset; /* u8, u16 */
	uint32_t specialfinalizer_fn;
	uint32_t md_data, md_edata, md_bss, md_ebss, md_next;
	/* sudog.c and sudog.elem are maybeTraceablePtr{vp, vu} since 1.26: the
	 * uintptr copy (vu) survives the runtime's own leak-detection cycle */
	uint32_t sudog_c_word, sudog_elem_word;
	uint32_t cond_notify;	/* sync.Cond.notify (runtime notifyList) */
	uint32_t notify_head;	/* notifyList.head *sudog */
	/* p.wbBuf: the write barrier's buffer of pointers seen during the last
	 * GC, stale afterwards: not scanned */
	uint32_t p_wbbuf, p_wbbuf_size;
};

/* Fills h from the table for Go 1.minor; -ENOTSUP without a row. */
int go_heap_offsets__from_table(int minor, struct go_heap_offsets *h);
/* Fills h from the DWARF of the binary at path; -ENOENT without it. */
int go_heap_offsets__from_dwarf(const char *path, struct go_heap_offsets *h);
/* Like go_offsets__compare, for heap offsets. */
int go_heap_offsets__compare(const struct go_heap_offsets *a, const struct go_heap_offsets *b,
			     char *buf, size_t buflen);

#endif /* GO_OFFSETS_H */
