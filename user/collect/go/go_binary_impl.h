/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The inside of a parsed Go executable, shared by its files, one job each:
 *   go_binary.c        the ELF file: segments, sections, symbols, build info,
 *                      where .gopclntab is; open/close and accessors
 *   go_binary_pcln.c   the pc tables: functions, pc values, file and line,
 *                      inline trees, frames, go-statement targets
 *   go_binary_code.c   machine code: probe addresses, data references
 *   go_binary_data.c   the runtime's data: moduledata.gofunc, wait reasons
 * Only go_binary*.c include it; the rest of the tree has go_binary.h.
 */
#ifndef LT_GO_BINARY_IMPL_H
#define LT_GO_BINARY_IMPL_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collect/go/go_binary.h"

#define MAX_PHDRS		64
#define BUILDINFO_MAGIC		"\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN	14
#define PCLN_MAGIC_118		0xfffffff0u	/* Go 1.18, 1.19 */
#define PCLN_MAGIC_120		0xfffffff1u	/* Go 1.20 and later */

struct load_seg {
	uint64_t vaddr, memsz, offset, filesz;
	bool writable;
};

/* The parsed header of .gopclntab (Go 1.18+ layout). */
struct pclntab {
	const uint8_t *data;
	size_t size;
	uint32_t magic;
	uint8_t quantum;
	uint64_t nfunc;
	uint64_t text_start;
	uint64_t vaddr;		/* link-time address of the header, 0 = unknown */
	const uint8_t *funcnames, *cutab, *filetab, *pctab, *functab;
	size_t funcnames_len, cutab_len, filetab_len, pctab_len, functab_len;
};

struct go_binary {
	int fd;
	Elf *elf;
	const uint8_t *image;	/* whole file (mmaped by libelf) */
	size_t image_size;
	bool has_symtab, has_dwarf, is_pie;
	struct load_seg segs[MAX_PHDRS];
	int nsegs;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strtab;
	size_t strtab_len;
	struct pclntab pcln;
	bool has_pcln;
	uint64_t gofunc;		/* base of funcdata offsets, 0 = unknown */
	char version[32];
	char **wait_reasons;		/* read lazily by go_binary__wait_reasons() */
	unsigned n_wait_reasons;
	const char *wait_reasons_source;
	int wait_reasons_err;		/* why the table was not found */
};

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Bounds-checked NUL-terminated string at off in [base, base+len). */
static inline const char *cstr_at(const uint8_t *base, size_t len, uint64_t off)
{
	if (!base || off >= len || !memchr(base + off, '\0', len - off))
		return NULL;
	return (const char *)base + off;
}

/* Go varint (unsigned LEB128); 0 bytes consumed on overflow or truncation. */
static inline size_t uvarint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < len && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* go_binary.c */
/* Bytes of a section inside the file image; NULL for NOBITS or out of range. */
const uint8_t *go_binary__section_bytes(const struct go_binary *b, const char *name, size_t *len,
					uint64_t *addr);
const Elf64_Sym *go_binary__find_symbol(const struct go_binary *b, const char *name, int type);
bool go_binary__is_writable_data(const struct go_binary *b, uint64_t vaddr);

/* go_binary_pcln.c */
/* functab entry i: entry address and the _func record, bounds-checked. */
bool pcln__func_at(const struct pclntab *t, uint64_t i, uint64_t *entry, const uint8_t **fn);
const char *pcln__func_name(const struct pclntab *t, const uint8_t *fn);
/* One inlined call of an inline tree (funcdata FUNCDATA_InlTree). */
struct inl_call {
	int32_t name_off;
	int32_t parent_pc;	/* offset from the function's entry */
};
uint64_t pcln__inl_tree(const struct go_binary *b, const uint8_t *fn);
int pcln__read_inl_call(const struct go_binary *b, uint64_t tree, int32_t ix, struct inl_call *c);
const char *pcln__name_at(const struct pclntab *t, int32_t off);

/* go_binary_data.c */
void go_binary__read_gofunc(struct go_binary *b);
int go_binary__read_wait_reasons(struct go_binary *b);
void go_binary__free_wait_reasons(struct go_binary *b);

#endif
