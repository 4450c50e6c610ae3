/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads of a traced process's memory without stopping it (no ptrace stop,
 * no signal), the one way every collector reads it: one reader per
 * process, opened once; many small reads batched into one
 * process_vm_readv (up to PROCMEM_IOV_BATCH spans per call); /proc/PID/mem
 * with pread when process_vm_readv is refused (EPERM, ENOSYS) or when the
 * reader was opened with PROCMEM_PREAD.
 *
 * A read is whole or failed: a span's err is 0 (all len bytes read),
 * -EFAULT (unmapped, or only partly: the process can unmap anything at any
 * time, a caller tolerates it) or -ESRCH (the process is gone).
 *
 * Lifecycle: procmem__open() (or procmem__init() without the descriptor),
 * reads, procmem__close(). A struct procmem may be embedded; its fields are
 * public for the seam below, not to be poked otherwise.
 *
 * The seam: every read goes through m->read_batch. A fuzz harness sets it
 * to procmem__pread_batch and m->fd to a memory file whose offsets stand
 * for target addresses (tests/fuzz/fuzz_go_runtime.c).
 */
#ifndef LT_COLLECT_PROCMEM_H
#define LT_COLLECT_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCMEM_IOV_BATCH	1024	/* spans per process_vm_readv (UIO_MAXIOV) */

/* One span of the target's memory to read into buf. */
struct procmem_span {
	uint64_t addr;
	void *buf;
	size_t len;
	int err;		/* set by the read: 0, -EFAULT or -ESRCH */
};

struct procmem;
typedef void (*procmem_batch_fn)(const struct procmem *m, struct procmem_span *s, size_t n);

struct procmem {
	int pid;
	int fd;				/* /proc/PID/mem, -1 = not open */
	bool pread_first;		/* PROCMEM_PREAD */
	procmem_batch_fn read_batch;
};

enum procmem_flags {
	/* Read through /proc/PID/mem rather than process_vm_readv: one pread
	 * costs about half a process_vm_readv of one span (python's many
	 * small dependent reads); the descriptor also pins the address space
	 * it was opened on (procmem__same_mm). */
	PROCMEM_PREAD = 1 << 0,
};

/* A reader of pid without a descriptor: process_vm_readv only. */
void procmem__init(struct procmem *m, int pid);

/* A reader of pid with /proc/PID/mem open. 0 or -errno (-ESRCH: gone,
 * -EACCES/-EPERM: not allowed); on failure m is still a usable reader
 * without the descriptor (procmem__init), so a caller that can do without
 * /proc/PID/mem goes on. */
int procmem__open(struct procmem *m, int pid, unsigned flags);

/* Closes the descriptor; m may be read again only after a new open/init. */
void procmem__close(struct procmem *m);

/* Read every span (sets each one's err). */
void procmem__read_batch(const struct procmem *m, struct procmem_span *s, size_t n);

/* One read: 0, -EFAULT or -ESRCH. */
int procmem__read(const struct procmem *m, uint64_t addr, void *buf, size_t len);

/* One read of pid without keeping a reader (an occasional word: a mutex
 * owner, a version number): process_vm_readv, else /proc/PID/mem. */
int procmem__read_once(int pid, uint64_t addr, void *buf, size_t len);

/* Still the address space m->fd was opened on? A read through it returns
 * 0 bytes once that mm is gone: the process exited, exec'ed, or the pid
 * now names another process. An unmapped addr (-EIO) still counts as the
 * same. False without a descriptor. */
bool procmem__same_mm(const struct procmem *m, uint64_t addr);

/* The batch functions the seam may hold: process_vm_readv (falls back to
 * pread when refused), and pread through m->fd. */
void procmem__vm_batch(const struct procmem *m, struct procmem_span *s, size_t n);
void procmem__pread_batch(const struct procmem *m, struct procmem_span *s, size_t n);

#endif
