/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reads of another process's memory without stopping it: process_vm_readv,
 * /proc/PID/mem when that is refused. */
#ifndef LT_PYTHON_MEM_H
#define LT_PYTHON_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Exactly len bytes at addr: 0, -EFAULT (unmapped or short), -ESRCH. */
int py_mem_read(int pid, uint64_t addr, void *buf, size_t len);

/* The same through an open /proc/PID/mem (py_mem_open: fd or -errno),
 * which costs half of a process_vm_readv here: for repeated reads. */
int py_mem_open(int pid);
int py_mem_pread(int fd, uint64_t addr, void *buf, size_t len);

#endif
