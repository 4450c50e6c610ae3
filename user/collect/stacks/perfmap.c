// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "collect/stacks/perfmap.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/foreign_file.h"
#include "util/mem_budget.h"

#define MAX_PROCS	64
#define MAX_ENTRIES	(4 << 20)
#define RECHECK_NS	100000000ULL	/* stat the file at most 10 times a second */

static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end; s++, digits++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (digits >= 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*p = s;
	*v = x;
	return digits > 0;
}

static char *printable(const char *s, size_t len)
{
	char *out = malloc(len * 4 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

/* one line "START SIZE name" into e; false when malformed */
static bool parse_line(const char *s, const char *end, struct perf_map_entry *e)
{
	uint64_t start, size;

	if (!parse_hex(&s, end, &start) || s == end || *s != ' ')
		return false;
	s++;
	if (!parse_hex(&s, end, &size) || s == end || *s != ' ' || !size || start + size < start)
		return false;
	s++;
	if (s == end)
		return false;
	if (end - s > PERF_MAP_MAX_NAME)
		end = s + PERF_MAP_MAX_NAME;
	e->start = start;
	e->end = start + size;
	e->name = printable(s, (size_t)(end - s));
	return e->name != NULL;
}

struct indexed {
	struct perf_map_entry e;
	size_t line;
};

static int cmp_indexed(const void *a, const void *b)
{
	const struct indexed *x = a, *y = b;

	if (x->e.start != y->e.start)
		return x->e.start < y->e.start ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

int perf_map_parse(const char *buf, size_t len, struct perf_map_entry **out, size_t *n_out)
{
	struct indexed *arr = NULL;
	size_t n = 0, cap = 0, lines = 0, k = 0;
	const char *p = buf, *end = buf + len;
	struct perf_map_entry *res;

	while (p < end && n < MAX_ENTRIES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct indexed *x;

		if (le > p && le[-1] == '\r')
			le--;
		x = ARRAY_PUSH(arr, n, cap);
		if (!x)
			goto nomem;
		if (parse_line(p, le, &x->e))
			x->line = lines;
		else
			n--;
		lines++;
		p = nl ? nl + 1 : end;
	}
	if (n)
		qsort(arr, n, sizeof(*arr), cmp_indexed);
	res = calloc(n ? n : 1, sizeof(*res));
	if (!res)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		/* the last line for a start wins: drop the earlier ones */
		if (i + 1 < n && arr[i + 1].e.start == arr[i].e.start) {
			free(arr[i].e.name);
			continue;
		}
		res[k++] = arr[i].e;
	}
	free(arr);
	*out = res;
	*n_out = k;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		free(arr[i].e.name);
	free(arr);
	return -ENOMEM;
}

void perf_map_entries_free(struct perf_map_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		free(e[i].name);
	free(e);
}

const struct perf_map_entry *perf_map_find(const struct perf_map_entry *e, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	/* last entry starting at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* an earlier, longer entry may still cover addr: look back a little */
	for (size_t i = lo, steps = 0; i > 0 && steps < 8; i--, steps++)
		if (addr >= e[i - 1].start && addr < e[i - 1].end)
			return &e[i - 1];
	return NULL;
}

struct perf_proc {
	int pid;
	char path[96];
	struct stat st;		/* of the file last read */
	bool have;
	uint64_t checked_ns;
	struct perf_map_entry *entries;
	size_t n;
	uint64_t used_ns;
	struct mem_entry mem;	/* in the shared byte budget */
};

struct perf_maps {
	struct perf_proc procs[MAX_PROCS];
	size_t n;
	struct mem_budget *budget;
	int budget_id;
};

static void proc_clear(struct perf_proc *p)
{
	perf_map_entries_free(p->entries, p->n);
	memset(p, 0, sizeof(*p));
	p->mem.cache = -1;
}

static void proc_forget(struct perf_maps *pm, struct perf_proc *p)
{
	mem_budget__remove(pm->budget, &p->mem);
	proc_clear(p);
}

static void evict_map(struct mem_entry *me, void *ctx)
{
	proc_forget(ctx, (struct perf_proc *)((char *)me - offsetof(struct perf_proc, mem)));
}

struct perf_maps *perf_maps__new(void)
{
	struct perf_maps *pm = calloc(1, sizeof(struct perf_maps));

	if (!pm)
		return NULL;
	for (size_t i = 0; i < MAX_PROCS; i++)
		pm->procs[i].mem.cache = -1;
	pm->budget = mem_budget__shared();
	pm->budget_id = mem_budget__register(pm->budget, "perfmap", evict_map, pm);
	return pm;
}

void perf_maps__forget(struct perf_maps *pm, int pid)
{
	for (size_t i = 0; pm && i < pm->n; i++)
		if (pm->procs[i].pid == pid)
			proc_forget(pm, &pm->procs[i]);
}

/* The parsed map's bytes, names included (estimated), in the budget. */
static void proc_account(struct perf_maps *pm, struct perf_proc *p)
{
	uint64_t bytes = p->n * (sizeof(*p->entries) + 48);

	if (p->mem.cache < 0)
		mem_budget__add(pm->budget, &p->mem, pm->budget_id, bytes);
	else
		mem_budget__resize(pm->budget, &p->mem, bytes);
	mem_budget__touch(pm->budget, &p->mem);
}

void perf_maps__free(struct perf_maps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++)
		proc_forget(pm, &pm->procs[i]);
	mem_budget__unregister(pm->budget, pm->budget_id);
	free(pm);
}

int perf_map_nspid(int pid)
{
	char status[4096];
	int ns;

	if (procfs__read_buf(pid, 0, "status", status, sizeof(status)) < 0)
		return pid;
	ns = procfs__status_nspid(status);
	return ns > 0 ? ns : pid;
}

/* (re)load p's map when the file changed; false when there is none */
static bool refresh(struct perf_proc *p)
{
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int err;

	if (p->have && mono_ns() - p->checked_ns < RECHECK_NS)
		return p->n > 0;
	p->checked_ns = mono_ns();
	if (stat(p->path, &st))
		return false;
	if (p->have && st.st_ino == p->st.st_ino && st.st_size == p->st.st_size &&
	    st.st_mtim.tv_sec == p->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == p->st.st_mtim.tv_nsec)
		return p->n > 0;
	/* the target's own file: a FIFO, device, symlink or oversized file is
	 * refused, never waited on, and kept as an empty map until it changes */
	err = foreign_read(p->path, FOREIGN_PERF_MAP, 0, &buf, &len, &st, NULL, 0);
	if (err == -ENOENT || err == -ENOMEM)
		return false;	/* gone meanwhile, or try again later */
	perf_map_entries_free(p->entries, p->n);
	p->entries = NULL;
	p->n = 0;
	if (!err && perf_map_parse(buf, len, &p->entries, &p->n)) {
		p->entries = NULL;
		p->n = 0;
	}
	free(buf);
	p->st = st;
	p->have = true;
	return p->n > 0;
}

static struct perf_proc *proc_for(struct perf_maps *pm, int pid)
{
	struct perf_proc *p = NULL;
	char name[48];

	for (size_t i = 0; i < pm->n; i++)
		if (pm->procs[i].pid == pid)
			return &pm->procs[i];
	if (pm->n < MAX_PROCS) {
		p = &pm->procs[pm->n++];
	} else {
		p = &pm->procs[0];
		for (size_t i = 1; i < pm->n; i++)
			if (pm->procs[i].used_ns < p->used_ns)
				p = &pm->procs[i];
		proc_forget(pm, p);
	}
	p->pid = pid;
	/* the JIT writes it in its own /tmp, named by its own pid */
	snprintf(name, sizeof(name), "root/tmp/perf-%d.map", perf_map_nspid(pid));
	procfs__path(p->path, sizeof(p->path), pid, 0, name);
	return p;
}

int perf_maps__name_frames(struct perf_maps *pm, int pid, struct frame_builder *b)
{
	struct perf_proc *p = NULL;
	int named = 0;

	for (int i = 0; pm && i < b->n; i++) {
		struct frame *f = &b->frames[i];
		const struct perf_map_entry *e;

		if (f->kind != FRAME_JIT || f->function)
			continue;
		if (!p) {
			p = proc_for(pm, pid);
			p->used_ns = mono_ns();
			if (!refresh(p))
				return 0;
			proc_account(pm, p);
		}
		e = perf_map_find(p->entries, p->n, f->pc);
		if (!e || frame_builder__name(b, i, e->name))
			continue;
		b->frames[i].offset = b->frames[i].pc - e->start;
		named++;
	}
	return named;
}
