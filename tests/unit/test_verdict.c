// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the verdict rules and the owner graph: synthetic reports
 * fed to verdict_engine__judge over successive reports, their facts
 * (mutex owners, joins, regions, peers) collected first by the collectors'
 * own code with fake readers. Lock owners must be live threads of the
 * process (lockgraph checks /proc/PID/task/TID), so those tests use this
 * process's pid and the tids of a few parked helper threads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/sockets/peers.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/pool_links.h"
#include "collect/threads/thread_facts.h"
#include "model/report.h"
#include "judge/owner_graph.h"
#include "judge/verdict.h"

#define NS		1000000000ULL
#define REAL_BASE	(1700000000ULL * NS)
#define OTHER_PID	4242	/* leak-rule tests: no memory is read for them */

/* futex ops as the syscall sees them */
#define OP_WAIT_PRIVATE		128		/* FUTEX_WAIT | PRIVATE: glibc mutex */
#define OP_BITSET_PRIVATE	(9 | 128)	/* condvar */
#define OP_BITSET_SHARED_RT	(9 | 256)	/* pthread_join */
#define OP_LOCK_PI_PRIVATE	(6 | 128)

/* ---- fake target memory: a few futex words with an owner at +8 ---- */

struct fake_word {
	uint64_t addr;
	int32_t w[3];		/* __lock, __count, __owner */
};

struct fake_mem {
	struct fake_word words[8];
	int n;
	int reads;
};

static int fake_read(void *ctx, uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	(void)pid;
	m->reads++;
	for (int i = 0; i < m->n; i++) {
		if (m->words[i].addr == addr && len <= sizeof(m->words[i].w)) {
			memcpy(buf, m->words[i].w, len);
			return 0;
		}
	}
	return -EFAULT;
}

static void fake_set(struct fake_mem *m, uint64_t addr, int32_t lock, int32_t owner)
{
	m->words[m->n++] = (struct fake_word){ addr, { lock, 0, owner } };
}

/* ---- synthetic threads ---- */

enum wait_shape {
	W_CONDVAR,	/* private FUTEX_WAIT_BITSET, no timeout, object = obj */
	W_CONDVAR_TIMED,
	W_MUTEX,	/* private FUTEX_WAIT val 2 on obj (contended glibc mutex) */
	W_LOCK_PI,
	W_JOIN,		/* shared FUTEX_WAIT_BITSET val = obj (a tid) on addr 0x7000 */
	W_READ,		/* read(fd = obj) */
	W_EPOLL,	/* epoll_wait(..., -1) */
	W_ACCEPT,
	W_SIGWAIT,	/* rt_sigtimedwait(set, info, NULL) */
	W_POLL1,	/* poll(obj, 1, 600000): one socket, with a timeout */
	W_WAIT4,	/* wait4(-1, status, 0, NULL): a shell waiting for its child */
};

struct tspec {
	uint32_t tid;
	uint64_t site;
	double parked_s;
	enum wait_shape wait;
	uint64_t obj;
	char state;		/* 0 = 'S' */
	uint64_t nvcsw;		/* 0 = tid (a stable per-thread value) */
	uint64_t wakeups;
	int64_t jitter_ns;	/* added to parked_since (task clock correction noise) */
	double age_s;		/* since created; 0 = parked_s + 1 (parked on creation) */
	uint8_t link;		/* enum wait_link (collect/threads/pool_links.c) */
};

#define JOIN_ADDR 0x7000

/* tid, site, parked seconds, wait shape, object; more fields by name after */
#define TS(t, st, p, w, o, ...) \
	{ .tid = (t), .site = (st), .parked_s = (p), .wait = (w), .obj = (o), __VA_ARGS__ }

static void classify(const struct tspec *s, struct wait_info *w)
{
	uint64_t a[6] = { 0 };
	long nr = 202;

	switch (s->wait) {
	case W_CONDVAR:
	case W_CONDVAR_TIMED:
		a[0] = s->obj;
		a[1] = OP_BITSET_PRIVATE;
		a[3] = s->wait == W_CONDVAR_TIMED ? 0x7ffd0000 : 0;
		break;
	case W_MUTEX:
		a[0] = s->obj;
		a[1] = OP_WAIT_PRIVATE;
		a[2] = 2;
		break;
	case W_LOCK_PI:
		a[0] = s->obj;
		a[1] = OP_LOCK_PI_PRIVATE;
		break;
	case W_JOIN:
		a[0] = JOIN_ADDR;
		a[1] = OP_BITSET_SHARED_RT;
		a[2] = s->obj;
		a[5] = 0xffffffff;
		break;
	case W_READ:
		nr = 0;
		a[0] = s->obj;
		break;
	case W_EPOLL:
		nr = 232;
		a[3] = (uint64_t)-1;
		break;
	case W_ACCEPT:
		nr = 288;
		a[0] = s->obj;
		break;
	case W_SIGWAIT:
		nr = 128;
		break;
	case W_WAIT4:
		nr = 61;
		a[0] = (uint64_t)-1;
		break;
	case W_POLL1:
		nr = 7;
		a[0] = s->obj;
		a[1] = 1;
		a[2] = 600000;
		break;
	}
	wait_classify(nr, a, w);
}

/* Build report number `step` (one second apart) of process pid. */
static void build(struct report *r, uint32_t pid, int step, const struct tspec *ts, size_t n)
{
	report_reset(r);
	r->mono_ns = 1000 * NS + step * NS;
	r->real_ns = REAL_BASE + r->mono_ns;
	r->threshold_ns = 2 * NS;
	r->interval_ns = NS;
	for (size_t i = 0; i < n; i++) {
		struct thread_report *t = report_add_thread(r);

		assert_non_null(t);
		t->pid = pid;
		t->tid = ts[i].tid;
		snprintf(t->comm, sizeof(t->comm), "proc");
		snprintf(t->thread, sizeof(t->thread), "t%u", ts[i].tid);
		t->state = ts[i].state ? ts[i].state : 'S';
		t->parked_ns = (uint64_t)(ts[i].parked_s * NS);
		t->parked_since_ns = r->real_ns - t->parked_ns + ts[i].jitter_ns;
		t->park_seen = true;
		t->age_ns = ts[i].age_s ? (uint64_t)(ts[i].age_s * NS) : t->parked_ns + NS;
		t->nvcsw = ts[i].nvcsw ? ts[i].nvcsw : ts[i].tid;
		t->wakeups = ts[i].wakeups;
		t->site = ts[i].site;
		t->wait_link = ts[i].link;
		classify(&ts[i], &t->wait);
	}
}

static const struct site_report *site_of(const struct report *r, uint32_t tid)
{
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid)
			return &r->sites[r->threads[i].site_index];
	fail_msg("tid %u not in the report", tid);
	return NULL;
}

static enum verdict verdict_of(const struct report *r, uint32_t tid)
{
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid)
			return r->threads[i].verdict;
	return VERDICT_NONE;
}

/* ---- table-driven rules over successive reports ---- */

#define MAX_T 24
#define MAX_STEPS 4

struct step {
	struct tspec t[MAX_T];
	enum verdict want;	/* verdict of the site of t[0] */
	const char *reason;	/* substring of its reason, NULL = any */
};

struct rule_case {
	const char *name;
	struct step steps[MAX_STEPS];
};

#define SITE 0xabcdef01ULL
#define CV(tid, s, obj) TS(tid, SITE, s, W_CONDVAR, obj)

