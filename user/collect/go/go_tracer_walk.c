// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The walk of runtime.allgs for a Go tracer (go_tracer_impl.h): g structs
 * read in batches, parks tracked, and the records of the parked goroutines
 * filled (stack, wait object, texts) the first time they are reported. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_stackmap.h"
#include "collect/go/go_timers.h"
#include "collect/go/go_tracer_impl.h"
#include "util/array.h"
#include "util/clock.h"

/* One parked goroutine being filled: its g and its stack as read. */
struct fill {
	struct park *park;		/* where its record goes: t->parks[its allgs index] */
	const uint8_t *g;
	uint64_t stack_base;		/* target address of stack[0] */
	uint8_t *stack;
	size_t stack_len;
	uint64_t sudog_c;
};

/*
 * Frame-pointer walk of a parked goroutine from its saved g.sched, on the
 * copy of its stack read from sched.sp up: each frame's bp points at the
 * caller's saved bp, the return address above it. Every step stays inside
 * the copy and moves up, so a forged stack cannot loop or read outside.
 */
static void walk_stack(struct go_tracer *t, const struct fill *f, struct park *p)
{
	uint64_t pc = go_field64(f->g, t->off.sched_pc), bp = go_field64(f->g, t->off.sched_bp);
	uint64_t base = f->stack_base, end = f->stack_base + f->stack_len;
	const struct frame *frames[DEFAULT_MAX_STACK * 4];
	int max = t->max_stack < (int)(sizeof(frames) / sizeof(frames[0])) ?
		  t->max_stack : (int)(sizeof(frames) / sizeof(frames[0]));
	int n = 0;

	for (int depth = 0; n < max && pc; depth++) {
		int k;
		const struct frame *fs = go_tracer__pc_frames(t, pc, depth != 0, &k);
		uint64_t next[2];

		if (!k)
			break;
		for (int i = 0; i < k && n < max; i++)
			frames[n++] = &fs[i];
		if (!f->stack || bp < base || bp + 16 > end || bp % 8)
			break;
		memcpy(next, f->stack + (bp - base), sizeof(next));
		if (next[0] <= bp && next[0])
			break;
		pc = next[1];
		bp = next[0];
	}
	p->stack = n ? malloc(n * sizeof(*p->stack)) : NULL;
	if (!p->stack)
		return;
	memcpy(p->stack, frames, n * sizeof(*p->stack));
	p->stack_len = n;
}

/* The channels of a channel wait (every case of a select), and whether a
 * timer's channel is among a select's: it wakes by itself
 * (collect/go/go_timers.c). A plain receive only on a timer known to run
 * (Go 1.23+ hchan.timer, its when set): ranging over a Ticker after Stop
 * (which closes nothing) blocks forever on the same channel. Read once
 * per park. */
static void read_wait_channels(struct go_tracer *t, struct park *p, uint64_t sudog)
{
	const char *reason = go_tracer__wait_reason(t, p->reason);
	uint64_t chans[GO_WAIT_CHANS_MAX];
	size_t n;

	if (strcmp(reason, "select") && strcmp(reason, "chan receive") &&
	    strcmp(reason, "chan send"))
		return;
	n = go_wait_channels(go_tracer__read_fn, t, &t->off, sudog, chans, GO_WAIT_CHANS_MAX);
	if (strcmp(reason, "chan send"))	/* a receive: only on a running timer */
		p->timer_case = go_wait_has_timer(go_tracer__read_fn, t, t->hchan_timer,
						  t->off.timer_when, chans, n,
						  strcmp(reason, "select") != 0);
	if (n && (p->chans = malloc(n * sizeof(*chans)))) {
		memcpy(p->chans, chans, n * sizeof(*chans));
		p->n_chans = n;
	}
}

/* Go 1.26+: a goroutine the program's own leak detector caught (the
 * goroutineleak profile sets _Gleaked) is parked for good: walked like a
 * waiting one, reported with status GO_G_LEAKED. */
static uint32_t g_status(const struct go_tracer *t, const uint8_t *g, bool *leaked)
{
	uint32_t s = field32(g, t->off.atomicstatus) & ~GO_G_SCAN;

	*leaked = s == GO_G_LEAKED && t->leak_status;
	return *leaked ? GO_G_WAITING : s;
}

