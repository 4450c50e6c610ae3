// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collect/java/jvm_lib.h"
#include "util/elf_symbols.h"
#include "util/foreign_file.h"

#define MAX_MAPS_LINES	100000	/* bound on a hostile maps file */

static const char *const static_names[JS_MAX] = {
	[JS_THREAD_NAME] = "_ZN16java_lang_Thread12_name_offsetE",
	[JS_THREAD_TID] = "_ZN16java_lang_Thread11_tid_offsetE",
	[JS_THREAD_PARK_BLOCKER] = "_ZN16java_lang_Thread20_park_blocker_offsetE",
	[JS_THREAD_STATUS] = "_ZN16java_lang_Thread21_thread_status_offsetE",
	[JS_THREAD_HOLDER] = "_ZN16java_lang_Thread14_holder_offsetE",
	[JS_HOLDER_STATUS] = "_ZN28java_lang_Thread_FieldHolder21_thread_status_offsetE",
	[JS_STRING_VALUE] = "_ZN16java_lang_String13_value_offsetE",
	[JS_STRING_CODER] = "_ZN16java_lang_String13_coder_offsetE",
	[JS_AOS_OWNER] = "_ZN54java_util_concurrent_locks_AbstractOwnableSynchronizer13_owner_offsetE",
	[JS_USE_COMPRESSED_OOPS] = "UseCompressedOops",
	[JS_USE_COMPRESSED_CLASS_POINTERS] = "UseCompressedClassPointers",
	[JS_USE_COMPACT_HEADERS] = "UseCompactObjectHeaders",
	[JS_LOCKING_MODE] = "LockingMode",
};

static void note_symbol(struct jvm_lib *l, const char *name, uint64_t value)
{
	if (name[0] == 'g' && !strncmp(name, "gHotSpotVM", 10)) {
		for (int i = 0; i < VMS_SYM_MAX; i++)
			if (!strcmp(name, vmstructs_symbol_names[i]))
				l->vms[i] = value;
		return;
	}
	if (name[0] != '_' && name[0] != 'U' && name[0] != 'L')
		return;
	for (int i = 0; i < JS_MAX; i++)
		if (!strcmp(name, static_names[i]))
			l->statics[i] = value;
}

static void on_symbol(void *ctx, const char *name, const GElf_Sym *sym)
{
	if (GELF_ST_TYPE(sym->st_info) == STT_OBJECT)
		note_symbol(ctx, name, sym->st_value);
}

/* Symbols (link-time) and the lowest PT_LOAD of the file at path. */
static int elf_symbols(const char *path, unsigned flags, struct jvm_lib *l, uint64_t *first_off,
		       uint64_t *first_vaddr)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = elf_symbols__read_file(path, flags, on_symbol, l, first_vaddr, first_off);
	if (err)
		return err;
	return l->vms[VMS_STRUCTS] ? 0 : -ENOENT;
}

static void relocate(struct jvm_lib *l, uint64_t bias)
{
	l->bias = bias;
	for (int i = 0; i < VMS_SYM_MAX; i++)
		l->vms[i] += l->vms[i] ? bias : 0;
	for (int i = 0; i < JS_MAX; i++)
		l->statics[i] += l->statics[i] ? bias : 0;
}

static bool is_libjvm(const char *file)
{
	size_t n = strlen(file);

	return n >= 10 && !strcmp(file + n - 10, "/libjvm.so");
}

/* The file of the mapping start-end as the process sees it. */
static int open_mapping(int pid, unsigned long long start, unsigned long long end,
			const char *file, struct jvm_lib *l, uint64_t *off, uint64_t *vaddr)
{
	char full[4200];
	int err;

	snprintf(full, sizeof(full), "/proc/%d/map_files/%llx-%llx", pid, start, end);
	err = elf_symbols(full, FOREIGN_FOLLOW, l, off, vaddr);
	if (err == -EPERM || err == -EACCES || err == -ENOENT) {
		snprintf(full, sizeof(full), "/proc/%d/root%s", pid, file);
		err = elf_symbols(full, 0, l, off, vaddr);
	}
	return err;
}

int jvm_lib_find(int pid, struct jvm_lib *out)
{
	char path[64], line[4096];
	int err = -ENOENT, lines = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = foreign_fopen(path, FOREIGN_PROC_TEXT, 0);
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f) && lines++ < MAX_MAPS_LINES) {
		unsigned long long start, end, off;
		char perms[8], file[4096];
		uint64_t first_off, first_vaddr;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &start, &end, perms, &off,
			   file) != 5 || !is_libjvm(file))
			continue;
		if (found) {	/* later mappings: the executable one */
			if (perms[2] == 'x' && !out->text_lo) {
				out->text_lo = start;
				out->text_hi = end;
			}
			continue;
		}
		err = open_mapping(pid, start, end, file, out, &first_off, &first_vaddr);
		if (err)
			break;
		if (off != first_off) {
			err = -ENOENT;
			break;
		}
		relocate(out, start - first_vaddr);
		found = true;
		if (perms[2] == 'x') {
			out->text_lo = start;
			out->text_hi = end;
		}
	}
	fclose(f);
	return found ? 0 : err;
}
