/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The host's TCP connections from the kernel's sock_diag (what ss(8)
 * reads), indexed by socket inode: enough to tell whether a connection a
 * thread waits on is waiting for its peer to answer. */
#ifndef LT_JUDGE_TCP_TABLE_H
#define LT_JUDGE_TCP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_conn {
	uint64_t inode;
	uint8_t state;			/* TCP_ESTABLISHED = 1 ... */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint16_t local_port, peer_port;
	uint8_t local_addr[16], peer_addr[16];	/* IPv4 in the first 4 bytes */
	uint32_t last_data_sent_ms;	/* tcp_info: since the last byte sent */
	uint32_t last_data_recv_ms;	/* since the last byte received (or connect) */
	uint64_t bytes_acked, bytes_received;
	uint64_t bytes_sent;		/* data only (4.19+); 0 when unknown */
	bool bytes_sent_known;
	uint32_t unacked;
	uint32_t notsent;		/* bytes queued, not sent (the peer's window is shut) */
};

struct tcp_table {
	struct tcp_conn *conns;		/* sorted by inode */
	size_t n, cap;
	uint32_t *listen_ports;		/* local ports of listening sockets, sorted */
	size_t n_listen, cap_listen;
};

/* Dump the host's TCP sockets (IPv4 and IPv6) into t, replacing what it
 * held: the listening ports, and the established connections that sent
 * data and received nothing since (the others cannot await a reply).
 * 0 or -errno. */
int tcp_table_load(struct tcp_table *t);

/* Parse one netlink answer (a buffer of nlmsghdr) into t: the part of
 * tcp_table_load that reads kernel data (fuzzed). 1 when NLMSG_DONE was
 * seen, 0 when more follows, -EINVAL on garbage, -errno from NLMSG_ERROR. */
int tcp_table_parse(struct tcp_table *t, const void *buf, size_t len);

/* Sort after parsing (tcp_table_load does it). */
void tcp_table_index(struct tcp_table *t);

const struct tcp_conn *tcp_table_find(const struct tcp_table *t, uint64_t inode);

/* A connection this host opened (its local port is no listening port) that
 * sent data and has received nothing since: a request its peer has not
 * answered. *silent_ms: since the last byte sent. */
bool tcp_conn_awaiting_reply(const struct tcp_table *t, const struct tcp_conn *c,
			     uint32_t *silent_ms);

/* "127.0.0.1:8080", "[::1]:80". */
void tcp_conn_peer_text(const struct tcp_conn *c, char *buf, size_t len);
void tcp_conn_local_text(const struct tcp_conn *c, char *buf, size_t len);

void tcp_table_free(struct tcp_table *t);

#endif
