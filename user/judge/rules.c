// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "judge/rules.h"

struct judged {
	const struct rule_opts *o;
	const struct site_report *s;
	const struct site_facts *f;
	uint32_t net;		/* arrivals - departures */
	double span_s;		/* between the oldest and newest park */
	bool private_objs;	/* most units wait on an object of their own */
};

struct rule {
	enum verdict verdict;
	const char *reason;
	bool (*match)(const struct judged *j);
	const char *name;	/* evidence.heuristic: the match function's name */
	enum proof proof;	/* what a match proves (PROOF_NONE: a heuristic) */
};

/* A rule decided by a heuristic, one decided by a proof, and one decided
 * by the proof the units' facts carry. */
#define RULE(v, reason, match) { v, reason, match, #match, PROOF_NONE }
#define PROVEN(v, reason, match, proof) { v, reason, match, #match, proof }
#define PROOF_OF_FACTS PROOF_KINDS

static bool in_cycle(const struct judged *j) { return j->s->cycle_len; }
static bool go_runtime(const struct judged *j) { return j->f->go_runtime; }
static bool java_runtime(const struct judged *j) { return j->f->java_runtime; }
static bool idle_wait(const struct judged *j) { return j->f->idle_wait; }

/* Most of the site's goroutines wait on a channel that a goroutine woken by
 * a timer of its own holds (a retry loop on a backoff ticker's channel, a
 * caller of a batcher that flushes on a ticker: collect/go/go_holders.c):
 * the timer wakes the holder, the holder can feed them. A stale stack word
 * can only link too many, so a link never makes a leak. */
static bool timer_fed(const struct judged *j)
{
	return j->f->n_timer_fed && 2 * (size_t)j->f->n_timer_fed >= j->s->n_units;
}

static bool listener(const struct judged *j) { return j->f->listener; }
static bool idle_conn(const struct judged *j) { return j->f->idle_conn; }
static bool main_goroutine(const struct judged *j)
{
	return j->f->kind == UNIT_GOROUTINE && j->f->main_unit;
}

static bool main_thread(const struct judged *j)
{
	return j->f->kind == UNIT_THREAD && j->f->main_unit;
}
/* a poll of the one socket a request waits on is no event loop at rest */
static bool event_loop(const struct judged *j) { return j->s->event_loop && !j->s->awaiting_peer; }
static bool accepting(const struct judged *j) { return j->f->accepting; }
/* The child's own threads carry its verdict: a child stuck forever is
 * reported as such, its parent only waits for it. */
static bool child_wait(const struct judged *j) { return j->f->child_wait; }
static bool timed(const struct judged *j) { return j->s->timed && !j->s->awaiting_peer; }
static bool joining_running(const struct judged *j) { return j->f->joining_running; }
static bool disk(const struct judged *j) { return j->s->disk; }
static bool lock_wait(const struct judged *j) { return j->s->lock_wait; }

/* Net growth counts only against this share of the site: 2 net arrivals
 * over 184 parked threads (a pool's churn, measured on Varnish) is none. */
#define GROWTH_SHARE 8

/* Growth kept up over several reports: more arrived than left in at least
 * two of them. A thread pool's burst (a LIFO pool growing once under a
 * spike) grows in one report and then rests. Goroutines are not held to
 * it: a batch leaked at once (a pipeline abandoned, results nobody reads)
 * grows in one report too, and a pool of goroutines does not grow so.
 * Live goroutines that never park long are: a burst of requests in
 * flight grows once too. */
static bool sustained(const struct judged *j)
{
	return (j->f->kind != UNIT_THREAD && !j->f->live) || j->s->growth_reports >= 2;
}

/* More arrive than leave, by leak_min_arrivals and by a share of the
 * site, sustained, and most who arrived stay: a slow backend's requests
 * arrive and leave at the same pace, only lagging by the threshold. */
static bool grew(const struct judged *j)
{
	return j->s->reports_seen >= 2 && j->net >= j->o->leak_min_arrivals &&
	       j->net * GROWTH_SHARE >= j->s->n_units && sustained(j) &&
	       j->s->departures * 2 <= j->s->arrivals;
}

/* Parked over a span on first sight, none left: arrived over time. For
 * threads only when most (3 in 4) parked as soon as they were created
 * (fresh): a pool of workers each on its own condvar or Parker (Varnish, a
 * JVM's executor), created before and parked after serving, rests spread
 * out after a burst, in LIFO order, exactly so. (Whether the threads started
 * with their process says nothing here: a young service leaks in its first
 * seconds as well, measured with tests/e2e/test_verdicts.py.) */
