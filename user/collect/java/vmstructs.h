/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* HotSpot's own description of its structures, read from a live JVM: the
 * exported gHotSpotVMStructs / VMTypes / VMIntConstants / VMLongConstants
 * tables (runtime/vmStructs.cpp). The table pointers and the entries'
 * field offsets and strides are variables in libjvm.so, set at load time:
 * they are read from the process, never from the file. Everything read is
 * bounded (entry counts, string lengths, strides) against a garbage or
 * hostile process. */
#ifndef LT_JAVA_VMSTRUCTS_H
#define LT_JAVA_VMSTRUCTS_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/java/java_mem.h"

/* The exported symbols, in the order of vmstructs_symbol_names. */
enum vms_sym {
	VMS_STRUCTS, VMS_S_TYPE, VMS_S_FIELD, VMS_S_TYPESTR, VMS_S_STATIC, VMS_S_OFFSET,
	VMS_S_ADDRESS, VMS_S_STRIDE,
	VMS_TYPES, VMS_T_TYPE, VMS_T_SUPER, VMS_T_OOP, VMS_T_INT, VMS_T_UNSIGNED, VMS_T_SIZE,
	VMS_T_STRIDE,
	VMS_INTS, VMS_I_NAME, VMS_I_VALUE, VMS_I_STRIDE,
	VMS_LONGS, VMS_L_NAME, VMS_L_VALUE, VMS_L_STRIDE,
	VMS_SYM_MAX,
};

extern const char *const vmstructs_symbol_names[VMS_SYM_MAX];

#define VMS_MAX_ENTRIES	8192	/* 17: 788 structs, 585 types, 398 ints */
#define VMS_MAX_NAME	96	/* longest name measured: 60 */
#define VMS_MAX_STRIDE	256

struct vmstructs;

/* Read the four tables through m, from the symbol addresses in the
 * process (sym[i] = 0: absent). 0, -ENOENT (no table), -EINVAL (a table
 * that makes no sense: bad stride, offsets past the stride), -EFAULT,
 * -ENOMEM. On success *out holds the lookup. */
int vmstructs__read(const struct java_mem *m, const uint64_t sym[VMS_SYM_MAX],
		    struct vmstructs **out);
void vmstructs__free(struct vmstructs *vs);

/* Offset of type.field (a non-static field), -1 when the table has none. */
int64_t vmstructs__offset(const struct vmstructs *vs, const char *type, const char *field);
/* Address of the static type.field, 0 when none. */
uint64_t vmstructs__address(const struct vmstructs *vs, const char *type, const char *field);
/* sizeof(type), -1 when none. */
int64_t vmstructs__size(const struct vmstructs *vs, const char *type);
/* An int or long constant; false when none. */
bool vmstructs__constant(const struct vmstructs *vs, const char *name, int64_t *value);
/* Entries read: fields, types, constants. */
void vmstructs__counts(const struct vmstructs *vs, uint32_t *fields, uint32_t *types,
		       uint32_t *constants);

#endif
