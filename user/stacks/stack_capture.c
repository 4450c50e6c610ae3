// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/perfmap.h"
#include "stacks/python.h"
#include "stacks/stack_capture.h"
#include "util/array.h"
#include "stacks/stacks.h"
#include "core/tracer.h"
#include "util/clock.h"
#include "util/mem_budget.h"

/* Unwound stacks of the threads parked in the last report. A thread whose
 * voluntary switch count has not moved has not run since: its stack is the
 * same, so it is neither captured nor unwound again. */
struct cached_stack {
	uint32_t tid, pid;
	uint64_t nvcsw;
	char **user, **kernel;
	int n_user, n_kernel;
	uint64_t site;
};

struct stack_capture {
	struct stack_resolver *resolver;
	struct python_stacks *python;	/* NULL: --no-python */
	struct perf_maps *perf_maps;	/* JIT names; NULL: none */
	bool user, kernel;
	int max_depth;
	struct cached_stack *cache;	/* sorted by tid */
	size_t n_cache;
};

struct stack_capture *stack_capture__new(bool user, bool kernel, int max_depth)
{
	/* kallsyms takes ~70 ms to load: do it at start, not in the first report */
	struct stack_resolver_opts opts = { .max_depth = max_depth, .preload_ksyms = kernel };
	struct stack_capture *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->resolver = stack_resolver__new(&opts);
	if (!sc->resolver) {
		free(sc);
		return NULL;
	}
	sc->python = python_stacks__new();	/* without them stacks stay native */
	sc->perf_maps = perf_maps__new();
	sc->user = user;
	sc->kernel = kernel;
	sc->max_depth = max_depth;
	return sc;
}

static void cached_free(struct cached_stack *c)
{
	/* stack_frames__free() frees the strings, the arrays are ours */
	stack_frames__free(c->user, c->n_user);
	stack_frames__free(c->kernel, c->n_kernel);
	free(c->user);
	free(c->kernel);
	c->user = c->kernel = NULL;
	c->n_user = c->n_kernel = 0;
}

void stack_capture__free(struct stack_capture *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_cache; i++)
		cached_free(&sc->cache[i]);
	free(sc->cache);
	python_stacks__free(sc->python);
	perf_maps__free(sc->perf_maps);
	stack_resolver__free(sc->resolver);
	free(sc);
}

void stack_capture__forget(struct stack_capture *sc, int pid)
{
	if (!sc)
		return;
	stack_resolver__forget(sc->resolver, pid);
	python_stacks__forget(sc->python, pid);
	perf_maps__forget(sc->perf_maps, pid);
}

void stack_capture__set_python(struct stack_capture *sc, bool on)
{
	if (!on) {
		python_stacks__free(sc->python);
		sc->python = NULL;
	}
}

uint64_t stack_site_id(char *const *user, int n_user, char *const *kernel, int n_kernel)
{
	uint64_t h = HASH_SEED;

	if (n_user <= 0 && n_kernel <= 0)
		return 0;
	for (int i = 0; i < n_user; i++)
		h = hash_string(h, user[i]);
	h = hash_string(h, "|");
	for (int i = 0; i < n_kernel; i++)
		h = hash_string(h, kernel[i]);
	return h ? h : 1;
}

