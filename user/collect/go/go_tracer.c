// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Goroutine tracing for one Go process: walks of runtime.allgs (+ uprobes with --precise). */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "goroutines.h"
#include "goroutines.skel.h"
#include "collect/go/go_binary.h"
#include "collect/go/go_heap.h"
#include "collect/go/go_offsets.h"
#include "collect/go/go_timers.h"
#include "collect/go/go_tracer.h"
#include "collect/procfs/procfs.h"
#include "collect/procfs/procmem.h"
#include "util/arena.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/foreign_file.h"
#include "util/hash.h"

#define MAX_ALLGS		(1u << 20)	/* goroutines read per walk; the rest counted */
#define MAX_SEMA_NODES		(1u << 16)	/* sudogs visited in the semaphore table */
#define SEMTAB_SIZE		251		/* runtime/sema.go semTabSize */
#define SEMTAB_STRIDE		64		/* semaRoot padded to a cache line */
#define SEMAROOT_TREAP		8		/* semaRoot.treap, after the mutex word */
#define DEFAULT_MAX_STACK	64
/* Budget of one snapshot (one process, one report): a forged allgs of 2^20
 * slots all pointing at parked gs with deep stacks took 64 s and 1.3 GB of
 * JSON per report before. What is left when one runs out is cut. */
#define SNAPSHOT_BUDGET_NS	2000000000ULL
#define MAX_PARKED_READ		(1u << 17)	/* parked goroutines kept */
#define MAX_FRAMES_READ		(1u << 21)	/* stack frames kept, all goroutines */
#define G_READ_MAX		1024
#define SUDOG_READ_MAX		128	/* the sudog fields the semaphore walk reads */
#define G_CHUNK			512		/* g structs read per batch */
#define STACK_READ_MAX		(64u * 1024)	/* bytes of one stack read, from sched.sp up */
#define STACK_BATCH_BYTES	(1u << 20)	/* stack bytes read per batch */
#define TEXT_ARENA_MAX		(64u << 20)	/* interned texts per tracer */

/*
 * Texts derived from a pc (frames, creation site, start function, system
 * flag), interned per tracer: 100,000 goroutines share a few hundred pcs,
 * and each lookup decodes pc tables. A frame pc can stand for several
 * frames (inlined calls), so every entry is a list of texts. Open
 * addressing; when a probe run is full the texts are interned uncached.
 */
#define PC_CACHE_SIZE	(1u << 15)
#define PC_CACHE_PROBES	16
#define PC_MAX_TEXTS	8		/* inlined frames shown for one pc, and its function */

enum pc_kind { PC_FRAME, PC_RET_FRAME, PC_CREATED_BY, PC_START, PC_SYSTEM, PC_KINDS };

struct pc_text {
	uint64_t key;			/* pc * PC_KINDS + kind + 1; 0 = empty */
	const void *items;		/* texts (const char *) or, for PC_FRAME and
					 * PC_RET_FRAME, frames: in the tracer's arena */
	uint32_t n;
};

/*
 * The park a g of allgs was last seen in, at the same index as the g in
 * allgs (allgs only grows: a g keeps its index for the process's life).
 * The key is what changes when a goroutine parks anew: its goid, wait
 * reason, saved pc and sp, and trackingSeq (bumped on every switch out of
 * running, so a wake-up and a new park at the same place change it too).
 * Only waiting gs have one (g_addr != 0). What a park's goroutine record
 * needs (stack, wait object, texts) is read once, when first reported.
 */
struct park {
	uint64_t g_addr;		/* 0 = no park known at this index */
	uint64_t goid, pc, sp;
	uint8_t reason, seq;
	bool estimated;			/* already parked when first walked */
	bool filled;			/* stack and wait object read */
	bool system;
	bool timer_case;		/* a timer's channel among its waits: it wakes */
	uint64_t since_ns;		/* first seen, or the gopark probe's stamp */
	uint64_t wait_object;
	const char *created_by, *start_func;
	const struct frame **stack;	/* exact size, frames in the arena */
	int stack_len;
	uint64_t memo[2];		/* the consumer's, see struct go_goroutine */
};

static void free_tracer_memory(struct go_tracer *t);

struct go_tracer {
	int pid;
	struct procmem mem;		/* the reader seam: tests/fuzz/fuzz_go_runtime.c */
	struct go_binary *bin;
	struct go_offsets off;
	struct goroutines_bpf *skel;	/* --precise only */
	struct bpf_link *links[3];
	bool precise;
	bool counts_known;
	uint64_t bias;			/* runtime address - link-time address */
	uint64_t allgs;			/* runtime address of the []*g header */
	const char *allgs_source;
	uint64_t semtable;		/* runtime address of runtime.semtable, 0 = unknown */
	bool hchan_timer;		/* Go 1.23+: hchan.timer marks a timer's channel */
	uint64_t attach_ns;		/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns */
	int max_stack;
	bool verbose;
	bool unverified;		/* newest table on a newer Go: check the first walk */
	bool leak_status;		/* Go 1.26+: _Gleaked exists */
	const char *wait_reasons_source;
	char offsets_check[320];	/* DWARF vs table, for -v */
	char wait_reasons_check[160];	/* binary vs table, for -v */
	struct pc_text *pcs;		/* PC_CACHE_SIZE slots, NULL until first use */
	struct arena texts;		/* every text handed out: frames, sites, reasons */
	const char *reasons[256];	/* wait reason texts, interned on first use */
	struct park *parks;		/* by allgs index */
	size_t n_parks;
	bool walked;			/* a first walk recorded the parks at attach */
	uint64_t last_walk_ns;		/* when the last walk read the gs */
	size_t last_parked;		/* records of the last snapshot */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int read_mem(const struct go_tracer *t, uint64_t addr, void *buf, size_t len)
{
	return procmem__read(&t->mem, addr, buf, len);
}

static int read_u64(const struct go_tracer *t, uint64_t addr, uint64_t *v)
{
	return read_mem(t, addr, v, sizeof(*v));
}

static uint64_t field64(const uint8_t *g, uint32_t off)
{
	uint64_t v;

	memcpy(&v, g + off, sizeof(v));
	return v;
}

static uint32_t field32(const uint8_t *g, uint32_t off)
{
	uint32_t v;

	memcpy(&v, g + off, sizeof(v));
	return v;
}

/* Load bias of a PIE: start of the file's first mapping minus its vaddr. */
static int find_bias(struct go_tracer *t)
{
	char line[512], exe[4096];
	ssize_t n;
	FILE *f;

	t->bias = 0;
	if (!go_binary__is_pie(t->bin))
		return 0;
	n = procfs__readlink(t->pid, 0, "exe", exe, sizeof(exe));
	if (n <= 0)
		return n < 0 ? (int)n : -ENOENT;
	f = procfs__fopen(t->pid, 0, "maps");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, offset;
		int name_at = 0;

		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &start, &offset, &name_at) < 2 ||
		    !name_at)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (offset == 0 && !strcmp(line + name_at, exe)) {
			t->bias = start - go_binary__load_base(t->bin);
			break;
		}
	}
	fclose(f);
	return 0;
}

