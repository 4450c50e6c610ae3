// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runtime discovery for a Go tracer (go_tracer_impl.h): the struct g
 * offsets (table or DWARF) and wait reasons, the load bias of a PIE,
 * runtime.allgs and runtime.semtable (symbol, or recovered from code and
 * checked against the process's memory). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/go/go_semtable.h"
#include "collect/go/go_tracer_impl.h"
#include "collect/procfs/procfs.h"
#include "util/array.h"

/* Load bias of a PIE: start of the file's first mapping minus its vaddr. */
int go_tracer__find_bias(struct go_tracer *t)
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

static int read_u64(const struct go_tracer *t, uint64_t addr, uint64_t *v)
{
	return go_tracer__read_mem(t, addr, v, sizeof(*v));
}

/* allgs[0] is the main goroutine: goid 1, started at runtime.main. */
static bool allgs_plausible(const struct go_tracer *t, uint64_t addr, uint64_t main_entry)
{
	uint64_t hdr[3], g0;
	uint8_t g[G_READ_MAX];

	if (go_tracer__read_mem(t, addr, hdr, sizeof(hdr)) || !hdr[0] || hdr[0] % 8 || !hdr[1] ||
	    hdr[1] > hdr[2] || hdr[2] > MAX_ALLGS)
		return false;
	if (read_u64(t, hdr[0], &g0) || !g0 || go_tracer__read_mem(t, g0, g, t->off.read_size))
		return false;
	return go_field64(g, t->off.goid) == 1 && go_field64(g, t->off.startpc) == main_entry;
}

int go_tracer__find_allgs(struct go_tracer *t, char *err, size_t errlen)
{
	uint64_t sym, main_entry, size, cands[16];
	int n;

	if (go_binary__func(t->bin, "runtime.main", &main_entry, &size)) {
		lt_set_err(err, errlen, "runtime.main not found in the function table");
		return -ENOENT;
	}
	main_entry += t->bias;
	if (!go_binary__data_symbol(t->bin, "runtime.allgs", &sym)) {
		t->allgs = sym + t->bias;
		t->allgs_source = "symtab";
		if (allgs_plausible(t, t->allgs, main_entry))
			return 0;
		lt_set_err(err, errlen, "runtime.allgs does not match the struct g layout (%s)",
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
	lt_set_err(err, errlen, "cannot locate runtime.allgs (stripped binary, %d candidates, %s)",
		n < 0 ? 0 : n, t->off.source);
	return -ENOENT;
}

/* allgs header {ptr, len, cap} read and capped: how many to read, how many cut. */
static int read_allgs_header(const struct go_tracer *t, uint64_t *ptr, uint64_t *n, uint64_t *cut)
{
	uint64_t hdr[3];
	int err = go_tracer__read_mem(t, t->allgs, hdr, sizeof(hdr));

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
int go_tracer__read_allgs(const struct go_tracer *t, uint64_t **gs, uint64_t *n, uint64_t *cut)
{
	uint64_t ptr;
	int err = read_allgs_header(t, &ptr, n, cut);

	*gs = NULL;
	if (err)
		return err;
	*gs = calloc(*n ? *n : 1, sizeof(**gs));
	if (!*gs)
		return -ENOMEM;
	return go_tracer__read_mem(t, ptr, *gs, *n * sizeof(**gs));
}

/*
 * A Go newer than the table gets the newest row only if a walk with it
 * looks right: every status in range, goids unique, every parked g's saved
 * sp inside its own stack. A layout that moved fails one of these.
 */
int go_tracer__verify_walk(const struct go_tracer *t, char *err, size_t errlen)
{
	uint64_t *gs, *goids = NULL, n, cut;
	uint8_t g[G_READ_MAX];
	size_t ngoids = 0;
	int ret = go_tracer__read_allgs(t, &gs, &n, &cut);

	if (!ret && !(goids = calloc(n ? n : 1, sizeof(*goids))))
		ret = -ENOMEM;
	for (uint64_t i = 0; !ret && i < n; i++) {
		uint32_t status;
		uint64_t sp, lo, hi;

		if (!gs[i] || go_tracer__read_mem(t, gs[i], g, t->off.read_size))
			continue;
		status = field32(g, t->off.atomicstatus) & ~GO_G_SCAN;
		if (status > GO_G_STATUS_MAX) {
			lt_set_err(err, errlen, "status %u out of range", status);
			ret = -EPROTO;
			break;
		}
		if (status == GO_G_DEAD)
			continue;
		goids[ngoids++] = go_field64(g, t->off.goid);
		sp = go_field64(g, t->off.sched_sp);
		lo = go_field64(g, t->off.stack_lo);
		hi = go_field64(g, t->off.stack_hi);
		if (status == GO_G_WAITING && (sp < lo || sp >= hi)) {
			lt_set_err(err, errlen, "goroutine %" PRIu64 " saved sp outside its stack",
				goids[ngoids - 1]);
			ret = -EPROTO;
		}
	}
	if (!ret) {
		qsort(goids, ngoids, sizeof(*goids), cmp_u64);
		for (size_t i = 1; i < ngoids; i++) {
			if (goids[i] == goids[i - 1]) {
				lt_set_err(err, errlen, "goid %" PRIu64 " seen twice", goids[i]);
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

	if (go_tracer__read_mem(t, addr, tab, sizeof(tab)))
		return false;
	for (int i = 0; i < SEMTAB_SIZE; i++) {
		const uint8_t *e = tab + i * SEMTAB_STRIDE;
		uint64_t treap = go_field64(e, SEMAROOT_TREAP);

		if (treap % 8)
			return false;
		for (int b = 24; b < SEMTAB_STRIDE; b++)
			if (e[b])
				return false;
	}
	return true;
}

void go_tracer__find_semtable(struct go_tracer *t)
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

int go_tracer__find_offsets(struct go_tracer *t, const char *exe, char *err, size_t errlen)
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
		lt_set_err(err, errlen, "unknown Go version (no build info) and no DWARF");
	else
		lt_set_err(err, errlen, "%s, and the binary has no DWARF", tab_msg);
	return -ENOTSUP;
}

