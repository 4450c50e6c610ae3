// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reachability of blocked goroutines' wait objects, marked from outside. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/go/go_reach.h"
#include "collect/go/go_semtable.h"
#include "util/array.h"
#include "util/clock.h"

#define MAX_GS		(1u << 20)	/* goroutines read per pass */
#define G_CHUNK		512		/* g structs per batch */
#define G_READ_MAX	1024
#define SUDOG_READ	128		/* bytes of a sudog read: every field used */
#define MAX_WAITLINK	1024		/* sudogs of one goroutine's select */
#define BATCH_BYTES	(1u << 20)	/* object bytes read per batch */
#define BATCH_ITEMS	1024
#define MAX_STACK	(1ull << 30)	/* the runtime's maxstacksize on 64-bit */
#define COND_STACK_READ	(64u << 10)	/* bytes of a Cond waiter's stack searched */
#define MAX_COND_CHAIN	4096
#define LOCK_SPAN	24		/* a sema word lies this far at most into its lock */
#define MAX_CYCLE_NODES	256
#define SEEN_MAX	16384		/* words a lock waiter sees */
#define SEEN_HOPS	256		/* objects its stack points to, read */
#define SEEN_OBJ_MAX	512
#define MAPPED_STACK_MAX (8ull << 20)	/* larger stacks are scanned whole */

enum go_wait_kind go_reach__wait_kind(const char *reason)
{
	static const struct { const char *name; enum go_wait_kind kind; } kinds[] = {
		{ "chan receive", GO_WAIT_CHAN }, { "chan send", GO_WAIT_CHAN },
		{ "select", GO_WAIT_CHAN },
		{ "chan receive (nil chan)", GO_WAIT_NEVER },
		{ "chan send (nil chan)", GO_WAIT_NEVER }, { "select (no cases)", GO_WAIT_NEVER },
		{ "semacquire", GO_WAIT_SEMA }, { "sync.Mutex.Lock", GO_WAIT_SEMA },
		{ "sync.RWMutex.RLock", GO_WAIT_SEMA }, { "sync.RWMutex.Lock", GO_WAIT_SEMA },
		{ "sync.WaitGroup.Wait", GO_WAIT_SEMA }, { "sync.Cond.Wait", GO_WAIT_COND },
	};

	for (size_t i = 0; reason && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(reason, kinds[i].name))
			return kinds[i].kind;
	return GO_WAIT_RUNNABLE;
}

/* One goroutine of allgs as read before the pass. */
struct gor {
	uint64_t g, goid, pc, sp, lo, hi, waiting;
	uint32_t status;
	uint8_t reason, seq, kind;
	bool root, leaked;
	uint32_t obj_at, n_obj;		/* its wait objects in pass.objs */
};

struct item {
	uint64_t addr, len;
};

struct sema_wait {
	uint64_t g, addr;
};

struct pass {
	const struct go_reach_target *t;
	const struct go_offsets *o;
	struct go_reader *r;
	struct go_heap h;
	struct gor *gs;
	size_t n_gs;
	uint64_t *objs;
	size_t n_objs, cap_objs;
	uint64_t *opaque;		/* sorted: slots marked but never scanned */
	size_t n_opaque, cap_opaque;
	uint8_t *span_opaque;		/* per span: holds an opaque slot */
	/* small-object spans with marked slots not scanned yet: read whole
	 * (one 8 KiB+ read instead of one per object) */
	uint32_t *dirty;
	size_t n_dirty, cap_dirty;
	uint8_t *queued;		/* per span: in dirty */
	uint8_t *scanned;		/* a bit per slot */
	uint64_t *ps;			/* the Ps (allp), sorted: their wbBuf is skipped */
	size_t n_ps;
	struct item *work;
	size_t n_work, cap_work;
	struct sema_wait *sema;		/* sorted by g */
	size_t n_sema, cap_sema;
	uint64_t cpu_start, max_cpu;
	uint64_t marked;
	bool cut;
	uint8_t *buf;			/* BATCH_BYTES */
	struct go_stackmap_stats stack;
};


static int add_opaque(struct pass *p, uint64_t a)
{
	if (ARRAY_RESERVE(p->opaque, p->cap_opaque, p->n_opaque + 1))
		return -ENOMEM;
	p->opaque[p->n_opaque++] = a;
	return 0;
}

static int add_obj(struct pass *p, struct gor *g, uint64_t a)
{
	if (!a)
		return 0;
	if (ARRAY_RESERVE(p->objs, p->cap_objs, p->n_objs + 1))
		return -ENOMEM;
	if (!g->n_obj)
		g->obj_at = p->n_objs;
	p->objs[p->n_objs++] = a;
	g->n_obj++;
	return 0;
}

