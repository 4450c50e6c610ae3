/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The defined symbols of an ELF file (.dynsym and .symtab), one callback
 * each: the runtime collectors look up a handful of names in a library
 * (libpython's _PyRuntime, libjvm's VMStructs tables and statics). */
#ifndef LT_ELF_SYMBOLS_H
#define LT_ELF_SYMBOLS_H

#include <gelf.h>

/* fn(ctx, name, sym) for every symbol with a value and a name, in section
 * order (a name may come twice: from .dynsym and from .symtab). */
void elf_symbols__each(Elf *elf, void (*fn)(void *ctx, const char *name, const GElf_Sym *sym),
		       void *ctx);

/* The symbols of the ELF file at path (opened with foreign_open(FOREIGN_ELF,
 * flags): a target's file) through fn, and its lowest PT_LOAD, page
 * aligned: *first_vaddr and *first_off. 0, -errno of the open, -ENOEXEC
 * (not ELF) or -ENOENT (no PT_LOAD). */
int elf_symbols__read_file(const char *path, unsigned flags,
			   void (*fn)(void *ctx, const char *name, const GElf_Sym *sym), void *ctx,
			   uint64_t *first_vaddr, uint64_t *first_off);

#endif