/* allgs[0] is the main goroutine: goid 1, started at runtime.main. */
static bool allgs_plausible(const struct go_tracer *t, uint64_t addr, uint64_t main_entry)
{
	uint64_t hdr[3], g0;
	uint8_t g[G_READ_MAX];

	if (read_mem(t, addr, hdr, sizeof(hdr)) || !hdr[0] || hdr[0] % 8 || !hdr[1] ||
	    hdr[1] > hdr[2] || hdr[2] > MAX_ALLGS)
		return false;
	if (read_u64(t, hdr[0], &g0) || !g0 || read_mem(t, g0, g, t->off.read_size))
		return false;
	return field64(g, t->off.goid) == 1 && field64(g, t->off.startpc) == main_entry;
}

static int find_allgs(struct go_tracer *t, char *err, size_t errlen)
{
	uint64_t sym, main_entry, size, cands[16];
	int n;

	if (go_binary__func(t->bin, "runtime.main", &main_entry, &size)) {
		set_err(err, errlen, "runtime.main not found in the function table");
		return -ENOENT;
	}
	main_entry += t->bias;
	if (!go_binary__data_symbol(t->bin, "runtime.allgs", &sym)) {
		t->allgs = sym + t->bias;
		t->allgs_source = "symtab";
		if (allgs_plausible(t, t->allgs, main_entry))
			return 0;
		set_err(err, errlen, "runtime.allgs does not match the struct g layout (%s)",
			t->off.source);
		return -EPROTO;
	}
	n = go_binary__allgs_candidates(t->bin, cands, 16);
	for (int i = 0; i < n; i++) {
		if (allgs_plausible(t, cands[i] + t->bias, main_entry)) {
			t->allgs = cands[i] + t->bias;
			t->allgs_source = "recovered from runtime.allgadd";
			return 0;
		}
	}
	set_err(err, errlen, "cannot locate runtime.allgs (stripped binary, %d candidates, %s)",
		n < 0 ? 0 : n, t->off.source);
	return -ENOENT;
}

/* allgs header {ptr, len, cap} read and capped: how many to read, how many cut. */
static int read_allgs_header(const struct go_tracer *t, uint64_t *ptr, uint64_t *n, uint64_t *cut)
{
	uint64_t hdr[3];
	int err = read_mem(t, t->allgs, hdr, sizeof(hdr));

	if (err)
		return err;
	if (!hdr[0] || hdr[1] > hdr[2])
		return -EPROTO;
	*ptr = hdr[0];
	*n = hdr[1] < MAX_ALLGS ? hdr[1] : MAX_ALLGS;
	*cut = hdr[1] - *n;
	return 0;
}

/* The g pointers of allgs (at most MAX_ALLGS); *gs is freed by the caller. */
static int read_allgs(const struct go_tracer *t, uint64_t **gs, uint64_t *n, uint64_t *cut)
{
	uint64_t ptr;
	int err = read_allgs_header(t, &ptr, n, cut);

	*gs = NULL;
	if (err)
		return err;
	*gs = calloc(*n ? *n : 1, sizeof(**gs));
	if (!*gs)
		return -ENOMEM;
	return read_mem(t, ptr, *gs, *n * sizeof(**gs));
}

/*
 * A Go newer than the table gets the newest row only if a walk with it
 * looks right: every status in range, goids unique, every parked g's saved
 * sp inside its own stack. A layout that moved fails one of these.
 */
static int verify_walk(const struct go_tracer *t, char *err, size_t errlen)
{
	uint64_t *gs, *goids = NULL, n, cut;
	uint8_t g[G_READ_MAX];
	size_t ngoids = 0;
	int ret = read_allgs(t, &gs, &n, &cut);

	if (!ret && !(goids = calloc(n ? n : 1, sizeof(*goids))))
		ret = -ENOMEM;
	for (uint64_t i = 0; !ret && i < n; i++) {
		uint32_t status;
		uint64_t sp, lo, hi;

		if (!gs[i] || read_mem(t, gs[i], g, t->off.read_size))
			continue;
		status = field32(g, t->off.atomicstatus) & ~GO_G_SCAN;
		if (status > GO_G_STATUS_MAX) {
			set_err(err, errlen, "status %u out of range", status);
			ret = -EPROTO;
			break;
		}
		if (status == GO_G_DEAD)
			continue;
		goids[ngoids++] = field64(g, t->off.goid);
		sp = field64(g, t->off.sched_sp);
		lo = field64(g, t->off.stack_lo);
		hi = field64(g, t->off.stack_hi);
		if (status == GO_G_WAITING && (sp < lo || sp >= hi)) {
			set_err(err, errlen, "goroutine %" PRIu64 " saved sp outside its stack",
				goids[ngoids - 1]);
			ret = -EPROTO;
		}
	}
	if (!ret) {
		qsort(goids, ngoids, sizeof(*goids), cmp_u64);
		for (size_t i = 1; i < ngoids; i++) {
			if (goids[i] == goids[i - 1]) {
				set_err(err, errlen, "goid %" PRIu64 " seen twice", goids[i]);
				ret = -EPROTO;
				break;
			}
		}
	}
	free(goids);
	free(gs);
	return ret;
}

/*
 * runtime.semtable, where goroutines blocked in sync primitives wait: from
 * .symtab, or among the data runtime.semrelease1 references, the candidate
 * whose 251 cache-line entries have all-zero padding after the semaRoot.
 */
static bool semtable_plausible(const struct go_tracer *t, uint64_t addr)
{
	static uint8_t tab[SEMTAB_SIZE * SEMTAB_STRIDE];

	if (read_mem(t, addr, tab, sizeof(tab)))
		return false;
	for (int i = 0; i < SEMTAB_SIZE; i++) {
		const uint8_t *e = tab + i * SEMTAB_STRIDE;
		uint64_t treap = field64(e, SEMAROOT_TREAP);

		if (treap % 8)
			return false;
		for (int b = 24; b < SEMTAB_STRIDE; b++)
			if (e[b])
				return false;
	}
	return true;
}

