// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "collect/procfs/procmem.h"
#include "collect/python/python_runtime.h"
#include "util/elf_symbols.h"
#include "util/foreign_file.h"

#define MAX_MAPS_LINES	100000	/* bound on a hostile maps file */

uint32_t py_version_from_name(const char *base)
{
	unsigned int major, minor;
	const char *p;

	if (!strncmp(base, "lib", 3))
		base += 3;
	if (strncmp(base, "python", 6))
		return 0;
	p = base + 6;
	if (sscanf(p, "%1u.%3u", &major, &minor) != 2 || major != 3)
		return 0;
	return major << 8 | minor;
}

struct elf_syms {
	uint64_t runtime, py_version;	/* link-time addresses, 0 = absent */
	uint64_t first_load;		/* lowest PT_LOAD p_vaddr, page aligned */
	uint64_t first_load_off;	/* and its p_offset, page aligned */
};

static void on_symbol(void *ctx, const char *name, const GElf_Sym *sym)
{
	struct elf_syms *s = ctx;

	if (name[0] != '_' && name[0] != 'P')
		return;
	if (!strcmp(name, "_PyRuntime"))
		s->runtime = sym->st_value;
	else if (!strcmp(name, "Py_Version"))
		s->py_version = sym->st_value;
}

/* flags: FOREIGN_FOLLOW for map_files/ (the kernel's link to the file) */
static int elf_symbols(const char *path, unsigned flags, struct elf_syms *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = elf_symbols__read_file(path, flags, on_symbol, s, &s->first_load, &s->first_load_off);
	if (err)
		return err;
	return s->runtime ? 0 : -ENOENT;
}

/* Version from the Py_Version constant (3.11+), else from the file name. */
static uint32_t read_version(int pid, uint64_t addr, const char *base)
{
	uint32_t hex;

	if (addr && !procmem__read_once(pid, addr, &hex, sizeof(hex)) && (hex >> 24) == 3)
		return hex >> 16;
	return py_version_from_name(base);
}

static bool is_python_file(const char *base)
{
	return !strncmp(base, "python3", 7) || !strncmp(base, "libpython3", 10);
}

int py_runtime_find(int pid, struct py_runtime *out)
{
	char line[4096], tried[4096] = "";
	int err = -ENOENT, lines = 0;
	FILE *f;

	f = procfs__fopen(pid, 0, "maps");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && lines++ < MAX_MAPS_LINES) {
		unsigned long long start, end, off;
		char file[4096], full[4200];
		struct elf_syms s;
		const char *base;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095[^\n]", &start, &end, &off,
			   file) != 4 || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		if (!is_python_file(base) || strstr(file, " (deleted)") || !strcmp(file, tried))
			continue;
		snprintf(tried, sizeof(tried), "%s", file);
		/* the mapping itself (any mount namespace), else the path as the
		 * process sees it (maps shows it relative to our root), else ours */
		procfs__pathf(full, sizeof(full), pid, "map_files/%llx-%llx", start, end);
		err = elf_symbols(full, FOREIGN_FOLLOW, &s);
		if (err == -ENOENT || err == -EPERM || err == -EACCES) {
			procfs__pathf(full, sizeof(full), pid, "root%s", file);
			err = elf_symbols(full, 0, &s);
		}
		if (err && err != -ENOEXEC)
			err = elf_symbols(file, 0, &s);
		if (err)
			continue;
		/* the first mapping of a file is its lowest PT_LOAD */
		if (off != s.first_load_off) {
			err = -ENOENT;
			continue;
		}
		out->runtime_addr = start - s.first_load + s.runtime;
		out->version = read_version(pid, s.py_version ? start - s.first_load + s.py_version : 0,
					    base);
		fclose(f);
		return 0;
	}
	fclose(f);
	return err;
}
