// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pc tables of a Go executable (.gopclntab, Go 1.18+): functions,
 * pc-value tables, file and line, inline trees, frames of a pc, and the
 * function a go statement starts. Every offset is bounds-checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_binary_impl.h"

/* functab entry i: entry address and the _func record, bounds-checked. */
bool pcln__func_at(const struct pclntab *t, uint64_t i, uint64_t *entry, const uint8_t **fn)
{
	uint32_t funcoff;

	if (i > t->nfunc)
		return false;
	*entry = t->text_start + rd32(t->functab + i * 8);
	if (!fn)
		return true;
	if (i == t->nfunc)
		return false;
	funcoff = rd32(t->functab + i * 8 + 4);
	/* _func: 10 u32 fields then 4 bytes (1.20+ one more u32) */
	if (funcoff > t->functab_len || t->functab_len - funcoff < 48)
		return false;
	*fn = t->functab + funcoff;
	return true;
}

const char *pcln__func_name(const struct pclntab *t, const uint8_t *fn)
{
	int32_t nameoff = (int32_t)rd32(fn + 4);

	return nameoff < 0 ? NULL : cstr_at(t->funcnames, t->funcnames_len, nameoff);
}

/* Index of the function containing pc, or -1. */
static int64_t find_func(const struct pclntab *t, uint64_t pc)
{
	uint64_t lo = 0, hi = t->nfunc, entry, end;

	if (!pcln__func_at(t, 0, &entry, NULL) || pc < entry)
		return -1;
	if (!pcln__func_at(t, t->nfunc, &end, NULL) || pc >= end)
		return -1;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		pcln__func_at(t, mid, &entry, NULL);
		if (entry <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A pc-value table: pairs of zig-zag value delta and pc delta (times the pc
 * quantum), both varints; a zero value delta after the first pair ends it.
 * Values are kept unsigned so that garbage wraps instead of overflowing.
 */
struct pcval_iter {
	const uint8_t *p;
	size_t len;
	uint64_t pc;		/* end of the current range */
	uint64_t val;
	bool first;
	int steps;
};

#define PCVAL_MAX_STEPS	(1 << 20)

static bool pcval_begin(const struct pclntab *t, uint32_t off, uint64_t entry,
			struct pcval_iter *it)
{
	if (!off || off >= t->pctab_len)
		return false;
	*it = (struct pcval_iter){ .p = t->pctab + off, .len = t->pctab_len - off, .pc = entry,
				   .val = (uint64_t)-1, .first = true };
	return true;
}

/* The next range [*start, it->pc) and its value; false at the end or on garbage. */
static bool pcval_next(const struct pclntab *t, struct pcval_iter *it, uint64_t *start,
		       int32_t *val)
{
	uint64_t uv, pcd;
	size_t n;

	if (it->steps++ >= PCVAL_MAX_STEPS)
		return false;
	n = uvarint(it->p, it->len, &uv);
	if (!n || (uv == 0 && !it->first))
		return false;
	it->p += n;
	it->len -= n;
	it->val += (uv & 1) ? ~(uv >> 1) : uv >> 1;
	n = uvarint(it->p, it->len, &pcd);
	if (!n)
		return false;
	it->p += n;
	it->len -= n;
	*start = it->pc;
	it->pc += pcd * t->quantum;
	it->first = false;
	*val = (int32_t)it->val;
	return true;
}

/* Value of the table at off at targetpc. */
static int pcvalue(const struct pclntab *t, uint32_t off, uint64_t entry, uint64_t targetpc,
		   int32_t *out)
{
	struct pcval_iter it;
	uint64_t start;
	int32_t val;

	if (!pcval_begin(t, off, entry, &it))
		return -ENOENT;
	while (pcval_next(t, &it, &start, &val)) {
		if (targetpc < it.pc) {
			*out = val;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *file_name(const struct pclntab *t, const uint8_t *fn, int32_t fileno)
{
	uint64_t cu = rd32(fn + 32), idx = (cu + (uint64_t)fileno) * 4;

	if (fileno < 0 || cu == UINT32_MAX || idx + 4 > t->cutab_len)
		return NULL;
	return cstr_at(t->filetab, t->filetab_len, rd32(t->cutab + idx));
}

/* File and line of pc in the function (entry, fn): "?" and 0 when unknown. */
static void file_line(const struct pclntab *t, const uint8_t *fn, uint64_t entry, uint64_t pc,
		      const char **file, int *line)
{
	int32_t fileno, l;
	const char *f;

	*file = "?";
	*line = 0;
	if (!pcvalue(t, rd32(fn + 24), entry, pc, &l) && l >= 0)
		*line = l;
	if (!pcvalue(t, rd32(fn + 20), entry, pc, &fileno) && (f = file_name(t, fn, fileno)))
		*file = f;
}

int go_binary__pcinfo(const struct go_binary *b, uint64_t pc, struct go_pcinfo *out)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	uint64_t entry;
	int64_t i = find_func(t, pc);
	const char *name;

	if (i < 0 || !pcln__func_at(t, i, &entry, &fn) || !(name = pcln__func_name(t, fn)))
		return -ENOENT;
	out->func = name;
	out->entry = entry;
	file_line(t, fn, entry, pc, &out->file, &out->line);
	return 0;
}

/*
 * Inlined calls. Each function may carry FUNCDATA_InlTree, an array of
 * inlinedCall records at moduledata.gofunc + the funcdata offset, and
 * PCDATA_InlTreeIndex, a pc-value table giving for each pc the record of the
 * innermost call inlined there (-1: the function's own code). A record
 * names the inlined function and parentPc, a pc of its call site: the same
 * lookup there gives the next outer call, until -1 (runtime/symtabinl.go,
 * runtime.CallersFrames). The pcfile/pcln tables already give the innermost
 * function's file:line, so every frame's file:line is that of its pc.
 * inlinedCall: Go 1.18-1.19 {parent i16, funcID u8, _, file i32, line i32,
 * func_ i32, parentPc i32} (20 bytes), Go 1.20+ {funcID u8, _ [3], nameOff
 * i32, parentPc i32, startLine i32} (16 bytes).
 */
#define PCDATA_INL_TREE_INDEX	2
#define FUNCDATA_INL_TREE	3
#define INL_TREE_MAX		(1 << 20)	/* the runtime's own bound on the array */
#define INL_DEPTH_MAX		32		/* nested inlined calls followed at one pc */

/* Size of the fixed part of _func: 9 u32 (1.20+: 10, with startLine) and 4 bytes. */
static size_t func_hdr_size(const struct pclntab *t)
{
	return t->magic == PCLN_MAGIC_118 ? 40 : 44;
}

/* _func.pcdata[idx] (a pctab offset, 0: none) and _func.funcdata[idx] (~0: none). */
static uint32_t func_table(const struct pclntab *t, const uint8_t *fn, bool funcdata, uint32_t idx)
{
	size_t hdr = func_hdr_size(t), room = t->functab + t->functab_len - fn;
	uint64_t npcdata = rd32(fn + 28), nfuncdata = fn[hdr - 1];

	if (room < hdr || npcdata + nfuncdata > (room - hdr) / 4)
		return funcdata ? UINT32_MAX : 0;
	if (!funcdata)
		return idx < npcdata ? rd32(fn + hdr + 4 * idx) : 0;
	return idx < nfuncdata ? rd32(fn + hdr + 4 * (npcdata + idx)) : UINT32_MAX;
}

/* Link-time address of fn's inline tree, 0 when it has none or gofunc is unknown. */
uint64_t pcln__inl_tree(const struct go_binary *b, const uint8_t *fn)
{
	uint32_t off = func_table(&b->pcln, fn, true, FUNCDATA_INL_TREE);

	return b->gofunc && off != UINT32_MAX ? b->gofunc + off : 0;
}

int pcln__read_inl_call(const struct go_binary *b, uint64_t tree, int32_t ix, struct inl_call *c)
{
	bool old = b->pcln.magic == PCLN_MAGIC_118;
	size_t size = old ? 20 : 16;
	uint8_t e[20];

	if (ix < 0 || ix >= INL_TREE_MAX || go_binary__read(b, tree + (uint64_t)ix * size, e, size))
		return -ERANGE;
	c->name_off = (int32_t)rd32(e + (old ? 12 : 4));
	c->parent_pc = (int32_t)rd32(e + (old ? 16 : 8));
	return 0;
}

const char *pcln__name_at(const struct pclntab *t, int32_t off)
{
	return off < 0 ? NULL : cstr_at(t->funcnames, t->funcnames_len, off);
}

/*
 * The innermost call inlined at pc in the function [entry, end) with tree:
 * its name and the pc of its call site. False at the function's own code,
 * and on anything out of bounds.
 */
static bool inlined_call_at(const struct go_binary *b, const uint8_t *fn, uint64_t tree,
			    uint64_t entry, uint64_t end, uint64_t pc, const char **name,
			    uint64_t *site)
{
	const struct pclntab *t = &b->pcln;
	uint32_t tab = func_table(t, fn, false, PCDATA_INL_TREE_INDEX);
	struct inl_call c;
	int32_t ix;

	if (!tree || pcvalue(t, tab, entry, pc, &ix) || ix < 0 || pcln__read_inl_call(b, tree, ix, &c) ||
	    !(*name = pcln__name_at(t, c.name_off)) || !**name || c.parent_pc < 0 ||
	    (uint64_t)c.parent_pc >= end - entry)
		return false;
	*site = entry + c.parent_pc;
	return true;
}

static void set_frame(const struct pclntab *t, const uint8_t *fn, uint64_t entry, uint64_t pc,
		      const char *name, bool inlined, struct go_frame *f)
{
	f->func = name;
	f->entry = entry;
	f->inlined = inlined;
	file_line(t, fn, entry, pc, &f->file, &f->line);
}

int go_binary__frames(const struct go_binary *b, uint64_t pc, bool is_return,
		      struct go_frame *out, int max)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	const char *phys, *name;
	uint64_t entry, end, tree, site;
	int64_t i;
	int n = 0;

	if (max <= 0)
		return -EINVAL;
	/* a return address follows the call: look up the call itself */
	if (is_return && pc)
		pc--;
	i = find_func(t, pc);
	if (i < 0 || !pcln__func_at(t, i, &entry, &fn) || !(phys = pcln__func_name(t, fn)) ||
	    !pcln__func_at(t, i + 1, &end, NULL) || end <= entry)
		return -ENOENT;
	tree = pcln__inl_tree(b, fn);
	/* past max - 1 inlined frames the outer ones are dropped, the physical one kept */
	for (int depth = 0; depth < INL_DEPTH_MAX; depth++) {
		if (!inlined_call_at(b, fn, tree, entry, end, pc, &name, &site))
			break;
		if (n < max - 1)
			set_frame(t, fn, entry, pc, name, true, &out[n++]);
		pc = site;
	}
	set_frame(t, fn, entry, pc, phys, false, &out[n++]);
	return n;
}
/* "pkg.f.gowrap2", "pkg.f.func1": names the compiler gives go-statement wrappers. */
static bool is_wrapper_name(const char *name)
{
	const char *dot = strrchr(name, '.'), *d;

	if (!dot)
		return false;
	if (!strncmp(dot + 1, "gowrap", 6))
		d = dot + 7;
	else if (!strncmp(dot + 1, "func", 4))
		d = dot + 5;
	else
		return false;
	if (!*d)
		return false;
	for (; *d; d++)
		if (*d < '0' || *d > '9')
			return false;
	return true;
}

static bool same_line(const struct go_binary *b, uint64_t pc1, uint64_t pc2)
{
	struct go_pcinfo a, c;

	return !go_binary__pcinfo(b, pc1, &a) && !go_binary__pcinfo(b, pc2, &c) && a.line &&
	       a.line == c.line && !strcmp(a.file, c.file);
}

#define WRAPPER_MAX_SIZE 512	/* bytes of code: a wrapper only copies arguments and calls */

struct wrapper {
	const struct go_binary *b;
	const char *self;
	uint64_t entry;
	bool gowrap;
	const char *callee;	/* the one function called so far */
};

/*
 * Counts n, called (or inlined) at call_pc, as what the wrapper forwards to;
 * false when the wrapper is no plain forwarder after all.
 */
static bool wrapper_calls(struct wrapper *w, const char *n, uint64_t call_pc)
{
	/* runtime helpers (chansend1, morestack) do not count outside the runtime */
	if (!strcmp(n, w->self) || !strncmp(n, "runtime.morestack", 17) ||
	    (!strncmp(n, "runtime.", 8) && strncmp(w->self, "runtime.", 8)))
		return true;
	if (w->callee && strcmp(w->callee, n))
		return false;
	/*
	 * A funcN is a real closure unless it only forwards: the go
	 * statement's own wrapper (Go < 1.22) keeps the go statement's
	 * line for its call; a closure's body sits on lines of its own.
	 */
	if (!w->gowrap && !same_line(w->b, w->entry, call_pc))
		return false;
	w->callee = n;
	return true;
}

/*
 * Direct calls (e8 rel32) landing exactly on a function entry, made by the
 * wrapper's own code (a call inside inlined code is the inlined function's).
 */
static bool wrapper_direct_calls(struct wrapper *w, const uint8_t *fn, uint64_t tree,
				 uint64_t next)
{
	const struct pclntab *t = &w->b->pcln;
	uint64_t e = w->entry, size = next - e;
	uint8_t code[WRAPPER_MAX_SIZE];

	if (size > sizeof(code) || go_binary__read(w->b, e, code, size))
		return false;
	for (uint64_t p = 0; p + 5 <= size; p++) {
		uint64_t target = e + p + 5 + (int64_t)(int32_t)rd32(code + p + 1), te, site;
		const uint8_t *tfn;
		const char *n, *inl;
		int64_t ti;

		if (code[p] != 0xe8 || (ti = find_func(t, target)) < 0 ||
		    !pcln__func_at(t, ti, &te, &tfn) || te != target || !(n = pcln__func_name(t, tfn)) ||
		    inlined_call_at(w->b, fn, tree, e, next, e + p, &inl, &site))
			continue;
		if (!wrapper_calls(w, n, e + p))
			return false;
	}
	return true;
}

/*
 * Calls the compiler inlined into the wrapper: the outermost one of every
 * range of its inline index table (the go statement's target when it was
 * small enough to inline, e.g. `go waiter(ch)` in pkg.f.gowrap1).
 */
static bool wrapper_inlined_calls(struct wrapper *w, const uint8_t *fn, uint64_t tree,
				  uint64_t next)
{
	const struct pclntab *t = &w->b->pcln;
	struct pcval_iter it;
	uint64_t start;
	int32_t ix;

	if (!tree || !pcval_begin(t, func_table(t, fn, false, PCDATA_INL_TREE_INDEX), w->entry, &it))
		return true;
	/* a wrapper has at most WRAPPER_MAX_SIZE bytes: no more ranges than that */
	for (int r = 0; r < WRAPPER_MAX_SIZE && pcval_next(t, &it, &start, &ix) && start < next; r++) {
		const char *name = NULL, *n;
		uint64_t pc = start, site;

		for (int depth = 0; depth < INL_DEPTH_MAX &&
		     inlined_call_at(w->b, fn, tree, w->entry, next, pc, &n, &site); depth++) {
			name = n;
			pc = site;
		}
		if (name && !wrapper_calls(w, name, pc))
			return false;
	}
	return true;
}

int go_binary__go_target(const struct go_binary *b, uint64_t entry, const char **name)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	uint64_t e, next, tree;
	int64_t i = find_func(t, entry);
	struct wrapper w = { .b = b, .entry = entry };

	if (i < 0 || !pcln__func_at(t, i, &e, &fn) || e != entry || !(w.self = pcln__func_name(t, fn)))
		return -ENOENT;
	*name = w.self;
	if (!is_wrapper_name(w.self) || !pcln__func_at(t, i + 1, &next, NULL) || next <= e)
		return 0;
	w.gowrap = strstr(w.self, ".gowrap") != NULL;
	tree = pcln__inl_tree(b, fn);
	/* exactly one callee, called or inlined: the wrapper only forwards to it */
	if (wrapper_direct_calls(&w, fn, tree, next) && wrapper_inlined_calls(&w, fn, tree, next) &&
	    w.callee)
		*name = w.callee;
	return 0;
}


/*
 * What the runtime's unwinder and stack scanner read for a frame at pc
 * (runtime/traceback.go, stkframe.go getStackMap): _func.args, pcsp at pc,
 * PCDATA_StackMapIndex at the call (pc - 1, but at the entry: -1), and the
 * funcdata of its pointer maps and stack objects.
 */
#define PCDATA_STACK_MAP_INDEX		1
#define FUNCDATA_ARGS_POINTER_MAPS	0
#define FUNCDATA_LOCALS_POINTER_MAPS	1
#define FUNCDATA_STACK_OBJECTS		2

static uint64_t funcdata_addr(const struct go_binary *b, const uint8_t *fn, uint32_t idx)
{
	uint32_t off = func_table(&b->pcln, fn, true, idx);

	return b->gofunc && off != UINT32_MAX ? b->gofunc + off : 0;
}

int go_binary__frame_info(const struct go_binary *b, uint64_t pc, struct go_frame_info *out)
{
	const struct pclntab *t = &b->pcln;
	size_t hdr = func_hdr_size(t);
	const uint8_t *fn;
	int64_t i = find_func(t, pc);
	int32_t idx = -1;

	memset(out, 0, sizeof(*out));
	if (i < 0 || !pcln__func_at(t, i, &out->entry, &fn) || !pcln__func_at(t, i + 1, &out->end, NULL))
		return -ENOENT;
	out->name = pcln__func_name(t, fn);
	out->args = (int32_t)rd32(fn + 8);
	out->funcid = fn[hdr - 4];
	out->flag = fn[hdr - 3];
	if (pcvalue(t, rd32(fn + 16), out->entry, pc, &out->spdelta))
		return -ENOENT;
	if (pc != out->entry &&
	    pcvalue(t, func_table(t, fn, false, PCDATA_STACK_MAP_INDEX), out->entry, pc - 1, &idx))
		idx = -1;
	out->stackmap_idx = idx;
	out->args_map = funcdata_addr(b, fn, FUNCDATA_ARGS_POINTER_MAPS);
	out->locals_map = funcdata_addr(b, fn, FUNCDATA_LOCALS_POINTER_MAPS);
	out->stack_objects = funcdata_addr(b, fn, FUNCDATA_STACK_OBJECTS);
	return 0;
}
