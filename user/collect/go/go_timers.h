/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Whether a parked goroutine's channel wait has a timer for a waker: a
 * select with a case on a time.Timer/Ticker channel (time.After,
 * time.NewTimer, time.NewTicker). The runtime timer
 * behind such a channel fires and sends (or, since Go 1.23, readies the
 * channel): the goroutine wakes by itself, whoever else is gone. */
#ifndef LT_GO_TIMERS_H
#define LT_GO_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/go/go_offsets.h"

/* Reads len bytes of the target at addr; 0 or -errno. */
typedef int (*go_mem_read_fn)(const void *ctx, uint64_t addr, void *buf, size_t len);

/* The channels of the sudogs of g.waiting (linked by waitlink): one per
 * case of a select, one for a plain send or receive. At most max (a select
 * has at most GO_WAIT_CHANS_MAX cases read); the count. */
#define GO_WAIT_CHANS_MAX 16
size_t go_wait_channels(go_mem_read_fn read, const void *ctx, const struct go_offsets *o,
			uint64_t sudog, uint64_t *chans, size_t max);

/* Is one of chans[0..n) a timer's channel? hchan_timer: the runtime's
 * hchan has its `timer` field (Go 1.23 and later), set on a timer's channel
 * unless GODEBUG asynctimerchan=1; else a timer's channel is told by its
 * shape, `make(chan Time, 1)` as package time makes it: capacity 1,
 * element size 24 (time.Time). A heuristic there: a program's own channel
 * of that shape looks the same. With hchan.timer and when_off (the offset
 * of runtime.timer.when, 0 = unknown), a stopped timer (when 0) is no
 * waker. running_only: only a timer known to run counts (a plain receive:
 * ranging over a stopped Ticker blocks forever, its shape unchanged). */
bool go_wait_has_timer(go_mem_read_fn read, const void *ctx, bool hchan_timer,
		       uint32_t when_off, const uint64_t *chans, size_t n, bool running_only);

#endif
