// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-ELF-file symbol tables. Not thread-safe: one resolver thread uses them. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/stacks/symtab.h"
#include "util/array.h"
#include "util/foreign_file.h"
#include "util/lru.h"
#include "util/mem_budget.h"
#include "util/strpool.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

struct load_seg {
	__u64 vaddr, memsz, off;
};

struct symtab {
	int refcnt;
	struct sym *syms;
	size_t nr;
	char *names;
	size_t names_bytes;
	struct load_seg *loads;
	size_t nr_loads;
	char build_id[SYMTAB_BUILD_ID_MAX * 2 + 1];
	bool debug_file;
	bool go;		/* has Go's function table (.gopclntab) */
	/* cache membership */
	struct lru_node lru;
	struct mem_budget *budget;	/* NULL: not cached, not accounted */
	struct mem_entry mem;
	dev_t dev;
	ino_t ino;
	off_t fsize;
	struct timespec mtime;
};

/* Symbols while parsing: names as offsets into a growing pool. */
struct raw_sym {
	size_t name_off;
	__u64 addr, size, sec_end;
	int rank;		/* higher wins among aliases */
};

struct builder {
	struct raw_sym *syms;
	size_t nr, cap;
	struct strpool names;
};

static int elf_ready(void)
{
	static int ready;

	if (!ready) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return -ENOTSUP;
		ready = 1;
	}
	return 0;
}

/* Among aliases prefer global over weak over local, then fewer leading
 * underscores, then the shorter name: "pthread_cond_wait" over
 * "__pthread_cond_wait". */
static int sym_rank(int bind, const char *name, size_t len)
{
	int b = bind == STB_GLOBAL ? 3 : bind == STB_WEAK ? 2 : 1;
	size_t us = strspn(name, "_");

	if (us > 7)
		us = 7;
	if (len > 4095)
		len = 4095;
	return (b << 16) | ((7 - (int)us) << 12) | (4095 - (int)len);
}

static int builder_add(struct builder *b, const char *name, const GElf_Sym *s,
		       __u64 sec_end)
{
	struct raw_sym *r;
	size_t len;
	int err;

	/* "pthread_cond_wait@@GLIBC_2.3.2" in .symtab: the version is noise */
	len = strcspn(name, "@");
	if (!len)
		return 0;
	if (ARRAY_RESERVE(b->syms, b->cap, b->nr + 1))
		return -ENOMEM;
	r = &b->syms[b->nr];
	err = strpool_add(&b->names, name, len, &r->name_off);
	if (err)
		return err;
	r->addr = s->st_value;
	r->size = s->st_size;
	r->sec_end = sec_end;
	r->rank = sym_rank(GELF_ST_BIND(s->st_info), name, len);
	b->nr++;
	return 0;
}

static bool keep_sym(Elf *elf, const GElf_Sym *s, const char *name, __u64 *sec_end)
{
	int type = GELF_ST_TYPE(s->st_info);
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (!name || !name[0] || s->st_value == 0)
		return false;
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE)
		return false;
	if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
		return false;
	scn = elf_getscn(elf, s->st_shndx);
	if (!scn || !gelf_getshdr(scn, &shdr))
		return false;
	/* untyped labels count only in code, and not the assembler's locals */
	if (type == STT_NOTYPE &&
	    (!(shdr.sh_flags & SHF_EXECINSTR) || name[0] == '.' || name[0] == '$'))
		return false;
	*sec_end = shdr.sh_addr + shdr.sh_size;
	return true;
}

static int read_symbols(Elf *elf, Elf_Scn *scn, struct builder *b)
{
	GElf_Shdr shdr;
	Elf_Data *data;
	size_t i, n, entsz;
	int err;

	if (!gelf_getshdr(scn, &shdr))
		return -ENOEXEC;
	data = elf_getdata(scn, NULL);
	entsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !entsz)
		return -ENOEXEC;
	n = data->d_size / entsz;
	for (i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;
		__u64 sec_end;

		if (!gelf_getsym(data, (int)i, &s))
			continue;
		name = elf_strptr(elf, shdr.sh_link, s.st_name);
		if (!keep_sym(elf, &s, name, &sec_end))
			continue;
		err = builder_add(b, name, &s, sec_end);
		if (err)
			return err;
	}
	return 0;
}

