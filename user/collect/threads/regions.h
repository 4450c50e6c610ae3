/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where a wait object lives in its process: in a file's data or bss (a
 * process-global object, as a service's own condvars and queues are) or in
 * heap/anonymous memory (per-request objects), from /proc/PID/maps. */
#ifndef LT_JUDGE_REGIONS_H
#define LT_JUDGE_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAPS_MAX (64 * 1024)	/* bytes of a maps text read */

/* One line of /proc/PID/maps. */
struct mapping {
	uint64_t start, end;
	bool writable, file, named_anon;	/* named_anon: [heap], [stack]... */
	bool readable, shared;
};

/* "55d0c000-55d0e000 rw-p 00002000 08:01 1234   /usr/bin/x" (len bytes,
 * not NUL-terminated): false when the line is not a mapping. */
bool maps_parse_line(const char *text, size_t len, struct mapping *m);

/* The next mapping of a maps text from *at (lines that are not mappings
 * skipped), *at moved past its line; false at end. Start with *at = text,
 * end = text + len (at most MAPS_MAX). */
bool maps_next(const char **at, const char *end, struct mapping *m);

enum mem_region {
	REGION_UNKNOWN = 0,
	REGION_GLOBAL,		/* data or bss of the executable or a library */
	REGION_HEAP,		/* [heap], anonymous mappings, thread stacks */
};

/* Classifies addr in process pid; the judge's seam (tests pass their own). */
typedef enum mem_region (*region_fn)(void *ctx, uint32_t pid, uint64_t addr);

/* From /proc/PID/maps. */
enum mem_region procmaps_region(void *ctx, uint32_t pid, uint64_t addr);

/* From the text of a maps file (bounded: at most 64 KiB of lines read).
 * bss is the anonymous mapping that directly follows a file's writable
 * mapping. */
enum mem_region maps_region(const char *maps, size_t len, uint64_t addr);

const char *mem_region_name(enum mem_region r);

#endif
