// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Goroutine tracing for one Go process: walks of runtime.allgs (+ uprobes with --precise). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/go/go_heap.h"
#include "collect/go/go_tracer_impl.h"
#include "collect/procfs/procfs.h"
#include "util/clock.h"
#include "util/log.h"

/* Where the runtime keeps what a walk reads, found in the binary and
 * checked against the process's memory: 0, or -1 with a message in err. */
static int discover(struct go_tracer *t, const char *exe, char *err, size_t errlen)
{
	char msg[256];
	int pid = t->pid, ret;

	t->bin = go_binary__open(exe, msg, sizeof(msg));
	if (!t->bin) {
		lt_set_err(err, errlen, "pid %d: not a Go program we can read: %s", pid, msg);
		return -1;
	}
	if (go_tracer__find_offsets(t, exe, msg, sizeof(msg))) {
		lt_set_err(err, errlen, "pid %d (%s): %s", pid, go_binary__version(t->bin), msg);
		return -1;
	}
	{
		int major = 0, minor = 0;

		go_binary__version_num(t->bin, &major, &minor);
		t->hchan_timer = major > 1 || (major == 1 && minor >= 23);
		t->leak_status = major > 1 || (major == 1 && minor >= 26);
	}
	ret = procmem__open(&t->mem, pid, 0);
	if (ret) {
		lt_set_err(err, errlen, "pid %d: cannot open /proc/%d/mem: %s", pid, pid,
			strerror(-ret));
		return -1;
	}
	if (go_tracer__find_bias(t) || go_tracer__find_allgs(t, msg, sizeof(msg))) {
		lt_set_err(err, errlen, "pid %d (%s): %s", pid, go_binary__version(t->bin), msg);
		return -1;
	}
	if (t->unverified) {
		if (go_tracer__verify_walk(t, msg, sizeof(msg))) {
			lt_set_err(err, errlen,
				"pid %d (%s): newer than the offsets tables (%s), no DWARF, and the "
				"newest table does not fit this binary: %s", pid,
				go_binary__version(t->bin), go_offsets__supported(), msg);
			return -1;
		}
		lt_warn("go", "pid %d %s is newer than the offsets tables "
			"(%s): using %s, checked on a first walk", pid, go_binary__version(t->bin),
			go_offsets__supported(), t->off.source);
	}
	go_tracer__find_semtable(t);
	return 0;
}

/* -v: what discovery found. */
static void print_discovery(const struct go_tracer *t)
{
	lt_verbose("go", "pid %d %s, struct g from %s, allgs at %#" PRIx64 " (%s), "
		"semtable at %#" PRIx64 ", %s mode", t->pid, go_binary__version(t->bin),
		t->off.source, t->allgs, t->allgs_source, t->semtable,
		t->precise ? "precise (uprobes)" : "default (no uprobes)");
	lt_verbose("go", "pid %d offsets check: %s", t->pid, t->offsets_check);
	lt_verbose("go", "pid %d wait reasons: %u from %s, %s", t->pid,
		t->off.n_wait_reasons, t->wait_reasons_source, t->wait_reasons_check);
}

struct go_tracer *go_tracer__new_opts(int pid, const struct go_tracer_opts *opts, char *err,
				      size_t errlen)
{
	static const struct go_tracer_opts defaults;
	char exe[PROCFS_PATH_MAX], msg[256];
	struct go_tracer *t;
	uint64_t walked;

	if (!opts)
		opts = &defaults;
	t = calloc(1, sizeof(*t));
	if (!t) {
		lt_set_err(err, errlen, "out of memory");
		return NULL;
	}
	t->pid = pid;
	procmem__init(&t->mem, pid);
	t->texts.max_bytes = TEXT_ARENA_MAX;
	t->max_stack = opts->max_stack > 0 ? opts->max_stack : DEFAULT_MAX_STACK;
	t->verbose = opts->verbose;
	t->precise = opts->precise;
	procfs__path(exe, sizeof(exe), pid, 0, "exe");
	if (discover(t, exe, err, errlen))
		goto fail;
	/* stamps of the gopark probe are trusted from here on */
	t->attach_ns = mono_ns();
	if (opts->precise && go_tracer__attach_bpf(t, opts, exe, msg, sizeof(msg))) {
		lt_set_err(err, errlen, "pid %d: %s", pid, msg);
		goto fail;
	}
	/* the parks present now: their age is known only since attach */
	if (go_tracer__walk_allgs(t, 0, NULL, &walked) == -ENOMEM) {
		lt_set_err(err, errlen, "pid %d: out of memory", pid);
		goto fail;
	}
	t->walked = true;
	if (opts->verbose)
		print_discovery(t);
	return t;
fail:
	go_tracer__free(t);
	return NULL;
}

