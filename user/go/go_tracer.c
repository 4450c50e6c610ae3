// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Goroutine tracing for one Go process: uprobes + walks of runtime.allgs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "goroutines.h"
#include "goroutines.skel.h"
#include "go/go_binary.h"
#include "go/go_offsets.h"
#include "go/go_tracer.h"
#include "util/clock.h"
#include "util/array.h"
#include "util/hash.h"

#define MAX_ALLGS		(1u << 20)	/* goroutines read per walk; the rest counted */
#define MAX_SEMA_NODES		(1u << 16)	/* sudogs visited in the semaphore table */
#define SEMTAB_SIZE		251		/* runtime/sema.go semTabSize */
#define SEMTAB_STRIDE		64		/* semaRoot padded to a cache line */
#define SEMAROOT_TREAP		8		/* semaRoot.treap, after the mutex word */
#define DEFAULT_MAX_STACK	64
#define GO_FRAMES_PER_PC	8		/* inlined frames shown for one pc, and its function */
/* Budget of one snapshot (one process, one report): a forged allgs of 2^20
 * slots all pointing at parked gs with deep stacks took 64 s and 1.3 GB of
 * JSON per report before. What is left when one runs out is cut. */
#define SNAPSHOT_BUDGET_NS	2000000000ULL
#define MAX_PARKED_READ		(1u << 17)	/* parked goroutines kept */
#define MAX_FRAMES_READ		(1u << 21)	/* stack frames kept, all goroutines */
#define G_READ_MAX		1024
#define SUDOG_READ_MAX		128	/* the sudog fields the semaphore walk reads */

/*
 * Texts derived from a pc (frame, creation site, start function, system
 * flag), cached per tracer: 100,000 goroutines share a few hundred pcs, and
 * each lookup decodes pc tables. Open addressing; when a probe run is full
 * the text is computed each time instead.
 */
#define PC_CACHE_SIZE	(1u << 14)
#define PC_CACHE_PROBES	16

enum pc_kind { PC_FRAME, PC_RET_FRAME, PC_CREATED_BY, PC_START, PC_SYSTEM, PC_KINDS };

struct pc_text {
	uint64_t key;			/* pc * PC_KINDS + kind + 1; 0 = empty */
	char *text;
};

struct go_tracer;
static void free_pc_texts(struct go_tracer *t);

struct go_tracer {
	int pid;
	int mem_fd;
	struct go_binary *bin;
	struct go_offsets off;
	struct goroutines_bpf *skel;
	struct bpf_link *links[3];
	bool counts_known;
	uint64_t bias;			/* runtime address - link-time address */
	uint64_t allgs;			/* runtime address of the []*g header */
	const char *allgs_source;
	uint64_t semtable;		/* runtime address of runtime.semtable, 0 = unknown */
	uint64_t attach_ns;		/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns */
	int max_stack;
	bool verbose;
	bool unverified;		/* newest table on a newer Go: check the first walk */
	const char *wait_reasons_source;
	char offsets_check[320];	/* DWARF vs table, for -v */
	char wait_reasons_check[160];	/* binary vs table, for -v */
	struct pc_text *pcs;		/* PC_CACHE_SIZE slots, NULL until first use */
	char pc_scratch[GO_FRAMES_PER_PC * 160];	/* a text that did not fit in the cache */
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
	ssize_t n = pread(t->mem_fd, buf, len, (off_t)addr);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EFAULT;
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
	char path[64], line[512], exe[4096];
	ssize_t n;
	FILE *f;

	t->bias = 0;
	if (!go_binary__is_pie(t->bin))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", t->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", t->pid);
	f = fopen(path, "re");
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
		uint64_t node = todo[--ntodo], next[3];
		uint8_t sd[SUDOG_READ_MAX];
		struct sema_wait *w;

		if (visits++ >= MAX_SEMA_NODES) {
			*cut += ntodo + 1;	/* the queued rest, never visited */
			break;
		}
		/* one read per sudog: a forged treap costs 2^16 reads at most */
		if (node % 8 || sudog_len > sizeof(sd) || read_mem(t, node, sd, sudog_len))
			continue;
		if (!(w = ARRAY_PUSH(*out, *nout, cap))) {
			err = -ENOMEM;
			break;
		}
		w->g = field64(sd, t->off.sudog_g);
		w->addr = field64(sd, t->off.sudog_elem);
		if ((err = ARRAY_RESERVE(todo, captodo, ntodo + 3)))
			break;
		next[0] = field64(sd, t->off.sudog_prev);
		next[1] = field64(sd, t->off.sudog_next);
		next[2] = field64(sd, t->off.sudog_waitlink);
		for (int c = 0; c < 3; c++)
			if (next[c])
				todo[ntodo++] = next[c];
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
 * The object a parked goroutine waits on: the channel of its first sudog
 * (g.waiting, set for channel operations and select), else the semaphore
 * address it is queued on (sync.Mutex, RWMutex, WaitGroup, semacquire).
 */
