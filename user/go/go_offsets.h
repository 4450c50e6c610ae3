/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the fields of the Go runtime's struct g live, and what its
 * waitReason bytes mean, for the Go version of one binary: read from DWARF
 * when the binary has it, else from a table per Go version (amd64).
 * Pure logic plus libdw: no kernel, no skeleton.
 */
#ifndef GO_OFFSETS_H
#define GO_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	GO_G_SCAN = 0x1000,
};

struct go_offsets {
	char source[48];	/* "DWARF" or "table go1.21 (tested)" */
	uint32_t stack_lo, stack_hi;
	uint32_t sched_sp, sched_pc, sched_bp;
	uint32_t atomicstatus;	/* u32 */
	uint32_t goid;		/* int64 (uint64 since 1.20) */
	uint32_t waitsince;	/* int64 nanotime, set lazily by the GC */
	uint32_t waitreason;	/* u8 */
	uint32_t gopc, startpc;
	uint32_t read_size;	/* bytes of a g to read to cover all the above */
	const char *const *wait_reasons;
	unsigned n_wait_reasons;
};

/*
 * Fills o from the table for Go major.minor. Returns 0, or -ENOTSUP for a
 * version outside the table (the message names the supported range).
 */
int go_offsets__from_table(int major, int minor, struct go_offsets *o, char *err, size_t errlen);

/*
 * Fills the field offsets of o from the DWARF of the binary at path (the
 * wait reasons still come from the table, so call from_table first when
 * the version is known). -ENOENT without DWARF or without runtime.g.
 */
int go_offsets__from_dwarf(const char *path, struct go_offsets *o);

/* The runtime's words for a waitReason byte, "unknown wait reason N" if none. */
const char *go_offsets__wait_reason(const struct go_offsets *o, unsigned reason, char *buf,
				    size_t buflen);

/* Go versions the table knows: "go1.19 to go1.26". */
const char *go_offsets__supported(void);

#endif /* GO_OFFSETS_H */
