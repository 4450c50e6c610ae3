// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutines stalled on a silent TCP peer through another goroutine. An
 * HTTP client call without a timeout parks the caller (a request handler)
 * in a select on channels only the transport's readLoop will send on, and
 * the readLoop in IO wait on the upstream's connection: one bug. When the
 * one goroutine whose stack holds a channel the caller waits on is itself
 * awaiting its peer past the threshold (collect/sockets/peers.c ran
 * before), the caller awaits that peer too: it gets the same peer facts
 * (judged stuck with the readLoop, one finding by peer: judge/related.c)
 * and peer_via_goid names the goroutine in between.
 *
 * Only for callers parked past the threshold with no timer among their
 * cases (a timer wakes them), whose channels goroutines stalled on one
 * peer hold (the first of them is named; on two different peers: none). A stale word in the
 * holder's stack can make a false link (a goroutine stack is reused), so
 * the link only ever says stuck, the readLoop's own verdict, never leak.
 * Stacks are read from the saved sp up, 64 KiB at most, only in processes
 * with a goroutine past the threshold on a silent peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "collect/go/go_report.h"
#include "collect/go/go_tracer.h"
#include "collect/sockets/peers.h"
#include "util/log.h"

#define HOLDERS_MAX 64		/* goroutines on silent peers read, a process */

struct peer_waits {
	struct go_report *go;	/* the goroutine collector's: not ours to free */
	uint64_t *words;	/* what one holder sees: GO_SEEN_WORDS_MAX */
};

static bool stalled_on_peer(const struct report *r, const struct goroutine_report *g)
{
	return g->awaiting_peer && g->sock_inode && report_peer_past_threshold(r, g->peer_silent_ms);
}

/* A caller: parked past the threshold on channels, no timer case (not
 * the record standing for a site of running goroutines: collect/go/go_live.c),
 * not on a socket itself; one linked by an earlier holder stays one. */
static bool caller(const struct report *r, const struct goroutine_report *g)
{
	return g->n_wait_chans && !g->live && (!g->awaiting_peer || g->peer_via_goid) &&
	       !(g->flags & GOROUTINE_IDLE_WAIT) && g->parked_ns >= r->threshold_ns;
}

/* c is held by h: it awaits h's peer through h; held by goroutines on two
 * different peers, it is marked (UINT64_MAX) to be unlinked. */
static void link_caller(struct goroutine_report *c, const struct goroutine_report *h)
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

static bool holds(const uint64_t *words, size_t n, const struct goroutine_report *c)
{
	for (size_t w = 0; w < n; w++)
		for (uint8_t k = 0; k < c->n_wait_chans; k++)
			if (words[w] == c->wait_chans[k])
				return true;
	return false;
}

/* The goroutines of one process, r->goroutines[from, to): each holder's
 * stack read once, checked against every caller's channels. */
static void link_process(struct peer_waits *pw, struct go_tracer *t, struct report *r,
			 size_t from, size_t to)
{
	size_t holders = 0;

	for (size_t h = from; h < to && holders < HOLDERS_MAX; h++) {
		const struct goroutine_report *hg = &r->goroutines[h];
		int n;

		if (!stalled_on_peer(r, hg))
			continue;
		holders++;
		n = go_tracer__parked_seen(t, hg->goid, pw->words, GO_SEEN_WORDS_MAX);
		for (size_t c = from; n > 0 && c < to; c++) {
			struct goroutine_report *cg = &r->goroutines[c];

			if (caller(r, cg) && holds(pw->words, (size_t)n, cg))
				link_caller(cg, hg);
		}
	}
	for (size_t c = from; c < to; c++) {
		struct goroutine_report *cg = &r->goroutines[c];

		if (!cg->peer_via_goid)
			continue;
		if (cg->peer_via_goid == UINT64_MAX) {	/* two peers: neither is its own */
			cg->peer_via_goid = 0;
			cg->awaiting_peer = false;
			cg->peer[0] = '\0';
			continue;
		}
		cg->site = peer_site(cg->site, cg->peer);
	}
}

static int peer_waits_collect(void *state, struct report *r)
{
	struct peer_waits *pw = state;

	for (size_t from = 0, to; from < r->n_goroutines; from = to) {
		struct go_tracer *t;
		bool any = false;

		for (to = from; to < r->n_goroutines && r->goroutines[to].pid == r->goroutines[from].pid;
		     to++)
			any |= stalled_on_peer(r, &r->goroutines[to]);
		if (any && (t = go_report__tracer(pw->go, r->goroutines[from].pid)))
			link_process(pw, t, r, from, to);
	}
	return 0;
}

static int peer_waits_open(const struct collect_env *env, void **state, char *err, size_t errlen)
{
	struct go_report *go = collectors__state(env->opened, &collector_goroutines);
	struct peer_waits *pw;

	*state = NULL;
	if (!go)
		return 0;	/* no goroutines traced: nothing to link */
	pw = calloc(1, sizeof(*pw));
	if (pw)
		pw->words = malloc(GO_SEEN_WORDS_MAX * sizeof(*pw->words));
	if (!pw || !pw->words) {
		free(pw);
		lt_set_err(err, errlen, "out of memory");
		return LT_EXIT_FAILURE;
	}
	pw->go = go;
	*state = pw;
	return 0;
}

static void peer_waits_close(void *state)
{
	struct peer_waits *pw = state;

	if (pw)
		free(pw->words);
	free(pw);
}

const struct collector_type collector_go_peer_waits = {
	.name = "goroutines waiting on stalled peers",
	.open = peer_waits_open,
	.collect = peer_waits_collect,
	.close = peer_waits_close,
};