static void find_semtable(struct go_tracer *t)
{
	uint64_t sym, refs[64];
	int n;

	if (!go_binary__data_symbol(t->bin, "runtime.semtable", &sym)) {
		t->semtable = sym + t->bias;
		return;
	}
	n = go_binary__data_refs(t->bin, "runtime.semrelease1", refs, 64);
	for (int i = 0; i < n; i++) {
		if (semtable_plausible(t, refs[i] + t->bias)) {
			t->semtable = refs[i] + t->bias;
			return;
		}
	}
}

/* One goroutine blocked on a semaphore: its g and the semaphore's address. */
struct sema_wait {
	uint64_t g, addr;
};

static int cmp_sema_wait(const void *a, const void *b)
{
	return cmp_u64(&((const struct sema_wait *)a)->g, &((const struct sema_wait *)b)->g);
}

/* Bytes of a sudog that cover the fields the semaphore walk reads. */
static uint32_t sudog_read_len(const struct go_offsets *o)
{
	const uint32_t fields[] = { o->sudog_g, o->sudog_elem, o->sudog_prev, o->sudog_next,
				    o->sudog_waitlink };
	uint32_t end = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] + 8 > end)
			end = fields[i] + 8;
	return end;
}

/*
 * Every sudog in the semaphore treaps (children in prev/next, waiters of
 * the same address in waitlink), sorted by g. Visits at most
 * MAX_SEMA_NODES sudogs, so a cycle or a forged tree cannot loop.
 */
static int read_sema_waits(const struct go_tracer *t, struct sema_wait **out, size_t *nout,
			   uint64_t *cut)
{
	static uint8_t tab[SEMTAB_SIZE * SEMTAB_STRIDE];
	uint64_t *todo = NULL;
	size_t ntodo = 0, captodo = 0, cap = 0, visits = 0;
	uint32_t sudog_len = sudog_read_len(&t->off);
	int err;

	*out = NULL;
	*nout = 0;
	if (!t->semtable)
		return 0;
	err = read_mem(t, t->semtable, tab, sizeof(tab));
	for (int i = 0; !err && i < SEMTAB_SIZE; i++) {
		uint64_t root = field64(tab + i * SEMTAB_STRIDE, SEMAROOT_TREAP);

		if (root && (err = ARRAY_RESERVE(todo, captodo, ntodo + 1)) == 0)
			todo[ntodo++] = root;
	}
	while (!err && ntodo) {
		uint64_t node = todo[--ntodo], f[3];
		uint8_t sudog[SUDOG_READ_MAX];
		struct sema_wait *w;

		if (visits++ >= MAX_SEMA_NODES) {
			*cut += ntodo + 1;	/* the queued rest, never visited */
			break;
		}
		/* one read per sudog: a forged treap costs 2^16 reads at most */
		if (node % 8 || sudog_len > sizeof(sudog) || read_mem(t, node, sudog, sudog_len))
			continue;
		if (!(w = ARRAY_PUSH(*out, *nout, cap))) {
			err = -ENOMEM;
			break;
		}
		w->g = field64(sudog, t->off.sudog_g);
		w->addr = field64(sudog, t->off.sudog_elem);
		f[0] = field64(sudog, t->off.sudog_prev);
		f[1] = field64(sudog, t->off.sudog_next);
		f[2] = field64(sudog, t->off.sudog_waitlink);
		if ((err = ARRAY_RESERVE(todo, captodo, ntodo + 3)))
			break;
		for (int c = 0; c < 3; c++)
			if (f[c])
				todo[ntodo++] = f[c];
	}
	free(todo);
	if (err) {
		free(*out);
		*out = NULL;
		*nout = 0;
		return err;
	}
	if (*nout)
		qsort(*out, *nout, sizeof(**out), cmp_sema_wait);
	return 0;
}

/*
 * Wait reason names: the binary's own runtime.waitReasonStrings when it can
 * be read, else the table's. Both are kept comparable for -v and the tests.
 */
static void choose_wait_reasons(struct go_tracer *t, bool have_table)
{
	const char *const *names;
	const char *src;
	int n = go_binary__wait_reasons(t->bin, &names, &src);
	char diff[128];

	if (n <= 0) {
		t->wait_reasons_source = "table";
		snprintf(t->wait_reasons_check, sizeof(t->wait_reasons_check),
			 "not in the binary, table used");
		return;
	}
	if (!have_table)
		snprintf(t->wait_reasons_check, sizeof(t->wait_reasons_check), "no table to compare");
	else if (!go_offsets__compare_wait_reasons(&t->off, names, n, diff, sizeof(diff)))
		snprintf(t->wait_reasons_check, sizeof(t->wait_reasons_check), "table agrees");
	else
		snprintf(t->wait_reasons_check, sizeof(t->wait_reasons_check),
			 "TABLE MISMATCH at %s", diff);
	t->wait_reasons_source = src;
	t->off.wait_reasons = names;
	t->off.n_wait_reasons = n;
}

static int find_offsets(struct go_tracer *t, const char *exe, char *err, size_t errlen)
{
	int major, minor, tab_err = -ENOENT;
	char tab_msg[128] = "", diff[200];
	struct go_offsets table;

	if (!go_binary__version_num(t->bin, &major, &minor)) {
		tab_err = go_offsets__from_table(major, minor, &t->off, tab_msg, sizeof(tab_msg));
		if (tab_err && go_offsets__is_newer(major, minor)) {
			go_offsets__newest(&t->off);
			t->unverified = true;
			tab_err = 0;
		}
	}
	table = t->off;
	if (go_binary__has_dwarf(t->bin) && !go_offsets__from_dwarf(exe, &t->off)) {
		t->unverified = false;
		if (tab_err)
			snprintf(t->offsets_check, sizeof(t->offsets_check), "no table to compare");
		else if (!go_offsets__compare(&table, &t->off, diff, sizeof(diff)))
			snprintf(t->offsets_check, sizeof(t->offsets_check), "%s agrees",
				 table.source);
		else
			snprintf(t->offsets_check, sizeof(t->offsets_check),
				 "%s MISMATCH (table/DWARF): %s", table.source, diff);
		choose_wait_reasons(t, !tab_err);
		return 0;
	}
	if (!tab_err) {
		snprintf(t->offsets_check, sizeof(t->offsets_check), "no DWARF");
		choose_wait_reasons(t, true);
		return 0;
	}
	if (tab_err == -ENOENT)
		set_err(err, errlen, "unknown Go version (no build info) and no DWARF");
	else
		set_err(err, errlen, "%s, and the binary has no DWARF", tab_msg);
	return -ENOTSUP;
}

