// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collect/sockets/tcp_table.h"
#include "util/array.h"

#define TCP_STATE_ESTABLISHED	1
#define TCP_STATE_LISTEN	10
#define TCP_ALL_STATES		0xfff
/* bound of one load (kept connections and listening ports each): a host
 * with more is judged on the first ones */
#define TCP_TABLE_MAX		(1u << 16)

static int cmp_conn(const void *a, const void *b)
{
	const struct tcp_conn *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Sent data, and received nothing after the last send (connect counts as
 * a receive: a connection that never got a byte qualifies). */
static bool sent_since_received(const struct tcp_conn *c)
{
	/* bytes_acked counts the SYN too: a connection that sent no data has 1 */
	if (c->bytes_sent_known ? !c->bytes_sent : c->bytes_acked <= 1 && !c->unacked)
		return false;
	return !c->bytes_received || c->last_data_recv_ms > c->last_data_sent_ms;
}

static int add_conn(struct tcp_table *t, const struct inet_diag_msg *m, const struct tcp_info *ti,
		    size_t ti_len)
{
	struct tcp_conn *c;

	if (m->idiag_state == TCP_STATE_LISTEN) {
		uint32_t *port;

		if (t->n_listen >= TCP_TABLE_MAX ||
		    !(port = ARRAY_PUSH(t->listen_ports, t->n_listen, t->cap_listen)))
			return t->n_listen >= TCP_TABLE_MAX ? 0 : -ENOMEM;
		*port = ntohs(m->id.idiag_sport);
		return 0;
	}
	if (!m->idiag_inode || t->n >= TCP_TABLE_MAX || m->idiag_state != TCP_STATE_ESTABLISHED)
		return 0;
	c = ARRAY_PUSH(t->conns, t->n, t->cap);
	if (!c)
		return -ENOMEM;
	c->inode = m->idiag_inode;
	c->state = m->idiag_state;
	c->family = m->idiag_family;
	c->local_port = ntohs(m->id.idiag_sport);
	c->peer_port = ntohs(m->id.idiag_dport);
	memcpy(c->local_addr, m->id.idiag_src, sizeof(c->local_addr));
	memcpy(c->peer_addr, m->id.idiag_dst, sizeof(c->peer_addr));
	if (ti) {
		struct tcp_info info = { 0 };

		/* older kernels send a shorter tcp_info: the rest stays 0 */
		memcpy(&info, ti, ti_len < sizeof(info) ? ti_len : sizeof(info));
		c->last_data_sent_ms = info.tcpi_last_data_sent;
		c->last_data_recv_ms = info.tcpi_last_data_recv;
		c->unacked = info.tcpi_unacked;
		if (ti_len >= offsetof(struct tcp_info, tcpi_notsent_bytes) + sizeof(uint32_t))
			c->notsent = info.tcpi_notsent_bytes;
		if (ti_len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(uint64_t))
			c->bytes_acked = info.tcpi_bytes_acked;
		if (ti_len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(uint64_t))
			c->bytes_received = info.tcpi_bytes_received;
		if (ti_len >= offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof(uint64_t)) {
			c->bytes_sent = info.tcpi_bytes_sent;
			c->bytes_sent_known = true;
		}
	}
	/* only what may await a reply is kept: a busy host has many sockets */
	if (!sent_since_received(c))
		t->n--;
	return 0;
}

static int parse_diag(struct tcp_table *t, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_LENGTH(0);
	const struct tcp_info *ti = NULL;
	size_t ti_len = 0;

	if (len < sizeof(*m))
		return -EINVAL;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return 0;
	/* attributes follow the message, each 4-byte aligned */
	for (size_t off = NLMSG_ALIGN(sizeof(*m)); off + sizeof(struct nlattr) <= len;) {
		const struct nlattr *a = (const void *)((const char *)m + off);

		if (a->nla_len < sizeof(*a) || a->nla_len > len - off)
			return -EINVAL;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
			ti = (const void *)((const char *)a + NLA_HDRLEN);
			ti_len = a->nla_len - NLA_HDRLEN;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return add_conn(t, m, ti, ti_len);
}

int tcp_table_parse(struct tcp_table *t, const void *buf, size_t len)
{
	const char *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const void *)p;
		int err;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
			return -EINVAL;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EINVAL;
			return e->error < 0 && e->error > -4096 ? e->error : -EIO;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && (err = parse_diag(t, h)))
			return err;
		if (NLMSG_ALIGN(h->nlmsg_len) >= len)
			break;
		len -= NLMSG_ALIGN(h->nlmsg_len);
		p += NLMSG_ALIGN(h->nlmsg_len);
	}
	return 0;
}

/* One family's dump over a sock_diag socket. */
static int dump_family(struct tcp_table *t, int fd, int family)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = 1 << (INET_DIAG_INFO - 1), .idiag_states = TCP_ALL_STATES },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[32768] __attribute__((aligned(8)));
	int done = 0;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done = tcp_table_parse(t, buf, n);
		if (done < 0)
			return done;
	}
	return 0;
}

void tcp_table_index(struct tcp_table *t)
{
	/* qsort(NULL, 0, ...) is undefined: an empty table is NULL */
	if (t->n)
		qsort(t->conns, t->n, sizeof(*t->conns), cmp_conn);
	if (t->n_listen)
		qsort(t->listen_ports, t->n_listen, sizeof(*t->listen_ports), cmp_u32);
}

int tcp_table_load(struct tcp_table *t)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int err;

	t->n = t->n_listen = 0;
	if (fd < 0)
		return -errno;
	err = dump_family(t, fd, AF_INET);
	if (!err)
		err = dump_family(t, fd, AF_INET6);
	close(fd);
	tcp_table_index(t);
	return err;
}

const struct tcp_conn *tcp_table_find(const struct tcp_table *t, uint64_t inode)
{
	struct tcp_conn key = { .inode = inode };

	return sorted_find(t->conns, t->n, sizeof(key), &key, cmp_conn);
}

bool tcp_conn_awaiting_reply(const struct tcp_table *t, const struct tcp_conn *c,
			     uint32_t *silent_ms)
{
	uint32_t port = c->local_port;

	/* an accepted connection waits for its client's next request: normal */
	if (c->state != TCP_STATE_ESTABLISHED ||
	    sorted_find(t->listen_ports, t->n_listen, sizeof(port), &port, cmp_u32) ||
	    !sent_since_received(c))
		return false;
	*silent_ms = c->last_data_sent_ms;
	return true;
}

static void addr_text(int family, const uint8_t *a, uint16_t port, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (family == AF_INET6) {
		inet_ntop(AF_INET6, a, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%u", addr, port);
	} else {
		inet_ntop(AF_INET, a, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, port);
	}
}

void tcp_conn_peer_text(const struct tcp_conn *c, char *buf, size_t len)
{
	addr_text(c->family, c->peer_addr, c->peer_port, buf, len);
}

void tcp_conn_local_text(const struct tcp_conn *c, char *buf, size_t len)
{
	addr_text(c->family, c->local_addr, c->local_port, buf, len);
}

void tcp_table_free(struct tcp_table *t)
{
	free(t->conns);
	free(t->listen_ports);
	*t = (struct tcp_table){ 0 };
}