/* ---- goroutines ---- */

static void gor_parse(const struct pass *p, const uint8_t *b, uint64_t addr, struct gor *g)
{
	const struct go_offsets *o = p->o;
	const char *reason;

	*g = (struct gor){
		.g = addr, .goid = go_field64(b, o->goid), .pc = go_field64(b, o->sched_pc),
		.sp = go_field64(b, o->sched_sp), .lo = go_field64(b, o->stack_lo), .hi = go_field64(b, o->stack_hi),
		.waiting = go_field64(b, o->waiting), .reason = b[o->waitreason],
		.seq = o->tracking_seq ? b[o->tracking_seq] : 0,
	};
	memcpy(&g->status, b + o->atomicstatus, sizeof(g->status));
	g->status &= ~GO_G_SCAN;
	g->leaked = g->status == GO_G_LEAKED && p->t->heap->sudog_c_word != o->sudog_c;
	reason = g->reason < o->n_wait_reasons ? o->wait_reasons[g->reason] : NULL;
	g->kind = g->status == GO_G_WAITING || g->leaked ? go_reach__wait_kind(reason) :
							   GO_WAIT_RUNNABLE;
	g->root = g->kind == GO_WAIT_RUNNABLE;
}

/* Every g of allgs that is not dead, read G_CHUNK at a time. */
static int read_gs(struct pass *p)
{
	uint64_t hdr[3], *ptrs = NULL;
	size_t rs = p->o->read_size, cap = 0;
	struct go_mem_span ms[G_CHUNK];
	uint8_t *buf = malloc((size_t)G_CHUNK * G_READ_MAX);
	int err = buf ? 0 : -ENOMEM;

	if (!err && (rs > G_READ_MAX || go_reader__read1(p->r, p->t->allgs, hdr, sizeof(hdr))))
		err = -EFAULT;
	if (!err && (!hdr[0] || hdr[1] > hdr[2] || hdr[1] > MAX_GS))
		err = -EPROTO;
	if (!err && !(ptrs = malloc((hdr[1] + 1) * sizeof(*ptrs))))
		err = -ENOMEM;
	if (!err && go_reader__read1(p->r, hdr[0], ptrs, hdr[1] * sizeof(*ptrs)))
		err = -EFAULT;
	if (!err)
		err = add_opaque(p, hdr[0]);	/* allgs' array reaches every g */
	for (uint64_t c = 0; !err && c < hdr[1]; c += G_CHUNK) {
		size_t k = hdr[1] - c < G_CHUNK ? hdr[1] - c : G_CHUNK;

		for (size_t j = 0; j < k; j++)
			ms[j] = (struct go_mem_span){ ptrs[c + j], buf + j * G_READ_MAX, rs, false };
		go_reader__read(p->r, ms, k);
		for (size_t j = 0; j < k && !err; j++) {
			struct gor g;

			if (!ms[j].ok)
				continue;
			gor_parse(p, ms[j].buf, ptrs[c + j], &g);
			if (g.status == GO_G_DEAD || g.status == GO_G_IDLE)
				continue;
			if (ARRAY_RESERVE(p->gs, cap, p->n_gs + 1))
				err = -ENOMEM;
			else
				p->gs[p->n_gs++] = g;
		}
	}
	free(ptrs);
	free(buf);
	return err;
}

/* ---- wait objects ---- */

static int cmp_sema(const void *a, const void *b)
{
	return cmp_u64(&((const struct sema_wait *)a)->g, &((const struct sema_wait *)b)->g);
}

static int read_reach_mem(const void *ctx, uint64_t addr, void *buf, size_t len)
{
	return go_reader__read1((struct go_reader *)ctx, addr, buf, len);
}

/* A sudog of the semaphore treaps: made opaque (its elem points into the
 * lock), its (g, semaphore) pair kept. */
static int add_sema_wait(void *ctx, uint64_t sudog, uint64_t g, uint64_t elem)
{
	struct pass *p = ctx;
	struct sema_wait *w;
	int err = add_opaque(p, sudog);

	if (err)
		return err;
	if (!(w = ARRAY_PUSH(p->sema, p->n_sema, p->cap_sema)))
		return -ENOMEM;
	*w = (struct sema_wait){ g, elem };
	return 0;
}

/* Every sudog of runtime.semtable's treaps (collect/go/go_semtable.c):
 * (g, semaphore) pairs, sorted by g. Bounded visits. */