static bool spread(const struct judged *j)
{
	if (j->f->kind == UNIT_THREAD && j->f->fresh * 4 < j->s->n_units * 3)
		return false;
	return !j->s->departures && j->s->n_units >= j->o->leak_min_threads &&
	       j->span_s >= j->o->leak_min_span_s;
}

/* Units that keep arriving, each on a private object, none woken. Where no
 * object is known (goroutines of a reader that could not see them), growth
 * with no departure at all is the evidence. */
static bool leak_common(const struct judged *j)
{
	return j->s->no_timeout && !j->s->woken_since_park;
}

static bool leak_growing(const struct judged *j)
{
	if (!leak_common(j) || !grew(j))
		return false;
	if (j->private_objs)
		return true;
	return !j->f->objects_known && j->f->kind == UNIT_GOROUTINE && !j->s->departures;
}

/* Goroutines of one creation site that keep running and never finish
 * (model/facts.h struct live_site): their number grew as grew() asks,
 * over at least two reports, and not one of them ended. A retry loop that
 * sleeps a few ns each turn never parks past the threshold, yet never
 * returns. A fixed pool, a ticker loop, goroutines started with the
 * program do not grow; per-connection goroutines end with their
 * connections. The one record shown stands for all of them: no wait
 * object or timeout to read. */
static bool keeps_running(const struct judged *j)
{
	return j->f->live && grew(j) && !j->s->departures &&
	       j->s->n_units >= j->o->leak_min_threads;
}

static bool live_running(const struct judged *j) { return j->f->live; }

/* Threads grouped by their wait only because their stacks wait for the
 * next report (over the per-report capture cap, or its deadline): their
 * shape is no evidence, since the sites their stacks give are not known
 * yet (a fixed pool of 30,000 threads read as "arrived over time"). */
static bool awaiting_stacks(const struct judged *j)
{
	return j->s->stacks_deferred && j->s->stacks_deferred >= j->s->n_units;
}

static bool leak_spread(const struct judged *j)
{
	return leak_common(j) && j->private_objs && spread(j);
}

/* A pile found on first sight (the leak happened before attach): many
 * goroutines each on a lock or semaphore of its own, none leaving over a
 * whole interval. Not for goroutines waiting for an event (receive,
 * select, WaitGroup): idle workers and subscribers each rest on a channel
 * of their own (measured: tests/e2e/test_gobugs.py's look-alikes). Not
 * for threads: JVM and Python pools park every worker on a private futex
 * word (a Parker, a per-waiter lock). */
static bool leak_pile(const struct judged *j)
{
	return j->f->kind == UNIT_GOROUTINE && !j->f->resting && leak_common(j) &&
	       j->private_objs && j->s->reports_seen >= 2 && !j->s->departures &&
	       j->s->n_units >= j->o->leak_min_pile;
}

static bool blocked_forever(const struct judged *j) { return j->f->blocked_forever; }
/* a collector proved that every unit of the site never wakes */
static bool proven_leak(const struct judged *j)
{
	return j->f->proof && j->f->proof != PROOF_OWNER_CYCLE;
}

static bool proven_deadlock(const struct judged *j) { return j->f->proof == PROOF_OWNER_CYCLE; }
/* proven never to wake, each waiting for the next to release, exit or
 * write, the last for the first (judge/wakers.c) */
static bool waker_cycle(const struct judged *j)
{
	return j->f->proof == PROOF_WAKER_CHAIN && j->s->chain_cycle;
}

/* No running goroutine, global or finalizer can reach what these wait on
 * (collect/go/go_reach.c): nothing can ever wake them. The runtime's own
 * goroutines and the main goroutine (`<-make(chan struct{})` is how a
 * server's main blocks on purpose) are left to the rules below. */
static bool proven(const struct judged *j)
{
	return j->f->proven && !j->f->go_runtime && !j->f->main_unit;
}

static bool proven_cycle(const struct judged *j) { return proven(j) && j->f->proven_cycle; }
static bool stopped(const struct judged *j) { return j->s->stopped; }

/* A request sent on a connection the process opened, no answer for longer
 * than the threshold: whatever the call's timeout (a poll of that one
 * socket has one), the thread stalls on its peer. */
static bool awaiting_peer(const struct judged *j) { return j->s->awaiting_peer; }
/* The same, through the one goroutine that can wake it (an HTTP client
 * call's transport readLoop: collect/go/go_holders.c). */
static bool awaiting_peer_via(const struct judged *j) { return j->s->awaiting_peer && j->f->peer_via; }

