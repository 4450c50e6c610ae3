// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Stack capture (with Python frames merged in) as a collector. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/collector.h"
#include "collect/stacks/stack_capture.h"
#include "collect/threads/tracer.h"
#include "util/clock.h"

struct stacks_collector {
	struct stack_capture *sc;
	struct tracer *tracer;
};

static bool stacks_wanted(const struct lt_options *o)
{
	return o->stacks_user || o->stacks_kernel;
}

static int stacks_open(const struct collect_env *env, void **state, char *msg, size_t size)
{
	const struct lt_options *o = env->o;
	struct stacks_collector *c;

	(void)msg;
	(void)size;
	if (!tracer__can_capture(env->tracer))
		fprintf(stderr, "leaktrace: warning: this kernel cannot capture stacks in BPF "
			"(needs 5.18); user stacks unwound from /proc/PID/task/TID/syscall, kernel "
			"stacks where /proc/PID/task/TID/stack is readable (CAP_SYS_ADMIN)\n");
	c = calloc(1, sizeof(*c));
	if (c)
		c->sc = stack_capture__new(o->stacks_user, o->stacks_kernel, o->stack_depth);
	if (!c || !c->sc) {
		fprintf(stderr, "leaktrace: warning: stack symbolization unavailable: %s\n",
			strerror(errno));
		free(c);
		return 0;
	}
	stack_capture__set_python(c->sc, !o->no_python);
	/* Java frames from the JVMs the Java collector (opened first) reads */
	stack_capture__set_java(c->sc, collectors__state(env->opened, &collector_java));
	c->tracer = env->tracer;
	*state = c;
	return 0;
}

static int stacks_collect(void *state, struct report *r)
{
	struct stacks_collector *c = state;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	stack_capture__run(c->sc, c->tracer, r);
	r->capture_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	return 0;
}

static void stacks_forget(void *state, uint32_t pid)
{
	stack_capture__forget(((struct stacks_collector *)state)->sc, (int)pid);
}

static void stacks_close(void *state)
{
	struct stacks_collector *c = state;

	stack_capture__free(c->sc);
	free(c);
}

const struct collector_type collector_stacks = {
	.name = "stack capture",
	.wanted = stacks_wanted,
	.open = stacks_open,
	.collect = stacks_collect,
	.forget = stacks_forget,
	.close = stacks_close,
};
