// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "collect/go/go_netpoll.h"
#include "collect/go/go_reacher.h"
#include "collect/go/go_report.h"
#include "collect/go/go_tracer.h"
#include "collect/sockets/peers.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"

#define GO_REPORT_MAX_NOT_GO 65536
#define GO_REACH_GRACE_NS 1000000000ull	/* passes may overrun the deadline this much */

struct go_proc {
	int pid;
	struct go_tracer *tracer;
	struct go_reacher *reach;	/* NULL: heap layout unknown, shapes only */
	struct go_snapshot snap;	/* kept until the next report */
	bool have_snap, gone;
	uint64_t start_ns;		/* the process's start, from its first report; 0 = not yet */
	uint64_t attach_real_ns;
	uint64_t prev_created, prev_exited;
	uint64_t prev_dropped;		/* snap.dropped at the previous snapshot */
	size_t first, n_parked;		/* its goroutines in this report, -1 = none */
};

struct go_report {
	struct go_report_opts o;
	struct go_proc *procs;
	size_t n_procs, cap_procs;
	/* system-wide: pids already looked at and found not Go (or not
	 * traceable), sorted; pruned when the pid is gone */
	uint32_t *not_go;
	size_t n_not_go, cap_not_go;
	size_t resume;			/* procs[] index the next report starts at */
};

/* Attach to pid; false (with a warning unless quiet) when it cannot be traced. */
static bool attach(struct go_report *g, int pid, bool quiet, char *err, size_t errlen)
{
	struct go_tracer_opts topts = { .verbose = g->o.verbose, .precise = g->o.precise };
	struct go_proc *p;

	if (ARRAY_RESERVE(g->procs, g->cap_procs, g->n_procs + 1)) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	p = &g->procs[g->n_procs];
	memset(p, 0, sizeof(*p));
	p->tracer = go_tracer__new_opts(pid, &topts, err, errlen);
	if (!p->tracer) {
		if (!quiet)
			lt_warn("go", "goroutines not traced: %s", err);
		return false;
	}
	p->pid = pid;
	p->reach = go_reacher__new(p->tracer, g->o.verbose, err, errlen);
	if (!p->reach && g->o.verbose)
		lt_info("go", "pid %d: no reachability proofs: %s", pid, err);
	if (g->o.verbose)
		lt_info("go", "attached to pid %d (offsets: %s, allgs: %s)",
			pid, go_tracer__offsets_source(p->tracer), go_tracer__allgs_source(p->tracer));
	g->n_procs++;
	return true;
}

struct go_report *go_report__new(const struct go_report_opts *opts, char *err, size_t errlen)
{
	struct go_report *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->o = *opts;
	if (!g->o.max_procs)
		g->o.max_procs = 64;
	for (int i = 0; i < opts->n_pids; i++) {
		char msg[256] = "";

		if (!opts->force && !go_binary__is_go(opts->pids[i]))
			continue;
		if (!attach(g, opts->pids[i], opts->force, msg, sizeof(msg)) && opts->force) {
			snprintf(err, errlen, "cannot trace goroutines: %s", msg);
			go_report__free(g);
			return NULL;
		}
	}
	return g;
}

void go_report__free(struct go_report *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_procs; i++) {
		if (g->procs[i].have_snap)
			go_snapshot__free(&g->procs[i].snap);
		go_reacher__free(g->procs[i].reach);
		go_tracer__free(g->procs[i].tracer);
	}
	free(g->procs);
	free(g->not_go);
	free(g);
}

/* A goroutine site: where it was created and where it waits. */
static uint64_t goroutine_site(const struct go_goroutine *gr)
{
	uint64_t h = hash_string(HASH_SEED, "goroutine");

	h = hash_string(h, gr->created_by);
	h = hash_string(h, gr->wait_reason);
	bool in_jit = false;

	for (int i = 0; i < gr->stack_len; i++)
		h = frame__hash(h, gr->stack[i], &in_jit);
	return h ? h : 1;
}

/* Waits the runtime parks its own and healthy idle goroutines in, in the
 * runtime's own words. */
static bool idle_reason(const char *reason)
{
	static const char *const idle[] = {
		"sleep", "timer goroutine (idle)", "GC worker (idle)", "GC sweep wait",
		"GC scavenge wait", "finalizer wait", "force gc (idle)", "wait for GC cycle",
		"trace reader (blocked)", "preempted", "debug call", "GC assist wait",
		"garbage collection", "garbage collection scan", "GC assist marking",
		"GOMAXPROCS updater (idle)", "cleanup wait",
	};

	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		if (!strcmp(reason, idle[i]))
			return true;
	return false;
}

