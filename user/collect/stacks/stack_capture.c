// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/stacks/capture_plan.h"
#include "collect/stacks/perfmap.h"
#include "collect/stacks/proc_stacks.h"
#include "collect/java/java_report.h"
#include "collect/python/python.h"
#include "collect/stacks/stack_capture.h"
#include "util/array.h"
#include "collect/stacks/stacks.h"
#include "collect/threads/tracer.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/mem_budget.h"

/* Unwound stacks of the threads parked in the last report. A thread whose
 * voluntary switch count has not moved has not run since: its stack is the
 * same, so it is neither captured nor unwound again. */
struct cached_stack {
	uint32_t tid, pid;
	uint64_t nvcsw;
	struct frame *user, *kernel;	/* one block each (model/frame.h) */
	int n_user, n_kernel;
	uint64_t site;
	int rec_err;		/* a record came without stack: kstack_err, or -ENODATA */
	bool cut;		/* left unwound at the report's deadline */
};

struct stack_capture {
	struct stack_resolver *resolver;
	struct python_stacks *python;	/* NULL: --no-python */
	struct perf_maps *perf_maps;	/* JIT names; NULL: none */
	struct java_report *java;	/* Java frames; NULL: none (not owned) */
	bool user, kernel;
	int max_depth;
	struct frame_builder frames;	/* the stack being resolved, reused */
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
	frame_builder__free(&sc->frames);
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

void stack_capture__set_java(struct stack_capture *sc, struct java_report *java)
{
	sc->java = java;
}

void stack_capture__set_python(struct stack_capture *sc, bool on)
{
	if (!on) {
		python_stacks__free(sc->python);
		sc->python = NULL;
	}
}

uint64_t stack_site_id(const struct frame *user, int n_user, const struct frame *kernel,
		       int n_kernel)
{
	uint64_t h = HASH_SEED;
	bool in_jit = false;

	if (n_user <= 0 && n_kernel <= 0)
		return 0;
	for (int i = 0; i < n_user; i++)
		h = frame__hash(h, &user[i], &in_jit);
	h = hash_string(h, "|");
	for (int i = 0; i < n_kernel; i++)
		h = frame__hash(h, &kernel[i], &in_jit);
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
	const struct report *r;
	struct cached_stack *fresh;	/* sorted by tid; user == kernel == NULL until captured */
	size_t n_fresh;
	uint64_t captures;
	uint64_t python_failures;
	uint64_t java_failures;
	uint64_t python_cut;
	uint64_t python_ns;
};

/* Unwind and name rec's user or kernel stack into one block; NULL (*n 0)
 * when it has no frame. The user stack gets JIT names from perf maps and
 * the Python frames of its interpreter frames. */
static struct frame *resolve(struct run_ctx *c, const struct lt_stack_rec *rec, bool user, int *n)
{
	struct stack_capture *sc = c->sc;
	struct frame_builder *b = &sc->frames;
	struct frame *out;

