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

#endif
