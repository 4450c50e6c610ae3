// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "collect/java/hotspot.h"

#define MAX_SUPERS	32
#define MAX_SYMBOL	512	/* longest class name read */
#define MAX_STRING	256	/* longest thread name read */

/* type.field, trying each type in order ("JavaThread" then "Thread": fields
 * move between them across versions). */
static int64_t offset_of(const struct vmstructs *vs, const char *const types[], const char *field)
{
	for (int i = 0; types[i]; i++) {
		int64_t off = vmstructs__offset(vs, types[i], field);

		if (off >= 0)
			return off;
	}
	return -1;
}

static uint64_t static_of(const struct vmstructs *vs, const char *type, const char *f1,
			  const char *f2)
{
	uint64_t a = vmstructs__address(vs, type, f1);

	return a ? a : vmstructs__address(vs, type, f2);
}

static void thread_offsets(struct hotspot *hs, const struct vmstructs *vs)
{
	static const char *const jt[] = { "JavaThread", "Thread", NULL };
	static const char *const tl[] = { "ThreadsList", NULL };
	static const char *const ot[] = { "OSThread", NULL };

	hs->thread_list = vmstructs__address(vs, "ThreadsSMRSupport", "_java_thread_list");
	hs->tl_length = offset_of(vs, tl, "_length");
	hs->tl_threads = offset_of(vs, tl, "_threads");
	hs->jt_size = vmstructs__size(vs, "JavaThread");
	hs->jt_osthread = offset_of(vs, jt, "_osthread");
	hs->os_tid = offset_of(vs, ot, "_thread_id");
	hs->jt_threadobj = offset_of(vs, jt, "_threadObj");
	hs->jt_state = offset_of(vs, jt, "_thread_state");
	hs->jt_pending = offset_of(vs, jt, "_current_pending_monitor");
	hs->jt_waiting = offset_of(vs, jt, "_current_waiting_monitor");
	hs->jt_stack_base = offset_of(vs, jt, "_stack_base");
	hs->jt_stack_size = offset_of(vs, jt, "_stack_size");
	hs->jt_owner_id = offset_of(vs, jt, "_monitor_owner_id");
	hs->jt_vthread = offset_of(vs, jt, "_vthread");
	hs->jt_lock_stack = offset_of(vs, jt, "_lock_stack");
	hs->ls_top = vmstructs__offset(vs, "LockStack", "_top");
	/* LockStack {u4 _top; uintptr_t _bad_oop_sentinel; oop _base[]}:
	 * _base is not in the table (measured on 25) */
	hs->ls_capacity = (vmstructs__size(vs, "LockStack") - 16) / 8;
	if (hs->ls_top != 0 || hs->ls_capacity <= 0 || hs->ls_capacity > 64)
		hs->jt_lock_stack = -1;
}

static void object_offsets(struct hotspot *hs, const struct vmstructs *vs)
{
	static const char *const om[] = { "ObjectMonitor", NULL };
	static const char *const kl[] = { "Klass", NULL };
	static const char *const sy[] = { "Symbol", NULL };
	static const char *const oo[] = { "oopDesc", NULL };
	int64_t v;

	hs->om_object = offset_of(vs, om, "_object");
	hs->om_owner = offset_of(vs, om, "_owner");
	hs->klass_name = offset_of(vs, kl, "_name");
	hs->klass_super = offset_of(vs, kl, "_super");
	hs->sym_length = offset_of(vs, sy, "_length");
	hs->sym_body = offset_of(vs, sy, "_body");
	hs->oop_klass = offset_of(vs, oo, "_metadata._compressed_klass");
	hs->thread_blocked = vmstructs__constant(vs, "_thread_blocked", &v) ? v : 10;
	hs->owner_kind = hs->jt_owner_id >= 0 ? OWNER_THREAD_ID : OWNER_THREAD_PTR;
	hs->anonymous_owner = 1;	/* ANONYMOUS_OWNER in 21 and 24+ */
}

static int32_t read_static_int(const struct java_mem *m, uint64_t addr)
{
	int32_t v = 0;

	return addr && !java_read(m, addr, &v, sizeof(v)) ? v : 0;
}

