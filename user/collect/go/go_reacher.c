// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Scheduling of reachability passes per traced Go process. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_binary.h"
#include "collect/go/go_reacher.h"
#include "util/hash.h"
#include "util/log.h"

struct go_reacher {
	struct go_tracer *tracer;
	struct go_tracer_target tt;
	struct go_heap_offsets heap;
	struct go_reader reader;
	uint64_t mheap, firstmoduledata, allp;
	bool verbose, ran;
	uint64_t last_ns, last_set;
	struct go_proof *proofs;
	size_t n_proofs;
	struct go_reach_stats stats;
};

/* DWARF first (checked against the table, for -v), the table of the
 * binary's version otherwise. */
static int heap_offsets(struct go_reacher *r, char *err, size_t errlen)
{
	struct go_heap_offsets table;
	bool have_table;
	int major, minor;
	char diff[256];

	have_table = !go_binary__version_num(r->tt.bin, &major, &minor) && major == 1 &&
		     !go_heap_offsets__from_table(minor, &table);
	if (go_binary__has_dwarf(r->tt.bin) && !go_heap_offsets__from_dwarf(r->tt.exe, &r->heap)) {
		if (r->verbose && have_table && go_heap_offsets__compare(&table, &r->heap, diff,
									 sizeof(diff)))
			lt_info("go", "pid %d heap offsets check: %s MISMATCH (table/DWARF): %s",
				r->tt.pid, table.source, diff);
		else if (r->verbose && have_table)
			lt_info("go", "pid %d heap offsets check: %s agrees", r->tt.pid,
				table.source);
		return 0;
	}
	if (have_table) {
		r->heap = table;
		return 0;
	}
	snprintf(err, errlen, "no heap layout for %s (no DWARF, no table row)",
		 go_binary__version(r->tt.bin));
	return -ENOTSUP;
}

struct go_reacher *go_reacher__new(struct go_tracer *t, bool verbose, char *err, size_t errlen)
{
	struct go_reacher *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->tracer = t;
	r->verbose = verbose;
	go_tracer__target(t, &r->tt);
	r->reader = (struct go_reader){ .read = go_tracer__read, .ctx = t };
	if (heap_offsets(r, err, errlen))
		goto fail;
	ret = go_heap__locate(r->tt.bin, r->tt.bias, &r->reader, &r->heap, &r->mheap,
			      &r->firstmoduledata);
	if (ret) {
		snprintf(err, errlen, "cannot locate runtime.mheap_/firstmoduledata: %s",
			 strerror(-ret));
		goto fail;
	}
	if (go_heap__locate_allp(r->tt.bin, r->tt.bias, &r->reader, &r->allp))
		r->allp = 0;	/* stale write barrier buffers can hide proofs */
	if (verbose)
		lt_info("go", "pid %d reachability: heap offsets from %s, mheap_ at %#" PRIx64
			", firstmoduledata at %#" PRIx64 ", allp at %#" PRIx64 "", r->tt.pid,
			r->heap.source, r->mheap, r->firstmoduledata, r->allp);
	return r;
fail:
	free(r);
	return NULL;
}

void go_reacher__free(struct go_reacher *r)
{
	if (!r)
		return;
	free(r->proofs);
	free(r);
}

/* The goroutines a pass would judge, as an order-free hash; 0 = none. */
static uint64_t candidate_set(const struct go_snapshot *snap)
{
	uint64_t set = 0;

	for (size_t i = 0; i < snap->n_parked; i++) {
		const struct go_goroutine *g = &snap->parked[i];
		enum go_wait_kind k = go_reach__wait_kind(g->wait_reason);
		uint64_t key[2] = { g->g_addr, g->goid };

		if (g->system || k == GO_WAIT_RUNNABLE || k == GO_WAIT_NEVER)
			continue;
		set += hash_bytes(HASH_SEED, key, sizeof(key)) | 1;
	}
	return set;
}

int go_reacher__update(struct go_reacher *r, const struct go_snapshot *snap, uint64_t now_ns,
		       bool *cut)
{
	struct go_reach_target t = {
		.reader = &r->reader, .g = r->tt.off, .heap = &r->heap, .mheap = r->mheap,
		.firstmoduledata = r->firstmoduledata, .allgs = r->tt.allgs,
		.semtable = r->tt.semtable, .allp = r->allp, .bin = r->tt.bin, .bias = r->tt.bias,
	};
	uint64_t set = candidate_set(snap);
	int err;

	*cut = false;
	if (!set) {
		free(r->proofs);
		r->proofs = NULL;
		r->n_proofs = 0;
		r->last_set = 0;
		return 0;
	}
	if (r->ran && set == r->last_set && now_ns - r->last_ns < GO_REACH_INTERVAL_NS)
		return 0;
	free(r->proofs);
	r->proofs = NULL;
	r->n_proofs = 0;
	err = go_reach__pass(&t, NULL, &r->proofs, &r->n_proofs, &r->stats);
	*cut = r->stats.cut;
	/* a pass that failed (the heap moved under it) is tried again next report */
	r->ran = !err;
	r->last_ns = now_ns;
	r->last_set = set;
	if (r->verbose)
		lt_info("go", "pid %d reachability pass: %s, %" PRIu64 " goroutines, %" PRIu64
			" candidates, %zu proven, %" PRIu64 " roots added in %" PRIu64 " rounds, "
			"%" PRIu64 " objects marked, heap %.1f MB, read %.1f MB, %.1f ms CPU, "
			"%.1f MB extra; stacks by stack maps: %" PRIu64 " (%" PRIu64 " whole), "
			"%" PRIu64 " frames precise, %" PRIu64 " conservative, %" PRIu64 " of %"
			PRIu64 " words kept", r->tt.pid, err ? strerror(-err) : "ok",
			r->stats.goroutines, r->stats.candidates, r->n_proofs, r->stats.roots_added,
			r->stats.rounds, r->stats.objects_marked, r->stats.heap_bytes / 1e6,
			r->stats.bytes_read / 1e6, r->stats.cpu_ns / 1e6, r->stats.extra_bytes / 1e6,
			r->stats.stack.stacks, r->stats.stack.stacks_whole,
			r->stats.stack.frames_precise, r->stats.stack.frames_conservative,
			r->stats.stack.words_live, r->stats.stack.words);
	return err ? err : 1;
}

const struct go_proof *go_reacher__proof(const struct go_reacher *r, const struct go_goroutine *g)
{
	return r ? go_reach__find(r->proofs, r->n_proofs, g->g_addr, g->goid) : NULL;
}

const struct go_reach_stats *go_reacher__stats(const struct go_reacher *r)
{
	return &r->stats;
}