struct go_tracer *go_tracer__new(int pid, char *err, size_t errlen)
{
	return go_tracer__new_opts(pid, NULL, err, errlen);
}

void go_tracer__free_memory(struct go_tracer *t)
{
	for (size_t i = 0; i < t->n_parks; i++)
		go_tracer__forget_park(t, i);
	free(t->parks);
	t->parks = NULL;
	for (size_t i = 0; i < GO_LIVE_REPS_MAX; i++)
		free(t->live_reps[i].stack);
	memset(t->live_reps, 0, sizeof(t->live_reps));
	go_live__free(&t->live);
	t->n_parks = 0;
	free(t->pcs);
	t->pcs = NULL;
	arena_free(&t->texts);
	memset(t->reasons, 0, sizeof(t->reasons));
}

void go_tracer__free(struct go_tracer *t)
{
	if (!t)
		return;
	go_tracer__detach_bpf(t);
	procmem__close(&t->mem);
	go_binary__close(t->bin);
	go_tracer__free_memory(t);
	free(t);
}

const char *go_tracer__offsets_source(const struct go_tracer *t)
{
	return t->off.source;
}

const char *go_tracer__allgs_source(const struct go_tracer *t)
{
	return t->allgs_source;
}
int go_tracer__snapshot(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out)
{
	uint64_t start_ns = mono_ns(), start_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID), read = 0;
	int err;

	memset(out, 0, sizeof(*out));
	out->pid = t->pid;
	snprintf(out->go_version, sizeof(out->go_version), "%s", go_binary__version(t->bin));
	out->created = out->exited = out->parks = GO_COUNT_UNKNOWN;
	go_tracer__bpf_counts(t, out);
	err = go_tracer__walk_allgs(t, min_parked_seconds, out, &read);
	if (err && err != -ENOMEM)
		err = kill(t->pid, 0) ? -ESRCH : err;
	if (t->verbose && !err)
		lt_verbose("go", "pid %d snapshot: %" PRIu64 " goroutines read, %zu parked, "
			   "%" PRIu64 " cut, %.1f ms (%.1f ms CPU)", t->pid, read, out->n_parked,
			out->cut, (mono_ns() - start_ns) / 1e6,
			(clock_ns(CLOCK_THREAD_CPUTIME_ID) - start_cpu) / 1e6);
	if (err)
		go_snapshot__free(out);
	return err;
}

void go_snapshot__free(struct go_snapshot *s)
{
	if (!s)
		return;
	/* the texts and stacks belong to the tracer */
	free(s->parked);
	s->parked = NULL;
	s->n_parked = 0;
	free(s->live_sites);
	s->live_sites = NULL;
	s->n_live_sites = 0;
}


void go_tracer__target(const struct go_tracer *t, struct go_tracer_target *out)
{
	*out = (struct go_tracer_target){ .pid = t->pid, .bin = t->bin, .off = &t->off,
					  .bias = t->bias, .allgs = t->allgs,
					  .semtable = t->semtable };
	snprintf(out->exe, sizeof(out->exe), "/proc/%d/exe", t->pid);
}

/* go_heap's reader seam over the tracer's memory reader (its batches,
 * its fuzz seam). */
void go_tracer__read(void *tracer, struct go_mem_span *s, size_t n)
{
	const struct go_tracer *t = tracer;
	struct procmem_span spans[256];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < 256 ? n - done : 256;

		for (size_t i = 0; i < k; i++)
			spans[i] = (struct procmem_span){ .addr = s[done + i].addr,
							  .buf = s[done + i].buf,
							  .len = s[done + i].len };
		procmem__read_batch(&t->mem, spans, k);
		for (size_t i = 0; i < k; i++)
			s[done + i].ok = spans[i].err == 0;
		done += k;
	}
}
