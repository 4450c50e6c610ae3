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

/*
 * The frames at the link-time address vaddr of the Go executable at path,
 * innermost first, as malloc'ed strings in frames: one per call the
 * compiler inlined there, "main.waitOn (main.go:5, inlined)", then the
 * function itself, "runtime.futex+0x23 (sys_linux_amd64.s:557)", with
 * ret_delta added to the printed offset (a return address looked up at
 * pc - 1). Returns the count (1 to max), -ENOENT when path is not Go or the
 * address is in no Go function, -ENOMEM.
 */
int go_symbols__frames(const char *path, uint64_t vaddr, uint64_t ret_delta, char **frames,
		       int max);

/*
 * True when a formatted frame is one where the Go runtime's own traceback
 * stops (runtime.mstart, mcall, goexit, rt0_go): nothing real is above it,
 * a native unwinder only finds stack words there.
 */
bool go_symbols__is_outermost(const char *frame);

/* Closes the files cached under /proc/PID/ (its process is gone). */
void go_symbols__forget(int pid);

/* Closes every cached file. */
void go_symbols__flush(void);

#endif /* GO_SYMBOLS_H */
