/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The inside of a Go tracer, shared by its files, one job each:
 *   go_tracer.c         lifecycle: new (discovery, attach, first walk), snapshot, free
 *   go_tracer_runtime.c runtime discovery: offsets, load bias, allgs, semtable
 *   go_tracer_bpf.c     the goroutines BPF object shared by all traced processes
 *   go_tracer_pctext.c  texts of a pc (frames, creation site, start), cached
 *   go_tracer_parks.c   park tracking: a park's key, its age, its record
 *   go_tracer_sema.c    goroutines queued on semaphores (runtime.semtable)
 *   go_tracer_walk.c    the walk of allgs: g structs, stacks, wait objects
 * Memory is read through the procfs reader (collect/procfs/procmem.h), whose
 * seam tests/fuzz/fuzz_go_runtime.c plugs a memory file into. Only the
 * go_tracer files include this header; the rest of the tree has go_tracer.h.
 */
#ifndef LT_GO_TRACER_IMPL_H
#define LT_GO_TRACER_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "collect/go/go_binary.h"
#include "collect/go/go_live.h"
#include "collect/go/go_offsets.h"
#include "collect/go/go_tracer.h"
#include "collect/procfs/procmem.h"
#include "model/frame.h"
#include "util/arena.h"
#include "util/log.h"

#define MAX_ALLGS		(1u << 20)	/* goroutines read per walk; the rest counted */
#define DEFAULT_MAX_STACK	64
/* Budget of one snapshot (one process, one report): a forged allgs of 2^20
 * slots all pointing at parked gs with deep stacks took 64 s and 1.3 GB of
 * JSON per report before. What is left when one runs out is cut. */
#define SNAPSHOT_BUDGET_NS	2000000000ULL
#define MAX_PARKED_READ		(1u << 17)	/* parked goroutines kept */
#define MAX_FRAMES_READ		(1u << 21)	/* stack frames kept, all goroutines */
#define G_READ_MAX		1024
#define G_CHUNK			512		/* g structs read per batch */
#define STACK_READ_MAX		(64u * 1024)	/* bytes of one stack read, from sched.sp up */
#define STACK_BATCH_BYTES	(1u << 20)	/* stack bytes read per batch */
#define GO_LIVE_REPS_MAX	64		/* live sites shown per snapshot */
#define TEXT_ARENA_MAX		(64u << 20)	/* interned texts per tracer */

/*
 * Texts derived from a pc (frames, creation site, start function, system
 * flag), interned per tracer: 100,000 goroutines share a few hundred pcs,
 * and each lookup decodes pc tables. A frame pc can stand for several
 * frames (inlined calls), so every entry is a list of texts. Open
 * addressing; when a probe run is full the texts are interned uncached.
 */
#define PC_CACHE_SIZE	(1u << 15)
#define PC_CACHE_PROBES	16
#define PC_MAX_TEXTS	8		/* inlined frames shown for one pc, and its function */

enum pc_kind { PC_FRAME, PC_RET_FRAME, PC_CREATED_BY, PC_START, PC_SYSTEM, PC_KINDS };

struct pc_text {
	uint64_t key;			/* pc * PC_KINDS + kind + 1; 0 = empty */
	const void *items;		/* texts (const char *) or, for PC_FRAME and
					 * PC_RET_FRAME, frames: in the tracer's arena */
	uint32_t n;
};

/*
 * The park a g of allgs was last seen in, at the same index as the g in
 * allgs (allgs only grows: a g keeps its index for the process's life).
 * The key is what changes when a goroutine parks anew: its goid, wait
 * reason, saved pc and sp, and trackingSeq (bumped on every switch out of
 * running, so a wake-up and a new park at the same place change it too).
 * Only waiting gs have one (g_addr != 0). What a park's goroutine record
 * needs (stack, wait object, texts) is read once, when first reported.
 */
struct park {
	uint64_t g_addr;		/* 0 = no park known at this index */
	uint64_t goid, pc, sp;
	uint8_t reason, seq;
	bool estimated;			/* already parked when first walked */
	bool filled;			/* stack and wait object read */
	bool system;
	bool timer_case;		/* a timer's channel among its waits: it wakes */
	uint8_t n_chans;
	uint64_t *chans;		/* the channels of its select cases, or of its
					 * send or receive: exact size, NULL = none */
	uint64_t since_ns;		/* first seen, or the gopark probe's stamp */
	uint64_t wait_object;
	const char *created_by, *start_func;
	const struct frame **stack;	/* exact size, frames in the arena */
	int stack_len;
	uint64_t memo[2];		/* the consumer's, see struct go_goroutine */
};


struct go_tracer {
	int pid;
	struct procmem mem;		/* the reader seam: tests/fuzz/fuzz_go_runtime.c */
	struct go_binary *bin;
	struct go_offsets off;
	struct goroutines_bpf *skel;	/* --precise only */
	struct bpf_link *links[3];
	bool precise;
	bool counts_known;
	uint64_t bias;			/* runtime address - link-time address */
	uint64_t allgs;			/* runtime address of the []*g header */
	const char *allgs_source;
	uint64_t semtable;		/* runtime address of runtime.semtable, 0 = unknown */
	bool hchan_timer;		/* Go 1.23+: hchan.timer marks a timer's channel */
	uint64_t attach_ns;		/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns */
	int max_stack;
	bool verbose;
	bool unverified;		/* newest table on a newer Go: check the first walk */
	bool leak_status;		/* Go 1.26+: _Gleaked exists */
	const char *wait_reasons_source;
	char offsets_check[320];	/* DWARF vs table, for -v */
	char wait_reasons_check[160];	/* binary vs table, for -v */
	struct pc_text *pcs;		/* PC_CACHE_SIZE slots, NULL until first use */
	struct arena texts;		/* every text handed out: frames, sites, reasons */
	const char *reasons[256];	/* wait reason texts, interned on first use */
	struct park *parks;		/* by allgs index */
	size_t n_parks;
	bool walked;			/* a first walk recorded the parks at attach */
	uint64_t last_walk_ns;		/* when the last walk read the gs */
	size_t last_parked;		/* records of the last snapshot */
	struct go_live live;		/* live goroutines per creation site */
	struct park live_reps[GO_LIVE_REPS_MAX];	/* the one shown per live site */
};

