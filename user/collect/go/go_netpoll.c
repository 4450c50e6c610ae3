// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/go/go_netpoll.h"
#include "collect/procfs/procmem.h"

#define NETPOLL_FDS_MAX 4096	/* fds of a process looked at for epoll */
#define NETPOLL_REGS_MAX 4096	/* registrations read a process */
#define FDINFO_MAX (256 * 1024)	/* ~100 bytes a registration */

/* One "tfd: N events: X data: Y" line at p (up to end); false otherwise. */
static bool parse_tfd(const char *p, const char *end, struct go_poll_reg *reg)
{
	char line[160];
	size_t n = (size_t)(end - p) < sizeof(line) - 1 ? (size_t)(end - p) : sizeof(line) - 1;
	unsigned int events;
	unsigned long long data;
	int fd;

	memcpy(line, p, n);
	line[n] = '\0';
	if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &events, &data) != 3 || fd < 0)
		return false;
	reg->fd = fd;
	reg->data = data;
	return true;
}

size_t go_netpoll__parse_fdinfo(const char *buf, size_t len, struct go_poll_reg *out, size_t max)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol - p > 4 && !memcmp(p, "tfd:", 4) && parse_tfd(p, eol, &out[n]))
			n++;
		p = eol + 1;
	}
	return n;
}

/* A tagged pointer (runtime/tagptr_64bit.go) keeps the address in the
 * high bits, 8-byte aligned, the tag in the low tag_bits: 19 with 48
 * address bits (go1.22-1.25 amd64), 18 with 49 (go1.26 measured), more or
 * fewer as the runtime's address bits change: each is tried, and only
 * the one naming a pollDesc of this fd is taken. */
static const int tag_bits[] = { 19, 18, 20, 17, 21, 16 };

static uint64_t tagged_pointer(uint64_t tp, int bits)
{
	return (uint64_t)((int64_t)tp >> bits << 3);
}

static bool pd_of(uint64_t addr, int fd, go_poll_read_fn read, void *ctx, uint64_t words[6])
{
	if (!addr || addr & 7 || addr >> 56 || read(ctx, addr, words, 6 * sizeof(uint64_t)))
		return false;
	return words[1] == (uint64_t)fd;
}

uint64_t go_netpoll__pd(const struct go_poll_reg *reg, go_poll_read_fn read, void *ctx,
		       uint64_t words[6])
{
	if (pd_of(reg->data, reg->fd, read, ctx, words))
		return reg->data;
	for (size_t i = 0; i < sizeof(tag_bits) / sizeof(tag_bits[0]); i++) {
		uint64_t pd = tagged_pointer(reg->data, tag_bits[i]);

		if (pd != reg->data && pd_of(pd, reg->fd, read, ctx, words))
			return pd;
	}
	return 0;
}

static int read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return procmem__read_once((int)(intptr_t)ctx, addr, buf, len);
}

/* The registrations of epoll fd epfd of pid (at most max). */
static size_t epoll_regs(int pid, const char *epfd, struct go_poll_reg *out, size_t max)
{
	char path[320];
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, epfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	buf = malloc(FDINFO_MAX);
	if (buf) {
		size_t len = 0;

		while (len < FDINFO_MAX && (n = read(fd, buf + len, FDINFO_MAX - len)) > 0)
			len += (size_t)n;
		got = go_netpoll__parse_fdinfo(buf, len, out, max);
		free(buf);
	}
	close(fd);
	return got;
}

static bool is_epoll(int dir, const char *name)
{
	char link[64];
	ssize_t n = readlinkat(dir, name, link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventpoll]");
}

/* Goroutines parked on the registrations regs[0..n) of pid. */
static size_t parked_on(int pid, const struct go_poll_reg *regs, size_t n,
			struct go_poll_wait *out, size_t max)
{
	size_t got = 0;

	for (size_t i = 0; i < n && got < max; i++) {
		uint64_t w[6];

		if (!go_netpoll__pd(&regs[i], read_pid, (void *)(intptr_t)pid, w))
			continue;
		/* rg and wg: words 3-4 (go1.19-1.21) or 4-5 (fdseq since);
		 * otherwise 0, pdReady (1) or pdWait (2), never an address */
		for (int k = 2; k < 6 && got < max; k++)
			if (w[k] > 4096 && !(w[k] & 7))
				out[got++] = (struct go_poll_wait){ .g_addr = w[k], .fd = regs[i].fd };
	}
	return got;
}

int go_netpoll__waits(int pid, struct go_poll_wait *out, size_t max)
{
	struct go_poll_reg *regs;
	struct dirent *de;
	char path[64];
	unsigned seen = 0;
	size_t got = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	regs = malloc(NETPOLL_REGS_MAX * sizeof(*regs));
	if (!regs) {
		closedir(d);
		return -ENOMEM;
	}
	while (got < max && seen++ < NETPOLL_FDS_MAX && (de = readdir(d))) {
		size_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || !is_epoll(dirfd(d), de->d_name))
			continue;
		n = epoll_regs(pid, de->d_name, regs, NETPOLL_REGS_MAX);
		got += parked_on(pid, regs, n, out + got, max - got);
	}
	free(regs);
	closedir(d);
	return (int)got;
}
