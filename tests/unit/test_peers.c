// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect/sockets/tcp_table.c and collect/sockets/peers.c: sock_diag answers parsed (made-up
 * and garbage ones), and the host's real table: a connection of this
 * process that sent a request nobody answers is found awaiting its peer,
 * the accepted side and an answered connection are not. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/wait.h"
#include "collect/threads/lockgraph.h"
#include "collect/sockets/peers.h"
#include "collect/sockets/tcp_table.h"

/* ---- made-up netlink answers ---- */

struct nlbuf {
	uint32_t words[512];
	size_t len;
};

static void add_diag(struct nlbuf *b, uint8_t state, uint16_t sport, uint16_t dport,
		     uint32_t inode, const struct tcp_info *ti)
{
	char *p = (char *)b->words + b->len;
	struct nlmsghdr *h = (void *)p;
	struct inet_diag_msg *m = NLMSG_DATA(h);
	size_t len = NLMSG_LENGTH(sizeof(*m));

	memset(p, 0, 512);
	m->idiag_family = AF_INET;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	m->id.idiag_dst[0] = htonl(0x7f000001);
	m->idiag_inode = inode;
	if (ti) {
		struct nlattr *a = (void *)(p + NLMSG_ALIGN(len));

		a->nla_type = INET_DIAG_INFO;
		a->nla_len = NLA_HDRLEN + sizeof(*ti);
		memcpy((char *)a + NLA_HDRLEN, ti, sizeof(*ti));
		len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	}
	h->nlmsg_len = len;
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	b->len += NLMSG_ALIGN(len);
}

static void add_done(struct nlbuf *b)
{
	struct nlmsghdr *h = (void *)((char *)b->words + b->len);

	*h = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE };
	b->len += NLMSG_LENGTH(4);
}

static void test_parse(void **state)
{
	struct tcp_info sent = { .tcpi_last_data_sent = 5000, .tcpi_last_data_recv = 6000,
				 .tcpi_bytes_acked = 20, .tcpi_bytes_sent = 19 };
	struct tcp_info answered = { .tcpi_last_data_sent = 9000, .tcpi_last_data_recv = 8000,
				     .tcpi_bytes_acked = 20, .tcpi_bytes_received = 100,
				     .tcpi_bytes_sent = 19 };
	/* connected, sent nothing: the SYN's ack is the one byte acked */
	struct tcp_info quiet = { .tcpi_last_data_sent = 7000, .tcpi_last_data_recv = 7000,
				   .tcpi_bytes_acked = 1 };
	struct nlbuf b = { .len = 0 };
	struct tcp_table t = { 0 };
	const struct tcp_conn *c;
	uint32_t silent = 0;
	char peer[64];

	(void)state;
	add_diag(&b, 10, 80, 0, 1, NULL);		/* LISTEN :80 */
	add_diag(&b, 1, 40000, 8080, 300, &sent);	/* request, no answer */
	add_diag(&b, 1, 80, 51000, 200, &sent);	/* accepted: its client's turn */
	add_diag(&b, 1, 40001, 8080, 100, &answered);	/* answered */
	add_diag(&b, 1, 40002, 8080, 400, &quiet);	/* nothing sent */
	add_done(&b);
	assert_int_equal(tcp_table_parse(&t, b.words, b.len), 1);
	tcp_table_index(&t);
	assert_int_equal(t.n, 2);	/* the answered one is not kept */
	assert_int_equal(t.n_listen, 1);
	c = tcp_table_find(&t, 300);
	assert_non_null(c);
	assert_true(tcp_conn_awaiting_reply(&t, c, &silent));
	assert_int_equal(silent, 5000);
	tcp_conn_peer_text(c, peer, sizeof(peer));
	assert_string_equal(peer, "127.0.0.1:8080");
	assert_false(tcp_conn_awaiting_reply(&t, tcp_table_find(&t, 200), &silent));
	assert_null(tcp_table_find(&t, 100));
	assert_null(tcp_table_find(&t, 400));
	assert_null(tcp_table_find(&t, 1));	/* listeners are ports, not conns */
	tcp_table_free(&t);
}

static void test_garbage(void **state)
{
	struct nlbuf b = { .len = 0 };
	struct tcp_table t = { 0 };
	struct nlmsghdr *h;

	(void)state;
	add_diag(&b, 1, 40000, 8080, 300, NULL);
	/* every truncation: no crash, never more than the one message */
	for (size_t len = 0; len < b.len; len++) {
		assert_true(tcp_table_parse(&t, b.words, len) <= 1);
		assert_true(t.n <= 1);
	}
	/* a length beyond the buffer, an attribute beyond its message */
	h = (void *)b.words;
	h->nlmsg_len = 4096;
	assert_int_equal(tcp_table_parse(&t, b.words, b.len), -EINVAL);
	b.len = 0;
	add_diag(&b, 1, 40000, 8080, 300, &(struct tcp_info){ 0 });
	((struct nlattr *)((char *)b.words + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct inet_diag_msg)))))
		->nla_len = 60000;
	assert_int_equal(tcp_table_parse(&t, b.words, b.len), -EINVAL);
	/* the kernel's error comes back as it is */
	b.len = 0;
	h = (void *)b.words;
	*h = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr)),
				.nlmsg_type = NLMSG_ERROR };
	((struct nlmsgerr *)NLMSG_DATA(h))->error = -EPERM;
	assert_int_equal(tcp_table_parse(&t, b.words, h->nlmsg_len), -EPERM);
	tcp_table_free(&t);
}