/* Goroutines blocked sending, each on a channel of its own, none leaving:
 * whoever was to receive is gone (the result channel of a request that
 * timed out, a subscriber that quit). Producers that wait for a busy
 * consumer share its channel instead. */
static bool send_pile(const struct judged *j)
{
	return j->f->sending && leak_common(j) && j->private_objs && j->s->reports_seen >= 2 &&
	       !j->s->departures && j->s->n_units >= j->o->leak_min_threads;
}

/* Goroutines waiting, each for a mutex of its own, none getting it: whoever
 * holds each lock is not releasing it (a return path that skipped Unlock,
 * a mutex copied while locked, a method locking twice). */
static bool lock_pile(const struct judged *j)
{
	return j->f->locking && leak_common(j) && j->private_objs && j->s->reports_seen >= 2 &&
	       !j->s->departures && j->s->n_units >= j->o->leak_min_threads;
}

/* A crowd (leak_min_pile) of goroutines blocked sending or waiting for a
 * lock, on any objects, and not one got through in a whole observation: a
 * live receiver or lock holder lets some through in seconds; these wait
 * for one that is gone (a consumer that quit, a lock never unlocked, a
 * semaphore token never given back). Waits for an event (a receive) are
 * not judged so: a pool resting on a shared channel looks the same. */
static bool crowd(const struct judged *j)
{
	return (j->f->sending || j->f->locking) && leak_common(j) && j->s->reports_seen >= 2 &&
	       !j->s->departures && j->s->n_units >= j->o->leak_min_pile;
}

/* Goroutines each waiting for an event on an object of its own, none
 * leaving, started one by one among goroutines now gone: most neighbours
 * in goid order have a few goids between them that no parked goroutine
 * holds. A pool or a set of subscribers started in a loop has consecutive
 * goids; a connection's writer has its reader parked beside it; these were
 * started one per request or iteration beside short-lived helpers (a
 * producer, a stopper, the workers of a WaitGroup) that finished while
 * they kept waiting. A heuristic, not a proof: long-lived goroutines each
 * resting on a channel of its own, started beside helpers that exited,
 * look the same. */
static bool sparse_rest(const struct judged *j)
{
	return j->f->resting && leak_common(j) && j->private_objs && j->s->reports_seen >= 2 &&
	       !j->s->departures && j->s->n_units >= j->o->leak_min_threads &&
	       j->f->interleaved * 2 >= j->s->n_units - 1;
}

/* One goroutine waiting for an event (a receive, a select, a WaitGroup):
 * what every service loop looks like, at rest. */
static bool lone_rest(const struct judged *j)
{
	return j->f->resting && j->s->n_units == 1;
}

static bool alone(const struct judged *j)
{
	return j->s->n_units == 1 && j->s->no_timeout && !j->s->woken_since_park;
}

static bool signal_wait(const struct judged *j) { return j->s->signal_wait; }
static bool owner_resting(const struct judged *j) { return j->s->lock_wait && j->s->owner_resting; }

/* A service's background worker waits, alone and without timeout, on a
 * condition that lives in the program's own data (a global queue or
 * condvar); a request's leaked wait is on heap memory. */
static bool alone_global(const struct judged *j)
{
	return alone(j) && j->f->condition_wait && j->s->object_region == OBJECT_REGION_GLOBAL;
}

/* A service's own background thread (created as the process started)
 * resting, alone and without timeout, on a condition: an allocator's
 * purging thread, a cache's maintenance thread. A thread started later,
 * for a request, that waits alone on a condition nobody signals stays
 * stuck. */
static bool alone_startup(const struct judged *j)
{
	return alone(j) && j->f->condition_wait && j->s->started_with_process;
}

/* Most units wait each on an object of their own that a queue through the
 * others' structs links (a pool's idle queue, collect/threads/
 * pool_links.c): the pool can hand them work, so none of the rules on
 * private objects applies. */
static bool pool_linked(const struct judged *j)
{
	return j->s->n_units >= 2 && j->s->linked_units * 4 > j->s->n_units;
}

static bool shared_object(const struct judged *j) { return j->s->distinct_wait_objects == 1; }
static bool any(const struct judged *j) { return true; }

