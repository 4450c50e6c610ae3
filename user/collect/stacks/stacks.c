// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Facade: unwinding, symbol tables and kallsyms turned into structured frames. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_symbols.h"
#include "collect/stacks/ksyms.h"
#include "collect/stacks/stacks.h"
#include "collect/stacks/symtab.h"
#include "collect/stacks/unwind.h"

#define MAX_DEPTH_LIMIT		1024
#define DELETED_SUFFIX		" (deleted)"

struct stack_resolver {
	struct unwinder *unwinder;
	struct ksyms *ksyms;
	bool ksyms_tried;
	int max_depth;
	struct uframe *uframes;	/* max_depth of them */
};

struct stack_resolver *stack_resolver__new(const struct stack_resolver_opts *opts)
{
	struct unwind_opts uo = {};
	struct stack_resolver *r;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->max_depth = opts && opts->max_depth > 0 ? opts->max_depth : 32;
	if (r->max_depth > MAX_DEPTH_LIMIT)
		r->max_depth = MAX_DEPTH_LIMIT;
	if (opts) {
		uo.max_procs = opts->max_procs;
		uo.max_files = opts->max_files;
		uo.debug_root = opts->debug_root;
	}
	r->uframes = calloc(r->max_depth, sizeof(*r->uframes));
	r->unwinder = r->uframes ? unwinder__new(&uo) : NULL;
	if (!r->unwinder) {
		err = errno ? errno : ENOMEM;
		stack_resolver__free(r);
		errno = err;
		return NULL;
	}
	if (opts && opts->preload_ksyms) {
		r->ksyms = ksyms__load();
		r->ksyms_tried = true;
	}
	return r;
}

void stack_resolver__free(struct stack_resolver *r)
{
	if (!r)
		return;
	unwinder__free(r->unwinder);
	go_symbols__flush();
	ksyms__free(r->ksyms);
	free(r->uframes);
	free(r);
}

void stack_resolver__forget(struct stack_resolver *r, int pid)
{
	if (r)
		unwinder__forget(r->unwinder, pid);
	go_symbols__forget(pid);
}

/* libstdc++'s demangler, through its C ABI */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* C++ names read as in the source: "lock_a_then_b()" for "_Z13lock_a_then_bv".
 * Returns name itself, or a malloc'ed string stored in *owned. */
static const char *demangle(const char *name, char **owned)
{
	int status = -1;
	char *d;

	*owned = NULL;
	if (strncmp(name, "_Z", 2))
		return name;
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (status || !d) {
		free(d);
		return name;
	}
	*owned = d;
	return d;
}

/* "/usr/lib/libc.so.6" of "/usr/lib/libc.so.6 (deleted)", into buf */
static const char *module_path(const char *path, char *buf, size_t size)
{
	size_t len = strlen(path), sl = strlen(DELETED_SUFFIX);

	if (len > sl && !strcmp(path + len - sl, DELETED_SUFFIX))
		len -= sl;
	snprintf(buf, size, "%.*s", (int)len, path);
	return buf;
}

/*
 * The frames of one unwound pc pushed to b: one, or for Go executables the
 * calls inlined there first (from .gopclntab, which also names the
 * functions of stripped ones). Returns the count or -ENOMEM.
 */