/* Whether a function of gr's stack contains needle (exact: is needle). */
static bool stack_has(const struct go_goroutine *gr, const char *needle, bool exact)
{
	for (int i = 0; i < gr->stack_len; i++) {
		const char *fn = gr->stack[i]->function;

		if (fn && (exact ? !strcmp(fn, needle) : !!strstr(fn, needle)))
			return true;
	}
	return false;
}

/* Waits for an event rather than for a lock or a receiver: how a service
 * goroutine rests. "semacquire" is both WaitGroup.Wait and Mutex.Lock in
 * older runtimes: the stack tells. */
static bool rest_reason(const struct go_goroutine *gr)
{
	static const char *const rest[] = {
		"chan receive", "select", "sync.Cond.Wait", "sync.WaitGroup.Wait",
		"sync.WaitGroup.Wait (durable)",
	};

	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		if (!strcmp(gr->wait_reason, rest[i]))
			return true;
	/* a connection read: the peer's turn to speak (a keep-alive client,
	 * a gossip listener); a request its peer leaves unanswered is a
	 * connection unit of its own (collect/sockets/peers.c) */
	if (!strcmp(gr->wait_reason, "IO wait"))
		return stack_has(gr, "(*pollDesc).waitRead", false);
	return !strcmp(gr->wait_reason, "semacquire") && stack_has(gr, "sync.(*WaitGroup).Wait", false);
}

/* Waits for a sync.Mutex or RWMutex: the runtime's words since Go 1.20,
 * "semacquire" and the stack before (Lock is inlined into its caller;
 * Mutex.lockSlow and both RWMutex waits call runtime_SemacquireMutex,
 * WaitGroup.Wait calls runtime_Semacquire). */
static bool lock_reason(const struct go_goroutine *gr)
{
	static const char *const lock[] = {
		"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock",
	};

	for (size_t i = 0; i < sizeof(lock) / sizeof(lock[0]); i++)
		if (!strcmp(gr->wait_reason, lock[i]))
			return true;
	return !strcmp(gr->wait_reason, "semacquire") &&
	       (stack_has(gr, "sync.runtime_SemacquireMutex", false) ||
		stack_has(gr, "sync.(*Mutex).lockSlow", false));
}

/* What the judge needs to know of a goroutine's wait, from the runtime's
 * words and the goroutine's stack. */
static uint32_t goroutine_flags(const struct go_goroutine *gr)
{
	uint32_t f = 0;

	if (gr->system)
		f |= GOROUTINE_RUNTIME;
	/* a timer's channel among its cases wakes it, whoever else is gone */
	if (idle_reason(gr->wait_reason) || gr->timer_case)
		f |= GOROUTINE_IDLE_WAIT;
	if (!strcmp(gr->wait_reason, "IO wait") && stack_has(gr, ").Accept", false))
		f |= GOROUTINE_LISTENER;
	if (!strcmp(gr->wait_reason, "chan send"))
		f |= GOROUTINE_SEND;
	if (rest_reason(gr))
		f |= GOROUTINE_REST;
	if (lock_reason(gr))
		f |= GOROUTINE_LOCK;
	/* the main goroutine waiting (serve loop, signal wait) keeps the program up */
	if (gr->goid == 1 || stack_has(gr, "runtime.main", true))
		f |= GOROUTINE_MAIN;
	/* nothing can ever send to or receive from a nil channel, nor wake an
	 * empty select: the runtime's own words prove it */
	else if (!strcmp(gr->wait_reason, "chan receive (nil chan)") ||
		 !strcmp(gr->wait_reason, "chan send (nil chan)") ||
		 !strcmp(gr->wait_reason, "select (no cases)"))
		f |= GOROUTINE_FOREVER;
	return f;
}

/* The model's record of goroutine g of pid: what the judge and the sinks
 * read, so that none of them includes this collector's headers. */