static const struct rule rules[] = {
	PROVEN(VERDICT_DEADLOCK, "threads wait in a cycle for mutexes held by each other", in_cycle, PROOF_OWNER_CYCLE),
	PROVEN(VERDICT_DEADLOCK, "units wait in a cycle for each other (the runtime's owners)", proven_deadlock, PROOF_OF_FACTS),
	PROVEN(VERDICT_DEADLOCK, "threads wait in a cycle for each other to release a mutex, exit or write a pipe", waker_cycle, PROOF_WAKER_CHAIN),
	PROVEN(VERDICT_LEAK, "proven never to wake", proven_leak, PROOF_OF_FACTS),
	PROVEN(VERDICT_LEAK, "blocked forever: a nil channel or a select with no cases", blocked_forever, PROOF_WAIT_REASON),
	PROVEN(VERDICT_DEADLOCK, "blocked forever: each waits for a lock another of them holds, and no running goroutine or global can reach those locks", proven_cycle, PROOF_REACHABILITY),
	PROVEN(VERDICT_LEAK, "blocked forever: no running goroutine or global can reach what it waits on", proven, PROOF_REACHABILITY),
	RULE(VERDICT_STUCK, "stopped by a signal (SIGSTOP, job control): nothing runs it until SIGCONT", stopped),
	RULE(VERDICT_IDLE, "Go runtime (idle M or runtime goroutine)", go_runtime),
	RULE(VERDICT_IDLE, "JVM runtime thread (GC, compiler, VM, reference handler, finalizer)", java_runtime),
	RULE(VERDICT_IDLE, "sleep, timer or GC wait", idle_wait),
	RULE(VERDICT_IDLE, "waits for a goroutine a timer wakes: it holds the channel or WaitGroup waited on", timer_fed),
	RULE(VERDICT_IDLE, "listener waiting for connections", listener),
	RULE(VERDICT_IDLE, "reads a connection whose peer owes no reply (keep-alive or idle pooled connection)", idle_conn),
	RULE(VERDICT_IDLE, "main goroutine waiting", main_goroutine),
	RULE(VERDICT_IDLE, "event-loop wait", event_loop),
	RULE(VERDICT_IDLE, "waits for connections (accept)", accepting),
	RULE(VERDICT_IDLE, "timed wait", timed),
	RULE(VERDICT_IDLE, "joins threads that are still running", joining_running),
	RULE(VERDICT_IDLE, "waits for signals", signal_wait),
	RULE(VERDICT_IDLE, "waits for its child", child_wait),
	RULE(VERDICT_IDLE, "stacks not captured yet (over the per-report cap): judged by its stacks next report", awaiting_stacks),
	RULE(VERDICT_LEAK, "goroutines keep running and never finish: more at each report, none exited", keeps_running),
	RULE(VERDICT_IDLE, "goroutines running, not parked past the threshold, with no sustained growth", live_running),
	RULE(VERDICT_LEAK, "parked units keep arriving on private objects, more than leave", leak_growing),
	RULE(VERDICT_LEAK, "parked units arrived over time on private objects and none left", leak_spread),
	RULE(VERDICT_LEAK, "a pile of parked units, each on a private object, none leaving", leak_pile),
	RULE(VERDICT_LEAK, "goroutines blocked sending on private channels, none leaving: no receiver is left", send_pile),
	RULE(VERDICT_LEAK, "goroutines waiting each for a mutex of its own, none getting it: the holders never unlock", lock_pile),
	RULE(VERDICT_LEAK, "a crowd of goroutines blocked sending or locking and none got through: the receiver or holder is gone", crowd),
	RULE(VERDICT_LEAK, "goroutines each on its own channel or WaitGroup, none leaving, started among goroutines now gone: per-request work that never finished", sparse_rest),
	RULE(VERDICT_STUCK, "waits for a goroutine that waits for a reply its TCP peer has not sent", awaiting_peer_via),
	RULE(VERDICT_STUCK, "waits for a reply its TCP peer has not sent", awaiting_peer),
	RULE(VERDICT_STUCK, "uninterruptible sleep (D) past the threshold", disk),
	RULE(VERDICT_IDLE, "waits for a mutex its owner holds while resting in an event loop", owner_resting),
	RULE(VERDICT_STUCK, "waits for a mutex another thread holds", lock_wait),
	RULE(VERDICT_IDLE, "the main thread waits while the process's other threads work", main_thread),
	RULE(VERDICT_IDLE, "alone on a process-global condition (a service worker at rest)", alone_global),
	RULE(VERDICT_IDLE, "alone on a condition since its process started (a service's background thread at rest)", alone_startup),
	RULE(VERDICT_IDLE, "a lone goroutine waiting for an event (a service loop at rest)", lone_rest),
	RULE(VERDICT_STUCK, "alone, no timeout, never woken", alone),
	RULE(VERDICT_IDLE, "a pool at rest: each waits on an object of its own that a queue through the others links (the pool can hand it work)", pool_linked),
	RULE(VERDICT_IDLE, "group sharing one wait object (pool)", shared_object),
	RULE(VERDICT_IDLE, "fixed group with no growth", any),
};