static int cmp_cached(const void *a, const void *b)
{
	const struct cached_stack *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static struct cached_stack *find_cached(struct cached_stack *arr, size_t n, uint32_t tid)
{
	struct cached_stack key = { .tid = tid };

	return sorted_find(arr, n, sizeof(*arr), &key, cmp_cached);
}

struct run_ctx {
	struct stack_capture *sc;
	struct cached_stack *fresh;	/* sorted by tid; user == kernel == NULL until captured */
	size_t n_fresh;
	uint64_t captures;
	uint64_t python_failures;
	uint64_t python_ns;
};

static char **resolve(struct stack_capture *sc, const struct lt_stack_rec *rec, bool user, int *n)
{
	char **frames = calloc(sc->max_depth, sizeof(char *));

	*n = 0;
	if (!frames)
		return NULL;
	*n = user ? stack_resolver__user_stack(sc->resolver, rec, frames, sc->max_depth) :
		    stack_resolver__kernel_stack(sc->resolver, rec, frames, sc->max_depth);
	if (*n <= 0) {
		free(frames);
		*n = 0;
		return NULL;
	}
	return frames;
}

static void on_stack(void *ctx, const struct lt_stack_rec *rec)
{
	struct run_ctx *c = ctx;
	struct cached_stack *e = find_cached(c->fresh, c->n_fresh, rec->tid);

	if (!e || e->site || e->nvcsw != rec->nvcsw)
		return;
	if (c->sc->user)
		e->user = resolve(c->sc, rec, true, &e->n_user);
	if (e->user)
		perf_maps__name_frames(c->sc->perf_maps, rec->tgid, e->user, e->n_user);
	if (e->user && c->sc->python) {
		uint64_t t0 = mono_ns();

		if (python_stacks__merge(c->sc->python, rec->tgid, rec->tid, &e->user, &e->n_user,
					 e->n_user >= c->sc->max_depth) == 1)
			c->python_failures++;
		c->python_ns += mono_ns() - t0;
	}
	if (c->sc->kernel)
		e->kernel = resolve(c->sc, rec, false, &e->n_kernel);
	e->site = stack_site_id(e->user, e->n_user, e->kernel, e->n_kernel);
	c->captures++;
	/* nothing of the resolver is held between two stacks */
	mem_budget__enforce(mem_budget__shared());
}

int stack_capture__run(struct stack_capture *sc, struct tracer *t, struct report *r)
{
	struct run_ctx c = { .sc = sc };
	uint32_t *tids = NULL;
	uint64_t *nvcsw = NULL;
	size_t n_want = 0;
	int err = 0;

	c.fresh = calloc(r->n_threads + 1, sizeof(*c.fresh));
	tids = malloc((r->n_threads + 1) * sizeof(*tids));
	nvcsw = malloc((r->n_threads + 1) * sizeof(*nvcsw));
	if (!c.fresh || !tids || !nvcsw) {
		err = -ENOMEM;
		goto out;
	}
	/* carry over stacks of threads that have not run; ask for the others */
	for (size_t i = 0; i < r->n_threads; i++) {
		const struct thread_report *th = &r->threads[i];
		struct cached_stack *old = find_cached(sc->cache, sc->n_cache, th->tid);
		struct cached_stack *e = &c.fresh[c.n_fresh++];

		if (old && old->pid == th->pid && old->nvcsw == th->nvcsw && old->site) {
			*e = *old;
			old->user = old->kernel = NULL;
			old->n_user = old->n_kernel = 0;
			continue;
		}
		*e = (struct cached_stack){ .tid = th->tid, .pid = th->pid, .nvcsw = th->nvcsw };
		tids[n_want] = th->tid;
		nvcsw[n_want++] = th->nvcsw;
	}
	qsort(c.fresh, c.n_fresh, sizeof(*c.fresh), cmp_cached);
	if (n_want)
		err = tracer__capture(t, tids, nvcsw, n_want, on_stack, &c);

	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *th = &r->threads[i];
		struct cached_stack *e = find_cached(c.fresh, c.n_fresh, th->tid);

		if (!e || !e->site) {
			th->stack_err = err ? err : -ESTALE;
			r->capture_failures++;
			continue;
		}
		th->user_stack = e->user;
		th->n_user = e->n_user;
		th->kernel_stack = e->kernel;
		th->n_kernel = e->n_kernel;
		th->site = e->site;
		th->stacks_borrowed = true;
	}
	for (size_t i = 0; i < sc->n_cache; i++)
		cached_free(&sc->cache[i]);
	free(sc->cache);
	sc->cache = c.fresh;
	sc->n_cache = c.n_fresh;
	c.fresh = NULL;
	r->captures = c.captures;
	r->python_failures = c.python_failures;
	r->python_ns = c.python_ns;
out:
	free(c.fresh);
	free(tids);
	free(nvcsw);
	return err;
}
