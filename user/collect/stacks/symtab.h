/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Function symbols of one ELF file, sorted for fast address lookups, plus
 * what is needed to map a file offset to a symbol address: the PT_LOAD
 * segments and the GNU build-id. A cache makes each file parsed once. */
#ifndef LT_SYMTAB_H
#define LT_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SYMTAB_DEBUG_ROOT	"/usr/lib/debug"
#define SYMTAB_BUILD_ID_MAX	64	/* bytes */

struct sym {
	const char *name;
	__u64 addr;		/* st_value */
	__u64 size;		/* st_size, 0 when the ELF gives none */
	__u64 end;		/* end of the range the symbol covers: addr+size,
				 * or the next symbol (section end) when size is 0 */
};

struct symtab;

/* Parse path: .symtab, else .dynsym; plus the .symtab of the separate debug
 * file debug_root/.build-id/xx/rest.debug when the file has a build-id and
 * that file exists (debug_root NULL: SYMTAB_DEBUG_ROOT, "" to skip it).
 * Returns 0 or -errno (-ENOEXEC: not a usable ELF file). A file without any
 * symbol gives an empty table, not an error. The table has one reference. */
int symtab__open(const char *path, const char *debug_root, struct symtab **out);
void symtab__get(struct symtab *st);
void symtab__put(struct symtab *st);

/* Function containing vaddr (a link-time address), NULL when none: below the
 * first symbol, or in a gap past a sized symbol's end. */
const struct sym *symtab__find(const struct symtab *st, __u64 vaddr);

/* Link-time address of a file offset, through the PT_LOAD segments: 0, or
 * -ENOENT when no segment holds it. */
int symtab__off_to_vaddr(const struct symtab *st, __u64 off, __u64 *vaddr);

/* Lower-case hex build-id, "" when the file has none. */
const char *symtab__build_id(const struct symtab *st);
size_t symtab__count(const struct symtab *st);

/* The GNU build-id of the ELF file at path, without reading its symbols,
 * into hex (len >= SYMTAB_BUILD_ID_MAX * 2 + 1). 0, -ENOENT when it has
 * none, -ENOEXEC when it is no ELF file, or -errno. */
int elf_file_build_id(const char *path, char *hex, size_t len);
/* True when symbols came from a separate debug file. */
bool symtab__has_debug_file(const struct symtab *st);

/* True when the file is a Go executable (has a .gopclntab section). */
bool symtab__is_go(const struct symtab *st);

/* Tables keyed by the file's device, inode, size and mtime (not by path: the
 * same file is reached as /proc/PID/map_files/... or through another mount
 * namespace), at most max_files of them kept. */
struct symtab_cache;

struct symtab_cache *symtab_cache__new(size_t max_files, const char *debug_root);
void symtab_cache__free(struct symtab_cache *c);
/* A new reference to path's table (symtab__put it when done). path is opened
 * as a file a target controls (util/foreign_file.h, open_flags its
 * enum foreign_flags): -ENOEXEC for a FIFO, device, directory or oversized
 * file, -ELOOP for a symlink without FOREIGN_FOLLOW. */
int symtab_cache__open(struct symtab_cache *c, const char *path, unsigned open_flags,
		       struct symtab **out);
size_t symtab_cache__count(const struct symtab_cache *c);

#endif