/* "parked units ..." reads "parked threads ..." or "parked goroutines ...". */
static const char *const leak_reasons[UNIT_KINDS][3] = {
	[UNIT_THREAD] = { "parked threads keep arriving on private objects, more than leave",
			  "parked threads arrived over time on private objects and none left",
			  "a pile of parked threads, each on a private object, none leaving" },
	[UNIT_GOROUTINE] = { "parked goroutines keep arriving on private objects, more than leave",
			     "parked goroutines arrived over time on private objects and none left",
			     "a pile of parked goroutines, each on a private object, none leaving" },
	[UNIT_CONNECTION] = { "unanswered requests keep arriving, more than leave",
			      "unanswered requests arrived over time and none left",
			      "a pile of unanswered requests, none leaving" },
};

/* What each proof a collector gives says, for the proven_leak rule. */
static const char *const proof_reasons[PROOF_KINDS] = {
	[PROOF_REACHABILITY] = "proven never to wake: nothing that could wake them can reach what they wait on",
	[PROOF_WAIT_REASON] = "proven never to wake: their wait cannot end",
	[PROOF_WAKER_CHAIN] = "proven never to wake: every unit that could wake them is itself stuck or gone",
	[PROOF_RUNTIME_LEAK_STATUS] = "proven never to wake: the runtime reports them leaked",
};

static const char *reason_of(const struct rule *r, const struct judged *j)
{
	if (r->match == proven_leak && j->f->proof < PROOF_KINDS && proof_reasons[j->f->proof])
		return proof_reasons[j->f->proof];
	/* the default mode does not see wake-ups: say only what it saw */
	if (r->match == alone && !j->s->wakeups_known)
		return "alone, no timeout";
	if (r->match == leak_growing && !j->private_objs)
		return j->f->kind == UNIT_GOROUTINE ?
		       "goroutines keep parking at this site after attach and none leave" : r->reason;
	if (r->match == leak_growing)
		return leak_reasons[j->f->kind][0];
	if (r->match == leak_spread)
		return leak_reasons[j->f->kind][1];
	if (r->match == leak_pile)
		return leak_reasons[j->f->kind][2];
	if (r->match == proven && j->f->runtime_leaked)
		return "blocked forever: the program's own Go runtime found it leaked (goroutineleak profile)";
	if (r->match == proven && j->f->proven_channel)
		return "blocked forever: no running goroutine or global can reach the channel it waits on";
	if (r->match == proven && j->f->locking)
		return "blocked forever: no running goroutine or global can reach the mutex it waits for";
	if (r->match == crowd)
		return j->f->sending ?
		       "a crowd of goroutines blocked sending and none got through: the receiver is gone" :
		       "a crowd of goroutines waiting for a lock and none got it: the holder never unlocks";
	return r->reason;
}

void rules_judge(const struct rule_opts *o, struct site_report *s, const struct site_facts *f)
{
	struct judged j = {
		.o = o, .s = s, .f = f,
		.net = s->arrivals > s->departures ? s->arrivals - s->departures : 0,
		.span_s = (s->max_parked_ns - s->min_parked_ns) / 1e9,
		/* a unit whose object a pool's queue links is on no private object */
		.private_objs = s->distinct_wait_objects >= 2 &&
				s->distinct_wait_objects * 4 >= s->n_units * 3 &&
				(s->n_units - s->linked_units) * 4 >= s->n_units * 3,
	};

	/* arrivals over the time observed only: a spread of park times on
	 * first sight is no rate of arrival (the outputs show it as such) */
	s->growth_per_min = 0;
	if (s->reports_seen >= 2 && s->observed_seconds >= 1)
		s->growth_per_min = j.net * 60.0 / s->observed_seconds;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].match(&j)) {
			s->verdict = rules[i].verdict;
			s->reason = reason_of(&rules[i], &j);
			s->evidence = (struct evidence){
				.proof = rules[i].proof == PROOF_OF_FACTS ? f->proof :
				/* the program's own detector marked them: its proof, not ours */
				rules[i].match == proven && f->runtime_leaked ? PROOF_RUNTIME_LEAK_STATUS :
				rules[i].proof,
				.heuristic = rules[i].name,
				.proven_units = rules[i].proof == PROOF_REACHABILITY ? f->n_proven : 0 };
			return;
		}
	}
}