/* Reads what the goroutine records of fills[0..n) need, in batches. */
static void fill_parks(struct go_tracer *t, struct fill *fills, size_t n,
		       const struct sema_wait *sema, size_t nsema)
{
	struct procmem_span *spans = calloc(n ? n : 1, sizeof(*spans));
	uint8_t *buf = malloc(STACK_BATCH_BYTES);
	size_t i = 0;

	while (spans && buf && i < n) {
		size_t k = 0, used = 0, end = i;

		/* the used part of each stack, from the saved sp up, bounded */
		for (size_t j = i; j < n; j++) {
			const uint8_t *g = fills[j].g;
			uint64_t sp = go_field64(g, t->off.sched_sp), hi = go_field64(g, t->off.stack_hi);
			uint64_t lo = go_field64(g, t->off.stack_lo);
			size_t len = sp >= lo && sp < hi ? hi - sp : 0;

			if (len > STACK_READ_MAX)
				len = STACK_READ_MAX;
			if (used + len > STACK_BATCH_BYTES)
				break;
			fills[j].stack_base = sp;
			fills[j].stack = NULL;
			fills[j].stack_len = len;
			if (len)
				spans[k++] = (struct procmem_span){ .addr = sp, .buf = buf + used, .len = len };
			used += len;
			end = j + 1;
		}
		procmem__read_batch(&t->mem, spans, k);
		for (size_t j = i, m = 0; j < end; j++) {
			if (fills[j].stack_len && !spans[m++].err)
				fills[j].stack = spans[m - 1].buf;
			walk_stack(t, &fills[j], fills[j].park);
		}
		i = end;
	}
	/* the channel of each first sudog (channel operations and select) */
	for (size_t j = 0; spans && j < n; j++) {
		uint64_t sudog = go_field64(fills[j].g, t->off.waiting);

		fills[j].sudog_c = 0;
		spans[j] = (struct procmem_span){ .addr = sudog + t->off.sudog_c, .buf = &fills[j].sudog_c,
					      .len = sizeof(uint64_t) };
		if (!sudog)
			spans[j].addr = 0;	/* fails to read: no channel */
	}
	if (spans)
		procmem__read_batch(&t->mem, spans, n);
	for (size_t j = 0; j < n; j++) {
		struct park *p = fills[j].park;
		const uint8_t *g = fills[j].g;

		if (spans && !spans[j].err && spans[j].addr && fills[j].sudog_c) {
			p->wait_object = fills[j].sudog_c;
		} else {
			/* else the semaphore it is queued on (sync.Mutex, WaitGroup...) */
			p->wait_object = sema_waits__find(sema, nsema, p->g_addr);
		}
		p->created_by = go_tracer__pc_text(t, go_field64(g, t->off.gopc), PC_CREATED_BY);
		p->start_func = go_tracer__pc_text(t, go_field64(g, t->off.startpc), PC_START);
		read_wait_channels(t, p, go_field64(g, t->off.waiting));
		p->filled = true;
	}
	free(buf);
	free(spans);
}

/* Before reading a chunk: is the snapshot's budget spent? */
static bool out_of_budget(const struct go_snapshot *out, uint64_t frames, uint64_t start_ns)
{
	return out->n_parked >= MAX_PARKED_READ || frames >= MAX_FRAMES_READ ||
	       mono_ns() - start_ns > SNAPSHOT_BUDGET_NS;
}

/* One walk in progress: what it read, where its records go. */
struct walk {
	struct go_tracer *t;
	double min_parked_seconds;
	struct go_snapshot *out;	/* NULL: the walk at attach, parks only */
	uint64_t *gs, n;		/* allgs as read */
	struct sema_wait *sema;
	size_t nsema;
	struct procmem_span *spans;	/* G_CHUNK of each */
	struct fill *fills;
	uint8_t *gbuf;
	size_t cap;			/* of out->parked */
	uint64_t now, frames, read;
	bool live_missed;		/* a g could not be read: live counts incomplete */
};

/* allgs, the semaphore waits, room for the parks and the chunk buffers. */
static int walk_begin(struct walk *w)
{
	struct go_tracer *t = w->t;
	uint64_t cut = 0;
	int err = go_tracer__read_allgs(t, &w->gs, &w->n, &cut);

	if (err)
		return err;
	if (w->out) {
		w->out->cut += cut;
		if (go_tracer__read_sema_waits(t, &w->sema, &w->nsema, &w->out->cut))
			w->nsema = 0;	/* wait objects of sync waits unknown, the rest still read */
	}
	if ((err = go_tracer__resize_parks(t, w->n)))
		return err;
	w->spans = calloc(G_CHUNK, sizeof(*w->spans));
	w->fills = calloc(G_CHUNK, sizeof(*w->fills));
	w->gbuf = malloc(G_CHUNK * t->off.read_size);
	if (!w->spans || !w->fills || !w->gbuf)
		return -ENOMEM;
	/* about as many parked as last time: no copies while the array grows */
	if (w->out && t->last_parked &&
	    (err = ARRAY_RESERVE(w->out->parked, w->cap, t->last_parked)))
		return err;
	w->now = mono_ns();
	if (w->now < t->last_walk_ns)
		t->last_walk_ns = w->now;
	return 0;
}

