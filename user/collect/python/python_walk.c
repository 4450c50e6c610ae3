// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/procfs/procmem.h"
#include "collect/python/python_walk.h"
#include "util/array.h"
#include "util/clock.h"

#define MAX_INTERPRETERS	16
#define MAX_THREADS		65536	/* thread states read per rebuild, all interpreters */
#define MAX_STRING		PY_STR_CHARS
#define MAX_LINETABLE		65536	/* bytes */
#define MAX_CODE_CACHE		8192	/* code objects cached per process */
#define MAX_CODE_BYTES		(16 << 20)	/* instruction offsets beyond are garbage */
#define REBUILD_MIN_NS		50000000ULL	/* thread list re-read on a miss at most 20/s */
/* A code object referenced by a frame we just read is alive; its address
 * can only be reused after it is freed, which takes its frames ending: an
 * entry checked within this window (one report cycle) is trusted. */
#define CODE_TRUST_NS		500000000ULL

struct tstate_ref {
	uint32_t tid;		/* first: sorted and found with cmp_u32 */
	uint64_t addr;
};

struct code_entry {
	uint64_t addr;
	uint64_t filename_ptr, name_ptr, linetable_ptr;	/* to check the entry is current */
	uint64_t checked_ns;
	char name[MAX_STRING * 4 + 1];
	char file[MAX_STRING * 4 + 1];
	int firstlineno;
	uint8_t *linetable;
	size_t linetable_len;
};

struct py_proc {
	int pid;
	struct procmem mem;	/* /proc/PID/mem, else process_vm_readv */
	uint64_t runtime;
	struct py_offsets o;
	struct tstate_ref *tstates;	/* sorted by tid */
	size_t n_tstates;
	uint64_t built_ns;
	struct code_entry *codes;	/* open hash on addr */
	uint64_t used[MAX_CODE_CACHE / 64];	/* slots ever filled: the rest never touched */
};

struct py_proc *py_proc__new(int pid, uint64_t runtime_addr, const struct py_offsets *o)
{
	struct py_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->codes = calloc(MAX_CODE_CACHE, sizeof(*p->codes));
	if (!p->codes) {
		free(p);
		return NULL;
	}
	p->pid = pid;
	procmem__open(&p->mem, pid, PROCMEM_PREAD);
	p->runtime = runtime_addr;
	p->o = *o;
	return p;
}

void py_proc__free(struct py_proc *p)
{
	if (!p)
		return;
	/* only the slots ever filled are read: touching the others would
	 * fault in the whole 17 MB cache just to free it */
	for (size_t w = 0; w < MAX_CODE_CACHE / 64; w++)
		for (uint64_t bits = p->used[w]; bits; bits &= bits - 1)
			free(p->codes[w * 64 + __builtin_ctzll(bits)].linetable);
	procmem__close(&p->mem);
	free(p->codes);
	free(p->tstates);
	free(p);
}

static uint64_t get_u64(const uint8_t *b, int off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

static uint32_t get_u32(const uint8_t *b, int off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static int mem_read(const struct py_proc *p, uint64_t addr, void *buf, size_t len)
{
	return procmem__read(&p->mem, addr, buf, len);
}

static int read_ptr(const struct py_proc *p, uint64_t addr, uint64_t *v)
{
	return mem_read(p, addr, v, sizeof(*v));
}

void py_escape(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = strlen(buf);

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o < size ? o : size - 1] = '\0';
}

/* UTF-8 of one code point into out (4 bytes at most), bytes written */
static int utf8(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 63));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 63));
		out[2] = (char)(0x80 | (c & 63));
		return 3;
	}
	if (c > 0x10ffff)
		c = 0xfffd;
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 63));
	out[2] = (char)(0x80 | (c >> 6 & 63));
	out[3] = (char)(0x80 | (c & 63));
	return 4;
}

int py_proc__read(const struct py_proc *p, uint64_t addr, void *buf, size_t len)
{
	return mem_read(p, addr, buf, len);
}

