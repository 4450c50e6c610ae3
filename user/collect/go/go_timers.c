// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "collect/go/go_timers.h"

/* runtime.hchan: qcount, dataqsiz, buf, elemsize (uint16), closed (uint32),
 * then timer (*timer, Go 1.23+) or elemtype */
#define HCHAN_DATAQSIZ	8
#define HCHAN_ELEMSIZE	24
#define HCHAN_TIMER	32
#define TIME_SIZE	24	/* time.Time: wall, ext, loc */

enum timer_chan {
	NOT_TIMER,
	TIMER_SHAPE,	/* shaped as a timer's channel: running or stopped, unknown */
	TIMER_RUNNING,	/* hchan.timer with a when: it fires */
	TIMER_STOPPED,	/* hchan.timer, when 0: Stop()ped, it never fires again */
};

static enum timer_chan timer_chan(go_mem_read_fn read, const void *ctx, bool hchan_timer,
				  uint32_t when_off, uint64_t c)
{
	uint8_t h[HCHAN_TIMER + 8];
	uint64_t dataqsiz, timer;
	uint16_t elemsize;
	int64_t when;

	if (!c || c % 8 || read(ctx, c, h, sizeof(h)))
		return NOT_TIMER;
	memcpy(&dataqsiz, h + HCHAN_DATAQSIZ, sizeof(dataqsiz));
	memcpy(&elemsize, h + HCHAN_ELEMSIZE, sizeof(elemsize));
	memcpy(&timer, h + HCHAN_TIMER, sizeof(timer));
	/* GODEBUG asynctimerchan=1 (the default of a module older than Go
	 * 1.23) leaves hchan.timer nil: the channel's shape still tells */
	if (hchan_timer && timer) {
		if (!when_off || timer % 8 || read(ctx, timer + when_off, &when, sizeof(when)))
			return TIMER_SHAPE;
		return when > 0 ? TIMER_RUNNING : TIMER_STOPPED;
	}
	return dataqsiz == 1 && elemsize == TIME_SIZE ? TIMER_SHAPE : NOT_TIMER;
}

size_t go_wait_channels(go_mem_read_fn read, const void *ctx, const struct go_offsets *o,
			uint64_t sudog, uint64_t *chans, size_t max)
{
	size_t n = 0;

	while (sudog && n < max) {
		uint64_t c, next;

		if (sudog % 8 || read(ctx, sudog + o->sudog_c, &c, sizeof(c)) ||
		    read(ctx, sudog + o->sudog_waitlink, &next, sizeof(next)))
			break;
		if (c)
			chans[n++] = c;
		sudog = next;
	}
	return n;
}

bool go_wait_has_timer(go_mem_read_fn read, const void *ctx, bool hchan_timer,
		       uint32_t when_off, const uint64_t *chans, size_t n, bool running_only)
{
	for (size_t k = 0; k < n; k++) {
		enum timer_chan kind = timer_chan(read, ctx, hchan_timer, when_off, chans[k]);

		if (kind == TIMER_RUNNING || (kind == TIMER_SHAPE && !running_only))
			return true;
	}
	return false;
}