static void walk_end(struct walk *w)
{
	free(w->gbuf);
	free(w->fills);
	free(w->spans);
	free(w->sema);
	free(w->gs);
}

/* A live goroutine of the walk, counted at its creation site (go_live.h).
 * Parked long only in a park the last walk saw already: a park that began
 * since is dated halfway between the walks, past a threshold of half the
 * interval however short it is (a loop sleeping 1 ms each turn). */
static void live_add(struct walk *w, const uint8_t *g, uint64_t gaddr, uint32_t status,
		     const struct park *p)
{
	struct go_tracer *t = w->t;
	struct go_live_g lg = {
		.key = go_live__key(go_field64(g, t->off.gopc), go_field64(g, t->off.startpc)),
		.goid = go_field64(g, t->off.goid), .g_addr = gaddr,
		.parked = p && p->since_ns < t->last_walk_ns &&
			  go_tracer__park_seconds(t, p, g, w->now) >= w->min_parked_seconds,
		.resting = status == GO_G_WAITING || status == GO_G_RUNNABLE,
	};

	go_live__add(&t->live, &lg);
}

/* The k gs of allgs from index c read in one batch and their parks
 * tracked; the parks to fill (old enough, not reported yet) listed in
 * w->fills: how many. */
static size_t walk_chunk(struct walk *w, uint64_t c, size_t k)
{
	struct go_tracer *t = w->t;
	size_t rs = t->off.read_size, nfill = 0;

	for (size_t j = 0; j < k; j++)
		w->spans[j] = (struct procmem_span){ .addr = w->gs[c + j], .buf = w->gbuf + j * rs,
						     .len = rs };
	procmem__read_batch(&t->mem, w->spans, k);
	for (size_t j = 0; j < k; j++) {
		const uint8_t *g = w->gbuf + j * rs;
		uint32_t status;
		struct park *p;
		bool system, leaked;

		/* a g that vanished mid-walk is skipped, not fatal */
		if (!w->gs[c + j] || w->spans[j].err) {
			go_tracer__forget_park(t, c + j);
			w->live_missed = true;
			continue;
		}
		w->read++;
		status = g_status(t, g, &leaked);
		if (status != GO_G_WAITING)
			go_tracer__forget_park(t, c + j);
		if (status == GO_G_DEAD || status == GO_G_IDLE)
			continue;
		system = go_tracer__pc_text(t, go_field64(g, t->off.startpc), PC_SYSTEM)[0] != '\0';
		/* the runtime's own too: they are reported parked as well,
		 * and parked must stay within live */
		if (w->out)
			w->out->live++;
		p = status == GO_G_WAITING ?
		    go_tracer__track_park(t, c + j, w->gs[c + j], g, system, w->now) : NULL;
		if (w->out && !system)
			live_add(w, g, w->gs[c + j], status, p);
		if (!p)
			continue;
		if (w->out && !p->filled &&
		    go_tracer__park_seconds(t, p, g, w->now) >= w->min_parked_seconds)
			w->fills[nfill++] = (struct fill){ .park = p, .g = g };
	}
	return nfill;
}

/* The records of the chunk's parks old enough, into w->out. */
static int walk_emit(struct walk *w, uint64_t c, size_t k)
{
	struct go_tracer *t = w->t;
	struct go_snapshot *out = w->out;
	int err;

	for (size_t j = 0; j < k; j++) {
		struct park *p = &t->parks[c + j];
		double age;
		bool leaked;

		if (!p->g_addr)
			continue;
		age = go_tracer__park_seconds(t, p, w->gbuf + j * t->off.read_size, w->now);
		if (age < w->min_parked_seconds || !p->filled)
			continue;
		if (out->n_parked >= MAX_PARKED_READ) {
			out->cut++;
			continue;
		}
		if ((err = ARRAY_RESERVE(out->parked, w->cap, out->n_parked + 1)))
			return err;
		go_tracer__emit(t, p, age, &out->parked[out->n_parked++]);
		g_status(t, w->gbuf + j * t->off.read_size, &leaked);
		if (leaked)
			out->parked[out->n_parked - 1].status = GO_G_LEAKED;
		w->frames += p->stack_len;
	}
	return 0;
}

