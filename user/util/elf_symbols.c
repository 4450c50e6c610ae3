// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "util/elf_symbols.h"
#include "util/foreign_file.h"

void elf_symbols__each(Elf *elf, void (*fn)(void *ctx, const char *name, const GElf_Sym *sym),
		       void *ctx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name)
				fn(ctx, name, &sym);
		}
	}
}

int elf_symbols__read_file(const char *path, unsigned flags,
			   void (*fn)(void *ctx, const char *name, const GElf_Sym *sym), void *ctx,
			   uint64_t *first_vaddr, uint64_t *first_off)
{
	size_t nph;
	Elf *elf;
	int fd;

	fd = foreign_open(path, FOREIGN_ELF, flags, NULL, NULL, 0);
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph)) {
		elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	*first_vaddr = UINT64_MAX;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_vaddr < *first_vaddr) {
			*first_vaddr = ph.p_vaddr & ~0xfffULL;
			*first_off = ph.p_offset & ~0xfffULL;
		}
	}
	elf_symbols__each(elf, fn, ctx);
	elf_end(elf);
	close(fd);
	return *first_vaddr != UINT64_MAX ? 0 : -ENOENT;
}
