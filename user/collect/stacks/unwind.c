// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* User stack unwinding with libdwfl from captured registers and stack bytes.
 * Registers come from arch.h (the set struct lt_stack_rec saves). */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/stacks/unwind.h"
#include "model/frame.h"
#include "util/clock.h"
#include "collect/procfs/procfs.h"
#include "collect/procfs/procmem.h"
#include "util/foreign_file.h"
#include "util/lru.h"
#include "util/mem_budget.h"

#define PROC_BUCKETS		1024
#define REFRESH_MIN_NS		100000000ULL	/* re-read maps on a miss at most 10/s */
#define DELETED_SUFFIX		" (deleted)"
/* libdwfl's own structures of a process beside the files it maps */
#define PROC_BASE_BYTES		(64 << 10)

struct umap {
	__u64 start, end, off;
	int file;
};

/* One mapped file: the unit libdwfl reports as a module. */
struct ufile {
	char *path;		/* as in maps */
	__u64 low, high;	/* first and last byte+1 mapped */
	unsigned int dev_major, dev_minor;
	__u64 ino;
	struct symtab *symtab;
	bool tried;		/* symtab open attempted */
};

struct proc {
	int pid;
	struct procmem memory;	/* /proc/PID/mem, pinning the mm it was opened on */
	struct unwinder *u;
	Dwfl *dwfl;
	bool attached;
	__u64 maps_hash;
	__u64 refreshed_ns;
	struct umap *maps;
	size_t nr_maps;
	struct ufile *files;
	size_t nr_files;
	const struct lt_stack_rec *rec;	/* during one unwind */
	struct proc *hnext;
	struct lru_node lru;
	/* what libdwfl mmaps or reads: the ELF files it opened, whole */
	__u64 elf_bytes;
	struct mem_entry mem;
};

struct walk {
	struct uframe *f;
	int n, max;
};

struct unwinder {
	struct unwind_opts opts;
	struct symtab_cache *symtabs;
	Dwfl_Callbacks dwfl_cbs;
	char *debug_root;	/* of build-id debug files */
	Elf *arch_elf;		/* tells libdwfl the machine: x86-64 */
	Elf64_Ehdr arch_ehdr;
	struct proc *buckets[PROC_BUCKETS];
	struct lru procs;
	struct mem_budget *budget;
	int budget_id;
	struct proc *last;	/* of the last unwind: unwinder__source() */
};

static __u64 fnv1a(__u64 h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void proc_clear_maps(struct proc *p)
{
	size_t i;

	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->dwfl = NULL;
	p->attached = false;
	p->elf_bytes = 0;
	for (i = 0; i < p->nr_files; i++) {
		symtab__put(p->files[i].symtab);
		free(p->files[i].path);
	}
	free(p->files);
	free(p->maps);
	p->files = NULL;
	p->maps = NULL;
	p->nr_files = p->nr_maps = 0;
}

static int proc_add_file(struct proc *p, const char *path, unsigned int maj,
			 unsigned int min, __u64 ino, __u64 start, __u64 end)
{
	struct ufile *uf;
	size_t i;
	void *np;

	for (i = 0; i < p->nr_files; i++) {
		uf = &p->files[i];
		if (uf->ino == ino && uf->dev_major == maj && uf->dev_minor == min &&
		    !strcmp(uf->path, path)) {
			if (end > uf->high)
				uf->high = end;
			return (int)i;
		}
	}
	np = realloc(p->files, (p->nr_files + 1) * sizeof(*p->files));
	if (!np)
		return -ENOMEM;
	p->files = np;
	uf = &p->files[p->nr_files];
	memset(uf, 0, sizeof(*uf));
	uf->path = strdup(path);
	if (!uf->path)
		return -ENOMEM;
	uf->low = start;
	uf->high = end;
	uf->dev_major = maj;
	uf->dev_minor = min;
	uf->ino = ino;
	return (int)p->nr_files++;
}

/* One maps line, NUL-terminated: 0 and its fields for a file mapping,
 * -ENOENT for anything else (anonymous, special, malformed). */
static int parse_maps_line(char *line, struct umap *m, unsigned int *maj,
			   unsigned int *min, __u64 *ino, char **path)
{
	unsigned long long start, end, off, inode;
	int n = 0;

	if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &start, &end, &off,
		   maj, min, &inode, &n) < 6 || n <= 0 || start >= end)
		return -ENOENT;
	*path = line + n;
	if ((*path)[0] != '/' || (!inode && !*maj && !*min))
		return -ENOENT;
	m->start = start;
	m->end = end;
	m->off = off;
	*ino = inode;
	return 0;
}