/* The candidates among the live sites just committed (go_live.h): the g
 * of each one's representative read again, still the same goroutine and
 * not running: how many, their sites and statuses. */
static size_t live_reps_read(struct walk *w, struct fill *fills, size_t *site_of,
			     uint32_t *status_of)
{
	struct go_tracer *t = w->t;
	const struct go_live *l = &t->live;
	size_t rs = t->off.read_size, k = 0, n = 0, idx[GO_LIVE_REPS_MAX];

	for (size_t i = 0; i < l->n_sites && k < GO_LIVE_REPS_MAX; i++) {
		if (!go_live__candidate(&l->sites[i]))
			continue;
		w->spans[k] = (struct procmem_span){ .addr = l->sites[i].rep_g,
						     .buf = w->gbuf + k * rs, .len = rs };
		idx[k++] = i;
	}
	procmem__read_batch(&t->mem, w->spans, k);
	for (size_t j = 0; j < k; j++) {
		const uint8_t *g = w->gbuf + j * rs;
		struct park *p = &t->live_reps[n];
		bool leaked;
		uint32_t status = g_status(t, g, &leaked);

		if (w->spans[j].err || go_field64(g, t->off.goid) != l->sites[idx[j]].rep_goid ||
		    (status != GO_G_WAITING && status != GO_G_RUNNABLE))
			continue;
		free(p->stack);
		*p = (struct park){ .g_addr = l->sites[idx[j]].rep_g, .goid = l->sites[idx[j]].rep_goid,
				    .reason = status == GO_G_WAITING ? g[t->off.waitreason] : 0 };
		fills[n] = (struct fill){ .park = p, .g = g };
		status_of[n] = status;
		site_of[n++] = idx[j];
	}
	return n;
}

/* After a walk with out: the live goroutines per creation site committed,
 * and each candidate site into out with one of its goroutines, filled as
 * a parked one is (its stack from its saved registers). */
static int walk_live(struct walk *w, bool complete)
{
	struct go_tracer *t = w->t;
	struct fill fills[GO_LIVE_REPS_MAX];
	size_t site_of[GO_LIVE_REPS_MAX], n;
	uint32_t status_of[GO_LIVE_REPS_MAX];
	int err = go_live__commit(&t->live, complete, w->now);

	if (err || !(n = live_reps_read(w, fills, site_of, status_of)))
		return err;
	fill_parks(t, fills, n, NULL, 0);
	w->out->live_sites = calloc(n, sizeof(*w->out->live_sites));
	if (!w->out->live_sites)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		const struct go_live_site_hist *h = &t->live.sites[site_of[j]];
		struct go_live_site *ls = &w->out->live_sites[j];

		ls->key = h->key;
		ls->fact = h->fact;
		go_tracer__emit(t, fills[j].park, 0, &ls->rep);
		if (status_of[j] == GO_G_RUNNABLE) {
			ls->rep.status = GO_G_RUNNABLE;
			ls->rep.wait_reason = "runnable";
		}
	}
	w->out->n_live_sites = n;
	return 0;
}

/*
 * One walk of allgs: g structs read G_CHUNK at a time in one batch, parks
 * tracked by key, and (with out) the records of those parked at least
 * min_parked_seconds, read only for parks not reported before. Without
 * out, records only the parks (the walk at attach).
 */
int go_tracer__walk_allgs(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out,
			  uint64_t *read)
{
	struct walk w = { .t = t, .min_parked_seconds = min_parked_seconds, .out = out };
	uint64_t cut_before = out ? out->cut : 0;
	int err = walk_begin(&w);

	for (uint64_t c = 0; !err && c < w.n; c += G_CHUNK) {
		size_t k = w.n - c < G_CHUNK ? w.n - c : G_CHUNK, nfill;

		if (out && out_of_budget(out, w.frames, w.now)) {
			out->cut += w.n - c;
			break;
		}
		nfill = walk_chunk(&w, c, k);
		if (!out)
			continue;
		fill_parks(t, w.fills, nfill, w.sema, w.nsema);
		err = walk_emit(&w, c, k);
	}
	/* a cut walk misses goroutines, which would look ended */
	if (!err && out)
		err = walk_live(&w, !w.live_missed && out->cut == cut_before);
	if (!err) {
		t->last_walk_ns = w.now;
		if (out)
			t->last_parked = out->n_parked;
	}
	*read = w.read;
	walk_end(&w);
	return err;
}

