// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <sys/uio.h>

#include "collect/java/java_mem.h"

uint64_t java_read_u64(const struct java_mem *m, uint64_t addr)
{
	uint64_t v;

	return java_read(m, addr, &v, sizeof(v)) ? 0 : v;
}

uint32_t java_read_u32(const struct java_mem *m, uint64_t addr)
{
	uint32_t v;

	return java_read(m, addr, &v, sizeof(v)) ? 0 : v;
}

/* The one place that reads a live JVM: to move to the batched procfs
 * reader when it lands. */
int java_mem_read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	int pid = (int)(intptr_t)ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr || addr + len < addr || addr < 4096)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
}
