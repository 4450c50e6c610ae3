// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go executables from their ELF file: build info, .gopclntab, symbols.
 * The pc tables are go_binary_pcln.c, code scans go_binary_code.c, the
 * runtime's data go_binary_data.c (go_binary_impl.h holds what they share). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "collect/go/go_binary.h"
#include "collect/go/go_binary_impl.h"
#include "collect/procfs/procfs.h"
#include "util/foreign_file.h"


static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* Bytes of a section inside the file image; NULL for NOBITS or out of range. */
const uint8_t *go_binary__section_bytes(const struct go_binary *b, const char *name, size_t *len,
					uint64_t *addr)
{
	GElf_Shdr shdr;

	if (!find_section(b->elf, name, &shdr) || shdr.sh_type == SHT_NOBITS)
		return NULL;
	if (shdr.sh_offset > b->image_size || shdr.sh_size > b->image_size - shdr.sh_offset)
		return NULL;
	*len = shdr.sh_size;
	if (addr)
		*addr = shdr.sh_addr;
	return b->image + shdr.sh_offset;
}

int go_binary__read(const struct go_binary *b, uint64_t vaddr, void *buf, size_t len)
{
	for (int i = 0; i < b->nsegs; i++) {
		const struct load_seg *s = &b->segs[i];

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		if (len > s->filesz - (vaddr - s->vaddr))
			return -ERANGE;
		if (s->offset + (vaddr - s->vaddr) + len > b->image_size)
			return -ERANGE;
		memcpy(buf, b->image + s->offset + (vaddr - s->vaddr), len);
		return 0;
	}
	return -ERANGE;
}

