// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "collect/python/python_offsets.h"

/* Measured with tools/workloads/python_offsets.py in Debian's 3.9 (bullseye)
 * and 3.11 (bookworm) and in pyenv builds of 3.9.18, 3.10.13 and 3.12.1
 * (interp_modules and type_cached_keys: with ctypes in those and Debian's
 * 3.9, 3.11, 3.13 and 3.14);
 * frame fields (f_back, f_lasti, is_entry, owner) from the structs' sources,
 * confirmed by the frames the tests read through them. */
static const struct py_offsets tables[] = {
	{
		.version = 0x0309, .model = PY_FRAME_OBJECTS, .linetable = PY_LNOTAB,
		.runtime_interp_head = 32, .interp_threads_head = 8,
		.tstate_next = 8, .tstate_native_tid = -1, .tstate_thread_id = 176,
		.tstate_frame = 24, .cframe_current_frame = -1,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 104,
		.frame_owner = -1, .frame_is_entry = -1, .frame_size = 112,
		.code_filename = 104, .code_name = 112, .code_qualname = -1,
		.code_linetable = 120, .code_firstlineno = 40, .code_adaptive = -1,
		.code_size = 128,
		.unicode_state = 32, .unicode_length = 16, .ascii_size = 48, .compact_size = 72,
		.bytes_size = 16, .bytes_data = 32,
		.dicts = PY_DICTS_39, .interp_modules = 856, .type_cached_keys = 864,
	},
	{
		.version = 0x030a, .model = PY_FRAME_OBJECTS, .linetable = PY_LINETABLE_310,
		.runtime_interp_head = 32, .interp_threads_head = 8,
		.tstate_next = 8, .tstate_native_tid = -1, .tstate_thread_id = 176,
		.tstate_frame = 24, .cframe_current_frame = -1,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 96,
		.frame_owner = -1, .frame_is_entry = -1, .frame_size = 104,
		.code_filename = 104, .code_name = 112, .code_qualname = -1,
		.code_linetable = 120, .code_firstlineno = 40, .code_adaptive = -1,
		.code_size = 128,
		.unicode_state = 32, .unicode_length = 16, .ascii_size = 48, .compact_size = 72,
		.bytes_size = 16, .bytes_data = 32,
		.dicts = PY_DICTS_39, .interp_modules = 856, .type_cached_keys = 872,
	},
	{
		.version = 0x030b, .model = PY_IFRAME_ENTRY_FLAG, .linetable = PY_LOCATIONS,
		.runtime_interp_head = 40, .interp_threads_head = 16,
		.tstate_next = 8, .tstate_native_tid = 160, .tstate_thread_id = 152,
		.tstate_frame = 56, .cframe_current_frame = 8,
		.frame_previous = 48, .frame_code = 32, .frame_instr = 56,
		.frame_owner = 69, .frame_is_entry = 68, .frame_size = 72,
		.code_filename = 112, .code_name = 120, .code_qualname = 128,
		.code_linetable = 136, .code_firstlineno = 72, .code_adaptive = 184,
		.code_size = 192,
		.unicode_state = 32, .unicode_length = 16, .ascii_size = 48, .compact_size = 72,
		.bytes_size = 16, .bytes_data = 32,
		.dicts = PY_DICTS_311, .interp_modules = 888, .type_cached_keys = 872,
	},
	{
		.version = 0x030c, .model = PY_IFRAME_CSTACK, .linetable = PY_LOCATIONS,
		.runtime_interp_head = 40, .interp_threads_head = 72,
		.tstate_next = 8, .tstate_native_tid = 144, .tstate_thread_id = 136,
		.tstate_frame = 56, .cframe_current_frame = 0,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56,
		.frame_owner = 70, .frame_is_entry = -1, .frame_size = 72,
		.code_filename = 112, .code_name = 120, .code_qualname = 128,
		.code_linetable = 136, .code_firstlineno = 68, .code_adaptive = 192,
		.code_size = 200,
		.unicode_state = 32, .unicode_length = 16, .ascii_size = 40, .compact_size = 56,
		.bytes_size = 16, .bytes_data = 32,
		.dicts = PY_DICTS_312, .interp_modules = 944, .type_cached_keys = 880,
	},
};

const struct py_offsets *py_offsets_table(uint32_t version)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].version == version)
			return &tables[i];
	return NULL;
}

/* Positions (in uint64 words) of the fields we use in _Py_DebugOffsets,
 * which changes between minor versions (only patch releases keep it). */
struct debug_layout {
	uint32_t version;
	int interp_head;
	int threads_head, tstate_size, tstate_next, tstate_current_frame, tstate_native_tid,
	    tstate_thread_id;
	int frame_size, frame_previous, frame_executable, frame_instr, frame_owner;
	int code_size, code_filename, code_name, code_qualname, code_linetable,
	    code_firstlineno, code_adaptive;
	int unicode_state, unicode_length, ascii_size;
	int imports_modules;
	uint64_t code_tag_mask;
	int type_cached_keys;		/* not in the debug offsets: measured */
};