static int proc_add_map(struct proc *p, size_t *cap, const struct umap *m)
{
	if (p->nr_maps == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *np = realloc(p->maps, ncap * sizeof(*m));

		if (!np)
			return -ENOMEM;
		p->maps = np;
		*cap = ncap;
	}
	p->maps[p->nr_maps++] = *m;
	return 0;
}

/* File mappings of a maps text; anonymous ones never change symbols, so
 * only file lines go into the hash. buf is left as it was. */
static int proc_parse_maps(struct proc *p, char *buf)
{
	size_t cap = 0;
	char *line, *nl;
	int err = 0;

	p->maps_hash = 0xcbf29ce484222325ULL;
	for (line = buf; *line && !err; line = nl + 1) {
		unsigned int maj, min;
		struct umap m;
		char *path;
		__u64 ino;
		bool last;

		nl = strchr(line, '\n');
		last = !nl;
		if (last)
			nl = line + strlen(line);
		*nl = '\0';	/* sscanf would strlen the whole rest otherwise */
		if (!parse_maps_line(line, &m, &maj, &min, &ino, &path)) {
			p->maps_hash = fnv1a(p->maps_hash, line, nl - line);
			m.file = proc_add_file(p, path, maj, min, ino, m.start, m.end);
			err = m.file < 0 ? m.file : proc_add_map(p, &cap, &m);
		}
		if (last)
			break;
		*nl = '\n';
	}
	return err;
}

/* Paths to try for a mapped file: the mapping itself (right inode even when
 * deleted or replaced), then through the process's root (containers), then
 * the plain path. Returns false when there is no candidate number i. */
static bool file_candidate(const struct proc *p, const struct ufile *uf, int i,
			   char *buf, size_t size)
{
	size_t len = strlen(uf->path), sl = strlen(DELETED_SUFFIX);
	bool deleted = len > sl && !strcmp(uf->path + len - sl, DELETED_SUFFIX);
	int n;

	if (deleted)
		len -= sl;
	switch (i) {
	case 0: {
		const struct umap *m = NULL;
		size_t k;

		for (k = 0; k < p->nr_maps && !m; k++)
			if (&p->files[p->maps[k].file] == uf)
				m = &p->maps[k];
		if (!m)
			return false;
		n = procfs__pathf(buf, size, p->pid, "map_files/%llx-%llx",
				  (unsigned long long)m->start, (unsigned long long)m->end);
		break;
	}
	case 1:
		n = procfs__pathf(buf, size, p->pid, "root%.*s", (int)len, uf->path);
		break;
	case 2:
		if (deleted)
			return false;
		n = snprintf(buf, size, "%s", uf->path);
		break;
	default:
		return false;
	}
	return n > 0 && (size_t)n < size;
}

/* map_files/ is the kernel's link to the mapping's file: followed; a path
 * from maps names the file itself, so a link there is not it */
static unsigned candidate_flags(int i)
{
	return i == 0 ? FOREIGN_FOLLOW : 0;
}

static struct ufile *file_by_low(struct proc *p, __u64 low)
{
	size_t i;

	for (i = 0; i < p->nr_files; i++)
		if (p->files[i].low == low)
			return &p->files[i];
	return NULL;
}

