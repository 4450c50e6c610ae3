/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go function names for native frames of Go executables: .gopclntab names
 * every function with its file:line and the calls inlined at each pc, also
 * when the ELF symbol table is gone (-ldflags='-s -w'). The stack
 * symbolizer (user/stacks) asks here for Go files and files without symbols. Opened files are cached (a few, least recently used
 * dropped), non-Go files too, so a lookup costs one stat().
 */
#ifndef GO_SYMBOLS_H
#define GO_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/frame.h"

/*
 * The frames at the link-time address vaddr (the process's pc) of the Go
 * executable at path, innermost first, pushed to b: one per call the
 * compiler inlined there (inlined, no offset), then the function itself
 * with its offset plus ret_delta (a return address looked up at pc - 1),
 * each FRAME_GO with its full source path and line. Returns the count (1 to
 * max), -ENOENT when path is not Go or the address is in no Go function,
 * -ENOMEM.
 */
int go_symbols__frames(const char *path, uint64_t vaddr, uint64_t ret_delta, uint64_t pc,
		       struct frame_builder *b, int max);

/*
 * True when a frame is one where the Go runtime's own traceback stops
 * (runtime.mstart, mcall, goexit, rt0_go) or a stack switch it cannot
 * follow (morestack): nothing real is above it, a native unwinder only
 * finds stack words there.
 */
bool go_symbols__is_outermost(const struct frame *f);

/* Closes the files cached under /proc/PID/ (its process is gone). */
void go_symbols__forget(int pid);

/* Closes every cached file. */
void go_symbols__flush(void);

#endif /* GO_SYMBOLS_H */