/* The park of goid at the last walk, NULL when it was not parked. */
static const struct park *park_of(const struct go_tracer *t, uint64_t goid)
{
	for (size_t i = 0; i < t->n_parks; i++)
		if (t->parks[i].g_addr && t->parks[i].goid == goid)
			return &t->parks[i];
	return NULL;
}

/* Its stack from the saved sp up, into words[0..max): the count or -errno. */
static int parked_stack(const struct go_tracer *t, const struct park *p, uint64_t *words,
			size_t max)
{
	uint64_t now_goid, now_sp, hi;
	size_t n;

	/* still the same park: its goid and saved sp; and its stack's top */
	if (go_tracer__read_mem(t, p->g_addr + t->off.goid, &now_goid, sizeof(now_goid)) ||
	    go_tracer__read_mem(t, p->g_addr + t->off.sched_sp, &now_sp, sizeof(now_sp)) ||
	    go_tracer__read_mem(t, p->g_addr + t->off.stack_hi, &hi, sizeof(hi)))
		return -EFAULT;
	if (now_goid != p->goid || now_sp != p->sp || hi <= p->sp || p->sp % 8)
		return -ESTALE;
	n = (hi - p->sp) / 8;
	if (n > max)
		n = max;
	if (n > GO_STACK_WORDS_MAX)
		n = GO_STACK_WORDS_MAX;
	if (go_tracer__read_mem(t, p->sp, words, n * 8))
		return -EFAULT;
	return (int)n;
}

/* Zeroes the words of a parked stack its frames' stack maps say are dead
 * (collect/go/go_stackmap.c): a slot the goroutine running there has not
 * written yet may hold an older goroutine's pointer (stacks are reused).
 * Unmapped frames stay whole. */
static void drop_dead_words(const struct go_tracer *t, const struct park *p, uint64_t *words,
			    size_t n)
{
	struct go_stackmap_stats st = { 0 };
	uint8_t *live = calloc((n + 7) / 8, 1);

	if (!live)
		return;	/* all kept: conservative */
	go_stackmap__live_words(t->bin, t->bias, p->pc, p->sp, (const uint8_t *)words, n * 8, live,
				&st);
	for (size_t k = 0; k < n; k++)
		if (!(live[k / 8] & (1u << (k % 8))))
			words[k] = 0;
	free(live);
}

/* Addresses among stack[0..n) worth a hop: aligned, in user space, outside
 * the stack itself (saved frame pointers), distinct; into out, the count. */
static size_t hop_targets(const uint64_t *stack, size_t n, uint64_t lo, uint64_t hi,
			  uint64_t *out)
{
	size_t k = 0, m = 0;

	for (size_t w = 0; w < n && k < GO_STACK_WORDS_MAX; w++) {
		uint64_t a = stack[w];

		if (a >= 0x10000 && a < (1ull << 47) && !(a % 8) && (a < lo || a >= hi))
			out[k++] = a;
	}
	qsort(out, k, sizeof(*out), cmp_u64);
	for (size_t i = 0; i < k && m < GO_SEEN_HOPS; i++)
		if (!i || out[i] != out[i - 1])
			out[m++] = out[i];
	return m;
}

int go_tracer__parked_seen(const struct go_tracer *t, uint64_t goid, bool hop, uint64_t *words,
			   size_t max)
{
	const struct park *p = park_of(t, goid);
	size_t per = GO_SEEN_HOP_BYTES / 8, n_hops, used;
	uint64_t *targets = NULL;
	struct procmem_span *spans = NULL;
	int n;

	if (!p)
		return -ENOENT;
	n = parked_stack(t, p, words, max);
	if (n <= 0)
		return n;
	drop_dead_words(t, p, words, (size_t)n);
	if (!hop)
		return n;
	targets = malloc(GO_STACK_WORDS_MAX * sizeof(*targets));
	spans = calloc(GO_SEEN_HOPS, sizeof(*spans));
	if (!targets || !spans) {
		free(targets);
		free(spans);
		return n;	/* the stack alone */
	}
	n_hops = hop_targets(words, n, p->sp, p->sp + (uint64_t)n * 8, targets);
	used = n;
	for (size_t i = 0; i < n_hops && used + per <= max; i++, used += per)
		spans[i] = (struct procmem_span){ .addr = targets[i], .buf = words + used,
						  .len = GO_SEEN_HOP_BYTES };
	n_hops = (used - n) / per;
	procmem__read_batch(&t->mem, spans, n_hops);
	for (size_t i = 0; i < n_hops; i++)	/* what failed to read holds nothing */
		if (spans[i].err)
			memset(spans[i].buf, 0, GO_SEEN_HOP_BYTES);
	free(targets);
	free(spans);
	return (int)used;
}
