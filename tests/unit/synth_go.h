/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A synthetic Go binary image for the unit tests of the Go readers
 * (test_go_inline.c, test_go_stackmap.c): one layout, the pc-value table
 * encoder, the section headers (.gopclntab, .text, go:func.*, .shstrtab,
 * and .symtab/.strtab naming go:func.*), and opening a temp copy.
 */
#ifndef LT_TEST_SYNTH_GO_H
#define LT_TEST_SYNTH_GO_H

#include <stdbool.h>

#include "collect/go/go_binary.h"
#include "synth_elf.h"

#define BASE		0x400000ULL
#define IMG_SIZE	0x1000
#define OFF_PCLN	0x100	/* .gopclntab */
#define OFF_TEXT	0x400	/* the functions */
#define OFF_GOFUNC	0x500	/* go:func.*: funcdata (stack maps, inline trees) */
#define OFF_SYMTAB	0x900
#define OFF_STRTAB	0x940
#define OFF_SHSTR	0x980
#define OFF_SHDRS	0xa00

/* A pc-value table, one value per 16-byte pc range (quantum 1; equal
 * neighbours merged: a zero value delta past the first pair ends a table);
 * returns its length. */
static inline size_t synth_pc_table(uint8_t *p, const int32_t *vals, size_t n)
{
	int64_t prev = -1;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t d = vals[i] - prev;
		uint64_t zz = d < 0 ? ((uint64_t)(-d - 1) << 1) | 1 : (uint64_t)d << 1;
		uint8_t span = 16;	/* pc delta, quantum 1 */

		while (i + 1 < n && vals[i + 1] == vals[i]) {
			span += 16;
			i++;
		}
		do {
			p[len++] = (zz & 0x7f) | (zz > 0x7f ? 0x80 : 0);
			zz >>= 7;
		} while (zz);
		p[len++] = span;
		prev = vals[i];
	}
	p[len++] = 0;
	return len;
}

/* Section headers 1-4 (and 5-6, the symbol go:func.*, with symtab) of an
 * image whose ELF header synth_elf_header() wrote with 5 (7) sections. */
static inline void synth_go_sections(uint8_t *img, uint64_t text_size, bool symtab)
{
	static const char shstr[] = "\0.gopclntab\0.text\0.data\0.symtab\0.strtab\0.shstrtab";
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + OFF_SHDRS);

	memcpy(img + OFF_SHSTR, shstr, sizeof(shstr));
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_PCLN,
			      .sh_offset = OFF_PCLN, .sh_size = OFF_TEXT - OFF_PCLN };
	sh[2] = (Elf64_Shdr){ .sh_name = 12, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_TEXT,
			      .sh_offset = OFF_TEXT, .sh_size = text_size };
	sh[3] = (Elf64_Shdr){ .sh_name = 18, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_GOFUNC,
			      .sh_offset = OFF_GOFUNC, .sh_size = OFF_SYMTAB - OFF_GOFUNC };
	sh[4] = (Elf64_Shdr){ .sh_name = 40, .sh_type = SHT_STRTAB, .sh_offset = OFF_SHSTR,
			      .sh_size = sizeof(shstr) };
	if (symtab) {
		Elf64_Sym *sym = (Elf64_Sym *)(img + OFF_SYMTAB);

		memcpy(img + OFF_STRTAB, "\0go:func.*", 11);
		sym[1] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT),
				      .st_value = BASE + OFF_GOFUNC };
		sh[5] = (Elf64_Shdr){ .sh_name = 24, .sh_type = SHT_SYMTAB, .sh_offset = OFF_SYMTAB,
				      .sh_size = 2 * sizeof(Elf64_Sym), .sh_link = 6,
				      .sh_entsize = sizeof(Elf64_Sym) };
		sh[6] = (Elf64_Shdr){ .sh_name = 32, .sh_type = SHT_STRTAB, .sh_offset = OFF_STRTAB,
				      .sh_size = 11 };
	}
}

/* The image opened from a temp copy (removed again); NULL on failure. */
static inline struct go_binary *synth_go_open(const uint8_t *img, size_t len)
{
	char err[256], *path = synth_write_temp(img, len);
	struct go_binary *b;

	if (!path)
		return NULL;
	b = go_binary__open(path, err, sizeof(err));
	unlink(path);
	return b;
}

#endif
