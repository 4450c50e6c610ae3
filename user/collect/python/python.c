// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/python.h"
#include "collect/procfs/procmem.h"
#include "collect/python/python_merge.h"
#include "collect/python/python_offsets.h"
#include "collect/python/python_runtime.h"
#include "collect/python/python_thread_name.h"
#include "collect/python/python_walk.h"
#include "collect/stacks/stacks.h"
#include "util/array.h"
#include "util/clock.h"

#define MAX_PROCS		256
#define RETRY_NS		5000000000ULL	/* a failed discovery is retried after 5 s */
#define DEBUG_OFFSETS_BYTES	1024
#define MAX_NAMES		4096	/* thread names kept per process */

/* A thread's name as read once (threading's, "" = none). */
struct py_thread_name {
	uint32_t tid;		/* first: found with cmp_u32 */
	uint64_t start_ns;	/* the thread's start: a reused tid is another thread */
	char name[PY_THREAD_NAME_LEN];
};

struct py_target {
	uint32_t pid;		/* first: found with cmp_u32 */
	struct py_proc *proc;	/* NULL: discovery failed */
	struct py_names names;
	struct py_thread_name *thread_names;	/* sorted by tid */
	size_t n_names, cap_names;
	char reason[64];
	uint64_t failed_ns;
	uint64_t used_ns;
};

struct python_stacks {
	struct py_target *targets;	/* sorted by pid */
	size_t n, cap;
	struct py_frame *frames;	/* PY_MAX_FRAMES, reused */
	struct frame_builder merged;	/* reused */
};

static void target_clear(struct py_target *t)
{
	py_proc__free(t->proc);
	t->proc = NULL;
	free(t->thread_names);
	t->thread_names = NULL;
	t->n_names = t->cap_names = 0;
	memset(&t->names, 0, sizeof(t->names));
}

struct python_stacks *python_stacks__new(void)
{
	struct python_stacks *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->frames = calloc(PY_MAX_FRAMES, sizeof(*ps->frames));
	if (!ps->frames) {
		free(ps);
		return NULL;
	}
	return ps;
}

void python_stacks__free(struct python_stacks *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		target_clear(&ps->targets[i]);
	free(ps->targets);
	free(ps->frames);
	frame_builder__free(&ps->merged);
	free(ps);
}

static void remove_at(struct python_stacks *ps, size_t i)
{
	target_clear(&ps->targets[i]);
	memmove(&ps->targets[i], &ps->targets[i + 1], (ps->n - i - 1) * sizeof(*ps->targets));
	ps->n--;
}

void python_stacks__forget(struct python_stacks *ps, int pid)
{
	uint32_t key = (uint32_t)pid;
	struct py_target *t;

	if (!ps)
		return;
	t = sorted_find(ps->targets, ps->n, sizeof(*t), &key, cmp_u32);
	if (t)
		remove_at(ps, (size_t)(t - ps->targets));
}

/* Offsets of the interpreter at rt: its own debug offsets, else a table. */
static int offsets_for(int pid, const struct py_runtime *rt, struct py_offsets *o,
		       char *reason, size_t size)
{
	const struct py_offsets *table;
	uint8_t buf[DEBUG_OFFSETS_BYTES];
	int err;

	if (!procmem__read_once(pid, rt->runtime_addr, buf, sizeof(buf))) {
		err = py_offsets_from_debug(buf, sizeof(buf), o);
		if (!err)
			return 0;
		if (err != -ENOENT) {
			snprintf(reason, size, "%s debug offsets of python %u.%u",
				 err == -ENOTSUP ? "unknown layout of" : "implausible",
				 rt->version >> 8, rt->version & 0xff);
			return err;
		}
	}
	table = py_offsets_table(rt->version);
	if (!table) {
		snprintf(reason, size, "no offsets for python %u.%u", rt->version >> 8,
			 rt->version & 0xff);
		return -ENOTSUP;
	}
	*o = *table;
	return 0;
}

static void discover(struct py_target *t)
{
	struct py_offsets o;
	struct py_runtime rt;
	int err;

	err = py_runtime_find((int)t->pid, &rt);
	if (err) {
		snprintf(t->reason, sizeof(t->reason), "%s",
			 err == -ENOENT ? "no _PyRuntime" : "interpreter not readable");
		t->failed_ns = mono_ns();
		return;
	}
	if (offsets_for((int)t->pid, &rt, &o, t->reason, sizeof(t->reason))) {
		t->failed_ns = mono_ns();
		return;
	}
	t->proc = py_proc__new((int)t->pid, rt.runtime_addr, &o);
	if (!t->proc) {
		snprintf(t->reason, sizeof(t->reason), "out of memory");
		t->failed_ns = mono_ns();
	}
}

static void evict_oldest(struct python_stacks *ps)
{
	size_t old = 0;

	for (size_t i = 1; i < ps->n; i++)
		if (ps->targets[i].used_ns < ps->targets[old].used_ns)
			old = i;
	remove_at(ps, old);
}

