// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go executables from their ELF file: build info, .gopclntab, symbols. */
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
#include "collect/procfs/procfs.h"
#include "util/array.h"
#include "util/foreign_file.h"

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

static int read_wait_reasons(struct go_binary *b);
static void read_gofunc(struct go_binary *b);
static const Elf64_Sym *find_symbol(const struct go_binary *b, const char *name, int type);
static void free_wait_reasons(struct go_binary *b);

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Bounds-checked NUL-terminated string at off in [base, base+len). */
static const char *cstr_at(const uint8_t *base, size_t len, uint64_t off)
{
	if (!base || off >= len || !memchr(base + off, '\0', len - off))
		return NULL;
	return (const char *)base + off;
}

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
static const uint8_t *section_bytes(const struct go_binary *b, const char *name, size_t *len,
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

static bool is_writable_data(const struct go_binary *b, uint64_t vaddr)
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

/* Go varint (unsigned LEB128); 0 bytes consumed on overflow or truncation. */
static size_t uvarint(const uint8_t *p, size_t len, uint64_t *v)
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
	const uint8_t *p = section_bytes(b, ".go.buildinfo", &len, NULL);

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
	if (t->nfunc == 0 || t->nfunc > t->functab_len / 8 - 1)
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
	const uint8_t *p = section_bytes(b, ".gopclntab", &len, &vaddr);

	if (!p)
		p = section_bytes(b, ".data.rel.ro.gopclntab", &len, &vaddr);
	if (!p) {
		p = scan_pclntab(b, &len);
		vaddr = p ? offset_to_vaddr(b, p - b->image) : 0;
	}
	if (!p || parse_pclntab(&b->pcln, p, len))
		return;
	b->pcln.vaddr = vaddr;
	/* PIE binaries carry textStart as a relocation: take .text instead. */
	if (!b->pcln.text_start && section_bytes(b, ".text", &len, &text_addr))
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
	b->has_dwarf = section_bytes(b, ".debug_info", &len, NULL) ||
		       section_bytes(b, ".zdebug_info", &len, NULL);
	read_buildinfo(b);
	read_pclntab(b);
	if (!b->has_pcln) {
		snprintf(err, errlen, "%s: no Go 1.18+ .gopclntab (not Go, or Go older than 1.18)",
			 path);
		goto fail;
	}
	read_gofunc(b);
	b->wait_reasons_err = read_wait_reasons(b);
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
	free_wait_reasons(b);
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

/* functab entry i: entry address and the _func record, bounds-checked. */
static bool func_at(const struct pclntab *t, uint64_t i, uint64_t *entry, const uint8_t **fn)
{
	uint32_t funcoff;

	if (i > t->nfunc)
		return false;
	*entry = t->text_start + rd32(t->functab + i * 8);
	if (!fn)
		return true;
	if (i == t->nfunc)
		return false;
	funcoff = rd32(t->functab + i * 8 + 4);
	/* _func: 10 u32 fields then 4 bytes (1.20+ one more u32) */
	if (funcoff > t->functab_len || t->functab_len - funcoff < 48)
		return false;
	*fn = t->functab + funcoff;
	return true;
}

static const char *func_name(const struct pclntab *t, const uint8_t *fn)
{
	int32_t nameoff = (int32_t)rd32(fn + 4);

	return nameoff < 0 ? NULL : cstr_at(t->funcnames, t->funcnames_len, nameoff);
}

/* Index of the function containing pc, or -1. */
static int64_t find_func(const struct pclntab *t, uint64_t pc)
{
	uint64_t lo = 0, hi = t->nfunc, entry, end;

	if (!func_at(t, 0, &entry, NULL) || pc < entry)
		return -1;
	if (!func_at(t, t->nfunc, &end, NULL) || pc >= end)
		return -1;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		func_at(t, mid, &entry, NULL);
		if (entry <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A pc-value table: pairs of zig-zag value delta and pc delta (times the pc
 * quantum), both varints; a zero value delta after the first pair ends it.
 * Values are kept unsigned so that garbage wraps instead of overflowing.
 */
struct pcval_iter {
	const uint8_t *p;
	size_t len;
	uint64_t pc;		/* end of the current range */
	uint64_t val;
	bool first;
	int steps;
};

#define PCVAL_MAX_STEPS	(1 << 20)

static bool pcval_begin(const struct pclntab *t, uint32_t off, uint64_t entry,
			struct pcval_iter *it)
{
	if (!off || off >= t->pctab_len)
		return false;
	*it = (struct pcval_iter){ .p = t->pctab + off, .len = t->pctab_len - off, .pc = entry,
				   .val = (uint64_t)-1, .first = true };
	return true;
}

/* The next range [*start, it->pc) and its value; false at the end or on garbage. */
static bool pcval_next(const struct pclntab *t, struct pcval_iter *it, uint64_t *start,
		       int32_t *val)
{
	uint64_t uv, pcd;
	size_t n;

	if (it->steps++ >= PCVAL_MAX_STEPS)
		return false;
	n = uvarint(it->p, it->len, &uv);
	if (!n || (uv == 0 && !it->first))
		return false;
	it->p += n;
	it->len -= n;
	it->val += (uv & 1) ? ~(uv >> 1) : uv >> 1;
	n = uvarint(it->p, it->len, &pcd);
	if (!n)
		return false;
	it->p += n;
	it->len -= n;
	*start = it->pc;
	it->pc += pcd * t->quantum;
	it->first = false;
	*val = (int32_t)it->val;
	return true;
}

/* Value of the table at off at targetpc. */
static int pcvalue(const struct pclntab *t, uint32_t off, uint64_t entry, uint64_t targetpc,
		   int32_t *out)
{
	struct pcval_iter it;
	uint64_t start;
	int32_t val;

	if (!pcval_begin(t, off, entry, &it))
		return -ENOENT;
	while (pcval_next(t, &it, &start, &val)) {
		if (targetpc < it.pc) {
			*out = val;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *file_name(const struct pclntab *t, const uint8_t *fn, int32_t fileno)
{
	uint64_t cu = rd32(fn + 32), idx = (cu + (uint64_t)fileno) * 4;

	if (fileno < 0 || cu == UINT32_MAX || idx + 4 > t->cutab_len)
		return NULL;
	return cstr_at(t->filetab, t->filetab_len, rd32(t->cutab + idx));
}

/* File and line of pc in the function (entry, fn): "?" and 0 when unknown. */
static void file_line(const struct pclntab *t, const uint8_t *fn, uint64_t entry, uint64_t pc,
		      const char **file, int *line)
{
	int32_t fileno, l;
	const char *f;

	*file = "?";
	*line = 0;
	if (!pcvalue(t, rd32(fn + 24), entry, pc, &l) && l >= 0)
		*line = l;
	if (!pcvalue(t, rd32(fn + 20), entry, pc, &fileno) && (f = file_name(t, fn, fileno)))
		*file = f;
}

int go_binary__pcinfo(const struct go_binary *b, uint64_t pc, struct go_pcinfo *out)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	uint64_t entry;
	int64_t i = find_func(t, pc);
	const char *name;

	if (i < 0 || !func_at(t, i, &entry, &fn) || !(name = func_name(t, fn)))
		return -ENOENT;
	out->func = name;
	out->entry = entry;
	file_line(t, fn, entry, pc, &out->file, &out->line);
	return 0;
}

/*
 * Inlined calls. Each function may carry FUNCDATA_InlTree, an array of
 * inlinedCall records at moduledata.gofunc + the funcdata offset, and
 * PCDATA_InlTreeIndex, a pc-value table giving for each pc the record of the
 * innermost call inlined there (-1: the function's own code). A record
 * names the inlined function and parentPc, a pc of its call site: the same
 * lookup there gives the next outer call, until -1 (runtime/symtabinl.go,
 * runtime.CallersFrames). The pcfile/pcln tables already give the innermost
 * function's file:line, so every frame's file:line is that of its pc.
 * inlinedCall: Go 1.18-1.19 {parent i16, funcID u8, _, file i32, line i32,
 * func_ i32, parentPc i32} (20 bytes), Go 1.20+ {funcID u8, _ [3], nameOff
 * i32, parentPc i32, startLine i32} (16 bytes).
 */
#define PCDATA_INL_TREE_INDEX	2
#define FUNCDATA_INL_TREE	3
#define INL_TREE_MAX		(1 << 20)	/* the runtime's own bound on the array */
#define INL_DEPTH_MAX		32		/* nested inlined calls followed at one pc */

struct inl_call {
	int32_t name_off;
	int32_t parent_pc;	/* offset from the function's entry */
};

/* Size of the fixed part of _func: 9 u32 (1.20+: 10, with startLine) and 4 bytes. */
static size_t func_hdr_size(const struct pclntab *t)
{
	return t->magic == PCLN_MAGIC_118 ? 40 : 44;
}

/* _func.pcdata[idx] (a pctab offset, 0: none) and _func.funcdata[idx] (~0: none). */
static uint32_t func_table(const struct pclntab *t, const uint8_t *fn, bool funcdata, uint32_t idx)
{
	size_t hdr = func_hdr_size(t), room = t->functab + t->functab_len - fn;
	uint64_t npcdata = rd32(fn + 28), nfuncdata = fn[hdr - 1];

	if (room < hdr || npcdata + nfuncdata > (room - hdr) / 4)
		return funcdata ? UINT32_MAX : 0;
	if (!funcdata)
		return idx < npcdata ? rd32(fn + hdr + 4 * idx) : 0;
	return idx < nfuncdata ? rd32(fn + hdr + 4 * (npcdata + idx)) : UINT32_MAX;
}

/* Link-time address of fn's inline tree, 0 when it has none or gofunc is unknown. */
static uint64_t inl_tree(const struct go_binary *b, const uint8_t *fn)
{
	uint32_t off = func_table(&b->pcln, fn, true, FUNCDATA_INL_TREE);

	return b->gofunc && off != UINT32_MAX ? b->gofunc + off : 0;
}

static int read_inl_call(const struct go_binary *b, uint64_t tree, int32_t ix, struct inl_call *c)
{
	bool old = b->pcln.magic == PCLN_MAGIC_118;
	size_t size = old ? 20 : 16;
	uint8_t e[20];

	if (ix < 0 || ix >= INL_TREE_MAX || go_binary__read(b, tree + (uint64_t)ix * size, e, size))
		return -ERANGE;
	c->name_off = (int32_t)rd32(e + (old ? 12 : 4));
	c->parent_pc = (int32_t)rd32(e + (old ? 16 : 8));
	return 0;
}

static const char *name_at(const struct pclntab *t, int32_t off)
{
	return off < 0 ? NULL : cstr_at(t->funcnames, t->funcnames_len, off);
}

/*
 * The innermost call inlined at pc in the function [entry, end) with tree:
 * its name and the pc of its call site. False at the function's own code,
 * and on anything out of bounds.
 */
static bool inlined_call_at(const struct go_binary *b, const uint8_t *fn, uint64_t tree,
			    uint64_t entry, uint64_t end, uint64_t pc, const char **name,
			    uint64_t *site)
{
	const struct pclntab *t = &b->pcln;
	uint32_t tab = func_table(t, fn, false, PCDATA_INL_TREE_INDEX);
	struct inl_call c;
	int32_t ix;

	if (!tree || pcvalue(t, tab, entry, pc, &ix) || ix < 0 || read_inl_call(b, tree, ix, &c) ||
	    !(*name = name_at(t, c.name_off)) || !**name || c.parent_pc < 0 ||
	    (uint64_t)c.parent_pc >= end - entry)
		return false;
	*site = entry + c.parent_pc;
	return true;
}

static void set_frame(const struct pclntab *t, const uint8_t *fn, uint64_t entry, uint64_t pc,
		      const char *name, bool inlined, struct go_frame *f)
{
	f->func = name;
	f->entry = entry;
	f->inlined = inlined;
	file_line(t, fn, entry, pc, &f->file, &f->line);
}

int go_binary__frames(const struct go_binary *b, uint64_t pc, bool is_return,
		      struct go_frame *out, int max)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	const char *phys, *name;
	uint64_t entry, end, tree, site;
	int64_t i;
	int n = 0;

	if (max <= 0)
		return -EINVAL;
	/* a return address follows the call: look up the call itself */
	if (is_return && pc)
		pc--;
	i = find_func(t, pc);
	if (i < 0 || !func_at(t, i, &entry, &fn) || !(phys = func_name(t, fn)) ||
	    !func_at(t, i + 1, &end, NULL) || end <= entry)
		return -ENOENT;
	tree = inl_tree(b, fn);
	/* past max - 1 inlined frames the outer ones are dropped, the physical one kept */
	for (int depth = 0; depth < INL_DEPTH_MAX; depth++) {
		if (!inlined_call_at(b, fn, tree, entry, end, pc, &name, &site))
			break;
		if (n < max - 1)
			set_frame(t, fn, entry, pc, name, true, &out[n++]);
		pc = site;
	}
	set_frame(t, fn, entry, pc, phys, false, &out[n++]);
	return n;
}

/*
 * moduledata.gofunc, the base of funcdata offsets (FUNCDATA_InlTree). From
 * .symtab ("go:func.*", "go.func.*" before 1.20), else from the moduledata
 * found in the file by its first two fields (pcHeader and funcnametab point
 * into .gopclntab), at the offset of its layout: 1.18-1.19 have no covctrs
 * field, 1.27 added typedesclen, itaboffset and itabsize before rodata.
 */
static const uint32_t gofunc_offsets[] = { 320, 304, 344 };

/* A base is right when the first few inline trees found decode into names. */
static bool gofunc_plausible(struct go_binary *b, uint64_t gofunc)
{
	const struct pclntab *t = &b->pcln;
	int checked = 0;
	bool bad = false;

	b->gofunc = gofunc;
	for (uint64_t i = 0; i < t->nfunc && checked < 8 && !bad; i++) {
		const uint8_t *fn;
		uint64_t entry, end, tree;
		struct inl_call c;

		if (!func_at(t, i, &entry, &fn) || !func_at(t, i + 1, &end, NULL) ||
		    !(tree = inl_tree(b, fn)))
			continue;
		bad = read_inl_call(b, tree, 0, &c) || !name_at(t, c.name_off) ||
		      c.parent_pc < 0 || end <= entry || (uint64_t)c.parent_pc >= end - entry;
		checked++;
	}
	b->gofunc = 0;
	return checked > 0 && !bad;
}

/* gofunc of the moduledata at md, read through read_ptr, in the layouts the version suggests first. */
static uint64_t gofunc_at(struct go_binary *b, uint64_t md,
			  uint64_t (*read_ptr)(const struct go_binary *b, uint64_t vaddr))
{
	const struct pclntab *t = &b->pcln;
	int major, minor;
	bool new_layout = !go_binary__version_num(b, &major, &minor) && major == 1 && minor >= 27;

	if (md % 8)
		return 0;
	for (size_t k = 0; k < 3; k++) {
		size_t pick = new_layout ? (k + 2) % 3 : t->magic == PCLN_MAGIC_118 ? (k + 1) % 3 : k;
		uint64_t v = read_ptr(b, md + gofunc_offsets[pick]);

		if (v && gofunc_plausible(b, v))
			return v;
	}
	return 0;
}

static uint64_t file_ptr(const struct go_binary *b, uint64_t vaddr)
{
	uint8_t v[8];

	return go_binary__read(b, vaddr, v, 8) ? 0 : rd64(v);
}

/* The moduledata's first two fields, as stored in the file (non-PIE). */
static uint64_t moduledata_gofunc(struct go_binary *b)
{
	const struct pclntab *t = &b->pcln;
	uint64_t want[2] = { t->vaddr, t->vaddr + (uint64_t)(t->funcnames - t->data) }, g;

	for (int s = 0; s < b->nsegs; s++) {
		const struct load_seg *seg = &b->segs[s];
		const uint8_t *base, *p, *end;

		if (seg->offset > b->image_size || seg->filesz > b->image_size - seg->offset)
			continue;
		base = b->image + seg->offset;
		end = base + seg->filesz;
		for (p = base; (p = memmem(p, end - p, want, sizeof(want))); p++)
			if ((g = gofunc_at(b, seg->vaddr + (p - base), file_ptr)))
				return g;
	}
	return 0;
}

/*
 * In a PIE binary the moduledata's pointers are zero in the file: they are
 * R_X86_64_RELATIVE relocations, whose addends are the link-time values.
 */
static const uint8_t *relocations(const struct go_binary *b, size_t *n)
{
	static const char *const names[] = { ".rela", ".rela.dyn" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		const uint8_t *p = section_bytes(b, names[i], &len, NULL);

		if (p && len >= sizeof(Elf64_Rela)) {
			*n = len / sizeof(Elf64_Rela);
			return p;
		}
	}
	return NULL;
}

static uint64_t reloc_ptr(const struct go_binary *b, uint64_t vaddr)
{
	size_t n;
	const uint8_t *r = relocations(b, &n);

	for (size_t i = 0; r && i < n; i++, r += sizeof(Elf64_Rela))
		if (rd64(r) == vaddr && ELF64_R_TYPE(rd64(r + 8)) == R_X86_64_RELATIVE)
			return rd64(r + 16);
	return 0;
}

static uint64_t relocated_moduledata_gofunc(struct go_binary *b)
{
	const struct pclntab *t = &b->pcln;
	uint64_t names = t->vaddr + (uint64_t)(t->funcnames - t->data), g;
	size_t n;
	const uint8_t *r = relocations(b, &n);

	for (size_t i = 0; r && i < n; i++, r += sizeof(Elf64_Rela))
		if (ELF64_R_TYPE(rd64(r + 8)) == R_X86_64_RELATIVE && rd64(r + 16) == t->vaddr &&
		    reloc_ptr(b, rd64(r) + 8) == names && (g = gofunc_at(b, rd64(r), reloc_ptr)))
			return g;
	return 0;
}

static void read_gofunc(struct go_binary *b)
{
	static const char *const syms[] = { "go:func.*", "go.func.*" };

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		const Elf64_Sym *s = find_symbol(b, syms[i], STT_OBJECT);

		if (s && s->st_value && gofunc_plausible(b, s->st_value)) {
			b->gofunc = s->st_value;
			return;
		}
	}
	if (b->pcln.vaddr)
		b->gofunc = moduledata_gofunc(b);
	if (!b->gofunc && b->pcln.vaddr && b->is_pie)
		b->gofunc = relocated_moduledata_gofunc(b);
}

static const Elf64_Sym *find_symbol(const struct go_binary *b, const char *name, int type)
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
	const Elf64_Sym *s = find_symbol(b, name, STT_FUNC);
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

		if (!func_at(t, i, &entry, &fn) || !(n = func_name(t, fn)) || strcmp(n, name))
			continue;
		if (!func_at(t, i + 1, &next, NULL) || next < entry)
			return -EINVAL;
		*addr = entry;
		*size = next - entry;
		return 0;
	}
	return -ENOENT;
}

int go_binary__data_symbol(const struct go_binary *b, const char *name, uint64_t *addr)
{
	const Elf64_Sym *s = find_symbol(b, name, STT_OBJECT);

	if (!s || !s->st_value)
		return -ENOENT;
	*addr = s->st_value;
	return 0;
}

int go_binary__probe_addr(const struct go_binary *b, const char *func, uint64_t *addr, bool *cheap)
{
	uint8_t code[16];
	uint64_t entry, size;
	size_t i = 0;
	int err = go_binary__func(b, func, &entry, &size);

	if (err)
		return err;
	*addr = entry;
	*cheap = false;
	if (go_binary__read(b, entry, code, sizeof(code)))
		return 0;
	/* large frames first compute the new sp: lea -N(%rsp),%r12 */
	if (code[0] == 0x4c && code[1] == 0x8d && code[2] == 0x64 && code[3] == 0x24)
		i = 5;
	else if (code[0] == 0x4c && code[1] == 0x8d && code[2] == 0xa4 && code[3] == 0x24)
		i = 8;
	/* cmp 0x10(%r14),%rsp or %r12 */
	if ((code[i] != 0x49 && code[i] != 0x4d) || code[i + 1] != 0x3b || code[i + 2] != 0x66 ||
	    code[i + 3] != 0x10)
		return 0;
	i += 4;
	if (code[i] == 0x76 || (code[i] == 0x0f && code[i + 1] == 0x86)) {
		*addr = entry + i;
		*cheap = true;
	}
	return 0;
}

/*
 * Length of the immediate after a [REX] opcode modrm(rip+disp32) form, or -1
 * when the opcode is not one of the memory forms the Go compiler emits for
 * global variables (mov, lea, cmp, add, sub, test, xchg and their imm forms).
 */
static int rip_form_imm(uint8_t op)
{
	switch (op) {
	case 0x8b: case 0x89: case 0x8d: case 0x39: case 0x3b: case 0x01: case 0x03:
	case 0x29: case 0x2b: case 0x85: case 0x87: case 0x88: case 0x8a:
		return 0;
	case 0x80: case 0x83: case 0xc6:
		return 1;
	case 0x81: case 0xc7:
		return 4;
	}
	return -1;
}

int go_binary__data_refs(const struct go_binary *b, const char *func, uint64_t *out, int max)
{
	uint64_t entry, size;
	uint8_t *code;
	int n = 0, uniq = 0, err = go_binary__func(b, func, &entry, &size);

	if (err)
		return err;
	if (size == 0 || size > 1 << 20)
		return -EINVAL;
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	if (go_binary__read(b, entry, code, size)) {
		free(code);
		return -ERANGE;
	}
	/*
	 * No full decoder: try every byte as an instruction start; a false
	 * match rarely lands in writable data, and callers validate anyway.
	 */
	for (uint64_t i = 0; i + 6 <= size && n < max; i++) {
		uint64_t p = i, target;
		int imm;

		if ((code[p] & 0xf0) == 0x40)
			p++;
		if (p + 6 > size || (imm = rip_form_imm(code[p])) < 0)
			continue;
		if ((code[p + 1] & 0xc7) != 0x05 || p + 6 + imm > size)
			continue;
		target = entry + p + 6 + imm + (int64_t)(int32_t)rd32(code + p + 2);
		if (is_writable_data(b, target))
			out[n++] = target;
	}
	free(code);
	qsort(out, n, sizeof(*out), cmp_u64);
	for (int i = 0; i < n; i++)
		if (!uniq || out[uniq - 1] != out[i])
			out[uniq++] = out[i];
	return uniq;
}

static bool in_sorted(const uint64_t *v, int n, uint64_t x)
{
	return sorted_find(v, n, sizeof(*v), &x, cmp_u64) != NULL;
}

int go_binary__allgs_candidates(const struct go_binary *b, uint64_t *out, int max)
{
	uint64_t refs[256];
	int n = go_binary__data_refs(b, "runtime.allgadd", refs, 256), k = 0;

	if (n < 0)
		return n;
	/* append(allgs, gp) touches ptr, len and cap of the slice header */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n && k < max; i++) {
			bool triple = in_sorted(refs, n, refs[i] + 8) &&
				      in_sorted(refs, n, refs[i] + 16);

			if (refs[i] % 8 == 0 && triple == (pass == 0))
				out[k++] = refs[i];
		}
	}
	return k;
}

