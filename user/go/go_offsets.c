// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* struct g field offsets and waitReason names per Go version (amd64). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "go/go_offsets.h"

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
static const char *const wait_reasons_124[] = {
	WAIT_REASONS_122, "GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (synctest)", "chan send (synctest)", "select (synctest)",
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

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct version_row {
	int minor;
	bool tested;	/* checked against the DWARF of a toolchain of that version */
	uint32_t sched_bp, atomicstatus, goid, waitsince, waitreason, gopc, startpc;
	const char *const *wait_reasons;
	unsigned n_wait_reasons;
};

/*
 * Offsets that move between versions. Fixed everywhere: stack.lo 0,
 * stack.hi 8, sched.sp 56, sched.pc 64. Tested rows were compared with the
 * DWARF of that toolchain's binaries; the others are derived from the
 * runtime sources: 1.20 only turns goid into uint64; 1.24 adds
 * fipsIndicator inside existing padding; 1.25 drops gobuf.ret (-8 from
 * sched.bp on), and the fields it adds before gopc also fit in padding.
 */
static const struct version_row versions[] = {
	{19, true,  104, 144, 152, 168, 176, 296, 312, wait_reasons_119, N(wait_reasons_119)},
	{20, false, 104, 144, 152, 168, 176, 296, 312, wait_reasons_120, N(wait_reasons_120)},
	{21, true,  104, 144, 152, 168, 176, 280, 296, wait_reasons_121, N(wait_reasons_121)},
	{22, true,  104, 144, 152, 168, 176, 280, 296, wait_reasons_122, N(wait_reasons_122)},
	{23, true,  104, 152, 160, 176, 184, 288, 304, wait_reasons_123, N(wait_reasons_123)},
	{24, false, 104, 152, 160, 176, 184, 288, 304, wait_reasons_124, N(wait_reasons_124)},
	{25, false,  96, 144, 152, 168, 176, 280, 296, wait_reasons_125, N(wait_reasons_125)},
	{26, false,  96, 144, 152, 168, 176, 280, 296, wait_reasons_125, N(wait_reasons_125)},
};

const char *go_offsets__supported(void)
{
	return "go1.19 to go1.26";
}

static void set_read_size(struct go_offsets *o)
{
	uint32_t fields[] = { o->stack_hi, o->sched_sp, o->sched_pc, o->sched_bp, o->atomicstatus,
			      o->goid, o->waitsince, o->waitreason, o->gopc, o->startpc };
	uint32_t max = 0;

	for (size_t i = 0; i < N(fields); i++)
		if (fields[i] > max)
			max = fields[i];
	o->read_size = max + 8;
}

int go_offsets__from_table(int major, int minor, struct go_offsets *o, char *err, size_t errlen)
{
	for (size_t i = 0; major == 1 && i < N(versions); i++) {
		const struct version_row *r = &versions[i];

		if (r->minor != minor)
			continue;
		memset(o, 0, sizeof(*o));
		snprintf(o->source, sizeof(o->source), "table go1.%d (%s)", minor,
			 r->tested ? "tested" : "from runtime sources");
		o->stack_lo = 0;
		o->stack_hi = 8;
		o->sched_sp = 56;
		o->sched_pc = 64;
		o->sched_bp = r->sched_bp;
		o->atomicstatus = r->atomicstatus;
		o->goid = r->goid;
		o->waitsince = r->waitsince;
		o->waitreason = r->waitreason;
		o->gopc = r->gopc;
		o->startpc = r->startpc;
		o->wait_reasons = r->wait_reasons;
		o->n_wait_reasons = r->n_wait_reasons;
		set_read_size(o);
		return 0;
	}
	snprintf(err, errlen, "unsupported Go version go%d.%d: supported %s", major, minor,
		 go_offsets__supported());
	return -ENOTSUP;
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
		return off < 1 << 16 ? (long)off : -1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

static bool find_struct(Dwarf *dw, const char *name, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hdr;

	while (dwarf_nextcu(dw, off, &next, &hdr, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dw, off + hdr, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				const char *n;

				if (dwarf_tag(&child) == DW_TAG_structure_type &&
				    (n = dwarf_diename(&child)) && !strcmp(n, name)) {
					*out = child;
					return true;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return false;
}

int go_offsets__from_dwarf(const char *path, struct go_offsets *o)
{
	Dwarf_Die g, sched_t, stack_t;
	long stack, sched, f[9];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Dwarf *dw;

	if (fd < 0)
		return -errno;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENOENT;
	}
	if (!find_struct(dw, "runtime.g", &g))
		goto out;
	stack = member_offset(&g, "stack", &stack_t);
	sched = member_offset(&g, "sched", &sched_t);
	if (stack < 0 || sched < 0)
		goto out;
	f[0] = member_offset(&stack_t, "hi", NULL);
	f[1] = member_offset(&sched_t, "sp", NULL);
	f[2] = member_offset(&sched_t, "pc", NULL);
	f[3] = member_offset(&sched_t, "bp", NULL);
	f[4] = member_offset(&g, "atomicstatus", NULL);
	f[5] = member_offset(&g, "goid", NULL);
	f[6] = member_offset(&g, "waitreason", NULL);
	f[7] = member_offset(&g, "gopc", NULL);
	f[8] = member_offset(&g, "startpc", NULL);
	for (int i = 0; i < 9; i++)
		if (f[i] < 0)
			goto out;
	snprintf(o->source, sizeof(o->source), "DWARF");
	o->stack_lo = stack;
	o->stack_hi = stack + f[0];
	o->sched_sp = sched + f[1];
	o->sched_pc = sched + f[2];
	o->sched_bp = sched + f[3];
	o->atomicstatus = f[4];
	o->goid = f[5];
	o->waitreason = f[6];
	o->gopc = f[7];
	o->startpc = f[8];
	/* only the GC sets waitsince: optional */
	o->waitsince = member_offset(&g, "waitsince", NULL) >= 0 ?
		       member_offset(&g, "waitsince", NULL) : 0;
	if (!o->wait_reasons) {
		/* unknown version: only the names that never moved */
		o->wait_reasons = wait_reasons_119;
		o->n_wait_reasons = 18;
	}
	set_read_size(o);
	err = 0;
out:
	dwarf_end(dw);
	close(fd);
	return err;
}