static const struct rule_case rule_cases[] = {
	{ "one parked thread alone, then arrivals on private condvars: stuck, then leak", {
		{ { CV(10, 2.5, 0x1000) }, VERDICT_STUCK, "alone" },
		{ { CV(10, 3.5, 0x1000), CV(11, 2.9, 0x1100), CV(12, 2.1, 0x1200) }, VERDICT_LEAK, NULL },
		{ { CV(10, 4.5, 0x1000), CV(11, 3.9, 0x1100), CV(12, 3.1, 0x1200),
		    CV(13, 2.2, 0x1300) }, VERDICT_LEAK, "arriving" },
	} },
	{ "first sighting: spread park times on private objects is a leak", {
		{ { CV(10, 6.0, 0x1000), CV(11, 4.5, 0x1100), CV(12, 3.0, 0x1200) }, VERDICT_LEAK,
		  "arrived over time" },
	} },
#define QL(tid, s, obj) TS(tid, SITE, s, W_CONDVAR, obj, .link = WAIT_LINK_OUTSIDE)
#define QN(tid, s, obj) TS(tid, SITE, s, W_CONDVAR, obj, .link = WAIT_LINK_NONE)
	{ "a pool's queue links the spread workers' condvars (Varnish after a burst): no leak", {
		{ { QL(10, 6.0, 0x1000), QL(11, 4.5, 0x1100), QN(12, 3.0, 0x1200) }, VERDICT_IDLE,
		  "a pool at rest" },
	} },
	{ "read and not linked, or one linked of five: still a leak", {
		{ { QN(10, 6.0, 0x1000), QN(11, 4.5, 0x1100), QN(12, 3.0, 0x1200) }, VERDICT_LEAK,
		  "arrived over time" },
		{ { QL(10, 7.0, 0x1000), QN(11, 5.5, 0x1100), QN(12, 4.0, 0x1200),
		    QN(13, 3.5, 0x1300), QN(14, 3.2, 0x1400) }, VERDICT_LEAK, NULL },
	} },
#define PW(tid, s, obj) TS(tid, SITE, s, W_CONDVAR, obj, .age_s = 60)
	{ "a pool's workers (created long before) spread on private condvars after a burst: no leak", {
		{ { PW(10, 6.0, 0x1000), PW(11, 4.5, 0x1100), PW(12, 3.0, 0x1200) }, VERDICT_IDLE,
		  "fixed group" },
	} },
	{ "a burst (growth in one report), then rest: no leak", {
		{ { PW(10, 6.0, 0x1000), PW(11, 5.9, 0x1100) }, VERDICT_IDLE, NULL },
		{ { PW(10, 7.0, 0x1000), PW(11, 6.9, 0x1100), PW(12, 2.5, 0x1200), PW(13, 2.4, 0x1300),
		    PW(14, 2.3, 0x1400), PW(15, 2.2, 0x1500), PW(16, 2.1, 0x1600) }, VERDICT_IDLE, NULL },
		{ { PW(10, 8.0, 0x1000), PW(11, 7.9, 0x1100), PW(12, 3.5, 0x1200), PW(13, 3.4, 0x1300),
		    PW(14, 3.3, 0x1400), PW(15, 3.2, 0x1500), PW(16, 3.1, 0x1600) }, VERDICT_IDLE,
		  "fixed group" },
	} },
	{ "2 net arrivals over 20 parked threads, one a report: not significant growth", {
		{ { PW(1, 9, 0x100), PW(2, 9, 0x200), PW(3, 9, 0x300), PW(4, 9, 0x400), PW(5, 9, 0x500),
		    PW(6, 9, 0x600), PW(7, 9, 0x700), PW(8, 9, 0x800), PW(9, 9, 0x900),
		    PW(10, 9, 0xa00), PW(11, 9, 0xb00), PW(12, 9, 0xc00), PW(13, 9, 0xd00),
		    PW(14, 9, 0xe00), PW(15, 9, 0xf00), PW(16, 9, 0x1000), PW(17, 9, 0x1100),
		    PW(18, 9, 0x1200) }, VERDICT_IDLE, NULL },
		{ { PW(1, 9, 0x100), PW(2, 9, 0x200), PW(3, 9, 0x300), PW(4, 9, 0x400), PW(5, 9, 0x500),
		    PW(6, 9, 0x600), PW(7, 9, 0x700), PW(8, 9, 0x800), PW(9, 9, 0x900),
		    PW(10, 9, 0xa00), PW(11, 9, 0xb00), PW(12, 9, 0xc00), PW(13, 9, 0xd00),
		    PW(14, 9, 0xe00), PW(15, 9, 0xf00), PW(16, 9, 0x1000), PW(17, 9, 0x1100),
		    PW(18, 9, 0x1200), PW(19, 2.5, 0x1300) }, VERDICT_IDLE, NULL },
		{ { PW(1, 9, 0x100), PW(2, 9, 0x200), PW(3, 9, 0x300), PW(4, 9, 0x400), PW(5, 9, 0x500),
		    PW(6, 9, 0x600), PW(7, 9, 0x700), PW(8, 9, 0x800), PW(9, 9, 0x900),
		    PW(10, 9, 0xa00), PW(11, 9, 0xb00), PW(12, 9, 0xc00), PW(13, 9, 0xd00),
		    PW(14, 9, 0xe00), PW(15, 9, 0xf00), PW(16, 9, 0x1000), PW(17, 9, 0x1100),
		    PW(18, 9, 0x1200), PW(19, 3.5, 0x1300), PW(20, 2.5, 0x1400) }, VERDICT_IDLE,
		  "fixed group" },
	} },
	{ "a pool's workers arriving report after report, enough of the site: a leak", {
		{ { PW(10, 6.0, 0x1000), PW(11, 5.9, 0x1100) }, VERDICT_IDLE, NULL },
		{ { PW(10, 7.0, 0x1000), PW(11, 6.9, 0x1100), PW(12, 2.5, 0x1200) }, VERDICT_IDLE, NULL },
		{ { PW(10, 8.0, 0x1000), PW(11, 7.9, 0x1100), PW(12, 3.5, 0x1200), PW(13, 2.4, 0x1300) },
		  VERDICT_LEAK, "more than leave" },
	} },
	{ "first sighting: 3 private waits parked together is a fixed group", {
		{ { CV(10, 5.0, 0x1000), CV(11, 5.0, 0x1100), CV(12, 4.8, 0x1200) }, VERDICT_IDLE,
		  "fixed group" },
		{ { CV(10, 6.0, 0x1000), CV(11, 6.0, 0x1100), CV(12, 5.8, 0x1200) }, VERDICT_IDLE,
		  "fixed group" },
	} },
	{ "pool on one condvar (both __g_signals words): idle even when spread and growing", {
		{ { CV(10, 9.0, 0x2000), CV(11, 7.0, 0x2004), CV(12, 5.0, 0x2000), CV(13, 3.0, 0x2004) },
		  VERDICT_IDLE, "pool" },
		{ { CV(10, 10.0, 0x2000), CV(11, 8.0, 0x2004), CV(12, 6.0, 0x2000), CV(13, 4.0, 0x2004),
		    CV(14, 2.5, 0x2000), CV(15, 2.2, 0x2004) }, VERDICT_IDLE, "pool" },
	} },
	{ "two waits 4 bytes apart are one condvar, not private objects", {
		{ { CV(10, 6.0, 0x2000), CV(11, 3.0, 0x2004) }, VERDICT_IDLE, "pool" },
	} },
	{ "private objects with churn: arrivals matched by departures is no leak", {
		{ { CV(10, 3.0, 0x1000), CV(11, 2.5, 0x1100) }, VERDICT_IDLE, NULL },
		{ { CV(12, 2.6, 0x1200), CV(13, 2.2, 0x1300) }, VERDICT_IDLE, "fixed group" },
		{ { CV(14, 2.6, 0x1400), CV(15, 2.2, 0x1500) }, VERDICT_IDLE, "fixed group" },
	} },
	{ "net growth despite one departure, sustained over two reports, is a leak", {
		{ { CV(10, 3.0, 0x1000), CV(11, 2.9, 0x1100) }, VERDICT_IDLE, NULL },
		{ { CV(11, 3.9, 0x1100), CV(12, 2.8, 0x1200), CV(13, 2.4, 0x1300),
		    CV(14, 2.1, 0x1400) }, VERDICT_IDLE, NULL },
		{ { CV(11, 4.9, 0x1100), CV(12, 3.8, 0x1200), CV(13, 3.4, 0x1300),
		    CV(14, 3.1, 0x1400), CV(15, 2.2, 0x1500) }, VERDICT_LEAK, "more than leave" },
	} },
	{ "park-time jitter of an old park is not a departure (nvcsw unchanged)", {
		{ { CV(10, 6.0, 0x1000), CV(11, 4.5, 0x1100), CV(12, 3.0, 0x1200) }, VERDICT_LEAK,
		  "arrived over time" },
		{ { TS(10, SITE, 7.0, W_CONDVAR, 0x1000, .jitter_ns = 70000000),
		    TS(11, SITE, 5.5, W_CONDVAR, 0x1100, .jitter_ns = -65000000),
		    TS(12, SITE, 4.0, W_CONDVAR, 0x1200, .jitter_ns = 300000000) }, VERDICT_LEAK,
		  "arrived over time" },
	} },
	{ "a thread that ran and parked again (nvcsw moved) left and came back", {
		{ { CV(10, 3.0, 0x1000), CV(11, 2.9, 0x1100) }, VERDICT_IDLE, NULL },
		{ { TS(10, SITE, 2.1, W_CONDVAR, 0x1000, .nvcsw = 99), CV(11, 3.9, 0x1100),
		    CV(12, 2.2, 0x1200) }, VERDICT_IDLE, NULL },
		{ { TS(10, SITE, 3.1, W_CONDVAR, 0x1000, .nvcsw = 99), CV(11, 4.9, 0x1100),
		    CV(12, 3.2, 0x1200) }, VERDICT_IDLE, NULL },
	} },
	{ "woken without running blocks the leak verdict", {
		{ { CV(10, 3.0, 0x1000), CV(11, 2.9, 0x1100) }, VERDICT_IDLE, NULL },
		{ { TS(10, SITE, 4.0, W_CONDVAR, 0x1000, .wakeups = 1), CV(11, 3.9, 0x1100),
		    CV(12, 2.5, 0x1200), CV(13, 2.1, 0x1300) }, VERDICT_IDLE, NULL },
	} },
	{ "timed waits are idle, even accumulating", {
		{ { TS(10, SITE, 6.0, W_CONDVAR_TIMED, 0x1000), TS(11, SITE, 4.0, W_CONDVAR_TIMED, 0x1100),
		    TS(12, SITE, 2.0, W_CONDVAR_TIMED, 0x1200) }, VERDICT_IDLE, "timed" },
	} },
	{ "epoll_wait(-1) is an event loop", {
		{ { TS(10, SITE, 30.0, W_EPOLL, 0) }, VERDICT_IDLE, "event-loop" },
	} },
	{ "accept() waits for clients", {
		{ { TS(10, SITE, 30.0, W_ACCEPT, 3) }, VERDICT_IDLE, "accept" },
	} },
	{ "wait4 for a child is idle (the child is judged itself), alone or not", {
		{ { TS(10, SITE, 30.0, W_WAIT4, 0) }, VERDICT_IDLE, "waits for its child" },
		{ { TS(10, SITE, 31.0, W_WAIT4, 0), TS(11, SITE, 3.0, W_WAIT4, 0),
		    TS(12, SITE, 2.5, W_WAIT4, 0) }, VERDICT_IDLE, "waits for its child" },
	} },
	{ "D state alone past the threshold is stuck", {
		{ { TS(10, SITE, 5.0, W_READ, 7, .state = 'D') }, VERDICT_STUCK, "uninterruptible" },
	} },
	{ "reads on private fds accumulating are a leak (fds are never merged)", {
		{ { TS(10, SITE, 3.0, W_READ, 5), TS(11, SITE, 2.5, W_READ, 6) }, VERDICT_IDLE, NULL },
		{ { TS(10, SITE, 4.0, W_READ, 5), TS(11, SITE, 3.5, W_READ, 6),
		    TS(12, SITE, 2.6, W_READ, 7), TS(13, SITE, 2.2, W_READ, 8) }, VERDICT_LEAK, NULL },
	} },
};

static size_t step_len(const struct step *s)
{
	size_t n = 0;

	while (n < MAX_T && s->t[n].tid)
		n++;
	return n;
}

static void test_rules(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(rule_cases) / sizeof(rule_cases[0]); c++) {
		const struct rule_case *rc = &rule_cases[c];
		struct verdict_engine *e = verdict_engine__new(NULL);
		struct report r = {};

		assert_non_null(e);
		for (int k = 0; k < MAX_STEPS && rc->steps[k].t[0].tid; k++) {
			const struct step *st = &rc->steps[k];
			const struct site_report *s;

			build(&r, OTHER_PID, k, st->t, step_len(st));
			assert_int_equal(verdict_engine__judge(e, &r), 0);
			s = site_of(&r, st->t[0].tid);
			if (s->verdict != st->want || (st->reason && !strstr(s->reason, st->reason)))
				fail_msg("%s, report %d: got %s (%s; arrivals %u departures %u objs %u), "
					 "want %s (%s)", rc->name, k, verdict_name(s->verdict), s->reason,
					 s->arrivals, s->departures, s->distinct_wait_objects,
					 verdict_name(st->want), st->reason ? st->reason : "any");
			for (size_t i = 0; i < r.n_threads; i++)
				if (r.threads[i].site_index == (size_t)(s - r.sites))
					assert_int_equal(r.threads[i].verdict, s->verdict);
			assert_true(r.worst >= s->verdict);
		}
		report_free(&r);
		verdict_engine__free(e);
	}
}

/* "never woken" only where wake-ups are counted (--precise): the default
 * mode does not see them, and its reasons do not claim them. */
static void test_alone_reason(void **state)
{
	struct tspec a[] = { CV(10, 30.0, 0x1000) };
	struct report r = {};

	(void)state;
	for (int precise = 0; precise <= 1; precise++) {
		struct verdict_engine *e = verdict_engine__new(NULL);
		const struct site_report *s;

		build(&r, OTHER_PID, 0, a, 1);
		r.threads[0].wakeups_known = precise;
		assert_int_equal(verdict_engine__judge(e, &r), 0);
		s = site_of(&r, 10);
		assert_int_equal(s->verdict, VERDICT_STUCK);
		assert_non_null(strstr(s->reason, "alone, no timeout"));
		assert_true(!strstr(s->reason, "never woken") == !precise);
		verdict_engine__free(e);
	}
	report_free(&r);
}

