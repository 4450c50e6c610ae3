// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* struct g field offsets and waitReason names per Go version (amd64). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collect/go/go_offsets.h"
#include "util/foreign_file.h"

/* runtime2.go waitReasonStrings. 0-17 never moved; later ones were renumbered. */
#define WAIT_REASONS_0_17 \
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", \
	"chan send (nil chan)", "dumping heap", "garbage collection", \
	"garbage collection scan", "panicwait", "select", "select (no cases)", \
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive", \
	"chan send", "finalizer wait", "force gc (idle)"

static const char *const wait_reasons_119[] = {
	WAIT_REASONS_0_17, "semacquire", "sleep", "sync.Cond.Wait",
	"timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "preempted", "debug call",
};

/* 1.20: "GC worker (active)" after "GC worker (idle)" */
static const char *const wait_reasons_120[] = {
	WAIT_REASONS_0_17, "semacquire", "sleep", "sync.Cond.Wait",
	"timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call",
};

#define WAIT_REASONS_121 \
	WAIT_REASONS_0_17, "semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock", \
	"sync.RWMutex.RLock", "sync.RWMutex.Lock", "trace reader (blocked)", \
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", \
	"debug call", "GC mark termination", "stopping the world"

static const char *const wait_reasons_121[] = { WAIT_REASONS_121 };

#define WAIT_REASONS_122 \
	WAIT_REASONS_121, "flushing proc caches", "trace goroutine status", \
	"trace proc status", "page trace flush", "coroutine"

static const char *const wait_reasons_122[] = { WAIT_REASONS_122 };
static const char *const wait_reasons_123[] = { WAIT_REASONS_122, "GC weak to strong wait" };
/* 1.24 (Debian's 1.24.4) adds "sync.WaitGroup.Wait" after the RWMutex waits */
static const char *const wait_reasons_124[] = {
	WAIT_REASONS_0_17, "semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock",
	"sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush", "coroutine",
	"GC weak to strong wait", "synctest.Run", "synctest.Wait", "chan receive (synctest)",
	"chan send (synctest)", "select (synctest)",
};

/* 1.25 inserts "GOMAXPROCS updater (idle)" at 18 and "sync.WaitGroup.Wait". */
static const char *const wait_reasons_125[] = {
	WAIT_REASONS_0_17, "GOMAXPROCS updater (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock",
	"sync.WaitGroup.Wait", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush", "coroutine",
	"GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (durable)", "chan send (durable)", "select (durable)",
};

/* 1.26 moved the channel and select waits behind the GC ones (enum reordered). */
static const char *const wait_reasons_126[] = {
	"", "GC assist marking", "IO wait", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "GC assist wait", "GC sweep wait", "GC scavenge wait",
	"finalizer wait", "force gc (idle)", "GOMAXPROCS updater (idle)", "semacquire", "sleep",
	"chan receive (nil chan)", "chan send (nil chan)", "select (no cases)", "select",
	"chan receive", "chan send", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call", "GC mark termination",
	"stopping the world", "flushing proc caches", "trace goroutine status", "trace proc status",
	"page trace flush", "coroutine", "GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (durable)", "chan send (durable)", "select (durable)",
	"sync.WaitGroup.Wait (durable)", "cleanup wait",
};


#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Offsets that move between versions; stack.lo 0, stack.hi 8, sched.sp 56
 * and sched.pc 64 never moved. Every row was compared with the DWARF of
 * that toolchain's binaries (tests/matrix/test_go_toolchains.py), except
 * 1.20 and 1.25 (Debian ships no such toolchain): 1.20 only turns goid into
 * uint64; 1.25 drops gobuf.ret (-8 from sched.bp on) like 1.26. timer.when
 * is 8 before 1.23 (after pp), 16 in 1.23 and 1.24 (after the lock and
 * state bytes), 24 in 1.26 (after rand); 1.25's is left to DWARF.
 */