int go_binary__vaddr_to_offset(const struct go_binary *b, uint64_t vaddr, uint64_t *off)
{
	for (int i = 0; i < b->nsegs; i++) {
		const struct load_seg *s = &b->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = s->offset + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -ERANGE;
}

/* File offset -> link-time address through the PT_LOAD segments; 0 if unmapped. */
static uint64_t offset_to_vaddr(const struct go_binary *b, uint64_t off)
{
	for (int i = 0; i < b->nsegs; i++) {
		const struct load_seg *s = &b->segs[i];

		if (off >= s->offset && off - s->offset < s->filesz)
			return s->vaddr + (off - s->offset);
	}
	return 0;
}

bool go_binary__is_writable_data(const struct go_binary *b, uint64_t vaddr)
{
	for (int i = 0; i < b->nsegs; i++) {
		const struct load_seg *s = &b->segs[i];

		if (s->writable && vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz)
			return true;
	}
	return false;
}

static int read_segments(struct go_binary *b)
{
	size_t n;
	GElf_Ehdr ehdr;

	if (!gelf_getehdr(b->elf, &ehdr) || ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    ehdr.e_machine != LT_ARCH_ELF_MACHINE)
		return -ENOEXEC;
	b->is_pie = ehdr.e_type == ET_DYN;
	if (elf_getphdrnum(b->elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n && b->nsegs < MAX_PHDRS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		b->segs[b->nsegs++] = (struct load_seg){
			.vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .offset = ph.p_offset,
			.filesz = ph.p_filesz, .writable = ph.p_flags & PF_W,
		};
	}
	return b->nsegs ? 0 : -ENOEXEC;
}

static void read_symtab(struct go_binary *b)
{
	GElf_Shdr shdr, strshdr;
	Elf_Scn *scn = find_section(b->elf, ".symtab", &shdr);
	Elf_Scn *strscn;

	if (!scn || shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize != sizeof(Elf64_Sym))
		return;
	strscn = elf_getscn(b->elf, shdr.sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strshdr) || strshdr.sh_type != SHT_STRTAB)
		return;
	if (shdr.sh_offset > b->image_size || shdr.sh_size > b->image_size - shdr.sh_offset ||
	    strshdr.sh_offset > b->image_size || strshdr.sh_size > b->image_size - strshdr.sh_offset)
		return;
	if (shdr.sh_offset % _Alignof(Elf64_Sym))
		return;
	b->syms = (const Elf64_Sym *)(b->image + shdr.sh_offset);
	b->nsyms = shdr.sh_size / sizeof(Elf64_Sym);
	b->strtab = (const char *)b->image + strshdr.sh_offset;
	b->strtab_len = strshdr.sh_size;
	b->has_symtab = b->nsyms > 0;
}


static void copy_version(struct go_binary *b, const uint8_t *s, uint64_t len)
{
	if (len == 0 || len >= sizeof(b->version) || memcmp(s, "go", 2))
		return;
	memcpy(b->version, s, len);
	b->version[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (b->version[i] < 0x21 || b->version[i] > 0x7e)
			b->version[i] = '\0';
}

/*
 * .go.buildinfo: magic, pointer size, flags; since Go 1.18 (flags & 2) the
 * version follows inline at offset 32 as a varint-prefixed string, before
 * that it sits behind a pointer to a Go string header.
 */
static void read_buildinfo(struct go_binary *b)
{
	size_t len;
	const uint8_t *p = go_binary__section_bytes(b, ".go.buildinfo", &len, NULL);

	if (!p || len < 32 || memcmp(p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN)) {
		/* Section headers may be gone: the magic is 16-byte aligned. */
		p = memmem(b->image, b->image_size, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN);
		if (!p || (size_t)(b->image + b->image_size - p) < 32)
			return;
		len = b->image + b->image_size - p;
	}
	if (p[15] & 2) {
		uint64_t slen;
		size_t n = uvarint(p + 32, len - 32, &slen);

		if (n && slen <= len - 32 - n)
			copy_version(b, p + 32 + n, slen);
	} else if (p[14] == 8) {
		uint8_t hdr[16], s[32];
		uint64_t slen;

		if (go_binary__read(b, rd64(p + 16), hdr, sizeof(hdr)))
			return;
		slen = rd64(hdr + 8);
		if (slen < sizeof(s) && !go_binary__read(b, rd64(hdr), s, slen))
			copy_version(b, s, slen);
	}
}

/* Sub-table [off, end of pclntab) with off bounds-checked. */
static bool pcln_sub(const struct pclntab *t, uint64_t off, const uint8_t **p, size_t *len)
{
	if (off >= t->size)
		return false;
	*p = t->data + off;
	*len = t->size - off;
	return true;
}

static int parse_pclntab(struct pclntab *t, const uint8_t *data, size_t size)
{
	memset(t, 0, sizeof(*t));
	if (size < 72)
		return -EINVAL;
	t->data = data;
	t->size = size;
	t->magic = rd32(data);
	if ((t->magic != PCLN_MAGIC_118 && t->magic != PCLN_MAGIC_120) || data[4] || data[5] ||
	    data[7] != 8)
		return -EPROTONOSUPPORT;
	t->quantum = data[6];
	t->nfunc = rd64(data + 8);
	t->text_start = rd64(data + 24);
	if (!t->quantum || !pcln_sub(t, rd64(data + 32), &t->funcnames, &t->funcnames_len) ||
	    !pcln_sub(t, rd64(data + 40), &t->cutab, &t->cutab_len) ||
	    !pcln_sub(t, rd64(data + 48), &t->filetab, &t->filetab_len) ||
	    !pcln_sub(t, rd64(data + 56), &t->pctab, &t->pctab_len) ||
	    !pcln_sub(t, rd64(data + 64), &t->functab, &t->functab_len))
		return -EINVAL;
	/* nfunc+1 pairs of (entry offset, _func offset) */
	if (t->nfunc == 0 || t->functab_len < 16 || t->nfunc > t->functab_len / 8 - 1)
		return -EINVAL;
	return 0;
}

/* Magic, zero padding, quantum 1 and 8-byte pointers: a plausible header. */
static const uint8_t *scan_pclntab(const struct go_binary *b, size_t *len)
{
	static const uint8_t magics[2][8] = {
		{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8},
		{0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8},
	};

	for (int m = 0; m < 2; m++) {
		const uint8_t *p = b->image, *end = b->image + b->image_size;

		while ((p = memmem(p, end - p, magics[m], 8))) {
			struct pclntab t;

			if (!parse_pclntab(&t, p, end - p)) {
				*len = end - p;
				return p;
			}
			p++;
		}
	}
	return NULL;
}

static void read_pclntab(struct go_binary *b)
{
	size_t len;
	uint64_t text_addr, vaddr = 0;
	/* PIE binaries name it .data.rel.ro.gopclntab */
	const uint8_t *p = go_binary__section_bytes(b, ".gopclntab", &len, &vaddr);

	if (!p)
		p = go_binary__section_bytes(b, ".data.rel.ro.gopclntab", &len, &vaddr);
	if (!p) {
		p = scan_pclntab(b, &len);
		vaddr = p ? offset_to_vaddr(b, p - b->image) : 0;
	}
	if (!p || parse_pclntab(&b->pcln, p, len))
		return;
	b->pcln.vaddr = vaddr;
	/* PIE binaries carry textStart as a relocation: take .text instead. */
	if (!b->pcln.text_start && go_binary__section_bytes(b, ".text", &len, &text_addr))
		b->pcln.text_start = text_addr;
	b->has_pcln = true;
}

struct go_binary *go_binary__open(const char *path, char *err, size_t errlen)
{
	char why[64];
	struct go_binary *b;
	size_t len;
	int ret;

	elf_version(EV_CURRENT);
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* /proc/PID/exe is the kernel's link to the file: followed */
	b->fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, why, sizeof(why));
	if (b->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, why[0] ? why : strerror(-b->fd));
		free(b);
		return NULL;
	}
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s is not an ELF file", path);
		goto fail;
	}
	b->image = (const uint8_t *)elf_rawfile(b->elf, &b->image_size);
	ret = b->image ? read_segments(b) : -ENOEXEC;
	if (ret) {
		snprintf(err, errlen, "%s is not an " LT_ARCH_NAME " executable", path);
		goto fail;
	}
	read_symtab(b);
	b->has_dwarf = go_binary__section_bytes(b, ".debug_info", &len, NULL) ||
		       go_binary__section_bytes(b, ".zdebug_info", &len, NULL);
	read_buildinfo(b);
	read_pclntab(b);
	if (!b->has_pcln) {
		snprintf(err, errlen, "%s: no Go 1.18+ .gopclntab (not Go, or Go older than 1.18)",
			 path);
		goto fail;
	}
	go_binary__read_gofunc(b);
	b->wait_reasons_err = go_binary__read_wait_reasons(b);
	return b;