/* Evidence counters over successive reports. */
static void test_history_counters(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec a[] = { CV(10, 3.0, 0x1000), CV(11, 2.9, 0x1100) };
	struct tspec b[] = { CV(11, 3.9, 0x1100), CV(12, 2.5, 0x1200), CV(13, 2.1, 0x1300) };
	struct report r = {};
	const struct site_report *s;

	(void)state;
	build(&r, OTHER_PID, 0, a, 2);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	s = site_of(&r, 10);
	assert_int_equal(s->reports_seen, 1);
	assert_int_equal(s->arrivals, 0);
	assert_int_equal(s->n_units, 2);
	assert_int_equal(s->distinct_wait_objects, 2);
	assert_true(s->no_timeout);
	/* first sight, parks 0.1 s apart: nothing arrived while observed */
	assert_true(s->growth_per_min == 0);
	build(&r, OTHER_PID, 1, b, 3);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	s = site_of(&r, 12);
	assert_int_equal(s->reports_seen, 2);
	assert_int_equal(s->arrivals, 2);
	assert_int_equal(s->departures, 1);
	assert_true(s->observed_seconds > 0.99 && s->observed_seconds < 1.01);
	assert_true(s->growth_per_min > 59 && s->growth_per_min < 61);	/* net +1 in 1 s */
	report_free(&r);
	verdict_engine__free(e);
}

/* Threads of two processes with the same stack are two sites. */
static void test_sites_per_process(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec a[] = { CV(10, 6.0, 0x1000), CV(11, 4.0, 0x1100), CV(12, 3.0, 0x1200) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, a, 3);
	/* the same stack in another process, one thread only */
	r.threads[2].pid = OTHER_PID + 1;
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(r.n_sites, 2);
	assert_ptr_not_equal(site_of(&r, 10), site_of(&r, 12));
	assert_int_equal(site_of(&r, 12)->verdict, VERDICT_STUCK);
	assert_int_equal(site_of(&r, 10)->n_units, 2);
	report_free(&r);
	verdict_engine__free(e);
}

/* Without stacks (site 0) threads are grouped by how they wait. */
static void test_group_without_stacks(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec a[] = { TS(10, 0, 6.0, W_CONDVAR, 0x1000), TS(11, 0, 4.0, W_CONDVAR, 0x1100),
			     TS(12, 0, 3.0, W_CONDVAR, 0x1200), TS(13, 0, 9.0, W_EPOLL, 0) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, a, 4);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(r.n_sites, 2);
	assert_int_equal(site_of(&r, 10)->verdict, VERDICT_LEAK);
	assert_ptr_equal(site_of(&r, 10), site_of(&r, 12));
	assert_int_equal(site_of(&r, 13)->verdict, VERDICT_IDLE);
	assert_int_not_equal(r.threads[0].group, 0);
	report_free(&r);
	verdict_engine__free(e);
}

/* The same group whose stacks wait for the next report (capture cap): its
 * wait shape is no leak evidence until the stacks give its sites. */
static void test_group_awaiting_stacks(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec a[] = { TS(10, 0, 6.0, W_CONDVAR, 0x1000), TS(11, 0, 4.0, W_CONDVAR, 0x1100),
			     TS(12, 0, 3.0, W_CONDVAR, 0x1200) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, a, 3);
	for (size_t i = 0; i < r.n_threads; i++)
		r.threads[i].stack_deferred = true;
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(site_of(&r, 10)->verdict, VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, 10)->reason, "stacks not captured yet"));
	/* one thread with its stack missing for good: the shape judges again */
	build(&r, OTHER_PID, 1, a, 3);
	r.threads[0].stack_deferred = r.threads[1].stack_deferred = true;
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_not_equal(site_of(&r, 12)->verdict, VERDICT_IDLE);
	report_free(&r);
	verdict_engine__free(e);
}

/* Options move the thresholds. */
static void test_options(void **state)
{
	struct verdict_opts o = { .leak_min_threads = 4, .leak_min_span_s = 5, .leak_min_arrivals = 3 };
	struct tspec a[] = { CV(10, 6.0, 0x1000), CV(11, 4.5, 0x1100), CV(12, 3.0, 0x1200) };
	struct tspec b[] = { CV(10, 7.0, 0x1000), CV(11, 5.5, 0x1100), CV(12, 4.0, 0x1200),
			     CV(13, 2.5, 0x1300), CV(14, 2.2, 0x1400) };
	struct tspec c[] = { CV(10, 8.0, 0x1000), CV(11, 6.5, 0x1100), CV(12, 5.0, 0x1200),
			     CV(13, 3.5, 0x1300), CV(14, 3.2, 0x1400), CV(15, 2.1, 0x1500) };
	struct verdict_engine *e = verdict_engine__new(&o);
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, a, 3);	/* 3 threads < 4, span 3 s < 5 s */
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(verdict_of(&r, 10), VERDICT_IDLE);
	build(&r, OTHER_PID, 1, b, 5);	/* 2 arrivals < 3 */
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(verdict_of(&r, 10), VERDICT_IDLE);
	build(&r, OTHER_PID, 2, c, 6);	/* 3 arrivals */
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(verdict_of(&r, 10), VERDICT_LEAK);
	report_free(&r);
	verdict_engine__free(e);
}

/* Threads that were parked past the threshold at a site's last sighting
 * but missing from it (their stack capture deferred by the per-report cap)
 * do not arrive when they join it: only parks that began since do. */
static void test_deferred_are_no_arrivals(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec first[] = { TS(10, 0xa, 10.0, W_CONDVAR, 0x1000),
				 TS(11, 0xa, 10.0, W_CONDVAR, 0x1100),
				 TS(12, 0xa, 10.0, W_CONDVAR, 0x1200) };
	struct tspec later[] = { TS(10, 0xa, 11.0, W_CONDVAR, 0x1000),
				 TS(11, 0xa, 11.0, W_CONDVAR, 0x1100),
				 TS(12, 0xa, 11.0, W_CONDVAR, 0x1200),
				 /* parked before the first report: were due in it */
				 TS(13, 0xa, 11.0, W_CONDVAR, 0x1300),
				 TS(14, 0xa, 3.5, W_CONDVAR, 0x1400),
				 /* parked since the first report: an arrival */
				 TS(15, 0xa, 2.5, W_CONDVAR, 0x1500) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, first, 3);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	build(&r, OTHER_PID, 1, later, 6);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(site_of(&r, 15)->n_units, 6);
	assert_int_equal(site_of(&r, 15)->arrivals, 1);
	report_free(&r);
	verdict_engine__free(e);
}

/* History is bounded by max_sites (least recently seen go first, counted),
 * and sites missed for more than 3 reports are forgotten (not counted). */
static void test_history_bounded(void **state)
{
	struct verdict_opts o = { .max_sites = 2 };
	struct verdict_engine *e = verdict_engine__new(&o);
	struct tspec four[] = { TS(10, 1, 3.0, W_CONDVAR, 0x1000), TS(11, 2, 3.0, W_CONDVAR, 0x1100),
				TS(12, 3, 3.0, W_CONDVAR, 0x1200), TS(13, 4, 3.0, W_CONDVAR, 0x1300) };
	struct tspec one[] = { TS(10, 1, 4.0, W_CONDVAR, 0x1000) };
	struct tspec other[] = { TS(20, 9, 3.0, W_CONDVAR, 0x2000) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, four, 4);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(r.n_sites, 4);		/* every site is judged... */
	assert_int_equal(r.lost[DROP_SITES_EVICTED], 2);	/* ...only 2 are remembered */
	build(&r, OTHER_PID, 1, four, 4);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(r.lost[DROP_SITES_EVICTED], 2);	/* this report's, not the total */
	for (size_t i = 0; i < r.n_sites; i++)
		assert_true(r.sites[i].reports_seen <= 2);

	/* a fresh engine: site 1 is remembered while missed for 3 reports */
	verdict_engine__free(e);
	e = verdict_engine__new(NULL);
	build(&r, OTHER_PID, 0, one, 1);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	for (int k = 1; k <= 3; k++) {
		build(&r, OTHER_PID, k, other, 1);
		assert_int_equal(verdict_engine__judge(e, &r), 0);
	}
	build(&r, OTHER_PID, 4, one, 1);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(site_of(&r, 10)->reports_seen, 2);
	for (int k = 5; k <= 9; k++) {
		build(&r, OTHER_PID, k, other, 1);
		assert_int_equal(verdict_engine__judge(e, &r), 0);
	}
	build(&r, OTHER_PID, 10, one, 1);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(site_of(&r, 10)->reports_seen, 1);
	assert_int_equal(r.lost[DROP_SITES_EVICTED], 0);
	report_free(&r);
	verdict_engine__free(e);
}

/* ---- lock graph: real helper threads of this process as owners ---- */

#define N_HELPERS 4

static pthread_t helpers[N_HELPERS];
static uint32_t helper_tid[N_HELPERS];
static pthread_mutex_t helper_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helper_cv = PTHREAD_COND_INITIALIZER;
static int helpers_started, helpers_stop;

static void *helper(void *arg)
{
	pthread_mutex_lock(&helper_mu);
	helper_tid[(long)arg] = (uint32_t)gettid();
	helpers_started++;
	pthread_cond_broadcast(&helper_cv);
	while (!helpers_stop)
		pthread_cond_wait(&helper_cv, &helper_mu);
	pthread_mutex_unlock(&helper_mu);
	return NULL;
}

static int helpers_setup(void **state)
{
	(void)state;
	for (long i = 0; i < N_HELPERS; i++)
		if (pthread_create(&helpers[i], NULL, helper, (void *)i))
			return -1;
	pthread_mutex_lock(&helper_mu);
	while (helpers_started < N_HELPERS)
		pthread_cond_wait(&helper_cv, &helper_mu);
	pthread_mutex_unlock(&helper_mu);
	return 0;
}

static int helpers_teardown(void **state)
{
	(void)state;
	pthread_mutex_lock(&helper_mu);
	helpers_stop = 1;
	pthread_cond_broadcast(&helper_cv);
	pthread_mutex_unlock(&helper_mu);
	for (int i = 0; i < N_HELPERS; i++)
		pthread_join(helpers[i], NULL);
	return 0;
}

#define M1 0x10000
#define M2 0x10040
#define M3 0x10080

/* The facts of r collected with fo's readers (peer: the peer seam, NULL
 * = none), then r judged: what the session's collectors and judge do. */
static int judge_facts(struct verdict_engine *e, struct report *r,
		       const struct thread_facts_opts *fo, peer_wait_fn peer)
{
	int err = thread_facts_collect(fo, r);

	if (!err && peer)
		peer_facts_collect(r, peer, NULL);
	return err ? err : verdict_engine__judge(e, r);
}

/* One report of this process judged with the fake memory. */
static void judge_mem(struct report *r, struct fake_mem *m, const struct tspec *ts, size_t n)
{
	struct thread_facts_opts fo = { .read_mem = fake_read, .read_ctx = m };
	struct verdict_engine *e = verdict_engine__new(NULL);

	build(r, (uint32_t)getpid(), 0, ts, n);
	assert_int_equal(judge_facts(e, r, &fo, NULL), 0);
	verdict_engine__free(e);
}

/* The cycle through thread i of r, as the judge searches it. */
static int cycle_of(struct report *r, size_t i, uint64_t *ids, int max)
{
	struct unit_ref start = { r->threads[i].pid, UNIT_THREAD, r->threads[i].tid };
	struct owner_graph g;
	uint8_t edges[LT_MAX_CYCLE];

	owner_graph__init(&g, r);
	return owner_graph__cycle(&g, &start, OWNER_LOCKS, ids, edges, max);
}

static uint32_t owner_of(const struct report *r, uint32_t tid)
{
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid)
			return r->threads[i].lock_owner;
	fail_msg("tid %u not in the report", tid);
	return 0;
}

static bool cycle_has(const struct site_report *s, uint32_t tid)
{
	for (uint32_t i = 0; i < s->cycle_len; i++)
		if (s->cycle[i] == tid)
			return true;
	return false;
}