/*
 * runtime.waitReasonStrings: a [N]string indexed by the waitReason byte
 * (a uint8, so N <= 256). The enum was reordered between releases (1.26
 * moved the channel waits behind the GC ones) while the strings stayed:
 * only the binary's own table is right for every version.
 */
#define WAIT_REASONS_MAX	256
#define WAIT_REASON_LEN_MAX	64

/* A Go string header {ptr, len} at vaddr holding printable ASCII; its length or -errno. */
static int read_go_string(const struct go_binary *b, uint64_t vaddr, char *out, size_t outlen)
{
	uint8_t hdr[16];
	uint64_t len;

	if (go_binary__read(b, vaddr, hdr, sizeof(hdr)))
		return -ERANGE;
	len = rd64(hdr + 8);
	if (len > WAIT_REASON_LEN_MAX || len >= outlen)
		return -EINVAL;
	if (len && go_binary__read(b, rd64(hdr), out, len))
		return -ERANGE;
	for (uint64_t i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			return -EINVAL;
	out[len] = '\0';
	return (int)len;
}

static void free_wait_reasons(struct go_binary *b)
{
	for (unsigned i = 0; i < b->n_wait_reasons; i++)
		free(b->wait_reasons[i]);
	free(b->wait_reasons);
	b->wait_reasons = NULL;
	b->n_wait_reasons = 0;
}

/*
 * The table at vaddr with n entries (0: up to the first entry that is not
 * a non-empty string). Entry 0 is "", every other entry a name, and every
 * Go release has "chan receive": anything else is not the table.
 */
static int read_wait_table(struct go_binary *b, uint64_t vaddr, unsigned n)
{
	char name[WAIT_REASON_LEN_MAX + 1];
	unsigned max = n ? n : WAIT_REASONS_MAX;
	bool has_chan_receive = false;

	if (n > WAIT_REASONS_MAX || read_go_string(b, vaddr, name, sizeof(name)) != 0)
		return -EINVAL;
	b->wait_reasons = calloc(max, sizeof(char *));
	if (!b->wait_reasons)
		return -ENOMEM;
	for (unsigned i = 0; i < max; i++) {
		int len = read_go_string(b, vaddr + 16 * (uint64_t)i, name, sizeof(name));

		if (i > 0 && len <= 0) {
			if (n)
				goto bad;
			break;
		}
		has_chan_receive |= !strcmp(name, "chan receive");
		if (!(b->wait_reasons[i] = strdup(name))) {
			free_wait_reasons(b);
			return -ENOMEM;
		}
		b->n_wait_reasons = i + 1;
	}
	if (has_chan_receive && b->n_wait_reasons >= 16)
		return 0;
bad:
	free_wait_reasons(b);
	return -EINVAL;
}

/*
 * The bound check waitReason.String starts with (`w >= len(waitReasonStrings)`):
 * cmp $N,%al / cmp $N,%r8b / cmp $N,%r32 with an 8-bit immediate; 0 if absent.
 */
static unsigned wait_reasons_bound(const struct go_binary *b)
{
	uint8_t c[8];
	uint64_t entry, size;

	if (go_binary__func(b, "runtime.waitReason.String", &entry, &size) || size < sizeof(c) ||
	    go_binary__read(b, entry, c, sizeof(c)))
		return 0;
	for (int i = 0; i < 4; i++) {
		const uint8_t *p = c + i;

		if (p[0] == 0x3c)
			return p[1];
		if ((p[0] == 0x80 || p[0] == 0x83) && (p[1] & 0xf8) == 0xf8)
			return p[2];
	}
	return 0;
}

/* Functions that index the table, tried in order in binaries without .symtab. */
static const char *const wait_reason_users[] = {
	"runtime.waitReason.String",
	"runtime.goroutineheader",
	"runtime.(*waitReason).String",
};

static int read_wait_reasons(struct go_binary *b)
{
	const Elf64_Sym *s = find_symbol(b, "runtime.waitReasonStrings", STT_OBJECT);
	unsigned bound;

	if (s && s->st_value && s->st_size % 16 == 0 &&
	    !read_wait_table(b, s->st_value, s->st_size / 16)) {
		b->wait_reasons_source = "symtab";
		return 0;
	}
	bound = wait_reasons_bound(b);
	for (size_t f = 0; f < sizeof(wait_reason_users) / sizeof(wait_reason_users[0]); f++) {
		uint64_t refs[64];
		int n = go_binary__data_refs(b, wait_reason_users[f], refs, 64);

		for (int i = 0; i < n; i++) {
			if (read_wait_table(b, refs[i], bound))
				continue;
			b->wait_reasons_source = wait_reason_users[f];
			return 0;
		}
	}
	return -ENOENT;
}

int go_binary__wait_reasons(const struct go_binary *b, const char *const **names,
			    const char **source)
{
	if (b->wait_reasons_err)
		return b->wait_reasons_err;
	*names = (const char *const *)b->wait_reasons;
	if (source)
		*source = b->wait_reasons_source;
	return b->n_wait_reasons;
}

/* "pkg.f.gowrap2", "pkg.f.func1": names the compiler gives go-statement wrappers. */
static bool is_wrapper_name(const char *name)
{
	const char *dot = strrchr(name, '.'), *d;

	if (!dot)
		return false;
	if (!strncmp(dot + 1, "gowrap", 6))
		d = dot + 7;
	else if (!strncmp(dot + 1, "func", 4))
		d = dot + 5;
	else
		return false;
	if (!*d)
		return false;
	for (; *d; d++)
		if (*d < '0' || *d > '9')
			return false;
	return true;
}

static bool same_line(const struct go_binary *b, uint64_t pc1, uint64_t pc2)
{
	struct go_pcinfo a, c;

	return !go_binary__pcinfo(b, pc1, &a) && !go_binary__pcinfo(b, pc2, &c) && a.line &&
	       a.line == c.line && !strcmp(a.file, c.file);
}

#define WRAPPER_MAX_SIZE 512	/* bytes of code: a wrapper only copies arguments and calls */

struct wrapper {
	const struct go_binary *b;
	const char *self;
	uint64_t entry;
	bool gowrap;
	const char *callee;	/* the one function called so far */
};

/*
 * Counts n, called (or inlined) at call_pc, as what the wrapper forwards to;
 * false when the wrapper is no plain forwarder after all.
 */
static bool wrapper_calls(struct wrapper *w, const char *n, uint64_t call_pc)
{
	/* runtime helpers (chansend1, morestack) do not count outside the runtime */
	if (!strcmp(n, w->self) || !strncmp(n, "runtime.morestack", 17) ||
	    (!strncmp(n, "runtime.", 8) && strncmp(w->self, "runtime.", 8)))
		return true;
	if (w->callee && strcmp(w->callee, n))
		return false;
	/*
	 * A funcN is a real closure unless it only forwards: the go
	 * statement's own wrapper (Go < 1.22) keeps the go statement's
	 * line for its call; a closure's body sits on lines of its own.
	 */
	if (!w->gowrap && !same_line(w->b, w->entry, call_pc))
		return false;
	w->callee = n;
	return true;
}

/*
 * Direct calls (e8 rel32) landing exactly on a function entry, made by the
 * wrapper's own code (a call inside inlined code is the inlined function's).
 */
static bool wrapper_direct_calls(struct wrapper *w, const uint8_t *fn, uint64_t tree,
				 uint64_t next)
{
	const struct pclntab *t = &w->b->pcln;
	uint64_t e = w->entry, size = next - e;
	uint8_t code[WRAPPER_MAX_SIZE];

	if (size > sizeof(code) || go_binary__read(w->b, e, code, size))
		return false;
	for (uint64_t p = 0; p + 5 <= size; p++) {
		uint64_t target = e + p + 5 + (int64_t)(int32_t)rd32(code + p + 1), te, site;
		const uint8_t *tfn;
		const char *n, *inl;
		int64_t ti;

		if (code[p] != 0xe8 || (ti = find_func(t, target)) < 0 ||
		    !func_at(t, ti, &te, &tfn) || te != target || !(n = func_name(t, tfn)) ||
		    inlined_call_at(w->b, fn, tree, e, next, e + p, &inl, &site))
			continue;
		if (!wrapper_calls(w, n, e + p))
			return false;
	}
	return true;
}

/*
 * Calls the compiler inlined into the wrapper: the outermost one of every
 * range of its inline index table (the go statement's target when it was
 * small enough to inline, e.g. `go waiter(ch)` in pkg.f.gowrap1).
 */
static bool wrapper_inlined_calls(struct wrapper *w, const uint8_t *fn, uint64_t tree,
				  uint64_t next)
{
	const struct pclntab *t = &w->b->pcln;
	struct pcval_iter it;
	uint64_t start;
	int32_t ix;

	if (!tree || !pcval_begin(t, func_table(t, fn, false, PCDATA_INL_TREE_INDEX), w->entry, &it))
		return true;
	/* a wrapper has at most WRAPPER_MAX_SIZE bytes: no more ranges than that */
	for (int r = 0; r < WRAPPER_MAX_SIZE && pcval_next(t, &it, &start, &ix) && start < next; r++) {
		const char *name = NULL, *n;
		uint64_t pc = start, site;

		for (int depth = 0; depth < INL_DEPTH_MAX &&
		     inlined_call_at(w->b, fn, tree, w->entry, next, pc, &n, &site); depth++) {
			name = n;
			pc = site;
		}
		if (name && !wrapper_calls(w, name, pc))
			return false;
	}
	return true;
}

int go_binary__go_target(const struct go_binary *b, uint64_t entry, const char **name)
{
	const struct pclntab *t = &b->pcln;
	const uint8_t *fn;
	uint64_t e, next, tree;
	int64_t i = find_func(t, entry);
	struct wrapper w = { .b = b, .entry = entry };

	if (i < 0 || !func_at(t, i, &e, &fn) || e != entry || !(w.self = func_name(t, fn)))
		return -ENOENT;
	*name = w.self;
	if (!is_wrapper_name(w.self) || !func_at(t, i + 1, &next, NULL) || next <= e)
		return 0;
	w.gowrap = strstr(w.self, ".gowrap") != NULL;
	tree = inl_tree(b, fn);
	/* exactly one callee, called or inlined: the wrapper only forwards to it */
	if (wrapper_direct_calls(&w, fn, tree, next) && wrapper_inlined_calls(&w, fn, tree, next) &&
	    w.callee)
		*name = w.callee;
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
