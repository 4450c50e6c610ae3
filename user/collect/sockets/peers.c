// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/sockets/peers.h"
#include "collect/sockets/tcp_table.h"
#include "util/array.h"
#include "util/hash.h"

/* lookups per report: a host with thousands of threads in read() costs a
 * bounded number of readlinks */
#define PEER_LOOKUPS_MAX 1024
#define COLLECT_FDS_PER_PROC 4096
#define COLLECT_FDS_PER_REPORT 16384

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

/* Load the table for this report, once (and start its lookup budget). */
static int table_for(struct peer_finder *f, uint64_t report_ns)
{
	if (f->loaded_for != report_ns) {
		f->loaded_for = report_ns;
		f->lookups = 0;
		f->load_err = -1;
	}
	if (f->load_err == -1)
		f->load_err = tcp_table_load(&f->table);
	return f->load_err;
}

/* The socket inode the fd link at path (relative to dir) names, 0 if none. */
static uint64_t link_inode(int dir, const char *path)
{
	char link[64];
	ssize_t n = readlinkat(dir, path, link, sizeof(link) - 1);

	if (n <= 0)
		return 0;
	link[n] = '\0';
	return socket_inode(link);
}

uint64_t fd_socket_inode(uint32_t pid, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/fd/%d", pid, fd);
	return link_inode(AT_FDCWD, path);
}

bool peer_finder__wait(void *finder, uint64_t report_ns, uint32_t pid, const struct wait_info *w,
		      struct peer_wait *out)
{
	struct peer_finder *f = finder;
	const struct tcp_conn *c;
	uint64_t inode;
	int fd;

	/* nothing on the host awaits a reply (the usual case): no fd to read */
	if (table_for(f, report_ns) || !f->table.n)
		return false;
	if (f->lookups >= PEER_LOOKUPS_MAX || (fd = wait_fd(f, pid, w)) < 0)
		return false;
	f->lookups++;
	if (!(inode = fd_socket_inode(pid, fd)) || !(c = tcp_table_find(&f->table, inode)))
		return false;
	out->send_queued = c->unacked || c->notsent;
	if (!tcp_conn_awaiting_reply(&f->table, c, &out->silent_ms))
		return false;
	tcp_conn_peer_text(c, out->peer, sizeof(out->peer));
	return true;
}

#define PEER_SITE_SALT 0x70656572ull	/* "peer" */

uint64_t peer_site(uint64_t site, const char *peer)
{
	return hash_string(site ^ PEER_SITE_SALT, peer);
}

void peer_facts_collect(struct report *r, peer_wait_fn peer_wait, void *ctx)
{
	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *t = &r->threads[i];
		struct peer_wait pw;

		if (!peer_wait(ctx, r->mono_ns, t->pid, &t->wait, &pw))
			continue;
		t->awaiting_peer = true;
		t->peer_silent_ms = pw.silent_ms;
		snprintf(t->peer, sizeof(t->peer), "%s", pw.peer);
	}
	/* goroutines in IO wait on a socket (collect/go/go_netpoll.c) */
	for (size_t i = 0; i < r->n_goroutines; i++) {
		struct goroutine_report *g = &r->goroutines[i];
		struct wait_info w = { .kind = WAIT_SYSCALL, .syscall_nr = -1,
				       .flags = WAIT_F_HAS_OBJECT, .object = (uint64_t)g->sock_fd };
		struct peer_wait pw = { 0 };

		if (!g->sock_inode)
			continue;
		if (!peer_wait(ctx, r->mono_ns, g->pid, &w, &pw)) {
			/* a write the peer does not take: no idle connection */
			g->send_queued = pw.send_queued;
			continue;
		}
		g->awaiting_peer = true;
		g->peer_silent_ms = pw.silent_ms;
		snprintf(g->peer, sizeof(g->peer), "%s", pw.peer);
		if (report_peer_past_threshold(r, g->peer_silent_ms))
			g->site = peer_site(g->site, g->peer);
	}
}

/* Inodes that parked threads and goroutines of pid wait on themselves,
 * sorted. */