static void test_lock_two_cycle(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1), TS(b, 2, 5.0, W_MUTEX, M2) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fake_set(&m, M1, 2, (int32_t)b);
	fake_set(&m, M2, 2, (int32_t)a);
	judge_mem(&r, &m, ts, 2);
	assert_int_equal(owner_of(&r, a), b);
	assert_int_equal(owner_of(&r, b), a);
	for (int i = 0; i < 2; i++) {
		const struct site_report *s = site_of(&r, ts[i].tid);

		assert_int_equal(s->verdict, VERDICT_DEADLOCK);
		assert_int_equal(s->cycle_len, 2);
		assert_int_equal(s->cycle[0], ts[i].tid);	/* starts at the site's thread */
		assert_true(cycle_has(s, a) && cycle_has(s, b));
	}
	assert_int_equal(r.worst, VERDICT_DEADLOCK);
	report_free(&r);
}

/* Past the report's deadline no lock word is read: owners unknown, each
 * read left counted in lost[DROP_DEADLINE_CUT] (the next report reads them). */
static void test_lock_deadline(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1), TS(b, 2, 5.0, W_MUTEX, M2) };
	struct thread_facts_opts fo;
	struct verdict_engine *e;
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fo = (struct thread_facts_opts){ .read_mem = fake_read, .read_ctx = &m };
	e = verdict_engine__new(NULL);
	fake_set(&m, M1, 2, (int32_t)b);
	fake_set(&m, M2, 2, (int32_t)a);
	build(&r, (uint32_t)getpid(), 0, ts, 2);
	r.deadline_ns = 1;	/* long past */
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(m.reads, 0);
	assert_int_equal(owner_of(&r, a), 0);
	assert_int_equal(owner_of(&r, b), 0);
	assert_int_equal(r.lost[DROP_DEADLINE_CUT], 2);
	assert_true(r.worst < VERDICT_DEADLOCK);
	verdict_engine__free(e);
	report_free(&r);
}

static void test_lock_three_cycle(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1], c = helper_tid[2], d = helper_tid[3];
	/* a -> b -> c -> a, and d waits on a lock held by a (outside the cycle) */
	struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1), TS(b, 1, 5.0, W_MUTEX, M2),
			      TS(c, 1, 5.0, W_MUTEX, M3), TS(d, 2, 5.0, W_MUTEX, M3 + 0x40) };
	struct fake_mem m = {};
	struct report r = {};
	uint64_t cyc[LT_MAX_CYCLE];

	(void)state;
	fake_set(&m, M1, 2, (int32_t)b);
	fake_set(&m, M2, 2, (int32_t)c);
	fake_set(&m, M3, 2, (int32_t)a);
	fake_set(&m, M3 + 0x40, 2, (int32_t)a);
	judge_mem(&r, &m, ts, 4);
	assert_int_equal(site_of(&r, a)->verdict, VERDICT_DEADLOCK);
	assert_int_equal(site_of(&r, a)->cycle_len, 3);
	assert_true(cycle_has(site_of(&r, a), c));
	/* d only waits on the cycle, not part of it: its owner never
	 * releases, so it never wakes (a waker chain into the deadlock) */
	assert_int_equal(owner_of(&r, d), a);
	assert_int_equal(cycle_of(&r, 3, cyc, LT_MAX_CYCLE), 0);
	assert_int_equal(site_of(&r, d)->verdict, VERDICT_LEAK);
	assert_int_equal(site_of(&r, d)->evidence.proof, PROOF_WAKER_CHAIN);
	assert_int_equal(site_of(&r, d)->chain[0], d);
	assert_int_equal(site_of(&r, d)->chain[1], a);
	assert_false(site_of(&r, d)->chain_cycle);
	/* a cycle longer than max is not reported */
	assert_int_equal(cycle_of(&r, 0, cyc, 2), 0);
	assert_int_equal(cycle_of(&r, 1, cyc, 3), 3);
	assert_int_equal(cyc[0], b);
	report_free(&r);
}

static void test_lock_owner_running(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fake_set(&m, M1, 2, (int32_t)b);	/* b is alive but not parked */
	judge_mem(&r, &m, ts, 1);
	assert_int_equal(owner_of(&r, a), b);
	assert_int_equal(site_of(&r, a)->cycle_len, 0);
	assert_int_equal(site_of(&r, a)->verdict, VERDICT_STUCK);
	assert_true(site_of(&r, a)->lock_wait);
	assert_non_null(strstr(site_of(&r, a)->reason, "mutex"));
	report_free(&r);
}

static void test_lock_owner_garbage(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	static const struct {
		int32_t lock, owner;
		const char *what;
	} cases[] = {
		{ 2, 0, "no owner" },
		{ 2, -5, "negative owner" },
		{ 2, 999999999, "no such tid" },
		{ 2, 1, "tid 1 is not a thread of this process" },
		{ 0, -1, "unlocked by now" },	/* owner patched below to b */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1) };
		struct fake_mem m = {};
		struct report r = {};

		fake_set(&m, M1, cases[i].lock, cases[i].owner < 0 && !cases[i].lock ?
			 (int32_t)b : cases[i].owner);
		judge_mem(&r, &m, ts, 1);
		if (owner_of(&r, a))
			fail_msg("%s: owner %u", cases[i].what, owner_of(&r, a));
		assert_int_not_equal(site_of(&r, a)->verdict, VERDICT_DEADLOCK);
		report_free(&r);
	}
	/* the owner is the waiter itself; the memory cannot be read */
	{
		struct tspec ts[] = { TS(a, 1, 5.0, W_MUTEX, M1), TS(b, 2, 5.0, W_MUTEX, M2) };
		struct fake_mem m = {};
		struct report r = {};

		fake_set(&m, M1, 2, (int32_t)a);
		judge_mem(&r, &m, ts, 2);
		assert_int_equal(owner_of(&r, a), 0);
		assert_int_equal(owner_of(&r, b), 0);
		assert_int_equal(m.reads, 2);
		report_free(&r);
	}
}

/* Only contended mutex waits are read: condvars, reads, timed waits are not. */
static void test_lock_only_mutex_waits(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec ts[] = { TS(a, 1, 5.0, W_CONDVAR, M1), TS(b, 2, 5.0, W_READ, 4) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fake_set(&m, M1, 2, (int32_t)b);
	judge_mem(&r, &m, ts, 2);
	assert_int_equal(m.reads, 0);
	assert_int_equal(owner_of(&r, a), 0);
	report_free(&r);
}

static void test_lock_pi(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec ts[] = { TS(a, 1, 5.0, W_LOCK_PI, M1), TS(b, 2, 5.0, W_LOCK_PI, M2) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fake_set(&m, M1, (int32_t)(b | 0x80000000u), 0);	/* FUTEX_WAITERS | owner tid */
	fake_set(&m, M2, (int32_t)(a | 0x80000000u), 0);
	judge_mem(&r, &m, ts, 2);
	assert_int_equal(owner_of(&r, a), b);
	assert_int_equal(owner_of(&r, b), a);
	assert_int_equal(site_of(&r, a)->verdict, VERDICT_DEADLOCK);
	report_free(&r);
}

/* pthread_join on a running thread is idle; on a parked one it is not. */
static void test_join(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec join[] = { TS(a, 1, 9.0, W_JOIN, 0) };
	struct tspec both[] = { TS(a, 1, 9.0, W_JOIN, 0), TS(b, 2, 9.0, W_CONDVAR, 0x5000) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	join[0].obj = both[0].obj = b;
	fake_set(&m, JOIN_ADDR, (int32_t)b, 0);
	judge_mem(&r, &m, join, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, a)->reason, "joins"));
	assert_int_equal(owner_of(&r, a), 0);
	report_free(&r);

	judge_mem(&r, &m, both, 2);	/* b is parked: a waits on a parked thread */
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	report_free(&r);

	m.words[0].w[0] = 0;		/* b exited: the word no longer holds its tid */
	judge_mem(&r, &m, join, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	report_free(&r);

	join[0].obj = 999999999;	/* not a thread of this process */
	m.words[0].w[0] = 999999999;
	judge_mem(&r, &m, join, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	report_free(&r);
}

/* ---- where wait objects live, and the rules that use it ---- */

static const char MAPS[] =
	"55d0c0000000-55d0c0002000 r--p 00000000 08:01 1234 /usr/bin/svc\n"
	"55d0c0002000-55d0c0004000 r-xp 00002000 08:01 1234 /usr/bin/svc\n"
	"55d0c0004000-55d0c0005000 rw-p 00004000 08:01 1234 /usr/bin/svc\n"
	"55d0c0005000-55d0c0006000 rw-p 00000000 00:00 0 \n"
	"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                  [heap]\n"
	"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
	"garbage line without a mapping\n"
	"7f1000000000-7f0000000000 rw-p 00000000 08:01 99 /backwards\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                  [stack]";

static void test_regions(void **state)
{
	(void)state;
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x55d0c0004010), REGION_GLOBAL);
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x55d0c0005010), REGION_GLOBAL); /* bss */
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x55d0c1000100), REGION_HEAP);
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x7f0000000100), REGION_HEAP);
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x7ffc00000100), REGION_HEAP);
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x55d0c0002010), REGION_UNKNOWN); /* text */
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x1000), REGION_UNKNOWN);
	assert_int_equal(maps_region(MAPS, sizeof(MAPS) - 1, 0x7f1000000010), REGION_UNKNOWN);
	/* cut in the middle of a line, empty, garbage */
	assert_int_equal(maps_region(MAPS, 70, 0x55d0c0004010), REGION_UNKNOWN);
	assert_int_equal(maps_region("", 0, 0x1000), REGION_UNKNOWN);
	assert_int_equal(maps_region("\n\n-\n1-\nzz-zz rw-p", 20, 0x1), REGION_UNKNOWN);
	/* the real thing: this test's own globals and heap */
	static int global_word;
	int *heap_word = malloc(sizeof(*heap_word));

	assert_int_equal(procmaps_region(NULL, getpid(), (uintptr_t)&global_word), REGION_GLOBAL);
	assert_int_equal(procmaps_region(NULL, getpid(), (uintptr_t)heap_word), REGION_HEAP);
	free(heap_word);
}

/* ---- pool links: a queue through the waiters' structs ---- */

static void test_pool_links_maps(void **state)
{
	static const char maps[] =
		"55d0c0004000-55d0c0005000 rw-p 00004000 08:01 1234 /usr/bin/svc\n"
		"55d0c0005000-55d0c0006000 rw-p 00000000 00:00 0 \n"
		"55d0c0006000-55d0c0007000 r--p 00000000 00:00 0 \n"
		"7e0000000000-7e0010000000 rw-p 00000000 00:00 0 \n"	/* 256 MiB: skipped */
		"7f0000000000-7f0000021000 rw-s 00000000 00:05 77 /dev/shm/vsm\n"
		"garbage\n"
		"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                  [stack]";
	struct pool_links_cost c = { 0 };
	struct mapping m[8];
	size_t n;

	(void)state;
	n = pool_links__maps(maps, sizeof(maps) - 1, m, 8, &c);
	assert_int_equal(n, 3);	/* data, bss, [stack]: private, readable, writable */
	assert_true(m[0].start == 0x55d0c0004000 && m[1].start == 0x55d0c0005000 &&
		    m[2].start == 0x7ffc00000000);
	assert_int_equal(c.maps_skipped, 1);
	assert_true(c.bytes_skipped == 0x10000000);
	assert_int_equal(pool_links__maps(maps, sizeof(maps) - 1, m, 1, &c), 1);	/* bounded */
	assert_int_equal(pool_links__maps("", 0, m, 8, &c), 0);
}