static struct py_target *target(struct python_stacks *ps, uint32_t pid)
{
	size_t i = sorted_lower_bound(ps->targets, ps->n, sizeof(*ps->targets), &pid, cmp_u32);
	struct py_target *t;

	if (i < ps->n && ps->targets[i].pid == pid) {
		t = &ps->targets[i];
		if (!t->proc && mono_ns() - t->failed_ns > RETRY_NS) {
			t->reason[0] = '\0';
			discover(t);
		}
		return t;
	}
	if (ps->n >= MAX_PROCS) {
		evict_oldest(ps);
		i = sorted_lower_bound(ps->targets, ps->n, sizeof(*ps->targets), &pid, cmp_u32);
	}
	if (ARRAY_RESERVE(ps->targets, ps->cap, ps->n + 1))
		return NULL;
	memmove(&ps->targets[i + 1], &ps->targets[i], (ps->n - i) * sizeof(*ps->targets));
	ps->n++;
	t = &ps->targets[i];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	discover(t);
	return t;
}

int python_stacks__merge(struct python_stacks *ps, int pid, int tid, struct frame_builder *b,
			 bool truncated)
{
	struct frame_builder swap;
	char marker[128];
	const char *reason = NULL;
	bool interp = false, eval = false, cut;
	struct py_target *t;
	int m = 0, k;

	/* only threads in the interpreter: others cost nothing here */
	for (int i = 0; i < b->n; i++) {
		eval |= python_is_eval_frame(&b->frames[i]);
		interp |= python_is_interpreter_frame(&b->frames[i]);
	}
	if (!ps || !interp)
		return 0;
	t = target(ps, (uint32_t)pid);
	if (!t)
		return -ENOMEM;
	t->used_ns = mono_ns();
	if (!t->proc)
		reason = t->reason;
	else
		m = py_proc__walk(t->proc, (uint32_t)tid, ps->frames, PY_MAX_FRAMES, &reason);
	if (m < 0 && m != -ENOENT) {
		/* the process may have exec'ed or its pid been reused: look again later */
		snprintf(t->reason, sizeof(t->reason), "%s", reason);
		reason = t->reason;
		target_clear(t);
		t->failed_ns = mono_ns();
	}
	if (m == 0 && !reason)
		reason = "no python frames";
	cut = m > 0 && reason && !strcmp(reason, PY_WALK_CUT);
	if (m > 0)
		reason = NULL;
	/* without an eval frame the thread may not be running Python at all:
	 * a failure there is not one */
	if (reason && !eval)
		return 0;
	if (reason)
		snprintf(marker, sizeof(marker), "[python frames unavailable: %s]", reason);
	frame_builder__reset(&ps->merged);
	k = python_merge_frames(b->frames, b->n, truncated, ps->frames, m > 0 ? m : 0,
				reason ? marker : NULL, &ps->merged);
	if (k < 0)
		return k;
	swap = *b;
	*b = ps->merged;
	ps->merged = swap;
	frame_builder__reset(&ps->merged);
	return reason ? 1 : cut ? 2 : 0;
}

/* The cache slot of (tid, start_ns), made when missing: *fresh when made. */
static struct py_thread_name *name_slot(struct py_target *t, uint32_t tid, uint64_t start_ns,
					bool *fresh)
{
	size_t i = sorted_lower_bound(t->thread_names, t->n_names, sizeof(*t->thread_names), &tid,
				      cmp_u32);
	struct py_thread_name *e;

	*fresh = false;
	if (i < t->n_names && t->thread_names[i].tid == tid) {
		e = &t->thread_names[i];
		if (e->start_ns == start_ns)
			return e;
	} else {
		if (t->n_names >= MAX_NAMES) {	/* rare: start over rather than evict one by one */
			t->n_names = 0;
			i = 0;
		}
		if (ARRAY_RESERVE(t->thread_names, t->cap_names, t->n_names + 1))
			return NULL;
		memmove(&t->thread_names[i + 1], &t->thread_names[i],
			(t->n_names - i) * sizeof(*t->thread_names));
		t->n_names++;
		e = &t->thread_names[i];
	}
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	e->start_ns = start_ns;
	*fresh = true;
	return e;
}

int python_stacks__thread_name(struct python_stacks *ps, int pid, int tid, uint64_t start_ns,
			       char *out, size_t size)
{
	uint32_t key = (uint32_t)pid;
	struct py_target *t = ps ? sorted_find(ps->targets, ps->n, sizeof(*t), &key, cmp_u32) : NULL;
	struct py_thread_name *e;
	bool fresh;
	int err = 0;

	if (size)
		out[0] = '\0';
	if (!t || !t->proc)	/* not a CPython process whose frames were read */
		return 0;
	e = name_slot(t, (uint32_t)tid, start_ns, &fresh);
	if (!e)
		return -ENOMEM;
	if (fresh)
		err = py_names__read(&t->names, t->proc, (uint32_t)tid, e->name, sizeof(e->name));
	snprintf(out, size, "%s", e->name);
	return err == -ENOENT || err == -ENOTSUP ? 0 : err;
}