static void goroutine_record(struct goroutine_report *gr, int pid, const struct go_goroutine *g)
{
	/* computed once per park: the tracer zeroes the memo of a new one */
	if (!g->memo[0]) {
		g->memo[0] = goroutine_site(g);
		g->memo[1] = goroutine_flags(g);
	}
	*gr = (struct goroutine_report){
		.pid = pid, .goid = g->goid, .status = g->status, .system = g->system,
		.parked_ns = g->parked_seconds * 1e9, .parked_seconds = g->parked_seconds,
		.parked_estimated = g->parked_estimated, .wait_object = g->wait_object,
		.wait_reason = g->wait_reason, .created_by = g->created_by,
		.start_func = g->start_func, .stack = g->stack, .stack_len = g->stack_len,
		.site = g->memo[0], .flags = g->memo[1],
		.wait_chans = g->wait_chans, .n_wait_chans = g->n_wait_chans,
	};
}

/* Is the process under p->pid still the one attached to? The scan saw it
 * (not seen: gone; with --pid, a newcomer under the pid is not even
 * scanned) with the same start time (else its pid was reused). A reader of
 * the newcomer's memory could take its runtime for the old one's: a Go
 * binary restarted under the same pid has the same addresses. */
static bool same_process(struct go_proc *p, const struct report *r)
{
	const struct proc_report *seen = report_find_proc(r, p->pid);

	if (seen && (!seen->alive || (p->start_ns && seen->start_ns != p->start_ns)))
		p->gone = true;
	else if (seen && !p->start_ns)
		p->start_ns = seen->start_ns;
	return !p->gone;
}

/* Reachability proofs (collect/go/go_reach.c) for this report's goroutines
 * of p, from r->goroutines[first] on: a pass runs when due. */
static void add_proofs(struct go_proc *p, struct report *r, size_t first)
{
	bool cut = false;

	for (size_t i = first; i < r->n_goroutines; i++)
		if (r->goroutines[i].status == GO_G_LEAKED)
			r->goroutines[i].flags |= GOROUTINE_RUNTIME_LEAKED;
	if (!p->reach)
		return;
	/* a second past the report's deadline, this report uses the last
	 * proofs and the pass runs in a next one */
	if ((!r->deadline_ns || mono_ns() < r->deadline_ns + GO_REACH_GRACE_NS) &&
	    go_reacher__update(p->reach, &p->snap, r->mono_ns, &cut) < 0 && cut)
		r->lost[DROP_GO_REACH_CUT]++;
	for (size_t i = first; i < first + p->n_parked; i++) {
		struct goroutine_report *gr = &r->goroutines[i];
		/* the records follow the snapshot's order (collect_proc) */
		const struct go_proof *pf = go_reacher__proof(p->reach, &p->snap.parked[i - first]);

		if (!pf)
			continue;
		gr->flags |= GOROUTINE_UNREACHABLE;
		if (pf->kind == GO_WAIT_CHAN)
			gr->flags |= GOROUTINE_WAITS_CHANNEL;
		if (pf->cycle)
			gr->flags |= GOROUTINE_LOCK_CYCLE;
	}
}

#define NETPOLL_WAITS_MAX 4096

/* "IO wait" goroutines of this report (r->goroutines[first..]) of p: the
 * socket each waits on, which the judge asks the TCP table about (a reply
 * owed by the peer, or nothing owed: a keep-alive or pooled connection). */
static void add_sockets(struct go_proc *p, struct report *r, size_t first)
{
	struct go_poll_wait *w;
	size_t io = 0;
	int n;

	for (size_t i = first; i < r->n_goroutines; i++)
		io += !strcmp(r->goroutines[i].wait_reason, "IO wait") &&
		      !(r->goroutines[i].flags & GOROUTINE_LISTENER);
	if (!io || !(w = malloc(NETPOLL_WAITS_MAX * sizeof(*w))))
		return;
	n = go_netpoll__waits(p->pid, w, NETPOLL_WAITS_MAX);
	/* r->goroutines[first + i] is the record of p->snap.parked[i] */
	for (size_t i = 0; i < p->snap.n_parked && first + i < r->n_goroutines && n > 0; i++) {
		struct goroutine_report *gr = &r->goroutines[first + i];

		for (int k = 0; k < n; k++) {
			if (w[k].g_addr != p->snap.parked[i].g_addr)
				continue;
			gr->sock_fd = w[k].fd;
			gr->sock_inode = fd_socket_inode(p->pid, w[k].fd);
			break;
		}
	}
	free(w);
}

/* The live sites of p's snapshot (collect/go/go_live.h), each as the
 * record of one of its goroutines, after the parked ones: its site is the
 * live site's, and the fact it carries is what the judge reads. */
