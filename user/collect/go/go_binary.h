/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a Go executable from its ELF file alone: Go detection, the Go
 * version from the build info, the .gopclntab function table (names and
 * file:line for any pc, even in binaries built with -ldflags='-s -w'),
 * .symtab symbols when present, file offsets for uprobes, and recovery of
 * data addresses such as runtime.allgs from the code that references them.
 *
 * Everything read from the file is bounds-checked: a truncated or hostile
 * binary gives errors, never a crash. No kernel, no skeleton: unit-testable.
 */
#ifndef GO_BINARY_H
#define GO_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct go_binary;

/* Symbolized pc: pointers stay valid until go_binary__close(). */
struct go_pcinfo {
	const char *func;	/* "main.handler.func1" */
	const char *file;	/* "/src/main.go", "?" if unknown */
	int line;		/* 0 if unknown */
	uint64_t entry;		/* function entry address (link-time) */
};

/* One frame of a pc: a call the compiler inlined there, or the function itself. */
struct go_frame {
	const char *func;	/* "main.waitOn" */
	const char *file;	/* "/src/main.go", "?" if unknown */
	int line;		/* 0 if unknown */
	uint64_t entry;		/* entry of the physical function (link-time) */
	bool inlined;		/* inlined into the next frame: no code of its own */
};

/* True when /proc/PID/exe is a Go executable (has Go build info or pclntab). */
bool go_binary__is_go(int pid);

/* Opens and parses PATH; NULL with a message in err on failure. */
struct go_binary *go_binary__open(const char *path, char *err, size_t errlen);
void go_binary__close(struct go_binary *b);

/* "go1.19.8", or "" when the build info is missing or unreadable. */
const char *go_binary__version(const struct go_binary *b);
/* Major and minor from the version ("go1.21.3" -> 1, 21); -ENOENT if none. */
int go_binary__version_num(const struct go_binary *b, int *major, int *minor);
bool go_binary__has_dwarf(const struct go_binary *b);
bool go_binary__is_pie(const struct go_binary *b);
/* Lowest PT_LOAD p_vaddr rounded down to the page: runtime bias base. */
uint64_t go_binary__load_base(const struct go_binary *b);

/* Function entry and size by exact name (.symtab first, then .gopclntab). */
int go_binary__func(const struct go_binary *b, const char *name, uint64_t *addr, uint64_t *size);
/* Data symbol address from .symtab; -ENOENT in stripped binaries. */
int go_binary__data_symbol(const struct go_binary *b, const char *name, uint64_t *addr);
/* pc (link-time address) -> function and file:line from .gopclntab. */
int go_binary__pcinfo(const struct go_binary *b, uint64_t pc, struct go_pcinfo *out);

/*
 * The frames at pc (link-time) innermost first: the calls the compiler
 * inlined there (from the binary's inline tables, FUNCDATA_InlTree and
 * PCDATA_InlTreeIndex), then the physical function, each with its own
 * file:line. is_return: pc is a return address, the call before it is
 * looked up. Returns the count (1 to max; past max - 1 inlined frames the
 * outer inlined ones are dropped, the physical frame is always last),
 * -ENOENT when pc is in no function. Without usable inline tables (a
 * garbled table, a stripped PIE binary): the physical frame alone.
 */
int go_binary__frames(const struct go_binary *b, uint64_t pc, bool is_return,
		      struct go_frame *out, int max);

/* What the runtime's unwinder and stack scanner read for a frame at pc. */
struct go_frame_info {
	const char *name;	/* NULL if unnamed */
	uint64_t entry, end;	/* [entry, end) of the function (link-time) */
	int32_t args;		/* _func.args: bytes of arguments, < 0 unknown */
	int32_t spdelta;	/* pcsp at pc: bytes pushed below the return address */
	int32_t stackmap_idx;	/* PCDATA_StackMapIndex at pc - 1; -1 none or at entry */
	uint8_t funcid, flag;	/* _func.funcID, _func.flag (abi.FuncFlag) */
	uint64_t args_map, locals_map, stack_objects;	/* funcdata addresses, 0 none */
};

#define GO_FUNCFLAG_TOPFRAME	1	/* goexit, mstart: the bottom of a stack */
#define GO_FUNCFLAG_SPWRITE	2	/* writes SP arbitrarily: cannot unwind */
#define GO_FUNCFLAG_ASM		4

/*
 * The function at pc (link-time, the frame's own pc: a return address as
 * is) with its frame size at pc and the stack map index of the call before
 * it. -ENOENT when pc is in no function or its pcsp table does not say.
 */
int go_binary__frame_info(const struct go_binary *b, uint64_t pc, struct go_frame_info *out);

/* Link-time virtual address -> file offset (for uprobes); -ERANGE if unmapped. */
int go_binary__vaddr_to_offset(const struct go_binary *b, uint64_t vaddr, uint64_t *off);
/* Copies file-backed bytes at a link-time address; -ERANGE if not all there. */
int go_binary__read(const struct go_binary *b, uint64_t vaddr, void *buf, size_t len);

/*
 * Where to put a cheap uprobe in a Go function: past the stack-bound check,
 * on the jbe (emulated by the kernel, unlike the cmp at the entry which must
 * be single-stepped), with the argument registers still untouched. Returns
 * the link-time address; *cheap is false when the prologue was not
 * recognised and the entry itself is returned.
 */
int go_binary__probe_addr(const struct go_binary *b, const char *func, uint64_t *addr, bool *cheap);

/*
 * Addresses of the writable data that FUNC's code references RIP-relatively,
 * sorted and unique. Returns how many were stored (at most max) or -errno.
 */
int go_binary__data_refs(const struct go_binary *b, const char *func, uint64_t *out, int max);

/*
 * Candidates for runtime.allgs (a []*g: ptr, len, cap) in a binary without
 * .symtab: data addresses A referenced by runtime.allgadd together with A+8
 * and A+16, best first. The caller validates them against live memory.
 */
int go_binary__allgs_candidates(const struct go_binary *b, uint64_t *out, int max);

/*
 * The function a goroutine starting at entry really runs: the go statement's
 * target behind a compiler wrapper (pkg.f.gowrap1, or a pkg.f.func1 that only
 * forwards to one function from the go statement's own line, as Go < 1.22
 * made them), else the function at entry itself.
 * -ENOENT when entry is not a function entry.
 */
int go_binary__go_target(const struct go_binary *b, uint64_t entry, const char **name);

/*
 * The runtime's own names of the waitReason values (runtime.waitReasonStrings),
 * indexed by the byte in g.waitreason: from .symtab, else located from the
 * code that indexes it (runtime.waitReason.String, goroutineheader) and
 * validated (entry 0 "", printable names, "chan receive" among them).
 * Returns the count, or -errno when the binary does not give them; names
 * stay valid until go_binary__close(); *source names where they came from.
 */
int go_binary__wait_reasons(const struct go_binary *b, const char *const **names,
			    const char **source);

#endif /* GO_BINARY_H */
