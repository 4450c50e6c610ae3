// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/java/vmstructs.h"

const char *const vmstructs_symbol_names[VMS_SYM_MAX] = {
	[VMS_STRUCTS] = "gHotSpotVMStructs",
	[VMS_S_TYPE] = "gHotSpotVMStructEntryTypeNameOffset",
	[VMS_S_FIELD] = "gHotSpotVMStructEntryFieldNameOffset",
	[VMS_S_TYPESTR] = "gHotSpotVMStructEntryTypeStringOffset",
	[VMS_S_STATIC] = "gHotSpotVMStructEntryIsStaticOffset",
	[VMS_S_OFFSET] = "gHotSpotVMStructEntryOffsetOffset",
	[VMS_S_ADDRESS] = "gHotSpotVMStructEntryAddressOffset",
	[VMS_S_STRIDE] = "gHotSpotVMStructEntryArrayStride",
	[VMS_TYPES] = "gHotSpotVMTypes",
	[VMS_T_TYPE] = "gHotSpotVMTypeEntryTypeNameOffset",
	[VMS_T_SUPER] = "gHotSpotVMTypeEntrySuperclassNameOffset",
	[VMS_T_OOP] = "gHotSpotVMTypeEntryIsOopTypeOffset",
	[VMS_T_INT] = "gHotSpotVMTypeEntryIsIntegerTypeOffset",
	[VMS_T_UNSIGNED] = "gHotSpotVMTypeEntryIsUnsignedOffset",
	[VMS_T_SIZE] = "gHotSpotVMTypeEntrySizeOffset",
	[VMS_T_STRIDE] = "gHotSpotVMTypeEntryArrayStride",
	[VMS_INTS] = "gHotSpotVMIntConstants",
	[VMS_I_NAME] = "gHotSpotVMIntConstantEntryNameOffset",
	[VMS_I_VALUE] = "gHotSpotVMIntConstantEntryValueOffset",
	[VMS_I_STRIDE] = "gHotSpotVMIntConstantEntryArrayStride",
	[VMS_LONGS] = "gHotSpotVMLongConstants",
	[VMS_L_NAME] = "gHotSpotVMLongConstantEntryNameOffset",
	[VMS_L_VALUE] = "gHotSpotVMLongConstantEntryValueOffset",
	[VMS_L_STRIDE] = "gHotSpotVMLongConstantEntryArrayStride",
};

/* One entry of any table: a struct field (static: value is its address,
 * else its offset), a type (field NULL, value its size), a constant. */
struct vms_entry {
	char *type, *field;
	uint64_t value;
	bool is_static;
};

enum vms_table { TABLE_STRUCTS, TABLE_TYPES, TABLE_CONSTANTS, TABLE_MAX };

struct vmstructs {
	struct vms_entry *e[TABLE_MAX];
	uint32_t n[TABLE_MAX], cap[TABLE_MAX];
};

/* Where one table's entries keep what is read of them. */
struct table_layout {
	uint64_t base, stride;
	uint64_t name, field, value, is_static;	/* offsets, UINT64_MAX = none */
	uint64_t address;			/* a static field's address */
	unsigned value_size;			/* 4 or 8 */
	int table;
};

#define ENTRY_CHUNK 32

/* A NUL-terminated name of at most VMS_MAX_NAME-1 characters at addr, read
 * up to the end of its page first (the name may end a mapping). */
static char *read_name(const struct java_mem *m, uint64_t addr)
{
	char buf[VMS_MAX_NAME];
	size_t got = 0;

	if (!addr)
		return NULL;
	while (got < sizeof(buf)) {
		size_t want = 4096 - ((addr + got) & 4095);

		if (want > sizeof(buf) - got)
			want = sizeof(buf) - got;
		if (java_read(m, addr + got, buf + got, want))
			return NULL;
		if (memchr(buf + got, 0, want))
			return strdup(buf);
		got += want;
	}
	return NULL;	/* too long: garbage */
}