static int read_semtable(struct pass *p)
{
	const struct go_offsets *o = p->o;
	const struct go_sema_fields f = { o->sudog_g, p->t->heap->sudog_elem_word, o->sudog_prev,
					  o->sudog_next, o->sudog_waitlink };
	uint64_t cut = 0;
	int err = go_semtable_walk(read_reach_mem, p->r, p->t->semtable, &f, add_sema_wait, p, &cut);

	if (err == -EFAULT)
		err = 0;	/* no sema wait can be resolved: they stay roots */
	if (p->n_sema)
		qsort(p->sema, p->n_sema, sizeof(*p->sema), cmp_sema);
	return err;
}

/* The channels of each channel wait: the sudog chain from g.waiting along
 * waitlink, one level of every goroutine's chain per batch. */
static int read_chan_waits(struct pass *p)
{
	const struct go_offsets *o = p->o;
	size_t n = 0, *who = calloc(p->n_gs + 1, sizeof(*who));
	uint64_t *at = calloc(p->n_gs + 1, sizeof(*at));
	struct go_mem_span *ms = calloc(p->n_gs + 1, sizeof(*ms));
	uint8_t *buf = malloc((p->n_gs + 1) * SUDOG_READ);
	int err = who && at && ms && buf ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < p->n_gs; i++)
		if (p->gs[i].kind == GO_WAIT_CHAN && p->gs[i].waiting) {
			who[n] = i;
			at[n++] = p->gs[i].waiting;
		}
	for (int depth = 0; !err && n && depth < MAX_WAITLINK; depth++) {
		size_t next = 0;

		for (size_t j = 0; j < n; j++)
			ms[j] = (struct go_mem_span){ at[j], buf + j * SUDOG_READ, SUDOG_READ, false };
		go_reader__read(p->r, ms, n);
		for (size_t j = 0; j < n && !err; j++) {
			uint64_t link;

			if (!ms[j].ok || at[j] % 8)
				continue;
			err = add_opaque(p, at[j]);
			if (!err)
				err = add_obj(p, &p->gs[who[j]], go_field64(ms[j].buf, p->t->heap->sudog_c_word));
			link = go_field64(ms[j].buf, o->sudog_waitlink);
			if (link) {
				who[next] = who[j];
				at[next++] = link;
			}
		}
		n = next;
	}
	free(who);
	free(at);
	free(ms);
	free(buf);
	return err;
}

/* g.waiting's elem, the sync object since Go 1.26 (sema.go sets it). */
static uint64_t waiting_elem(struct pass *p, const struct gor *g)
{
	uint8_t s[SUDOG_READ];

	if (!g->waiting || go_reader__read1(p->r, g->waiting, s, SUDOG_READ))
		return 0;
	add_opaque(p, g->waiting);
	return go_field64(s, p->t->heap->sudog_elem_word);
}

/* Does the notifyList at l hold a sudog of g? Its sudogs made opaque. */
static bool notify_list_holds(struct pass *p, uint64_t l, uint64_t g)
{
	uint64_t s;
	uint8_t sd[SUDOG_READ];
	bool found = false;

	if (go_reader__read1(p->r, l + p->t->heap->notify_head, &s, sizeof(s)))
		return false;
	for (int i = 0; s && s % 8 == 0 && i < MAX_COND_CHAIN; i++) {
		if (go_reader__read1(p->r, s, sd, SUDOG_READ))
			break;
		if (go_field64(sd, p->o->sudog_g) == g)
			found = true;
		add_opaque(p, s);
		s = go_field64(sd, p->o->sudog_next);
	}
	return found;
}

/* Before Go 1.26 a Cond waiter's g says nothing: sync.(*Cond).Wait keeps
 * c live across the park, so some word of its stack is the Cond whose
 * notifyList holds the waiter's sudog. */
static uint64_t cond_from_stack(struct pass *p, const struct gor *g)
{
	uint64_t len = g->hi > g->sp ? g->hi - g->sp : 0, base, bit;
	size_t span;

	if (g->sp < g->lo || len > MAX_STACK)
		return 0;
	if (len > COND_STACK_READ)
		len = COND_STACK_READ;
	if (go_reader__read1(p->r, g->sp, p->buf, len))
		return 0;
	for (uint64_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w = go_field64(p->buf, i), l = w + p->t->heap->cond_notify;

		if (!w || w % 8 || !go_heap__slot(&p->h, w, &span, &base, &bit))
			continue;
		if (notify_list_holds(p, l, g->g))
			return l;
	}
	return 0;
}