	frame_builder__reset(b);
	*n = user ? stack_resolver__user_stack(sc->resolver, rec, b, sc->max_depth) :
		    stack_resolver__kernel_stack(sc->resolver, rec, b, sc->max_depth);
	if (*n > 0 && user) {
		/* Java frames first: they replace the code cache's unnamed frames */
		if (sc->java)
			c->java_failures += java_report__merge_frames(sc->java, rec->tgid,
								      rec->tid, b) == 1;
		perf_maps__name_frames(sc->perf_maps, rec->tgid, b);
		if (sc->python) {
			uint64_t t0 = mono_ns();
			int rc = python_stacks__merge(sc->python, rec->tgid, rec->tid, b,
						      b->n >= sc->max_depth);

			c->python_failures += rc == 1;
			c->python_cut += rc == 2;
			c->python_ns += mono_ns() - t0;
		}
	}
	out = *n > 0 ? frames__copy(b->frames, b->n) : NULL;
	*n = out ? b->n : 0;
	return out;
}

/* rec's stacks into the fresh entry of its thread; the kernel frames
 * kframes[0..n_kframes) when given (read from /proc), else symbolized
 * from rec. */
static void take_stack(struct run_ctx *c, const struct lt_stack_rec *rec,
		       const struct frame *kframes, int n_kframes)
{
	struct cached_stack *e = find_cached(c->fresh, c->n_fresh, rec->tid);

	if (!e || e->site || e->nvcsw != rec->nvcsw)
		return;
	/* unwinding reads the target's files and memory: past the deadline
	 * the stack waits for the next report (it is asked for again) */
	if (report_past_deadline(c->r)) {
		e->cut = true;
		return;
	}
	if (c->sc->user)
		e->user = resolve(c, rec, true, &e->n_user);
	if (c->sc->kernel && kframes) {
		e->kernel = frames__copy(kframes, n_kframes);
		e->n_kernel = e->kernel ? n_kframes : 0;
	} else if (c->sc->kernel) {
		e->kernel = resolve(c, rec, false, &e->n_kernel);
	}
	e->site = stack_site_id(e->user, e->n_user, e->kernel, e->n_kernel);
	if (rec->kstack_err < 0 && rec->ustack_err < 0 && !n_kframes)
		e->rec_err = rec->kstack_err;	/* the kernel refused both */
	else if (!e->site)
		e->rec_err = -ENODATA;
	c->captures++;
	/* nothing of the resolver is held between two stacks */
	mem_budget__enforce(mem_budget__shared());
}

static void on_stack(void *ctx, const struct lt_stack_rec *rec)
{
	take_stack(ctx, rec, NULL, 0);
}

static void on_proc_stack(void *ctx, const struct lt_stack_rec *rec, const struct frame *kframes,
			  int n_kframes)
{
	take_stack(ctx, rec, kframes, n_kframes);
}

/* Without the capture iterator (before 5.18): the same stacks from /proc. */
static int capture_from_proc(struct stack_capture *sc, struct run_ctx *c,
			     const struct capture_want *w, size_t n, int *miss)
{
	struct proc_stack_want *pw = malloc((n + 1) * sizeof(*pw));
	int err;

	if (!pw)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct thread_report *th = &c->r->threads[w[i].thread];

		pw[i] = (struct proc_stack_want){ .pid = th->pid, .tid = th->tid, .nvcsw = th->nvcsw };
	}
	err = proc_stacks_read(pw, n, sc->kernel, sc->max_depth, on_proc_stack, c, miss);
	free(pw);
	return err;
}

/* Why an asked thread has no stack; its stack_error. */
static enum drop_reason asked_miss(const struct cached_stack *e, int miss, int *err)
{
	enum drop_reason why;

	if (e->cut) {
		*err = -ETIME;
		return DROP_DEADLINE_CUT;
	}
	if (e->rec_err) {
		*err = e->rec_err;
		return e->rec_err == -ENODATA ? DROP_CAPTURE_NO_FRAMES : DROP_CAPTURE;
	}
	why = capture_miss_reason(miss);
	*err = why == DROP_CAPTURE_FAILED && miss ? miss : capture_drop_errno(why);
	return why;
}

/* Lend the stack of e (the cache keeps it) to th. */
static void give_stack(struct thread_report *th, const struct cached_stack *e)
{
	th->user_stack = e->user;
	th->n_user = e->n_user;
	th->kernel_stack = e->kernel;
	th->n_kernel = e->n_kernel;
	th->site = e->site;
	th->stacks_borrowed = true;
}

/* th has no stack: why, counted under its drop name. */
static void no_stack(struct report *r, struct thread_report *th, enum drop_reason why, int err)
{
	th->stack_err = err;
	/* asked for again next report */
	th->stack_deferred = why == DROP_CAPTURE_CAP || why == DROP_DEADLINE_CUT;
	r->lost[why]++;
	r->capture_failures++;
}

/* Threads whose stack is not cached for their current park, in w. */
static size_t wanted(struct stack_capture *sc, struct run_ctx *c, const struct report *r,
		     struct capture_want *w)
{
	size_t n = 0;

	/* carry over stacks of threads that have not run; ask for the others */
	for (size_t i = 0; i < r->n_threads; i++) {
		const struct thread_report *th = &r->threads[i];
		struct cached_stack *old = find_cached(sc->cache, sc->n_cache, th->tid);
		struct cached_stack *e = &c->fresh[c->n_fresh++];

		if (old && old->pid == th->pid && old->nvcsw == th->nvcsw && old->site) {
			*e = *old;
			old->user = old->kernel = NULL;
			old->n_user = old->n_kernel = 0;
			continue;
		}
		*e = (struct cached_stack){ .tid = th->tid, .pid = th->pid, .nvcsw = th->nvcsw };
		w[n++] = (struct capture_want){ .tid = th->tid, .nvcsw = th->nvcsw,
						.parked_ns = th->parked_ns, .thread = i };
	}
	return n;
}