static int add_live_sites(struct go_proc *p, struct report *r)
{
	for (size_t i = 0; i < p->snap.n_live_sites; i++) {
		const struct go_live_site *ls = &p->snap.live_sites[i];
		struct goroutine_report *gr = report_add_goroutine(r);

		if (!gr)
			return -ENOMEM;
		goroutine_record(gr, p->pid, &ls->rep);
		gr->site = ls->key;
		gr->flags = 0;	/* not a wait: it does not stay parked */
		gr->live = &ls->fact;
	}
	return 0;
}

static int collect_proc(struct go_report *g, struct go_proc *p, struct report *r)
{
	struct proc_report *pr;
	size_t first = r->n_goroutines;
	int err;

	if (p->have_snap) {
		go_snapshot__free(&p->snap);
		p->have_snap = false;
	}
	p->first = SIZE_MAX;
	if (p->gone || !same_process(p, r))
		return 0;
	err = go_tracer__snapshot(p->tracer, r->threshold_ns / 1e9, &p->snap);
	if (err) {
		go_snapshot__free(&p->snap);
		if (err == -ESRCH)
			p->gone = true;
		return err == -ESRCH ? 0 : err;
	}
	p->have_snap = true;
	pr = report_proc(r, p->pid);
	if (!pr)
		return -ENOMEM;
	pr->is_go = true;
	snprintf(pr->go_version, sizeof(pr->go_version), "%s", p->snap.go_version);
	pr->go_live = p->snap.live;
	pr->go_cut = p->snap.cut;
	r->lost[DROP_GOROUTINES_CUT] += p->snap.cut;
	/* a total since attach, per process: this report's share */
	r->lost[DROP_GO_PARK_TIMES] += p->snap.dropped - p->prev_dropped;
	p->prev_dropped = p->snap.dropped;
	pr->go_created = pr->go_exited = UINT64_MAX;
	pr->go_created_total = p->snap.created;
	pr->go_exited_total = p->snap.exited;
	if (p->snap.created != GO_COUNT_UNKNOWN) {
		pr->go_created = p->snap.created - p->prev_created;
		p->prev_created = p->snap.created;
	}
	if (p->snap.exited != GO_COUNT_UNKNOWN) {
		pr->go_exited = p->snap.exited - p->prev_exited;
		p->prev_exited = p->snap.exited;
	}
	if (ARRAY_RESERVE(r->goroutines, r->cap_goroutines, r->n_goroutines + p->snap.n_parked))
		return -ENOMEM;
	for (size_t i = 0; i < p->snap.n_parked; i++) {
		struct goroutine_report *gr = report_add_goroutine(r);

		if (!gr)
			return -ENOMEM;
		goroutine_record(gr, p->pid, &p->snap.parked[i]);
	}
	pr->go_parked = r->n_goroutines - first;
	add_sockets(p, r, first);
	p->first = first;
	p->n_parked = r->n_goroutines - first;
	return add_live_sites(p, r);
}

static bool traced_go_pid(const struct go_report *g, uint32_t pid)
{
	for (size_t i = 0; i < g->n_procs; i++)
		if ((uint32_t)g->procs[i].pid == pid)
			return true;
	return false;
}

/* The Go scheduler parks idle OS threads (Ms) in futex and netpoll waits
 * forever: normal, not a leak. A thread whose stack is in the runtime (or
 * has no stack to tell) is one; the judge reads the mark. */
static void mark_runtime_threads(const struct go_report *g, struct report *r)
{
	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *t = &r->threads[i];
		bool runtime = !t->n_user;

		if (!traced_go_pid(g, t->pid))
			continue;
		for (int k = 0; k < t->n_user && !runtime; k++)
			runtime = t->user_stack[k].function &&
				  !strncmp(t->user_stack[k].function, "runtime.", 8);
		t->go_runtime = runtime;
	}
}

static bool known_not_go(const struct go_report *g, uint32_t pid)
{
	return sorted_find(g->not_go, g->n_not_go, sizeof(pid), &pid, cmp_u32) != NULL;
}

static void remember_not_go(struct go_report *g, uint32_t pid)
{
	size_t at;

	if (g->n_not_go >= GO_REPORT_MAX_NOT_GO)
		return;	/* bounded: such a pid is looked at again next time */
	if (ARRAY_RESERVE(g->not_go, g->cap_not_go, g->n_not_go + 1))
		return;
	at = sorted_lower_bound(g->not_go, g->n_not_go, sizeof(pid), &pid, cmp_u32);
	memmove(g->not_go + at + 1, g->not_go + at, (g->n_not_go - at) * sizeof(pid));
	g->not_go[at] = pid;
	g->n_not_go++;
}

