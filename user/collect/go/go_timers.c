// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "collect/go/go_timers.h"

/* runtime.hchan: qcount, dataqsiz, buf, elemsize (uint16), closed (uint32),
 * then timer (*timer, Go 1.23+) or elemtype */
#define HCHAN_DATAQSIZ	8
#define HCHAN_ELEMSIZE	24
#define HCHAN_TIMER	32
#define TIME_SIZE	24	/* time.Time: wall, ext, loc */

static bool timer_chan(go_mem_read_fn read, const void *ctx, bool hchan_timer, uint64_t c)
{
	uint8_t h[HCHAN_TIMER + 8];
	uint64_t dataqsiz, timer;
	uint16_t elemsize;

	if (!c || c % 8 || read(ctx, c, h, sizeof(h)))
		return false;
	memcpy(&dataqsiz, h + HCHAN_DATAQSIZ, sizeof(dataqsiz));
	memcpy(&elemsize, h + HCHAN_ELEMSIZE, sizeof(elemsize));
	memcpy(&timer, h + HCHAN_TIMER, sizeof(timer));
	/* GODEBUG asynctimerchan=1 (the default of a module older than Go
	 * 1.23) leaves hchan.timer nil: the channel's shape still tells */
	if (hchan_timer && timer)
		return true;
	return dataqsiz == 1 && elemsize == TIME_SIZE;
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
		       const uint64_t *chans, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (timer_chan(read, ctx, hchan_timer, chans[k]))
			return true;
	return false;
}