/* threading's names of the threads of the Python processes whose frames
 * were read (each read once per thread, then kept by python_stacks). */
static void name_python_threads(struct stack_capture *sc, struct report *r)
{
	for (size_t i = 0; sc->python && i < r->n_threads; i++) {
		struct thread_report *th = &r->threads[i];
		uint64_t start = th->age_ns ? r->mono_ns - th->age_ns : 0;

		if (!th->thread_name[0] &&
		    python_stacks__thread_name(sc->python, (int)th->pid, (int)th->tid, start,
					       th->thread_name, sizeof(th->thread_name)) < 0)
			r->lost[DROP_PYTHON_NAMES_FAILED]++;
	}
}

int stack_capture__run(struct stack_capture *sc, struct tracer *t, struct report *r)
{
	struct run_ctx c = { .sc = sc, .r = r };
	struct capture_want *w = NULL;
	uint32_t *tids = NULL;
	uint64_t *nvcsw = NULL;
	int *miss = NULL;
	size_t n_want, n_ask;
	int err = 0;

	c.fresh = calloc(r->n_threads + 1, sizeof(*c.fresh));
	w = malloc((r->n_threads + 1) * sizeof(*w));
	tids = malloc((r->n_threads + 1) * sizeof(*tids));
	nvcsw = malloc((r->n_threads + 1) * sizeof(*nvcsw));
	miss = calloc(r->n_threads + 1, sizeof(*miss));
	if (!c.fresh || !w || !tids || !nvcsw || !miss) {
		err = -ENOMEM;
		goto out;
	}
	n_want = wanted(sc, &c, r, w);
	/* beyond the cap: the oldest parks first, the others next report */
	n_ask = capture_plan_select(w, n_want, LT_MAX_CAPTURES);
	for (size_t i = 0; i < n_ask; i++) {
		tids[i] = w[i].tid;
		nvcsw[i] = w[i].nvcsw;
	}
	qsort(c.fresh, c.n_fresh, sizeof(*c.fresh), cmp_cached);
	if (n_ask && tracer__can_capture(t))
		err = tracer__capture(t, tids, nvcsw, n_ask, on_stack, &c, miss);
	else if (n_ask)
		err = capture_from_proc(sc, &c, w, n_ask, miss);
	if (err)
		for (size_t i = 0; i < n_ask; i++)
			miss[i] = miss[i] ? miss[i] : err;

	for (size_t i = 0; i < r->n_threads; i++) {
		struct cached_stack *e = find_cached(c.fresh, c.n_fresh, r->threads[i].tid);

		if (e && e->site)
			give_stack(&r->threads[i], e);
	}
	c.python_ns -= mono_ns();
	name_python_threads(sc, r);
	c.python_ns += mono_ns();
	for (size_t i = 0; i < n_want; i++) {
		struct thread_report *th = &r->threads[w[i].thread];
		struct cached_stack *e = find_cached(c.fresh, c.n_fresh, th->tid);
		enum drop_reason why = DROP_CAPTURE_CAP;
		int th_err = capture_drop_errno(why);

		if (e && e->site)
			continue;
		if (i < n_ask)
			why = asked_miss(e, miss[i], &th_err);
		no_stack(r, th, why, th_err);
	}
	for (size_t i = 0; i < sc->n_cache; i++)
		cached_free(&sc->cache[i]);
	free(sc->cache);
	sc->cache = c.fresh;
	sc->n_cache = c.n_fresh;
	c.fresh = NULL;
	r->captures = c.captures;
	r->python_failures = c.python_failures;
	r->lost[DROP_PYTHON_WALKS_FAILED] += c.python_failures;
	r->lost[DROP_PYTHON_WALKS_CUT] += c.python_cut;
	r->lost[DROP_JAVA_FRAMES_UNAVAILABLE] += c.java_failures;
	r->python_ns = c.python_ns;
out:
	free(c.fresh);
	free(w);
	free(tids);
	free(nvcsw);
	free(miss);
	return err;
}
