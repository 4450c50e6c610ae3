// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "collect/procfs/procmem.h"

void procmem__init(struct procmem *m, int pid)
{
	*m = (struct procmem){ .pid = pid, .fd = -1, .read_batch = procmem__vm_batch };
}

int procmem__open(struct procmem *m, int pid, unsigned flags)
{
	char path[PROCFS_PATH_MAX];

	procmem__init(m, pid);
	procfs__path(path, sizeof(path), pid, 0, "mem");
	/* not a foreign text: the kernel's view of the address space */
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (flags & PROCMEM_PREAD) {
		m->pread_first = true;
		m->read_batch = procmem__pread_batch;
	}
	return 0;
}

void procmem__close(struct procmem *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static int pread_span(int fd, struct procmem_span *s)
{
	ssize_t n;

	if (s->addr > INT64_MAX || s->addr + s->len < s->addr)
		return -EFAULT;
	n = pread(fd, s->buf, s->len, (off_t)s->addr);
	if (n < 0 && errno == ESRCH)
		return -ESRCH;
	return n == (ssize_t)s->len ? 0 : -EFAULT;
}

void procmem__pread_batch(const struct procmem *m, struct procmem_span *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i].err = pread_span(m->fd, &s[i]);
}

/* One process_vm_readv of up to PROCMEM_IOV_BATCH spans from s: how many
 * spans it settled (at least one), or -errno of the call. */
static ssize_t vm_batch_once(int pid, struct procmem_span *s, size_t k)
{
	struct iovec local[PROCMEM_IOV_BATCH], remote[PROCMEM_IOV_BATCH];
	size_t j = 0;
	ssize_t got;

	for (size_t m = 0; m < k; m++) {
		local[m] = (struct iovec){ s[m].buf, s[m].len };
		remote[m] = (struct iovec){ (void *)(uintptr_t)s[m].addr, s[m].len };
	}
	got = process_vm_readv(pid, local, k, remote, k, 0);
	if (got < 0 && (errno == ENOSYS || errno == EPERM || errno == ESRCH))
		return -errno;
	/* transfers stop at the first span that fails, never inside one */
	while (got > 0 && j < k && (size_t)got >= s[j].len) {
		s[j].err = 0;
		got -= s[j].len;
		j++;
	}
	if (j < k)
		s[j++].err = -EFAULT;
	return (ssize_t)j;
}

void procmem__vm_batch(const struct procmem *m, struct procmem_span *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = n - i < PROCMEM_IOV_BATCH ? n - i : PROCMEM_IOV_BATCH;
		ssize_t done = vm_batch_once(m->pid, s + i, k);

		if (done == -ENOSYS || done == -EPERM) {
			procmem__pread_batch(m, s + i, k);	/* /proc/PID/mem still works */
			i += k;
			continue;
		}
		if (done < 0) {		/* -ESRCH: the process is gone, nothing reads */
			for (; i < n; i++)
				s[i].err = -ESRCH;
			break;
		}
		i += (size_t)done;
	}
}

void procmem__read_batch(const struct procmem *m, struct procmem_span *s, size_t n)
{
	m->read_batch(m, s, n);
}

int procmem__read(const struct procmem *m, uint64_t addr, void *buf, size_t len)
{
	struct procmem_span s = { .addr = addr, .buf = buf, .len = len };

	m->read_batch(m, &s, 1);
	return s.err;
}

int procmem__read_once(int pid, uint64_t addr, void *buf, size_t len)
{
	struct procmem_span s = { .addr = addr, .buf = buf, .len = len };
	struct procmem m;
	ssize_t done;

	if (!addr || addr + len < addr)
		return -EFAULT;
	procmem__init(&m, pid);
	done = vm_batch_once(pid, &s, 1);
	if (done == -ENOSYS || done == -EPERM) {
		int err = procmem__open(&m, pid, PROCMEM_PREAD);

		if (err)
			return err;
		err = procmem__read(&m, addr, buf, len);
		procmem__close(&m);
		return err;
	}
	return done < 0 ? (int)done : s.err;
}

bool procmem__same_mm(const struct procmem *m, uint64_t addr)
{
	char c;

	return m->fd >= 0 && pread(m->fd, &c, 1, (off_t)(addr >> 63 ? 0 : addr)) != 0;
}