static int add_entry(struct vmstructs *vs, int t, const struct vms_entry *e)
{
	if (vs->n[t] == vs->cap[t]) {
		uint32_t cap = vs->cap[t] ? vs->cap[t] * 2 : 256;
		struct vms_entry *p = realloc(vs->e[t], cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		vs->e[t] = p;
		vs->cap[t] = cap;
	}
	vs->e[t][vs->n[t]++] = *e;
	return 0;
}

static uint64_t field_at(const uint8_t *rec, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (off == UINT64_MAX)
		return 0;
	if (size == 4) {
		uint32_t v32;

		memcpy(&v32, rec + off, 4);
		return v32;
	}
	memcpy(&v, rec + off, 8);
	return v;
}

/* One record: its names read, added. 1 at the table's end (NULL name). */
static int read_record(struct vmstructs *vs, const struct java_mem *m,
		       const struct table_layout *l, const uint8_t *rec)
{
	struct vms_entry e = { 0 };
	uint64_t name = field_at(rec, l->name, 8);
	int err;

	if (!name)
		return 1;
	e.type = read_name(m, name);
	if (!e.type)
		return -EFAULT;
	if (l->field != UINT64_MAX) {
		uint64_t f = field_at(rec, l->field, 8);

		e.field = f ? read_name(m, f) : NULL;
		if (f && !e.field) {
			free(e.type);
			return -EFAULT;
		}
	}
	e.is_static = l->is_static != UINT64_MAX && (uint32_t)field_at(rec, l->is_static, 4);
	e.value = field_at(rec, e.is_static ? l->address : l->value, l->value_size);
	if (l->value_size == 4)	/* int constants are signed */
		e.value = (uint64_t)(int64_t)(int32_t)e.value;
	err = add_entry(vs, l->table, &e);
	if (err) {
		free(e.type);
		free(e.field);
	}
	return err;
}

/* Records at at: the whole chunk, else those before the first unreadable
 * one (the table's last page). */
static int read_chunk(const struct java_mem *m, uint64_t at, uint64_t stride, uint8_t *buf,
		      uint32_t *n)
{
	uint32_t k;

	*n = ENTRY_CHUNK;
	if (!java_read(m, at, buf, ENTRY_CHUNK * stride))
		return 0;
	for (k = 0; k < ENTRY_CHUNK; k++)
		if (java_read(m, at + k * stride, buf + k * stride, stride))
			break;
	*n = k;
	return k ? 0 : -EFAULT;
}

static int read_table(struct vmstructs *vs, const struct java_mem *m, const struct table_layout *l)
{
	uint8_t buf[ENTRY_CHUNK * VMS_MAX_STRIDE];

	for (uint32_t i = 0; i < VMS_MAX_ENTRIES; i += ENTRY_CHUNK) {
		uint32_t n;
		int err = read_chunk(m, l->base + (uint64_t)i * l->stride, l->stride, buf, &n);

		if (err)
			return err;
		for (uint32_t k = 0; k < n; k++) {
			int rc = read_record(vs, m, l, buf + k * l->stride);

			if (rc)
				return rc > 0 ? 0 : rc;
		}
		if (n < ENTRY_CHUNK)
			return -EFAULT;
	}
	return -EINVAL;	/* no end within the bound */
}

/* A layout from the offset and stride variables: every field within the
 * stride, the stride within VMS_MAX_STRIDE. */
static int layout_of(const struct java_mem *m, const uint64_t sym[VMS_SYM_MAX], int base_sym,
		     const int off_sym[4], unsigned value_size, struct table_layout *l)
{
	uint64_t *offs[4] = { &l->name, &l->field, &l->value, &l->is_static };
	int stride_sym = off_sym[0] == VMS_S_TYPE ? VMS_S_STRIDE :
			 off_sym[0] == VMS_T_TYPE ? VMS_T_STRIDE :
			 off_sym[0] == VMS_I_NAME ? VMS_I_STRIDE : VMS_L_STRIDE;

	if (!sym[base_sym] || !sym[stride_sym])
		return -ENOENT;
	l->base = java_read_u64(m, sym[base_sym]);
	l->stride = java_read_u64(m, sym[stride_sym]);
	l->value_size = value_size;
	if (!l->base)
		return -ENOENT;
	if (l->stride < 8 || l->stride > VMS_MAX_STRIDE)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		*offs[i] = UINT64_MAX;
		if (off_sym[i] < 0)
			continue;
		if (!sym[off_sym[i]])
			return -ENOENT;
		*offs[i] = java_read_u64(m, sym[off_sym[i]]);
		if (*offs[i] > l->stride - (i == 3 ? 4 : i == 2 ? value_size : 8))
			return -EINVAL;
	}
	return 0;
}