/* Forget pids whose process is gone (a new process may reuse the pid). */
static void prune_not_go(struct go_report *g, const struct report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_not_go; i++) {
		bool alive = false;

		for (size_t k = 0; k < r->n_procs && !alive; k++)
			alive = r->procs[k].pid == g->not_go[i] && r->procs[k].alive;
		if (alive)
			g->not_go[n++] = g->not_go[i];
	}
	g->n_not_go = n;
}

/* System-wide: attach to the Go processes among those in the report. */
static void discover(struct go_report *g, struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++) {
		uint32_t pid = r->procs[i].pid;
		char msg[256];

		if (!r->procs[i].alive || traced_go_pid(g, pid) || known_not_go(g, pid))
			continue;
		if (!go_binary__is_go(pid)) {
			remember_not_go(g, pid);
			continue;
		}
		if (g->n_procs >= g->o.max_procs) {
			r->lost[DROP_GO_PROCESSES_SKIPPED]++;
			remember_not_go(g, pid);
			continue;
		}
		if (!attach(g, pid, !g->o.verbose, msg, sizeof(msg)))
			remember_not_go(g, pid);
	}
}

/* Drop the processes whose snapshot found them gone. */
static void reap(struct go_report *g)
{
	int n = 0;

	for (size_t i = 0; i < g->n_procs; i++) {
		struct go_proc *p = &g->procs[i];

		if (!p->gone) {
			g->procs[n++] = *p;
			continue;
		}
		if (p->have_snap)
			go_snapshot__free(&p->snap);
		go_reacher__free(p->reach);
		go_tracer__free(p->tracer);
	}
	g->n_procs = n;
}

int go_report__collect(struct go_report *g, struct report *r)
{
	int first_err = 0;

	if (!g)
		return 0;
	/* the snapshots of the previous report are no longer referenced */
	reap(g);
	if (g->o.system_wide) {
		prune_not_go(g, r);
		discover(g, r);
	}
	if (!g->n_procs)
		return 0;
	mark_runtime_threads(g, r);
	for (size_t i = 0; i < g->n_procs; i++)
		g->procs[i].first = SIZE_MAX;	/* set by a snapshot in this report */
	/* from where the last report's deadline stopped: every process gets
	 * its turn however many come before it */
	for (size_t k = 0, i = g->resume % g->n_procs; k < g->n_procs; k++, i = (i + 1) % g->n_procs) {
		int err;

		if (report_past_deadline(r)) {
			g->resume = i;	/* the first one left out goes first next time */
			r->lost[DROP_DEADLINE_CUT] += g->n_procs - k;
			break;
		}
		err = collect_proc(g, &g->procs[i], r);
		if (err && !first_err)
			first_err = err;
	}
	/* proofs after every snapshot: passes never crowd snapshots out */
	for (size_t i = 0; i < g->n_procs; i++)
		if (g->procs[i].have_snap && g->procs[i].first != SIZE_MAX)
			add_proofs(&g->procs[i], r, g->procs[i].first);
	return first_err;
}

struct go_tracer *go_report__tracer(const struct go_report *g, uint32_t pid)
{
	for (size_t i = 0; g && i < g->n_procs; i++)
		if (g->procs[i].pid == (int)pid && !g->procs[i].gone)
			return g->procs[i].tracer;
	return NULL;
}

static bool goroutines_wanted(const struct lt_options *o)
{
	return o->go_mode >= 0;
}

static int goroutines_open(const struct collect_env *env, void **state, char *err, size_t errlen)
{
	const struct lt_options *o = env->o;
	struct go_report_opts gopts = {
		.pids = o->pids, .n_pids = o->n_pids, .force = o->go_mode > 0,
		.verbose = o->verbose, .precise = o->precise,
		.system_wide = o->n_pids == 0 || o->cgroup || o->unit || o->container,
	};

	*state = go_report__new(&gopts, err, errlen);
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int goroutines_collect(void *state, struct report *r)
{
	return go_report__collect(state, r);
}

static void goroutines_close(void *state)
{
	go_report__free(state);
}

const struct collector_type collector_goroutines = {
	.name = "goroutine snapshot",
	.wanted = goroutines_wanted,
	.open = goroutines_open,
	.collect = goroutines_collect,
	.close = goroutines_close,
};
