/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where CPython keeps what a frame walk needs, per version: from the
 * interpreter's own _Py_DebugOffsets (3.13 and later, at the start of
 * _PyRuntime) or from tables checked against the real interpreters (3.9 to
 * 3.12, tools/workloads/python_offsets.py prints them from inside one).
 * x86-64, default (GIL) builds. An offset of -1 means "not in this version". */
#ifndef LT_PYTHON_OFFSETS_H
#define LT_PYTHON_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/python/python_linetable.h"

/* How the frame chain maps onto native _PyEval_EvalFrameDefault frames. */
enum py_frame_model {
	PY_FRAME_OBJECTS,	/* 3.9, 3.10: one PyFrameObject per native eval frame */
	PY_IFRAME_ENTRY_FLAG,	/* 3.11: _PyInterpreterFrame chain, is_entry marks a native frame's first */
	PY_IFRAME_CSTACK,	/* 3.12+: shim frames owned by the C stack separate native frames */
};

/* How dicts and instance attributes are laid out (threading's thread names). */
enum py_dict_model {
	PY_DICTS_UNKNOWN,	/* no thread names for this version */
	PY_DICTS_39,		/* 3.9, 3.10: keys with dk_size, 24-byte entries;
				 * __dict__ at tp_dictoffset */
	PY_DICTS_311,		/* keys: log2 sizes and a kind; managed dict at -24, values at -32 */
	PY_DICTS_312,		/* 3.11's keys; dict, or values tagged (address - 1), at -24 */
	PY_DICTS_313,		/* 3.11's keys; values inline after tp_basicsize (8-byte header) */
};

struct py_offsets {
	uint32_t version;		/* PY_VERSION_HEX >> 16: 0x030b for 3.11 */
	enum py_frame_model model;
	enum py_linetable_format linetable;
	int runtime_interp_head;	/* _PyRuntime.interpreters.head */
	int interp_threads_head;	/* PyInterpreterState: first thread state */
	int tstate_next;
	int tstate_native_tid;		/* native_thread_id (3.11+), -1 before */
	int tstate_thread_id;		/* pthread_t (pthread_self()) */
	int tstate_frame;		/* frame / current_frame, or the cframe pointer */
	int cframe_current_frame;	/* 3.11, 3.12: tstate->cframe->current_frame; -1: direct */
	int frame_previous;
	int frame_code;
	int frame_instr;		/* 3.9/3.10: int f_lasti; later: instruction pointer */
	int frame_owner;		/* char owner, -1 before 3.11 */
	int frame_is_entry;		/* 3.11 bool is_entry, -1 otherwise */
	int frame_size;			/* bytes read per frame */
	uint64_t code_tag_mask;		/* 3.14: f_executable is a tagged stack reference */
	int code_filename, code_name, code_qualname, code_linetable, code_firstlineno;
	int code_adaptive;		/* first code unit (3.11+), -1 before */
	int code_size;			/* bytes read per code object */
	int unicode_state, unicode_length;
	int ascii_size;			/* sizeof(PyASCIIObject): compact ASCII data */
	int compact_size;		/* sizeof(PyCompactUnicodeObject): other compact data */
	int bytes_size, bytes_data;	/* PyBytesObject ob_size, ob_sval */
	enum py_dict_model dicts;
	int interp_modules;		/* PyInterpreterState: sys.modules (a dict) */
	int type_cached_keys;		/* PyHeapTypeObject.ht_cached_keys */
};

/* frame owner values (3.12+) */
#define PY_OWNED_BY_CSTACK		3
#define PY_OWNED_BY_INTERPRETER		4	/* 3.14 */

/* glibc x86-64: offset of the kernel tid in struct pthread, which
 * pthread_self() points to (tcbhead_t 0x2c0 + list_t); checked by reading
 * back a tid that exists. Used for 3.9/3.10, which keep no native id. */
#define PY_GLIBC_PTHREAD_TID		0x2d0

/* Table for version (major << 8 | minor), NULL when there is none. */
const struct py_offsets *py_offsets_table(uint32_t version);

/* Fill out from the _Py_DebugOffsets bytes at the start of _PyRuntime (len
 * bytes of them). 0, -ENOENT (no cookie: not 3.13+), -ENOTSUP (a version
 * whose layout of the debug offsets is unknown) or -EINVAL (implausible
 * values: a corrupted or misread header). */
int py_offsets_from_debug(const uint8_t *buf, size_t len, struct py_offsets *out);

#endif