static bool read_static_bool(const struct java_mem *m, uint64_t addr)
{
	uint8_t v = 0;

	return addr && !java_read(m, addr, &v, 1) && v;
}

/* Java field offsets HotSpot computes at startup (javaClasses.cpp). */
static void java_fields(struct hotspot *hs, const struct java_mem *m, const struct jvm_lib *lib)
{
	const uint64_t *s = lib->statics;

	hs->f_thread_name = read_static_int(m, s[JS_THREAD_NAME]);
	hs->f_thread_tid = read_static_int(m, s[JS_THREAD_TID]);
	hs->f_thread_blocker = read_static_int(m, s[JS_THREAD_PARK_BLOCKER]);
	hs->f_thread_status = read_static_int(m, s[JS_THREAD_STATUS]);
	hs->f_thread_holder = read_static_int(m, s[JS_THREAD_HOLDER]);
	hs->f_holder_status = read_static_int(m, s[JS_HOLDER_STATUS]);
	hs->f_string_value = read_static_int(m, s[JS_STRING_VALUE]);
	hs->f_string_coder = read_static_int(m, s[JS_STRING_CODER]);
	hs->f_aos_owner = read_static_int(m, s[JS_AOS_OWNER]);
	hs->compressed_oops = read_static_bool(m, s[JS_USE_COMPRESSED_OOPS]);
	/* the flag is gone when class pointers are always compressed (27+) */
	hs->compressed_klass = !s[JS_USE_COMPRESSED_CLASS_POINTERS] ||
			       read_static_bool(m, s[JS_USE_COMPRESSED_CLASS_POINTERS]);
	hs->compact_headers = read_static_bool(m, s[JS_USE_COMPACT_HEADERS]);
}

static void encodings(struct hotspot *hs, const struct java_mem *m, const struct vmstructs *vs)
{
	uint64_t ob = static_of(vs, "CompressedOops", "_narrow_oop._base", "_base");
	uint64_t os = static_of(vs, "CompressedOops", "_narrow_oop._shift", "_shift");
	uint64_t kb = static_of(vs, "CompressedKlassPointers", "_narrow_klass._base", "_base");
	uint64_t ks = static_of(vs, "CompressedKlassPointers", "_narrow_klass._shift", "_shift");

	hs->oop_base = ob ? java_read_u64(m, ob) : 0;
	hs->oop_shift = os ? read_static_int(m, os) & 63 : 0;
	hs->klass_base = kb ? java_read_u64(m, kb) : 0;
	hs->klass_shift = ks ? read_static_int(m, ks) & 63 : 0;
}

int hotspot_init(struct hotspot *hs, const struct java_mem *m, const struct vmstructs *vs,
		 const struct jvm_lib *lib)
{
	memset(hs, 0, sizeof(*hs));
	hs->mem = *m;
	thread_offsets(hs, vs);
	object_offsets(hs, vs);
	if (!hs->thread_list || hs->tl_length < 0 || hs->tl_threads < 0 || hs->jt_osthread < 0 ||
	    hs->os_tid < 0 || hs->jt_threadobj < 0 || hs->jt_state < 0 || hs->jt_pending < 0 ||
	    hs->om_owner < 0 || hs->om_object < 0 || hs->klass_name < 0 || hs->sym_length < 0 ||
	    hs->sym_body < 0)
		return -ENOENT;
	java_fields(hs, m, lib);
	if (hs->compact_headers) {
		int64_t shift;

		if (!vmstructs__constant(vs, "markWord::klass_shift", &shift) || shift <= 0 ||
		    shift >= 64)
			return -ENOENT;
		hs->mark_klass_shift = (int)shift;
	} else if (hs->oop_klass < 0) {
		hs->oop_klass = 8;	/* the klass word after the mark (not in 28's table) */
	}
	if (hs->f_thread_name <= 0 || hs->f_string_value <= 0)
		return -EAGAIN;
	encodings(hs, m, vs);
	return 0;
}

