/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which socket a goroutine in `IO wait` waits on. The Go runtime registers
 * every pollable fd with one epoll instance, the event's data naming the
 * fd's pollDesc (runtime/netpoll_epoll.go: the pointer itself before
 * go1.22, a tagged pointer since); a parked reader or writer is the g in
 * the pollDesc's rg or wg word (runtime/netpoll.go). The kernel lists the
 * registrations in /proc/PID/fdinfo/EPFD ("tfd: 7 events: 19 data: ..."),
 * so: fdinfo -> pollDesc -> g. The only layout fact used is pollDesc.fd,
 * its second word in every version, checked against tfd. */
#ifndef LT_GO_NETPOLL_H
#define LT_GO_NETPOLL_H

#include <stddef.h>
#include <stdint.h>

/* One epoll registration: the fd and its event data. */
struct go_poll_reg {
	int fd;
	uint64_t data;
};

/* A goroutine parked on an fd. */
struct go_poll_wait {
	uint64_t g_addr;
	int fd;
};

/* Parse an epoll fd's /proc/PID/fdinfo text into out (at most max): the
 * number of registrations read (fuzzed: foreign text). */
size_t go_netpoll__parse_fdinfo(const char *buf, size_t len, struct go_poll_reg *out, size_t max);

/* The pollDesc a registration's data names (as a plain pointer, or as a
 * tagged one), given the pollDesc's first 6 words as read from the target
 * by read(ctx, addr, 48 bytes): 0 when neither names a pollDesc of reg->fd.
 * words: the pollDesc's words when found. */
typedef int (*go_poll_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);
uint64_t go_netpoll__pd(const struct go_poll_reg *reg, go_poll_read_fn read, void *ctx,
		       uint64_t words[6]);

/* The goroutines of pid parked on an fd of its Go epoll instance(s) (at
 * most max): their number, or -errno when /proc/PID/fd cannot be read.
 * Bounded: 4,096 fds looked at, 4,096 registrations read. */
int go_netpoll__waits(int pid, struct go_poll_wait *out, size_t max);

#endif