static void test_socket_inode(void **state)
{
	(void)state;
	assert_int_equal(socket_inode("socket:[12345]"), 12345);
	assert_int_equal(socket_inode("socket:[]"), 0);
	assert_int_equal(socket_inode("socket:[12x]"), 0);
	assert_int_equal(socket_inode("socket:[99999999999999999999999]"), 0);
	assert_int_equal(socket_inode("pipe:[12]"), 0);
	assert_int_equal(socket_inode("/dev/null"), 0);
	assert_int_equal(socket_inode(""), 0);
}

/* ---- the real kernel: connections of this process ---- */

struct conns {
	int listener, client, accepted, answered, answered_peer, idle, idle_peer;
};

static void open_conns(struct conns *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t alen = sizeof(a);
	char buf[8];

	c->listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->listener >= 0);
	assert_int_equal(bind(c->listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(c->listener, 4), 0);
	assert_int_equal(getsockname(c->listener, (struct sockaddr *)&a, &alen), 0);
	c->client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c->client, (struct sockaddr *)&a, sizeof(a)), 0);
	c->accepted = accept(c->listener, NULL, NULL);
	assert_int_equal(send(c->client, "GET", 3, 0), 3);	/* never answered */
	c->answered = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c->answered, (struct sockaddr *)&a, sizeof(a)), 0);
	c->answered_peer = accept(c->listener, NULL, NULL);
	assert_int_equal(send(c->answered, "GET", 3, 0), 3);
	assert_int_equal(recv(c->answered_peer, buf, sizeof(buf), 0), 3);
	assert_int_equal(send(c->answered_peer, "OK", 2, 0), 2);
	assert_int_equal(recv(c->answered, buf, sizeof(buf), 0), 2);
	c->idle = socket(AF_INET, SOCK_STREAM, 0);	/* connected, never sends */
	assert_int_equal(connect(c->idle, (struct sockaddr *)&a, sizeof(a)), 0);
	c->idle_peer = accept(c->listener, NULL, NULL);
	usleep(20000);	/* tcp_info's ms clocks move */
}

static void close_conns(struct conns *c)
{
	close(c->client);
	close(c->accepted);
	close(c->answered);
	close(c->answered_peer);
	close(c->idle);
	close(c->idle_peer);
	close(c->listener);
}

static uint64_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static void test_host_table(void **state)
{
	struct tcp_table t = { 0 };
	struct conns c;
	uint32_t silent = 0;

	(void)state;
	open_conns(&c);
	assert_int_equal(tcp_table_load(&t), 0);
	assert_non_null(tcp_table_find(&t, inode_of(c.client)));
	assert_true(tcp_conn_awaiting_reply(&t, tcp_table_find(&t, inode_of(c.client)), &silent));
	assert_true(silent < 60000);
	assert_null(tcp_table_find(&t, inode_of(c.accepted)));	/* sent nothing */
	assert_null(tcp_table_find(&t, inode_of(c.idle)));	/* connected only: the SYN */
	assert_null(tcp_table_find(&t, inode_of(c.answered)));
	tcp_table_free(&t);
	close_conns(&c);
}

/* A thread's wait as the BPF side records it: read(fd), poll of one fd. */
static void test_finder(void **state)
{
	struct peer_finder *f = peer_finder__new(procmem__read_pid, NULL);
	struct pollfd pfd;
	struct peer_wait pw;
	struct wait_info w;
	uint64_t args[6] = { 0 };
	struct conns c;

	(void)state;
	assert_non_null(f);
	open_conns(&c);
	args[0] = c.client;
	wait_classify(0 /* read */, args, &w);
	assert_true(peer_finder__wait(f, 1, getpid(), &w, &pw));
	assert_non_null(strstr(pw.peer, "127.0.0.1:"));
	args[0] = c.answered;
	wait_classify(0, args, &w);
	assert_false(peer_finder__wait(f, 1, getpid(), &w, &pw));
	/* poll(&pfd, 1, 600000) on the unanswered socket: read through memory */
	pfd = (struct pollfd){ .fd = c.client, .events = POLLIN };
	args[0] = (uintptr_t)&pfd;
	args[1] = 1;
	args[2] = 600000;
	wait_classify(7 /* poll */, args, &w);
	assert_true(peer_finder__wait(f, 2, getpid(), &w, &pw));
	/* a poll of several fds is an event loop: no single peer */
	args[1] = 2;
	wait_classify(7, args, &w);
	assert_false(peer_finder__wait(f, 3, getpid(), &w, &pw));
	/* a pipe is no socket */
	int p[2];

	assert_int_equal(pipe(p), 0);
	args[0] = p[0];
	wait_classify(0, args, &w);
	assert_false(peer_finder__wait(f, 4, getpid(), &w, &pw));
	close(p[0]);
	close(p[1]);
	close_conns(&c);
	peer_finder__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_socket_inode),
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_finder),
	};

	return cmocka_run_group_tests_name("tcp peers", tests, NULL, NULL);
}
