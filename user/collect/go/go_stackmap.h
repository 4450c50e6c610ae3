/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which words of a parked goroutine's stack the Go GC itself would scan:
 * the frames unwound from its saved pc and sp with the binary's pcsp
 * tables, and in each frame only the slots its stack maps say are live at
 * the call it is parked in (FUNCDATA_LocalsPointerMaps and
 * FUNCDATA_ArgsPointerMaps at PCDATA_StackMapIndex, as runtime/stkframe.go
 * getStackMap reads them), plus its address-taken locals
 * (FUNCDATA_StackObjects) whole. A slot not written yet by the goroutine
 * that runs there now may hold a stale pointer of an older goroutine
 * (stacks are reused): left out, it no longer makes a dead channel or
 * lock look reachable.
 *
 * Precision may only remove dead words: anything uncertain about a frame
 * (no function, no map, an index out of range, assembly, a preempted or
 * panicking frame, sizes out of bounds) makes that frame and every frame
 * above it conservative (every word), and a stack whose unwind does not
 * end at the goroutine's bottom frame (runtime.goexit) is conservative
 * whole. The pclntab and funcdata are foreign data: every read is bounded.
 */
#ifndef GO_STACKMAP_H
#define GO_STACKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "collect/go/go_binary.h"

#define GO_STACKMAP_MAX_FRAMES	4096

struct go_stackmap_stats {
	uint64_t stacks, stacks_whole;	/* stacks mapped; of those conservative whole */
	uint64_t frames_precise, frames_conservative;
	uint64_t words, words_live;	/* stack words seen; of those kept */
};

/*
 * A parked goroutine (pc, sp from g.sched, runtime addresses; bias: runtime
 * minus link-time addresses) whose stack [sp, sp + len) was read into
 * stack: sets in live (one bit per 8-byte word, (len / 8 + 7) / 8 bytes,
 * cleared by the caller) the words that may hold a live pointer. Returns
 * how many frames were mapped precisely (0: all conservative).
 */
int go_stackmap__live_words(const struct go_binary *b, uint64_t bias, uint64_t pc, uint64_t sp,
			    const uint8_t *stack, size_t len, uint8_t *live,
			    struct go_stackmap_stats *st);

#endif /* GO_STACKMAP_H */