const struct py_offsets *py_proc__offsets(const struct py_proc *p)
{
	return &p->o;
}

/* Only the compact forms, which every identifier and file name takes. */
int py_proc__read_str(const struct py_proc *p, uint64_t addr, char *out)
{
	const struct py_offsets *o = &p->o;
	uint8_t head[128], data[MAX_STRING * 4];
	uint32_t state, kind;
	int64_t len;
	size_t n = 0;

	out[0] = '\0';
	if (o->compact_size > (int)sizeof(head) || mem_read(p, addr, head, o->compact_size))
		return -EFAULT;
	memcpy(&len, head + o->unicode_length, 8);
	state = get_u32(head, o->unicode_state);
	kind = state >> 2 & 7;
	if (len < 0 || !(state >> 5 & 1) || (kind != 1 && kind != 2 && kind != 4))
		return -EINVAL;
	if (len > MAX_STRING)
		len = MAX_STRING;
	if (state >> 6 & 1) {	/* ascii */
		if (mem_read(p, addr + o->ascii_size, data, (size_t)len))
			return -EFAULT;
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
		return 0;
	}
	if (mem_read(p, addr + o->compact_size, data, (size_t)len * kind))
		return -EFAULT;
	for (int64_t i = 0; i < len && n + 4 < MAX_STRING * 4; i++) {
		uint32_t c = kind == 1 ? data[i] : kind == 2 ? (uint32_t)data[2 * i] | data[2 * i + 1] << 8 :
			     get_u32(data, (int)(4 * i));

		n += utf8(c, out + n);
	}
	out[n] = '\0';
	return 0;
}

static int read_bytes_obj(const struct py_proc *p, uint64_t addr, uint8_t **out, size_t *out_len)
{
	int64_t len;
	uint8_t *b;

	if (mem_read(p, addr + p->o.bytes_size, &len, sizeof(len)))
		return -EFAULT;
	if (len < 0 || len > MAX_LINETABLE)
		return -EINVAL;
	b = malloc(len ? (size_t)len : 1);
	if (!b)
		return -ENOMEM;
	if (len && mem_read(p, addr + p->o.bytes_data, b, (size_t)len)) {
		free(b);
		return -EFAULT;
	}
	*out = b;
	*out_len = (size_t)len;
	return 0;
}

static size_t code_slot(uint64_t addr)
{
	return (size_t)((addr >> 4) * 0x9e3779b97f4a7c15ULL >> 51) % MAX_CODE_CACHE;
}

/* The cached entry of the code object at addr, read now or checked against
 * its pointers. NULL when unreadable. */
static const struct code_entry *code_lookup(struct py_proc *p, uint64_t addr)
{
	const struct py_offsets *o = &p->o;
	uint8_t head[512];
	struct code_entry *e;
	uint64_t fn, nm, lt;
	int32_t first;
	size_t slot;

	slot = code_slot(addr);
	e = &p->codes[slot];
	if (e->addr == addr && mono_ns() - e->checked_ns < CODE_TRUST_NS)
		return e;
	if (o->code_size > (int)sizeof(head) || mem_read(p, addr, head, o->code_size))
		return NULL;
	fn = get_u64(head, o->code_filename);
	nm = get_u64(head, o->code_qualname >= 0 ? o->code_qualname : o->code_name);
	lt = get_u64(head, o->code_linetable);
	memcpy(&first, head + o->code_firstlineno, 4);
	if (e->addr == addr && e->filename_ptr == fn && e->name_ptr == nm && e->linetable_ptr == lt &&
	    e->firstlineno == first) {
		e->checked_ns = mono_ns();
		return e;
	}
	/* a slot holds one code object: a collision replaces it */
	p->used[slot / 64] |= 1ULL << (slot % 64);
	free(e->linetable);
	memset(e, 0, sizeof(*e));
	if (py_proc__read_str(p, fn, e->file) || py_proc__read_str(p, nm, e->name))
		return NULL;
	if (read_bytes_obj(p, lt, &e->linetable, &e->linetable_len))
		e->linetable = NULL;
	e->addr = addr;
	e->filename_ptr = fn;
	e->name_ptr = nm;
	e->linetable_ptr = lt;
	e->firstlineno = first;
	e->checked_ns = mono_ns();
	return e;
}

