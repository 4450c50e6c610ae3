// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutines waiting through another goroutine: the one whose stack holds
 * a channel they wait on (or their WaitGroup), and so one that can send on
 * it, close it or call Done. What that holder waits for says what the
 * callers wait for:
 *
 *  - a silent TCP peer. An HTTP client call without a timeout parks the
 *    caller (a request handler) in a select on channels only the
 *    transport's readLoop will send on, and the readLoop in IO wait on the
 *    upstream's connection: one bug. When the holder awaits its peer past
 *    the threshold (collect/sockets/peers.c ran before), the caller awaits
 *    that peer too: it gets the same peer facts (judged stuck with the
 *    readLoop, one finding by peer: judge/related.c) and peer_via_goid
 *    names the goroutine in between.
 *  - a timer. A retry loop parked on a backoff ticker's channel, whose
 *    ticker goroutine loops on a runtime timer (github.com/cenkalti/backoff,
 *    a batcher flushing every second): the timer wakes the holder and the
 *    holder feeds the caller. timer_waker_goid names it; the caller is not
 *    judged by the shapes of private objects (judge/rules.c timer_fed).
 *
 * Only for callers parked past the threshold with no timer among their
 * cases (a timer wakes them), on channels or a WaitGroup (not a lock),
 * that such holders hold (the first is named; holders on two different
 * peers: none). A link only ever lowers a verdict: stuck through a peer
 * (the readLoop's own), idle through a timer; never leak. Holders' stacks
 * are read from the saved sp up, 64 KiB at most, their dead slots dropped
 * by the stack maps (go_tracer__parked_seen); a peer holder's with one hop
 * (an HTTP transport's persistConn), a timer holder's without (a window
 * past an object reads its neighbours: go statements' closures hold the
 * next goroutines' channels). Only in processes with callers; timer
 * holders only while some caller is unlinked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "collect/go/go_report.h"
#include "collect/go/go_tracer.h"
#include "collect/sockets/peers.h"
#include "util/log.h"

#define PEER_HOLDERS_MAX 64	/* goroutines on silent peers read, a process */
#define TIMER_HOLDERS_MAX 256	/* goroutines on timers read, a process */
#define TIMER_ROUNDS 3		/* timer -> caller -> caller's caller */

struct holders {
	struct go_report *go;	/* the goroutine collector's: not ours to free */
	uint64_t *words;	/* what one holder sees: GO_SEEN_WORDS_MAX */
	uint8_t *round;		/* a process's goroutines: linked in round - 1 */
	size_t round_cap;
};

static bool stalled_on_peer(const struct report *r, const struct goroutine_report *g)
{
	return g->awaiting_peer && g->sock_inode && report_peer_past_threshold(r, g->peer_silent_ms);
}

/* Woken by a timer of its own (a select with a timer case, a sleep): it
 * runs again, whoever else is gone. Not the runtime's own goroutines. */
static bool on_timer(const struct goroutine_report *g)
{
	return !g->live && (g->flags & GOROUTINE_IDLE_WAIT) && !(g->flags & GOROUTINE_RUNTIME);
}

/* Waits for an event on a semaphore: a WaitGroup (not a lock: whoever
 * holds a pointer to a mutex is not its owner). */
static bool event_sema(const struct goroutine_report *g)
{
	return !g->n_wait_chans && g->wait_object && !g->sock_inode &&
	       (g->flags & GOROUTINE_REST) && !(g->flags & GOROUTINE_LOCK);
}

/* A caller: parked past the threshold on channels (no timer case) or an
 * event semaphore, not the record standing for a site of running
 * goroutines (collect/go/go_live.c), not on a socket itself; one linked
 * by an earlier holder stays one. */
static bool caller(const struct report *r, const struct goroutine_report *g)
{
	return (g->n_wait_chans || event_sema(g)) && !g->live &&
	       (!g->awaiting_peer || g->peer_via_goid) && !(g->flags & GOROUTINE_IDLE_WAIT) &&
	       g->parked_ns >= r->threshold_ns;
}

/* c is held by h: it awaits h's peer through h; held by goroutines on two
 * different peers, it is marked (UINT64_MAX) to be unlinked. */
static void link_peer(struct goroutine_report *c, const struct goroutine_report *h)
{
	if (c->peer_via_goid) {
		if (strncmp(c->peer, h->peer, sizeof(c->peer)))
			c->peer_via_goid = UINT64_MAX;
		return;
	}
	c->peer_via_goid = h->goid;
	c->awaiting_peer = true;
	c->peer_silent_ms = h->peer_silent_ms;
	memcpy(c->peer, h->peer, sizeof(c->peer));
}

/* A semaphore sits a few words into its object (a WaitGroup's at 8, an
 * RWMutex's at 8 and 12): a pointer to the object is this far below it. */
#define SEMA_OFFSET_MAX 16

/* Does what a holder sees (words[0, n)) hold a channel c waits on, or the
 * object of its semaphore? */
static bool holds(const uint64_t *words, size_t n, const struct goroutine_report *c)
{
	uint64_t sema = c->n_wait_chans ? 0 : c->wait_object;

	for (size_t w = 0; w < n; w++) {
		if (sema && words[w] <= sema && sema - words[w] <= SEMA_OFFSET_MAX)
			return true;
		for (uint8_t k = 0; k < c->n_wait_chans; k++)
			if (words[w] == c->wait_chans[k])
				return true;
	}
	return false;
}

/* Linked already: through a timer, or through a silent peer (judged by
 * that peer, not a timer). */
static bool linked(const struct goroutine_report *c)
{
	return c->timer_waker_goid || c->peer_via_goid;
}

/* Read what holder h sees and link the callers of [from, to) it holds:
 * through a peer, every caller (a second peer unlinks it: link_peer);
 * through a timer, unlinked ones, marked round + 1 in hs->round. Returns
 * how many it linked that were not linked before. */
static size_t link_from(struct holders *hs, struct go_tracer *t, struct report *r, size_t h,
			size_t from, size_t to, bool peer, uint8_t round)
{
	const struct goroutine_report *hg = &r->goroutines[h];
	int n = go_tracer__parked_seen(t, hg->goid, peer, hs->words, GO_SEEN_WORDS_MAX);
	size_t fresh = 0;

	for (size_t c = from; n > 0 && c < to; c++) {
		struct goroutine_report *cg = &r->goroutines[c];
		bool was = linked(cg);

		if (!caller(r, cg) || (was && !peer) || !holds(hs->words, (size_t)n, cg))
			continue;
		if (peer) {
			link_peer(cg, hg);
		} else {
			cg->timer_waker_goid = hg->goid;
			hs->round[c - from] = round + 1;
		}
		fresh += !was;
	}
	return fresh;
}

static void link_peer_holders(struct holders *hs, struct go_tracer *t, struct report *r,
			      size_t from, size_t to)
{
	for (size_t h = from, read = 0; h < to && read < PEER_HOLDERS_MAX; h++)
		if (stalled_on_peer(r, &r->goroutines[h])) {
			read++;
			link_from(hs, t, r, h, from, to, true, 0);
		}
}

/* Rounds: goroutines on timers hold callers (round 0), which hold callers
 * of their own (a WaitGroup's waiter whose workers retry on a ticker), up
 * to TIMER_ROUNDS deep, TIMER_HOLDERS_MAX read in all, until none is left. */
static void link_timer_holders(struct holders *hs, struct go_tracer *t, struct report *r,
			       size_t from, size_t to)
{
	size_t read = 0, left = 0;

	memset(hs->round, 0, to - from);
	for (size_t c = from; c < to; c++)
		left += caller(r, &r->goroutines[c]) && !linked(&r->goroutines[c]);
	for (uint8_t round = 0; round < TIMER_ROUNDS && left; round++) {
		size_t before = left;

		for (size_t h = from; h < to && left && read < TIMER_HOLDERS_MAX; h++) {
			const struct goroutine_report *hg = &r->goroutines[h];

			if (round ? hs->round[h - from] != round : !on_timer(hg))
				continue;
			read++;
			left -= link_from(hs, t, r, h, from, to, false, round);
		}
		if (left == before)
			break;
	}
}

/* Callers held by peer holders on two different peers are unlinked: neither
 * peer is theirs; the others take their peer's site. */
static void settle_peer_links(struct report *r, size_t from, size_t to)
{
	for (size_t c = from; c < to; c++) {
		struct goroutine_report *cg = &r->goroutines[c];

		if (!cg->peer_via_goid)
			continue;
		if (cg->peer_via_goid == UINT64_MAX) {
			cg->peer_via_goid = 0;
			cg->awaiting_peer = false;
			cg->peer[0] = '\0';
			continue;
		}
		cg->site = peer_site(cg->site, cg->peer);
	}
}

static int holders_collect(void *state, struct report *r)
{
	struct holders *hs = state;

	for (size_t from = 0, to; from < r->n_goroutines; from = to) {
		struct go_tracer *t;
		bool callers = false, peers = false;

		for (to = from; to < r->n_goroutines && r->goroutines[to].pid == r->goroutines[from].pid;
		     to++) {
			callers |= caller(r, &r->goroutines[to]);
			peers |= stalled_on_peer(r, &r->goroutines[to]);
		}
		if (!callers || !(t = go_report__tracer(hs->go, r->goroutines[from].pid)))
			continue;
		if (peers) {
			link_peer_holders(hs, t, r, from, to);
			settle_peer_links(r, from, to);
		}
		if (to - from > hs->round_cap) {
			uint8_t *round = realloc(hs->round, to - from);

			if (!round)
				continue;	/* no link: the verdicts of shapes stand */
			hs->round = round;
			hs->round_cap = to - from;
		}
		link_timer_holders(hs, t, r, from, to);
	}
	return 0;
}

static int holders_open(const struct collect_env *env, void **state, char *err, size_t errlen)
{
	struct go_report *go = collectors__state(env->opened, &collector_goroutines);
	struct holders *hs;

	*state = NULL;
	if (!go)
		return 0;	/* no goroutines traced: nothing to link */
	hs = calloc(1, sizeof(*hs));
	if (hs)
		hs->words = malloc(GO_SEEN_WORDS_MAX * sizeof(*hs->words));
	if (!hs || !hs->words) {
		free(hs);
		lt_set_err(err, errlen, "out of memory");
		return LT_EXIT_FAILURE;
	}
	hs->go = go;
	*state = hs;
	return 0;
}

static void holders_close(void *state)
{
	struct holders *hs = state;

	if (hs) {
		free(hs->words);
		free(hs->round);
	}
	free(hs);
}

const struct collector_type collector_go_holders = {
	.name = "goroutines waiting through another goroutine",
	.open = holders_open,
	.collect = holders_collect,
	.close = holders_close,
};
