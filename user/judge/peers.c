// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge/peers.h"
#include "judge/tcp_table.h"

/* lookups per report: a host with thousands of threads in read() costs a
 * bounded number of readlinks */
#define PEER_LOOKUPS_MAX 1024

struct peer_finder {
	mem_reader_fn read;
	void *read_ctx;
	struct tcp_table table;
	uint64_t loaded_for;	/* report_ns of the table, 0 = never */
	int load_err;
	unsigned lookups;
};

struct peer_finder *peer_finder__new(mem_reader_fn read, void *read_ctx)
{
	struct peer_finder *f = calloc(1, sizeof(*f));

	if (f) {
		f->read = read;
		f->read_ctx = read_ctx;
	}
	return f;
}

void peer_finder__free(struct peer_finder *f)
{
	if (!f)
		return;
	tcp_table_free(&f->table);
	free(f);
}

uint64_t socket_inode(const char *link)
{
	char *end;
	unsigned long long ino;

	if (strncmp(link, "socket:[", 8) || link[8] < '0' || link[8] > '9')
		return 0;
	errno = 0;
	ino = strtoull(link + 8, &end, 10);
	return errno || strcmp(end, "]") ? 0 : ino;
}

/* The fd a thread's wait is on: a read-family call's own, or the one fd of
 * a poll (read from its struct pollfd, whose first member is the fd). */
static int wait_fd(struct peer_finder *f, uint32_t pid, const struct wait_info *w)
{
	int32_t fd;

	if (w->kind == WAIT_SYSCALL && wait_has(w, WAIT_F_HAS_OBJECT) && w->object <= INT32_MAX)
		return (int)w->object;
	if (w->pollfd_addr && !f->read(f->read_ctx, pid, w->pollfd_addr, &fd, sizeof(fd)) &&
	    fd >= 0)
		return fd;
	return -1;
}

bool peer_finder_wait(void *finder, uint64_t report_ns, uint32_t pid, const struct wait_info *w,
		      struct peer_wait *out)
{
	struct peer_finder *f = finder;
	char path[64], link[64];
	const struct tcp_conn *c;
	ssize_t n;
	int fd;

	if (f->loaded_for != report_ns) {
		f->loaded_for = report_ns;
		f->lookups = 0;
		f->load_err = -1;	/* loaded on the first socket seen */
	}
	if (f->lookups >= PEER_LOOKUPS_MAX || (fd = wait_fd(f, pid, w)) < 0)
		return false;
	f->lookups++;
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	if (!socket_inode(link))
		return false;
	if (f->load_err == -1)
		f->load_err = tcp_table_load(&f->table);
	if (f->load_err || !(c = tcp_table_find(&f->table, socket_inode(link))))
		return false;
	if (!tcp_conn_awaiting_reply(&f->table, c, &out->silent_ms))
		return false;
	tcp_conn_peer_text(c, out->peer, sizeof(out->peer));
	return true;
}