static uint64_t wait_object(const struct go_tracer *t, uint64_t gaddr, const uint8_t *g,
			    const struct sema_wait *sema, size_t nsema)
{
	uint64_t sudog = field64(g, t->off.waiting), c;
	struct sema_wait key = { .g = gaddr }, *w;

	if (sudog && !read_u64(t, sudog + t->off.sudog_c, &c) && c)
		return c;
	w = sorted_find(sema, nsema, sizeof(*sema), &key, cmp_sema_wait);
	return w ? w->addr : 0;
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

struct go_tracer *go_tracer__new_opts(int pid, const struct go_tracer_opts *opts, char *err,
				      size_t errlen)
{
	static const struct go_tracer_opts defaults;
	char exe[64], mem[64], msg[256];
	struct go_tracer *t;

	if (!opts)
		opts = &defaults;
	t = calloc(1, sizeof(*t));
	if (!t) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	t->pid = pid;
	t->mem_fd = -1;
	t->max_stack = opts->max_stack > 0 ? opts->max_stack : DEFAULT_MAX_STACK;
	t->verbose = opts->verbose;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	snprintf(mem, sizeof(mem), "/proc/%d/mem", pid);
	t->bin = go_binary__open(exe, msg, sizeof(msg));
	if (!t->bin) {
		set_err(err, errlen, "pid %d: not a Go program we can read: %s", pid, msg);
		goto fail;
	}
	if (find_offsets(t, exe, msg, sizeof(msg))) {
		set_err(err, errlen, "pid %d (%s): %s", pid, go_binary__version(t->bin), msg);
		goto fail;
	}
	t->mem_fd = open(mem, O_RDONLY | O_CLOEXEC);
	if (t->mem_fd < 0) {
		set_err(err, errlen, "pid %d: cannot open %s: %s", pid, mem, strerror(errno));
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
	if (open_bpf(t, opts, exe, msg, sizeof(msg))) {
		set_err(err, errlen, "pid %d: %s", pid, msg);
		goto fail;
	}
	t->attach_ns = mono_ns();
	if (opts->verbose) {
		fprintf(stderr, "go: pid %d %s, struct g from %s, allgs at %#" PRIx64 " (%s), "
			"semtable at %#" PRIx64 "\n", pid, go_binary__version(t->bin), t->off.source,
			t->allgs, t->allgs_source, t->semtable);
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
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	go_binary__close(t->bin);
	free_pc_texts(t);
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

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_system_func(const char *func)
{
	return !strncmp(func, "runtime.", 8) && strcmp(func, "runtime.main");
}

/*
 * The frames of one pc, innermost first, one a line: "main.waitOn (main.go:5,
 * inlined)\nmain.main.gowrap2 (main.go:14)"; "" ends a stack walk.
 */
static void frames_text(const struct go_tracer *t, uint64_t pc, bool ret, char *buf, size_t len)
{
	struct go_frame f[GO_FRAMES_PER_PC];
	int n = pc ? go_binary__frames(t->bin, pc - t->bias, ret, f, GO_FRAMES_PER_PC) : -ENOENT;
	size_t used = 0;

	buf[0] = '\0';
	if (n < 0) {
		snprintf(buf, len, "%#" PRIx64, pc);
		return;
	}
	if (!strcmp(f[n - 1].func, "runtime.goexit"))
		return;
	for (int i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s (%s:%d%s)", i ? "\n" : "", f[i].func,
				 base_name(f[i].file), f[i].line, f[i].inlined ? ", inlined" : "");
}

/* Uncached: the text of one kind for pc, into buf ("" ends a stack walk). */
static void pc_text_compute(const struct go_tracer *t, uint64_t pc, enum pc_kind kind, char *buf,
			    size_t len)
{
	struct go_frame f[GO_FRAMES_PER_PC];
	const char *name;
	int n;

	switch (kind) {
	case PC_FRAME:
	case PC_RET_FRAME:
		frames_text(t, pc, kind == PC_RET_FRAME, buf, len);
		return;
	case PC_CREATED_BY:
		/* the go statement's own function, also when inlined into another */
		n = pc ? go_binary__frames(t->bin, pc - t->bias, true, f, GO_FRAMES_PER_PC) : -ENOENT;
		if (n > 0)
			snprintf(buf, len, "%s at %s:%d", f[0].func, f[0].file, f[0].line);
		else
			snprintf(buf, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	case PC_START:
		/* the function the go statement called, not the compiler's wrapper */
		if (pc && !go_binary__go_target(t->bin, pc - t->bias, &name))
			snprintf(buf, len, "%s", name);
		else if (pc && go_binary__frames(t->bin, pc - t->bias, false, f, 1) > 0)
			snprintf(buf, len, "%s", f[0].func);
		else
			snprintf(buf, len, pc ? "%#" PRIx64 : "?", pc);
		return;
	default:
		n = pc ? go_binary__frames(t->bin, pc - t->bias, false, f, 1) : -ENOENT;
		snprintf(buf, len, "%s", n > 0 && is_system_func(f[0].func) ? "1" : "");
	}
}

static const char *pc_text(struct go_tracer *t, uint64_t pc, enum pc_kind kind)
{
	uint64_t key = pc * PC_KINDS + kind + 1;
	struct pc_text *slot = NULL;

	if (!t->pcs)
		t->pcs = calloc(PC_CACHE_SIZE, sizeof(*t->pcs));
	/* a garbage pc whose key wraps to 0 (= empty slot) is not cached */
	for (unsigned i = 0; t->pcs && key && i < PC_CACHE_PROBES; i++) {
		struct pc_text *e = &t->pcs[(hash_bytes(0, &key, sizeof(key)) + i) % PC_CACHE_SIZE];

		if (e->key == key)
			return e->text;
		if (!e->key) {
			slot = e;
			break;
		}
	}
	pc_text_compute(t, pc, kind, t->pc_scratch, sizeof(t->pc_scratch));
	if (slot && (slot->text = strdup(t->pc_scratch)))
		slot->key = key;
	return t->pc_scratch;
}

static void free_pc_texts(struct go_tracer *t)
{
	for (unsigned i = 0; t->pcs && i < PC_CACHE_SIZE; i++)
		free(t->pcs[i].text);
	free(t->pcs);
}

/* Adds the frames of one pc (one a line) to out->stack; nonzero when full or out of memory. */
static int append_frames(struct go_goroutine *out, const char *text, int max)
{
	while (out->stack_len < max) {
		size_t n = strcspn(text, "\n");

		if (!(out->stack[out->stack_len] = strndup(text, n)))
			return -ENOMEM;
		out->stack_len++;
		if (!text[n])
			return 0;
		text += n + 1;
	}
	return -ENOSPC;
}

/*
 * Frame-pointer walk of a parked goroutine from its saved g.sched: each
 * frame's bp points at the caller's saved bp, the return address above it.
 * Every step stays inside the goroutine's stack and moves up.
 */
static void walk_stack(struct go_tracer *t, const uint8_t *g, struct go_goroutine *out)
{
	uint64_t pc = field64(g, t->off.sched_pc), bp = field64(g, t->off.sched_bp);
	uint64_t lo = field64(g, t->off.stack_lo), hi = field64(g, t->off.stack_hi);

	out->stack = calloc(t->max_stack, sizeof(char *));
	if (!out->stack)
		return;
	for (int depth = 0; depth < t->max_stack && pc; depth++) {
		const char *frame = pc_text(t, pc, depth ? PC_RET_FRAME : PC_FRAME);
		uint64_t next[2];

		if (!frame[0])
			break;
		if (append_frames(out, frame, t->max_stack))
			break;
		if (bp < lo || bp + 16 > hi || bp % 8 || read_mem(t, bp, next, sizeof(next)))
			break;
		if (next[0] <= bp && next[0])
			break;
		pc = next[1];
		bp = next[0];
	}
}

/* Park age of a waiting g: from the uprobe when it parked since attach. */
static void park_age(const struct go_tracer *t, uint64_t gaddr, const uint8_t *g,
		     uint64_t now, struct go_goroutine *out)
{
	struct go_key key = { .pid = t->pid, .g = gaddr };
	struct go_park p;
	int fd = bpf_map__fd(t->skel->maps.go_parked);
	uint64_t since = t->attach_ns;
	int64_t waitsince;

	if (!bpf_map_lookup_elem(fd, &key, &p) && p.parked_ns >= t->attach_ns &&
	    p.parked_ns <= now && p.reason == g[t->off.waitreason]) {
		out->parked_seconds = (now - p.parked_ns) / 1e9;
		out->parked_estimated = false;
		return;
	}
	/* parked before attach: at least since attach, or since the GC saw it */
	waitsince = t->off.waitsince ? (int64_t)field64(g, t->off.waitsince) : 0;
	if (waitsince > 0 && (uint64_t)waitsince < since)
		since = waitsince;
	out->parked_seconds = (now - since) / 1e9;
	out->parked_estimated = true;
}

/* Before reading slot i: is the snapshot's budget spent? The clock is read
 * every 256 slots only. */
static bool out_of_budget(const struct go_snapshot *out, uint64_t i, uint64_t start_ns,
			  uint64_t frames)
{
	return out->n_parked >= MAX_PARKED_READ || frames >= MAX_FRAMES_READ ||
	       (i % 256 == 255 && mono_ns() - start_ns > SNAPSHOT_BUDGET_NS);
}

int go_tracer__snapshot(struct go_tracer *t, double min_parked_seconds, struct go_snapshot *out)
{
	uint64_t *gs = NULL, n, now;
	uint8_t g[G_READ_MAX];
	struct sema_wait *sema = NULL;
	size_t cap = 0, nsema = 0;
	uint64_t start_ns = mono_ns(), frames = 0;
	int err = 0;

	n = 0;
	memset(out, 0, sizeof(*out));
	out->pid = t->pid;
	snprintf(out->go_version, sizeof(out->go_version), "%s", go_binary__version(t->bin));
	out->created = out->exited = GO_COUNT_UNKNOWN;
	{
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
	err = read_allgs(t, &gs, &n, &out->cut);
	if (err == -EIO || err == -ESRCH || (err && kill(t->pid, 0)))
		err = kill(t->pid, 0) ? -ESRCH : err;
	if (err)
		goto out;
	if (read_sema_waits(t, &sema, &nsema, &out->cut))
		nsema = 0;	/* wait objects of sync waits unknown, the rest still read */
	now = mono_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct go_goroutine *gr;
		uint32_t status;
		bool system;

		if (out_of_budget(out, i, start_ns, frames)) {
			out->cut += n - i;
			n = i;	/* slots read, for -v */
			break;
		}
		/* a g that vanished mid-walk is skipped, not fatal */
		if (!gs[i] || read_mem(t, gs[i], g, t->off.read_size))
			continue;
		status = field32(g, t->off.atomicstatus) & ~GO_G_SCAN;
		if (status == GO_G_DEAD || status == GO_G_IDLE)
			continue;
		system = pc_text(t, field64(g, t->off.startpc), PC_SYSTEM)[0] != '\0';
		if (!system)
			out->live++;
		if (status != GO_G_WAITING)
			continue;
		if ((err = ARRAY_RESERVE(out->parked, cap, out->n_parked + 1)))
			goto out;
		gr = &out->parked[out->n_parked];
		memset(gr, 0, sizeof(*gr));
		park_age(t, gs[i], g, now, gr);
		if (gr->parked_seconds < min_parked_seconds)
			continue;
		gr->g_addr = gs[i];
		gr->goid = field64(g, t->off.goid);
		gr->status = status;
		gr->system = system;
		{
			char buf[48];
			const char *r = go_offsets__wait_reason(&t->off, g[t->off.waitreason], buf,
								sizeof(buf));

			snprintf(gr->wait_reason, sizeof(gr->wait_reason), "%s", r);
		}
		gr->wait_object = wait_object(t, gs[i], g, sema, nsema);
		snprintf(gr->created_by, sizeof(gr->created_by), "%s",
			 pc_text(t, field64(g, t->off.gopc), PC_CREATED_BY));
		snprintf(gr->start_func, sizeof(gr->start_func), "%s",
			 pc_text(t, field64(g, t->off.startpc), PC_START));
		walk_stack(t, g, gr);
		frames += gr->stack_len;
		out->n_parked++;
	}
out:
	free(sema);
	free(gs);
	if (t->verbose && !err)
		fprintf(stderr, "go: pid %d snapshot: %" PRIu64 " goroutines read, %zu parked, "
			"%" PRIu64 " cut, %.1f ms\n", t->pid, n, out->n_parked, out->cut,
			(mono_ns() - start_ns) / 1e6);
	if (err)
		go_snapshot__free(out);
	return err;
}

void go_snapshot__free(struct go_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_parked; i++) {
		for (int j = 0; j < s->parked[i].stack_len; j++)
			free(s->parked[i].stack[j]);
		free(s->parked[i].stack);
	}
	free(s->parked);
	s->parked = NULL;
	s->n_parked = 0;
}