static inline int go_tracer__read_mem(const struct go_tracer *t, uint64_t addr, void *buf, size_t len)
{
	return procmem__read(&t->mem, addr, buf, len);
}

/* The same as a go_mem_read_fn (ctx: the tracer), for the readers shared
 * with the reachability pass (go_timers.c, go_semtable.c). */
static inline int go_tracer__read_fn(const void *ctx, uint64_t addr, void *buf, size_t len)
{
	return go_tracer__read_mem(ctx, addr, buf, len);
}


static inline uint32_t field32(const uint8_t *g, uint32_t off)
{
	uint32_t v;

	memcpy(&v, g + off, sizeof(v));
	return v;
}

/* go_tracer_runtime.c: where the runtime keeps what the walk reads. Each
 * 0 or -errno, with a message in err where it takes one. */
int go_tracer__find_offsets(struct go_tracer *t, const char *exe, char *err, size_t errlen);
int go_tracer__find_bias(struct go_tracer *t);
int go_tracer__find_allgs(struct go_tracer *t, char *err, size_t errlen);
/* A Go newer than the table: does a walk with the newest row look right? */
int go_tracer__verify_walk(const struct go_tracer *t, char *err, size_t errlen);
/* t->semtable, 0 when not found (wait objects of sync waits then unknown). */
void go_tracer__find_semtable(struct go_tracer *t);
/* The g pointers of allgs (at most MAX_ALLGS, *cut the rest); *gs is freed
 * by the caller. */
int go_tracer__read_allgs(const struct go_tracer *t, uint64_t **gs, uint64_t *n, uint64_t *cut);

/* go_tracer_bpf.c: --precise. Attach loads the shared object with the
 * first process; detach forgets pid in its maps and unloads with the last. */
int go_tracer__attach_bpf(struct go_tracer *t, const struct go_tracer_opts *opts,
			  const char *exe, char *err, size_t errlen);
void go_tracer__detach_bpf(struct go_tracer *t);
/* Goroutines created/exited and parks counted by the probes, into out. */
void go_tracer__bpf_counts(const struct go_tracer *t, struct go_snapshot *out);
/* The gopark probe's stamp of the park of g (CLOCK_MONOTONIC), if it has
 * one for this wait reason: 0 or -ENOENT. */
int go_tracer__bpf_park_stamp(const struct go_tracer *t, uint64_t g, uint8_t reason,
			      uint64_t *parked_ns);

/* go_tracer_pctext.c: the frames of a stack pc, interned in t->texts (*n
 * of them; 0 ends a stack walk); the one text of a non-frame kind; a wait
 * reason's text. Valid until go_tracer__free_memory(). */
const struct frame *go_tracer__pc_frames(struct go_tracer *t, uint64_t pc, bool is_return,
					 int *n);
const char *go_tracer__pc_text(struct go_tracer *t, uint64_t pc, enum pc_kind kind);
const char *go_tracer__wait_reason(struct go_tracer *t, uint8_t reason);

/* go_tracer_parks.c */
/* The park at allgs index i forgotten (its stack freed). */
void go_tracer__forget_park(struct go_tracer *t, size_t i);
/* The park of the waiting g at allgs index i: last walk's when its key is
 * unchanged, else a new one (its start stamped by park_begin). */
struct park *go_tracer__track_park(struct go_tracer *t, size_t i, uint64_t gaddr, const uint8_t *g,
				   bool system, uint64_t now);
double go_tracer__park_seconds(const struct go_tracer *t, const struct park *p, const uint8_t *g,
			       uint64_t now);
void go_tracer__emit(struct go_tracer *t, struct park *p, double age, struct go_goroutine *gr);
/* t->parks grown to n entries (new ones empty), those past n cleared. */
int go_tracer__resize_parks(struct go_tracer *t, size_t n);

/* go_tracer_sema.c: one goroutine blocked on a semaphore. */
struct sema_wait {
	uint64_t g, addr;
};

/* Every sudog in the semaphore treaps, sorted by g; *cut counts what the
 * bound left out. */
int go_tracer__read_sema_waits(const struct go_tracer *t, struct sema_wait **out, size_t *nout,
			       uint64_t *cut);
/* The semaphore g waits on in sema (sorted by g), 0 if none. */
uint64_t sema_waits__find(const struct sema_wait *sema, size_t n, uint64_t g);

/* go_tracer_walk.c: one walk of allgs (see the file). Without out, records
 * the parks only (the walk at attach). */
int go_tracer__walk_allgs(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out,
			  uint64_t *read);

/* go_tracer.c: the parks, pc cache and texts a tracer keeps. */
void go_tracer__free_memory(struct go_tracer *t);

#endif
