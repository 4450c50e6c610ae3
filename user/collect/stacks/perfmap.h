/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names for JIT code from the perf map a runtime publishes (Node
 * --perf-basic-prof, JVM `jcmd PID Compiler.perfmap`, .NET
 * DOTNET_PerfMapEnabled=1): /tmp/perf-PID.map, lines "START SIZE name" in
 * hex. The file is the process's own /tmp (read through /proc/PID/root)
 * and named with its pid in its own pid namespace (NSpid). Re-read when it
 * changes (runtimes append as they compile). Opened as a file the target
 * controls (util/foreign_file.h): a FIFO, device, symlink or a file over
 * FOREIGN_PERF_MAP_MAX is refused. */
#ifndef LT_PERFMAP_H
#define LT_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

#include "model/frame.h"

#define PERF_MAP_MAX_NAME	256

struct perf_map_entry {
	uint64_t start, end;
	char *name;		/* printable: other bytes as \xNN */
};

/* Parse a perf map: entries sorted by start (a later line for the same start
 * wins: the code was replaced). Malformed lines are skipped. 0 or -ENOMEM;
 * free with perf_map_entries_free(). */
int perf_map_parse(const char *buf, size_t len, struct perf_map_entry **out, size_t *n);
void perf_map_entries_free(struct perf_map_entry *e, size_t n);
/* The entry whose [start, end) holds addr, NULL when none. */
const struct perf_map_entry *perf_map_find(const struct perf_map_entry *e, size_t n, uint64_t addr);

struct perf_maps;

struct perf_maps *perf_maps__new(void);
void perf_maps__free(struct perf_maps *pm);

/* Name pid's FRAME_JIT frames in b that have no function from its perf
 * map (function and offset from the entry's start). Returns how many were
 * named; 0 when the process has no map. */
int perf_maps__name_frames(struct perf_maps *pm, int pid, struct frame_builder *b);

/* Drop pid's map (its process is gone). */
void perf_maps__forget(struct perf_maps *pm, int pid);

/* pid inside its own pid namespace (last NSpid of /proc/PID/status), pid
 * itself when that is unknown. */
int perf_map_nspid(int pid);

#endif