static size_t thread_inodes(struct peer_finder *f, const struct report *r, uint32_t pid,
			    uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_goroutines && n < max; i++)
		if (r->goroutines[i].pid == pid && r->goroutines[i].sock_inode)
			out[n++] = r->goroutines[i].sock_inode;

	for (size_t i = 0; i < r->n_threads && n < max; i++) {
		int fd;

		if (r->threads[i].pid == pid && (fd = wait_fd(f, pid, &r->threads[i].wait)) >= 0 &&
		    (out[n] = fd_socket_inode(pid, fd)))
			n++;
	}
	qsort(out, n, sizeof(*out), cmp_u64);
	return n;
}

struct candidates {
	uint64_t *inodes;	/* awaiting past the threshold, sorted */
	size_t n, found;
	unsigned budget;	/* fds left to look at in this report */
};

/* The candidates among the sockets of one process. */
static int collect_proc(struct peer_finder *f, struct report *r, uint32_t pid,
			struct candidates *cand)
{
	uint64_t skip[64];
	size_t n_skip = SIZE_MAX;
	char path[64];
	struct dirent *de;
	unsigned seen = 0;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;	/* gone, or not ours to read */
	while (!err && cand->found < cand->n && cand->budget && seen < COLLECT_FDS_PER_PROC &&
	       (de = readdir(d))) {
		const struct tcp_conn *c;
		struct conn_report *cr;
		uint64_t inode;
		uint32_t silent_ms;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		seen++;
		cand->budget--;
		inode = link_inode(dirfd(d), de->d_name);
		if (!inode || !sorted_find(cand->inodes, cand->n, sizeof(inode), &inode, cmp_u64))
			continue;
		cand->found++;
		/* a thread or goroutine that waits on it is the unit (peer
		 * rule), not the socket */
		if (n_skip == SIZE_MAX)
			n_skip = thread_inodes(f, r, pid, skip, 64);
		c = tcp_table_find(&f->table, inode);
		if (sorted_find(skip, n_skip, sizeof(inode), &inode, cmp_u64) ||
		    !tcp_conn_awaiting_reply(&f->table, c, &silent_ms))
			continue;
		cr = report_add_conn(r);
		if (!cr) {
			err = -ENOMEM;
			break;
		}
		*cr = (struct conn_report){ .pid = pid, .inode = inode,
					    .silent_ns = silent_ms * 1000000ull,
					    .bytes_acked = c->bytes_acked };
		tcp_conn_local_text(c, cr->local, sizeof(cr->local));
		tcp_conn_peer_text(c, cr->peer, sizeof(cr->peer));
		cr->site = hash_string(HASH_SEED, cr->peer) | 1;	/* one site an upstream */
	}
	closedir(d);
	return err;
}

int peer_finder__collect(struct peer_finder *f, struct report *r)
{
	struct candidates cand = { .budget = COLLECT_FDS_PER_REPORT };
	int err = 0;

	if (table_for(f, r->mono_ns))
		return 0;	/* no sock_diag: no connection units */
	/* the host's requests unanswered past the threshold: usually none,
	 * and then no process's fds are read at all */
	cand.inodes = malloc((f->table.n + 1) * sizeof(*cand.inodes));
	if (!cand.inodes)
		return -ENOMEM;
	for (size_t i = 0; i < f->table.n; i++) {
		uint32_t silent_ms;

		if (tcp_conn_awaiting_reply(&f->table, &f->table.conns[i], &silent_ms) &&
		    report_peer_past_threshold(r, silent_ms))
			cand.inodes[cand.n++] = f->table.conns[i].inode;
	}
	qsort(cand.inodes, cand.n, sizeof(*cand.inodes), cmp_u64);
	/* the traced processes own them, or no one we follow does */
	for (size_t i = 0; i < r->n_procs && !err && cand.found < cand.n && cand.budget; i++)
		if (r->procs[i].alive || r->procs[i].is_go)
			err = collect_proc(f, r, r->procs[i].pid, &cand);
	/* the fds of the processes not reached were not read: what was not
	 * found yet was not looked for */
	if (!err && !cand.budget)
		r->lost[DROP_CONNECTIONS_UNLOCATED] += cand.n - cand.found;
	free(cand.inodes);
	return err;
}