static struct bpf_link *attach_probe(struct go_tracer *t, struct bpf_program *prog,
				     const char *exe, const char *func, bool verbose)
{
	uint64_t entry, size, addr, off;
	struct bpf_link *link;
	bool cheap;

	if (go_binary__func(t->bin, func, &entry, &size) ||
	    go_binary__probe_addr(t->bin, func, &addr, &cheap) ||
	    go_binary__vaddr_to_offset(t->bin, addr, &off)) {
		if (verbose)
			fprintf(stderr, "go: %s not found\n", func);
		errno = ENOENT;
		return NULL;
	}
	link = bpf_program__attach_uprobe(prog, false, t->pid, exe, off);
	if (verbose)
		fprintf(stderr, "go: uprobe %s+%" PRIu64 " (file offset %#" PRIx64 ")%s: %s\n",
			func, addr - entry, off,
			cheap ? "" : " prologue not recognised, slow entry probe",
			link ? "attached" : strerror(errno));
	return link;
}

/* One goroutines BPF object for every traced Go process, loaded with the
 * first and destroyed with the last: its maps are keyed by pid, and each
 * process gets its own uprobe links. */
static struct goroutines_bpf *shared_skel;
static unsigned shared_refs;

static int shared_get(const struct go_tracer_opts *opts, char *err, size_t errlen)
{
	int ret;

	if (shared_skel) {
		shared_refs++;
		return 0;
	}
	shared_skel = goroutines_bpf__open();
	if (!shared_skel) {
		ret = -errno;
		set_err(err, errlen, "cannot open the goroutine BPF object: %s", strerror(-ret));
		return ret;
	}
	bpf_map__set_max_entries(shared_skel->maps.go_parked,
				 opts->max_parked ? opts->max_parked : GO_MAX_PARKED);
	ret = goroutines_bpf__load(shared_skel);
	if (ret) {
		set_err(err, errlen, "cannot load the goroutine BPF programs: %s", strerror(-ret));
		goroutines_bpf__destroy(shared_skel);
		shared_skel = NULL;
		return ret;
	}
	shared_refs = 1;
	return 0;
}

static void shared_put(void)
{
	if (shared_refs && !--shared_refs) {
		goroutines_bpf__destroy(shared_skel);
		shared_skel = NULL;
	}
}

/* Forget what the shared maps hold for pid (it is detached). */
static void forget_pid(struct goroutines_bpf *skel, uint32_t pid)
{
	int parked = bpf_map__fd(skel->maps.go_parked);
	struct go_key key, next;
	bool first = true;

	bpf_map_delete_elem(bpf_map__fd(skel->maps.go_counts), &pid);
	/* a deleted key ends get_next_key's walk: collect the next one first */
	while (!bpf_map_get_next_key(parked, first ? NULL : &key, &next)) {
		if (!first && key.pid == pid)
			bpf_map_delete_elem(parked, &key);
		key = next;
		first = false;
	}
	if (!first && key.pid == pid)
		bpf_map_delete_elem(parked, &key);
}

static int open_bpf(struct go_tracer *t, const struct go_tracer_opts *opts, const char *exe,
		    char *err, size_t errlen)
{
	struct go_counts zero = {};
	uint32_t pid = t->pid;
	int ret;

	ret = shared_get(opts, err, errlen);
	if (ret)
		return ret;
	t->skel = shared_skel;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.go_counts), &pid, &zero, BPF_ANY)) {
		ret = -errno;
		set_err(err, errlen, "cannot count goroutines of one more process: %s",
			strerror(-ret));
		return ret;
	}
	t->links[0] = attach_probe(t, t->skel->progs.go_gopark, exe, "runtime.gopark",
				   opts->verbose);
	if (!t->links[0]) {
		ret = errno ? -errno : -ENOENT;
		set_err(err, errlen, "cannot attach a uprobe to runtime.gopark: %s",
			strerror(-ret));
		return ret;
	}
	t->links[1] = attach_probe(t, t->skel->progs.go_newproc1, exe, "runtime.newproc1",
				   opts->verbose);
	t->links[2] = attach_probe(t, t->skel->progs.go_goexit0, exe, "runtime.goexit0",
				   opts->verbose);
	t->counts_known = t->links[1] && t->links[2];
	return 0;
}

static int walk_allgs(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out,
		      uint64_t *read);

