// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/python/python_mem.h"

int py_mem_open(int pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int py_mem_pread(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (!addr || addr + len < addr || addr > INT64_MAX)
		return -EFAULT;
	n = pread(fd, buf, len, (off_t)addr);
	if (n < 0 && errno == ESRCH)
		return -ESRCH;
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int read_proc_mem(int pid, uint64_t addr, void *buf, size_t len)
{
	int fd = py_mem_open(pid), err;

	if (fd < 0)
		return fd;
	err = py_mem_pread(fd, addr, buf, len);
	close(fd);
	return err;
}

int py_mem_read(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr || addr + len < addr)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno == ESRCH)
		return -ESRCH;
	if (n < 0 && (errno == EPERM || errno == ENOSYS))
		return read_proc_mem(pid, addr, buf, len);
	return -EFAULT;
}
