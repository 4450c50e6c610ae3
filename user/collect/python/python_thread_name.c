// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "collect/python/python_thread_name.h"

#define MAX_DICT_ENTRIES	65536	/* entries scanned per dict */
#define ENTRY_BATCH		128	/* entries per read */
#define MAX_PROBES		64	/* hash table slots tried per lookup */
#define PERTURB_SHIFT		5	/* CPython's probe sequence, 3.9 to 3.14 */
#define MAX_BASICSIZE		4096	/* an instance's fixed part; beyond is garbage */
#define MAX_TYPE_HEAD		1024	/* bytes of a type object read */
#define TP_BASICSIZE		32	/* PyTypeObject, the same 3.9 to 3.14 */
#define TP_FLAGS		168
#define TP_DICTOFFSET		288
#define TPFLAGS_INLINE_VALUES	(1UL << 2)	/* 3.13+ */
#define TPFLAGS_MANAGED_DICT	(1UL << 4)	/* 3.11+ */
#define MANAGED_DICT		(-24)	/* 3.11+: the dict pointer before the object */
#define MANAGED_VALUES_311	(-32)	/* 3.11: the values pointer before it */
#define MD_DICT			16	/* PyModuleObject.md_dict */

/* Where a dict's index and entries are, as read from its keys object. */
struct dict_keys {
	uint64_t indices, mask;	/* the hash table: mask + 1 slots of ix_bytes */
	unsigned ix_bytes;
	uint64_t entries;
	uint64_t used;		/* entries in use or deleted */
	uint32_t n;		/* of them scanned: bounded */
	uint32_t entry_size;	/* 24: {hash, key, value}; 16: {key, value} */
};

/* A key: the str name, or (name NULL) the hash of an int key. */
struct key_match {
	const char *name;
	uint64_t hash;
};

