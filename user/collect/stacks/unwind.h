/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* DWARF CFI unwinding of a parked thread's user stack from the registers and
 * stack bytes the capture iterator copied, with elfutils libdwfl. Memory
 * outside the copy is read from /proc/PID/mem, which does not stop the
 * process (no ptrace). Keeps one Dwfl and the file mappings per process. */
#ifndef LT_UNWIND_H
#define LT_UNWIND_H

#include <stdbool.h>
#include <linux/types.h>

#include "leaktrace.h"
#include "collect/stacks/symtab.h"

struct unwind_opts {
	int max_procs;		/* processes kept, least recently used dropped; 256 */
	int max_files;		/* symbol tables kept; 1024 */
	const char *debug_root;	/* NULL: SYMTAB_DEBUG_ROOT */
};

struct uframe {
	__u64 pc;		/* rec->ip for frame 0, return addresses above */
	bool activation;	/* pc is the faulting/current instruction */
	/* Where lookup_pc (pc, or pc - 1 for a return address so that a call
	 * ending a function stays in it) falls; path NULL: in no file. */
	__u64 lookup_pc;
	const char *path;	/* as in /proc/PID/maps, may end in " (deleted)" */
	__u64 file_off;		/* file offset of lookup_pc */
	struct symtab *symtab;	/* NULL when the file could not be read */
	const char *src_file;	/* DWARF line table's source of lookup_pc (full
				 * path), NULL = none: unwinder__source() */
	int src_line;
	char src_path[256];	/* src_file when joined to its compile directory */
};

struct unwinder;

struct unwinder *unwinder__new(const struct unwind_opts *opts);
void unwinder__free(struct unwinder *u);

/* Unwind rec into frames[0..max), innermost first. Returns the number of
 * frames (at least 1 when the process is alive: frame 0 is rec->ip) or
 * -ESRCH when the process is gone, -errno on other failures. The path and
 * symtab of each frame are valid until the next call on u. */
int unwinder__unwind(struct unwinder *u, const struct lt_stack_rec *rec,
		     struct uframe *frames, int max);

/* f's src_file and src_line (f from the last unwinder__unwind() on u) from
 * its module's DWARF line table, valid as its path; none for the runtimes'
 * modules (model/frame.h frame__module_is_runtime) and Go executables. One
 * lookup costs a line-table search: asked for the culprit only. */
void unwinder__source(struct unwinder *u, struct uframe *f);

/* Drop what is cached about pid. */
void unwinder__forget(struct unwinder *u, int pid);
int unwinder__nr_procs(const struct unwinder *u);

#endif