uint64_t hotspot_oop_field(const struct hotspot *hs, uint64_t obj, int32_t off)
{
	if (!obj || off <= 0 || off > 4096)
		return 0;
	if (hs->compressed_oops) {
		uint32_t n = java_read_u32(&hs->mem, obj + off);

		return n ? hs->oop_base + ((uint64_t)n << hs->oop_shift) : 0;
	}
	return java_read_u64(&hs->mem, obj + off);
}

int32_t hotspot_int_field(const struct hotspot *hs, uint64_t obj, int32_t off)
{
	if (!obj || off <= 0 || off > 4096)
		return 0;
	return (int32_t)java_read_u32(&hs->mem, obj + off);
}

uint64_t hotspot_klass(const struct hotspot *hs, uint64_t obj)
{
	if (!obj)
		return 0;
	if (hs->compact_headers) {	/* the narrow klass in the mark word's top bits */
		uint64_t n = java_read_u64(&hs->mem, obj) >> hs->mark_klass_shift;

		return n ? hs->klass_base + (n << hs->klass_shift) : 0;
	}
	if (hs->compressed_klass) {
		uint32_t n = java_read_u32(&hs->mem, obj + hs->oop_klass);

		return n ? hs->klass_base + ((uint64_t)n << hs->klass_shift) : 0;
	}
	return java_read_u64(&hs->mem, obj + hs->oop_klass);
}

/* The Symbol* name of klass, raw (slashes), NUL-terminated. */
static bool klass_symbol(const struct hotspot *hs, uint64_t klass, char *buf, size_t len)
{
	uint64_t sym = klass ? java_read_u64(&hs->mem, klass + hs->klass_name) : 0;
	uint16_t n;

	if (!sym || java_read(&hs->mem, sym + hs->sym_length, &n, sizeof(n)) || !n)
		return false;
	if (n >= len)
		n = (uint16_t)(len - 1);
	if (java_read(&hs->mem, sym + hs->sym_body, buf, n))
		return false;
	buf[n] = '\0';
	return true;
}

bool hotspot_klass_name(const struct hotspot *hs, uint64_t klass, char *buf, size_t len)
{
	if (!len || !klass_symbol(hs, klass, buf, len))
		return false;
	for (char *p = buf; *p; p++) {
		if (*p == '/')
			*p = '.';
		else if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	}
	return true;
}

bool hotspot_klass_is(const struct hotspot *hs, uint64_t klass, const char *cls)
{
	char name[MAX_SYMBOL];

	for (int i = 0; klass && i < MAX_SUPERS; i++) {
		if (klass_symbol(hs, klass, name, sizeof(name)) && !strcmp(name, cls))
			return true;
		if (hs->klass_super < 0)
			return false;
		klass = java_read_u64(&hs->mem, klass + hs->klass_super);
	}
	return false;
}

/* Array header: length and first element (oops/arrayOop.hpp). */
static void array_layout(const struct hotspot *hs, uint64_t *len_off, uint64_t *data_off)
{
	if (hs->compact_headers) {
		*len_off = 8;
		*data_off = 12;
	} else if (hs->compressed_klass) {
		*len_off = 12;
		*data_off = 16;
	} else {
		*len_off = 16;
		*data_off = 24;
	}
}

bool hotspot_string(const struct hotspot *hs, uint64_t str, char *buf, size_t len)
{
	uint64_t value = hotspot_oop_field(hs, str, hs->f_string_value), len_off, data_off;
	uint8_t raw[MAX_STRING * 2];
	int32_t n;
	int coder, w = 0;

	if (!value || !len)
		return false;
	coder = hs->f_string_coder > 0 ? (int)(java_read_u32(&hs->mem, str + hs->f_string_coder) & 0xff) : 0;
	array_layout(hs, &len_off, &data_off);
	n = (int32_t)java_read_u32(&hs->mem, value + len_off);
	if (n < 0 || coder > 1)
		return false;
	if (n > (int32_t)sizeof(raw))
		n = sizeof(raw);
	if (n && java_read(&hs->mem, value + data_off, raw, (size_t)n))
		return false;
	for (int i = 0; i < n && w + 1 < (int)len; i += coder + 1) {
		unsigned c = raw[i] | (coder && i + 1 < n ? raw[i + 1] << 8 : 0);

		buf[w++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[w] = '\0';
	return true;
}