#define SUDOG_119 .sudog_g = 0, .sudog_next = 8, .sudog_prev = 16, .sudog_elem = 24, \
	.sudog_parent = 56, .sudog_waitlink = 64, .sudog_c = 80
/* 1.26 adds a field before sudog.parent */
#define SUDOG_126 .sudog_g = 0, .sudog_next = 8, .sudog_prev = 16, .sudog_elem = 24, \
	.sudog_parent = 64, .sudog_waitlink = 72, .sudog_c = 88
struct version_row {
	int minor;
	struct go_offsets off;
};

static const struct version_row versions[] = {
	{19, {.sched_bp = 104, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 296, .startpc = 312, .waiting = 328, .timer_when = 8, .tracking_seq = 189, SUDOG_119,
	      .wait_reasons = wait_reasons_119, .n_wait_reasons = N(wait_reasons_119)}},
	{20, {.sched_bp = 104, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 296, .startpc = 312, .waiting = 328, .timer_when = 8, .tracking_seq = 189, SUDOG_119,
	      .wait_reasons = wait_reasons_120, .n_wait_reasons = N(wait_reasons_120)}},
	{21, {.sched_bp = 104, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 280, .startpc = 296, .waiting = 312, .timer_when = 8, .tracking_seq = 188, SUDOG_119,
	      .wait_reasons = wait_reasons_121, .n_wait_reasons = N(wait_reasons_121)}},
	{22, {.sched_bp = 104, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 280, .startpc = 296, .waiting = 312, .timer_when = 8, .tracking_seq = 191, SUDOG_119,
	      .wait_reasons = wait_reasons_122, .n_wait_reasons = N(wait_reasons_122)}},
	{23, {.sched_bp = 104, .atomicstatus = 152, .goid = 160, .waitsince = 176, .waitreason = 184,
	      .gopc = 288, .startpc = 304, .waiting = 320, .timer_when = 16, .tracking_seq = 199, SUDOG_119,
	      .wait_reasons = wait_reasons_123, .n_wait_reasons = N(wait_reasons_123)}},
	{24, {.sched_bp = 104, .atomicstatus = 152, .goid = 160, .waitsince = 176, .waitreason = 184,
	      .gopc = 288, .startpc = 304, .waiting = 320, .timer_when = 16, .tracking_seq = 199, SUDOG_119,
	      .wait_reasons = wait_reasons_124, .n_wait_reasons = N(wait_reasons_124)}},
	{25, {.sched_bp = 96, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 280, .startpc = 296, .waiting = 312, .timer_when = 0, .tracking_seq = 191, SUDOG_119,
	      .wait_reasons = wait_reasons_125, .n_wait_reasons = N(wait_reasons_125)}},
	{26, {.sched_bp = 96, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 288, .startpc = 304, .waiting = 320, .timer_when = 24, .tracking_seq = 191, SUDOG_126,
	      .wait_reasons = wait_reasons_126, .n_wait_reasons = N(wait_reasons_126)}},
	{27, {.sched_bp = 96, .atomicstatus = 144, .goid = 152, .waitsince = 168, .waitreason = 176,
	      .gopc = 288, .startpc = 304, .waiting = 320, .timer_when = 24, .tracking_seq = 191, SUDOG_126,
	      .wait_reasons = wait_reasons_126, .n_wait_reasons = N(wait_reasons_126)}},
};

/* Every field offset, by name, for DWARF lookups and comparisons. */
struct field {
	const char *name;	/* as printed: "g.goid", "sudog.c" */
	const char *strct;	/* DWARF struct: "runtime.g" */
	const char *outer;	/* enclosing member ("sched") or NULL */
	const char *member;
	size_t at;		/* offsetof(struct go_offsets, ...) */
	bool optional;		/* 0 when absent */
};