/* kernel tid of a thread state: native_thread_id, or through pthread_t */
static int tstate_tid(const struct py_proc *p, uint64_t ts, uint32_t *tid)
{
	uint64_t v;

	if (p->o.tstate_native_tid >= 0) {
		if (read_ptr(p, ts + p->o.tstate_native_tid, &v))
			return -EFAULT;
		*tid = (uint32_t)v;
		return 0;
	}
	if (read_ptr(p, ts + p->o.tstate_thread_id, &v) || !v)
		return -EFAULT;
	return mem_read(p, v + PY_GLIBC_PTHREAD_TID, tid, sizeof(*tid));
}

static int rebuild_tstates(struct py_proc *p)
{
	struct tstate_ref *arr = NULL;
	size_t n = 0, cap = 0;
	uint64_t interp, budget = MAX_THREADS;
	int err = 0;

	if (read_ptr(p, p->runtime + p->o.runtime_interp_head, &interp))
		return -EFAULT;
	for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
		uint64_t ts, next_interp;

		if (read_ptr(p, interp + p->o.interp_threads_head, &ts) ||
		    read_ptr(p, interp, &next_interp)) {	/* next is first in 3.9-3.12 */
			err = -EFAULT;
			break;
		}
		/* a list that loops is left at the first repeat (Brent: the mark
		 * moves to the current state at every power of two steps), and
		 * all interpreters share one budget of MAX_THREADS reads */
		for (uint64_t mark = 0, power = 1, steps = 0; ts && budget; budget--) {
			uint32_t tid;

			if (!tstate_tid(p, ts, &tid)) {
				struct tstate_ref *r = ARRAY_PUSH(arr, n, cap);

				if (!r) {
					free(arr);
					return -ENOMEM;
				}
				*r = (struct tstate_ref){ .tid = tid, .addr = ts };
			}
			if (read_ptr(p, ts + p->o.tstate_next, &ts) || ts == mark)
				break;
			if (++steps == power) {
				mark = ts;
				power *= 2;
				steps = 0;
			}
		}
		/* 3.13+ keep the interpreter's next elsewhere; one interpreter is enough there */
		if (p->o.version >= 0x030d)
			break;
		interp = next_interp;
	}
	if (!n && err) {
		free(arr);
		return err;
	}
	if (n)
		qsort(arr, n, sizeof(*arr), cmp_u32);
	free(p->tstates);
	p->tstates = arr;
	p->n_tstates = n;
	p->built_ns = mono_ns();
	return 0;
}

static uint64_t find_tstate(struct py_proc *p, uint32_t tid)
{
	struct tstate_ref *hit = sorted_find(p->tstates, p->n_tstates, sizeof(*hit), &tid, cmp_u32);

	if (!hit && (!p->built_ns || mono_ns() - p->built_ns > REBUILD_MIN_NS)) {
		if (rebuild_tstates(p))
			return 0;
		hit = sorted_find(p->tstates, p->n_tstates, sizeof(*hit), &tid, cmp_u32);
	}
	return hit ? hit->addr : 0;
}

int py_proc__thread_ident(struct py_proc *p, uint32_t tid, uint64_t *ident, uint64_t *interp)
{
	uint64_t ts = find_tstate(p, tid);

	if (!ts)
		return -ENOENT;
	if (read_ptr(p, ts + p->o.tstate_thread_id, ident) ||
	    read_ptr(p, p->runtime + p->o.runtime_interp_head, interp))
		return -EFAULT;
	return *ident && *interp ? 0 : -ENOENT;
}