/* Words at 0x100000.. of a made-up memory; waiters' objects at 0x1000 and
 * 0x2000, stacks [0x100000, 0x100100) and elsewhere. */
static void test_pool_links_scan(void **state)
{
	struct link_waiter w[2] = {
		{ .object = 0x1000, .stack_lo = 0x100000, .stack_hi = 0x100100, .asked = true },
		{ .object = 0x2000, .stack_lo = 0x900000, .stack_hi = 0x900100, .asked = true },
	};
	uint64_t words[4] = { 0x1000 - 88, 0x2000 - 92, 0x3000, 0x1000 + 16 };

	(void)state;
	/* in waiter 0's own stack: nothing links */
	pool_links__scan(words, 4, 0x100000, w, 2);
	assert_false(w[0].linked || w[1].linked);
	/* in no waiter's struct (a heap word): no queue through the waiters */
	pool_links__scan(words, 4, 0x500000, w, 2);
	assert_false(w[0].linked || w[1].linked);
	/* in waiter 0's struct, pointing at itself: no link */
	pool_links__scan(words, 1, 0x1000 - 64, w, 2);
	assert_false(w[0].linked || w[1].linked);
	/* in waiter 0's struct, pointing at waiter 1's: linked, 0 not */
	pool_links__scan(&words[1], 1, 0x1000 - 64, w, 2);
	assert_true(w[1].linked);
	assert_false(w[0].linked);
	/* in waiter 1's struct, past the window's end: nothing */
	pool_links__scan(&words[3], 1, 0x2000 - 8, w, 2);
	assert_false(w[0].linked);
	pool_links__scan(words, 1, 0x2000 - 8, w, 2);
	assert_true(w[0].linked);
}

struct test_worker {
	struct test_worker *next;
	int job;
	pthread_cond_t cond;	/* its futex word is 40 bytes in */
};

static struct test_worker *test_pool_head;

/* The real thing on this process: a queue a -> b -> c headed by a global,
 * and a struct nobody links. */
static void test_pool_links_pass(void **state)
{
	struct test_worker *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct test_worker *c = calloc(1, sizeof(*c)), *p = calloc(1, sizeof(*p));
	struct test_worker *all[4] = { a, b, c, p };
	struct link_waiter w[4];
	struct pool_links_cost cost = { 0 };
	struct procmem m;
	char *maps = NULL;
	size_t len = 0;
	int here = 0;

	(void)state;
	test_pool_head = a;
	a->next = b;
	b->next = c;
	for (int i = 0; i < 4; i++)
		w[i] = (struct link_waiter){ .object = (uintptr_t)&all[i]->cond + 40,
					     .sp = (uintptr_t)&here, .idx = (size_t)i, .asked = true };
	assert_int_equal(procfs__read(getpid(), 0, "maps", &maps, &len), 0);
	procmem__init(&m, getpid());
	pool_links__pass(&m, -1, maps, len, w, 4, &cost);
	for (int i = 0; i < 4; i++) {
		assert_true(w[i].known);
		/* b and c through the struct before them; a only by the global
		 * head; p by nothing (this stack is each one's own) */
		assert_int_equal(w[i].linked, w[i].idx == 1 || w[i].idx == 2);
	}
	assert_true(cost.bytes_read > 0 && cost.maps_read > 0);
	free(maps);
	for (int i = 0; i < 4; i++)
		free(all[i]);
	test_pool_head = NULL;
}

static enum mem_region fake_region(void *ctx, uint32_t pid, uint64_t addr)
{
	(void)pid;
	return addr >= 0x5000 && addr < 0x6000 ? REGION_GLOBAL : *(enum mem_region *)ctx;
}

static void judge_regions(struct report *r, struct fake_mem *m, enum mem_region other,
			  const struct tspec *ts, size_t n)
{
	struct thread_facts_opts fo = { .read_mem = fake_read, .read_ctx = m,
					.region = fake_region, .region_ctx = &other };
	struct verdict_engine *e = verdict_engine__new(NULL);

	build(r, (uint32_t)getpid(), 0, ts, n);
	assert_int_equal(judge_facts(e, r, &fo, NULL), 0);
	verdict_engine__free(e);
}

static void test_service_rest(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	/* alone on a global condvar: a service worker at rest */
	struct tspec global[] = { CV(a, 30.0, 0x5040) };
	judge_regions(&r, &m, REGION_HEAP, global, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, a)->reason, "service worker"));
	assert_int_equal(site_of(&r, a)->object_region, OBJECT_REGION_GLOBAL);
	/* alone on a heap condvar: a request's wait, still stuck */
	struct tspec heap[] = { CV(a, 30.0, 0x9040) };
	judge_regions(&r, &m, REGION_HEAP, heap, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	assert_non_null(strstr(site_of(&r, a)->reason, "alone"));
	/* region unknown: stuck as before */
	judge_regions(&r, &m, REGION_UNKNOWN, heap, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	/* a lone read of a pipe is no condition wait: stuck */
	struct tspec pipe_read[] = { TS(a, 1, 30.0, W_READ, 5) };
	judge_regions(&r, &m, REGION_GLOBAL, pipe_read, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	/* a global mutex is a lock, not a rest: stuck on its owner */
	fake_set(&m, 0x5080, 2, (int32_t)b);
	struct tspec mutex[] = { TS(a, 1, 30.0, W_MUTEX, 0x5080) };
	judge_regions(&r, &m, REGION_GLOBAL, mutex, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	report_free(&r);
}

/* The main thread of a process whose other threads live on waits for them
 * (a server's supervisor): idle; the same wait in another thread is stuck. */
static void test_main_thread(void **state)
{
	uint32_t pid = (uint32_t)getpid(), a = helper_tid[0];
	struct tspec ts[] = { TS(pid, 1, 30.0, W_READ, 9), TS(a, 2, 30.0, W_READ, 10) };
	struct fake_mem m = {};
	struct report r = {};
	struct proc_report *p;
	struct thread_facts_opts fo = { .read_mem = fake_read, .read_ctx = &m };
	struct verdict_engine *e = verdict_engine__new(NULL);

	(void)state;
	build(&r, pid, 0, ts, 2);
	p = report_proc(&r, pid);
	assert_non_null(p);
	p->live_threads = 5;
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(verdict_of(&r, pid), VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, pid)->reason, "main thread"));
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	/* a single-threaded process's main thread alone on a read: stuck */
	build(&r, pid, 1, ts, 1);
	report_proc(&r, pid)->live_threads = 1;
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(verdict_of(&r, pid), VERDICT_STUCK);
	verdict_engine__free(e);
	report_free(&r);
}

static void test_signal_wait(void **state)
{
	uint32_t a = helper_tid[0];
	struct tspec ts[] = { TS(a, 1, 60.0, W_SIGWAIT, 0) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	judge_mem(&r, &m, ts, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, a)->reason, "signals"));
	assert_true(site_of(&r, a)->signal_wait);
	report_free(&r);
}

/* A lone condition wait of a thread created with its process (a service's
 * background thread, e.g. an allocator's) is at rest; the same wait of a
 * thread started a minute later (for a request) is stuck. */
