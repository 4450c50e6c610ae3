/* socket_read_leak: TCP server on 127.0.0.1; per accepted connection a
 * thread read_request_body blocks in read() on the socket.  Clients (the
 * test, or the program itself with --self-connect) never write, so every
 * connection leaks a thread parked in read().
 *
 *   PORT <n>
 *   ROLE acceptor <tid>   main thread (poll/accept loop, healthy)
 *   ROLE leak <tid>       one per connection
 *   READY                 after the --self-connect connections are parked
 *   CLOSED <tid>          a reader saw EOF/error (client closed) and exited
 *
 * Options: --port N (0 = ephemeral)
 *          --self-connect N  open N connections to ourselves before READY
 *          --every SEC       after READY, open one more self-connection
 *                            every SEC seconds (growing leak)
 *          --more M          stop after M --every connections (0 = until
 *                            --max-conns)
 *          --max-conns N     cap on leaked readers (1000)
 *          --seconds SEC */
#include "wl_common.h"
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

struct conn {
	int fd;
	int tid;
};

static int port_no;
static int nconns, max_conns = 1000;

WL_NOINLINE ssize_t read_request_body(int fd, char *buf, size_t len)
{
	ssize_t n, total = 0;

	/* A body that never comes: loop until EOF/error. */
	for (;;) {
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	return total;
}

WL_NOINLINE void *connection_thread(void *arg)
{
	struct conn *c = arg;
	char buf[512];

	c->tid = wl_tid();
	wl_role("leak");
	wl_started();
	read_request_body(c->fd, buf, sizeof(buf));
	printf("CLOSED %d\n", c->tid);
	close(c->fd);
	/* c is not freed: the acceptor may still read c->tid */
	return NULL;
}

/* Client side: connect to ourselves and keep the fd open, never writing. */
static void self_connect(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port_no);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		close(fd);
	}
	/* the fd is intentionally kept open (and never written) */
}

static void accept_one(int lfd)
{
	struct conn *c;
	char name[32];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (nconns >= max_conns) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	c->fd = fd;
	snprintf(name, sizeof(name), "conn-%d", ++nconns);
	pthread_detach(wl_spawn(connection_thread, c, name));
	wl_wait_blocked(c->tid);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "self-connect", required_argument, NULL, 'n' },
		{ "every", required_argument, NULL, 'e' },
		{ "more", required_argument, NULL, 'm' },
		{ "max-conns", required_argument, NULL, 'x' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int port = 0, self = 0, more = 0, done_more = 0, lfd, c, i;
	double every = 0, seconds = 0, next;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'n': self = atoi(optarg); break;
		case 'e': every = atof(optarg); break;
		case 'm': more = atoi(optarg); break;
		case 'x': max_conns = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--port N] [--self-connect N] [--every SEC] [--more M] [--max-conns N] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "sock-acceptor");
	lfd = wl_listen_loopback(port, &port_no);
	wl_role("acceptor");
	for (i = 0; i < self && i < max_conns; i++) {
		self_connect();
		accept_one(lfd);
	}
	wl_ready();

	next = wl_now() + every;
	for (;;) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		int timeout = -1;
		int grow = every > 0 && (more == 0 || done_more < more) &&
			   nconns < max_conns;

		if (grow) {
			double d = next - wl_now();

			timeout = d > 0 ? (int)(d * 1000) + 1 : 0;
		}
		if (poll(&pfd, 1, timeout) > 0 && (pfd.revents & POLLIN))
			accept_one(lfd);
		if (grow && wl_now() >= next) {
			self_connect();
			accept_one(lfd);
			done_more++;
			next += every;
		}
	}
	return 0;
}