#define G_FIELD(n, o, m, f) { "g." n, "runtime.g", o, m, offsetof(struct go_offsets, f), false }
#define SUDOG_FIELD(m, f) { "sudog." m, "runtime.sudog", NULL, m, offsetof(struct go_offsets, f), false }
static const struct field fields[] = {
	G_FIELD("stack.lo", "stack", "lo", stack_lo),
	G_FIELD("stack.hi", "stack", "hi", stack_hi),
	G_FIELD("sched.sp", "sched", "sp", sched_sp),
	G_FIELD("sched.pc", "sched", "pc", sched_pc),
	G_FIELD("sched.bp", "sched", "bp", sched_bp),
	G_FIELD("atomicstatus", NULL, "atomicstatus", atomicstatus),
	G_FIELD("goid", NULL, "goid", goid),
	{ "g.waitsince", "runtime.g", NULL, "waitsince", offsetof(struct go_offsets, waitsince), true },
	G_FIELD("waitreason", NULL, "waitreason", waitreason),
	G_FIELD("gopc", NULL, "gopc", gopc),
	G_FIELD("startpc", NULL, "startpc", startpc),
	G_FIELD("waiting", NULL, "waiting", waiting),
	G_FIELD("trackingSeq", NULL, "trackingSeq", tracking_seq),
	SUDOG_FIELD("g", sudog_g),
	SUDOG_FIELD("next", sudog_next),
	SUDOG_FIELD("prev", sudog_prev),
	SUDOG_FIELD("elem", sudog_elem),
	SUDOG_FIELD("parent", sudog_parent),
	SUDOG_FIELD("waitlink", sudog_waitlink),
	SUDOG_FIELD("c", sudog_c),
	{ "timer.when", "runtime.timer", NULL, "when", offsetof(struct go_offsets, timer_when), true },
};

static uint32_t *field_ptr(struct go_offsets *o, const struct field *f)
{
	return (uint32_t *)((char *)o + f->at);
}

static uint32_t field_val(const struct go_offsets *o, const struct field *f)
{
	return *(const uint32_t *)((const char *)o + f->at);
}

const char *go_offsets__supported(void)
{
	return "go1.19 to go1.27";
}

static void set_read_size(struct go_offsets *o)
{
	uint32_t max = 0;

	for (size_t i = 0; i < N(fields); i++)
		if (!strcmp(fields[i].strct, "runtime.g") && field_val(o, &fields[i]) > max)
			max = field_val(o, &fields[i]);
	o->read_size = max + 8;
}

static void fill_from_row(const struct version_row *r, struct go_offsets *o, const char *note)
{
	*o = r->off;
	snprintf(o->source, sizeof(o->source), "table go1.%d%s", r->minor, note);
	o->stack_lo = 0;
	o->stack_hi = 8;
	o->sched_sp = 56;
	o->sched_pc = 64;
	set_read_size(o);
}

int go_offsets__from_table(int major, int minor, struct go_offsets *o, char *err, size_t errlen)
{
	for (size_t i = 0; major == 1 && i < N(versions); i++) {
		if (versions[i].minor == minor) {
			fill_from_row(&versions[i], o, "");
			return 0;
		}
	}
	snprintf(err, errlen, "unsupported Go version go%d.%d: supported %s", major, minor,
		 go_offsets__supported());
	return -ENOTSUP;
}

bool go_offsets__is_newer(int major, int minor)
{
	return major > 1 || (major == 1 && minor > versions[N(versions) - 1].minor);
}

void go_offsets__newest(struct go_offsets *o)
{
	fill_from_row(&versions[N(versions) - 1], o, " (newest, for a newer Go)");
}

int go_offsets__compare(const struct go_offsets *a, const struct go_offsets *b, char *buf,
			size_t buflen)
{
	size_t used = 0;
	int diffs = 0;

	if (buflen)
		buf[0] = '\0';
	for (size_t i = 0; i < N(fields); i++) {
		uint32_t x = field_val(a, &fields[i]), y = field_val(b, &fields[i]);

		if (x == y)
			continue;
		diffs++;
		if (used < buflen)
			used += snprintf(buf + used, buflen - used, "%s%s %u/%u", diffs > 1 ? ", " : "",
					 fields[i].name, x, y);
	}
	return diffs;
}

