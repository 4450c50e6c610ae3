/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Symbolized stacks of a captured parked thread: the user stack unwound with
 * DWARF CFI (unwind.c) and named through per-file symbol tables (symtab.c),
 * the kernel stack through /proc/kallsyms (ksyms.c). */
#ifndef LT_STACKS_H
#define LT_STACKS_H

#include <linux/types.h>

#include <stdbool.h>

#include "leaktrace.h"
#include "model/frame.h"

struct stack_resolver_opts {
	int max_depth;		/* frames per stack; 0: 32 */
	int max_procs;		/* processes whose state is cached; 0: 256 */
	int max_files;		/* ELF symbol tables cached; 0: 1024 */
	const char *debug_root;	/* separate debug files; NULL: /usr/lib/debug */
	bool preload_ksyms;	/* load /proc/kallsyms now, not at the first kernel stack */
};

struct stack_resolver;

/* opts may be NULL. NULL with errno set on failure. */
struct stack_resolver *stack_resolver__new(const struct stack_resolver_opts *opts);
void stack_resolver__free(struct stack_resolver *r);

/* Unwind rec's user stack and symbolize it: frames pushed to b, innermost
 * first. Returns the number pushed (>= 0) or -errno (-ESRCH: the process
 * is gone). A frame in a file carries module (full path), build_id and,
 * when the file has a symbol there, function and the offset from its
 * start; without one, the offset in the file. The first frame of the
 * program's own code (the culprit, model/frame.h) gets file and line from
 * its module's DWARF line table when it has one. A frame in no file is FRAME_JIT with its pc only.
 * Go executables give FRAME_GO frames from .gopclntab, each call inlined at
 * that pc first (inlined, no offset). Offsets are those of the frame's pc:
 * the return address for every frame but the first, so an offline
 * symbolizer should look up offset - 1 for those. */
int stack_resolver__user_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
			       struct frame_builder *b, int max);

/* Symbolize rec->kstack via /proc/kallsyms into b: FRAME_KERNEL frames, named
 * with offset, or only pc when the kernel hides its addresses. Returns the
 * number pushed, or rec->kstack_err when the capture failed. */
int stack_resolver__kernel_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
				 struct frame_builder *b, int max);

/* Drop cached state of a process (exited or exec'ed). */
void stack_resolver__forget(struct stack_resolver *r, int pid);

#endif