static uint64_t word_at(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

static int read_u64(const struct py_proc *p, uint64_t addr, uint64_t *v)
{
	return py_proc__read(p, addr, v, sizeof(*v));
}

/* 3.9, 3.10: dk_size, dk_nentries, indices sized by dk_size */
static int keys_layout_39(const uint8_t *h, uint64_t keys, struct dict_keys *k)
{
	uint64_t size = word_at(h, 8), used = word_at(h, 32);
	unsigned ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;

	if (size < 8 || size > (1U << 26) || (size & (size - 1)) || used > size)
		return -EINVAL;
	k->indices = keys + 40;
	k->mask = size - 1;
	k->ix_bytes = ix;
	k->used = used;
	k->entries = keys + 40 + size * ix;
	k->n = (uint32_t)(used < MAX_DICT_ENTRIES ? used : MAX_DICT_ENTRIES);
	k->entry_size = 24;
	return 0;
}

/* 3.11+: dk_log2_size, dk_log2_index_bytes, dk_kind, dk_nentries */
static int keys_layout_311(const uint8_t *h, uint64_t keys, struct dict_keys *k)
{
	unsigned log2 = h[8], log2_ix = h[9], kind = h[10];
	uint64_t used = word_at(h, 24);

	if (log2 < 3 || log2 > 26 || log2_ix < log2 || log2_ix > log2 + 3 || kind > 2 ||
	    used > (1ULL << log2))
		return -EINVAL;
	k->indices = keys + 32;
	k->mask = (1ULL << log2) - 1;
	k->ix_bytes = 1U << (log2_ix - log2);
	k->used = used;
	k->entries = keys + 32 + (1ULL << log2_ix);
	k->n = (uint32_t)(used < MAX_DICT_ENTRIES ? used : MAX_DICT_ENTRIES);
	k->entry_size = kind == 0 ? 24 : 16;	/* DICT_KEYS_GENERAL has the hash */
	return 0;
}

static int keys_layout(const struct py_proc *p, uint64_t keys, struct dict_keys *k)
{
	uint8_t h[40];

	if (!keys || py_proc__read(p, keys, h, sizeof(h)))
		return -EFAULT;
	return py_proc__offsets(p)->dicts == PY_DICTS_39 ? keys_layout_39(h, keys, k) :
							     keys_layout_311(h, keys, k);
}

static bool entry_matches(const struct py_proc *p, const struct dict_keys *k, const uint8_t *e,
			  const struct key_match *m)
{
	uint64_t key = word_at(e, k->entry_size == 24 ? 8 : 0);
	char text[PY_STR_TEXT];

	if (!key)	/* deleted */
		return false;
	return !py_proc__read_str(p, key, text) && !strcmp(text, m->name);
}

/* Slot i of k's hash table: an entry index, -1 empty, -2 deleted. */
static int read_index(const struct py_proc *p, const struct dict_keys *k, uint64_t i, int64_t *ix)
{
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int err;

	switch (k->ix_bytes) {
	case 1:
		err = py_proc__read(p, k->indices + i, &i8, 1);
		*ix = i8;
		return err;
	case 2:
		err = py_proc__read(p, k->indices + i * 2, &i16, 2);
		*ix = i16;
		return err;
	case 4:
		err = py_proc__read(p, k->indices + i * 4, &i32, 4);
		*ix = i32;
		return err;
	default:
		return py_proc__read(p, k->indices + i * 8, ix, 8);
	}
}

/* The entry of hash in a table whose entries keep it (ints: _active), by
 * CPython's own probe sequence: a few reads among any number of threads. */
static int keys_probe(const struct py_proc *p, const struct dict_keys *k, uint64_t hash,
		      uint32_t *ix, uint64_t *value)
{
	uint64_t perturb = hash, i = hash & k->mask, e[3];
	int64_t at;

	if (k->entry_size != 24)
		return -ENOENT;
	for (int step = 0; step < MAX_PROBES; step++) {
		if (read_index(p, k, i, &at))
			return -EFAULT;
		if (at == -1)
			return -ENOENT;
		if (at >= 0) {
			if ((uint64_t)at >= k->used)
				return -EINVAL;
			if (py_proc__read(p, k->entries + (uint64_t)at * 24, e, sizeof(e)))
				return -EFAULT;
			if (e[0] == hash && e[1]) {
				*ix = (uint32_t)at;
				*value = e[2];
				return 0;
			}
		}
		perturb >>= PERTURB_SHIFT;
		i = (i * 5 + perturb + 1) & k->mask;
	}
	return -EINVAL;
}

/* Index of the entry whose key is m in k, and its value in the entry (0 in
 * a split table); -ENOENT when none is. A str key is looked for entry by
 * entry: its hash is randomized per process. */
static int keys_find(const struct py_proc *p, const struct dict_keys *k,
		     const struct key_match *m, uint32_t *ix, uint64_t *value)
{
	uint8_t batch[ENTRY_BATCH * 24];

	if (!m->name)
		return keys_probe(p, k, m->hash, ix, value);

	for (uint32_t i = 0; i < k->n; i += ENTRY_BATCH) {
		uint32_t n = k->n - i < ENTRY_BATCH ? k->n - i : ENTRY_BATCH;

		if (py_proc__read(p, k->entries + (uint64_t)i * k->entry_size, batch,
				  (size_t)n * k->entry_size))
			return -EFAULT;
		for (uint32_t j = 0; j < n; j++) {
			const uint8_t *e = batch + (size_t)j * k->entry_size;

			if (!entry_matches(p, k, e, m))
				continue;
			*ix = i + j;
			*value = word_at(e, k->entry_size == 24 ? 16 : 8);
			return 0;
		}
	}
	return -ENOENT;
}

/* values[ix] of a split table or of an object's values (3.13+: after an
 * 8-byte header) */
static int split_value(const struct py_proc *p, uint64_t values, uint32_t ix, uint64_t *value)
{
	uint64_t at = values + (py_proc__offsets(p)->dicts == PY_DICTS_313 ? 8 : 0) + 8ULL * ix;

	return read_u64(p, at, value);
}

static int dict_get(const struct py_proc *p, uint64_t dict, const struct key_match *m,
		    uint64_t *value)
{
	uint8_t head[48];	/* ob_refcnt, ob_type, ma_used, version, ma_keys, ma_values */
	struct dict_keys k;
	uint64_t values;
	uint32_t ix;
	int err;

	if (!dict || py_proc__read(p, dict, head, sizeof(head)))
		return -EFAULT;
	err = keys_layout(p, word_at(head, 32), &k);
	if (!err)
		err = keys_find(p, &k, m, &ix, value);
	if (err)
		return err;
	values = word_at(head, 40);
	if (values && (err = split_value(p, values, ix, value)))
		return err;
	return *value ? 0 : -ENOENT;
}

/* Where obj keeps its attributes when it has no dict (3.11+): its values,
 * 0 when none. dict_or_values: the word before it at MANAGED_DICT. */
static int object_values(const struct py_proc *p, uint64_t obj, const uint8_t *type,
			 uint64_t dict_or_values, uint64_t *values)
{
	enum py_dict_model model = py_proc__offsets(p)->dicts;
	uint64_t basic = word_at(type, TP_BASICSIZE);
	uint8_t hdr[8];

	*values = 0;
	if (model == PY_DICTS_311)
		return read_u64(p, obj + MANAGED_VALUES_311, values);
	if (model == PY_DICTS_312) {	/* values tagged: their address - 1 */
		*values = dict_or_values & 1 ? dict_or_values + 1 : 0;
		return 0;
	}
	if (!(word_at(type, TP_FLAGS) & TPFLAGS_INLINE_VALUES) || basic < 16 ||
	    basic > MAX_BASICSIZE)
		return -EINVAL;
	if (py_proc__read(p, obj + basic, hdr, sizeof(hdr)))
		return -EFAULT;
	if (hdr[3])	/* valid: not moved to a dict */
		*values = obj + basic;
	return 0;
}

/* Thread._name of an object kept in values: keys shared by the instances
 * of its type, tp (the index found is kept for the next Thread of tp). */
static int values_get(struct py_names *n, const struct py_proc *p, uint64_t values,
		      uint64_t tp, const uint8_t *type, const struct key_match *m, uint64_t *value)
{
	uint64_t keys = word_at(type, (size_t)py_proc__offsets(p)->type_cached_keys);
	struct dict_keys k;
	uint32_t ix;
	int err = 0;

	if (n->type == tp && n->type_keys == keys) {
		ix = n->name_ix;
	} else {
		err = keys_layout(p, keys, &k);
		if (!err)
			err = keys_find(p, &k, m, &ix, value);
		if (err)
			return err;
		*n = (struct py_names){ .active = n->active, .type = tp, .type_keys = keys,
					.name_ix = ix };
	}
	err = split_value(p, values, ix, value);
	return err ? err : *value ? 0 : -ENOENT;
}

/* The Thread obj's attribute name (an instance of a class defined in Python). */
static int attr_get(struct py_names *n, const struct py_proc *p, uint64_t obj, const char *name,
		    uint64_t *value)
{
	const struct py_offsets *o = py_proc__offsets(p);
	struct key_match m = { .name = name };
	uint8_t type[MAX_TYPE_HEAD];
	uint64_t tp, dict, values;
	int64_t off;
	int err;

	if (o->type_cached_keys < TP_DICTOFFSET || o->type_cached_keys + 8 > MAX_TYPE_HEAD ||
	    read_u64(p, obj + 8, &tp) || !tp ||
	    py_proc__read(p, tp, type, (size_t)o->type_cached_keys + 8))
		return -EFAULT;
	if (o->dicts == PY_DICTS_39) {
		off = (int64_t)word_at(type, TP_DICTOFFSET);
		if (off <= 0 || off > MAX_BASICSIZE)
			return -EINVAL;
		if (read_u64(p, obj + (uint64_t)off, &dict))
			return -EFAULT;
		return dict_get(p, dict, &m, value);
	}
	if (!(word_at(type, TP_FLAGS) & TPFLAGS_MANAGED_DICT))
		return -EINVAL;
	if (read_u64(p, obj + MANAGED_DICT, &dict))
		return -EFAULT;
	if (dict && !(dict & 1))
		return dict_get(p, dict, &m, value);
	err = object_values(p, obj, type, dict, &values);
	if (err)
		return err;
	return values ? values_get(n, p, values, tp, type, &m, value) : -ENOENT;
}

/* threading._active, through sys.modules */
static int find_active(const struct py_proc *p, uint64_t interp, uint64_t *active)
{
	const struct py_offsets *o = py_proc__offsets(p);
	uint64_t modules, mod, md_dict;
	int err;

	if (read_u64(p, interp + (uint64_t)o->interp_modules, &modules))
		return -EFAULT;
	err = dict_get(p, modules, &(struct key_match){ .name = "threading" }, &mod);
	if (err)
		return err;
	if (read_u64(p, mod + MD_DICT, &md_dict))
		return -EFAULT;
	return dict_get(p, md_dict, &(struct key_match){ .name = "_active" }, active);
}

/* The name of the thread whose pthread_t is ident, in interpreter interp. */
static int name_of_ident(struct py_names *n, const struct py_proc *p, uint64_t interp,
			 uint64_t ident, char *out, size_t size)
{
	uint64_t thread, name;
	char text[PY_STR_TEXT];
	int err = 0;

	if (size)
		out[0] = '\0';
	if (!n->active)
		err = find_active(p, interp, &n->active);
	if (!err)	/* hash(int) is the int for these idents (< 2**61 - 1) */
		err = dict_get(p, n->active, &(struct key_match){ .hash = ident }, &thread);
	if (!err)
		err = attr_get(n, p, thread, "_name", &name);
	if (!err)
		err = py_proc__read_str(p, name, text);
	if (err)
		return err;
	snprintf(out, size, "%s", text);
	return 0;
}

int py_names__read(struct py_names *n, struct py_proc *p, uint32_t tid, char *out, size_t size)
{
	const struct py_offsets *o = py_proc__offsets(p);
	uint64_t ident, interp;
	int err;

	if (size)
		out[0] = '\0';
	if (o->dicts == PY_DICTS_UNKNOWN || o->interp_modules <= 0 || o->type_cached_keys <= 0)
		return -ENOTSUP;
	err = py_proc__thread_ident(p, tid, &ident, &interp);
	return err ? err : name_of_ident(n, p, interp, ident, out, size);
}