/* .symtab when present, else .dynsym (stripped file). */
static int read_elf_symbols(Elf *elf, struct builder *b, bool symtab_only)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_SYMTAB && !symtab)
			symtab = scn;
		else if (shdr.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = scn;
	}
	if (symtab)
		return read_symbols(elf, symtab, b);
	if (dynsym && !symtab_only)
		return read_symbols(elf, dynsym, b);
	return 0;
}

static bool note_build_id(Elf_Data *data, char *hex)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)data->d_buf + name_off, "GNU", 4) &&
		    nh.n_descsz > 0 && nh.n_descsz <= SYMTAB_BUILD_ID_MAX) {
			const unsigned char *d = (unsigned char *)data->d_buf + desc_off;
			size_t i;

			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", d[i]);
			return true;
		}
		off = next;
	}
	return false;
}

/* A Go executable: its function table is a section of its own (PIE: in .data.rel.ro). */
static bool has_gopclntab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab")))
			return true;
	}
	return false;
}

/* NT_GNU_BUILD_ID from a SHT_NOTE section, or from PT_NOTE when the
 * section headers are gone. */
static void read_build_id(Elf *elf, char *hex)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t i, n;

	hex[0] = '\0';
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (data && note_build_id(data, hex))
			return;
	}
	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *data;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (data && note_build_id(data, hex))
			return;
	}
}

static int read_loads(Elf *elf, struct symtab *st)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return 0;	/* no program headers: offsets cannot be mapped */
	st->loads = calloc(n ? n : 1, sizeof(*st->loads));
	if (!st->loads)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		st->loads[st->nr_loads].vaddr = ph.p_vaddr;
		st->loads[st->nr_loads].memsz = ph.p_memsz;
		st->loads[st->nr_loads].off = ph.p_offset;
		st->nr_loads++;
	}
	return 0;
}

static Elf *elf_open_fd(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);

	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

static void add_debug_symbols(const char *debug_root, const char *build_id,
			      struct builder *b, bool *found)
{
	char path[4096];
	Elf *elf;
	int fd, n;

	if (!debug_root[0] || strlen(build_id) < 4)
		return;
	n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug",
		     debug_root, build_id, build_id + 2);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	/* root's directory: a build-id file may be a link to the debug file */
	fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0);
	if (fd < 0)
		return;
	elf = elf_open_fd(fd);
	/* a bad debug file only costs the extra names */
	if (elf && read_elf_symbols(elf, b, true) == 0)
		*found = true;
	if (elf)
		elf_end(elf);
	close(fd);
}

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

/* Sort, merge aliases, and fix each symbol's covered range. */
static int finish_symbols(struct builder *b, struct symtab *st)
{
	size_t i, w;

	if (b->nr)
		qsort(b->syms, b->nr, sizeof(*b->syms), raw_cmp);
	for (i = 0, w = 0; i < b->nr; i++) {
		struct raw_sym *r = &b->syms[i];

		if (w && b->syms[w - 1].addr == r->addr) {
			/* best name came first; keep the widest size */
			if (r->size > b->syms[w - 1].size)
				b->syms[w - 1].size = r->size;
			if (r->sec_end > b->syms[w - 1].sec_end)
				b->syms[w - 1].sec_end = r->sec_end;
			continue;
		}
		b->syms[w++] = *r;
	}
	b->nr = w;
	st->syms = calloc(w ? w : 1, sizeof(*st->syms));
	if (!st->syms)
		return -ENOMEM;
	st->names_bytes = b->names.cap;
	st->names = strpool_take(&b->names);
	for (i = 0; i < w; i++) {
		struct raw_sym *r = &b->syms[i];
		struct sym *s = &st->syms[i];
		__u64 next = i + 1 < w ? b->syms[i + 1].addr : UINT64_MAX;

		s->name = st->names + r->name_off;
		s->addr = r->addr;
		s->size = r->size;
		if (r->size)
			s->end = r->addr + r->size;
		else if (r->sec_end > r->addr)
			s->end = next < r->sec_end ? next : r->sec_end;
		else
			s->end = next != UINT64_MAX ? next : r->addr + 1;
	}
	st->nr = w;
	return 0;
}