/* Dwfl_Callbacks.find_elf: open the mapped file ourselves so deleted and
 * containerised binaries work; hand libdwfl an Elf without an fd so a
 * cached process costs no descriptors. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct proc *p = *userdata;
	struct ufile *uf = p ? file_by_low(p, base) : NULL;
	char path[4200];
	struct stat sb;
	Elf *elf;
	int i, fd = -1;

	if (!uf)
		return -1;
	/* a mapped device or a FIFO swapped in: refused, never opened */
	for (i = 0; fd < 0 && file_candidate(p, uf, i, path, sizeof(path)); i++)
		fd = foreign_open(path, FOREIGN_ELF, candidate_flags(i), &sb, NULL, 0);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_cntl(elf, ELF_C_FDREAD)) {
		elf_end(elf);
		elf = NULL;
	}
	close(fd);
	if (!elf)
		return -1;
	p->elf_bytes += (__u64)sb.st_size;
	*file_name = strdup(path);
	*elfp = elf;
	return -1;
}

static int set_module_proc(Dwfl_Module *mod, void **userdata, const char *name,
			   Dwarf_Addr start, void *arg)
{
	*userdata = arg;
	return DWARF_CB_OK;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct proc *p = arg;

	if (*thread_argp || !p->rec)
		return 0;
	*thread_argp = p;
	return p->rec->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct proc *p = arg;

	if (!p->rec || (pid_t)p->rec->tid != tid)
		return false;
	*thread_argp = p;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct lt_stack_rec *r = ((struct proc *)arg)->rec;
	Dwarf_Word regs[LT_ARCH_DWARF_NREGS] = LT_ARCH_DWARF_REGS(r);

	dwfl_thread_state_register_pc(thread, r->ip);
	return dwfl_thread_state_registers(thread, 0, LT_ARCH_DWARF_NREGS, regs);
}

/* The captured copy first: it is what the stack was at capture time, while
 * the live stack may have moved on. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct proc *p = arg;
	const struct lt_stack_rec *r = p->rec;
	__u64 len;

	if (r) {
		len = r->ustack_len < LT_USTACK_BYTES ? r->ustack_len : LT_USTACK_BYTES;
		if (addr >= r->sp && addr - r->sp <= len &&
		    len - (addr - r->sp) >= sizeof(*result)) {
			memcpy(result, r->ustack + (addr - r->sp), sizeof(*result));
			return true;
		}
	}
	return !procmem__read(&p->memory, addr, result, sizeof(*result));
}

/* Dwfl_Callbacks.find_debuginfo: the build-id file under the debug root
 * only (no debuglink search, no debuginfod network fetch from a tracer),
 * opened as a foreign file so a FIFO or device there is refused, not
 * waited on (libdwfl's own lookup opens it blocking). libdwfl owns the
 * descriptor and checks the build-id. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct proc *p = *userdata;
	const unsigned char *id;
	GElf_Addr vaddr;
	char path[4200];
	int n, len, fd;

	(void)modname, (void)base, (void)file_name, (void)debuglink_file, (void)debuglink_crc;
	n = dwfl_module_build_id(mod, &id, &vaddr);
	if (!p || n < 2 || n > SYMTAB_BUILD_ID_MAX)
		return -1;
	len = snprintf(path, sizeof(path), "%s/.build-id/%02x/", p->u->debug_root, id[0]);
	for (int i = 1; i < n && len > 0 && (size_t)len < sizeof(path); i++)
		len += snprintf(path + len, sizeof(path) - len, "%02x", id[i]);
	if (len <= 0 || (size_t)len + sizeof(".debug") > sizeof(path))
		return -1;
	strcpy(path + len, ".debug");
	fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0);
	if (fd < 0)
		return -1;
	*debuginfo_file_name = strdup(path);
	return fd;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int proc_build_dwfl(struct proc *p, char *maps, size_t len)
{
	FILE *f;
	int err;

	p->dwfl = dwfl_begin(&p->u->dwfl_cbs);
	if (!p->dwfl)
		return -ENOMEM;
	dwfl_report_begin(p->dwfl);
	/* our own copy of maps, so modules and p->files agree */
	f = fmemopen(maps, len, "r");
	if (!f)
		return -errno;
	err = dwfl_linux_proc_maps_report(p->dwfl, f);
	fclose(f);
	if (dwfl_report_end(p->dwfl, NULL, NULL) || err)
		return err > 0 ? -err : -EINVAL;
	dwfl_getmodules(p->dwfl, set_module_proc, p, 0);
	/* unattached, the process still gets address-only frame 0 */
	p->attached = dwfl_attach_state(p->dwfl, p->u->arch_elf, p->pid,
					&thread_cbs, p);
	return 0;
}

