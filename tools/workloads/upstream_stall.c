/* upstream_stall: a process that calls an "upstream" on loopback (a
 * listener of its own that accepts and never answers), as a service does
 * when its backend hangs, next to healthy socket waits.
 *
 *   ROLE blocking <tid>   call_upstream_blocking: sent a request, recv()
 *                         with no timeout: STALLED on its peer
 *   ROLE polled <tid>     call_upstream_polled: sent a request, poll() of
 *                         that one socket with a 10-minute timeout (as
 *                         Apache's mod_proxy does): STALLED on its peer
 *   ROLE answered <tid>   call_answered: its request was answered, now
 *                         poll()s for more with a timeout: healthy
 *   ROLE server <tid>     serve_client: the accepted side of a connection,
 *                         answered its client and waits (poll, timeout)
 *                         for the next request: healthy keep-alive
 *   ROLE evloop <tid>     run_event_loop: an epoll loop that sent a request
 *                         on a non-blocking socket to the upstream; the
 *                         thread rests in epoll_wait (healthy), the request
 *                         is STALLED: a connection unit
 *   EVLOOP_PORT <port>    that socket's local port
 *   ROLE acceptor <tid>   the main thread, in accept(): healthy
 *   READY                 once every thread is blocked
 *
 * Options: --seconds SEC */
#include "wl_common.h"
#include <getopt.h>
#include <poll.h>
#include <sys/epoll.h>

static struct sockaddr_in upstream;	/* the silent listener */
static struct sockaddr_in answering;	/* a listener whose threads answer */

static int connect_to(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static int listen_on(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)a, &len)) {
		perror("listen");
		exit(1);
	}
	return fd;
}

WL_NOINLINE static void call_upstream_blocking(void)
{
	int fd = connect_to(&upstream);
	char buf[64];

	if (write(fd, "GET / HTTP/1.0\r\n\r\n", 18) < 0)
		exit(1);
	wl_role("blocking");
	wl_started();
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

WL_NOINLINE static void call_upstream_polled(void)
{
	int fd = connect_to(&upstream);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (write(fd, "GET / HTTP/1.0\r\n\r\n", 18) < 0)
		exit(1);
	wl_role("polled");
	wl_started();
	while (poll(&p, 1, 600000) >= 0)
		;
}

WL_NOINLINE static void call_answered(void)
{
	int fd = connect_to(&answering);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];

	if (write(fd, "PING\n", 5) < 0 || read(fd, buf, sizeof(buf)) <= 0)
		exit(1);
	wl_role("answered");
	wl_started();
	while (poll(&p, 1, 600000) >= 0)
		;
}

WL_NOINLINE static void run_event_loop(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	int fd = connect_to(&upstream), ep = epoll_create1(0);

	if (ep < 0 || write(fd, "GET / HTTP/1.0\r\n\r\n", 18) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ||
	    getsockname(fd, (struct sockaddr *)&local, &len))
		exit(1);
	printf("EVLOOP_PORT %u\n", ntohs(local.sin_port));
	wl_role("evloop");
	wl_started();
	while (epoll_wait(ep, &out, 1, -1) >= 0)
		;
}

static void *evloop_main(void *arg) { (void)arg; run_event_loop(); return NULL; }
static void *blocking_main(void *arg) { (void)arg; call_upstream_blocking(); return NULL; }
static void *polled_main(void *arg) { (void)arg; call_upstream_polled(); return NULL; }
static void *answered_main(void *arg) { (void)arg; call_answered(); return NULL; }

/* The answering listener's one connection: answers, then waits for the
 * client's next request (keep-alive). */
WL_NOINLINE static void serve_client(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];

	if (read(fd, buf, sizeof(buf)) <= 0)
		exit(1);
	wl_role("server");	/* before the answer: printed before READY */
	if (write(fd, "PONG\n", 5) < 0)
		exit(1);
	while (poll(&p, 1, 600000) >= 0)
		;
}

static int answering_fd;

static void *server_main(void *arg)
{
	(void)arg;
	serve_client(accept(answering_fd, NULL, NULL));
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "seconds", required_argument, NULL, 's' }, { 0 } };
	double seconds = 0;
	int c, silent_fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			return 2;
		seconds = atof(optarg);
	}
	wl_init(seconds);
	silent_fd = listen_on(&upstream);
	answering_fd = listen_on(&answering);
	wl_role("acceptor");
	wl_spawn(blocking_main, NULL, "blocking");
	wl_spawn(polled_main, NULL, "polled");
	wl_spawn(evloop_main, NULL, "evloop");
	{
		/* not wl_spawn: it starts only when answered connects */
		pthread_t server;

		if (pthread_create(&server, NULL, server_main, NULL))
			return 1;
		pthread_setname_np(server, "server");
	}
	wl_spawn(answered_main, NULL, "answered");	/* after the server answered */
	wl_ready();
	for (;;)	/* the silent upstream: accepts, never answers */
		if (accept(silent_fd, NULL, NULL) < 0 && errno != EINTR)
			return 1;
}
