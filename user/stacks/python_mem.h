/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reads of another process's memory without stopping it: process_vm_readv,
 * /proc/PID/mem when that is refused. */
#ifndef LT_PYTHON_MEM_H
#define LT_PYTHON_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Exactly len bytes at addr: 0, -EFAULT (unmapped or short), -ESRCH. */
int py_mem_read(int pid, uint64_t addr, void *buf, size_t len);

#endif
