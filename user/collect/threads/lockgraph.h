/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Who holds the mutex a parked thread waits for, and whom it joins (the
 * cycles through them are the judge's: judge/owner_graph.c). */
#ifndef LT_LOCKGRAPH_H
#define LT_LOCKGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "collect/procfs/procmem.h"
#include "model/report.h"

/* Reads len bytes of process pid's memory at addr; 0 or -errno. */
typedef int (*mem_reader_fn)(void *ctx, uint32_t pid, uint64_t addr, void *buf, size_t len);

/* The reader of target memory is procmem__read_pid (collect/procfs/procmem.h). */

/* What thread tid of pid waits on now, for a lock owner that is not among
 * the parked threads (it may run now and then). 0 or -errno. */
typedef int (*thread_wait_fn)(void *ctx, uint32_t pid, uint32_t tid, struct wait_info *w);

/* From /proc/PID/task/TID/syscall ("nr a0 ... a5 sp pc", "running"). */
int procsyscall_wait(void *ctx, uint32_t pid, uint32_t tid, struct wait_info *w);

/* Parse the text of such a file; -EINVAL on garbage, -EAGAIN if running. */
int parse_syscall_line(const char *line, struct wait_info *w);

/* The user sp and pc of such a text (saved at syscall entry, or where the
 * thread blocked outside one); -EINVAL on garbage, -EAGAIN if running. */
int parse_syscall_sp_pc(const char *line, uint64_t *sp, uint64_t *pc);
/* The same, read from /proc/PID/task/TID/syscall; also -errno of the read. */
int procsyscall_sp_pc(uint32_t pid, uint32_t tid, uint64_t *sp, uint64_t *pc);

/* Set lock_owner of threads blocked on a glibc mutex. glibc's
 * pthread_mutex_t starts with the futex word (__lock) and keeps the owner
 * tid at offset 8 (__owner); a contended lock waits with FUTEX_WAIT and
 * value 2, which tells it apart from condvars and semaphores
 * (FUTEX_WAIT_BITSET). PI mutexes hold the owner tid in the futex word. An
 * owner is believed only when it is another live thread of the process. */
void lockgraph_resolve_owners(struct report *r, mem_reader_fn read, void *ctx);

/* The thread t waits to join, or 0. pthread_join sleeps on the joined
 * thread's tid word (pd->tid, cleared by the kernel at exit) with a shared
 * FUTEX_WAIT(_BITSET) and the tid as the expected value: the word still
 * holding that value and naming another live thread of the process is
 * what sets a join apart from other shared futex waits. */
uint32_t lockgraph_join_target(const struct thread_report *t, mem_reader_fn read, void *ctx);

#endif
