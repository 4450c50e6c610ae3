// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "collect/stacks/capture_plan.h"

static int cmp_oldest_first(const void *a, const void *b)
{
	const struct capture_want *x = a, *y = b;

	if (x->parked_ns != y->parked_ns)
		return x->parked_ns < y->parked_ns ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

size_t capture_plan_select(struct capture_want *w, size_t n, size_t max)
{
	if (n > max)
		qsort(w, n, sizeof(*w), cmp_oldest_first);
	return n < max ? n : max;
}

enum drop_reason capture_miss_reason(int miss)
{
	return miss == -ESTALE ? DROP_CAPTURE_RAN :
	       miss == -ESRCH ? DROP_CAPTURE_EXITED : DROP_CAPTURE_FAILED;
}

int capture_drop_errno(enum drop_reason why)
{
	switch (why) {
	case DROP_CAPTURE_CAP:
		return -EAGAIN;
	case DROP_CAPTURE_RAN:
		return -ESTALE;
	case DROP_CAPTURE_EXITED:
		return -ESRCH;
	case DROP_CAPTURE_NO_FRAMES:
		return -ENODATA;
	default:
		return -EIO;
	}
}