static int read_sync_waits(struct pass *p)
{
	int err = 0;

	for (size_t i = 0; i < p->n_gs && !err; i++) {
		struct gor *g = &p->gs[i];
		struct sema_wait key = { .g = g->g }, *w;

		if (g->kind == GO_WAIT_SEMA) {
			w = sorted_find(p->sema, p->n_sema, sizeof(*w), &key, cmp_sema);
			err = add_obj(p, g, w ? w->addr : waiting_elem(p, g));
		} else if (g->kind == GO_WAIT_COND) {
			uint64_t l = waiting_elem(p, g);

			err = add_obj(p, g, l ? l : cond_from_stack(p, g));
		}
	}
	return err;
}

/* The Ps of allp, sorted (none when allp is unknown or unreadable). */
static int read_ps(struct pass *p)
{
	uint64_t hdr[3];

	if (!p->t->allp || go_reader__read1(p->r, p->t->allp, hdr, sizeof(hdr)) ||
	    !hdr[1] || hdr[1] > hdr[2] || hdr[1] > 4096)
		return 0;
	p->ps = malloc(hdr[1] * sizeof(*p->ps));
	if (!p->ps)
		return -ENOMEM;
	if (go_reader__read1(p->r, hdr[0], p->ps, hdr[1] * sizeof(*p->ps)))
		return 0;
	p->n_ps = hdr[1];
	qsort(p->ps, p->n_ps, sizeof(*p->ps), cmp_u64);
	return 0;
}

/* A wait whose object was not found is not judged: the goroutine is a root. */
static int read_wait_objects(struct pass *p)
{
	int err = read_ps(p);

	if (!err)
		err = read_semtable(p);

	if (!err)
		err = read_chan_waits(p);
	if (!err)
		err = read_sync_waits(p);
	for (size_t i = 0; !err && i < p->n_gs; i++) {
		struct gor *g = &p->gs[i];

		if (!g->root && g->kind != GO_WAIT_NEVER && !g->n_obj)
			g->root = true;
		if (!g->root)
			err = add_opaque(p, g->g);
	}
	if (!err && p->n_opaque)
		qsort(p->opaque, p->n_opaque, sizeof(*p->opaque), cmp_u64);
	/* most slots are in spans without any opaque one: skip the search */
	p->span_opaque = err ? NULL : calloc(p->h.n_spans + 1, 1);
	p->queued = err ? NULL : calloc(p->h.n_spans + 1, 1);
	p->scanned = p->queued ? calloc(p->h.n_bits / 8 + 16, 1) : NULL;
	if (!p->scanned) {	/* one read per object then */
		free(p->queued);
		p->queued = NULL;
	}
	for (size_t i = 0; p->span_opaque && i < p->n_opaque; i++) {
		uint64_t base, bit;
		size_t span;

		if (go_heap__slot(&p->h, p->opaque[i], &span, &base, &bit))
			p->span_opaque[span] = 1;
	}
	return err;
}

/* ---- marking ---- */

static bool over_budget(struct pass *p)
{
	if (!p->cut && clock_ns(CLOCK_THREAD_CPUTIME_ID) - p->cpu_start > p->max_cpu)
		p->cut = true;
	return p->cut || p->r->cut;
}

static int push_range(struct pass *p, uint64_t addr, uint64_t len)
{
	while (len) {
		uint64_t k = len < BATCH_BYTES ? len : BATCH_BYTES;

		if (ARRAY_RESERVE(p->work, p->cap_work, p->n_work + 1))
			return -ENOMEM;
		p->work[p->n_work++] = (struct item){ addr, k };
		addr += k;
		len -= k;
	}
	return 0;
}

static bool is_opaque(const struct pass *p, size_t span, uint64_t base)
{
	if (p->span_opaque && !p->span_opaque[span])
		return false;
	return sorted_find(p->opaque, p->n_opaque, sizeof(base), &base, cmp_u64) != NULL;
}

/* Marks the slot w points into; a new scannable, non-opaque slot is queued.
 * force: queue it even when opaque or marked (a goroutine turned root). */