struct go_tracer *go_tracer__new_opts(int pid, const struct go_tracer_opts *opts, char *err,
				      size_t errlen)
{
	static const struct go_tracer_opts defaults;
	char exe[PROCFS_PATH_MAX], msg[256];
	struct go_tracer *t;
	uint64_t walked;
	int ret;

	if (!opts)
		opts = &defaults;
	t = calloc(1, sizeof(*t));
	if (!t) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	t->pid = pid;
	procmem__init(&t->mem, pid);
	t->texts.max_bytes = TEXT_ARENA_MAX;
	t->max_stack = opts->max_stack > 0 ? opts->max_stack : DEFAULT_MAX_STACK;
	t->verbose = opts->verbose;
	t->precise = opts->precise;
	procfs__path(exe, sizeof(exe), pid, 0, "exe");
	t->bin = go_binary__open(exe, msg, sizeof(msg));
	if (!t->bin) {
		set_err(err, errlen, "pid %d: not a Go program we can read: %s", pid, msg);
		goto fail;
	}
	if (find_offsets(t, exe, msg, sizeof(msg))) {
		set_err(err, errlen, "pid %d (%s): %s", pid, go_binary__version(t->bin), msg);
		goto fail;
	}
	{
		int major = 0, minor = 0;

		go_binary__version_num(t->bin, &major, &minor);
		t->hchan_timer = major > 1 || (major == 1 && minor >= 23);
	}
	ret = procmem__open(&t->mem, pid, 0);
	if (ret) {
		set_err(err, errlen, "pid %d: cannot open /proc/%d/mem: %s", pid, pid,
			strerror(-ret));
		goto fail;
	}
	if (find_bias(t) || find_allgs(t, msg, sizeof(msg))) {
		set_err(err, errlen, "pid %d (%s): %s", pid, go_binary__version(t->bin), msg);
		goto fail;
	}
	if (t->unverified) {
		if (verify_walk(t, msg, sizeof(msg))) {
			set_err(err, errlen,
				"pid %d (%s): newer than the offsets tables (%s), no DWARF, and the "
				"newest table does not fit this binary: %s", pid,
				go_binary__version(t->bin), go_offsets__supported(), msg);
			goto fail;
		}
		fprintf(stderr, "leaktrace: warning: go: pid %d %s is newer than the offsets tables "
			"(%s): using %s, checked on a first walk\n", pid, go_binary__version(t->bin),
			go_offsets__supported(), t->off.source);
	}
	find_semtable(t);
	{
		int major, minor;

		t->leak_status = !go_binary__version_num(t->bin, &major, &minor) &&
				 (major > 1 || minor >= 26);
	}
	/* stamps of the gopark probe are trusted from here on */
	t->attach_ns = mono_ns();
	if (opts->precise && open_bpf(t, opts, exe, msg, sizeof(msg))) {
		set_err(err, errlen, "pid %d: %s", pid, msg);
		goto fail;
	}
	/* the parks present now: their age is known only since attach */
	if (walk_allgs(t, 0, NULL, &walked) == -ENOMEM) {
		set_err(err, errlen, "pid %d: out of memory", pid);
		goto fail;
	}
	t->walked = true;
	if (opts->verbose) {
		fprintf(stderr, "go: pid %d %s, struct g from %s, allgs at %#" PRIx64 " (%s), "
			"semtable at %#" PRIx64 ", %s mode\n", pid, go_binary__version(t->bin),
			t->off.source, t->allgs, t->allgs_source, t->semtable,
			t->precise ? "precise (uprobes)" : "default (no uprobes)");
		fprintf(stderr, "go: pid %d offsets check: %s\n", pid, t->offsets_check);
		fprintf(stderr, "go: pid %d wait reasons: %u from %s, %s\n", pid,
			t->off.n_wait_reasons, t->wait_reasons_source, t->wait_reasons_check);
	}
	return t;
fail:
	go_tracer__free(t);
	return NULL;
}

struct go_tracer *go_tracer__new(int pid, char *err, size_t errlen)
{
	return go_tracer__new_opts(pid, NULL, err, errlen);
}

static void park_clear(struct park *p)
{
	free(p->stack);
	memset(p, 0, sizeof(*p));
}

static void free_tracer_memory(struct go_tracer *t)
{
	for (size_t i = 0; i < t->n_parks; i++)
		free(t->parks[i].stack);
	free(t->parks);
	t->parks = NULL;
	t->n_parks = 0;
	free(t->pcs);
	t->pcs = NULL;
	arena_free(&t->texts);
	memset(t->reasons, 0, sizeof(t->reasons));
}

void go_tracer__free(struct go_tracer *t)
{
	if (!t)
		return;
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(t->links[i]);
	if (t->skel) {
		forget_pid(t->skel, t->pid);
		shared_put();
	}
	procmem__close(&t->mem);
	go_binary__close(t->bin);
	free_tracer_memory(t);
	free(t);
}

const char *go_tracer__offsets_source(const struct go_tracer *t)
{
	return t->off.source;
}

const char *go_tracer__allgs_source(const struct go_tracer *t)
{
	return t->allgs_source;
}

static bool is_system_func(const char *func)
{
	return !strncmp(func, "runtime.", 8) && strcmp(func, "runtime.main");
}

/*
 * Uncached: the frames of pc into a (one per function it stands for,
 * innermost first: inlined calls before the physical function; strings in
 * t->texts). No frame ends a stack walk (runtime.goexit). -ENOMEM when the
 * arena is full.
 */
static int pc_frames_compute(struct go_tracer *t, uint64_t pc, bool is_return,
			     struct frame *out)
{
	struct go_frame f[PC_MAX_TEXTS];
	int n = pc ? go_binary__frames(t->bin, pc - t->bias, is_return, f, PC_MAX_TEXTS) : -ENOENT;

	if (n <= 0) {
		out[0] = (struct frame){ .kind = FRAME_NATIVE, .pc = pc };
		return 1;
	}
	if (!strcmp(f[n - 1].func, "runtime.goexit"))
		return 0;
	for (int i = 0; i < n; i++) {
		out[i] = (struct frame){
			.kind = FRAME_GO, .pc = pc, .inlined = f[i].inlined,
			.function = arena_strndup(&t->texts, f[i].func, strlen(f[i].func)),
			.file = arena_strndup(&t->texts, f[i].file, strlen(f[i].file)),
			.line = f[i].line > 0 ? (uint32_t)f[i].line : 0,
			.offset = f[i].inlined ? 0 : pc - t->bias - f[i].entry,
		};
		if (!out[i].function || !out[i].file)
			return -ENOMEM;
	}
	return n;
}

