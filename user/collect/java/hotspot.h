/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One HotSpot JVM as the Java collector reads it: the offsets of this
 * build (from its VMStructs tables and libjvm.so's statics, no per-version
 * table), its compressed-pointer encodings, and readers of Java objects
 * (class names, strings, fields). Pure over a java_mem reader. */
#ifndef LT_JAVA_HOTSPOT_H
#define LT_JAVA_HOTSPOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/java/java_mem.h"
#include "collect/java/jvm_lib.h"
#include "collect/java/vmstructs.h"

/* How an ObjectMonitor names its owner. */
enum monitor_owner_kind {
	OWNER_THREAD_PTR,	/* JavaThread* or a BasicLock* in its stack (17, 21) */
	OWNER_THREAD_ID,	/* java.lang.Thread tid (24+, JEP 491) */
};

struct hotspot {
	struct java_mem mem;
	uint64_t thread_list;		/* &ThreadsSMRSupport::_java_thread_list */
	int64_t tl_length, tl_threads;
	int64_t jt_osthread, os_tid;
	int64_t jt_size;			/* sizeof(JavaThread) */
	int64_t jt_threadobj, jt_state, jt_pending, jt_waiting;
	int64_t jt_stack_base, jt_stack_size;
	int64_t jt_lock_stack, ls_top, ls_capacity;	/* -1: no lock stack */
	int64_t jt_owner_id;		/* -1 before 24 */
	int64_t jt_vthread;		/* OopHandle of the mounted thread; -1 = none (17) */
	int64_t om_object, om_owner;
	int64_t klass_name, klass_super, sym_length, sym_body, oop_klass;
	int32_t f_thread_name, f_thread_tid, f_thread_blocker, f_thread_status;
	int32_t f_thread_holder, f_holder_status;	/* 19+: status in FieldHolder */
	int32_t f_string_value, f_string_coder, f_aos_owner;
	bool compressed_oops, compressed_klass, compact_headers;
	uint64_t oop_base, klass_base;
	int oop_shift, klass_shift;
	int mark_klass_shift;		/* compact headers: narrow klass = mark >> this */
	int64_t thread_blocked;		/* the _thread_blocked state */
	enum monitor_owner_kind owner_kind;
	int64_t anonymous_owner;	/* owner value of an LM_LIGHTWEIGHT holder */
};

/* Resolve everything hs needs from vs and lib. 0, -ENOENT (a field the
 * walk needs is not in this build), -EAGAIN (the JVM has not finished
 * starting: Java field offsets still 0). */
int hotspot_init(struct hotspot *hs, const struct java_mem *m, const struct vmstructs *vs,
		 const struct jvm_lib *lib);

/* An oop field of the object at obj (narrow when compressed oops), 0 when
 * unreadable or null. */
uint64_t hotspot_oop_field(const struct hotspot *hs, uint64_t obj, int32_t off);
int32_t hotspot_int_field(const struct hotspot *hs, uint64_t obj, int32_t off);

/* The Klass* of the object at obj, 0 when unreadable. */
uint64_t hotspot_klass(const struct hotspot *hs, uint64_t obj);

/* The name of klass ("java.util.concurrent.locks.ReentrantLock$NonfairSync"),
 * dots for slashes, into buf; false when unreadable. */
bool hotspot_klass_name(const struct hotspot *hs, uint64_t klass, char *buf, size_t len);

/* Whether klass is or extends the class named cls (slash form), following
 * at most 32 supers. */
bool hotspot_klass_is(const struct hotspot *hs, uint64_t klass, const char *cls);

/* A java.lang.String into buf (Latin-1 and UTF-16 as ASCII, others '?'),
 * cut to len-1; false when unreadable. */
bool hotspot_string(const struct hotspot *hs, uint64_t str, char *buf, size_t len);

#endif
