/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Threads waiting for a TCP peer that has not answered: a blocking read
 * (or a poll of that one socket) on a connection the process opened, whose
 * request was sent and nothing came back since. The classic call without a
 * timeout to a backend that hangs. */
#ifndef LT_PEERS_H
#define LT_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/wait.h"
#include "collect/threads/lockgraph.h"

struct peer_wait {
	uint32_t silent_ms;	/* since the request's last byte was sent */
	bool send_queued;	/* set even when no reply is owed: data sent or queued
				 * that the peer has not taken (it does not read) */
	char peer[56];		/* "127.0.0.1:8080" */
};

/* The collector's seam (tests pass their own): true when the wait w of a
 * thread of pid is on such a connection. report_ns tells one report from
 * the next (what is read once per report is read again). */
typedef bool (*peer_wait_fn)(void *ctx, uint64_t report_ns, uint32_t pid,
			     const struct wait_info *w, struct peer_wait *out);

struct peer_finder;

/* read: memory of the target (a poll's struct pollfd). */
struct peer_finder *peer_finder__new(mem_reader_fn read, void *read_ctx);
void peer_finder__free(struct peer_finder *f);

/* The default peer_wait_fn: /proc/PID/fd/N names the socket, the host's
 * TCP table (sock_diag, loaded at most once per report) its state. */
bool peer_finder__wait(void *finder, uint64_t report_ns, uint32_t pid,
		      const struct wait_info *w, struct peer_wait *out);

/* Connection units (model/report.h struct conn_report): the connections
 * of the host awaiting their peer for longer than r->threshold_ns (from
 * the TCP table: usually none, and then nothing more is read), found among
 * the fds of the report's processes, except those a reported thread waits
 * on itself (that thread is the unit, by the peer rule). A stalled request
 * of an event loop holds no thread: this is how it is seen. Bounded:
 * 4,096 fds a process, 16,384 a report. 0 or -ENOMEM. */
int peer_finder__collect(struct peer_finder *f, struct report *r);

/* The socket inode of fd of pid, 0 if it is none. */
uint64_t fd_socket_inode(uint32_t pid, int fd);

/* Facts of r's parked threads and goroutines in IO wait on a socket
 * (awaiting_peer, peer_silent_ms, peer): each
 * one whose wait is on a connection awaiting its peer, by peer_wait. The
 * judge compares the silence with the threshold. */
void peer_facts_collect(struct report *r, peer_wait_fn peer_wait, void *ctx);

/* The site of a goroutine stalled on peer past the threshold: a site of
 * its own by peer (the transport's readLoop on a silent upstream is not one
 * of the keep-alive readers at rest with the same stack). */
uint64_t peer_site(uint64_t site, const char *peer);

/* "socket:[12345]" -> 12345; 0 when the link names no socket. */
uint64_t socket_inode(const char *link);

#endif