static int mark(struct pass *p, uint64_t w, bool force)
{
	const struct go_span *s;
	uint64_t base, bit;
	size_t span;
	bool was;

	if (!go_heap__slot(&p->h, w, &span, &base, &bit))
		return 0;
	was = p->h.marks[bit / 8] & (1u << (bit % 8));
	if (was && !force)
		return 0;
	p->h.marks[bit / 8] |= 1u << (bit % 8);
	p->marked += !was;
	s = &p->h.spans[span];
	if (s->noscan || (!force && is_opaque(p, span, base)))
		return 0;
	if (force || s->nelems == 1 || !p->queued)
		return push_range(p, base, s->elemsize);
	if (p->queued[span])
		return 0;
	if (ARRAY_RESERVE(p->dirty, p->cap_dirty, p->n_dirty + 1))
		return -ENOMEM;
	p->queued[span] = 1;
	p->dirty[p->n_dirty++] = (uint32_t)span;
	return 0;
}

static int scan_words(struct pass *p, const uint8_t *b, uint64_t len);

/* An object (or the start of one) at addr read into b: a P's write
 * barrier buffer, stale pointers of the last GC, is left out. */
static int scan_object(struct pass *p, uint64_t addr, const uint8_t *b, uint64_t len)
{
	uint64_t off = p->t->heap->p_wbbuf, end = off + p->t->heap->p_wbbuf_size;
	int err;

	if (!p->n_ps || !off || len < end ||
	    !sorted_find(p->ps, p->n_ps, sizeof(addr), &addr, cmp_u64))
		return scan_words(p, b, len);
	err = scan_words(p, b, off);
	return err ? err : scan_words(p, b + end, len - end);
}

/* The marked, unscanned, non-opaque slots of a span read whole. */
static int scan_span(struct pass *p, size_t span, const uint8_t *b)
{
	const struct go_span *s = &p->h.spans[span];
	int err = 0;

	for (uint32_t e = 0; e < s->nelems && !err; e++) {
		uint64_t bit = s->bit + e, base = s->start + e * s->elemsize;
		uint8_t m = 1u << (bit % 8);

		if (!(p->h.marks[bit / 8] & m) || (p->scanned[bit / 8] & m))
			continue;
		p->scanned[bit / 8] |= m;
		if (!p->span_opaque || !p->span_opaque[span] || !is_opaque(p, span, base))
			err = scan_object(p, base, b + e * s->elemsize, s->elemsize);
	}
	return err;
}

/* Reads and scans dirty spans, 1 MiB at a time. */
static int drain_spans(struct pass *p)
{
	struct go_mem_span ms[BATCH_ITEMS];
	uint32_t idx[BATCH_ITEMS];
	int err = 0;

	while (!err && p->n_dirty && !over_budget(p)) {
		size_t k = 0, used = 0;

		while (p->n_dirty && k < BATCH_ITEMS) {
			const struct go_span *s = &p->h.spans[p->dirty[p->n_dirty - 1]];
			uint64_t len = s->limit - s->start;

			if (used + len > BATCH_BYTES && k)
				break;
			idx[k] = p->dirty[--p->n_dirty];
			p->queued[idx[k]] = 0;
			if (len > BATCH_BYTES) {	/* a multi-page span of small slots */
				err = push_range(p, s->start, len);
				continue;
			}
			ms[k++] = (struct go_mem_span){ s->start, p->buf + used, len, false };
			used += len;
		}
		go_reader__read(p->r, ms, k);
		for (size_t j = 0; j < k && !err; j++)
			if (ms[j].ok)
				err = scan_span(p, idx[j], ms[j].buf);
	}
	return err;
}

static int scan_words(struct pass *p, const uint8_t *b, uint64_t len)
{
	int err = 0;

	for (uint64_t i = 0; i + 8 <= len && !err; i += 8) {
		uint64_t w = go_field64(b, i);

		if (w >= p->h.lo && w < p->h.hi)
			err = mark(p, w, false);
	}
	return err;
}

/* Scans the queue until it is empty, in batches of reads. */
static int drain(struct pass *p)
{
	struct go_mem_span ms[BATCH_ITEMS];
	int err = 0;

	while (!err && (p->n_work || p->n_dirty) && !over_budget(p)) {
		if (!p->n_work) {
			err = drain_spans(p);
			continue;
		}
		size_t k = 0, used = 0;

		while (p->n_work && k < BATCH_ITEMS &&
		       used + p->work[p->n_work - 1].len <= BATCH_BYTES) {
			struct item it = p->work[--p->n_work];

			ms[k++] = (struct go_mem_span){ it.addr, p->buf + used, it.len, false };
			used += it.len;
		}
		go_reader__read(p->r, ms, k);
		for (size_t j = 0; j < k && !err; j++)
			if (ms[j].ok)
				err = scan_object(p, ms[j].addr, ms[j].buf, ms[j].len);
	}
	return err ? err : over_budget(p) ? -E2BIG : 0;
}