/* Re-read maps; rebuild everything when the file mappings changed. Returns
 * 1 when rebuilt, 0 when unchanged, -errno. */
static int proc_refresh(struct proc *p)
{
	struct proc tmp = { .pid = p->pid };
	char *buf = NULL;
	size_t len = 0;
	int err;

	p->refreshed_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
	err = procfs__read(p->pid, 0, "maps", &buf, &len);
	if (err)
		return err;
	if (!len) {
		free(buf);
		return -ESRCH;	/* zombie or kernel thread */
	}
	err = proc_parse_maps(&tmp, buf);
	if (err || (p->dwfl && tmp.maps_hash == p->maps_hash)) {
		proc_clear_maps(&tmp);
		free(buf);
		return err;
	}
	proc_clear_maps(p);
	p->maps_hash = tmp.maps_hash;
	p->maps = tmp.maps;
	p->nr_maps = tmp.nr_maps;
	p->files = tmp.files;
	p->nr_files = tmp.nr_files;
	/* without a Dwfl, frame 0 still gets its file and offset */
	err = proc_build_dwfl(p, buf, len);
	free(buf);
	if (err && p->dwfl) {
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
		p->attached = false;
	}
	return err ? err : 1;
}

static void proc_free(struct proc *p)
{
	proc_clear_maps(p);
	procmem__close(&p->memory);
	free(p);
}

static struct proc **proc_slot(struct unwinder *u, int pid)
{
	struct proc **pp = &u->buckets[(unsigned int)pid % PROC_BUCKETS];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->hnext;
	return pp;
}

static void proc_drop(struct unwinder *u, struct proc *p)
{
	struct proc **pp = proc_slot(u, p->pid);

	if (*pp == p)
		*pp = p->hnext;
	lru_unlink(&u->procs, &p->lru);
	mem_budget__remove(u->budget, &p->mem);
	proc_free(p);
}

static void evict_proc(struct mem_entry *me, void *ctx)
{
	proc_drop(ctx, (struct proc *)((char *)me - offsetof(struct proc, mem)));
}

/* Bytes a process costs: the files libdwfl opened for it, its maps. */
static void proc_account(struct unwinder *u, struct proc *p)
{
	__u64 bytes = PROC_BASE_BYTES + p->elf_bytes + p->nr_maps * sizeof(*p->maps) +
		      p->nr_files * (sizeof(*p->files) + 64);

	mem_budget__resize(u->budget, &p->mem, bytes);
}