fail:
	go_binary__close(b);
	return NULL;
}

void go_binary__close(struct go_binary *b)
{
	if (!b)
		return;
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	go_binary__free_wait_reasons(b);
	free(b);
}

const char *go_binary__version(const struct go_binary *b)
{
	return b->version;
}

int go_binary__version_num(const struct go_binary *b, int *major, int *minor)
{
	if (sscanf(b->version, "go%d.%d", major, minor) != 2)
		return -ENOENT;
	return 0;
}

bool go_binary__has_dwarf(const struct go_binary *b)
{
	return b->has_dwarf;
}

bool go_binary__is_pie(const struct go_binary *b)
{
	return b->is_pie;
}

uint64_t go_binary__load_base(const struct go_binary *b)
{
	uint64_t lo = UINT64_MAX;

	for (int i = 0; i < b->nsegs; i++)
		if (b->segs[i].vaddr < lo)
			lo = b->segs[i].vaddr;
	return lo & ~0xfffULL;
}


const Elf64_Sym *go_binary__find_symbol(const struct go_binary *b, const char *name, int type)
{
	for (size_t i = 0; i < b->nsyms; i++) {
		const Elf64_Sym *s = &b->syms[i];
		const char *n;

		if (ELF64_ST_TYPE(s->st_info) != type || s->st_name >= b->strtab_len)
			continue;
		n = cstr_at((const uint8_t *)b->strtab, b->strtab_len, s->st_name);
		if (n && !strcmp(n, name))
			return s;
	}
	return NULL;
}

int go_binary__func(const struct go_binary *b, const char *name, uint64_t *addr, uint64_t *size)
{
	const Elf64_Sym *s = go_binary__find_symbol(b, name, STT_FUNC);
	const struct pclntab *t = &b->pcln;

	if (s && s->st_value) {
		*addr = s->st_value;
		*size = s->st_size;
		return 0;
	}
	for (uint64_t i = 0; i < t->nfunc; i++) {
		const uint8_t *fn;
		const char *n;
		uint64_t entry, next;

		if (!pcln__func_at(t, i, &entry, &fn) || !(n = pcln__func_name(t, fn)) || strcmp(n, name))
			continue;
		if (!pcln__func_at(t, i + 1, &next, NULL) || next < entry)
			return -EINVAL;
		*addr = entry;
		*size = next - entry;
		return 0;
	}
	return -ENOENT;
}

int go_binary__data_symbol(const struct go_binary *b, const char *name, uint64_t *addr)
{
	const Elf64_Sym *s = go_binary__find_symbol(b, name, STT_OBJECT);

	if (!s || !s->st_value)
		return -ENOENT;
	*addr = s->st_value;
	return 0;
}

bool go_binary__is_go(int pid)
{
	char path[PROCFS_PATH_MAX], err[256];
	struct go_binary *b;

	procfs__path(path, sizeof(path), pid, 0, "exe");
	b = go_binary__open(path, err, sizeof(err));
	if (!b)
		return false;
	go_binary__close(b);
	return true;
}