/* A parked goroutine's stack (its pc and sp saved in g.sched): only the
 * words its frames' stack maps keep live (go_stackmap.h) are marked from.
 * -ENOENT when it cannot be read that way: then every word is. */
static int add_mapped_stack(struct pass *p, const struct gor *g)
{
	uint64_t len = g->hi - g->sp;
	uint8_t *stack = NULL, *live = NULL;
	int err = -ENOENT;

	if (!p->t->bin || (g->status != GO_G_WAITING && g->status != GO_G_RUNNABLE) ||
	    g->sp < g->lo || g->sp >= g->hi || g->sp % 8 || len > MAPPED_STACK_MAX)
		return -ENOENT;
	stack = malloc(len);
	live = calloc(len / 64 + 1, 1);
	if (!stack || !live)
		err = -ENOMEM;
	else if (!go_reader__read1(p->r, g->sp, stack, len))
		err = 0;
	if (!err)
		go_stackmap__live_words(p->t->bin, p->t->bias, g->pc, g->sp, stack, len, live,
					&p->stack);
	for (uint64_t k = 0; !err && k < len / 8; k++) {
		uint64_t w = go_field64(stack, k * 8);

		if ((live[k / 8] & (1u << (k % 8))) && w >= p->h.lo && w < p->h.hi)
			err = mark(p, w, false);
	}
	free(stack);
	free(live);
	return err;
}

/* A goroutine that may run: its stack from the saved sp up (all of it
 * while it runs: its sp is not saved; parked, the live words of its
 * frames), and its g struct. */
static int add_goroutine_root(struct pass *p, const struct gor *g)
{
	uint64_t lo = g->lo;
	int err = add_mapped_stack(p, g);

	if (err != -ENOENT)
		return err ? err : mark(p, g->g, true);
	if (g->status != GO_G_RUNNING && g->status != GO_G_SYSCALL && g->sp >= g->lo &&
	    g->sp < g->hi)
		lo = g->sp & ~7ull;
	err = g->hi > lo && g->hi - lo <= MAX_STACK ? push_range(p, lo, g->hi - lo) : 0;
	return err ? err : mark(p, g->g, true);
}

/* Module data and bss (but runtime.semtable, whose treaps reach every
 * sudog), finalizer roots, goroutines that may run. */
static int add_roots(struct pass *p)
{
	uint64_t st = p->t->semtable, st_end = st + SEMTAB_SIZE * SEMTAB_STRIDE;
	int err = 0;

	for (size_t i = 0; i < p->h.n_ranges && !err; i++) {
		struct go_range r = p->h.ranges[i];

		if (st && st >= r.lo && st_end <= r.hi) {
			err = push_range(p, r.lo, st - r.lo);
			if (!err)
				err = push_range(p, st_end, r.hi - st_end);
		} else {
			err = push_range(p, r.lo, r.hi - r.lo);
		}
	}
	for (size_t i = 0; i < p->h.n_fin_roots && !err; i++)
		err = mark(p, p->h.fin_roots[i], false);
	for (size_t i = 0; i < p->n_gs && !err; i++)
		if (p->gs[i].root)
			err = add_goroutine_root(p, &p->gs[i]);
	return err;
}

/* Reached: marked, or not in the heap at all (a global, a stack). */
static bool reached(const struct pass *p, uint64_t a)
{
	uint64_t base, bit;
	size_t span;

	if (!go_heap__slot(&p->h, a, &span, &base, &bit))
		return true;
	return p->h.marks[bit / 8] & (1u << (bit % 8));
}

/* Blocked goroutines whose wait object was reached become roots (the
 * runtime's isMaybeRunnable); how many did. */
static size_t promote(struct pass *p, int *err)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_gs && !*err; i++) {
		struct gor *g = &p->gs[i];
		bool any = false;

		if (g->root || g->kind == GO_WAIT_NEVER)
			continue;
		for (uint32_t k = 0; k < g->n_obj && !any; k++)
			any = reached(p, p->objs[g->obj_at + k]);
		if (!any)
			continue;
		g->root = true;
		n++;
		*err = add_goroutine_root(p, g);
	}
	return n;
}

/* A heap read wrong (a layout that moved) marks too little: the Ps of
 * allp, reached from the runtime's bss, must be marked, or no proof. */
static int self_check(const struct pass *p)
{
	for (size_t i = 0; i < p->n_ps; i++)
		if (!reached(p, p->ps[i]))
			return -EPROTO;
	return 0;
}

