// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The goroutines BPF object of --precise (go_tracer_impl.h): uprobes on
 * runtime.gopark, newproc1 and goexit0 of each traced process, attached by
 * file offset, and the maps they fill, keyed by pid. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "goroutines.h"
#include "goroutines.skel.h"
#include "collect/go/go_tracer_impl.h"
#include "util/log.h"

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
			lt_verbose("go", "%s not found", func);
		errno = ENOENT;
		return NULL;
	}
	link = bpf_program__attach_uprobe(prog, false, t->pid, exe, off);
	if (verbose)
		lt_verbose("go", "uprobe %s+%" PRIu64 " (file offset %#" PRIx64 ")%s: %s",
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
		lt_set_err(err, errlen, "cannot open the goroutine BPF object: %s", strerror(-ret));
		return ret;
	}
	bpf_map__set_max_entries(shared_skel->maps.go_parked,
				 opts->max_parked ? opts->max_parked : GO_MAX_PARKED);
	ret = goroutines_bpf__load(shared_skel);
	if (ret) {
		lt_set_err(err, errlen, "cannot load the goroutine BPF programs: %s", strerror(-ret));
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

int go_tracer__attach_bpf(struct go_tracer *t, const struct go_tracer_opts *opts, const char *exe,
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
		lt_set_err(err, errlen, "cannot count goroutines of one more process: %s",
			strerror(-ret));
		return ret;
	}
	t->links[0] = attach_probe(t, t->skel->progs.go_gopark, exe, "runtime.gopark",
				   opts->verbose);
	if (!t->links[0]) {
		ret = errno ? -errno : -ENOENT;
		lt_set_err(err, errlen, "cannot attach a uprobe to runtime.gopark: %s",
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

void go_tracer__detach_bpf(struct go_tracer *t)
{
	for (int i = 0; i < 3; i++) {
		bpf_link__destroy(t->links[i]);
		t->links[i] = NULL;
	}
	if (t->skel) {
		forget_pid(t->skel, t->pid);
		shared_put();
		t->skel = NULL;
	}
}

void go_tracer__bpf_counts(const struct go_tracer *t, struct go_snapshot *out)
{
	uint32_t pid = t->pid;
	struct go_counts c;

	if (!t->skel || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.go_counts), &pid, &c))
		return;
	if (t->counts_known) {
		out->created = c.c[GO_CNT_CREATED];
		out->exited = c.c[GO_CNT_EXITED];
	}
	out->parks = c.c[GO_CNT_PARKS];
	out->dropped = c.c[GO_CNT_DROP_PARKED];
}

int go_tracer__bpf_park_stamp(const struct go_tracer *t, uint64_t g, uint8_t reason,
			      uint64_t *parked_ns)
{
	struct go_key key = { .pid = t->pid, .g = g };
	struct go_park bp;

	if (!t->skel || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.go_parked), &key, &bp) ||
	    bp.reason != reason)
		return -ENOENT;
	*parked_ns = bp.parked_ns;
	return 0;
}