static void test_started_with_process(void **state)
{
	uint32_t a = helper_tid[0];
	struct tspec heap[] = { CV(a, 30.0, 0x9040) };	/* born at 969 s */
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	judge_regions(&r, &m, REGION_HEAP, heap, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	assert_false(site_of(&r, a)->started_with_process);	/* start unknown */
	struct fake_mem m2 = {};
	struct thread_facts_opts fo = { .read_mem = fake_read, .read_ctx = &m2,
					.region = fake_region,
					.region_ctx = &(enum mem_region){ REGION_HEAP } };
	struct verdict_engine *e = verdict_engine__new(NULL);

	build(&r, (uint32_t)getpid(), 0, heap, 1);
	report_proc(&r, (uint32_t)getpid())->start_ns = 965 * NS;
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_true(site_of(&r, a)->started_with_process);
	assert_non_null(strstr(site_of(&r, a)->reason, "since its process started"));
	verdict_engine__free(e);
	e = verdict_engine__new(NULL);
	build(&r, (uint32_t)getpid(), 0, heap, 1);
	report_proc(&r, (uint32_t)getpid())->start_ns = 900 * NS;	/* born 69 s later */
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	assert_false(site_of(&r, a)->started_with_process);
	/* a lone read (not a condition) of a start-up thread: still stuck */
	struct tspec pipe_read[] = { TS(a, 1, 30.0, W_READ, 5) };

	verdict_engine__free(e);
	e = verdict_engine__new(NULL);
	build(&r, (uint32_t)getpid(), 0, pipe_read, 1);
	report_proc(&r, (uint32_t)getpid())->start_ns = 965 * NS;
	assert_int_equal(judge_facts(e, &r, &fo, NULL), 0);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	verdict_engine__free(e);
	report_free(&r);
}

/* Stopped threads (SIGSTOP) are stuck whatever they waited on before. */
static void test_stopped(void **state)
{
	uint32_t a = helper_tid[0];
	struct tspec stopped[] = { TS(a, 1, 30.0, W_EPOLL, 0, .state = 'T') };
	struct tspec resting[] = { TS(a, 1, 30.0, W_EPOLL, 0) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	judge_mem(&r, &m, stopped, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	assert_non_null(strstr(site_of(&r, a)->reason, "stopped by a signal"));
	assert_true(site_of(&r, a)->stopped);
	judge_mem(&r, &m, resting, 1);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_false(site_of(&r, a)->stopped);
	report_free(&r);
}

/* The peer seam: objects 0x100.. are sockets whose request is unanswered
 * for (object - 0x100) seconds; the rest are not sockets. */
static bool fake_peer(void *ctx, uint64_t report_ns, uint32_t pid, const struct wait_info *w,
		      struct peer_wait *out)
{
	uint64_t obj = w->pollfd_addr ? w->pollfd_addr : w->object;

	(void)ctx, (void)report_ns, (void)pid;
	if (obj < 0x100 || obj >= 0x1000)
		return false;
	out->silent_ms = (uint32_t)(obj - 0x100) * 1000;
	snprintf(out->peer, sizeof(out->peer), "127.0.0.1:%u", (unsigned)obj);
	return true;
}

static void judge_peers(struct report *r, const struct tspec *ts, size_t n)
{
	struct fake_mem m = {};
	struct thread_facts_opts fo = { .read_mem = fake_read, .read_ctx = &m };
	struct verdict_engine *e = verdict_engine__new(NULL);

	build(r, OTHER_PID, 0, ts, n);
	assert_int_equal(judge_facts(e, r, &fo, fake_peer), 0);
	verdict_engine__free(e);
}

/* A request its TCP peer has not answered for longer than the threshold
 * (2 s here) is stuck, even in a poll with a timeout; a shorter silence, a
 * non-socket, or a pile that keeps growing are judged as before. */
static void test_awaiting_peer(void **state)
{
	struct report r = {};
	const struct site_report *s;

	(void)state;
	struct tspec read_[] = { TS(11, 1, 30.0, W_READ, 0x100 + 30) };
	judge_peers(&r, read_, 1);
	s = site_of(&r, 11);
	assert_int_equal(s->verdict, VERDICT_STUCK);
	assert_non_null(strstr(s->reason, "TCP peer"));
	assert_true(s->awaiting_peer);
	assert_int_equal(s->peer_silent_ms, 30000);
	assert_string_equal(s->peer, "127.0.0.1:286");	/* 0x100 + 30 */
	struct tspec poll_[] = { TS(11, 1, 30.0, W_POLL1, 0x100 + 20) };
	judge_peers(&r, poll_, 1);
	assert_int_equal(verdict_of(&r, 11), VERDICT_STUCK);
	assert_non_null(strstr(site_of(&r, 11)->reason, "TCP peer"));
	/* silent for 1 s < threshold: the poll is a timed wait at rest */
	struct tspec short_[] = { TS(11, 1, 30.0, W_POLL1, 0x100 + 1) };
	judge_peers(&r, short_, 1);
	assert_int_equal(verdict_of(&r, 11), VERDICT_IDLE);
	assert_false(site_of(&r, 11)->awaiting_peer);
	/* one of two threads of a site not on a socket: not the site's evidence */
	struct tspec mixed[] = { TS(11, 1, 30.0, W_POLL1, 0x100 + 20),
				 TS(12, 1, 30.0, W_POLL1, 0x2000) };
	judge_peers(&r, mixed, 2);
	assert_false(site_of(&r, 11)->awaiting_peer);
	assert_int_equal(verdict_of(&r, 11), VERDICT_IDLE);
	/* reads on sockets arriving over time, none leaving: a leak first */
	struct tspec pile[] = { TS(11, 1, 30.0, W_READ, 0x100 + 30), TS(12, 1, 20.0, W_READ, 0x100 + 20),
				TS(13, 1, 10.0, W_READ, 0x100 + 10), TS(14, 1, 5.0, W_READ, 0x100 + 5) };
	judge_peers(&r, pile, 4);
	assert_int_equal(verdict_of(&r, 11), VERDICT_LEAK);
	report_free(&r);
}

/* A mutex held by a thread resting in its event loop (a key-value store's
 * I/O threads and its main loop) is by design; held by a thread parked
 * anywhere else it is worth a look. */
static void test_owner_resting(void **state)
{
	uint32_t a = helper_tid[0], b = helper_tid[1];
	struct tspec loop[] = { TS(a, 1, 20.0, W_MUTEX, M1), TS(b, 2, 20.0, W_EPOLL, 0) };
	struct tspec sleeps[] = { TS(a, 1, 20.0, W_MUTEX, M1), TS(b, 2, 20.0, W_CONDVAR, 0x9000) };
	struct fake_mem m = {};
	struct report r = {};

	(void)state;
	fake_set(&m, M1, 2, (int32_t)b);
	judge_mem(&r, &m, loop, 2);
	assert_int_equal(owner_of(&r, a), b);
	assert_int_equal(verdict_of(&r, a), VERDICT_IDLE);
	assert_true(site_of(&r, a)->owner_resting);
	assert_non_null(strstr(site_of(&r, a)->reason, "event loop"));
	judge_mem(&r, &m, sleeps, 2);
	assert_int_equal(verdict_of(&r, a), VERDICT_STUCK);
	assert_false(site_of(&r, a)->owner_resting);
	report_free(&r);
}

/* ---- goroutines: the same engine, the same history ---- */

struct gspec {
	uint64_t goid;
	uint64_t site;
	double parked_s;
	uint64_t obj;		/* wait object, 0 = unknown */
	uint32_t flags;
	bool estimated;		/* parked before attach */
};

#define GS(g, st, p, o, ...) { .goid = (g), .site = (st), .parked_s = (p), .obj = (o), __VA_ARGS__ }

static void add_goroutines(struct report *r, uint32_t pid, const struct gspec *gs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct goroutine_report *g = report_add_goroutine(r);

		assert_non_null(g);
		*g = (struct goroutine_report){ .pid = pid, .goid = gs[i].goid, .site = gs[i].site,
						.parked_ns = gs[i].parked_s * NS,
						.parked_estimated = gs[i].estimated,
						.wait_object = gs[i].obj, .flags = gs[i].flags };
	}
}

static enum verdict goroutine_verdict(const struct report *r, uint64_t goid)
{
	for (size_t i = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].goid == goid)
			return r->goroutines[i].verdict;
	fail_msg("goid %" PRIu64 " not in the report", goid);
	return VERDICT_NONE;
}

static const struct site_report *goroutine_site(const struct report *r, uint64_t goid)
{
	for (size_t i = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].goid == goid)
			return &r->sites[r->goroutines[i].site_index];
	fail_msg("goid %" PRIu64 " not in the report", goid);
	return NULL;
}

/* Reports one second apart: goroutines of steps[k] (0-terminated). */
static void judge_goroutine_steps(struct verdict_engine *e, struct report *r, int step,
				  const struct gspec *gs)
{
	size_t n = 0;

	while (gs[n].goid)
		n++;
	build(r, OTHER_PID, step, NULL, 0);
	add_goroutines(r, OTHER_PID, gs, n);
	assert_int_equal(verdict_engine__judge(e, r), 0);
}

static void test_goroutine_rules(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct report r = {};

	(void)state;
	/* a pool of 4 on one shared channel, arriving and growing: idle, a pool */
	struct gspec pool1[] = { GS(10, 7, 3.0, 0xc000), GS(11, 7, 2.5, 0xc000), { 0 } };
	struct gspec pool2[] = { GS(10, 7, 4.0, 0xc000), GS(11, 7, 3.5, 0xc000),
				 GS(12, 7, 2.4, 0xc000), GS(13, 7, 2.1, 0xc000), { 0 } };
	judge_goroutine_steps(e, &r, 0, pool1);
	judge_goroutine_steps(e, &r, 1, pool2);
	assert_int_equal(goroutine_verdict(&r, 12), VERDICT_IDLE);
	assert_non_null(strstr(goroutine_site(&r, 12)->reason, "pool"));
	assert_int_equal(goroutine_site(&r, 12)->distinct_wait_objects, 1);
	assert_int_equal(goroutine_site(&r, 12)->kind, UNIT_GOROUTINE);
	verdict_engine__free(e);

	/* one private channel each, arriving: leak */
	e = verdict_engine__new(NULL);
	struct gspec priv1[] = { GS(20, 8, 3.0, 0xc100), GS(21, 8, 2.5, 0xc200), { 0 } };
	struct gspec priv2[] = { GS(20, 8, 4.0, 0xc100), GS(21, 8, 3.5, 0xc200),
				 GS(22, 8, 2.4, 0xc300), GS(23, 8, 2.1, 0xc400), { 0 } };
	judge_goroutine_steps(e, &r, 0, priv1);
	judge_goroutine_steps(e, &r, 1, priv2);
	assert_int_equal(goroutine_verdict(&r, 23), VERDICT_LEAK);
	assert_non_null(strstr(goroutine_site(&r, 23)->reason, "goroutines keep arriving"));
	verdict_engine__free(e);

	/* objects unknown: growth with no departure at all (as before) */
	e = verdict_engine__new(NULL);
	struct gspec unk1[] = { GS(30, 9, 3.0, 0), { 0 } };
	struct gspec unk2[] = { GS(30, 9, 4.0, 0), GS(31, 9, 2.5, 0), GS(32, 9, 2.2, 0), { 0 } };
	judge_goroutine_steps(e, &r, 0, unk1);
	assert_int_equal(goroutine_verdict(&r, 30), VERDICT_STUCK);
	judge_goroutine_steps(e, &r, 1, unk2);
	assert_int_equal(goroutine_verdict(&r, 31), VERDICT_LEAK);
	verdict_engine__free(e);

	/* a pile parked before attach, private channels, none leaving: leak at
	 * the second report; the same pile on one channel stays idle */
	e = verdict_engine__new(NULL);
	struct gspec pile[16], shared[16];
	for (int i = 0; i < 15; i++) {
		pile[i] = (struct gspec)GS(100 + i, 11, 50.0, 0xd000 + 0x100 * i, .estimated = true);
		shared[i] = (struct gspec)GS(200 + i, 12, 50.0, 0xe000, .estimated = true);
	}
	pile[15] = shared[15] = (struct gspec){ 0 };
	judge_goroutine_steps(e, &r, 0, pile);
	assert_int_equal(goroutine_verdict(&r, 100), VERDICT_IDLE);
	assert_int_equal(goroutine_site(&r, 100)->arrivals, 0);	/* estimated: never arrived */
	judge_goroutine_steps(e, &r, 1, pile);
	assert_int_equal(goroutine_verdict(&r, 100), VERDICT_LEAK);
	assert_non_null(strstr(goroutine_site(&r, 100)->reason, "pile"));
	judge_goroutine_steps(e, &r, 2, shared);
	judge_goroutine_steps(e, &r, 3, shared);
	assert_int_equal(goroutine_verdict(&r, 200), VERDICT_IDLE);
	verdict_engine__free(e);

	/* flags from the Go collector */
	e = verdict_engine__new(NULL);
	struct gspec flagged[] = { GS(1, 20, 30.0, 0, .flags = GOROUTINE_MAIN),
				   GS(2, 21, 30.0, 0, .flags = GOROUTINE_RUNTIME),
				   GS(3, 22, 30.0, 0, .flags = GOROUTINE_IDLE_WAIT),
				   GS(4, 23, 30.0, 0, .flags = GOROUTINE_LISTENER),
				   GS(5, 24, 30.0, 0, .flags = GOROUTINE_FOREVER), { 0 } };
	judge_goroutine_steps(e, &r, 0, flagged);
	for (uint64_t g = 1; g <= 4; g++)
		assert_int_equal(goroutine_verdict(&r, g), VERDICT_IDLE);
	assert_int_equal(goroutine_verdict(&r, 5), VERDICT_LEAK);
	assert_non_null(strstr(goroutine_site(&r, 5)->reason, "forever"));
	assert_int_equal(r.worst, VERDICT_LEAK);
	verdict_engine__free(e);

	/* senders on private channels, parked before attach, none leaving:
	 * leak at the second report; receivers of the same shape are a pool
	 * of private workers and stay idle; a lone receiver rests, a lone
	 * sender is stuck */
	e = verdict_engine__new(NULL);
	struct gspec send[4], recv[4], lone[3];
	for (int i = 0; i < 3; i++) {
		send[i] = (struct gspec)GS(300 + i, 30, 40.0, 0xf000 + 0x100 * i,
					   .flags = GOROUTINE_SEND, .estimated = true);
		recv[i] = (struct gspec)GS(400 + i, 31, 40.0, 0xa000 + 0x100 * i,
					   .flags = GOROUTINE_REST, .estimated = true);
	}
	send[3] = recv[3] = (struct gspec){ 0 };
	lone[0] = (struct gspec)GS(500, 32, 40.0, 0xb000, .flags = GOROUTINE_REST, .estimated = true);
	lone[1] = (struct gspec)GS(501, 33, 40.0, 0xb100, .flags = GOROUTINE_SEND, .estimated = true);
	lone[2] = (struct gspec){ 0 };
	judge_goroutine_steps(e, &r, 0, send);
	assert_int_equal(goroutine_verdict(&r, 300), VERDICT_IDLE);
	judge_goroutine_steps(e, &r, 1, send);
	assert_int_equal(goroutine_verdict(&r, 300), VERDICT_LEAK);
	assert_non_null(strstr(goroutine_site(&r, 300)->reason, "sending"));
	judge_goroutine_steps(e, &r, 2, recv);
	judge_goroutine_steps(e, &r, 3, recv);
	assert_int_equal(goroutine_verdict(&r, 400), VERDICT_IDLE);
	judge_goroutine_steps(e, &r, 4, lone);
	assert_int_equal(goroutine_verdict(&r, 500), VERDICT_IDLE);
	assert_non_null(strstr(goroutine_site(&r, 500)->reason, "service loop"));
	assert_int_equal(goroutine_verdict(&r, 501), VERDICT_STUCK);
	verdict_engine__free(e);
	report_free(&r);
}

