/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Collectors: after the thread scan has made a report (collect/threads/
 * tracer.c: the one collector that stays outside the list, since every
 * report starts from it and stack capture reads its maps), each collector
 * adds units and facts (model/facts.h) to it, in the order of the list in
 * collectors.c; then the judge reads them. A new runtime (Java, asyncio)
 * is a folder defining one collector_type plus one line in that list
 * (README "Where to change what"). */
#ifndef LT_COLLECTOR_H
#define LT_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/config.h"
#include "model/report.h"

struct tracer;
struct collectors;
struct collector_type;

/* What a collector may use when it opens. */
struct collect_env {
	const struct lt_options *o;
	struct tracer *tracer;		/* the thread scan's BPF side */
	/* the collectors opened before this one (collectors__state): the
	 * stack collector names Java frames with the Java collector's JVMs */
	const struct collectors *opened;
};

struct collector_type {
	const char *name;	/* what it collects, in warnings: "goroutine snapshot" */
	/* Is it asked for by o? NULL: always. */
	bool (*wanted)(const struct lt_options *o);
	/* Make an instance in *state; *state = NULL (after a warning of its
	 * own) when this host cannot give what it collects. On failure write
	 * a one-line reason to err and return the exit code (enum lt_exit). */
	int (*open)(const struct collect_env *env, void **state, char *err, size_t errlen);
	/* Add units and facts to r. 0, or -errno: the report goes on without
	 * them (one warning). Slow collectors stop at r's deadline. */
	int (*collect)(void *state, struct report *r);
	/* Process pid exited: free what is kept for it. NULL: nothing is. */
	void (*forget)(void *state, uint32_t pid);
	void (*close)(void *state);
};

/* The collector types, each defined in its own folder. */
extern const struct collector_type collector_java, collector_stacks, collector_goroutines;
extern const struct collector_type collector_identities, collector_thread_facts;
extern const struct collector_type collector_sockets, collector_exe_keys;
extern const struct collector_type collector_pipe_wakers, collector_go_holders;

struct collectors;

/* Open every collector env->o asks for. On failure prints one line on
 * stderr, sets *exit_code and returns NULL. */
struct collectors *collectors__open(const struct collect_env *env, int *exit_code);

/* The state of the opened collector of type t, NULL when it is not open. */
void *collectors__state(const struct collectors *cs, const struct collector_type *t);

/* Run every collector on r, in order; a failure is a warning. */
void collectors__collect(struct collectors *cs, struct report *r);

/* Process pid exited: every collector frees what it keeps for it. */
void collectors__forget(struct collectors *cs, uint32_t pid);

void collectors__close(struct collectors *cs);

#endif