/* Uncached: the text of a non-frame kind for pc, into text. */
static void pc_text_compute(const struct go_tracer *t, uint64_t pc, enum pc_kind kind,
			    char *text, size_t len)
{
	struct go_frame f[PC_MAX_TEXTS];
	const char *name;
	int n;

	switch (kind) {
	case PC_CREATED_BY:
		/* the go statement's own function, also when inlined into another */
		n = pc ? go_binary__frames(t->bin, pc - t->bias, true, f, PC_MAX_TEXTS) : -ENOENT;
		if (n > 0)
			snprintf(text, len, "%s at %s:%d", f[0].func, f[0].file, f[0].line);
		else
			snprintf(text, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	case PC_START:
		/* the function the go statement called, not the compiler's wrapper */
		if (pc && !go_binary__go_target(t->bin, pc - t->bias, &name))
			snprintf(text, len, "%s", name);
		else if (pc && go_binary__frames(t->bin, pc - t->bias, false, f, 1) > 0)
			snprintf(text, len, "%s", f[0].func);
		else
			snprintf(text, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	default:
		n = pc ? go_binary__frames(t->bin, pc - t->bias, false, f, 1) : -ENOENT;
		snprintf(text, len, "%s", n > 0 && is_system_func(f[0].func) ? "1" : "");
	}
}

/* The cache slot of key, or the empty slot to fill (NULL when none). */
static struct pc_text *pc_slot(struct go_tracer *t, uint64_t key, bool *hit)
{
	*hit = false;
	if (!t->pcs)
		t->pcs = calloc(PC_CACHE_SIZE, sizeof(*t->pcs));
	/* a garbage pc whose key wraps to 0 (= empty slot) is not cached */
	for (unsigned i = 0; t->pcs && key && i < PC_CACHE_PROBES; i++) {
		struct pc_text *e = &t->pcs[(hash_bytes(0, &key, sizeof(key)) + i) % PC_CACHE_SIZE];

		if (e->key == key || !e->key) {
			*hit = e->key == key;
			return e;
		}
	}
	return NULL;
}

/* The frames of a stack pc, interned in t->texts; *n of them. */
static const struct frame *pc_frames(struct go_tracer *t, uint64_t pc, bool is_return, int *n)
{
	static const struct frame unknown = { .kind = FRAME_MARKER, .function = "?" };
	enum pc_kind kind = is_return ? PC_RET_FRAME : PC_FRAME;
	uint64_t key = pc * PC_KINDS + kind + 1;
	struct frame buf[PC_MAX_TEXTS], *frames;
	bool hit;
	struct pc_text *slot = pc_slot(t, key, &hit);

	if (hit) {
		*n = slot->n;
		return slot->items;
	}
	*n = pc_frames_compute(t, pc, is_return, buf);
	frames = *n >= 0 ? arena_alloc(&t->texts, (*n ? *n : 1) * sizeof(*frames)) : NULL;
	if (!frames) {	/* the arena is full */
		*n = 1;
		return &unknown;
	}
	memcpy(frames, buf, *n * sizeof(*frames));
	if (slot)
		*slot = (struct pc_text){ .key = key, .items = frames, .n = *n };
	return frames;
}

/* The one text of a non-frame kind, interned in t->texts. */
static const char *pc_text(struct go_tracer *t, uint64_t pc, enum pc_kind kind)
{
	uint64_t key = pc * PC_KINDS + kind + 1;
	char buf[512];
	const char *text;
	bool hit;
	struct pc_text *slot = pc_slot(t, key, &hit);

	if (hit)
		return slot->items;
	pc_text_compute(t, pc, kind, buf, sizeof(buf));
	text = arena_strndup(&t->texts, buf, strlen(buf));
	if (!text)
		return "?";	/* the arena is full */
	if (slot)
		*slot = (struct pc_text){ .key = key, .items = text, .n = 1 };
	return text;
}

static const char *wait_reason_text(struct go_tracer *t, uint8_t reason)
{
	char buf[48];
	const char *r;

	if (t->reasons[reason])
		return t->reasons[reason];
	r = go_offsets__wait_reason(&t->off, reason, buf, sizeof(buf));
	r = arena_strndup(&t->texts, r, strlen(r));
	return r ? (t->reasons[reason] = r) : "?";
}

/* One parked goroutine being filled: its g and its stack as read. */
struct fill {
	size_t idx;			/* into allgs and t->parks */
	const uint8_t *g;
	uint64_t stack_base;		/* target address of stack[0] */
	uint8_t *stack;
	size_t stack_len;
	uint64_t sudog_c;
};

/*
 * Frame-pointer walk of a parked goroutine from its saved g.sched, on the
 * copy of its stack read from sched.sp up: each frame's bp points at the
 * caller's saved bp, the return address above it. Every step stays inside
 * the copy and moves up, so a forged stack cannot loop or read outside.
 */
static void walk_stack(struct go_tracer *t, const struct fill *f, struct park *p)
{
	uint64_t pc = field64(f->g, t->off.sched_pc), bp = field64(f->g, t->off.sched_bp);
	uint64_t base = f->stack_base, end = f->stack_base + f->stack_len;
	const struct frame *frames[DEFAULT_MAX_STACK * 4];
	int max = t->max_stack < (int)(sizeof(frames) / sizeof(frames[0])) ?
		  t->max_stack : (int)(sizeof(frames) / sizeof(frames[0]));
	int n = 0;

	for (int depth = 0; n < max && pc; depth++) {
		int k;
		const struct frame *fs = pc_frames(t, pc, depth != 0, &k);
		uint64_t next[2];

		if (!k)
			break;
		for (int i = 0; i < k && n < max; i++)
			frames[n++] = &fs[i];
		if (!f->stack || bp < base || bp + 16 > end || bp % 8)
			break;
		memcpy(next, f->stack + (bp - base), sizeof(next));
		if (next[0] <= bp && next[0])
			break;
		pc = next[1];
		bp = next[0];
	}
	p->stack = n ? malloc(n * sizeof(*p->stack)) : NULL;
	if (!p->stack)
		return;
	memcpy(p->stack, frames, n * sizeof(*p->stack));
	p->stack_len = n;
}

static int read_for_timers(const void *ctx, uint64_t addr, void *buf, size_t len)
{
	return read_mem(ctx, addr, buf, len);
}

/* A select with a timer's channel among its cases: it wakes by itself
 * (collect/go/go_timers.c). Not a plain receive: ranging over a Ticker
 * after Stop (which closes nothing) blocks forever on the same channel.
 * Read once per park. */
static bool timer_wait(struct go_tracer *t, const struct park *p, uint64_t sudog)
{
	if (strcmp(wait_reason_text(t, p->reason), "select"))
		return false;
	return go_wait_has_timer(read_for_timers, t, &t->off, t->hchan_timer, sudog);
}

/* Reads what the goroutine records of fills[0..n) need, in batches. */
static void fill_parks(struct go_tracer *t, struct fill *fills, size_t n,
		       const struct sema_wait *sema, size_t nsema)
{
	struct procmem_span *spans = calloc(n ? n : 1, sizeof(*spans));
	uint8_t *buf = malloc(STACK_BATCH_BYTES);
	size_t i = 0;

	while (spans && buf && i < n) {
		size_t k = 0, used = 0, end = i;

		/* the used part of each stack, from the saved sp up, bounded */
		for (size_t j = i; j < n; j++) {
			const uint8_t *g = fills[j].g;
			uint64_t sp = field64(g, t->off.sched_sp), hi = field64(g, t->off.stack_hi);
			uint64_t lo = field64(g, t->off.stack_lo);
			size_t len = sp >= lo && sp < hi ? hi - sp : 0;

			if (len > STACK_READ_MAX)
				len = STACK_READ_MAX;
			if (used + len > STACK_BATCH_BYTES)
				break;
			fills[j].stack_base = sp;
			fills[j].stack = NULL;
			fills[j].stack_len = len;
			if (len)
				spans[k++] = (struct procmem_span){ .addr = sp, .buf = buf + used, .len = len };
			used += len;
			end = j + 1;
		}
		procmem__read_batch(&t->mem, spans, k);
		for (size_t j = i, m = 0; j < end; j++) {
			if (fills[j].stack_len && !spans[m++].err)
				fills[j].stack = spans[m - 1].buf;
			walk_stack(t, &fills[j], &t->parks[fills[j].idx]);
		}
		i = end;
	}
	/* the channel of each first sudog (channel operations and select) */
	for (size_t j = 0; spans && j < n; j++) {
		uint64_t sudog = field64(fills[j].g, t->off.waiting);

		fills[j].sudog_c = 0;
		spans[j] = (struct procmem_span){ .addr = sudog + t->off.sudog_c, .buf = &fills[j].sudog_c,
					      .len = sizeof(uint64_t) };
		if (!sudog)
			spans[j].addr = 0;	/* fails to read: no channel */
	}
	if (spans)
		procmem__read_batch(&t->mem, spans, n);
	for (size_t j = 0; j < n; j++) {
		struct park *p = &t->parks[fills[j].idx];
		const uint8_t *g = fills[j].g;

		if (spans && !spans[j].err && spans[j].addr && fills[j].sudog_c) {
			p->wait_object = fills[j].sudog_c;
		} else {
			/* else the semaphore it is queued on (sync.Mutex, WaitGroup...) */
			struct sema_wait key = { .g = p->g_addr }, *w;

			w = sorted_find(sema, nsema, sizeof(*sema), &key, cmp_sema_wait);
			p->wait_object = w ? w->addr : 0;
		}
		p->created_by = pc_text(t, field64(g, t->off.gopc), PC_CREATED_BY);
		p->start_func = pc_text(t, field64(g, t->off.startpc), PC_START);
		p->timer_case = timer_wait(t, p, field64(g, t->off.waiting));
		p->filled = true;
	}
	free(buf);
	free(spans);
}

/*
 * When the park began. A new park seen by a walk after the first began
 * between the previous walk and this one: since the midpoint of the two
 * (off by at most half the interval between walks), or the gopark probe's
 * stamp with --precise. A park already there at attach: since attach, or
 * since the GC saw it parked (g.waitsince), marked estimated.
 */
static void park_begin(const struct go_tracer *t, struct park *p, uint64_t now)
{
	struct go_key key = { .pid = t->pid, .g = p->g_addr };
	struct go_park bp;

	p->since_ns = t->last_walk_ns + (now - t->last_walk_ns) / 2;
	p->estimated = !t->walked;
	if (t->skel && !bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.go_parked), &key, &bp) &&
	    bp.parked_ns >= t->attach_ns && bp.parked_ns <= now && bp.reason == p->reason) {
		p->since_ns = bp.parked_ns;
		p->estimated = false;
	}
}

