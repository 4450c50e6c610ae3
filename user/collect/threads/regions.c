// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procfs/procfs.h"
#include "collect/threads/regions.h"


bool maps_parse_line(const char *text, size_t len, struct mapping *m)
{
	char line[512], perms[5] = "";
	unsigned long long s, e, ino;
	int path_at = 0;

	/* a NUL-terminated copy: sscanf must not run past the line */
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, text, len);
	line[len] = '\0';
	if (sscanf(line, "%llx-%llx %4s %*x %*x:%*x %llu %n", &s, &e, perms, &ino, &path_at) < 4 ||
	    e <= s || path_at <= 0)
		return false;
	*m = (struct mapping){ s, e, perms[1] == 'w', ino != 0 && line[path_at] == '/',
			       line[path_at] == '[', perms[0] == 'r', perms[3] == 's' };
	return true;
}

bool maps_next(const char **at, const char *end, struct mapping *m)
{
	while (*at < end) {
		const char *p = *at, *nl = memchr(p, '\n', end - p);
		const char *le = nl ? nl : end;

		*at = le + 1;
		if (maps_parse_line(p, le - p, m))
			return true;
	}
	return false;
}

enum mem_region maps_region(const char *maps, size_t len, uint64_t addr)
{
	const char *p = maps, *end = maps + (len < MAPS_MAX ? len : MAPS_MAX);
	struct mapping prev = { 0 }, m;

	while (maps_next(&p, end, &m)) {
		if (addr >= m.start && addr < m.end) {
			if (m.file)
				return m.writable ? REGION_GLOBAL : REGION_UNKNOWN;
			/* bss: anonymous, right after a file's writable data */
			if (!m.named_anon && prev.file && prev.writable && prev.end == m.start)
				return REGION_GLOBAL;
			return REGION_HEAP;
		}
		prev = m;
	}
	return REGION_UNKNOWN;
}

enum mem_region procmaps_region(void *ctx, uint32_t pid, uint64_t addr)
{
	enum mem_region r = REGION_UNKNOWN;
	char *buf = malloc(MAPS_MAX);
	ssize_t len;

	(void)ctx;
	len = buf ? procfs__read_buf((int)pid, 0, "maps", buf, MAPS_MAX) : -ENOMEM;
	if (len >= 0)
		r = maps_region(buf, len, addr);
	free(buf);
	return r;
}

const char *mem_region_name(enum mem_region r)
{
	switch (r) {
	case REGION_GLOBAL: return "global";
	case REGION_HEAP: return "heap";
	default: return "unknown";
	}
}