int go_offsets__compare_wait_reasons(const struct go_offsets *o, const char *const *names,
				     unsigned n, char *buf, size_t buflen)
{
	unsigned max = n > o->n_wait_reasons ? n : o->n_wait_reasons;
	int diffs = 0;

	if (buflen)
		buf[0] = '\0';
	for (unsigned i = 0; i < max; i++) {
		const char *x = i < o->n_wait_reasons ? o->wait_reasons[i] : "(none)";
		const char *y = i < n ? names[i] : "(none)";

		if (!strcmp(x, y))
			continue;
		if (!diffs++)
			snprintf(buf, buflen, "%u: table \"%s\", binary \"%s\"", i, x, y);
	}
	return diffs;
}

const char *go_offsets__wait_reason(const struct go_offsets *o, unsigned reason, char *buf,
				    size_t buflen)
{
	if (o->wait_reasons && reason < o->n_wait_reasons)
		return o->wait_reasons[reason];
	snprintf(buf, buflen, "unknown wait reason %u", reason);
	return buf;
}

/* Member offset of a DW_TAG_member child named name, or -1. */
static long member_offset(Dwarf_Die *type, const char *name, Dwarf_Die *member_type)
{
	Dwarf_Die child;

	if (dwarf_child(type, &child))
		return -1;
	do {
		Dwarf_Attribute attr;
		Dwarf_Word off;
		const char *n;

		if (dwarf_tag(&child) != DW_TAG_member || !(n = dwarf_diename(&child)) ||
		    strcmp(n, name))
			continue;
		if (!dwarf_attr(&child, DW_AT_data_member_location, &attr) ||
		    dwarf_formudata(&attr, &off))
			return -1;
		if (member_type && !dwarf_attr(&child, DW_AT_type, &attr))
			return -1;
		if (member_type && (!dwarf_formref_die(&attr, member_type) ||
				    dwarf_peel_type(member_type, member_type)))
			return -1;
		return off < 1 << 20 ? (long)off : -1;	/* mheap_.allspans is at 65856 */
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

/* The DWARF structs named in fields[], found in one pass over the CUs. */
struct dwarf_structs {
	Dwarf_Die g, sudog, timer;
	bool has_g, has_sudog, has_timer;
};

static void find_structs(Dwarf *dw, struct dwarf_structs *out)
{
	Dwarf_Off off = 0, next;
	size_t hdr;

	/* all three live in the runtime's CU: the walk ends there */
	while (!(out->has_g && out->has_sudog && out->has_timer) &&
	       dwarf_nextcu(dw, off, &next, &hdr, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dw, off + hdr, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				const char *n;

				if (dwarf_tag(&child) != DW_TAG_structure_type ||
				    !(n = dwarf_diename(&child)))
					continue;
				if (!out->has_g && !strcmp(n, "runtime.g")) {
					out->g = child;
					out->has_g = true;
				} else if (!out->has_sudog && !strcmp(n, "runtime.sudog")) {
					out->sudog = child;
					out->has_sudog = true;
				} else if (!out->has_timer && !strcmp(n, "runtime.timer")) {
					out->timer = child;
					out->has_timer = true;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
}

static long dwarf_field(struct dwarf_structs *ds, const struct field *f)
{
	Dwarf_Die *s = !strcmp(f->strct, "runtime.g") ? &ds->g :
		       !strcmp(f->strct, "runtime.sudog") ? &ds->sudog : &ds->timer, inner;
	long outer = 0, m;

	if (s == &ds->timer && !ds->has_timer)
		return -1;
	if (f->outer && (outer = member_offset(s, f->outer, &inner)) < 0)
		return -1;
	m = member_offset(f->outer ? &inner : s, f->member, NULL);
	return m < 0 ? -1 : outer + m;
}

int go_offsets__from_dwarf(const char *path, struct go_offsets *o)
{
	struct dwarf_structs ds = { 0 };
	struct go_offsets d = *o;
	int fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0), err = -ENOENT;
	Dwarf *dw;

	if (fd < 0)
		return fd;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENOENT;
	}
	find_structs(dw, &ds);
	if (!ds.has_g || !ds.has_sudog)
		goto out;
	for (size_t i = 0; i < N(fields); i++) {
		long v = dwarf_field(&ds, &fields[i]);

		if (v < 0 && !fields[i].optional)
			goto out;
		*field_ptr(&d, &fields[i]) = v < 0 ? 0 : (uint32_t)v;
	}
	snprintf(d.source, sizeof(d.source), "DWARF");
	if (!d.wait_reasons) {
		/* unknown version: only the names that never moved before 1.26 */
		d.wait_reasons = wait_reasons_119;
		d.n_wait_reasons = 18;
	}
	set_read_size(&d);
	*o = d;
	err = 0;
out:
	dwarf_end(dw);
	close(fd);
	return err;
}

/*
 * Heap offsets per version, each row read from the DWARF of that
 * toolchain's binaries (gdb, .output/cache/go/<ver>/): mspan's freeindex
 * and nelems became uint16 in 1.22, special.kind moved in 1.24, sudog's
 * c and elem became {vp, vu} pairs in 1.26 (vu read).
 */
#define SPAN_119 .mheap_allspans = 65856, .span_start = 24, .span_npages = 32, \
	.span_freeindex = 48, .span_nelems = 56, .span_index_size = 8, .span_allocbits = 72, \
	.span_spanclass = 98, .span_state = 99, .span_elemsize = 104, .span_limit = 112, \
	.span_specials = 128
#define SPAN_121 .mheap_allspans = 65864, .span_start = 24, .span_npages = 32, \
	.span_freeindex = 48, .span_nelems = 56, .span_index_size = 8, .span_allocbits = 72, \
	.span_spanclass = 106, .span_state = 107, .span_elemsize = 112, .span_limit = 120, \
	.span_specials = 136
#define SPAN_122 .mheap_allspans = 65864, .span_start = 24, .span_npages = 32, \
	.span_freeindex = 48, .span_nelems = 50, .span_index_size = 2, .span_allocbits = 64, \
	.span_spanclass = 98, .span_state = 99, .span_elemsize = 104, .span_limit = 112, \
	.span_specials = 128
#define SPECIAL_119 .special_kind = 10, .special_offset = 8, .specialfinalizer_fn = 16
#define SPECIAL_124 .special_kind = 16, .special_offset = 8, .specialfinalizer_fn = 24
#define MODULE(next) .md_data = 208, .md_edata = 216, .md_bss = 224, .md_ebss = 232, .md_next = next
#define WAITS(c, elem) .sudog_c_word = c, .sudog_elem_word = elem, .cond_notify = 16, .notify_head = 16
#define WBBUF(off) .p_wbbuf = off, .p_wbbuf_size = 4112

struct heap_row {
	int minor;
	struct go_heap_offsets off;
};

static const struct heap_row heap_rows[] = {
	{19, {SPAN_119, SPECIAL_119, MODULE(544), WAITS(80, 24), WBBUF(4712)}},
	{21, {SPAN_121, SPECIAL_119, MODULE(584), WAITS(80, 24), WBBUF(4712)}},
	{22, {SPAN_122, SPECIAL_119, MODULE(584), WAITS(80, 24), WBBUF(4744)}},
	{23, {SPAN_122, SPECIAL_119, MODULE(576), WAITS(80, 24), WBBUF(4720)}},
	{24, {SPAN_122, SPECIAL_124, MODULE(576), WAITS(80, 24), WBBUF(4720)}},
	{26, {SPAN_122, SPECIAL_124, MODULE(584), WAITS(96, 32), WBBUF(9552)}},
	{27, {SPAN_122, SPECIAL_124, MODULE(560), WAITS(96, 32), WBBUF(9552)}},
};

int go_heap_offsets__from_table(int minor, struct go_heap_offsets *h)
{
	for (size_t i = 0; i < N(heap_rows); i++) {
		if (heap_rows[i].minor == minor) {
			*h = heap_rows[i].off;
			snprintf(h->source, sizeof(h->source), "table go1.%d", minor);
			return 0;
		}
	}
	return -ENOTSUP;
}

/* One heap offset: the struct, the member path, where it goes. */
struct heap_field {
	const char *name;	/* "mspan.limit" */
	const char *strct;	/* "runtime.mspan" */
	const char *member;
	size_t at;		/* offsetof(struct go_heap_offsets, ...) */
};

#define HF(n, s, m, f) { n, s, m, offsetof(struct go_heap_offsets, f) }
static const struct heap_field heap_fields[] = {
	HF("mheap.allspans", "runtime.mheap", "allspans", mheap_allspans),
	HF("mspan.startAddr", "runtime.mspan", "startAddr", span_start),
	HF("mspan.npages", "runtime.mspan", "npages", span_npages),
	HF("mspan.freeindex", "runtime.mspan", "freeindex", span_freeindex),
	HF("mspan.nelems", "runtime.mspan", "nelems", span_nelems),
	HF("mspan.allocBits", "runtime.mspan", "allocBits", span_allocbits),
	HF("mspan.spanclass", "runtime.mspan", "spanclass", span_spanclass),
	HF("mspan.state", "runtime.mspan", "state", span_state),
	HF("mspan.elemsize", "runtime.mspan", "elemsize", span_elemsize),
	HF("mspan.limit", "runtime.mspan", "limit", span_limit),
	HF("mspan.specials", "runtime.mspan", "specials", span_specials),
	HF("special.kind", "runtime.special", "kind", special_kind),
	HF("special.offset", "runtime.special", "offset", special_offset),
	HF("specialfinalizer.fn", "runtime.specialfinalizer", "fn", specialfinalizer_fn),
	HF("moduledata.data", "runtime.moduledata", "data", md_data),
	HF("moduledata.edata", "runtime.moduledata", "edata", md_edata),
	HF("moduledata.bss", "runtime.moduledata", "bss", md_bss),
	HF("moduledata.ebss", "runtime.moduledata", "ebss", md_ebss),
	HF("moduledata.next", "runtime.moduledata", "next", md_next),
	HF("sudog.c", "runtime.sudog", "c", sudog_c_word),
	HF("sudog.elem", "runtime.sudog", "elem", sudog_elem_word),
	HF("Cond.notify", "sync.Cond", "notify", cond_notify),
	HF("notifyList.head", "runtime.notifyList", "head", notify_head),
	HF("p.wbBuf", "runtime.p", "wbBuf", p_wbbuf),
};

#define N_HEAP_STRUCTS 9
static const char *const heap_structs[N_HEAP_STRUCTS] = {
	"runtime.mheap", "runtime.mspan", "runtime.special", "runtime.specialfinalizer",
	"runtime.moduledata", "runtime.sudog", "sync.Cond", "runtime.notifyList", "runtime.p",
};

/* The named structs' DIEs, found in one pass over the CUs. */
static int find_named_structs(Dwarf *dw, Dwarf_Die *out, bool *found)
{
	Dwarf_Off off = 0, next;
	size_t hdr;
	int left = N_HEAP_STRUCTS;

	while (left && dwarf_nextcu(dw, off, &next, &hdr, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dw, off + hdr, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				const char *n;

				if (dwarf_tag(&child) != DW_TAG_structure_type ||
				    !(n = dwarf_diename(&child)))
					continue;
				for (int i = 0; i < N_HEAP_STRUCTS; i++) {
					if (!found[i] && !strcmp(n, heap_structs[i])) {
						out[i] = child;
						found[i] = true;
						left--;
					}
				}
			} while (left && dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return 0;
}

/*
 * A member's offset; a struct-typed pointer member ({vp, vu}) gives its
 * second word, the uintptr copy. *size: the member's byte size.
 */
static long heap_member(Dwarf_Die *s, const char *name, int *size)
{
	Dwarf_Die type;
	long m = member_offset(s, name, &type);
	int bytes;

	if (m < 0)
		return -1;
	bytes = dwarf_bytesize(&type);
	*size = bytes;
	if (dwarf_tag(&type) == DW_TAG_structure_type && bytes == 16)
		return m + 8;
	return m;
}

static int heap_fields_fill(Dwarf_Die *dies, const bool *found, struct go_heap_offsets *h)
{
	h->cond_notify = 16;
	h->notify_head = 16;
	for (size_t i = 0; i < N(heap_fields); i++) {
		const struct heap_field *f = &heap_fields[i];
		int k = 0, size = 0;
		long v;

		while (k < N_HEAP_STRUCTS && strcmp(heap_structs[k], f->strct))
			k++;
		/* sync.Cond and notifyList are described only in programs that
		 * use them: 16 in every version (the defaults set above) */
		if (k < N_HEAP_STRUCTS && !found[k] &&
		    (!strcmp(f->strct, "sync.Cond") || !strcmp(f->strct, "runtime.notifyList")))
			continue;
		if (k == N_HEAP_STRUCTS || !found[k] || (v = heap_member(&dies[k], f->member, &size)) < 0)
			return -ENOENT;
		*(uint32_t *)((char *)h + f->at) = (uint32_t)v;
		if (f->at == offsetof(struct go_heap_offsets, span_freeindex))
			h->span_index_size = (uint8_t)size;
		if (f->at == offsetof(struct go_heap_offsets, p_wbbuf))
			h->p_wbbuf_size = (uint32_t)size;
	}
	return h->span_index_size == 2 || h->span_index_size == 8 ? 0 : -ENOENT;
}

int go_heap_offsets__from_dwarf(const char *path, struct go_heap_offsets *h)
{
	Dwarf_Die dies[N_HEAP_STRUCTS];
	bool found[N_HEAP_STRUCTS] = { false };
	struct go_heap_offsets d = { 0 };
	int fd = foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, NULL, 0), err;
	Dwarf *dw;

	if (fd < 0)
		return fd;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENOENT;
	}
	err = find_named_structs(dw, dies, found);
	if (!err)
		err = heap_fields_fill(dies, found, &d);
	if (!err) {
		snprintf(d.source, sizeof(d.source), "DWARF");
		*h = d;
	}
	dwarf_end(dw);
	close(fd);
	return err;
}

int go_heap_offsets__compare(const struct go_heap_offsets *a, const struct go_heap_offsets *b,
			     char *buf, size_t buflen)
{
	size_t used = 0;
	int diffs = 0;

	if (buflen)
		buf[0] = '\0';
	for (size_t i = 0; i < N(heap_fields); i++) {
		uint32_t x = *(const uint32_t *)((const char *)a + heap_fields[i].at);
		uint32_t y = *(const uint32_t *)((const char *)b + heap_fields[i].at);

		if (x == y)
			continue;
		diffs++;
		if (used < buflen)
			used += snprintf(buf + used, buflen - used, "%s%s %u/%u", diffs > 1 ? ", " : "",
					 heap_fields[i].name, x, y);
	}
	if (a->span_index_size != b->span_index_size && used < buflen)
		snprintf(buf + used, buflen - used, "%smspan index size %u/%u", diffs++ ? ", " : "",
			 a->span_index_size, b->span_index_size);
	return diffs;
}
