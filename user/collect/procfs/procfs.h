/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The small files of /proc/PID/... and /proc/PID/task/TID/..., read the one
 * way every collector uses: through util/foreign_file (the texts are the
 * target's to shape: its comm, its cgroup, its mappings' names, so they are
 * opened as foreign files: regular file checked, size capped), and the
 * parsers several collectors share (status fields, Tgid, CapEff, liveness,
 * NSpid, stat fields). The target's memory is procmem.h.
 *
 * Naming the file: pid > 0; tid 0 names the process (/proc/PID/NAME), a
 * tid the thread (/proc/PID/task/TID/NAME); pid 0 names leaktrace itself
 * (/proc/self/NAME). NAME is a relative path ("status", "fd/3", "root").
 *
 * Errors are -errno; a process or thread that is gone reads as -ESRCH
 * (ENOENT from /proc means exactly that), so callers test one value.
 */
#ifndef LT_COLLECT_PROCFS_H
#define LT_COLLECT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Longest path procfs__path() writes for a NAME of up to 32 bytes. */
#define PROCFS_PATH_MAX		80

/* "/proc/PID/NAME", "/proc/PID/task/TID/NAME" or "/proc/self/NAME" into
 * buf; the length, or -ENAMETOOLONG when it does not fit. */
int procfs__path(char *buf, size_t size, int pid, int tid, const char *name);

/* The file into buf (NUL-terminated, at most size - 1 bytes: the rest is
 * cut). The length or -errno. For the files a caller reads often and keeps
 * small (status, stat, syscall): no allocation. */
ssize_t procfs__read_buf(int pid, int tid, const char *name, char *buf, size_t size);

/* The whole file (up to FOREIGN_PROC_TEXT_MAX) into a malloc'ed,
 * NUL-terminated *buf of *len bytes: maps, cgroup. 0 or -errno. */
int procfs__read(int pid, int tid, const char *name, char **buf, size_t *len);

/* The file as a stdio stream for line readers; NULL with errno set
 * (ESRCH when the process is gone). */
FILE *procfs__fopen(int pid, int tid, const char *name);

/* The target of a link (exe, fd/N) into buf, NUL-terminated: the length
 * or -errno. */
ssize_t procfs__readlink(int pid, int tid, const char *name, char *buf, size_t size);

/* True when thread tid of process pid exists (a zombie too). */
bool procfs__task_exists(int pid, int tid);

/* --- Parsers of /proc texts (bounded, for any input: fuzzed) --- */

/* The value of "KEY:" at the start of a line of a status text, or NULL:
 * points just after the colon (tabs and spaces not skipped). */
const char *procfs__status_field(const char *status, const char *key);

/* The Tgid of a status text, or -EINVAL. */
int procfs__status_tgid(const char *status);

/* The CapEff mask of a status text: 0 or -EINVAL. */
int procfs__status_cap_eff(const char *status, uint64_t *caps);

/* True when a status text describes a process with a live thread: not a
 * zombie, or a zombie leader whose other threads run. */
bool procfs__status_alive(const char *status);

/* The innermost pid of the NSpid line (the pid in the process's own pid
 * namespace), or -EINVAL when there is none. */
int procfs__status_nspid(const char *status);

/* Field FIELD (1-based, as proc(5) numbers them, >= 3) of a stat text as
 * an unsigned number. The comm (field 2) may hold ") " and spaces: fields
 * are counted from its last ')'. 0 or -EINVAL. */
int procfs__stat_field(const char *stat, int field, uint64_t *value);

/* Field 22, starttime (clock ticks since boot). */
int procfs__stat_start_time(const char *stat, uint64_t *start);

#endif