static double park_seconds(const struct go_tracer *t, const struct park *p, const uint8_t *g,
			   uint64_t now)
{
	uint64_t since = p->since_ns;
	int64_t waitsince;

	if (p->estimated) {
		since = t->attach_ns;
		/* reset by the runtime at every wake-up: it belongs to this park */
		waitsince = t->off.waitsince ? (int64_t)field64(g, t->off.waitsince) : 0;
		if (waitsince > 0 && (uint64_t)waitsince < since)
			since = waitsince;
	}
	return now > since ? (now - since) / 1e9 : 0;
}

/*
 * The park of the waiting g at allgs index i: the same as last walk's when
 * its key is unchanged (its texts and stack are reused), else a new one.
 */
static struct park *track_park(struct go_tracer *t, size_t i, uint64_t gaddr, const uint8_t *g,
			       bool system, uint64_t now)
{
	struct park *p = &t->parks[i];
	struct park key = {
		.g_addr = gaddr, .goid = field64(g, t->off.goid), .pc = field64(g, t->off.sched_pc),
		.sp = field64(g, t->off.sched_sp), .reason = g[t->off.waitreason],
		.seq = t->off.tracking_seq ? g[t->off.tracking_seq] : 0,
	};

	if (p->g_addr == key.g_addr && p->goid == key.goid && p->pc == key.pc &&
	    p->sp == key.sp && p->reason == key.reason && p->seq == key.seq)
		return p;
	park_clear(p);
	*p = key;
	p->system = system;
	park_begin(t, p, now);
	return p;
}

static void emit(struct go_tracer *t, struct park *p, double age, struct go_goroutine *gr)
{
	*gr = (struct go_goroutine){
		.goid = p->goid, .status = GO_G_WAITING, .wait_reason = wait_reason_text(t, p->reason),
		.parked_seconds = age, .parked_estimated = p->estimated, .system = p->system,
		.created_by = p->created_by, .start_func = p->start_func, .stack = p->stack,
		.stack_len = p->stack_len, .g_addr = p->g_addr, .wait_object = p->wait_object,
		.timer_case = p->timer_case, .memo = p->memo,
	};
}

/* Go 1.26+: a goroutine the program's own leak detector caught (the
 * goroutineleak profile sets _Gleaked) is parked for good: walked like a
 * waiting one, reported with status GO_G_LEAKED. */
static uint32_t g_status(const struct go_tracer *t, const uint8_t *g, bool *leaked)
{
	uint32_t s = field32(g, t->off.atomicstatus) & ~GO_G_SCAN;

	*leaked = s == GO_G_LEAKED && t->leak_status;
	return *leaked ? GO_G_WAITING : s;
}

/* Before reading a chunk: is the snapshot's budget spent? */
static bool out_of_budget(const struct go_snapshot *out, uint64_t frames, uint64_t start_ns)
{
	return out->n_parked >= MAX_PARKED_READ || frames >= MAX_FRAMES_READ ||
	       mono_ns() - start_ns > SNAPSHOT_BUDGET_NS;
}

/*
 * One walk of allgs: g structs read G_CHUNK at a time in one batch, parks
 * tracked by key, and (with out) the records of those parked at least
 * min_parked_seconds, read only for parks not reported before. Without
 * out, records only the parks (the walk at attach).
 */