static const struct debug_layout layouts[] = {
	{	/* read from 3.13.0's own _PyRuntime */
		.version = 0x030d, .interp_head = 5,
		.threads_head = 9, .tstate_size = 19, .tstate_next = 21,
		.tstate_current_frame = 23, .tstate_thread_id = 24, .tstate_native_tid = 25,
		.frame_size = 28, .frame_previous = 29, .frame_executable = 30,
		.frame_instr = 31, .frame_owner = 33,
		.code_size = 34, .code_filename = 35, .code_name = 36, .code_qualname = 37,
		.code_linetable = 38, .code_firstlineno = 39, .code_adaptive = 43,
		.unicode_state = 68, .unicode_length = 69, .ascii_size = 70,
		.imports_modules = 11, .code_tag_mask = 0, .type_cached_keys = 880,
	},
	{	/* read from 3.14.10's (sid) own _PyRuntime */
		.version = 0x030e, .interp_head = 5,
		.threads_head = 9, .tstate_size = 22, .tstate_next = 24,
		.tstate_current_frame = 26, .tstate_thread_id = 27, .tstate_native_tid = 28,
		.frame_size = 31, .frame_previous = 32, .frame_executable = 33,
		.frame_instr = 34, .frame_owner = 36,
		.code_size = 39, .code_filename = 40, .code_name = 41, .code_qualname = 42,
		.code_linetable = 43, .code_firstlineno = 44, .code_adaptive = 48,
		.unicode_state = 78, .unicode_length = 79, .ascii_size = 80,
		.imports_modules = 12, .type_cached_keys = 880,
		.code_tag_mask = 7,	/* f_executable is a _PyStackRef: tag in the low bits */
	},
};

#define DEBUG_COOKIE	"xdebugpy"

static uint64_t word(const uint8_t *buf, int i)
{
	uint64_t v;

	memcpy(&v, buf + (size_t)i * 8, 8);
	return v;
}

/* an offset within a struct of the given size (itself bounded), as int */
static int field(const uint8_t *buf, int i, uint64_t size, int *out)
{
	uint64_t v = word(buf, i);

	if (v >= size)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int py_offsets_from_debug(const uint8_t *buf, size_t len, struct py_offsets *o)
{
	const struct debug_layout *l = NULL;
	uint64_t version, tsize, fsize, csize;
	uint32_t minor;
	int err = 0;

	if (len < 16 || memcmp(buf, DEBUG_COOKIE, 8))
		return -ENOENT;
	version = word(buf, 1);
	minor = (uint32_t)(version >> 16);
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].version == minor)
			l = &layouts[i];
	if (!l)
		return -ENOTSUP;
	if (len < (size_t)(l->code_adaptive + 1) * 8 ||
	    (l->ascii_size && len < (size_t)(l->ascii_size + 1) * 8))
		return -EINVAL;
	tsize = word(buf, l->tstate_size);
	fsize = word(buf, l->frame_size);
	csize = word(buf, l->code_size);
	if (tsize < 64 || tsize > 65536 || fsize < 32 || fsize > 512 || csize < 64 || csize > 1024)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->version = minor;
	o->model = PY_IFRAME_CSTACK;
	o->linetable = PY_LOCATIONS;
	o->cframe_current_frame = -1;
	o->frame_is_entry = -1;
	o->code_tag_mask = l->code_tag_mask;
	err |= field(buf, l->interp_head, 65536, &o->runtime_interp_head);
	err |= field(buf, l->threads_head, 65536, &o->interp_threads_head);
	err |= field(buf, l->tstate_next, tsize, &o->tstate_next);
	err |= field(buf, l->tstate_current_frame, tsize, &o->tstate_frame);
	err |= field(buf, l->tstate_thread_id, tsize, &o->tstate_thread_id);
	err |= field(buf, l->tstate_native_tid, tsize, &o->tstate_native_tid);
	err |= field(buf, l->frame_previous, fsize, &o->frame_previous);
	err |= field(buf, l->frame_executable, fsize, &o->frame_code);
	err |= field(buf, l->frame_instr, fsize, &o->frame_instr);
	err |= field(buf, l->frame_owner, fsize, &o->frame_owner);
	err |= field(buf, l->code_filename, csize, &o->code_filename);
	err |= field(buf, l->code_name, csize, &o->code_name);
	err |= field(buf, l->code_qualname, csize, &o->code_qualname);
	err |= field(buf, l->code_linetable, csize, &o->code_linetable);
	err |= field(buf, l->code_firstlineno, csize, &o->code_firstlineno);
	err |= field(buf, l->code_adaptive, csize + 1, &o->code_adaptive);
	err |= field(buf, l->imports_modules, 65536, &o->interp_modules);
	if (err)
		return -EINVAL;
	o->frame_size = (int)fsize;
	o->code_size = o->code_adaptive;
	/* PyASCIIObject is the same since 3.12; 3.13 publishes it */
	o->unicode_state = 32;
	o->unicode_length = 16;
	o->ascii_size = 40;
	if (l->ascii_size) {
		err |= field(buf, l->unicode_state, 64, &o->unicode_state);
		err |= field(buf, l->unicode_length, 64, &o->unicode_length);
		err |= field(buf, l->ascii_size, 64, &o->ascii_size);
		if (err)
			return -EINVAL;
	}
	o->compact_size = o->ascii_size + 16;
	o->bytes_size = 16;
	o->bytes_data = 32;
	o->dicts = PY_DICTS_313;
	o->type_cached_keys = l->type_cached_keys;
	return 0;
}