/* Judge steps 0 and 1 of gs (parked before attach, none leaving) and
 * return the verdict of goid at the second. */
static enum verdict pile_verdict(const struct gspec *gs, uint64_t goid, const char *reason)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct report r = {};
	enum verdict v;

	judge_goroutine_steps(e, &r, 0, gs);
	assert_int_equal(goroutine_verdict(&r, goid), VERDICT_IDLE);	/* one look: no verdict */
	judge_goroutine_steps(e, &r, 1, gs);
	v = goroutine_verdict(&r, goid);
	if (reason)
		assert_non_null(strstr(goroutine_site(&r, goid)->reason, reason));
	verdict_engine__free(e);
	report_free(&r);
	return v;
}

#define PILE(g, st, o, fl) GS((g), (st), 40.0, (o), .flags = (fl), .estimated = true)

/* Goroutines waiting each for a mutex of its own: 3 are a leak; 3 on one
 * mutex are not (a contended lock), 12 on one mutex are a crowd. */
/* Live goroutines of one creation site (model/facts.h struct live_site),
 * judged from the collector's history in one report: keeps_running only
 * for growth over two reports or more, big enough, with none ended. */
static void test_live_sites(void **state)
{
	static const struct {
		struct live_site live;
		enum verdict want;
		const char *rule;
	} cases[] = {
		/* a retry loop started 20/s: leak */
		{ { .live = 120, .first_live = 40, .reports_seen = 3, .growth_reports = 2 },
		  VERDICT_LEAK, "keeps_running" },
		/* grew in one report only: a burst */
		{ { .live = 120, .first_live = 40, .reports_seen = 3, .growth_reports = 1 },
		  VERDICT_IDLE, "live_running" },
		/* one of them ended: they do finish */
		{ { .live = 120, .first_live = 40, .exited = 1, .reports_seen = 3,
		    .growth_reports = 2 }, VERDICT_IDLE, "live_running" },
		/* a fixed pool, start-up loops */
		{ { .live = 8, .first_live = 8, .reports_seen = 5, .growth_reports = 0 },
		  VERDICT_IDLE, "live_running" },
		/* too few */
		{ { .live = 2, .first_live = 1, .reports_seen = 3, .growth_reports = 2 },
		  VERDICT_IDLE, "live_running" },
		/* growth small against the site (10 over 1000) */
		{ { .live = 1000, .first_live = 990, .reports_seen = 3, .growth_reports = 2 },
		  VERDICT_IDLE, "live_running" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct verdict_engine *e = verdict_engine__new(NULL);
		struct gspec one[] = { GS(500, 0x77, 0.0, 0), { 0 } };
		struct report r = {};
		const struct site_report *s;
		struct live_site live = cases[i].live;

		build(&r, OTHER_PID, 3, NULL, 0);
		live.first_seen_ns = r.mono_ns - 4 * NS;
		add_goroutines(&r, OTHER_PID, one, 1);
		r.goroutines[0].live = &live;
		assert_int_equal(verdict_engine__judge(e, &r), 0);
		s = goroutine_site(&r, 500);
		assert_int_equal(s->verdict, cases[i].want);
		assert_string_equal(s->evidence.heuristic, cases[i].rule);
		assert_int_equal(s->n_units, live.live);
		assert_int_equal(s->departures, live.exited);
		assert_int_equal((int)s->observed_seconds, 4);
		if (cases[i].want == VERDICT_LEAK)
			assert_non_null(strstr(s->reason, "keep running and never finish"));
		report_free(&r);
		verdict_engine__free(e);
	}
}

static void test_goroutine_lock_piles(void **state)
{
	struct gspec own[4], one[4], crowd[13];

	(void)state;
	for (int i = 0; i < 3; i++) {
		own[i] = (struct gspec)PILE(10 + i, 40, 0xc000 + 0x100 * i, GOROUTINE_LOCK);
		one[i] = (struct gspec)PILE(20 + i, 41, 0xd000, GOROUTINE_LOCK);
	}
	own[3] = one[3] = (struct gspec){ 0 };
	assert_int_equal(pile_verdict(own, 10, "mutex of its own"), VERDICT_LEAK);
	assert_int_equal(pile_verdict(one, 20, NULL), VERDICT_IDLE);
	for (int i = 0; i < 12; i++)
		crowd[i] = (struct gspec)PILE(30 + i, 42, 0xe000, GOROUTINE_LOCK);
	crowd[12] = (struct gspec){ 0 };
	assert_int_equal(pile_verdict(crowd, 30, "holder never unlocks"), VERDICT_LEAK);
}

/* 12 goroutines sending on one channel, none through: a crowd whose
 * receiver is gone; 12 receiving on one channel are a pool; a crowd of
 * senders of which one got through is not judged so. */
static void test_goroutine_send_crowd(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct gspec send[13], recv[13];
	struct report r = {};

	(void)state;
	for (int i = 0; i < 12; i++) {
		send[i] = (struct gspec)PILE(100 + i, 50, 0xf000, GOROUTINE_SEND);
		recv[i] = (struct gspec)PILE(200 + i, 51, 0xa000, GOROUTINE_REST);
	}
	send[12] = recv[12] = (struct gspec){ 0 };
	assert_int_equal(pile_verdict(send, 100, "receiver is gone"), VERDICT_LEAK);
	assert_int_equal(pile_verdict(recv, 200, "pool"), VERDICT_IDLE);
	judge_goroutine_steps(e, &r, 0, send);
	judge_goroutine_steps(e, &r, 1, send + 1);	/* goid 100 got through */
	assert_int_equal(goroutine_verdict(&r, 101), VERDICT_IDLE);
	verdict_engine__free(e);
	report_free(&r);
}

/* Goroutines resting each on a channel of its own: started among
 * goroutines now gone (goids 10, 12, 14, 16) a leak; started together
 * (20..23) a set of subscribers, also when the runtime's goid batches
 * split them (50, 51, 68, 69); started among partners that are parked too
 * (a reader beside each writer) connections at rest. */
static void test_goroutine_sparse_rest(void **state)
{
	struct gspec sparse[5], dense[5], paired[9];
	struct gspec batched[] = { PILE(50, 64, 0xa000, GOROUTINE_REST),
				   PILE(51, 64, 0xa100, GOROUTINE_REST),
				   PILE(68, 64, 0xa200, GOROUTINE_REST),
				   PILE(69, 64, 0xa300, GOROUTINE_REST), { 0 } };

	(void)state;
	for (int i = 0; i < 4; i++) {
		sparse[i] = (struct gspec)PILE(10 + 2 * i, 60, 0xc000 + 0x100 * i, GOROUTINE_REST);
		dense[i] = (struct gspec)PILE(20 + i, 61, 0xd000 + 0x100 * i, GOROUTINE_REST);
		paired[2 * i] = (struct gspec)PILE(30 + 3 * i, 62, 0xe000 + 0x100 * i,
						   GOROUTINE_REST);
		paired[2 * i + 1] = (struct gspec)PILE(31 + 3 * i, 63, 0, 0);	/* its reader */
	}
	sparse[4] = dense[4] = paired[8] = (struct gspec){ 0 };
	assert_int_equal(pile_verdict(sparse, 10, "goroutines now gone"), VERDICT_LEAK);
	assert_int_equal(pile_verdict(dense, 20, NULL), VERDICT_IDLE);
	assert_int_equal(pile_verdict(batched, 50, NULL), VERDICT_IDLE);
	assert_int_equal(pile_verdict(paired, 30, NULL), VERDICT_IDLE);
}

/* Threads and goroutines of one process in one report: separate sites,
 * even with equal site ids; a thread the Go collector marked as a runtime
 * thread is idle whatever its wait. */
static void test_units_together(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec ts[] = { CV(10, 5.0, 0x1000), CV(11, 5.0, 0x1100) };
	struct gspec gs[] = { GS(10, SITE, 5.0, 0xc000) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, ts, 2);
	r.threads[1].site = 0x77;
	r.threads[1].go_runtime = true;
	add_goroutines(&r, OTHER_PID, gs, 1);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(r.n_sites, 3);
	assert_int_equal(verdict_of(&r, 10), VERDICT_STUCK);
	assert_int_equal(verdict_of(&r, 11), VERDICT_IDLE);
	assert_non_null(strstr(site_of(&r, 11)->reason, "Go runtime"));
	assert_int_equal(goroutine_verdict(&r, 10), VERDICT_STUCK);
	assert_ptr_not_equal(site_of(&r, 10), goroutine_site(&r, 10));
	verdict_engine__free(e);
	report_free(&r);
}

/* ---- facts from any collector: owner edges of every kind, proofs ---- */

static void add_edge(struct report *r, uint32_t pid, uint8_t kind, uint64_t waiter,
		     uint8_t owner_kind, uint64_t owner, uint8_t edge)
{
	struct owner_edge e = { .waiter = { pid, kind, waiter }, .owner_kind = owner_kind,
				.owner = owner, .kind = edge };

	assert_non_null(report_add_owner(r, &e));
}

static int cycle_from(struct report *r, uint8_t kind, uint64_t id, unsigned mask,
		      uint64_t *ids, uint8_t *edges)
{
	struct unit_ref start = { OTHER_PID, kind, id };
	struct owner_graph g;

	owner_graph__init(&g, r);
	return owner_graph__cycle(&g, &start, mask, ids, edges, LT_MAX_CYCLE);
}

/* The graph takes edges of any kind between units of any kind; the mask
 * says which kinds make a cycle (a deadlock takes the lock kinds only). */
static void test_owner_graph_kinds(void **state)
{
	struct report r = {};
	uint64_t ids[LT_MAX_CYCLE];
	uint8_t edges[LT_MAX_CYCLE];

	(void)state;
	/* goroutines 1 <-> 2 by a Java-style monitor and an AQS lock */
	add_edge(&r, OTHER_PID, UNIT_GOROUTINE, 1, UNIT_GOROUTINE, 2, OWNER_JAVA_MONITOR);
	add_edge(&r, OTHER_PID, UNIT_GOROUTINE, 2, UNIT_GOROUTINE, 1, OWNER_AQS_LOCK);
	/* thread 10 joins 11, which waits for a mutex 10 holds */
	add_edge(&r, OTHER_PID, UNIT_THREAD, 10, UNIT_THREAD, 11, OWNER_JOIN);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 11, UNIT_THREAD, 10, OWNER_FUTEX_MUTEX);
	/* thread 20 waits for 21 (running, no edge of its own) and for 22; 22 for 20 */
	add_edge(&r, OTHER_PID, UNIT_THREAD, 20, UNIT_THREAD, 21, OWNER_FUTEX_MUTEX);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 20, UNIT_THREAD, 22, OWNER_JAVA_MONITOR);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 22, UNIT_THREAD, 20, OWNER_FUTEX_MUTEX);
	/* the same ids in a thread and a goroutine are two units */
	add_edge(&r, OTHER_PID, UNIT_THREAD, 1, UNIT_GOROUTINE, 2, OWNER_FUTEX_MUTEX);

	assert_int_equal(cycle_from(&r, UNIT_GOROUTINE, 1, OWNER_LOCKS, ids, edges), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(edges[0], OWNER_JAVA_MONITOR);
	assert_int_equal(edges[1], OWNER_AQS_LOCK);
	assert_int_equal(cycle_from(&r, UNIT_THREAD, 10, OWNER_LOCKS, ids, edges), 0);
	assert_int_equal(cycle_from(&r, UNIT_THREAD, 10, ~0u, ids, edges), 2);
	assert_int_equal(edges[0], OWNER_JOIN);
	assert_int_equal(edges[1], OWNER_FUTEX_MUTEX);
	assert_int_equal(cycle_from(&r, UNIT_THREAD, 20, OWNER_LOCKS, ids, edges), 2);
	assert_int_equal(ids[1], 22);
	/* thread 1 waits on goroutine 2's cycle: not part of it */
	assert_int_equal(cycle_from(&r, UNIT_THREAD, 1, OWNER_LOCKS, ids, edges), 0);
	report_free(&r);
}