static void symtab__destroy(struct symtab *st)
{
	if (st->budget)
		mem_budget__remove(st->budget, &st->mem);
	free(st->syms);
	free(st->names);
	free(st->loads);
	free(st);
}

static int symtab__open_fd(int fd, const char *debug_root, struct symtab **out)
{
	struct builder b = {};
	struct symtab *st;
	Elf *elf;
	int err;

	err = elf_ready();
	if (err)
		return err;
	elf = elf_open_fd(fd);
	if (!elf)
		return -ENOEXEC;
	st = calloc(1, sizeof(*st));
	if (!st) {
		elf_end(elf);
		return -ENOMEM;
	}
	st->refcnt = 1;
	read_build_id(elf, st->build_id);
	st->go = has_gopclntab(elf);
	err = read_loads(elf, st);
	if (!err)
		err = read_elf_symbols(elf, &b, false);
	elf_end(elf);
	if (!err && st->build_id[0])
		add_debug_symbols(debug_root ? debug_root : SYMTAB_DEBUG_ROOT,
				  st->build_id, &b, &st->debug_file);
	if (!err)
		err = finish_symbols(&b, st);
	free(b.syms);
	strpool_free(&b.names);
	if (err) {
		symtab__destroy(st);
		return err;
	}
	*out = st;
	return 0;
}

int symtab__open(const char *path, const char *debug_root, struct symtab **out)
{
	int fd, err;

	fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0);
	if (fd < 0)
		return fd;
	err = symtab__open_fd(fd, debug_root, out);
	close(fd);
	return err;
}

int elf_file_build_id(const char *path, char *hex, size_t len)
{
	char id[SYMTAB_BUILD_ID_MAX * 2 + 1];
	int fd, err = -ENOENT;
	Elf *elf;

	if (len < sizeof(id))
		return -EINVAL;
	hex[0] = '\0';
	fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0);
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		read_build_id(elf, id);
		if (id[0]) {
			memcpy(hex, id, sizeof(id));
			err = 0;
		}
	} else {
		err = -ENOEXEC;
	}
	elf_end(elf);
	close(fd);
	return err;
}

void symtab__get(struct symtab *st)
{
	st->refcnt++;
}

void symtab__put(struct symtab *st)
{
	if (st && --st->refcnt == 0)
		symtab__destroy(st);
}

const struct sym *symtab__find(const struct symtab *st, __u64 vaddr)
{
	size_t lo = 0, hi, i;

	if (!st || !st->nr || vaddr < st->syms[0].addr)
		return NULL;
	hi = st->nr;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	/* a short symbol nested in a longer one: the outer may still cover */
	for (i = 0; i < 4 && i <= lo; i++)
		if (vaddr < st->syms[lo - i].end)
			return &st->syms[lo - i];
	return NULL;
}

int symtab__off_to_vaddr(const struct symtab *st, __u64 off, __u64 *vaddr)
{
	size_t i;

	for (i = 0; i < st->nr_loads; i++) {
		const struct load_seg *l = &st->loads[i];

		if (off >= l->off && off - l->off < l->memsz) {
			*vaddr = l->vaddr + (off - l->off);
			return 0;
		}
	}
	return -ENOENT;
}