static int fixpoint(struct pass *p, struct go_reach_stats *st)
{
	int err = add_roots(p);

	while (!err) {
		size_t added;

		err = drain(p);
		st->rounds++;
		if (err)
			break;
		added = promote(p, &err);
		st->roots_added += added;
		if (!added)
			break;
	}
	return err;
}

/* ---- claims ---- */

/* Re-reads the blocked goroutines: a park key that moved (woken, parked
 * again, or read torn) drops the goroutine from the claims. */
static int recheck(struct pass *p)
{
	size_t rs = p->o->read_size;
	uint8_t *buf = malloc(rs);
	int err = buf ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < p->n_gs; i++) {
		struct gor *g = &p->gs[i], now;

		if (g->root)
			continue;
		if (go_reader__read1(p->r, g->g, buf, rs)) {
			g->root = true;
			continue;
		}
		gor_parse(p, buf, g->g, &now);
		if (now.goid != g->goid || now.status != g->status || now.reason != g->reason ||
		    now.pc != g->pc || now.sp != g->sp || now.seq != g->seq ||
		    now.waiting != g->waiting)
			g->root = true;
	}
	free(buf);
	return p->r->cut ? -E2BIG : err;
}

/* Does the proven sema waiter a hold what b waits for? Some word it can
 * see points to the lock that holds b's semaphore word. */
static bool holds(const struct pass *p, const uint64_t *seen, size_t n, const struct gor *a,
		  const struct gor *b)
{
	uint64_t want = p->objs[b->obj_at], mine = p->objs[a->obj_at];

	if (want == mine)
		return false;
	for (size_t i = 0; i < n; i++)
		if (seen[i] <= want && want - seen[i] <= LOCK_SPAN)
			return true;
	return false;
}

/* The words a waiter sees: its stack from sp up, and one hop further the
 * small objects its stack points to (a closure's captured locks). At most
 * SEEN_MAX words. */
static size_t seen_words(struct pass *p, const struct gor *g, uint64_t *seen)
{
	uint64_t len = g->hi > g->sp && g->sp >= g->lo ? g->hi - g->sp : 0, base, bit;
	size_t n = 0, span, hops = 0;
	uint8_t obj[SEEN_OBJ_MAX];

	if (len > COND_STACK_READ)
		len = COND_STACK_READ;
	if (!len || go_reader__read1(p->r, g->sp, p->buf, len))
		return 0;
	for (uint64_t i = 0; i + 8 <= len && n < SEEN_MAX; i += 8)
		seen[n++] = go_field64(p->buf, i);
	for (size_t i = 0, stack_n = n; i < stack_n && hops < SEEN_HOPS; i++) {
		const struct go_span *s;

		if (!go_heap__slot(&p->h, seen[i], &span, &base, &bit))
			continue;
		s = &p->h.spans[span];
		if (s->noscan || s->elemsize > SEEN_OBJ_MAX ||
		    go_reader__read1(p->r, base, obj, s->elemsize))
			continue;
		hops++;
		for (uint64_t k = 0; k + 8 <= s->elemsize && n < SEEN_MAX; k += 8)
			seen[n++] = go_field64(obj, k);
	}
	return n;
}

/* Lock waiters in a cycle of holds (AB-BA, A-B-C-A): a deadlock. Small
 * sets only (MAX_CYCLE_NODES); edges from what each waiter sees. */
static void find_cycles(struct pass *p, struct go_proof *pr, size_t n)
{
	static uint8_t edge[MAX_CYCLE_NODES][MAX_CYCLE_NODES];
	static uint64_t seen[SEEN_MAX];
	size_t idx[MAX_CYCLE_NODES], m = 0;

	for (size_t i = 0; i < n && m < MAX_CYCLE_NODES; i++)
		if (pr[i].kind == GO_WAIT_SEMA)
			idx[m++] = i;
	memset(edge, 0, sizeof(edge));
	for (size_t a = 0; a < m; a++) {
		const struct gor *ga = (const struct gor *)(uintptr_t)pr[idx[a]].wait_object;
		size_t k = seen_words(p, ga, seen);

		for (size_t b = 0; b < m; b++) {
			const struct gor *gb = (const struct gor *)(uintptr_t)pr[idx[b]].wait_object;

			edge[a][b] = a != b && holds(p, seen, k, ga, gb);
		}
	}
	/* transitive closure: a is in a cycle when it reaches itself */
	for (size_t k = 0; k < m; k++)
		for (size_t a = 0; a < m; a++)
			for (size_t b = 0; a != k && edge[a][k] && b < m; b++)
				edge[a][b] |= edge[k][b];
	for (size_t a = 0; a < m; a++)
		pr[idx[a]].cycle = edge[a][a];
}

