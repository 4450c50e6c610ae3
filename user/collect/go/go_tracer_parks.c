// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Park tracking for a Go tracer (go_tracer_impl.h): a park is known by
 * its key across walks, its age measured from when it began. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_tracer_impl.h"

void go_tracer__forget_park(struct go_tracer *t, size_t i)
{
	free(t->parks[i].stack);
	free(t->parks[i].chans);
	memset(&t->parks[i], 0, sizeof(t->parks[i]));
}

/*
 * When the park began. A new park seen by a walk after the first began
 * between the previous walk and this one: since the midpoint of the two
 * (off by at most half the interval between walks), or the gopark probe's
 * stamp with --precise. A park already there at attach: since attach, or
 * since the GC saw it parked (g.waitsince), marked estimated.
 */
static void park_begin(const struct go_tracer *t, struct park *p, uint64_t now)
{
	uint64_t stamp;

	p->since_ns = t->last_walk_ns + (now - t->last_walk_ns) / 2;
	p->estimated = !t->walked;
	if (!go_tracer__bpf_park_stamp(t, p->g_addr, p->reason, &stamp) &&
	    stamp >= t->attach_ns && stamp <= now) {
		p->since_ns = stamp;
		p->estimated = false;
	}
}

double go_tracer__park_seconds(const struct go_tracer *t, const struct park *p, const uint8_t *g,
			       uint64_t now)
{
	uint64_t since = p->since_ns;
	int64_t waitsince;

	if (p->estimated) {
		since = t->attach_ns;
		/* reset by the runtime at every wake-up: it belongs to this park */
		waitsince = t->off.waitsince ? (int64_t)go_field64(g, t->off.waitsince) : 0;
		if (waitsince > 0 && (uint64_t)waitsince < since)
			since = waitsince;
	}
	return now > since ? (now - since) / 1e9 : 0;
}

/*
 * The park of the waiting g at allgs index i: the same as last walk's when
 * its key is unchanged (its texts and stack are reused), else a new one.
 */
struct park *go_tracer__track_park(struct go_tracer *t, size_t i, uint64_t gaddr, const uint8_t *g,
				   bool system, uint64_t now)
{
	struct park *p = &t->parks[i];
	struct park key = {
		.g_addr = gaddr, .goid = go_field64(g, t->off.goid), .pc = go_field64(g, t->off.sched_pc),
		.sp = go_field64(g, t->off.sched_sp), .reason = g[t->off.waitreason],
		.seq = t->off.tracking_seq ? g[t->off.tracking_seq] : 0,
	};

	if (p->g_addr == key.g_addr && p->goid == key.goid && p->pc == key.pc &&
	    p->sp == key.sp && p->reason == key.reason && p->seq == key.seq)
		return p;
	go_tracer__forget_park(t, i);
	*p = key;
	p->system = system;
	park_begin(t, p, now);
	return p;
}

void go_tracer__emit(struct go_tracer *t, struct park *p, double age, struct go_goroutine *gr)
{
	*gr = (struct go_goroutine){
		.goid = p->goid, .status = GO_G_WAITING, .wait_reason = go_tracer__wait_reason(t, p->reason),
		.parked_seconds = age, .parked_estimated = p->estimated, .system = p->system,
		.created_by = p->created_by, .start_func = p->start_func, .stack = p->stack,
		.stack_len = p->stack_len, .g_addr = p->g_addr, .wait_object = p->wait_object,
		.timer_case = p->timer_case, .memo = p->memo,
		.wait_chans = p->chans, .n_wait_chans = p->n_chans,
	};
}


int go_tracer__resize_parks(struct go_tracer *t, size_t n)
{
	if (n > t->n_parks) {
		struct park *np = realloc(t->parks, n * sizeof(*np));

		if (!np)
			return -ENOMEM;
		memset(np + t->n_parks, 0, (n - t->n_parks) * sizeof(*np));
		t->parks = np;
		t->n_parks = n;
	}
	for (size_t i = n; i < t->n_parks; i++)	/* a shorter allgs: forged or a new process */
		go_tracer__forget_park(t, i);
	return 0;
}
