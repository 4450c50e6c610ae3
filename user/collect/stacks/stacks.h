/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Symbolized stacks of a captured parked thread: the user stack unwound with
 * DWARF CFI (unwind.c) and named through per-file symbol tables (symtab.c),
 * the kernel stack through /proc/kallsyms (ksyms.c). */
#ifndef LT_STACKS_H
#define LT_STACKS_H

#include <linux/types.h>

#include <stdbool.h>

#include "leaktrace.h"

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

/* Unwind rec's user stack and symbolize it: frames[i] gets a malloc'ed
 * string, innermost first. Returns the number of frames (>= 0) or -errno
 * (-ESRCH: the process is gone). Named frames are "func+0xoff", e.g.
 * "pthread_cond_wait+0x1c9"; frames without a symbol are
 * "module_basename+0xFILEOFF" plus " [build-id HEX]" when the module has one;
 * addresses in no module (JIT, anonymous) "0xADDR"; frames of Go executables
 * "func+0xoff (file.go:LINE)", preceded by one "func (file.go:LINE, inlined)"
 * per call the compiler inlined at that pc. Offsets are those of the
 * frame's pc: the return address for every frame but the first, so an
 * offline symbolizer should look up FILEOFF - 1 for those. */
int stack_resolver__user_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
			       char **frames, int max);

/* Symbolize rec->kstack via /proc/kallsyms: "futex_wait_queue+0x55", or
 * "0xADDR" when the kernel hides its addresses. Returns the number of
 * frames, or rec->kstack_err when the capture failed. */
int stack_resolver__kernel_stack(struct stack_resolver *r, const struct lt_stack_rec *rec,
				 char **frames, int max);

/* Drop cached state of a process (exited or exec'ed). */
void stack_resolver__forget(struct stack_resolver *r, int pid);

/* Free the n strings of frames (not the array, which is the caller's). */
void stack_frames__free(char **frames, int n);

#endif