static int cmp_proof(const void *a, const void *b)
{
	return cmp_u64(&((const struct go_proof *)a)->g_addr, &((const struct go_proof *)b)->g_addr);
}

static int collect_proofs(struct pass *p, struct go_proof **out, size_t *n)
{
	struct go_proof *pr = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < p->n_gs; i++) {
		struct gor *g = &p->gs[i];
		struct go_proof *x;

		if (g->root)
			continue;
		if (!(x = ARRAY_PUSH(pr, *n, cap))) {
			free(pr);
			return -ENOMEM;
		}
		/* wait_object carries the gor until find_cycles is done */
		*x = (struct go_proof){ .g_addr = g->g, .goid = g->goid, .kind = g->kind,
					.wait_object = (uint64_t)(uintptr_t)g };
	}
	find_cycles(p, pr, *n);
	for (size_t i = 0; i < *n; i++) {
		const struct gor *g = (const struct gor *)(uintptr_t)pr[i].wait_object;

		pr[i].wait_object = g->n_obj ? p->objs[g->obj_at] : 0;
	}
	if (*n)
		qsort(pr, *n, sizeof(*pr), cmp_proof);
	*out = pr;
	return 0;
}

const struct go_proof *go_reach__find(const struct go_proof *proofs, size_t n, uint64_t g_addr,
				      uint64_t goid)
{
	struct go_proof key = { .g_addr = g_addr };
	const struct go_proof *p = sorted_find(proofs, n, sizeof(key), &key, cmp_proof);

	return p && p->goid == goid ? p : NULL;
}

static void pass_free(struct pass *p)
{
	go_heap__free(&p->h);
	free(p->gs);
	free(p->objs);
	free(p->opaque);
	free(p->span_opaque);
	free(p->dirty);
	free(p->queued);
	free(p->scanned);
	free(p->ps);
	free(p->work);
	free(p->sema);
	free(p->buf);
}

static size_t candidates(const struct pass *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_gs; i++)
		n += !p->gs[i].root;
	return n;
}

int go_reach__pass(const struct go_reach_target *t, const struct go_reach_opts *o,
		   struct go_proof **proofs, size_t *n, struct go_reach_stats *st)
{
	struct pass p = { .t = t, .o = t->g, .r = t->reader };
	uint64_t bytes0 = t->reader->bytes;
	int err;

	*proofs = NULL;
	*n = 0;
	memset(st, 0, sizeof(*st));
	p.cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	p.max_cpu = o && o->max_cpu_ns ? o->max_cpu_ns : GO_REACH_MAX_CPU_NS;
	t->reader->max_bytes = bytes0 + (o && o->max_bytes ? o->max_bytes : GO_REACH_MAX_BYTES);
	t->reader->cut = false;
	p.buf = malloc(BATCH_BYTES > COND_STACK_READ ? BATCH_BYTES : COND_STACK_READ);
	err = p.buf ? 0 : -ENOMEM;
	/* goroutines first: a key read before the heap is compared after it */
	if (!err)
		err = read_gs(&p);
	if (!err)
		err = go_heap__read(&p.h, p.r, t->heap, t->mheap, t->firstmoduledata);
	if (!err)
		err = read_wait_objects(&p);
	st->candidates = candidates(&p);
	if (!err && st->candidates)
		err = fixpoint(&p, st);
	if (!err && st->candidates)
		err = self_check(&p);
	if (!err && candidates(&p))
		err = recheck(&p);
	if (!err)
		err = collect_proofs(&p, proofs, n);
	st->goroutines = p.n_gs;
	st->objects_marked = p.marked;
	st->heap_bytes = p.h.heap_bytes;
	st->extra_bytes = p.h.extra_bytes + p.cap_work * sizeof(*p.work) + BATCH_BYTES +
			  p.cap_opaque * sizeof(uint64_t) + p.n_gs * sizeof(*p.gs);
	st->cut = p.cut || t->reader->cut || err == -E2BIG;
	st->bytes_read = t->reader->bytes - bytes0;
	st->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - p.cpu_start;
	st->stack = p.stack;
	t->reader->max_bytes = 0;
	pass_free(&p);
	if (st->cut && !err)
		err = -E2BIG;
	if (err) {
		free(*proofs);
		*proofs = NULL;
		*n = 0;
	}
	return err;
}
