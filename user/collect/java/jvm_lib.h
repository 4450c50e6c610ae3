/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding HotSpot in a running process: the mapped libjvm.so, where it is
 * loaded, and the addresses (in the process) of the symbols the Java
 * collector reads: the exported VMStructs tables (.dynsym) and the Java
 * field offsets and flags HotSpot computes at startup (.symtab statics:
 * javaClasses.cpp, globals.hpp), which no table describes. The file is
 * opened through /proc/PID/map_files, so containers work too. */
#ifndef LT_JAVA_JVM_LIB_H
#define LT_JAVA_JVM_LIB_H

#include <stdint.h>

#include "collect/java/vmstructs.h"

/* .symtab statics: int offsets of Java fields, and VM flags. */
enum jvm_static {
	JS_THREAD_NAME, JS_THREAD_TID, JS_THREAD_PARK_BLOCKER, JS_THREAD_STATUS,
	JS_THREAD_HOLDER, JS_HOLDER_STATUS, JS_STRING_VALUE, JS_STRING_CODER, JS_AOS_OWNER,
	JS_USE_COMPRESSED_OOPS, JS_USE_COMPRESSED_CLASS_POINTERS, JS_USE_COMPACT_HEADERS,
	JS_LOCKING_MODE, JS_MAX,
};

struct jvm_lib {
	uint64_t bias;			/* load address minus link address */
	uint64_t vms[VMS_SYM_MAX];	/* process addresses, 0 = absent */
	uint64_t statics[JS_MAX];	/* process addresses, 0 = absent */
	uint64_t text_lo, text_hi;	/* its executable mapping */
};

/* 0, -ENOENT (no libjvm.so mapped: not a HotSpot JVM), -ESRCH, -errno. */
int jvm_lib_find(int pid, struct jvm_lib *out);

#endif