static int walk_allgs(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out,
		      uint64_t *read)
{
	size_t rs = t->off.read_size, cap = 0, nsema = 0;
	struct sema_wait *sema = NULL;
	struct procmem_span *spans = NULL;
	struct fill *fills = NULL;
	uint8_t *gbuf = NULL;
	uint64_t *gs = NULL, n = 0, cut = 0, now, frames = 0;
	int err;

	*read = 0;
	err = read_allgs(t, &gs, &n, &cut);
	if (err)
		goto out;
	if (out) {
		out->cut += cut;
		if (read_sema_waits(t, &sema, &nsema, &out->cut))
			nsema = 0;	/* wait objects of sync waits unknown, the rest still read */
	}
	if (n > t->n_parks) {
		struct park *np = realloc(t->parks, n * sizeof(*np));

		if (!np) {
			err = -ENOMEM;
			goto out;
		}
		memset(np + t->n_parks, 0, (n - t->n_parks) * sizeof(*np));
		t->parks = np;
		t->n_parks = n;
	}
	for (size_t i = n; i < t->n_parks; i++)	/* a shorter allgs: forged or a new process */
		park_clear(&t->parks[i]);
	spans = calloc(G_CHUNK, sizeof(*spans));
	fills = calloc(G_CHUNK, sizeof(*fills));
	gbuf = malloc(G_CHUNK * rs);
	if (!spans || !fills || !gbuf) {
		err = -ENOMEM;
		goto out;
	}
	/* about as many parked as last time: no copies while the array grows */
	if (out && t->last_parked && (err = ARRAY_RESERVE(out->parked, cap, t->last_parked)))
		goto out;
	now = mono_ns();
	if (now < t->last_walk_ns)
		t->last_walk_ns = now;
	for (uint64_t c = 0; c < n; c += G_CHUNK) {
		size_t k = n - c < G_CHUNK ? n - c : G_CHUNK, nfill = 0;

		if (out && out_of_budget(out, frames, now)) {
			out->cut += n - c;
			break;
		}

		for (size_t j = 0; j < k; j++)
			spans[j] = (struct procmem_span){ .addr = gs[c + j], .buf = gbuf + j * rs, .len = rs };
		procmem__read_batch(&t->mem, spans, k);
		for (size_t j = 0; j < k; j++) {
			const uint8_t *g = gbuf + j * rs;
			uint32_t status;
			struct park *p;
			bool system, leaked;

			/* a g that vanished mid-walk is skipped, not fatal */
			if (!gs[c + j] || spans[j].err) {
				park_clear(&t->parks[c + j]);
				continue;
			}
			(*read)++;
			status = g_status(t, g, &leaked);
			if (status != GO_G_WAITING)
				park_clear(&t->parks[c + j]);
			if (status == GO_G_DEAD || status == GO_G_IDLE)
				continue;
			system = pc_text(t, field64(g, t->off.startpc), PC_SYSTEM)[0] != '\0';
			/* the runtime's own too: they are reported parked as well,
			 * and parked must stay within live */
			if (out)
				out->live++;
			if (status != GO_G_WAITING)
				continue;
			p = track_park(t, c + j, gs[c + j], g, system, now);
			if (out && !p->filled && park_seconds(t, p, g, now) >= min_parked_seconds)
				fills[nfill++] = (struct fill){ .idx = c + j, .g = g };
		}
		if (!out)
			continue;
		fill_parks(t, fills, nfill, sema, nsema);
		for (size_t j = 0; j < k; j++) {
			struct park *p = &t->parks[c + j];
			double age;
			bool leaked;

			if (!p->g_addr)
				continue;
			age = park_seconds(t, p, gbuf + j * rs, now);
			if (age < min_parked_seconds || !p->filled)
				continue;
			if (out->n_parked >= MAX_PARKED_READ) {
				out->cut++;
				continue;
			}
			if ((err = ARRAY_RESERVE(out->parked, cap, out->n_parked + 1)))
				goto out;
			emit(t, p, age, &out->parked[out->n_parked++]);
			g_status(t, gbuf + j * rs, &leaked);
			if (leaked)
				out->parked[out->n_parked - 1].status = GO_G_LEAKED;
			frames += p->stack_len;
		}
	}
	t->last_walk_ns = now;
	if (out)
		t->last_parked = out->n_parked;
out:
	free(gbuf);
	free(fills);
	free(spans);
	free(sema);
	free(gs);
	return err;
}

int go_tracer__snapshot(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out)
{
	uint64_t start_ns = mono_ns(), start_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID), read = 0;
	int err;

	memset(out, 0, sizeof(*out));
	out->pid = t->pid;
	snprintf(out->go_version, sizeof(out->go_version), "%s", go_binary__version(t->bin));
	out->created = out->exited = out->parks = GO_COUNT_UNKNOWN;
	if (t->skel) {
		uint32_t pid = t->pid;
		struct go_counts c;

		if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.go_counts), &pid, &c)) {
			if (t->counts_known) {
				out->created = c.c[GO_CNT_CREATED];
				out->exited = c.c[GO_CNT_EXITED];
			}
			out->parks = c.c[GO_CNT_PARKS];
			out->dropped = c.c[GO_CNT_DROP_PARKED];
		}
	}
	err = walk_allgs(t, min_parked_seconds, out, &read);
	if (err && err != -ENOMEM)
		err = kill(t->pid, 0) ? -ESRCH : err;
	if (t->verbose && !err)
		fprintf(stderr, "go: pid %d snapshot: %" PRIu64 " goroutines read, %zu parked, "
			"%" PRIu64 " cut, %.1f ms (%.1f ms CPU)\n", t->pid, read, out->n_parked,
			out->cut, (mono_ns() - start_ns) / 1e6,
			(clock_ns(CLOCK_THREAD_CPUTIME_ID) - start_cpu) / 1e6);
	if (err)
		go_snapshot__free(out);
	return err;
}

void go_snapshot__free(struct go_snapshot *s)
{
	if (!s)
		return;
	/* the texts and stacks belong to the tracer */
	free(s->parked);
	s->parked = NULL;
	s->n_parked = 0;
}

void go_tracer__target(const struct go_tracer *t, struct go_tracer_target *out)
{
	*out = (struct go_tracer_target){ .pid = t->pid, .bin = t->bin, .off = &t->off,
					  .bias = t->bias, .allgs = t->allgs,
					  .semtable = t->semtable };
	snprintf(out->exe, sizeof(out->exe), "/proc/%d/exe", t->pid);
}

/* go_heap's reader seam over the tracer's memory reader (its batches,
 * its fuzz seam). */
void go_tracer__read(void *tracer, struct go_mem_span *s, size_t n)
{
	const struct go_tracer *t = tracer;
	struct procmem_span spans[256];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < 256 ? n - done : 256;

		for (size_t i = 0; i < k; i++)
			spans[i] = (struct procmem_span){ .addr = s[done + i].addr,
							  .buf = s[done + i].buf,
							  .len = s[done + i].len };
		procmem__read_batch(&t->mem, spans, k);
		for (size_t i = 0; i < k; i++)
			s[done + i].ok = spans[i].err == 0;
		done += k;
	}
}
