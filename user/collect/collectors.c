// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "util/clock.h"
#include "util/log.h"

/* Every collector, in the order they fill a report: what one reads, the
 * ones before it have added (sockets look at the Go processes found). */
static const struct collector_type *const collector_types[] = {
	&collector_java,		/* adds Java threads blocked on monitors: before stacks */
	&collector_stacks,
	&collector_goroutines,
	&collector_identities,		/* before judging: baselines are kept per service */
	&collector_exe_keys,		/* with --baseline: part of a service's key */
	&collector_thread_facts,
	&collector_pipe_wakers,		/* pipe readers' writers, any process: owner edges */
	&collector_sockets,
	&collector_go_holders,	/* after sockets: callers of goroutines on silent peers or timers */
};

#define N_TYPES (sizeof(collector_types) / sizeof(collector_types[0]))

struct collector {
	const struct collector_type *type;
	void *state;
};

struct collectors {
	struct collector c[N_TYPES];
	size_t n;
};

struct collectors *collectors__open(const struct collect_env *given, int *exit_code)
{
	struct collectors *cs = calloc(1, sizeof(*cs));
	struct collect_env env_opened = *given, *env = &env_opened;
	char msg[256];

	*exit_code = LT_EXIT_FAILURE;
	if (!cs) {
		lt_err(NULL, "out of memory");
		return NULL;
	}
	env->opened = cs;
	for (size_t i = 0; i < N_TYPES; i++) {
		const struct collector_type *t = collector_types[i];
		void *state = NULL;
		int code;

		if (t->wanted && !t->wanted(env->o))
			continue;
		msg[0] = '\0';
		code = t->open(env, &state, msg, sizeof(msg));
		if (code) {
			lt_err(NULL, "%s", msg[0] ? msg : "cannot open a collector");
			*exit_code = code;
			collectors__close(cs);
			return NULL;
		}
		if (state)
			cs->c[cs->n++] = (struct collector){ t, state };
	}
	*exit_code = LT_EXIT_OK;
	return cs;
}

void *collectors__state(const struct collectors *cs, const struct collector_type *t)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		if (cs->c[i].type == t)
			return cs->c[i].state;
	return NULL;
}

void collectors__collect(struct collectors *cs, struct report *r)
{
	for (size_t i = 0; i < cs->n; i++) {
		uint64_t t0 = mono_ns();
		int err = cs->c[i].type->collect(cs->c[i].state, r);

		/* -v: what each collector costs a report */
		lt_verbose("collect", "%s: %.2f ms", cs->c[i].type->name, (mono_ns() - t0) / 1e6);
		if (err)
			lt_warn(NULL, "%s failed: %s", cs->c[i].type->name,
				strerror(-err));
	}
}

void collectors__forget(struct collectors *cs, uint32_t pid)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		if (cs->c[i].type->forget)
			cs->c[i].type->forget(cs->c[i].state, pid);
}

void collectors__close(struct collectors *cs)
{
	if (!cs)
		return;
	for (size_t i = cs->n; i-- > 0;)
		cs->c[i].type->close(cs->c[i].state);
	free(cs);
}
