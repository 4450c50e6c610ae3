/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a JVM's memory from outside: one reader type that every HotSpot
 * parser takes (a live process, or a memory image in the fuzz harness),
 * and its live implementation (process_vm_readv). */
#ifndef LT_JAVA_MEM_H
#define LT_JAVA_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Exactly len bytes at addr into buf: 0, -EFAULT (unmapped or short),
 * -ESRCH (process gone). */
typedef int (*java_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct java_mem {
	java_read_fn read;
	void *ctx;
};

static inline int java_read(const struct java_mem *m, uint64_t addr, void *buf, size_t len)
{
	return m->read(m->ctx, addr, buf, len);
}

/* 8/4-byte reads; 0 on failure (a NULL pointer to the parsers). */
uint64_t java_read_u64(const struct java_mem *m, uint64_t addr);
uint32_t java_read_u32(const struct java_mem *m, uint64_t addr);

/* The live reader: ctx is the pid cast to a pointer (java_mem_live). */
int java_mem_read_pid(void *ctx, uint64_t addr, void *buf, size_t len);

static inline struct java_mem java_mem_live(int pid)
{
	return (struct java_mem){ java_mem_read_pid, (void *)(intptr_t)pid };
}

#endif
