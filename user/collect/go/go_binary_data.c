// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Go runtime's data in the executable: moduledata.gofunc (the base of
 * funcdata offsets) and runtime.waitReasonStrings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_binary_impl.h"

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

		if (!pcln__func_at(t, i, &entry, &fn) || !pcln__func_at(t, i + 1, &end, NULL) ||
		    !(tree = pcln__inl_tree(b, fn)))
			continue;
		bad = pcln__read_inl_call(b, tree, 0, &c) || !pcln__name_at(t, c.name_off) ||
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
		const uint8_t *p = go_binary__section_bytes(b, names[i], &len, NULL);

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

void go_binary__read_gofunc(struct go_binary *b)
{
	static const char *const syms[] = { "go:func.*", "go.func.*" };

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		const Elf64_Sym *s = go_binary__find_symbol(b, syms[i], STT_OBJECT);

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

void go_binary__free_wait_reasons(struct go_binary *b)
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
			go_binary__free_wait_reasons(b);
			return -ENOMEM;
		}
		b->n_wait_reasons = i + 1;
	}
	if (has_chan_receive && b->n_wait_reasons >= 16)
		return 0;
bad:
	go_binary__free_wait_reasons(b);
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

int go_binary__read_wait_reasons(struct go_binary *b)
{
	const Elf64_Sym *s = go_binary__find_symbol(b, "runtime.waitReasonStrings", STT_OBJECT);
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