static int first_frame(struct py_proc *p, uint64_t ts, uint64_t *frame)
{
	uint64_t v;

	if (read_ptr(p, ts + p->o.tstate_frame, &v))
		return -EFAULT;
	if (p->o.cframe_current_frame >= 0 && v &&
	    read_ptr(p, v + p->o.cframe_current_frame, &v))
		return -EFAULT;
	*frame = v;
	return 0;
}

static int frame_line(const struct py_proc *p, const struct code_entry *c, uint64_t code,
		      const uint8_t *f)
{
	const struct py_offsets *o = &p->o;
	uint64_t off;

	if (o->model == PY_FRAME_OBJECTS) {
		int32_t lasti;

		memcpy(&lasti, f + o->frame_instr, 4);
		if (lasti < 0)
			return c->firstlineno;
		off = o->linetable == PY_LINETABLE_310 ? (uint64_t)lasti * 2 : (uint64_t)lasti;
	} else {
		uint64_t ip = get_u64(f, o->frame_instr), start = code + o->code_adaptive;

		if (ip < start || ip - start > MAX_CODE_BYTES)
			return -1;
		off = ip - start;
	}
	return py_linetable_line(o->linetable, c->linetable, c->linetable_len, c->firstlineno, off);
}

static void format_frame(struct py_frame *out, const struct code_entry *c, int line)
{
	out->function[0] = out->file[0] = '\0';
	py_escape(out->function, sizeof(out->function), c->name, strlen(c->name));
	py_escape(out->file, sizeof(out->file), c->file, strlen(c->file));
	out->line = line > 0 ? line : 0;
}

int py_proc__walk(struct py_proc *p, uint32_t tid, struct py_frame *out, int max,
		  const char **reason)
{
	const struct py_offsets *o = &p->o;
	uint64_t seen[PY_MAX_FRAMES * 2], frame, ts;
	int n = 0, hops = 0;
	uint8_t f[512];

	ts = find_tstate(p, tid);
	if (!ts) {
		*reason = "thread state not found";
		return -ENOENT;
	}
	if (first_frame(p, ts, &frame)) {
		*reason = "thread state unreadable";
		return -EFAULT;
	}
	if (max > PY_MAX_FRAMES)
		max = PY_MAX_FRAMES;
	while (frame && n < max) {
		const struct code_entry *c;
		uint64_t code;
		int owner = -1;

		if (hops == PY_MAX_FRAMES * 2) {
			*reason = "frame chain too long";
			return -ELOOP;
		}
		for (int i = 0; i < hops; i++)
			if (seen[i] == frame) {
				*reason = "frame chain loops";
				return -ELOOP;
			}
		seen[hops++] = frame;
		if (o->frame_size > (int)sizeof(f) || mem_read(p, frame, f, o->frame_size)) {
			*reason = "frame unreadable";
			return -EFAULT;
		}
		if (o->frame_owner >= 0)
			owner = f[o->frame_owner];
		if (owner >= PY_OWNED_BY_CSTACK && o->model == PY_IFRAME_CSTACK) {
			/* shim: the frame below it opened a native eval frame */
			if (n)
				out[n - 1].entry = true;
			frame = get_u64(f, o->frame_previous);
			continue;
		}
		code = get_u64(f, o->frame_code) & ~o->code_tag_mask;
		c = code ? code_lookup(p, code) : NULL;
		if (!c) {
			*reason = "code object unreadable";
			return -EFAULT;
		}
		format_frame(&out[n], c, frame_line(p, c, code, f));
		out[n].entry = o->model == PY_FRAME_OBJECTS ||
			       (o->frame_is_entry >= 0 && f[o->frame_is_entry]);
		n++;
		frame = get_u64(f, o->frame_previous);
	}
	if (n)
		out[n - 1].entry = true;
	if (frame && n == max)
		*reason = PY_WALK_CUT;
	return n;
}