bool symtab__is_go(const struct symtab *st)
{
	return st->go;
}

const char *symtab__build_id(const struct symtab *st)
{
	return st->build_id;
}

size_t symtab__count(const struct symtab *st)
{
	return st->nr;
}

bool symtab__has_debug_file(const struct symtab *st)
{
	return st->debug_file;
}

struct symtab_cache {
	struct lru files;
	size_t max;
	char *debug_root;
	struct mem_budget *budget;
	int budget_id;
};

static uint64_t symtab_bytes(const struct symtab *st)
{
	return sizeof(*st) + st->nr * sizeof(*st->syms) + st->names_bytes +
	       st->nr_loads * sizeof(*st->loads);
}

static void cache_drop(struct symtab_cache *c, struct lru_node *e);

/* Over the budget: the cache lets go; processes using the table keep it
 * (and its bytes counted) until they are dropped too. */
static void evict_symtab(struct mem_entry *me, void *ctx)
{
	struct symtab *st = (struct symtab *)((char *)me - offsetof(struct symtab, mem));

	cache_drop(ctx, &st->lru);
}

struct symtab_cache *symtab_cache__new(size_t max_files, const char *debug_root)
{
	struct symtab_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max = max_files ? max_files : 1;
	c->debug_root = strdup(debug_root ? debug_root : SYMTAB_DEBUG_ROOT);
	if (!c->debug_root) {
		free(c);
		return NULL;
	}
	c->budget = mem_budget__shared();
	c->budget_id = mem_budget__register(c->budget, "symtab", evict_symtab, c);
	return c;
}

static void cache_drop(struct symtab_cache *c, struct lru_node *e)
{
	struct symtab *st = lru_entry(e, struct symtab, lru);

	lru_unlink(&c->files, e);
	if (st->budget)
		mem_budget__unlist(st->budget, &st->mem);
	symtab__put(st);
}

void symtab_cache__free(struct symtab_cache *c)
{
	if (!c)
		return;
	while (c->files.head)
		cache_drop(c, c->files.head);
	mem_budget__unregister(c->budget, c->budget_id);
	free(c->debug_root);
	free(c);
}

static bool same_file(const struct symtab *st, const struct stat *sb)
{
	return st->dev == sb->st_dev && st->ino == sb->st_ino &&
	       st->fsize == sb->st_size &&
	       st->mtime.tv_sec == sb->st_mtim.tv_sec &&
	       st->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

int symtab_cache__open(struct symtab_cache *c, const char *path, unsigned open_flags,
		       struct symtab **out)
{
	struct symtab *st;
	struct stat sb;
	int fd, err;

	fd = foreign_open(path, FOREIGN_ELF, open_flags, &sb, NULL, 0);
	if (fd == -EINVAL || fd == -EFBIG)
		return -ENOEXEC;	/* no file we read, by any path */
	if (fd < 0)
		return fd;
	for (struct lru_node *e = c->files.head; e; e = e->next) {
		st = lru_entry(e, struct symtab, lru);
		if (!same_file(st, &sb))
			continue;
		lru_touch(&c->files, e);
		if (st->budget)
			mem_budget__touch(st->budget, &st->mem);
		symtab__get(st);
		*out = st;
		err = 0;
		goto out;
	}
	err = symtab__open_fd(fd, c->debug_root, &st);
	if (err)
		goto out;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->fsize = sb.st_size;
	st->mtime = sb.st_mtim;
	lru_push(&c->files, &st->lru);	/* the cache's reference */
	if (c->budget_id >= 0) {
		st->budget = c->budget;
		mem_budget__add(c->budget, &st->mem, c->budget_id, symtab_bytes(st));
	}
	while (c->files.n > c->max)
		cache_drop(c, c->files.tail);
	symtab__get(st);
	*out = st;
out:
	close(fd);
	return err;
}

size_t symtab_cache__count(const struct symtab_cache *c)
{
	return c->files.n;
}