static int push_uframe(const struct uframe *f, struct frame_builder *b, int max)
{
	__u64 ra_delta = f->pc - f->lookup_pc;	/* the pc's offset, not pc - 1's */
	struct frame fr = { .pc = f->pc, .kind = FRAME_NATIVE };
	const struct sym *sym = NULL;
	char mod[4096], *owned = NULL;
	__u64 vaddr;
	int n;

	if (!f->path) {
		fr.kind = FRAME_JIT;	/* anonymous code: named later by a perf map, if any */
		return frame_builder__push(b, &fr) ? -ENOMEM : 1;
	}
	fr.module = module_path(f->path, mod, sizeof(mod));
	bool vaddr_ok = f->symtab && !symtab__off_to_vaddr(f->symtab, f->file_off, &vaddr);

	/* Go executables, stripped or not: symbols lack inlined calls and lines */
	if (vaddr_ok && (symtab__is_go(f->symtab) || !symtab__count(f->symtab))) {
		n = go_symbols__frames(fr.module, vaddr, ra_delta, f->pc, b, max);
		if (n > 0 || n == -ENOMEM)
			return n;
	}
	if (vaddr_ok)
		sym = symtab__find(f->symtab, vaddr);
	if (f->symtab && symtab__build_id(f->symtab)[0])
		fr.build_id = symtab__build_id(f->symtab);
	if (sym) {
		fr.function = demangle(sym->name, &owned);
		fr.offset = vaddr - sym->addr + ra_delta;
	} else {
		fr.offset = f->file_off + ra_delta;
	}
	n = frame_builder__push(b, &fr);
	free(owned);
	return n ? -ENOMEM : 1;
}

/* The source position of the native frame just pushed for f (the
 * culprit: one line-table search a stack). 0 or -ENOMEM. */
static int add_source(struct stack_resolver *r, struct uframe *f, struct frame_builder *b)
{
	struct frame *last = &b->frames[b->n - 1];

	if (last->kind != FRAME_NATIVE || !last->function)
		return 0;
	unwinder__source(r->unwinder, f);
	if (!f->src_file)
		return 0;
	return frame_builder__set_source(b, b->n - 1, f->src_file, (uint32_t)f->src_line);
}

int stack_resolver__user_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
			       struct frame_builder *b, int max)
{
	bool culprit_seen = false;
	int i, n, out = 0;

	if (!r || !rec || !b || max < 0)
		return -EINVAL;
	if (max > r->max_depth)
		max = r->max_depth;
	if (!max)
		return 0;
	n = unwinder__unwind(r->unwinder, rec, r->uframes, max);
	if (n < 0)
		return n;
	/* a walk past the outermost frame may end on a "return address" in
	 * the null page (<- 0x16): no code lives there */
	while (n > 1 && !r->uframes[n - 1].path && r->uframes[n - 1].pc < 0x10000)
		n--;
	for (i = 0; i < n && out < max; i++) {
		int k = push_uframe(&r->uframes[i], b, max - out);

		if (k < 0)
			return -ENOMEM;
		out += k;
		if (!culprit_seen && (culprit_seen = !frame__is_runtime(&b->frames[b->n - 1])) &&
		    add_source(r, &r->uframes[i], b))
			return -ENOMEM;
		if (go_symbols__is_outermost(&b->frames[b->n - 1]))
			break;
	}
	return out;
}

int stack_resolver__kernel_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
				 struct frame_builder *b, int max)
{
	int i, n;

	if (!r || !rec || !b || max < 0)
		return -EINVAL;
	if (rec->kstack_err < 0)
		return rec->kstack_err;
	if (!r->ksyms_tried) {
		/* on failure frames fall back to addresses, not to an error */
		r->ksyms = ksyms__load();
		r->ksyms_tried = true;
	}
	n = rec->kstack_len < LT_KSTACK_DEPTH ? (int)rec->kstack_len : LT_KSTACK_DEPTH;
	if (n > max)
		n = max;
	if (n > r->max_depth)
		n = r->max_depth;
	for (i = 0; i < n; i++) {
		__u64 addr = rec->kstack[i];
		const struct ksym *ks = NULL;
		struct frame fr = { .kind = FRAME_KERNEL, .pc = addr };

		/* saved stack entries are return addresses: look up addr - 1 */
		if (r->ksyms && addr)
			ks = ksyms__resolve(r->ksyms, addr - 1);
		if (ks) {
			fr.function = ks->name;
			fr.offset = addr - ks->addr;
		}
		if (frame_builder__push(b, &fr))
			return -ENOMEM;
	}
	return n;
}
