/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One frame of a stack as collectors see it, kept structured until a sink
 * formats it (each format its own way): native and kernel frames from the
 * unwinder and kallsyms, Python, Go and Java frames from their runtimes,
 * JIT frames from anonymous code (named by a perf map when one exists).
 *
 * A stack is one malloc'ed block: its frames, then the strings they point
 * to (interned once per stack), so a stack is freed, lent (a report borrows
 * the stack cache's) and measured as one piece. Collectors build a stack in
 * a frame_builder and copy it out with frames__copy().
 */
#ifndef LT_MODEL_FRAME_H
#define LT_MODEL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

enum frame_kind {
	FRAME_NATIVE,		/* code of a mapped file */
	FRAME_KERNEL,
	FRAME_PYTHON,
	FRAME_GO,		/* a function of a Go executable (from .gopclntab) */
	FRAME_JAVA,
	FRAME_JIT,		/* anonymous executable memory: no file, maybe a perf map name */
	FRAME_MARKER,		/* not code: a note in the stack ("[python frames]") */
	FRAME_KINDS,
};

struct frame {
	const char *module;	/* the mapped file's full path, NULL = none */
	const char *build_id;	/* the module's GNU build-id in hex, NULL = none */
	const char *function;	/* NULL = no symbol (offset is then in module) */
	const char *file;	/* full source path, NULL = unknown */
	uint32_t line;		/* 0 = unknown */
	uint8_t kind;		/* enum frame_kind */
	bool inlined;		/* a call the compiler inlined here: no code of its own */
	uint64_t offset;	/* pc from function's start; without function, from
				 * module's start (file offset); else 0 */
	uint64_t pc;		/* address in the process, 0 = none (Python) */
};

/* "libc.so.6" of "/usr/lib/x86_64-linux-gnu/libc.so.6"; "" for NULL. */
const char *frame__module_base(const struct frame *f);

/* A stack being built: frames whose strings live in the builder's arena
 * (valid until reset). Push copies the strings. */
struct frame_builder {
	struct frame *frames;
	int n, cap;
	struct arena strings;
};

/* Append a copy of f (its strings copied): 0 or -ENOMEM. */
int frame_builder__push(struct frame_builder *b, const struct frame *f);
/* Give frame i a function name (a perf map's), copied: 0 or -ENOMEM. */
int frame_builder__name(struct frame_builder *b, int i, const char *function);
/* Give frame i a source position, file copied: 0 or -ENOMEM. */
int frame_builder__set_source(struct frame_builder *b, int i, const char *file, uint32_t line);
void frame_builder__reset(struct frame_builder *b);
void frame_builder__free(struct frame_builder *b);

/* frames[0..n) as one malloc'ed block (frames, then their strings, each
 * distinct string once); free() it. NULL when n <= 0 or out of memory. */
struct frame *frames__copy(const struct frame *frames, int n);

/*
 * What a frame contributes to a site id (FNV-1a, chained from h): its
 * function (and module base name) when named, module base name and offset
 * when not; JIT frames, named or not, count as "[jit]" and a run of them as
 * one, so a site does not depend on where a runtime put its code nor on a
 * perf map appearing later (*in_jit carries the run: start it false).
 */
uint64_t frame__hash(uint64_t h, const struct frame *f, bool *in_jit);

/*
 * Whether f belongs to a runtime rather than to the program: libc and the
 * dynamic loader, libstdc++/libgcc, the Python interpreter (and Python's
 * threading/queue modules), the Go runtime and standard library, the JVM
 * and the JDK's classes, the kernel, markers. The one table is in frame.c
 * (docs/frames.md lists it).
 */
bool frame__is_runtime(const struct frame *f);

/* Whether a mapped file (full path) is one of the runtimes' by module:
 * libc, the loader, the interpreters and VMs. */
bool frame__module_is_runtime(const char *module);

/* The culprit among frames[0..n), innermost first: the first frame of the
 * program's own code; -1 when every frame is a runtime's. */
int frames__culprit(const struct frame *frames, int n);

#endif
