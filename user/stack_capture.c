// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack_capture.h"
#include "stacks.h"
#include "tracer.h"

struct stack_capture {
	struct stack_resolver *resolver;
	bool user, kernel;
	int max_depth;
};

struct stack_capture *stack_capture__new(bool user, bool kernel, int max_depth)
{
	struct stack_resolver_opts opts = { .max_depth = max_depth };
	struct stack_capture *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->resolver = stack_resolver__new(&opts);
	if (!sc->resolver) {
		free(sc);
		return NULL;
	}
	sc->user = user;
	sc->kernel = kernel;
	sc->max_depth = max_depth;
	return sc;
}

void stack_capture__free(struct stack_capture *sc)
{
	if (!sc)
		return;
	stack_resolver__free(sc->resolver);
	free(sc);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	/* frame separator, so "ab","c" differs from "a","bc" */
	h ^= 0xff;
	h *= 0x100000001b3ULL;
	return h;
}

uint64_t stack_site_id(char *const *user, int n_user, char *const *kernel, int n_kernel)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (n_user <= 0 && n_kernel <= 0)
		return 0;
	for (int i = 0; i < n_user; i++)
		h = fnv1a(h, user[i]);
	h = fnv1a(h, "|");
	for (int i = 0; i < n_kernel; i++)
		h = fnv1a(h, kernel[i]);
	return h ? h : 1;
}

struct run_ctx {
	struct stack_capture *sc;
	struct report *r;
};

static struct thread_report *find_thread(struct report *r, uint32_t tid)
{
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid)
			return &r->threads[i];
	return NULL;
}

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
	struct thread_report *t = find_thread(c->r, rec->tid);

	if (!t || t->user_stack || t->kernel_stack)
		return;
	if (c->sc->user)
		t->user_stack = resolve(c->sc, rec, true, &t->n_user);
	if (c->sc->kernel)
		t->kernel_stack = resolve(c->sc, rec, false, &t->n_kernel);
	t->site = stack_site_id(t->user_stack, t->n_user, t->kernel_stack, t->n_kernel);
}

int stack_capture__run(struct stack_capture *sc, struct tracer *t, struct report *r)
{
	struct run_ctx c = { sc, r };
	int err;

	if (!r->n_threads)
		return 0;
	err = tracer__capture(t, r, on_stack, &c);
	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *th = &r->threads[i];

		if (!th->site) {
			th->stack_err = err ? err : -ESTALE;
			r->capture_failures++;
		}
	}
	return err;
}
