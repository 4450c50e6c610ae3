// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HotSpot JVMs as a collector: Java states, monitor and lock owners of
 * their threads (java_report.c); first in the list, since it adds Java
 * threads blocked on monitors that the stacks then capture. */
#include <errno.h>
#include <time.h>
#include <stdio.h>

#include "collect/collector.h"
#include "collect/java/java_report.h"
#include "util/clock.h"

static int java_open(const struct collect_env *env, void **state, char *msg, size_t size)
{
	(void)env;
	*state = java_report__new();
	if (!*state)
		snprintf(msg, size, "out of memory");
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int java_collect(void *state, struct report *r)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int err = java_report__collect(state, r) ? -ENOMEM : 0;

	r->java_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	return err;
}

static void java_forget(void *state, uint32_t pid)
{
	java_report__forget(state, pid);
}

static void java_close(void *state)
{
	java_report__free(state);
}

const struct collector_type collector_java = {
	.name = "reading JVMs",
	.open = java_open,
	.collect = java_collect,
	.forget = java_forget,
	.close = java_close,
};