static int static_address_offset(const struct java_mem *m, const uint64_t sym[VMS_SYM_MAX],
				 struct table_layout *l)
{
	if (!sym[VMS_S_ADDRESS])
		return -ENOENT;
	l->address = java_read_u64(m, sym[VMS_S_ADDRESS]);
	return l->address <= l->stride - 8 ? 0 : -EINVAL;
}

void vmstructs__free(struct vmstructs *vs)
{
	if (!vs)
		return;
	for (int t = 0; t < TABLE_MAX; t++) {
		for (uint32_t i = 0; i < vs->n[t]; i++) {
			free(vs->e[t][i].type);
			free(vs->e[t][i].field);
		}
		free(vs->e[t]);
	}
	free(vs);
}

int vmstructs__read(const struct java_mem *m, const uint64_t sym[VMS_SYM_MAX],
		    struct vmstructs **out)
{
	static const struct { int base, table; int offs[4]; unsigned value_size; } tables[] = {
		{ VMS_STRUCTS, TABLE_STRUCTS, { VMS_S_TYPE, VMS_S_FIELD, VMS_S_OFFSET, VMS_S_STATIC }, 8 },
		{ VMS_TYPES, TABLE_TYPES, { VMS_T_TYPE, -1, VMS_T_SIZE, -1 }, 8 },
		{ VMS_INTS, TABLE_CONSTANTS, { VMS_I_NAME, -1, VMS_I_VALUE, -1 }, 4 },
		{ VMS_LONGS, TABLE_CONSTANTS, { VMS_L_NAME, -1, VMS_L_VALUE, -1 }, 8 },
	};
	struct vmstructs *vs = calloc(1, sizeof(*vs));
	int err = vs ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct table_layout l = { .table = tables[i].table, .address = UINT64_MAX };

		err = layout_of(m, sym, tables[i].base, tables[i].offs, tables[i].value_size, &l);
		if (!err && tables[i].base == VMS_STRUCTS)
			err = static_address_offset(m, sym, &l);
		if (!err)
			err = read_table(vs, m, &l);
	}
	if (err) {
		vmstructs__free(vs);
		return err;
	}
	*out = vs;
	return 0;
}

static const struct vms_entry *find(const struct vmstructs *vs, int t, const char *type,
				    const char *field)
{
	for (uint32_t i = 0; i < vs->n[t]; i++) {
		const struct vms_entry *e = &vs->e[t][i];

		if (!strcmp(e->type, type) &&
		    (!field || (e->field && !strcmp(e->field, field))))
			return e;
	}
	return NULL;
}

int64_t vmstructs__offset(const struct vmstructs *vs, const char *type, const char *field)
{
	const struct vms_entry *e = find(vs, TABLE_STRUCTS, type, field);

	return e && !e->is_static && e->value < (1u << 20) ? (int64_t)e->value : -1;
}

uint64_t vmstructs__address(const struct vmstructs *vs, const char *type, const char *field)
{
	const struct vms_entry *e = find(vs, TABLE_STRUCTS, type, field);

	return e && e->is_static ? e->value : 0;
}

int64_t vmstructs__size(const struct vmstructs *vs, const char *type)
{
	const struct vms_entry *e = find(vs, TABLE_TYPES, type, NULL);

	return e && e->value < (1u << 20) ? (int64_t)e->value : -1;
}

bool vmstructs__constant(const struct vmstructs *vs, const char *name, int64_t *value)
{
	const struct vms_entry *e = find(vs, TABLE_CONSTANTS, name, NULL);

	if (e)
		*value = (int64_t)e->value;
	return e != NULL;
}

void vmstructs__counts(const struct vmstructs *vs, uint32_t *fields, uint32_t *types,
		       uint32_t *constants)
{
	*fields = vs->n[TABLE_STRUCTS];
	*types = vs->n[TABLE_TYPES];
	*constants = vs->n[TABLE_CONSTANTS];
}