static void add_pipe_edge(struct report *r, uint32_t pid, uint64_t waiter, uint32_t owner_pid,
			  uint64_t owner)
{
	struct owner_edge e = { .waiter = { pid, UNIT_THREAD, waiter }, .owner_kind = UNIT_THREAD,
				.owner = owner, .owner_pid = owner_pid, .kind = OWNER_PIPE };

	assert_non_null(report_add_owner(r, &e));
}

/* Wakers of threads (judge/wakers.c): a join of a deadlocked thread, a
 * pipe read whose writers (another process's threads) are in such a chain,
 * a cycle through a join and a mutex, a pipe only its reader holds. One
 * waker that is not proven (running, or parked with no known waker) leaves
 * the waiter to the heuristics. */
static void test_waker_chain(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec ts[] = { TS(31, 1, 5.0, W_MUTEX, M1), TS(32, 2, 5.0, W_MUTEX, M2),
			      TS(33, 3, 9.0, W_JOIN, 31), TS(34, 4, 9.0, W_READ, 5),
			      TS(40, 5, 9.0, W_JOIN, 41), TS(41, 6, 9.0, W_MUTEX, M3),
			      TS(42, 7, 9.0, W_READ, 6), TS(43, 8, 9.0, W_READ, 7),
			      TS(44, 9, 9.0, W_CONDVAR, 0x5000) };
	const uint32_t reader_pid = OTHER_PID + 1;
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, ts, 9);
	r.threads[3].pid = reader_pid;	/* 34 reads a pipe another process writes */
	add_edge(&r, OTHER_PID, UNIT_THREAD, 31, UNIT_THREAD, 32, OWNER_FUTEX_MUTEX);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 32, UNIT_THREAD, 31, OWNER_FUTEX_MUTEX);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 33, UNIT_THREAD, 31, OWNER_JOIN);
	add_pipe_edge(&r, reader_pid, 34, OTHER_PID, 33);
	add_pipe_edge(&r, reader_pid, 34, OTHER_PID, 32);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 40, UNIT_THREAD, 41, OWNER_JOIN);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 41, UNIT_THREAD, 40, OWNER_FUTEX_MUTEX);
	add_pipe_edge(&r, OTHER_PID, 42, 0, 42);	/* only its reader holds it */
	add_pipe_edge(&r, OTHER_PID, 43, 0, 31);
	add_pipe_edge(&r, OTHER_PID, 43, 0, 44);	/* parked, no waker known */
	assert_int_equal(verdict_engine__judge(e, &r), 0);

	assert_int_equal(verdict_of(&r, 31), VERDICT_DEADLOCK);
	assert_int_equal(site_of(&r, 31)->evidence.proof, PROOF_OWNER_CYCLE);
	assert_int_equal(site_of(&r, 31)->chain_len, 0);
	assert_int_equal(verdict_of(&r, 33), VERDICT_LEAK);
	assert_int_equal(site_of(&r, 33)->evidence.proof, PROOF_WAKER_CHAIN);
	assert_int_equal(site_of(&r, 33)->chain_len, 4);	/* 33 31 32 31 */
	assert_int_equal(site_of(&r, 33)->chain_edge[0], OWNER_JOIN);
	assert_int_equal(site_of(&r, 33)->chain[3], 31);
	assert_false(site_of(&r, 33)->chain_cycle);
	assert_int_equal(verdict_of(&r, 34), VERDICT_LEAK);
	assert_int_equal(site_of(&r, 34)->evidence.proof, PROOF_WAKER_CHAIN);
	assert_int_equal(site_of(&r, 34)->chain_pid[0], reader_pid);
	assert_int_equal(site_of(&r, 34)->chain_pid[1], OTHER_PID);
	assert_int_equal(site_of(&r, 34)->chain_edge[0], OWNER_PIPE);
	/* a join and a mutex in a cycle: each waits for the other */
	assert_int_equal(verdict_of(&r, 40), VERDICT_DEADLOCK);
	assert_int_equal(site_of(&r, 40)->evidence.proof, PROOF_WAKER_CHAIN);
	assert_true(site_of(&r, 40)->chain_cycle);
	assert_int_equal(verdict_of(&r, 42), VERDICT_DEADLOCK);	/* waits for itself */
	assert_int_equal(site_of(&r, 42)->evidence.proof, PROOF_WAKER_CHAIN);
	/* one writer with no proof of its own: no proof */
	assert_int_not_equal(verdict_of(&r, 43), VERDICT_LEAK);
	assert_int_equal(site_of(&r, 43)->evidence.proof, PROOF_NONE);
	assert_string_equal(owner_kind_name(OWNER_PIPE), "pipe");
	verdict_engine__free(e);
	report_free(&r);

	/* a writer that runs (not parked) leaves the reader unproven */
	build(&r, OTHER_PID, 0, ts + 3, 1);
	add_pipe_edge(&r, OTHER_PID, 34, 0, 31);
	e = verdict_engine__new(NULL);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(site_of(&r, 34)->evidence.proof, PROOF_NONE);
	verdict_engine__free(e);
	report_free(&r);
}

/* Verdicts say what decided them: the deadlock rule proves by its owner
 * cycle (a Java monitor's as a mutex's), a heuristic names its rule. */
static void test_evidence(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct tspec ts[] = { TS(31, 1, 5.0, W_MUTEX, M1), TS(32, 2, 5.0, W_MUTEX, M2),
			      TS(33, 3, 9.0, W_READ, 4) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, ts, 3);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 31, UNIT_THREAD, 32, OWNER_JAVA_MONITOR);
	add_edge(&r, OTHER_PID, UNIT_THREAD, 32, UNIT_THREAD, 31, OWNER_JAVA_MONITOR);
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(verdict_of(&r, 31), VERDICT_DEADLOCK);
	assert_int_equal(site_of(&r, 31)->evidence.proof, PROOF_OWNER_CYCLE);
	assert_string_equal(site_of(&r, 31)->evidence.heuristic, "in_cycle");
	assert_int_equal(site_of(&r, 31)->cycle_edge[0], OWNER_JAVA_MONITOR);
	assert_int_equal(verdict_of(&r, 33), VERDICT_STUCK);
	assert_int_equal(site_of(&r, 33)->evidence.proof, PROOF_NONE);
	assert_string_equal(site_of(&r, 33)->evidence.heuristic, "alone");
	assert_string_equal(proof_name(PROOF_REACHABILITY), "reachability");
	assert_string_equal(proof_name(PROOF_KINDS), "none");
	verdict_engine__free(e);
	report_free(&r);
}

/* A proof every unit of a site carries decides it; one unit without it
 * leaves the site to the heuristics. */
static void test_proven_units(void **state)
{
	struct verdict_engine *e = verdict_engine__new(NULL);
	struct gspec gs[] = { GS(40, 9, 30.0, 0xd000), GS(41, 9, 30.0, 0xd000),
			      GS(50, 10, 30.0, 0xe000), GS(51, 10, 30.0, 0xe000) };
	struct report r = {};

	(void)state;
	build(&r, OTHER_PID, 0, NULL, 0);
	add_goroutines(&r, OTHER_PID, gs, 4);
	for (uint64_t goid = 40; goid <= 50; goid += goid == 41 ? 9 : 1) {
		struct unit_proof p = { { OTHER_PID, UNIT_GOROUTINE, goid }, PROOF_REACHABILITY,
					"channel unreachable" };

		assert_non_null(report_add_proof(&r, &p));
	}
	assert_int_equal(verdict_engine__judge(e, &r), 0);
	assert_int_equal(goroutine_verdict(&r, 40), VERDICT_LEAK);
	assert_int_equal(goroutine_site(&r, 40)->evidence.proof, PROOF_REACHABILITY);
	assert_string_equal(goroutine_site(&r, 40)->evidence.heuristic, "proven_leak");
	assert_non_null(strstr(goroutine_site(&r, 40)->reason, "can reach"));
	/* 51 has no proof: a pool on one channel, as without proofs */
	assert_int_equal(goroutine_verdict(&r, 50), VERDICT_IDLE);
	assert_int_equal(goroutine_site(&r, 50)->evidence.proof, PROOF_NONE);
	verdict_engine__free(e);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_history_counters),
		cmocka_unit_test(test_alone_reason),
		cmocka_unit_test(test_sites_per_process),
		cmocka_unit_test(test_group_without_stacks),
		cmocka_unit_test(test_group_awaiting_stacks),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_deferred_are_no_arrivals),
		cmocka_unit_test(test_goroutine_rules),
		cmocka_unit_test(test_live_sites),
		cmocka_unit_test(test_goroutine_lock_piles),
		cmocka_unit_test(test_goroutine_send_crowd),
		cmocka_unit_test(test_goroutine_sparse_rest),
		cmocka_unit_test(test_units_together),
		cmocka_unit_test(test_owner_graph_kinds),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_proven_units),
	};
	const struct CMUnitTest locks[] = {
		cmocka_unit_test(test_lock_two_cycle),
		cmocka_unit_test(test_lock_deadline),
		cmocka_unit_test(test_lock_three_cycle),
		cmocka_unit_test(test_lock_owner_running),
		cmocka_unit_test(test_lock_owner_garbage),
		cmocka_unit_test(test_lock_only_mutex_waits),
		cmocka_unit_test(test_lock_pi),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_service_rest),
		cmocka_unit_test(test_signal_wait),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_started_with_process),
		cmocka_unit_test(test_awaiting_peer),
		cmocka_unit_test(test_main_thread),
		cmocka_unit_test(test_owner_resting),
		cmocka_unit_test(test_waker_chain),
		cmocka_unit_test(test_pool_links_maps),
		cmocka_unit_test(test_pool_links_scan),
		cmocka_unit_test(test_pool_links_pass),
	};
	int failed = cmocka_run_group_tests_name("verdict rules", rules, NULL, NULL);

	return failed + cmocka_run_group_tests_name("lock graph", locks, helpers_setup,
						    helpers_teardown);
}