static int proc_new(struct unwinder *u, int pid, struct proc **out)
{
	struct proc *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->u = u;
	p->mem.cache = -1;
	/* opened once: it pins this mm, so reads return 0 after exit or exec */
	err = procmem__open(&p->memory, pid, PROCMEM_PREAD);
	if (err) {
		free(p);
		return err;
	}
	err = proc_refresh(p);
	if (err < 0) {
		proc_free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* Still the same address space? A read through our /proc/PID/mem returns 0
 * bytes once the mm it was opened on is gone: the process exited, exec'ed,
 * or the pid now belongs to another process. -EIO (unmapped) is fine. */
static bool proc_same_mm(const struct proc *p, const struct lt_stack_rec *rec)
{
	return procmem__same_mm(&p->memory, rec->sp);
}

static int proc_get(struct unwinder *u, const struct lt_stack_rec *rec,
		    struct proc **out)
{
	int pid = (int)rec->tgid, err;
	struct proc *p = *proc_slot(u, pid);

	if (p && !proc_same_mm(p, rec)) {
		proc_drop(u, p);
		p = NULL;
	}
	if (!p) {
		err = proc_new(u, pid, &p);
		if (err)
			return err;
		*proc_slot(u, pid) = p;
		lru_push(&u->procs, &p->lru);
		mem_budget__add(u->budget, &p->mem, u->budget_id, 0);
		if (u->procs.n > (size_t)u->opts.max_procs)
			proc_drop(u, lru_entry(u->procs.tail, struct proc, lru));
	} else {
		lru_touch(&u->procs, &p->lru);
		mem_budget__touch(u->budget, &p->mem);
	}
	*out = p;
	return 0;
}

static int walk_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool act;

	if (!dwfl_frame_pc(state, &pc, &act) || !pc)
		return DWARF_CB_ABORT;
	w->f[w->n].pc = pc;
	w->f[w->n].activation = act;
	w->n++;
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int unwind_pcs(struct proc *p, const struct lt_stack_rec *rec,
		      struct uframe *f, int max)
{
	struct walk w = { .f = f, .max = max };

	if (p->attached) {
		p->rec = rec;
		/* an error only ends the walk: frames so far are kept */
		dwfl_getthread_frames(p->dwfl, (pid_t)rec->tid, walk_frame, &w);
		p->rec = NULL;
	}
	if (!w.n) {
		f[0].pc = rec->ip;
		f[0].activation = true;
		w.n = 1;
	}
	return w.n;
}

static const struct umap *find_map(const struct proc *p, __u64 addr)
{
	size_t lo = 0, hi = p->nr_maps;

	/* maps lists mappings in address order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < p->maps[mid].start)
			hi = mid;
		else if (addr >= p->maps[mid].end)
			lo = mid + 1;
		else
			return &p->maps[mid];
	}
	return NULL;
}

static struct symtab *file_symtab(struct proc *p, struct ufile *uf)
{
	char path[4200];
	int i, err = -ENOENT;

	if (uf->tried)
		return uf->symtab;
	uf->tried = true;
	for (i = 0; err < 0 && err != -ENOEXEC &&
		    file_candidate(p, uf, i, path, sizeof(path)); i++)
		err = symtab_cache__open(p->u->symtabs, path, candidate_flags(i), &uf->symtab);
	if (err)
		uf->symtab = NULL;
	return uf->symtab;
}

/* The source file and line of f's lookup_pc from the module's DWARF line
 * table, when it has one (a -g build, or a debug file under debug_root). */
static void locate_source(struct proc *p, struct uframe *f)
{
	Dwfl_Module *mod = p->dwfl ? dwfl_addrmodule(p->dwfl, f->lookup_pc) : NULL;
	Dwfl_Line *line = mod ? dwfl_module_getsrc(mod, f->lookup_pc) : NULL;

	const char *dir;

	f->src_file = line ? dwfl_lineinfo(line, NULL, &f->src_line, NULL, NULL, NULL) : NULL;
	if (!f->src_file || f->src_line <= 0) {
		f->src_file = NULL;
		f->src_line = 0;
		return;
	}
	/* a relative name is relative to the unit's compile directory */
	dir = f->src_file[0] != '/' ? dwfl_line_comp_dir(line) : NULL;
	if (dir && (size_t)snprintf(f->src_path, sizeof(f->src_path), "%s/%s", dir,
				    f->src_file) < sizeof(f->src_path))
		f->src_file = f->src_path;
}

/* Returns the number of frames in no file mapping. */
static int locate_frames(struct proc *p, struct uframe *f, int n)
{
	int i, misses = 0;

	for (i = 0; i < n; i++) {
		const struct umap *m;
		struct ufile *uf;

		f[i].lookup_pc = f[i].pc - (f[i].activation ? 0 : 1);
		m = find_map(p, f[i].lookup_pc);
		if (!m) {
			f[i].path = NULL;
			f[i].file_off = 0;
			f[i].symtab = NULL;
			f[i].src_file = NULL;
			f[i].src_line = 0;
			misses++;
			continue;
		}
		uf = &p->files[m->file];
		f[i].path = uf->path;
		f[i].file_off = f[i].lookup_pc - m->start + m->off;
		f[i].symtab = file_symtab(p, uf);
		f[i].src_file = NULL;
		f[i].src_line = 0;
	}
	return misses;
}

int unwinder__unwind(struct unwinder *u, const struct lt_stack_rec *rec,
		     struct uframe *frames, int max)
{
	struct proc *p;
	int n, err;

	if (!u || !rec || !frames || max <= 0)
		return -EINVAL;
	u->last = NULL;
	err = proc_get(u, rec, &p);
	if (err)
		return err;
	n = unwind_pcs(p, rec, frames, max);
	/* a frame in no file: a library loaded since we read maps (the unwind
	 * may also have stopped there for want of its CFI), or JIT code */
	if (locate_frames(p, frames, n) &&
	    clock_ns(CLOCK_MONOTONIC_COARSE) - p->refreshed_ns >= REFRESH_MIN_NS &&
	    proc_refresh(p) > 0) {
		n = unwind_pcs(p, rec, frames, max);
		locate_frames(p, frames, n);
	}
	proc_account(u, p);
	u->last = p;
	return n;
}

void unwinder__source(struct unwinder *u, struct uframe *f)
{
	f->src_file = NULL;
	f->src_line = 0;
	/* the runtimes' debug files (libc, python, node) cost tens of MB of
	 * line tables; Go code has its lines in .gopclntab */
	if (!u || !u->last || !f->path || frame__module_is_runtime(f->path) ||
	    (f->symtab && symtab__is_go(f->symtab)))
		return;
	locate_source(u->last, f);
}

void unwinder__forget(struct unwinder *u, int pid)
{
	struct proc *p = u ? *proc_slot(u, pid) : NULL;

	if (p)
		proc_drop(u, p);
}

int unwinder__nr_procs(const struct unwinder *u)
{
	return u->procs.n;
}

struct unwinder *unwinder__new(const struct unwind_opts *opts)
{
	struct unwinder *u;
	Elf64_Ehdr *eh;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOTSUP;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	if (opts)
		u->opts = *opts;
	if (u->opts.max_procs <= 0)
		u->opts.max_procs = 256;
	if (u->opts.max_files <= 0)
		u->opts.max_files = 1024;
	u->symtabs = symtab_cache__new(u->opts.max_files, u->opts.debug_root);
	if (!u->symtabs)
		goto err;
	u->budget = mem_budget__shared();
	u->budget_id = mem_budget__register(u->budget, "unwind", evict_proc, u);
	u->debug_root = strdup(u->opts.debug_root ? u->opts.debug_root : SYMTAB_DEBUG_ROOT);
	if (!u->debug_root)
		goto err;
	u->dwfl_cbs.find_elf = find_elf;
	u->dwfl_cbs.find_debuginfo = find_debuginfo;

	eh = &u->arch_ehdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = LT_ARCH_ELF_MACHINE;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	u->arch_elf = elf_memory((char *)eh, sizeof(*eh));
	if (!u->arch_elf)
		goto err;
	return u;
err:
	unwinder__free(u);
	errno = ENOMEM;
	return NULL;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	while (u->procs.head)
		proc_drop(u, lru_entry(u->procs.head, struct proc, lru));
	if (u->budget)
		mem_budget__unregister(u->budget, u->budget_id);
	if (u->arch_elf)
		elf_end(u->arch_elf);
	symtab_cache__free(u->symtabs);
	free(u->debug_root);
	free(u);
}
